"""Forgetting participants: their Discord ids and names leave the log (and its file, byte for
byte), the questions, counts, states and moderation history stay, and every report says so."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import simcord

from bot.maintenance import (
    MaintenanceError,
    due_for_forgetting,
    forget,
    forget_due,
    parse_when,
    scrub,
    session_end,
)
from bot.questions import QuestionService
from bot.reports import build_report, render_report
from bot.sessions import Session, SessionFileError, load_session
from bot.storage import repository as repo
from bot.storage.database import Database
from tests.browser import CHROMIUM, chromium
from tests.conftest import ASEC, GSEF, Clock
from tests.q_world import QA
from tests.test_cli import run_cli

FORMATS = ("json", "csv", "md", "html")
SESSION = "gsef2021-inclusive-society"
NAMES = {
    "zephyr_q": "Zephyrine Quillfeather",
    "orlando_b": "Orlando Brightwater",
    "yusuf_a": "Yusuf Ammerlaan",
    "wenke_t": "Wenke Thorvaldsen",
}


def person(qa: QA, username: str) -> simcord.MemberActor:
    w = qa.world
    return w.guild.add_member(w.env.create_user(username, global_name=NAMES[username]))


def id_patterns(user_id: int) -> list[bytes]:
    """How SQLite may hold an id: as text, or as a record's big-endian integer."""
    patterns = [str(user_id).encode()]
    for size in (8, 6):
        if user_id < 1 << (8 * size - 1):
            patterns.append(user_id.to_bytes(size, "big"))
    return patterns


def raw_hits(database: Path, people: dict[int, list[str]]) -> list[str]:
    """Every id or name of these people found in the database file or its -wal, raw."""
    blobs = [p.read_bytes() for p in (database, Path(f"{database}-wal")) if p.exists()]
    found = []
    for user_id, names in people.items():
        for pattern in id_patterns(user_id):
            if any(pattern in blob for blob in blobs):
                found.append(f"id {user_id} as {pattern!r}")
        for name in names:
            if any(name.encode() in blob for blob in blobs):
                found.append(f"name {name!r}")
    return found


def snapshot(database: Path) -> dict[str, Any]:
    """What must not change: questions, states, counts, votes and the moderation history."""
    with sqlite3.connect(database) as conn:
        return {
            "questions": conn.execute(
                "SELECT number, text, state, votes, anonymous, speaker_id, label_id, asked_at, "
                "answered_at, merged_into FROM questions ORDER BY id"
            ).fetchall(),
            "votes": conn.execute(
                "SELECT question_id, COUNT(*), COUNT(DISTINCT voter_id) FROM votes "
                "GROUP BY question_id ORDER BY question_id"
            ).fetchall(),
            "voters": conn.execute("SELECT COUNT(DISTINCT voter_id) FROM votes").fetchall(),
            "askers": conn.execute("SELECT COUNT(DISTINCT author_id) FROM questions").fetchall(),
            "co_askers": conn.execute(
                "SELECT question_id, from_question_id, anonymous FROM co_askers ORDER BY 1, 2"
            ).fetchall(),
            "events": conn.execute(
                "SELECT question_id, action, at, from_state, to_state, reason FROM "
                "question_events ORDER BY id"
            ).fetchall(),
            "moderation": conn.execute(
                "SELECT id, actor_id, actor_name FROM question_events "
                "WHERE action NOT IN ('asked', 'withdrawn') ORDER BY id"
            ).fetchall(),
            "blocks": conn.execute("SELECT COUNT(*), blocked_by FROM blocks").fetchall(),
            "counts": conn.execute("SELECT * FROM question_counts ORDER BY 1, 2").fetchall(),
        }


async def test_forget_a_whole_session_leaves_no_id_or_name_in_the_file(
    qa: QA, clock: Clock
) -> None:
    w = qa.world
    delivery = w.bot.get_cog("Posting")
    if delivery is not None:  # one card per question, so cards can be found by number
        delivery.pacer.limit = 1_000_000  # type: ignore[attr-defined]
    zephyr, orlando, yusuf, wenke = (person(qa, name) for name in NAMES)

    await qa.ask(zephyr, "How is social housing funded?")  # 1
    await qa.ask(orlando, "Who maintains the buildings?", anonymous=True)  # 2
    await qa.ask(yusuf, "How is the housing paid for?")  # 3, a duplicate of 1
    clock.advance(seconds=31)
    await qa.ask(yusuf, f"Following up on <@{orlando.id}>: who pays for repairs?")  # 4
    for n in (1, 2, 3, 4):
        await w.mod.slash(w.moderation, "qa approve", number=n)
    await orlando.click(qa.vote_message(1), label="👍 0")
    await yusuf.click(qa.vote_message(1), label="👍 1")
    await zephyr.click(qa.vote_message(2), label="👍 0")
    await wenke.click(qa.vote_message(1), label="👍 2")
    await wenke.click(qa.vote_message(1), label="👍 3")  # and takes it back: a deleted row
    await w.mod.slash(w.moderation, "qa edit", number=1, text="How is social housing financed?")
    await w.mod.slash(w.moderation, "qa merge", number=3, into=1)
    clock.advance(seconds=31)
    await qa.ask(orlando, "Never mind", anonymous=True)  # 5
    await orlando.slash(w.questions, "withdraw", number=5)
    clock.advance(seconds=31)
    await qa.ask(zephyr, "Buy followers cheap!!!")  # 6
    await w.mod.click(qa.card(6), label="Block author")
    await w.mod.slash(w.moderation, "qa block", user=wenke)
    await w.mod.slash(w.moderation, "qa next")
    await w.mod.slash(w.moderation, "qa answered")

    people = {who.id: [who.name, NAMES[who.name]] for who in (zephyr, orlando, yusuf, wenke)}
    moderators = {who.id: who.name for who in (w.mod, w.mod2)}
    db = Path(qa.db_path)
    before = snapshot(db)
    assert raw_hits(db, people), "the participants are in the file before: the check works"
    assert qa.rows("SELECT detail FROM run_events WHERE action = 'blocked'")[-1] == (str(wenke.id),)

    # while the bot still runs and holds the file open
    result = await asyncio.to_thread(forget, db, SESSION)
    assert result.participants == 4
    assert (result.first_number, result.last_number) == (1, 4)
    assert result.compacted and result.wal_cleared

    assert raw_hits(db, people) == []
    after = snapshot(db)
    mention = "Following up on @participant 2: who pays for repairs?"  # was <@orlando's id>
    before["questions"][3] = (4, mention, *before["questions"][3][2:])
    assert after == before  # questions, counts, states, moderation history: all kept
    assert any(moderators.get(actor_id) == name for _, actor_id, name in after["moderation"])

    # same person, same pseudonym everywhere: zephyr asked first (1), orlando (2), yusuf (3)
    assert qa.rows("SELECT number, author_id, author_name FROM questions ORDER BY number") == [
        (1, -1, "participant 1"),
        (2, -2, None),  # anonymous stays anonymous
        (3, -3, "participant 3"),
        (4, -3, "participant 3"),
        (5, -2, None),
        (6, -1, "participant 1"),
    ]
    assert sorted(qa.rows("SELECT voter_id FROM votes")) == [(-3,), (-2,), (-1,)]
    assert qa.rows("SELECT user_id FROM co_askers") == [(-3,)]
    assert sorted(qa.rows("SELECT user_id FROM blocks")) == [(-4,), (-1,)]
    assert qa.rows("SELECT detail FROM run_events WHERE action = 'blocked'")[-1] == (
        "participant 4",
    )
    assert qa.rows("SELECT COUNT(*) FROM questions WHERE source_message_id IS NOT NULL") == [(0,)]

    # every report still renders, says the log was anonymized, and names no participant
    today = result.at.strftime("%Y-%m-%d")
    for fmt in FORMATS:
        text = (await render_report(db, fmt)).decode("utf-8-sig")
        assert ('"-1"' if fmt == "json" else "participant 1") in text, fmt
        for user_id, names in people.items():
            assert str(user_id) not in text, fmt
            assert not any(name in text for name in names), fmt
        if fmt in ("md", "html"):
            assert f"anonymized on {today}" in text, fmt
    data = json.loads(await render_report(db, "json"))
    assert data["sessions"][0]["anonymized_at"].startswith(today)
    assert [q["author_id"] for q in data["sessions"][0]["questions"]][:3] == ["-1", None, "-3"]
    report = await build_report(db)
    stats = report.runs[0].stats
    assert (stats.questions, stats.participants_who_asked, stats.voters) == (6, 3, 3)

    # the bot goes on working with the forgotten log
    await w.mod.slash(w.moderation, "qa queue")
    assert qa.rows("PRAGMA integrity_check") == [("ok",)]


# ------------------------------------------------------------------------- the core


@pytest.fixture
async def log(tmp_path: Path, clock: Clock) -> AsyncIterator[tuple[Path, QuestionService, Any]]:
    """A real run of the GSEF session through the question core, with no Discord."""
    path = tmp_path / "qa.sqlite3"
    db = Database(path)
    await db.open()
    session = load_session(GSEF)

    async def prepare(conn: Any) -> repo.Run:
        await repo.upsert_session(conn, session, clock())
        return await repo.real_run(conn, session.id, clock())

    run = await db.write(prepare)
    yield path, QuestionService(db, clock), (session, run)
    await db.close()


ALICE = 1_100_000_000_000_000_001
BOB = 1_100_000_000_000_000_002
MOD = 900_000_000_000_000_009


async def test_before_a_date_forgets_only_what_was_asked_before_it(
    log: tuple[Path, QuestionService, Any], clock: Clock
) -> None:
    path, service, (session, run) = log
    first = await service.ask(session, run, ALICE, "Alice Early", "Early question?")
    await service.approve(run.id, first.number, MOD, "mona")
    await service.toggle_vote(first.id, BOB)
    clock.advance(minutes=10)
    cut = clock()
    clock.advance(minutes=1)
    late = await service.ask(session, run, BOB, "Bob Late", "Late question?")
    await service.approve(run.id, late.number, MOD, "mona")
    await service.toggle_vote(late.id, ALICE)

    result = forget(path, SESSION, before=cut, now=clock())
    assert (result.participants, result.questions) == (2, 1)  # Alice asked, Bob voted
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT number, author_id, author_name FROM questions").fetchall()
        assert rows == [(1, -1, "participant 1"), (2, BOB, "Bob Late")]
        votes = conn.execute("SELECT question_id, voter_id FROM votes ORDER BY 1").fetchall()
        assert votes == [(first.id, -2), (late.id, ALICE)]
        record = conn.execute("SELECT before, participants FROM anonymizations").fetchall()
        assert record == [(cut.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), 2)]
    md = (await render_report(path, "md")).decode()
    assert f"for questions asked before {cut:%Y-%m-%d %H:%M} UTC" in md

    # a later pass numbers after the last pseudonym: no number ever names two people
    later = forget(path, SESSION, now=clock())
    assert (later.first_number, later.last_number) == (3, 4)
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT number, author_id, author_name FROM questions").fetchall()
        assert rows == [(1, -1, "participant 1"), (2, -3, "participant 3")]
        assert conn.execute("SELECT voter_id FROM votes ORDER BY 1").fetchall() == [(-4,), (-2,)]


async def test_forget_twice_changes_nothing_the_second_time(
    log: tuple[Path, QuestionService, Any], clock: Clock
) -> None:
    path, service, (session, run) = log
    await service.ask(session, run, ALICE, "Alice", "A question?")
    assert forget(path, SESSION, now=clock()).participants == 1
    again = forget(path, SESSION, now=clock())
    assert again.participants == 0 and not again.compacted
    assert "Nothing to forget" in again.line()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM anonymizations").fetchone() == (1,)


async def test_a_moderator_who_also_asked_keeps_the_moderation_record_only(
    log: tuple[Path, QuestionService, Any], clock: Clock
) -> None:
    path, service, (session, run) = log
    own = await service.ask(session, run, MOD, "Mona", "A moderator's own question?")
    await service.approve(run.id, own.number, MOD, "Mona")
    forget(path, SESSION, now=clock())
    with sqlite3.connect(path) as conn:
        events = conn.execute("SELECT action, actor_id, actor_name FROM question_events")
        assert events.fetchall() == [
            ("asked", -1, "participant 1"),  # as an asker: forgotten
            ("approved", MOD, "Mona"),  # as a moderator: kept
        ]


async def test_an_empty_or_unknown_session_and_a_bad_file(tmp_path: Path, log: Any) -> None:
    path = log[0]
    nothing = forget(path, SESSION)
    assert nothing.participants == 0 and "Nothing to forget" in nothing.line()
    with pytest.raises(MaintenanceError, match="No session 'nope'"):
        forget(path, "nope")
    with pytest.raises(MaintenanceError, match="No database"):
        forget(tmp_path / "missing.sqlite3", SESSION)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(MaintenanceError, match="not a usable SQLite database"):
        forget(junk, SESSION)


def test_scrub_replaces_only_participants_ids() -> None:
    numbers = {str(ALICE): 7}
    assert scrub(f"thanks <@{ALICE}> and <@!{ALICE}>", numbers) == (
        "thanks @participant 7 and @participant 7"
    )
    assert scrub(str(ALICE), numbers) == "participant 7"
    assert scrub(f"{BOB} and 1234 and #12", numbers) == f"{BOB} and 1234 and #12"
    detail = json.loads(scrub(json.dumps({"user": ALICE, "note": f"<@{ALICE}>", "n": 3}), numbers))
    assert detail == {"user": -7, "note": "@participant 7", "n": 3}


def test_parse_when() -> None:
    assert parse_when("2021-10-05") == datetime(2021, 10, 5, tzinfo=UTC)
    assert parse_when("2021-10-05T09:30") == datetime(2021, 10, 5, 9, 30, tzinfo=UTC)
    assert parse_when("2021-10-05T18:30+09:00") == datetime(2021, 10, 5, 9, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a date"):
        parse_when("last tuesday")


# ------------------------------------------------------------------- on time, and settings


def with_privacy(session: Session, days: int | None) -> Session:
    spec = session.spec.model_copy(
        update={"privacy": session.spec.privacy.model_copy(update={"forget_after_days": days})}
    )
    return Session(spec, session.source)


def test_due_for_forgetting_counts_days_from_the_sessions_end() -> None:
    gsef = with_privacy(load_session(GSEF), 30)
    never = with_privacy(load_session(ASEC), None)
    end = session_end(gsef)
    assert end == datetime(2021, 10, 4, 10, 30, tzinfo=UTC)  # 19:30 KST
    assert due_for_forgetting([gsef, never], end + timedelta(days=30, seconds=-1)) == []
    due = due_for_forgetting([gsef, never], end + timedelta(days=30))
    assert [(d.session_id, d.due_at) for d in due] == [(SESSION, end + timedelta(days=30))]


async def test_forget_due_forgets_what_is_due_and_skips_sessions_not_in_the_log(
    log: tuple[Path, QuestionService, Any], clock: Clock
) -> None:
    path, service, (session, run) = log
    await service.ask(session, run, ALICE, "Alice", "A question?")
    sessions = [with_privacy(session, 0), with_privacy(load_session(ASEC), 0)]
    results = forget_due(path, sessions, now=session_end(session) + timedelta(hours=1))
    assert [(r.session_id, r.participants) for r in results] == [(SESSION, 1)]


def test_the_session_file_setting(tmp_path: Path) -> None:
    text = GSEF.read_text(encoding="utf-8")
    good = tmp_path / "good.toml"
    good.write_text(text + "\n[privacy]\nforget_after_days = 30\n", encoding="utf-8")
    assert load_session(good).spec.privacy.forget_after_days == 30
    assert load_session(GSEF).spec.privacy.forget_after_days is None
    bad = tmp_path / "bad.toml"
    bad.write_text(text + "\n[privacy]\nforget_after_days = -1\n", encoding="utf-8")
    with pytest.raises(SessionFileError, match=r"privacy\.forget_after_days"):
        load_session(bad)


# ------------------------------------------------------------------------ command line


async def test_the_forget_command(log: tuple[Path, QuestionService, Any], clock: Clock) -> None:
    path, service, (session, run) = log
    await service.ask(session, run, ALICE, "Alice", "A question?")
    await asyncio.sleep(0)
    bad_date = run_cli("forget", "--database", str(path), "--session", SESSION, "--before", "x")
    assert bad_date.returncode == 2 and "not a date" in bad_date.stderr
    unknown = run_cli("forget", "--database", str(path), "--session", "nope")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == f"No session 'nope' in {path}."
    done = run_cli("forget", "--database", str(path), "--session", SESSION)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Forgot 1 participant of session {SESSION}")
    assert len(done.stdout.strip().splitlines()) == 1


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary on this machine")
async def test_the_anonymized_html_report_in_a_browser(
    log: tuple[Path, QuestionService, Any], clock: Clock, tmp_path: Path
) -> None:
    path, service, (session, run) = log
    await service.ask(session, run, ALICE, "Alice Liddell", "A question?")
    forget(path, SESSION, now=clock())
    page = tmp_path / "report.html"
    page.write_bytes(await render_report(path, "html"))
    assert CHROMIUM is not None
    shown = await asyncio.to_thread(chromium, tmp_path, "--dump-dom", page.as_uri())
    dom = shown.stdout.decode("utf-8")
    day = clock().strftime("%Y-%m-%d")
    assert f'<dt>Privacy</dt><dd class="anonymized">The log was anonymized on {day}' in dom
    assert "participant 1" in dom and "Alice" not in dom
