"""Benchmark 8: what the notices outbox costs the bot, and how fast it fills and empties.

The outbox listens to every committed change of a question and turns the new question events
into notices in a write of its own (coalesced: one sweep at a time, another when more changed).
Measured side by side in one run, on the same schema and pragmas:

- an intake burst (N participants asking at once, as benchmark 1) with the outbox listening,
  against the same burst without it: throughput and p99 from submission to confirmation;
- approving N questions one after another (a moderator's clicks, back to back), every asker
  subscribed, with and without the outbox: p99 per approval;
- one sweep turning N approvals into N notices; reading the next 20 notices to send from an
  outbox of N; claiming and marking one sent.

Targets: the burst's p99 with the outbox under benchmark 1's 100 ms at 5,000, and its throughput
at least 0.8 of the burst without it; an approval's p99 under 5 ms with it.

    python benchmarks/bench_answers.py            # N = 5,000
    python benchmarks/bench_answers.py --small    # N = 500
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (
    GSEF_CONFIG,
    Verdicts,
    as_the_bot_runs,
    fmt_ms,
    header,
    parser,
    percentile,
    summary_ms,
)
from bot.answers import AnswerService
from bot.questions import QuestionService
from bot.sessions import load_session
from bot.storage import repository as repo
from bot.storage.database import Database

NOW = datetime(2021, 10, 4, 10, 15, tzinfo=UTC)  # in the GSEF Q&A segment: intake open
ROUNDS = 3  # each burst is run this many times each way, alternating; the median is kept


async def open_run(path: Path) -> tuple[Database, repo.Run]:
    db = Database(path)
    await db.open()

    async def prepare(conn: aiosqlite.Connection) -> repo.Run:
        await repo.upsert_session(conn, load_session(GSEF_CONFIG), NOW)
        return await repo.real_run(conn, "gsef2021-inclusive-society", NOW)

    return db, await db.write(prepare)


async def burst(n: int, path: Path, outbox: bool) -> dict[str, float]:
    """N asks at once through QuestionService.ask, with or without the outbox listening."""
    session = load_session(GSEF_CONFIG)
    db, run = await open_run(path)
    try:
        questions = QuestionService(db, lambda: NOW)
        answers = AnswerService(db, lambda: NOW, questions) if outbox else None
        latencies: list[float] = []

        async def participant(i: int) -> None:
            start = time.perf_counter()
            await questions.ask(session, run, 10_000 + i, f"participant {i}", f"Question {i}?")
            latencies.append(time.perf_counter() - start)

        commits = db.commits
        began = time.perf_counter()
        await asyncio.gather(*(participant(i) for i in range(n)))
        elapsed = time.perf_counter() - began
        if answers is not None:
            await answers.drain()
        return {
            "throughput": n / elapsed,
            "p99": percentile(latencies, 99) * 1000,
            "commits": float(db.commits - commits),
        }
    finally:
        await db.close()


async def approvals(n: int, path: Path, outbox: bool) -> dict[str, object]:
    """N pending questions approved one after another, every asker subscribed."""
    session = load_session(GSEF_CONFIG)
    db, run = await open_run(path)
    try:
        questions = QuestionService(db, lambda: NOW)
        answers = AnswerService(db, lambda: NOW, questions)
        for i in range(n):
            await answers.set_notify(session.id, 10_000 + i, True)
        await asyncio.gather(
            *(questions.ask(session, run, 10_000 + i, f"p{i}", f"Question {i}?") for i in range(n))
        )
        await answers.drain()
        if not outbox:
            questions.listeners.clear()
        timings: list[float] = []
        for number in range(1, n + 1):
            start = time.perf_counter()
            await questions.approve(run.id, number, 900, "mona")
            timings.append(time.perf_counter() - start)
        await answers.drain()
        result: dict[str, object] = {"approve": summary_ms(timings)}
        if outbox:
            return result
        # the outbox was not listening: one sweep now turns every approval into its notice
        start = time.perf_counter()
        queued = await answers.sweep()
        result["sweep"] = (queued, time.perf_counter() - start)
        reads, sends = [], []
        for _ in range(min(n, 200)):
            start = time.perf_counter()
            due = await answers.pending_notices(20)
            reads.append(time.perf_counter() - start)
            start = time.perf_counter()
            await answers.claim(due[0].id)
            await answers.mark_sent(due[0].id)
            sends.append(time.perf_counter() - start)
        result["read"] = summary_ms(reads)
        result["send"] = summary_ms(sends)
        return result
    finally:
        await db.close()


async def measure(n: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-answers-") as tmp:
        folder = Path(tmp)
        await burst(50, folder / "warm.sqlite3", True)
        runs: dict[bool, list[dict[str, float]]] = {True: [], False: []}
        for i in range(ROUNDS):
            for outbox in (False, True):
                runs[outbox].append(await burst(n, folder / f"burst-{i}-{outbox}.sqlite3", outbox))
        with_outbox = await approvals(n, folder / "approve-with.sqlite3", True)
        without = await approvals(n, folder / "approve-without.sqlite3", False)
        return {"bursts": runs, "with": with_outbox, "without": without}


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    header("Benchmark 8: the notices outbox", args)
    print(as_the_bot_runs())
    n = 500 if args.small else 5000
    result = asyncio.run(measure(n))
    bursts = result["bursts"]
    assert isinstance(bursts, dict)
    plain, listened = bursts[False], bursts[True]
    print(f"\nintake burst of {n:,} at once (median of {ROUNDS} each, alternating):")
    for name, runs in (("without the outbox", plain), ("with the outbox", listened)):
        each = ", ".join(f"{r['p99']:.1f}" for r in runs)
        print(
            f"  {name}: {median(runs, 'throughput'):,.0f} q/s  p99 {median(runs, 'p99'):.1f} ms  "
            f"commits {median(runs, 'commits'):.0f}  (p99 of each run: {each} ms)"
        )
    ratio = median(listened, "throughput") / median(plain, "throughput")
    print(f"  throughput with / without: {ratio:.2f}")
    with_outbox, without = result["with"], result["without"]
    assert isinstance(with_outbox, dict) and isinstance(without, dict)
    print(f"\napproving {n:,} questions one after another, every asker subscribed:")
    print(f"  without the outbox: {fmt_ms(without['approve'])}")
    print(f"  with the outbox:    {fmt_ms(with_outbox['approve'])}")
    queued, seconds = without["sweep"]
    print(f"one sweep turning {n:,} approvals into notices: {queued:,} in {seconds * 1000:.1f} ms")
    print(f"next 20 notices to send, from an outbox of {n:,}: {fmt_ms(without['read'])}")
    print(f"claim + mark sent, one notice: {fmt_ms(without['send'])}")
    verdicts = Verdicts(args.small)
    verdicts.check(
        f"burst of {n:,} with the outbox: p99", median(listened, "p99"), 100.0, unit=" ms"
    )
    verdicts.check("burst throughput with / without the outbox", ratio, 0.8, higher_is_better=True)
    verdicts.check("approval p99 with the outbox", with_outbox["approve"]["p99"], 5.0, unit=" ms")
    return verdicts.report()


if __name__ == "__main__":
    raise SystemExit(main())
