"""The question core without Discord: state machine, intake rules, group commit, races."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from bot.errors import Refusal
from bot.questions import QuestionService
from bot.sessions import Session, load_session
from bot.states import TRANSITIONS, can_move
from bot.storage import questions_repo as qrepo
from bot.storage import repository as repo
from bot.storage.database import Database
from bot.storage.repository import Run
from tests.conftest import GSEF, Clock

MOD = (900, "mona")
MOD2 = (901, "mateo")


@dataclass
class Core:
    db: Database
    service: QuestionService
    session: Session
    run: Run
    clock: Clock
    path: Path

    async def ask(self, author: int, text: str = "What about housing?", **kw: object) -> int:
        q = await self.service.ask(
            kw.pop("session", self.session),  # type: ignore[arg-type]
            self.run,
            author,
            kw.pop("name", f"user{author}"),  # type: ignore[arg-type]
            text,
            **kw,  # type: ignore[arg-type]
        )
        return q.number

    def rows(self, sql: str, *params: object) -> list[tuple]:
        with sqlite3.connect(self.path) as conn:
            return conn.execute(sql, params).fetchall()


def with_rules(session: Session, **rules: object) -> Session:
    spec = session.spec.model_copy(
        update={"questions": session.spec.questions.model_copy(update=rules)}
    )
    return Session(spec, session.source)


@pytest.fixture
async def core(tmp_path: Path, clock: Clock) -> AsyncIterator[Core]:
    path = tmp_path / "core.sqlite3"
    db = Database(path)
    await db.open()
    session = load_session(GSEF)
    now = clock()

    async def prepare(conn):
        await repo.upsert_session(conn, session, now)
        return await repo.real_run(conn, session.id, now)

    run = await db.write(prepare)
    yield Core(db, QuestionService(db, clock), session, run, clock, path)
    await db.close()


# ------------------------------------------------------------- state machine


def test_transition_table_is_the_documented_one() -> None:
    expected = {
        "pending": {"approved", "rejected", "withdrawn"},
        "approved": {"live", "dismissed", "merged", "withdrawn", "answered"},
        "live": {"answered", "approved"},
    }
    assert expected == TRANSITIONS
    for final in ("rejected", "withdrawn", "answered", "dismissed", "merged"):
        assert not any(can_move(final, s) for s in ("pending", "approved", "live"))
    assert not can_move("pending", "live")


async def test_happy_path_and_audit_trail(core: Core) -> None:
    n = await core.ask(1)
    assert n == 1
    s = core.service
    q = await s.approve(core.run.id, 1, *MOD)
    assert q.state == "approved"
    live, previous = await s.next_question(core.run.id, *MOD)
    assert (live.number, live.state, previous) == (1, "live", None)
    done = await s.answered(core.run.id, *MOD)
    assert done.state == "answered" and done.answered_at is not None
    events = await s.events(q.id)
    assert [(e.action, e.from_state, e.to_state, e.actor_name) for e in events] == [
        ("asked", None, "pending", "user1"),
        ("approved", "pending", "approved", "mona"),
        ("live", "approved", "live", "mona"),
        ("answered", "live", "answered", "mona"),
    ]


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("pending", "pick"),
        ("pending", "dismiss"),
        ("rejected", "approve"),
        ("approved", "approve"),
        ("approved", "reject"),
        ("withdrawn", "approve"),
        ("answered", "pick"),
        ("dismissed", "dismiss"),
    ],
)
async def test_forbidden_transitions_refuse_and_change_nothing(
    core: Core, setup: str, action: str
) -> None:
    s, run = core.service, core.run.id
    await core.ask(1)
    if setup in ("approved", "answered", "dismissed"):
        await s.approve(run, 1, *MOD)
    if setup == "answered":
        await s.pick(run, 1, *MOD)
        await s.answered(run, *MOD)
    if setup == "dismissed":
        await s.dismiss(run, 1, *MOD)
    if setup == "rejected":
        await s.reject(run, 1, *MOD)
    if setup == "withdrawn":
        await s.withdraw(run, 1, 1)
    before = core.rows("SELECT state, updated_at FROM questions")
    events_before = core.rows("SELECT COUNT(*) FROM question_events")
    calls = {
        "pick": lambda: s.pick(run, 1, *MOD2),
        "dismiss": lambda: s.dismiss(run, 1, *MOD2),
        "approve": lambda: s.approve(run, 1, *MOD2),
        "reject": lambda: s.reject(run, 1, *MOD2),
    }
    with pytest.raises(Refusal) as refused:
        await calls[action]()
    assert "#1" in refused.value.message
    assert core.rows("SELECT state, updated_at FROM questions") == before
    assert core.rows("SELECT COUNT(*) FROM question_events") == events_before


async def test_refusal_names_who_handled_it(core: Core) -> None:
    await core.ask(1)
    await core.service.approve(core.run.id, 1, *MOD)
    with pytest.raises(Refusal, match=r"#1 was already approved by mona\."):
        await core.service.approve(core.run.id, 1, *MOD2)
    with pytest.raises(Refusal, match="approved by mona"):
        await core.service.reject(core.run.id, 1, *MOD2)


async def test_live_goes_back_to_approved_and_next_answers_previous(core: Core) -> None:
    s, run = core.service, core.run.id
    for author in (1, 2, 3):
        await core.ask(author)
        await s.approve(run, author, *MOD)
    await s.toggle_vote((await s.get(run, 3)).id, 7)  # type: ignore[union-attr]
    live, _ = await s.next_question(run, *MOD)
    assert live.number == 3  # most votes first
    back = await s.requeue(run, 3, *MOD)
    assert back.state == "approved"
    live, _ = await s.pick(run, 2, *MOD)
    live2, previous = await s.next_question(run, *MOD)
    assert live2.number == 3 and previous is not None and previous.number == 2
    assert previous.state == "answered"
    counts = (await s.queue(run)).counts
    assert counts["live"] == 1 and counts["answered"] == 1 and counts["approved"] == 1


# -------------------------------------------------------------- intake rules


async def test_numbers_start_at_one_per_run(core: Core) -> None:
    assert await core.ask(1) == 1
    assert await core.ask(2) == 2
    other = await core.db.write(
        lambda conn: repo.rehearsal_run(conn, core.session.id, 10.0, core.clock())
    )
    other = replace(other, intake_override="open")
    q = await core.service.ask(core.session, other, 1, "a", "Again?")
    assert q.number == 1


@pytest.mark.parametrize(
    ("text", "kw", "rules", "pattern"),
    [
        ("   ", {}, {}, "empty"),
        ("\u200b\u200d \ufeff", {}, {}, "empty"),  # only invisible characters
        ("x" * 1001, {}, {}, "limit is 1000"),
        ("ok?", {"anonymous": True}, {"anonymous_allowed": False}, "anonymous"),
        ("ok?", {"speaker_id": "nobody"}, {}, "speaker"),
    ],
)
async def test_invalid_asks_are_refused_and_store_nothing(
    core: Core, text: str, kw: dict[str, object], rules: dict[str, object], pattern: str
) -> None:
    session = with_rules(core.session, **rules)
    with pytest.raises(Refusal, match=pattern):
        await core.ask(1, text, session=session, **kw)
    assert core.rows("SELECT COUNT(*) FROM questions") == [(0,)]
    assert core.rows("SELECT COUNT(*) FROM question_events") == [(0,)]


async def test_cooldown_and_pending_limit(core: Core) -> None:
    session = with_rules(core.session, cooldown_seconds=30, max_pending_per_user=2)
    await core.ask(1, session=session)
    with pytest.raises(Refusal, match="wait 30 seconds"):
        await core.ask(1, session=session)
    core.clock.advance(seconds=20)
    with pytest.raises(Refusal, match="wait 10 seconds"):
        await core.ask(1, session=session)
    core.clock.advance(seconds=10)
    await core.ask(1, session=session)
    core.clock.advance(seconds=60)
    with pytest.raises(Refusal, match="2 questions waiting"):
        await core.ask(1, session=session)
    await core.service.withdraw(core.run.id, 1, 1)
    assert await core.ask(1, session=session) == 3
    assert await core.ask(2, session=session) == 4  # others are not affected


async def test_intake_closed_and_blocked(core: Core) -> None:
    closed = replace(core.run, intake_override="closed")
    with pytest.raises(Refusal, match="closed"):
        await core.service.ask(core.session, closed, 1, "a", "Hello?")
    core.clock.advance(hours=5)  # after the session
    with pytest.raises(Refusal, match="closed"):
        await core.ask(1)
    opened = replace(core.run, intake_override="open")
    await core.service.block(core.session.id, core.run.id, 1, *MOD)
    with pytest.raises(Refusal, match="blocked"):
        await core.service.ask(core.session, opened, 1, "a", "Hello?")
    await core.service.unblock(core.session.id, core.run.id, 1, MOD[0])
    assert (await core.service.ask(core.session, opened, 1, "a", "Hello?")).number == 1
    assert core.rows("SELECT COUNT(*) FROM questions") == [(1,)]


async def test_post_moderation_starts_approved(core: Core) -> None:
    session = with_rules(core.session, moderation="post")
    q = await core.service.ask(session, core.run, 1, "a", "Straight in?")
    assert q.state == "approved"
    assert (await core.service.queue(core.run.id)).top[0].number == 1


async def test_anonymous_question_keeps_no_name_in_rows_or_events(core: Core) -> None:
    q = await core.service.ask(core.session, core.run, 4242, "secret", "Hidden?", anonymous=True)
    assert q.anonymous and q.author_name is None
    await core.service.withdraw(core.run.id, q.number, 4242)
    assert core.rows("SELECT author_name FROM questions") == [(None,)]
    assert core.rows("SELECT actor_id, actor_name FROM question_events") == [
        (None, None),
        (None, None),
    ]
    events = await core.service.events(q.id)
    assert [e.action for e in events] == ["asked", "withdrawn"]


# ---------------------------------------------------------------- group commit


async def test_concurrent_asks_are_group_committed_with_gapless_numbers(core: Core) -> None:
    session = with_rules(core.session, cooldown_seconds=0)
    commits_before = core.db.commits
    committed_when_returned: list[bool] = []

    async def one(author: int) -> int:
        q = await core.service.ask(session, core.run, author, f"u{author}", f"Question {author}?")
        # the confirmation arrives only after the row is durable: a fresh connection sees it
        committed_when_returned.append(
            core.rows("SELECT COUNT(*) FROM questions WHERE id = ?", q.id) == [(1,)]
        )
        return q.number

    numbers = await asyncio.gather(*(one(a) for a in range(1, 301)))
    assert sorted(numbers) == list(range(1, 301))
    assert all(committed_when_returned)
    assert core.db.commits - commits_before <= 3  # one batch (or a few), not 300 commits
    assert core.rows("SELECT COUNT(*) FROM question_events WHERE action = 'asked'") == [(300,)]


async def test_a_batch_mixes_accepted_and_refused_asks(core: Core) -> None:
    session = with_rules(core.session, cooldown_seconds=30)
    results = await asyncio.gather(
        core.service.ask(session, core.run, 1, "a", "First?"),
        core.service.ask(session, core.run, 1, "a", "Second, too soon?"),
        core.service.ask(session, core.run, 2, "b", "Other?"),
        return_exceptions=True,
    )
    assert [getattr(r, "number", None) for r in results] == [1, None, 2]
    assert isinstance(results[1], Refusal)
    assert core.rows("SELECT number, author_id FROM questions ORDER BY number") == [(1, 1), (2, 2)]


async def test_intake_stores_any_text_and_id_exactly(core: Core) -> None:
    """Asks travel to SQLite as one JSON statement: nothing in them may be changed on the way."""
    session = with_rules(core.session, cooldown_seconds=0, anonymous_allowed=True)
    texts = [
        'Quotes " and \\ backslashes \\" and {"json": [1, 2]}?',
        "Emoji 🏘️👩🏽‍🌾 and 한국어 질문, 中文问题, ¿español?",
        "Line one\nline two\ttabbed",
        "'); DROP TABLE questions; --",
    ]
    big = 2**63 - 1  # the largest Discord id SQLite can hold
    asked = await asyncio.gather(
        *(
            core.service.ask(session, core.run, big - i, f"name {i} 🙂", text, anonymous=i == 1)
            for i, text in enumerate(texts)
        )
    )
    stored = core.rows("SELECT id, author_id, author_name, anonymous, text FROM questions")
    assert sorted(stored) == sorted(
        (q.id, q.author_id, q.author_name, int(q.anonymous), q.text) for q in asked
    )
    assert sorted(row[4] for row in stored) == sorted(texts)
    assert core.rows(
        "SELECT COUNT(*) FROM question_events WHERE action = 'asked' AND actor_name IS NULL"
    ) == [(1,)]


async def test_a_failing_intake_statement_stores_nothing_and_spares_other_writes(
    core: Core,
) -> None:
    """The batch's one statement fails whole; a plain write in its transaction still commits,
    and numbering goes on from where it was."""
    session = with_rules(core.session, cooldown_seconds=0)

    async def mark(conn) -> str:
        await conn.execute("INSERT INTO meta (key, value) VALUES ('marker', 'v')")
        return "marked"

    results = await asyncio.gather(
        core.db.write(mark),
        core.service.ask(session, core.run, 5, "e", "Fine?"),
        # a source the schema's CHECK refuses: the batch's one statement fails as a whole
        core.service.ask(session, core.run, 6, "f", "Broken?", source="carrier pigeon"),
        return_exceptions=True,
    )
    assert results[0] == "marked"
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results[1:])
    assert core.rows("SELECT COUNT(*) FROM questions") == [(0,)]
    assert core.rows("SELECT COUNT(*) FROM question_events") == [(0,)]
    assert await core.ask(7, "After that?", session=session) == 1
    assert core.rows("SELECT value FROM meta WHERE key = 'marker'") == [("v",)]


async def test_a_burst_larger_than_one_statement_is_stored_whole_and_in_order(
    core: Core,
) -> None:
    """A burst past ROWS_PER_STATEMENT rows is stored by two statements in one transaction; the
    askers hear back in the order they asked."""
    from bot.questions import ROWS_PER_STATEMENT

    session = with_rules(core.session, cooldown_seconds=0)
    n = ROWS_PER_STATEMENT + 76
    heard: list[int] = []

    async def one(author: int) -> None:
        await core.service.ask(session, core.run, author, f"u{author}", f"Question {author}?")
        heard.append(author)

    commits = core.db.commits
    await asyncio.gather(*(one(a) for a in range(1, n + 1)))
    assert heard == list(range(1, n + 1))
    assert core.db.commits - commits == 1
    assert core.rows("SELECT COUNT(*), MIN(number), MAX(number) FROM questions") == [(n, 1, n)]
    assert core.rows("SELECT COUNT(*) FROM question_events WHERE action = 'asked'") == [(n,)]


@pytest.mark.parametrize("n", [9, 10, 11])
async def test_a_build_binding_few_parameters_stores_a_burst_in_many_statements(
    core: Core, monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    """Where SQLite binds few parameters per statement, a burst is cut into many statements,
    with refused asks among them, and still committed once, whole and gapless."""
    import bot.questions

    monkeypatch.setattr(bot.questions, "ROWS_PER_STATEMENT", 3)
    session = with_rules(core.session, cooldown_seconds=0, max_pending_per_user=1)
    await core.ask(2, "Asked before the burst", session=session)  # so author 2 is refused
    sent: list[int] = []
    real = qrepo.intake_insert

    def counting(rows: Any) -> Any:
        sent.append(len(rows))
        return real(rows)

    monkeypatch.setattr(qrepo, "intake_insert", counting)
    commits = core.db.commits
    results = await asyncio.gather(
        *(core.service.ask(session, core.run, a, f"u{a}", f"Q {a}?") for a in range(1, n + 1)),
        return_exceptions=True,
    )
    assert core.db.commits - commits == 1
    assert sum(isinstance(r, Refusal) for r in results) == 1
    assert sum(sent) == n - 1 and max(sent) == 3 and len(sent) == -(-(n - 1) // 3)
    assert core.rows("SELECT COUNT(*), MIN(number), MAX(number) FROM questions") == [(n, 1, n)]
    assert core.rows("SELECT COUNT(*) FROM question_events WHERE action = 'asked'") == [(n,)]


async def test_if_the_second_statement_of_a_burst_fails_nothing_of_the_burst_is_stored(
    core: Core,
) -> None:
    from bot.questions import ROWS_PER_STATEMENT

    session = with_rules(core.session, cooldown_seconds=0)
    n = ROWS_PER_STATEMENT + 10
    results = await asyncio.gather(
        *(
            core.service.ask(
                session,
                core.run,
                a,
                f"u{a}",
                f"Question {a}?",
                source="carrier pigeon" if a == n else "slash",  # refused by the schema
            )
            for a in range(1, n + 1)
        ),
        return_exceptions=True,
    )
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results)
    assert core.rows("SELECT COUNT(*) FROM questions") == [(0,)]
    assert core.rows("SELECT COUNT(*) FROM question_events") == [(0,)]
    assert await core.ask(1, "And now?", session=session) == 1


# ------------------------------------------------------------------- races


async def test_two_concurrent_approvals_exactly_one_wins(core: Core) -> None:
    await core.ask(1)
    results = await asyncio.gather(
        core.service.approve(core.run.id, 1, *MOD),
        core.service.approve(core.run.id, 1, *MOD2),
        return_exceptions=True,
    )
    wins = [i for i, r in enumerate(results) if not isinstance(r, BaseException)]
    losses = [r for r in results if isinstance(r, Refusal)]
    assert len(wins) == 1 and len(losses) == 1
    winner = ("mona", "mateo")[wins[0]]
    assert losses[0].message == f"#1 was already approved by {winner}."
    assert core.rows("SELECT COUNT(*) FROM question_events WHERE action = 'approved'") == [(1,)]


async def test_concurrent_next_never_makes_two_live(core: Core) -> None:
    for author in (1, 2, 3):
        await core.ask(author)
        await core.service.approve(core.run.id, author, *MOD)
    await asyncio.gather(*(core.service.next_question(core.run.id, *MOD) for _ in range(3)))
    states = core.rows("SELECT state FROM questions ORDER BY number")
    assert sorted(s for (s,) in states) == ["answered", "answered", "live"]


# ------------------------------------------------------------ votes and merge


async def test_votes_toggle_and_stay_equal_to_rows(core: Core) -> None:
    await core.ask(1)
    q = await core.service.approve(core.run.id, 1, *MOD)
    with pytest.raises(Refusal, match="own question"):
        await core.service.toggle_vote(q.id, 1)
    assert await core.service.toggle_vote(q.id, 2) == (True, 1)
    assert await core.service.toggle_vote(q.id, 3) == (True, 2)
    assert await core.service.toggle_vote(q.id, 2) == (False, 1)
    assert core.rows("SELECT votes FROM questions") == [(1,)]
    assert core.rows("SELECT voter_id FROM votes") == [(3,)]


async def test_voting_ends_when_the_question_leaves_the_queue(core: Core) -> None:
    await core.ask(1)
    pending = await core.service.get(core.run.id, 1)
    assert pending is not None
    with pytest.raises(Refusal):
        await core.service.toggle_vote(pending.id, 2)
    await core.service.approve(core.run.id, 1, *MOD)
    await core.service.dismiss(core.run.id, 1, *MOD, reason="off topic")
    with pytest.raises(Refusal, match="dismissed"):
        await core.service.toggle_vote(pending.id, 2)


async def test_merge_carries_votes_and_askers(core: Core) -> None:
    s, run = core.service, core.run.id
    await core.ask(1, "How is housing funded?")
    await core.ask(2, "Who funds the housing?")
    kept = await s.approve(run, 1, *MOD)
    dup = await s.approve(run, 2, *MOD)
    for voter in (5, 6):
        await s.toggle_vote(dup.id, voter)
    await s.toggle_vote(kept.id, 5)
    await s.toggle_vote(dup.id, 1)  # the kept question's author: carried over like anyone
    merged, kept_after = await s.merge(run, 2, 1, *MOD)
    assert merged.state == "merged" and merged.merged_into == kept.id
    # 5 (already there, counted once), 6 and 1; asker 2 is "also asked", not a voter
    assert kept_after.votes == 3
    assert kept_after.co_askers == 1
    assert core.rows("SELECT votes FROM questions ORDER BY number") == [(3,), (0,)]
    assert sorted(v for (v,) in core.rows("SELECT voter_id FROM votes")) == [1, 5, 6]
    with pytest.raises(Refusal, match="merged"):
        await s.merge(run, 2, 1, *MOD)


async def test_merge_of_a_pending_duplicate_approves_then_merges(core: Core) -> None:
    await core.ask(1)
    await core.ask(2)
    await core.service.approve(core.run.id, 1, *MOD)
    merged, _ = await core.service.merge(core.run.id, 2, 1, *MOD)
    events = await core.service.events(merged.id)
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, "pending"),
        ("pending", "approved"),
        ("approved", "merged"),
    ]


async def test_edit_keeps_the_original_and_label_checks_the_file(core: Core) -> None:
    await core.ask(1, "Waht about youth?")
    q = await core.service.edit(core.run.id, 1, "What about youth?", *MOD)
    assert q.text == "What about youth?"
    events = await core.service.events(q.id)
    assert events[-1].action == "edited" and "Waht about youth?" in (events[-1].detail or "")
    q = await core.service.label(core.session, core.run.id, 1, "youth", *MOD)
    assert q.label_id == "youth"
    with pytest.raises(Refusal, match="no label"):
        await core.service.label(core.session, core.run.id, 1, "nonsense", *MOD)


async def test_block_author_rejects_and_blocks_without_naming(core: Core) -> None:
    q = await core.service.ask(core.session, core.run, 77, "x", "Spam?", anonymous=True)
    after = await core.service.block_author(q.id, core.session.id, *MOD)
    assert after.state == "rejected"
    assert await core.service.is_blocked(core.session.id, 77)
    with pytest.raises(Refusal, match="rejected by mona"):
        await core.service.block_author(q.id, core.session.id, *MOD2)


async def test_intake_window_agrees_with_the_timeline(core: Core) -> None:
    from datetime import timedelta

    from bot.program import Timeline

    start = core.clock() - timedelta(hours=2)
    runs = [
        core.run,
        replace(core.run, delay_seconds=600),
        replace(core.run, delay_seconds=-600),
        replace(core.run, intake_override="open"),
        replace(core.run, intake_override="closed"),
    ]
    for run in runs:
        timeline = Timeline(core.session, run)
        for minutes in range(0, 240, 7):
            now = start + timedelta(minutes=minutes)
            assert core.service._intake_open(core.session, run, now) == timeline.intake_open(now)
