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

    python benchmarks/bench_e2e.py            # 1,000 of each
    python benchmarks/bench_e2e.py --small    # 100 of each
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
from cogs._delivery import WAKE_MARGIN

TARGET_RATIO = 0.7
# 19:15 KST on the day of the GSEF workshop: in its participants' Q&A, intake open.
GSEF_QA_TIME = datetime(2021, 10, 4, 10, 15, tzinfo=UTC)


def add_noop(bot: discord.Client) -> None:
    """The reference command (benchmark only): acknowledge ephemerally, nothing else."""

    async def noop(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    bot.tree.add_command(  # type: ignore[attr-defined]
        app_commands.Command(name="noop", description="Benchmark reference", callback=noop)
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


def set_settle_poll(seconds: float) -> float:
    """Set how long SimCord's settle loop sleeps when only callbacks are pending; return the old.

    SimCord (3.2.1) waits for a dispatched interaction to settle; when nothing but callbacks is
    left it sleeps `idle` (0.05 s) per turn. A command that answers at once and leaves nothing
    running (the no-op) pays that whole 50 ms sleep, while /ask, which still has its moderation
    card to post, wakes the loop early: at the default the reference measures SimCord's poll,
    not the bot. The same shorter poll applies to both commands.
    """
    defaults = simcord.Env._settle_internal.__kwdefaults__
    assert defaults is not None and "idle" in defaults
    old = float(defaults["idle"])
    defaults["idle"] = seconds
    return old


async def run(n: int, warmup: int, blocks: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        bot = create_bot(
            config=GSEF_CONFIG, database=Path(tmp) / "qa.sqlite3", clock=lambda: GSEF_QA_TIME
        )
        add_noop(bot)
        env = simcord.Env(bot)
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

            async def ask_one(i: int) -> float:
                member = next(asked)
                text = f"How will the partnership keep basic services affordable? (#{i})"
                start = time.perf_counter()
                result = await member.slash(questions, "ask", **{option: text})
                spent = time.perf_counter() - start
                if not result.acknowledged:
                    raise SystemExit(f"/ask #{i} was not acknowledged")
                return spent

            async def noop_one(i: int) -> float:
                member = people[i % len(people)]
                start = time.perf_counter()
                result = await member.slash(questions, "noop")
                spent = time.perf_counter() - start
                if not result.acknowledged:
                    raise SystemExit(f"/noop #{i} was not acknowledged")
                return spent

            for i in range(warmup):  # imports, caches, first statements
                await noop_one(i)
                await ask_one(i)
            await deliver_held_cards()
            await env.settle()

            samples: dict[str, list[float]] = {"noop": [], "ask": []}
            walls: dict[str, float] = {"noop": 0.0, "ask": 0.0}
            per_block = n // blocks
            done = 0
            for b in range(blocks):
                size = per_block if b < blocks - 1 else n - done
                for name, one in (("noop", noop_one), ("ask", ask_one)):
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
    p.add_argument(
        "--settle-poll",
        type=float,
        default=0.001,
        help="seconds SimCord's settle loop sleeps when only callbacks remain (SimCord's own "
        "default is 0.05, which the no-op pays in full; 0 keeps SimCord's default)",
    )
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
    if args.settle_poll:
        old = set_settle_poll(args.settle_poll)
        print(
            f"SimCord settle poll: {args.settle_poll * 1000:g} ms (its default: {old * 1000:g} ms)"
        )

    result = await run(n, warmup, args.blocks)
    verdicts = Verdicts(args.small)
    if result["missing"]:
        print("NOT RUN: the bot has no /ask command with a text option (cogs/asking.py missing?)")
        verdicts.check("/ask rate / no-op rate", 0.0, TARGET_RATIO, higher_is_better=True)
        return verdicts.report()

    rates = {name: n / wall for name, wall in result["walls"].items()}
    print("-- figures")
    for name in ("noop", "ask"):
        print(
            f"/{name:5s} {rates[name]:7.1f} interactions/s   "
            f"{fmt_ms(summary_ms(result['samples'][name]))}"
        )
    print(f"questions stored: {result['stored']} of {result['expected']} asked")
    print(f"questions without a moderation card at the end: {result['uncarded']}")
    if result["stored"] != result["expected"] or result["uncarded"]:
        print("FAIL: not every /ask was stored and carded")
        return 0 if args.small else 1
    ratio = rates["ask"] / rates["noop"]
    print(f"ratio /ask : /noop = {ratio:.2f}")
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
