"""Benchmark 4: the report of a 100,000-question log: time and peak memory.

The log (benchmarks/_dataset.py: the product's schema, every question asked, most approved, some
answered, merged, edited, rejected, with their events, votes and co-askers) is built first; then
each render runs in a FRESH child process that does nothing but
`bot.reports.render_report(path, fmt)`, so the build's memory does not count:

- time: wall time of the render call (modules imported first), median of `--repeat` children;
- memory: the child's peak resident set (VmHWM from /proc/self/status, which includes the
  interpreter itself), and, in a separate child (tracing slows Python down, so it is
  not timed), the peak of Python allocations by `tracemalloc` (HTML only).

Target for HTML: under 3 s and under 250 MB. CSV, Markdown and JSON are reported too.

    python benchmarks/bench_report.py            # 100,000 questions, 1,000,000 votes
    python benchmarks/bench_report.py --small    # 5,000 questions, 50,000 votes
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT, Verdicts, header, parser
from benchmarks._dataset import build_or_reuse

TARGET_SECONDS = 3.0
TARGET_MB = 250.0
FORMATS = ("html", "csv", "md", "json")


def child(path: str, fmt: str, trace: bool) -> None:
    """Run in a fresh process: render once, print one JSON line of figures."""
    import time
    import tracemalloc

    from bot.reports import render_report, renderer

    renderer(fmt)  # import the format's modules (templates load on first use, which counts)
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    out = asyncio.run(render_report(Path(path), fmt))
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    rss_kib = peak_rss_kib()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "bytes": len(out),
                "rss_mb": rss_kib / 1024,
                "traced_mb": peak / 1024 / 1024,
            }
        )
    )


def peak_rss_kib() -> float:
    """This process's peak resident set, in KiB.

    On Linux, VmHWM belongs to the process's own address space. getrusage's ru_maxrss does not
    do here: Linux carries the parent's peak across fork and exec, so a child started by a
    parent that holds the built log would report the parent's size.
    """
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run_child(path: Path, fmt: str, trace: bool) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(path), fmt]
        + (["--trace"] if trace else []),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"render of {fmt} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--questions", type=int, help="questions in the log (100000; small 5000)")
    p.add_argument("--votes", type=int, help="votes in the log (1000000; small 50000)")
    p.add_argument("--repeat", type=int, help="timed children per format (3; small 1)")
    p.add_argument("--seed", type=int, default=6)
    p.add_argument("--cache", type=Path, default=None, help="optional folder keeping the built log")
    p.add_argument("--child", nargs=2, metavar=("DB", "FMT"), help=argparse_hidden())
    p.add_argument("--trace", action="store_true", help=argparse_hidden())
    args = p.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.trace)
        return 0
    questions = args.questions or (5_000 if args.small else 100_000)
    votes = args.votes if args.votes is not None else (50_000 if args.small else 1_000_000)
    repeat = args.repeat or (1 if args.small else 3)
    header("Benchmark 4: report of a big log", args)

    verdicts = Verdicts(args.small)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        path = Path(tmp) / "qa.sqlite3"
        data = asyncio.run(build_or_reuse(path, questions, votes, args.cache, seed=args.seed))
        built = f"built in {data.seconds:.1f} s" if data.seconds else "copied from the cache"
        print(
            f"log: {data.questions} questions, {data.votes} votes, {data.events} events, "
            f"{path.stat().st_size / 1e6:.0f} MB ({built}); states "
            f"{dict(sorted(data.states.items()))}"
        )
        print(f"each render in a fresh process; time: median of {repeat} children")
        print("-- figures")
        for fmt in FORMATS:
            runs = [
                run_child(path, fmt, trace=False) for _ in range(repeat if fmt == "html" else 1)
            ]
            # tracing slows the render about tenfold: only the HTML (the target) is traced
            traced = run_child(path, fmt, trace=True) if fmt == "html" else None
            seconds = statistics.median(r["seconds"] for r in runs)
            rss = max(r["rss_mb"] for r in runs)
            times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
            spread = f" (runs {times})" if len(runs) > 1 else ""
            traced_text = f"  tracemalloc peak {traced['traced_mb']:6.1f} MB" if traced else ""
            print(
                f"{fmt:5s} {seconds:6.2f} s{spread}  output {runs[0]['bytes'] / 1e6:6.1f} MB  "
                f"peak RSS {rss:6.1f} MB{traced_text}"
            )
            if traced is not None:
                verdicts.check("HTML report time", seconds, TARGET_SECONDS, unit=" s", fmt=_f2)
                verdicts.check("HTML report peak RSS", rss, TARGET_MB, unit=" MB", fmt=_f0)
                verdicts.check(
                    "HTML report tracemalloc peak",
                    traced["traced_mb"],
                    TARGET_MB,
                    unit=" MB",
                    fmt=_f0,
                )
    return verdicts.report()


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


def _f2(v: float) -> str:
    return f"{v:.2f}"


def _f0(v: float) -> str:
    return f"{v:.0f}"


if __name__ == "__main__":
    sys.exit(main())
