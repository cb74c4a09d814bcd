"""Benchmark: backup and forget on a large log, and what a backup costs the bot's writes.

The log is benchmarks/_dataset.py's (the product's schema; 100,000 questions and 1,000,000
votes by default). Measured:

- backup: wall time and size of `bot.maintenance.backup` (one-step online copy, switch to a
  rollback journal, integrity_check, fsync, rename), median of `--repeat`;
- the bot's writes during a backup: a writer thread commits one small transaction after another
  (as the bot's group commit does, `synchronous=FULL`, WAL) before and during a backup; the
  commit latency p50/p99 of each phase shows whether the copy holds writers up. The backup
  runs in a process of its own, as `run_bot.py backup` does beside the running bot (in the
  writer's own process it would also compete for its interpreter lock); the writer's times
  count from the moment that process starts the copy to its end;
- forget: wall time of `bot.maintenance.forget` of the whole session (every participant
  pseudonymized, texts scrubbed, the file compacted and the -wal truncated), once.

Targets (assumed for a one-off maintenance command on 2 cores): backup under 5 s, forget
under 30 s, and the writer's commit p99 during a backup under 10 ms. The writer's p99 without
a backup is printed beside it; their ratio was the target once, but two sub-millisecond p99s
of a few hundred commits each vary by 3x from run to run with no backup involved.

    python benchmarks/bench_maintenance.py            # 100,000 questions, 1,000,000 votes
    python benchmarks/bench_maintenance.py --small    # 5,000 questions, 50,000 votes
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import GSEF_ID, Verdicts, header, parser, percentile
from benchmarks._dataset import build_or_reuse
from bot.maintenance import backup, forget


class Writer(threading.Thread):
    """Commits one meta row after another and times each commit."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.latencies: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA synchronous = FULL")
        n = 0
        while not self.stop.is_set():
            n += 1
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('bench', ?)", (str(n),))
            conn.execute("COMMIT")
            self.latencies.append(time.perf_counter() - started)
            time.sleep(0.002)  # a busy bot: a few hundred commits a second
        conn.close()


def writes_during(path: Path, seconds: float) -> list[float]:
    """Run the writer for `seconds`; return its commit latencies."""
    writer = Writer(path)
    writer.start()
    try:
        time.sleep(seconds)
    finally:
        writer.stop.set()
        writer.join()
    return writer.latencies


def backup_in_a_process(path: Path, out: Path, copying: threading.Event) -> None:
    """Run `backup(path, out)` in a child process, as `run_bot.py backup` does; set `copying`
    when the child, its imports done, starts the copy."""
    code = (
        "import sys; from bot.maintenance import backup; print('copying', flush=True); "
        "backup(sys.argv[1], sys.argv[2])"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(path), str(out)],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    started = child.stdout.readline().strip() == "copying"
    copying.set()
    if child.wait() != 0 or not started:
        raise SystemExit("the backup process failed")


def writes_during_a_backup(path: Path, out: Path) -> list[float]:
    """The writer's commit latencies from the start of a backup in another process to its end."""
    writer = Writer(path)
    writer.start()
    copying = threading.Event()
    backing_up = threading.Thread(target=backup_in_a_process, args=(path, out, copying))
    try:
        backing_up.start()
        copying.wait(60)
        writer.latencies.clear()
        backing_up.join()
    finally:
        writer.stop.set()
        writer.join()
    return writer.latencies


def ms(values: list[float], p: float) -> float:
    return percentile(values, p) * 1000 if values else float("nan")


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--cache", type=Path, default=None, help="optional folder keeping the built log")
    args = p.parse_args()
    header("backup and forget", args)
    questions, votes = (5_000, 50_000) if args.small else (100_000, 1_000_000)
    verdicts = Verdicts(args.small)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "qa.sqlite3"
        data = asyncio.run(build_or_reuse(path, questions, votes, args.cache))
        print(
            f"log: {data.questions:,} questions, {data.votes:,} votes, {data.events:,} events, "
            f"{path.stat().st_size / 1e6:.0f} MB"
        )

        times = []
        for i in range(args.repeat):
            result = backup(path, folder / f"copy{i}.sqlite3")
            times.append(result.seconds)
        print(
            f"backup: median {statistics.median(times):.2f} s of {args.repeat} "
            f"({result.size / 1e6:.0f} MB, integrity_check included)"
        )

        quiet = writes_during(path, max(1.0, statistics.median(times)))
        during = writes_during_a_backup(path, folder / "during.sqlite3")
        print(
            f"writer commits without a backup: p50 {ms(quiet, 50):.2f} ms, "
            f"p99 {ms(quiet, 99):.2f} ms ({len(quiet)} commits)"
        )
        print(
            f"writer commits during a backup:  p50 {ms(during, 50):.2f} ms, "
            f"p99 {ms(during, 99):.2f} ms ({len(during)} commits)"
        )

        started = time.perf_counter()
        forgotten = forget(path, GSEF_ID)
        seconds = time.perf_counter() - started
        print(
            f"forget: {seconds:.2f} s for {forgotten.participants:,} participants, "
            f"{forgotten.votes:,} votes, {forgotten.events:,} events "
            f"(file now {path.stat().st_size / 1e6:.0f} MB)"
        )

        verdicts.check("backup time", statistics.median(times), 5.0, unit=" s")
        verdicts.check("forget time", seconds, 30.0, unit=" s")
        verdicts.check("writer commit p99 during a backup", ms(during, 99), 10.0, unit=" ms")
    return verdicts.report()


if __name__ == "__main__":
    raise SystemExit(main())
