"""Benchmark 5: schedule accuracy: the GSEF program rehearsed at speed 600 under SimCord.

The bot is built as `run_bot.py --rehearse 600` builds it (`create_bot(..., rehearse=600,
clock=utcnow)`) with the real schedule cog, in a server with the session's channels and roles
(the bot's role may see the moderation channel). The 90-minute program then plays in 9 s of real
time; the benchmark waits with real `asyncio.sleep` (APScheduler reads the wall clock, which
SimCord's virtual time does not move) until the rehearsal has recorded every post.

For each post, lateness = when the message was actually sent - when it was due. "Sent" is taken
at the channel send itself (the benchmark wraps `discord.abc.Messageable.send` to stamp the
instant each message returns, matching messages by id with the posts table's message_id); the
posts table's own `posted_at` (the bot's clock read after the send) is reported beside it.
Target: max lateness under 50 ms for the program's posts. The organizers' report, due with the
summary at the program's end, is a file built from the whole log (read, then rendered in a
worker thread) before it is sent: its lateness is that build, measured on its own against
a target of one second.

    python benchmarks/bench_schedule.py            # speed 600: 90 min in 9 s
    python benchmarks/bench_schedule.py --small    # speed 5400: 90 min in 1 s
"""

from __future__ import annotations

import asyncio
import functools
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import discord
import simcord

from benchmarks._common import (
    GSEF_CONFIG,
    GSEF_ID,
    Verdicts,
    as_the_bot_runs,
    build_server,
    header,
    parser,
    percentile,
)
from bot import create_bot
from bot.program import plan_posts
from bot.storage import posts_repo
from bot.timeutil import utcnow

TARGET_MAX_MS = 50.0
TARGET_REPORT_MS = 1000.0
REPORT_KEY = "report"  # the organizers' report's post (bot/schedule.py)


def stamp_sends() -> tuple[dict[int, datetime], Any]:
    """Wrap Messageable.send to note when each message came back (wall clock, UTC)."""
    sent: dict[int, datetime] = {}
    original = discord.abc.Messageable.send

    @functools.wraps(original)
    async def send(self: Any, *args: Any, **kwargs: Any) -> Any:
        message = await original(self, *args, **kwargs)
        sent[message.id] = utcnow()
        return message

    discord.abc.Messageable.send = send  # type: ignore[method-assign]
    return sent, original


async def rehearse(speed: float) -> dict[str, Any]:
    sent, original = stamp_sends()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-schedule-") as tmp:
            bot = create_bot(
                config=GSEF_CONFIG, database=Path(tmp) / "qa.sqlite3", rehearse=speed, clock=utcnow
            )
            env = simcord.Env(bot)
            build_server(env)
            started = time.perf_counter()
            ready_at: list[datetime] = []

            async def note_ready() -> None:
                await bot.wait_until_ready()
                ready_at.append(utcnow())

            watcher = asyncio.get_running_loop().create_task(note_ready())
            await env.start()
            await watcher
            ready = ready_at[0]
            try:
                timeline = bot.timeline(GSEF_ID)
                plan = plan_posts(timeline)
                last_due = max(p.due for p in plan)
                run_id = timeline.run.id
                deadline = last_due + timedelta(seconds=5)
                records: dict[str, posts_repo.PostRecord] = {}
                while utcnow() < deadline:
                    await asyncio.sleep(0.05)
                    records = await bot.db.read(lambda conn: posts_repo.posts_of_run(conn, run_id))
                    if len(records) >= len(plan) and all(
                        r.status != "claimed" for r in records.values()
                    ):
                        break
                await env.settle()
                records = await bot.db.read(lambda conn: posts_repo.posts_of_run(conn, run_id))
                played = time.perf_counter() - started
                return {
                    "plan": plan,
                    "records": records,
                    "sent": dict(sent),
                    "anchor": timeline.run.anchor_at,
                    "ready": ready,
                    "played": played,
                }
            finally:
                await env.shutdown()
                # SimCord's shutdown does not call bot.close(): stop what it would have stopped.
                if bot.scheduler is not None and bot.scheduler.running:
                    bot.scheduler.shutdown(wait=False)
                await bot.db.close()
    finally:
        discord.abc.Messageable.send = original  # type: ignore[method-assign]


async def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--speed", type=float, help="rehearsal speed (600; small 5400)")
    args = p.parse_args()
    speed = args.speed or (5400.0 if args.small else 600.0)
    header("Benchmark 5: schedule accuracy in a rehearsal", args)
    print(as_the_bot_runs())
    print(f"rehearsal speed {speed:g}: the 90-minute program in {5400 / speed:.1f} s")

    result = await rehearse(speed)
    plan, records, sent = result["plan"], result["records"], result["sent"]
    print(
        f"played in {result['played']:.1f} s; the bot was ready (READY received) "
        f"{(result['ready'] - result['anchor']).total_seconds() * 1000:.1f} ms after the "
        "rehearsal's anchor (the first post's due time, set in setup_hook)"
    )
    print("-- each post (lateness = sent - due)")
    late_send: list[float] = []
    late_db: list[float] = []
    report_ms: list[float] = []
    rows = []
    for post in plan:
        record = records.get(post.key)
        if record is None:
            rows.append(f"  {post.key:36s} NOT RECORDED")
            continue
        if record.status != "posted":
            rows.append(f"  {post.key:36s} {record.status}: {record.detail}")
            continue
        at = sent.get(record.message_id or -1)
        send_ms = (at - record.due_at).total_seconds() * 1000 if at else float("nan")
        db_ms = (record.posted_at - record.due_at).total_seconds() * 1000
        if at and post.key == REPORT_KEY:
            report_ms.append(send_ms)
        else:
            if at:
                late_send.append(send_ms)
            late_db.append(db_ms)
        rows.append(
            f"  {post.key:36s} sent {send_ms:7.1f} ms late  (posted_at {db_ms:7.1f} ms)"
            + ("  [late flag]" if record.late else "")
        )
    print("\n".join(rows))
    missing = len(plan) - len(late_send) - len(report_ms)
    verdicts = Verdicts(args.small)
    print("-- figures")
    if not late_send:
        print("no post was sent")
        verdicts.check("max lateness", float("inf"), TARGET_MAX_MS, unit=" ms")
        return verdicts.report()
    p50, worst = percentile(late_send, 50), max(late_send)
    print(
        f"program posts sent: {len(late_send)} of {len(plan) - 1}; lateness p50 {p50:.1f} ms, "
        f"max {worst:.1f} ms (posted_at: p50 {percentile(late_db, 50):.1f} ms, "
        f"max {max(late_db):.1f} ms)"
    )
    ready = result["ready"]
    later = [
        (sent[r.message_id] - r.due_at).total_seconds() * 1000
        for key, r in records.items()
        if r.status == "posted" and r.due_at >= ready and r.message_id in sent and key != REPORT_KEY
    ]
    if later:
        print(
            f"posts due after the bot was ready: {len(later)}; "
            f"p50 {percentile(later, 50):.1f} ms, max {max(later):.1f} ms"
        )
    if missing:
        print(f"FAIL: {missing} post(s) not sent")
    if report_ms:
        print(f"the report, built from the log and sent: {report_ms[0]:.1f} ms after it was due")
    verdicts.check("max lateness (program posts)", worst, TARGET_MAX_MS, unit=" ms", fmt=_f1)
    verdicts.check(
        "report after the program's end",
        report_ms[0] if report_ms else float("inf"),
        TARGET_REPORT_MS,
        unit=" ms",
        fmt=_f1,
    )
    if missing:
        verdicts.check("posts sent", len(late_send), len(plan) - 1, higher_is_better=True)
    return verdicts.report()


def _f1(v: float) -> str:
    return f"{v:.1f}"


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
