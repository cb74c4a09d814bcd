"""Run every benchmarks/bench_*.py in turn, each in its own process with this Python.

    python benchmarks/run_all.py            # full sizes (minutes)
    python benchmarks/run_all.py --small    # small sizes, as CI runs them (well under a minute)

Each benchmark's output is printed as it comes; the exit status is non-zero if any benchmark
failed (in --small mode a benchmark fails only if it crashes, not on a missed target).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--small", action="store_true", help="pass --small to every benchmark")
    p.add_argument("names", nargs="*", help="only these benchmarks (e.g. bench_report)")
    args = p.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.names:
        wanted = {n.removesuffix(".py") for n in args.names}
        scripts = [s for s in scripts if s.stem in wanted]
    failed: list[str] = []
    started = time.perf_counter()
    for script in scripts:
        command = [sys.executable, str(script)] + (["--small"] if args.small else [])
        print(f"\n### {script.name}", flush=True)
        t = time.perf_counter()
        status = subprocess.run(command, cwd=HERE.parent, check=False).returncode
        print(f"### {script.name}: exit {status} in {time.perf_counter() - t:.1f} s", flush=True)
        if status != 0:
            failed.append(script.name)
    print(f"\n{len(scripts)} benchmarks in {time.perf_counter() - started:.1f} s", end="")
    print(f"; failed: {', '.join(failed)}" if failed else "; all exited 0")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
