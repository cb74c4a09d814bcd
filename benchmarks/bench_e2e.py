"""Benchmark 2: `/ask` end to end through SimCord, against a no-op slash command of the same bot.

The bot is built as production builds it (`bot.create_bot` with the GSEF session file, a database
file in a temporary folder, a fixed clock in the GSEF Q&A so intake is open) and runs under
SimCord in a server with the channels questions / qa-moderation / session-live and the roles
Moderator / Organizer. Before it starts, one benchmark-only command is added to the SAME bot's
tree: `/noop`, which answers "ok" ephemerally and does nothing else. It is the reference: the
cost of a slash interaction through discord.py and SimCord with no product work.

Then, one interaction after another (SimCord runs one user action at a time), `/noop` and `/ask`
are timed in alternating blocks, each participant asking once (so the cooldown and the limit of
questions waiting never refuse). Moderation cards are paced as in production: a few go out at
once, the rest wait for Discord's rate window and go out in digests; after each block of asks
SimCord's clock is moved on until every question has its card, and that time counts as the
asks'. Every `/ask` must be acknowledged and stored, and every question must have its card: both
are counted at the end. Target: /ask rate at least 0.7 of the no-op rate.

SimCord waits for each interaction to settle. When nothing but callbacks is left it sleeps its
poll (`idle`), and the event loop's selector rounds any sleep of 0.1 ms or more up to about
1 ms. The no-op ends within one loop turn, so it pays that sleep on every call: at a 1 ms poll
it measures about 1.5 ms, of which about 1.1 ms is the sleep. /ask leaves tasks running, which
settle waits on directly, waking when they end; a near-zero poll makes settle spin instead and
take the CPU from /ask's database thread. So each command is timed at the poll that adds least
to it: the no-op at 1 µs (the reference for the ratio), /ask at 1 ms. The no-op is also timed
at 1 ms, and that ratio is printed too, marked as flattered by SimCord's sleep.

A second reference bounds what any command that uses the database can reach: `/roundtrip`,
also added to the same bot for the benchmark, makes one aiosqlite round trip (SELECT 1 on the
bot's reader connection) and answers "ok". Its rate against the no-op's is the highest ratio a
command that waits on the database even once can show here; /ask waits on several statements
and a durable commit. In the same run, outside SimCord, the script also measures one durable
commit (WAL, synchronous=FULL, one row) and one aiosqlite round trip, and prints the ratio those
two alone would allow: no-op / (no-op + commit + round trip).

    python benchmarks/bench_e2e.py            # 1,000 of each
    python benchmarks/bench_e2e.py --small    # 100 of each
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosqlite
import discord
import simcord
from discord import app_commands

from benchmarks._common import (
    GSEF_CONFIG,
    Verdicts,
    as_the_bot_runs,
    build_server,
    fmt_ms,
    header,
    parser,
    summary_ms,
)
from bot import create_bot
from bot.delivery import RATE_WINDOW
from cogs.posting import WAKE_MARGIN

TARGET_RATIO = 0.7
FINE_POLL = 0.000_001  # SimCord requires a poll above zero
COARSE_POLL = 0.001
# 19:15 KST on the day of the GSEF workshop: in its participants' Q&A, intake open.
GSEF_QA_TIME = datetime(2021, 10, 4, 10, 15, tzinfo=UTC)


def add_noop(bot: discord.Client) -> None:
    """The reference command (benchmark only): acknowledge ephemerally, nothing else."""

    async def noop(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    bot.tree.add_command(  # type: ignore[attr-defined]
        app_commands.Command(name="noop", description="Benchmark reference", callback=noop)
    )


def add_roundtrip(bot: Any) -> None:
    """The second reference (benchmark only): one aiosqlite round trip, then acknowledge."""

    async def roundtrip(interaction: discord.Interaction) -> None:
        await bot.db.read(lambda conn: conn.execute_fetchall("SELECT 1"))
        await interaction.response.send_message("ok", ephemeral=True)

    bot.tree.add_command(
        app_commands.Command(
            name="roundtrip", description="Benchmark reference", callback=roundtrip
        )
    )


def ask_text_option(bot: Any) -> str | None:
    """Return the name of /ask's question text option, or None if there is no /ask."""
    command = bot.tree.get_command("ask")
    if command is None:
        return None
    for param in command.parameters:
        if param.type is discord.AppCommandOptionType.string and param.required:
            return str(param.name)
    return None


def set_settle_poll(seconds: float) -> None:
    """Set how long SimCord's settle loop sleeps when only callbacks are pending.

    SimCord (3.2.1) waits for a dispatched interaction to settle; when nothing but callbacks is
    left it sleeps `idle` (0.05 s by default) per turn.
    """
    defaults = simcord.Env._settle_internal.__kwdefaults__
    assert defaults is not None and "idle" in defaults
    defaults["idle"] = seconds


async def commit_and_hop(folder: Path, repeats: int = 300) -> tuple[float, float]:
    """Seconds of one durable one-row commit (WAL, synchronous=FULL) and of one aiosqlite round
    trip, measured here, outside SimCord: what any /ask that confirms after its own commit pays
    at least."""
    path = folder / "floor.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT)")
    start = time.perf_counter()
    for i in range(repeats):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (text) VALUES (?)", (f"question {i}",))
        conn.execute("COMMIT")
    commit = (time.perf_counter() - start) / repeats
    conn.close()

    async with aiosqlite.connect(path) as aconn:
        await aconn.execute_fetchall("SELECT 1")
        start = time.perf_counter()
        for _ in range(repeats):
            await aconn.execute_fetchall("SELECT 1")
        hop = (time.perf_counter() - start) / repeats
    return commit, hop


SETTLE_TIMEOUT = 1.0  # seconds; see run()


async def run(n: int, warmup: int, blocks: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        bot = create_bot(
            config=GSEF_CONFIG, database=Path(tmp) / "qa.sqlite3", clock=lambda: GSEF_QA_TIME
        )
        add_noop(bot)
        add_roundtrip(bot)
        # SimCord's settle treats a sleep as "parked" only while its real-time fallback lies
        # beyond the settle deadline. The pacer's wake-up sleeps 6 s (the 5 s window and a 1 s
        # margin); with SimCord's default 5 s deadline it stops being parked 1 s after it
        # starts, so a block of asks longer than 1 s of wall time made settle wait for it and
        # fail ("bot did not settle while advancing time"). Each interaction here settles in a
        # few milliseconds; a 1 s deadline keeps the wake-up parked for 5 s of wall time.
        env = simcord.Env(bot, settle_timeout=SETTLE_TIMEOUT)
        guild, questions = build_server(env)
        people = [guild.add_member(env.create_user(f"p{i}")) for i in range(n + warmup)]
        await env.start()
        # The delivery cog paces cards as in production (5 messages per 5 s per channel; past
        # that, new questions wait and go out in digests when the window reopens). SimCord's
        # clock stands still unless moved, so after each block of asks the benchmark moves it
        # on until every question has its card, and counts that time as the asks' own.

        async def missing_cards(conn: Any) -> int:
            rows = await conn.execute_fetchall(
                "SELECT COUNT(*) FROM questions WHERE card_message_id IS NULL"
            )
            return int(next(iter(rows))[0])

        async def deliver_held_cards() -> None:
            set_settle_poll(COARSE_POLL)  # moving SimCord's clock needs settle not to spin
            for _ in range(100):
                if not await env.bot.db.read(missing_cards):  # type: ignore[attr-defined]
                    return
                await env.advance_time(RATE_WINDOW + WAKE_MARGIN)
            raise SystemExit("moderation cards were still missing after 100 rate windows")

        try:
            option = ask_text_option(env.bot)
            if option is None:
                return {"missing": True}
            asked = iter(people)

            async def ask_one(i: int, poll: float = COARSE_POLL) -> float:
                set_settle_poll(poll)
                member = next(asked)
                text = f"How will the partnership keep basic services affordable? (#{i})"
                start = time.perf_counter()
                result = await member.slash(questions, "ask", **{option: text})
                spent = time.perf_counter() - start
                if not result.acknowledged:
                    raise SystemExit(f"/ask #{i} was not acknowledged")
                return spent

            async def plain_one(name: str, i: int, poll: float) -> float:
                set_settle_poll(poll)
                member = people[i % len(people)]
                start = time.perf_counter()
                result = await member.slash(questions, name)
                spent = time.perf_counter() - start
                if not result.acknowledged:
                    raise SystemExit(f"/{name} #{i} was not acknowledged")
                return spent

            for i in range(warmup):  # imports, caches, first statements
                await plain_one("noop", i, FINE_POLL)
                await plain_one("roundtrip", i, COARSE_POLL)
                await ask_one(i)
            await deliver_held_cards()
            await env.settle()

            timed = {
                "noop": lambda i: plain_one("noop", i, FINE_POLL),
                "noop at 1 ms": lambda i: plain_one("noop", i, COARSE_POLL),
                "roundtrip": lambda i: plain_one("roundtrip", i, COARSE_POLL),
                "ask": lambda i: ask_one(i, COARSE_POLL),
            }
            samples: dict[str, list[float]] = {name: [] for name in timed}
            walls: dict[str, float] = dict.fromkeys(timed, 0.0)
            per_block = n // blocks
            done = 0
            for b in range(blocks):
                size = per_block if b < blocks - 1 else n - done
                for name, one in timed.items():
                    start = time.perf_counter()
                    for i in range(size):
                        samples[name].append(await one(warmup + done + i))
                    if name == "ask":
                        await deliver_held_cards()
                    walls[name] += time.perf_counter() - start
                done += size
            await env.settle()

            async def count(conn: Any) -> int:
                rows = await conn.execute_fetchall("SELECT COUNT(*) FROM questions")
                return int(next(iter(rows))[0])

            stored = await env.bot.db.read(count)  # type: ignore[attr-defined]
            uncarded = await env.bot.db.read(missing_cards)  # type: ignore[attr-defined]
            return {
                "missing": False,
                "samples": samples,
                "walls": walls,
                "stored": stored,
                "uncarded": uncarded,
                "expected": n + warmup,
            }
        finally:
            await env.shutdown()
            # SimCord's shutdown detaches the bot without calling bot.close(): close the
            # database ourselves, or aiosqlite's (non-daemon) threads keep the process alive.
            await bot.db.close()


async def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("-n", type=int, help="timed interactions of each command (1000; small 100)")
    p.add_argument("--warmup", type=int, help="untimed interactions of each first (50; small 10)")
    p.add_argument("--blocks", type=int, default=4, help="alternating blocks (4)")
    args = p.parse_args()
    n = args.n or (100 if args.small else 1_000)
    warmup = args.warmup if args.warmup is not None else (10 if args.small else 50)
    header("Benchmark 2: /ask end to end through SimCord", args)
    print(as_the_bot_runs())
    logging.basicConfig(level=logging.WARNING)
    print(f"timed: {n} of each, after {warmup} warm-up, in {args.blocks} alternating blocks")
    print(
        "cards paced as in production; the time to deliver every held card after each block "
        "of asks counts as the asks' own"
    )
    print(
        f"SimCord settle poll: /noop at {FINE_POLL * 1e6:g} µs, /roundtrip and /ask at "
        f"{COARSE_POLL * 1e3:g} ms (the poll that adds least to each; see the docstring); "
        "/noop also at 1 ms"
    )
    with tempfile.TemporaryDirectory(prefix="bench-e2e-floor-") as tmp:
        commit, hop = await commit_and_hop(Path(tmp))
    print(
        f"outside SimCord: one durable commit {commit * 1e3:.3f} ms, "
        f"one aiosqlite round trip {hop * 1e3:.3f} ms"
    )

    result = await run(n, warmup, args.blocks)
    verdicts = Verdicts(args.small)
    if result["missing"]:
        print("NOT RUN: the bot has no /ask command with a text option (cogs/asking.py missing?)")
        verdicts.check("/ask rate / no-op rate", 0.0, TARGET_RATIO, higher_is_better=True)
        return verdicts.report()

    rates = {name: n / wall for name, wall in result["walls"].items()}
    print("-- figures")
    for name in result["walls"]:
        print(
            f"/{name:13s} {rates[name]:7.1f} interactions/s   "
            f"{fmt_ms(summary_ms(result['samples'][name]))}"
        )
    print(f"questions stored: {result['stored']} of {result['expected']} asked")
    print(f"questions without a moderation card at the end: {result['uncarded']}")
    if result["stored"] != result["expected"] or result["uncarded"]:
        print("FAIL: not every /ask was stored and carded")
        return 0 if args.small else 1
    ratio = rates["ask"] / rates["noop"]
    noop_each = 1 / rates["noop"]
    bound = noop_each / (noop_each + commit + hop)
    print(f"ratio /ask : /noop = {ratio:.2f}")
    print(
        f"ratio against /noop at 1 ms = {rates['ask'] / rates['noop at 1 ms']:.2f} "
        "(flattered: that /noop sleeps in SimCord's settle loop)"
    )
    print(
        f"ratio /roundtrip : /noop = {rates['roundtrip'] / rates['noop']:.2f} "
        "(the most any command that waits on one aiosqlite round trip reaches here)"
    )
    print(
        f"ratio one durable commit and one round trip would allow: {bound:.2f} "
        "(/noop + commit + round trip, measured outside SimCord)"
    )
    verdicts.check(
        "/ask rate / no-op rate",
        ratio,
        TARGET_RATIO,
        higher_is_better=True,
        fmt=lambda v: f"{v:.2f}",
    )
    return verdicts.report()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
