"""Shared by every benchmark: the machine line, percentiles, the --small convention, a verdict.

Each benchmark is a plain script (`python benchmarks/bench_x.py [--small]`). `--small` runs it at
a size that finishes in seconds (CI runs every benchmark that way so none can rot); a missed target
then still exits 0, since small sizes say nothing about the targets. In full mode a missed target
exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/bench_x.py` from anywhere
    sys.path.insert(0, str(ROOT))

GSEF_CONFIG = ROOT / "config" / "sessions" / "gsef2021-inclusive-society.toml"
GSEF_ID = "gsef2021-inclusive-society"


# ------------------------------------------------------------------------------ the machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                kib = int(line.split()[1])
                return f"{kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return "RAM unknown"


def _os() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip().strip(chr(34))} ({platform.release()})"
    except OSError:
        pass
    return platform.platform()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def cores() -> int:
    """Return the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def machine() -> str:
    """One line naming the machine and the versions that matter to the figures."""
    return (
        f"{_cpu_model()}, {cores()} cores, {_memory()}; {_os()}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"discord.py {_version('discord.py')}, aiosqlite {_version('aiosqlite')}, "
        f"simcord {_version('simcord')}"
    )


machine_description = machine  # the name benchmarks/bench_intake.py uses


# ------------------------------------------------------------------------------ figures


def percentile(values: Sequence[float], p: float) -> float:
    """Return the p-th percentile (0..100) by the nearest-rank method (p99 of 1000 = 990th)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(values_s: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of durations in seconds, as milliseconds."""
    return {
        "n": float(len(values_s)),
        "p50": percentile(values_s, 50) * 1000,
        "p99": percentile(values_s, 99) * 1000,
        "max": max(values_s) * 1000,
    }


def fmt_ms(stats: dict[str, float]) -> str:
    return (
        f"n={int(stats['n'])}  p50 {stats['p50']:.3f} ms  p99 {stats['p99']:.3f} ms  "
        f"max {stats['max']:.3f} ms"
    )


class Stopwatch:
    """`with Stopwatch() as sw: ...` then `sw.seconds`."""

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


# ------------------------------------------------------------------------------ the script


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the shared `--small` flag."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--small",
        action="store_true",
        help="run at a small size in seconds (CI); a missed target does not fail",
    )
    return p


def header(title: str, args: argparse.Namespace) -> None:
    mode = "small (CI size: figures are not comparable to the targets)" if args.small else "full"
    print(f"== {title}")
    print(f"machine: {machine()}")
    print(f"command: {command_line()}")
    print(f"mode: {mode}")


def as_the_bot_runs() -> str:
    """Give this process the settings `run_bot.py run` gives the bot's; return a line saying so."""
    from bot.runtime import GC_THRESHOLDS, tune_gc

    tune_gc()
    shown = "/".join(str(n) for n in GC_THRESHOLDS)
    return f"process: garbage collector thresholds {shown}, as the bot sets them (bot/runtime.py)"


def command_line() -> str:
    script = Path(sys.argv[0])
    with contextlib.suppress(ValueError):
        script = script.resolve().relative_to(ROOT)
    return " ".join(["python", str(script), *sys.argv[1:]])


class Verdicts:
    """Collect the target checks of one benchmark and turn them into an exit status."""

    def __init__(self, small: bool) -> None:
        self.small = small
        self.rows: list[tuple[str, str, str, str, bool]] = []

    def check(
        self,
        figure: str,
        measured: float,
        target: float,
        *,
        unit: str = "",
        higher_is_better: bool = False,
        fmt: Callable[[float], str] = lambda v: f"{v:.3g}",
    ) -> bool:
        """Record one figure against its target; return whether it passes.

        The ratio printed is always "how much room is left": measured/target for a minimum
        (>= 1 passes), target/measured for a maximum (>= 1 passes).
        """
        if higher_is_better:
            passed = measured >= target
            ratio = measured / target if target else math.inf
            wanted = f">= {fmt(target)}{unit}"
        else:
            passed = measured < target
            ratio = target / measured if measured else math.inf
            wanted = f"< {fmt(target)}{unit}"
        self.rows.append((figure, f"{fmt(measured)}{unit}", wanted, f"{ratio:.2f}", passed))
        return passed

    def report(self) -> int:
        """Print the verdict table and return the exit status."""
        print("-- targets (ratio: measured against target, >= 1.00 means met)")
        for figure, measured, wanted, ratio, passed in self.rows:
            mark = "PASS" if passed else "FAIL"
            print(f"{mark}  {figure}: {measured} (target {wanted}, ratio {ratio})")
        failed = [r for r in self.rows if not r[4]]
        if self.small:
            if failed:
                print("(small mode: targets are not enforced)")
            return 0
        return 1 if failed else 0


def build_server(env: Any) -> tuple[Any, Any]:
    """Build the server of tests/conftest.py in an unstarted SimCord env; return it and the
    questions channel. The bot's own role may see the moderation channel, as in production."""
    import discord

    guild = env.create_guild("GSEF 2021 workshop")
    moderator_role = guild.create_role("Moderator")
    organizer_role = guild.create_role("Organizer")
    bot_role = guild.roles[env.backend.bot_user.name]
    questions = guild.create_text_channel("questions")
    guild.create_text_channel(
        "qa-moderation",
        overwrites={
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            moderator_role: discord.PermissionOverwrite(view_channel=True),
            organizer_role: discord.PermissionOverwrite(view_channel=True),
            bot_role: discord.PermissionOverwrite(view_channel=True),
        },
    )
    guild.create_text_channel("session-live")
    guild.add_member(env.create_user("mona"), roles=[moderator_role])
    return guild, questions
