"""The program on schedule, under a simulated Discord: rehearsals, restarts, delays, time zones.

Rehearsals here play the 90-minute GSEF program in about two seconds of real time; the tests wait
with short real sleeps (APScheduler fires on the wall clock) and then let SimCord settle.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import simcord

from bot.app import QABot
from bot.program import Timeline, plan_posts
from bot.sessions import load_session
from bot.storage import repository as repo
from bot.storage.database import Database
from bot.timeutil import from_db, to_db, utcnow
from tests.conftest import GSEF, World, build_world, finish

SPEED = 2700.0  # the 90-minute program in 2 s
GSEF_ID = "gsef2021-inclusive-society"
DATA = Path(__file__).resolve().parent / "data"
SEGMENTS = [
    "connection-check",
    "moderator-introduction",
    "session-introduction",
    "presentation-1",
    "presentation-2",
    "presentation-3",
    "presentation-4",
    "moderated-discussion",
    "participant-qa",
    "closing-remarks",
]


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture
def speed() -> float | None:
    """The rehearsal speed of the bot under test; None plays the real run on the fixed clock."""
    return SPEED


@pytest.fixture
def settle_timeout() -> float:
    """How long SimCord lets bot work run after each action (its own default: 5 s)."""
    return 5.0


@pytest.fixture
async def env(
    make_bot: Callable[..., QABot], speed: float | None, settle_timeout: float
) -> AsyncIterator[simcord.Env]:
    bot = make_bot() if speed is None else make_bot(rehearse=speed, clock=utcnow)
    environment = simcord.Env(bot, settle_timeout=settle_timeout)
    yield environment
    await finish(environment)


@pytest.fixture
def schedule_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The schedule's INFO log, captured from before the bot starts."""
    caplog.set_level(logging.INFO, logger="bot.schedule")
    return caplog


@pytest.fixture
async def world(env: simcord.Env) -> World:
    w = build_world(env)
    await env.start()
    return w


# ------------------------------------------------------------------------------ helpers


def posts(db_path: Path, run_id: int | None = None) -> dict[str, sqlite3.Row]:
    """The posts table, read through a separate connection, by key."""
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        where, args = ("WHERE run_id = ?", (run_id,)) if run_id is not None else ("", ())
        rows = conn.execute(f"SELECT * FROM posts {where} ORDER BY rowid", args).fetchall()
    return {row["key"]: row for row in rows}


async def wait_until(env: simcord.Env, done: Callable[[], bool], within: float = 5.0) -> None:
    """Sleep in short real steps (the scheduler runs on the wall clock) until `done()`."""
    deadline = time.monotonic() + within
    while not done():
        assert time.monotonic() < deadline, "timed out waiting for the schedule"
        await asyncio.sleep(0.05)
    await env.settle()


def answer(result: Any) -> str:
    """The text a command's user sees: its response, or its first follow-up after a defer."""
    if result.followups:
        return str(result.followups[0].content)
    assert result.response is not None
    return str(result.response.content)


def texts(channel: simcord.ChannelHandle) -> list[str]:
    return [m.content or "" for m in channel.history()]


def ts(moment: datetime, style: str = "t") -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


async def prepare_rehearsal(
    db_path: Path, speed: float, *, questions: bool = False, override: str | None = None
) -> int:
    """Create the rehearsal run before the bot starts (the bot resumes it), with its state.

    SimCord settles for up to 5 s while the bot starts, and a fast rehearsal plays within that,
    so whatever the program should find (questions, a moderator's override) is set up first.
    """
    session = load_session(GSEF)
    db = Database(db_path)
    await db.open()
    try:
        now = utcnow()

        async def create(conn: aiosqlite.Connection) -> int:
            await repo.upsert_session(conn, session, now)
            run = await repo.rehearsal_run(conn, session.id, speed, now)
            if override is not None:
                await repo.set_intake_override(conn, run.id, override, None, now)
            return run.id

        run_id = await db.write(create)
        if questions:
            await seed_questions(db, run_id)
    finally:
        await db.close()
    return run_id


async def seed_questions(db: Database, run_id: int) -> None:
    """Questions in several states, written as the questions core would leave them."""
    base = utcnow()
    rows = [  # number, state, votes
        (1, "approved", 2),
        (2, "approved", 5),
        (3, "approved", 5),  # ties with #2 but was asked later
        (4, "pending", 0),
        (5, "answered", 1),
        (6, "live", 3),
    ]

    async def write(conn: aiosqlite.Connection) -> None:
        for number, state, votes in rows:
            at = to_db(base + timedelta(milliseconds=number))
            await conn.execute(
                "INSERT INTO questions (run_id, number, author_id, author_name, anonymous, text, "
                "state, asked_at, updated_at, votes, live_message_id) "
                "VALUES (?, ?, ?, NULL, 1, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    number,
                    1000 + number,
                    f"Question number {number}?",
                    state,
                    at,
                    at,
                    votes,
                    1 if state == "live" else None,  # its announcement was posted
                ),
            )

    await db.write(write)


# ------------------------------------------------------------------------------ rehearsal


async def test_a_rehearsal_plays_the_whole_program_once_in_order(
    env: simcord.Env, db_path: Path
) -> None:
    run_id = await prepare_rehearsal(db_path, SPEED, questions=True)
    world = build_world(env)
    started = time.monotonic()
    await env.start()
    bot = world.bot
    run = bot.runs[GSEF_ID]
    assert (run.id, run.kind) == (run_id, "rehearsal")
    await wait_until(world.env, lambda: "summary" in posts(db_path, run.id))
    played = time.monotonic() - started

    timeline = bot.timeline(GSEF_ID)
    plan = plan_posts(timeline)
    recorded = posts(db_path, run.id)
    assert set(recorded) == {p.key for p in plan}
    assert {r["status"] for r in recorded.values()} == {"posted"}
    assert not any(r["late"] for r in recorded.values())

    live = texts(world.live)
    assert all("Rehearsal" in text for text in live), live
    segment_posts = [t for t in live if "**Now: " in t]
    assert len(segment_posts) == len(SEGMENTS) == len(live) - 2
    for text, slot in zip(segment_posts, bot.sessions[GSEF_ID].slots, strict=True):
        assert f"**Now: {slot.segment.title}**" in text
        start = timeline.to_real(slot.start)
        end = timeline.to_real(slot.end)
        assert f"{ts(start)} – {ts(end)}" in text
    assert "Questions are open" in live[1] and "Questions are closed" in live[-1]
    talk = segment_posts[3]
    assert "🎤 Ms. Joyce N. Mundara — Neighbourside Housing Co-operative Society, Kenya" in talk
    assert "Talk: *Leaving No One Behind - Going Back for Our Forgotten Managers*" in talk
    discussion = segment_posts[7]
    assert "*Round 1*" in discussion and "*Round 2*" in discussion
    assert "3. What should an inclusive community be like?" in discussion
    qa = segment_posts[8]
    assert f"`/ask` in {world.questions.mention}" in qa
    assert "3 approved questions waiting." in qa

    # the program's messages (the questions' cards, posted at start, have no text content)
    moderation = [t for t in texts(world.moderation) if t]
    assert len(moderation) == 4
    # and at the end, the report for organizers, as a file
    assert "Here is the Q&A report (6 questions)" in moderation[3]
    last = world.moderation.history()[-1]
    assert [a.filename for a in last.attachments] == [f"{GSEF_ID}-rehearsal-report.html"]
    assert "Questions and discussions guided by the moderator" in moderation[0]
    assert "Q&A: from participants via chat" in moderation[1]
    for reminder in moderation[:2]:
        assert "Queue: 1 pending · 3 approved." in reminder
        assert "Top question: #2 (5 votes): Question number 2?" in reminder
    assert (
        "Asked: 6 · Approved: 5 · Answered: 1 · Still unanswered: 4 · "
        "Pending (never moderated): 1" in moderation[2]
    )
    # each reminder went out before its segment, and intake followed its window
    for seg in ("moderated-discussion", "participant-qa"):
        assert recorded[f"reminder:{seg}"]["posted_at"] < recorded[f"segment:{seg}"]["posted_at"]
    assert timeline.intake_open(from_db(recorded["intake:open"]["posted_at"]))
    assert not timeline.intake_open(from_db(recorded["summary"]["posted_at"]))

    lateness = [
        (from_db(r["posted_at"]) - from_db(r["due_at"])).total_seconds() for r in recorded.values()
    ]
    print(
        f"\nrehearsal x{SPEED:g}: the program played in {played:.2f} s; {len(lateness)} posts, "
        f"sent after their time by max {max(lateness) * 1000:.1f} ms, "
        f"mean {sum(lateness) / len(lateness) * 1000:.1f} ms"
    )
    assert max(lateness) < 0.5
    # played to its end: the next --rehearse starts a fresh rehearsal
    assert bot.runs[GSEF_ID].ended_at is not None
    # a rehearsal's posts belong to its own run, never to the real session's
    assert posts(db_path) == recorded and {r["run_id"] for r in recorded.values()} == {run.id}
    with sqlite3.connect(db_path) as conn:
        kinds = conn.execute("SELECT kind FROM runs").fetchall()
    assert kinds == [("rehearsal",)]


RESTART_SPEED = 960.0  # the program lasts 5.6 s: longer than SimCord's 5 s start-up settle


@pytest.mark.parametrize(("speed", "settle_timeout"), [(RESTART_SPEED, 0.2)])
async def test_a_restart_mid_rehearsal_repeats_nothing_and_misses_nothing(
    world: World, make_bot: Callable[..., QABot], db_path: Path
) -> None:
    # SimCord let the first bot run for up to 5 s while it started: the rehearsal is under way
    run_id = world.bot.runs[GSEF_ID].id
    before = set(posts(db_path, run_id))
    assert len(before) >= 5
    await world.env.restart_bot(make_bot(rehearse=RESTART_SPEED, clock=utcnow))
    assert world.bot.runs[GSEF_ID].id == run_id  # the same rehearsal goes on
    await wait_until(world.env, lambda: "summary" in posts(db_path, run_id))

    recorded = posts(db_path, run_id)
    assert set(recorded) == {p.key for p in plan_posts(world.bot.timeline(GSEF_ID))}
    assert {r["status"] for r in recorded.values()} == {"posted"}
    after = set(recorded) - before
    assert after, "the restart came after the end of the program; the test proves nothing"
    live = texts(world.live)
    for slot in world.bot.sessions[GSEF_ID].slots:
        assert sum(f"**Now: {slot.segment.title}**" in t for t in live) == 1, slot.id
    assert len(live) == len(SEGMENTS) + 2
    assert len(texts(world.moderation)) == 4  # two reminders, the summary, the report
    lateness = max(
        (from_db(r["posted_at"]) - from_db(r["due_at"])).total_seconds()
        for key, r in recorded.items()
        if key in after
    )
    print(
        f"\nrestart after {len(before)} posts; {len(after)} posted by the restarted bot, "
        f"at most {lateness * 1000:.1f} ms after their time"
    )


# ------------------------------------------------------------------------------ real run


@pytest.mark.parametrize("speed", [None])
async def test_posts_missed_while_down_are_late_or_skipped(
    schedule_logs: pytest.LogCaptureFixture,
    world: World,
    make_bot: Callable[..., QABot],
    db_path: Path,
) -> None:
    """The bot starts at 19:15 KST, in the Q&A: it was down since before the session began."""
    caplog = schedule_logs
    await world.env.restart_bot(make_bot())  # the first start's catch-up is already recorded
    await world.env.settle()
    run = world.bot.runs[GSEF_ID]
    recorded = posts(db_path, run.id)
    for seg in SEGMENTS[:8]:
        assert recorded[f"segment:{seg}"]["status"] == "skipped"
        assert "already over" in recorded[f"segment:{seg}"]["detail"]
    assert recorded["reminder:participant-qa"]["status"] == "skipped"
    assert (
        recorded["segment:participant-qa"]["status"],
        recorded["segment:participant-qa"]["late"],
    ) == ("posted", 1)
    assert (recorded["intake:open"]["status"], recorded["intake:open"]["late"]) == ("posted", 1)
    assert "segment:closing-remarks" not in recorded
    live = texts(world.live)
    assert len(live) == 2  # posted once, not again after the restart
    assert "Questions are open" in live[0]  # missed posts go out in program order
    assert "**Now: Q&A: from participants via chat**" in live[1]
    assert "Posted late" in live[1] and "Rehearsal" not in live[1]
    logged = [r.getMessage() for r in caplog.get_records("setup")]  # the first start
    assert any("skipped segment:connection-check" in m and "already over" in m for m in logged)
    # what is still to come is scheduled, at its real time
    scheduler = world.bot.scheduler
    assert scheduler is not None
    job = scheduler.get_job(f"{run.id}:segment:closing-remarks")
    assert job is not None
    assert abs((job.next_run_time - (utcnow() + timedelta(minutes=10))).total_seconds()) < 2


@pytest.mark.parametrize("speed", [None])
async def test_program_shows_the_agenda_with_the_live_segment(world: World) -> None:
    result = await world.alice.slash(world.questions, "program")
    assert result.ephemeral
    text = answer(result)
    session = world.bot.sessions[GSEF_ID]
    for slot in session.slots:
        assert ts(slot.start) in text
    assert f"▶️ **{ts(session.slots[8].start)}–{ts(session.slots[8].end)} Q&A" in text
    assert text.count("← now") == 1
    assert text.count("✓ ") == 8
    assert "Rehearsal" not in text
    elsewhere = await world.bob.slash(world.general, "program")  # the bot's one session
    assert elsewhere.ephemeral and "← now" in answer(elsewhere)


@pytest.mark.parametrize("speed", [None])
async def test_schedule_status_shows_the_next_posts(world: World) -> None:
    result = await world.mod.slash(world.questions, "schedule status")
    assert result.ephemeral
    text = answer(result)
    assert "Delay: none" in text
    assert "Questions: open (by schedule)" in text
    lines = text.splitlines()
    first = lines.index("Next posts:") + 1
    assert "Segment: Closing remarks" in lines[first]
    assert "Questions close" in lines[first + 1]
    assert "Closing summary to moderators" in lines[first + 2]


# ------------------------------------------------------------------------------ delays


@pytest.mark.parametrize("speed", [5.0])  # a program minute lasts 12 s
async def test_a_delay_shifts_the_segments_not_started_and_survives_a_restart(
    world: World, make_bot: Callable[..., QABot], db_path: Path
) -> None:
    bot = world.bot
    run = bot.runs[GSEF_ID]
    await world.env.settle()
    base = {p.key: p.due for p in plan_posts(bot.timeline(GSEF_ID))}
    refused = await world.alice.slash(world.questions, "schedule delay", minutes=10)
    assert refused.ephemeral and "Only moderators" in (answer(refused))
    result = await world.mod.slash(world.moderation, "schedule delay", minutes=10)
    assert result.ephemeral and "Delay of +10 min applied to 9 segments" in answer(result)
    started = set(posts(db_path, run.id))
    assert started == {"segment:connection-check", "intake:open"}

    shift = timedelta(minutes=10) / 5  # 2 minutes of rehearsal time

    def check_jobs(current: QABot) -> None:
        scheduler = current.scheduler
        assert scheduler is not None
        for key, due in base.items():
            job = scheduler.get_job(f"{run.id}:{key}")
            if key in started:
                assert job is None
                continue
            assert job is not None, key
            expected = due if key == "intake:open" else due + shift
            assert abs((job.next_run_time - expected).total_seconds()) < 0.05, key

    check_jobs(bot)
    notices = [t for t in texts(world.live) if "running 10 minutes later" in t]
    assert len(notices) == 1
    for slot in bot.sessions[GSEF_ID].slots[1:]:
        assert f"{ts(base['segment:' + slot.id] + shift)} {slot.segment.title[:60]}" in notices[0]
    agenda = answer(await world.alice.slash(world.questions, "program"))
    # the running segment keeps its start and lasts until the shifted next one
    running = base["segment:connection-check"]
    until = base["segment:moderator-introduction"] + shift
    assert f"▶️ **{ts(running)}–{ts(until)} Internet connection check** ← now" in agenda
    assert "running 10 min late" in agenda

    await world.env.restart_bot(make_bot(rehearse=5.0, clock=utcnow))
    assert world.bot.runs[GSEF_ID].delay_seconds == 600
    check_jobs(world.bot)
    status = answer(await world.mod.slash(world.questions, "schedule status"))
    assert "Delay: +10 min" in status
    assert posts(db_path, run.id)["segment:connection-check"]["due_at"] == to_db(
        base["segment:connection-check"]
    )
    assert sum("running 10 minutes later" in t for t in texts(world.live)) == 1


# ------------------------------------------------------------------------------ time zones


def offset_clock(target: datetime) -> Callable[[], datetime]:
    """A clock that reads `target` now and runs with the wall clock."""
    offset = utcnow() - target
    return lambda: utcnow() - offset


async def test_mexico_city_and_seoul_post_at_the_same_instant(
    make_bot: Callable[..., QABot], tmp_path: Path, db_path: Path
) -> None:
    config = tmp_path / "sessions"
    config.mkdir()
    for name in ("schedule-mexico.toml", "schedule-seoul.toml"):
        shutil.copy(DATA / name, config / name)
    start = datetime(2021, 10, 4, 9, 0, tzinfo=UTC)
    bot = make_bot(config=config, clock=offset_clock(start - timedelta(seconds=0.4)))
    env = simcord.Env(bot)
    guild = env.create_guild("Two cities")
    channels = {
        name: guild.create_text_channel(name)
        for suffix in ("mx", "kr")
        for name in (f"questions-{suffix}", f"moderation-{suffix}", f"live-{suffix}")
    }
    await env.start()
    try:
        runs = [bot.runs["tz-mexico"].id, bot.runs["tz-seoul"].id]
        await wait_until(env, lambda: all(len(posts(db_path, run)) == 2 for run in runs))
        recorded = {}
        for session_id in ("tz-mexico", "tz-seoul"):
            rows = posts(db_path, bot.runs[session_id].id)
            assert set(rows) == {"segment:welcome", "intake:open"}
            assert all(not r["late"] for r in rows.values())
            recorded[session_id] = from_db(rows["segment:welcome"]["posted_at"])
        gap = abs((recorded["tz-mexico"] - recorded["tz-seoul"]).total_seconds())
        print(f"\nMexico City and Seoul welcome posts {gap * 1000:.1f} ms apart")
        assert gap < 0.1
        assert recorded["tz-mexico"] >= start
        for live in ("live-mx", "live-kr"):
            welcome = texts(channels[live])[0]
            assert f"{ts(start)} – {ts(start + timedelta(minutes=10))}" in welcome
    finally:
        await env.shutdown()


async def test_a_session_across_a_dst_change_posts_the_right_times(
    make_bot: Callable[..., QABot], db_path: Path
) -> None:
    start = datetime(2021, 11, 7, 5, 30, tzinfo=UTC)  # 01:30 EDT
    bot = make_bot(
        config=DATA / "schedule-dst.toml", clock=offset_clock(start - timedelta(seconds=0.3))
    )
    env = simcord.Env(bot)
    guild = env.create_guild("New York")
    live = guild.create_text_channel("session-live")
    guild.create_text_channel("questions")
    await env.start()
    try:
        await wait_until(env, lambda: "segment:before-change" in posts(db_path))
        first = texts(live)[0]
        # 01:30 EDT to 02:30 EST: two real hours
        assert f"{ts(start)} – {ts(start + timedelta(hours=2))}" in first
        timeline: Timeline = bot.timeline("dst-new-york")
        assert timeline.intake_closes_at() == datetime(2021, 11, 7, 8, 30, tzinfo=UTC)
    finally:
        await env.shutdown()


# ------------------------------------------------------------------------------ intake override


async def test_scheduled_intake_posts_respect_a_moderator_who_opened_it_by_hand(
    env: simcord.Env, db_path: Path
) -> None:
    run_id = await prepare_rehearsal(db_path, SPEED, override="open")
    world = build_world(env)
    await env.start()
    await wait_until(env, lambda: "summary" in posts(db_path, run_id))
    recorded = posts(db_path, run_id)
    assert recorded["intake:open"]["status"] == "skipped"
    assert "already opened intake by hand" in recorded["intake:open"]["detail"]
    assert recorded["intake:close"]["status"] == "skipped"
    assert "keeps intake open" in recorded["intake:close"]["detail"]
    live = texts(world.live)
    assert not any("Questions are" in t for t in live)
    assert len(live) == len(SEGMENTS)
    summary = [t for t in texts(world.moderation) if "Q&A summary" in t]
    assert "Intake is still open: a moderator opened it by hand" in summary[-1]
