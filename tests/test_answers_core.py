"""Answers that reach the asker, on the core without Discord: written answers and who may give
them, the notices outbox (each kind once, only after the commit, across restarts), an asker's
own edit, /myquestions, and follow-up answers."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.answers import (
    HOLD_FOR_POST,
    RETRY_AFTER,
    AnswerService,
    Link,
    Speaking,
    speaking,
)
from bot.answers_text import answered_marker
from bot.errors import Refusal
from bot.questions import QuestionService
from bot.sessions import Session, load_session
from bot.storage import repository as repo
from bot.storage.answers_repo import MAX_ATTEMPTS
from bot.storage.database import Database, migrations, split_statements
from bot.storage.repository import Run
from tests.conftest import GSEF, Clock

MOD = (900, "mona")
ALICE, BOB, CAROL, DAVE, ERIN = 1001, 1002, 1003, 1004, 1005
LI = "li-li-chang"  # a speaker of the GSEF session file
JOYCE = "joyce-mundara"


def esc(text: str) -> str:
    return text.replace("*", "\\*")


@dataclass
class Core:
    path: Path
    clock: Clock
    session: Session
    run: Run
    db: Database
    questions: QuestionService
    answers: AnswerService

    async def ask(self, author: int, text: str = "What about housing?", **kw: Any) -> int:
        self.clock.advance(seconds=31)
        q = await self.questions.ask(
            self.session, self.run, author, kw.pop("name", f"user{author}"), text, **kw
        )
        return q.number

    async def approved(self, author: int, text: str = "What about housing?", **kw: Any) -> int:
        n = await self.ask(author, text, **kw)
        await self.questions.approve(self.run.id, n, *MOD)
        return n

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.path) as conn:
            return conn.execute(sql, params).fetchall()

    def notices(self) -> list[tuple[Any, ...]]:
        """(number, recipient, kind, detail) of every notice, in order."""
        return [
            (number, recipient, kind, json.loads(detail))
            for number, recipient, kind, detail in self.rows(
                "SELECT q.number, n.recipient_id, n.kind, n.detail FROM notices n "
                "JOIN questions q ON q.id = n.question_id ORDER BY n.id"
            )
        ]

    async def settle(self) -> list[tuple[Any, ...]]:
        await self.answers.drain()
        return self.notices()

    async def restart(self) -> None:
        """A new process on the same file: new database connections and services."""
        await self.answers.drain()
        await self.db.close()
        self.db = Database(self.path)
        await self.db.open()
        self.questions = QuestionService(self.db, self.clock)
        self.answers = AnswerService(self.db, self.clock, self.questions)
        await self.answers.start()


async def open_core(path: Path, clock: Clock) -> Core:
    db = Database(path)
    await db.open()
    session = load_session(GSEF)
    now = clock()

    async def prepare(conn: Any) -> Run:
        await repo.upsert_session(conn, session, now)
        run = await repo.real_run(conn, session.id, now)
        await repo.set_intake_override(conn, run.id, "open", None, now)  # whatever the clock
        found = await repo.get_run(conn, run.id)
        assert found is not None
        return found

    run = await db.write(prepare)
    questions = QuestionService(db, clock)
    answers = AnswerService(db, clock, questions)
    await answers.start()
    return Core(path, clock, session, run, db, questions, answers)


@pytest.fixture
async def core(tmp_path: Path, clock: Clock) -> AsyncIterator[Core]:
    c = await open_core(tmp_path / "answers.sqlite3", clock)
    yield c
    await c.answers.drain()
    await c.db.close()


# ------------------------------------------------------------------ answering


async def test_a_moderator_answers_in_writing_and_the_question_counts_as_answered(
    core: Core,
) -> None:
    n = await core.approved(ALICE)
    done = await core.answers.answer(
        core.run.id, n, " It is funded by the city. ", *MOD, "moderator"
    )
    assert done.became_answered and done.question.state == "answered"
    assert done.question.answered_at is not None
    assert done.answer.text == "It is funded by the city." and not done.answer.private
    events = await core.questions.events(done.question.id)
    last = events[-1]
    assert (last.action, last.from_state, last.to_state, last.actor_name) == (
        "answered_in_writing",
        "approved",
        "answered",
        "mona",
    )
    assert json.loads(last.detail or "{}") == {
        "answer": done.answer.id,
        "private": False,
        "role": "moderator",
    }
    # a second answer adds a row and an event, no transition
    again = await core.answers.answer(
        core.run.id, n, "And by the state.", 901, "mateo", "moderator"
    )
    assert not again.became_answered and again.question.state == "answered"
    assert [a.text for a in await core.answers.answers_of(done.question.id)] == [
        "It is funded by the city.",
        "And by the state.",
    ]
    second = (await core.questions.events(done.question.id))[-1]
    assert (second.action, second.from_state, second.to_state) == (
        "answered_in_writing",
        None,
        None,
    )
    assert core.rows("SELECT state, n FROM question_counts WHERE n > 0") == [("answered", 1)]


async def test_the_live_question_can_be_answered_in_writing(core: Core) -> None:
    n = await core.approved(ALICE)
    await core.questions.next_question(core.run.id, *MOD)
    done = await core.answers.answer(core.run.id, n, "Written.", *MOD, "moderator")
    assert done.became_answered and done.question.state == "answered"
    assert await core.questions.live(core.run.id) is None


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("pending", "#1 is still waiting for review; approve it before answering it."),
        ("rejected", "#1 was rejected, so it takes no answer."),
        ("withdrawn", "#1 was withdrawn by its asker, so it takes no answer."),
        ("dismissed", "#1 was dismissed, so it takes no answer."),
        ("merged", "#1 was merged into #2; answer #2 instead."),
    ],
)
async def test_questions_that_take_no_answer_are_refused_with_nothing_changed(
    core: Core, setup: str, expected: str
) -> None:
    await core.ask(ALICE)
    await core.ask(BOB)
    run = core.run.id
    if setup == "rejected":
        await core.questions.reject(run, 1, *MOD)
    elif setup == "withdrawn":
        await core.questions.withdraw(run, 1, ALICE)
    elif setup == "dismissed":
        await core.questions.approve(run, 1, *MOD)
        await core.questions.dismiss(run, 1, *MOD)
    elif setup == "merged":
        await core.questions.approve(run, 2, *MOD)
        await core.questions.merge(run, 1, 2, *MOD)
    before = core.rows("SELECT * FROM question_events")
    with pytest.raises(Refusal) as refused:
        await core.answers.answer(run, 1, "An answer.", *MOD, "moderator")
    assert refused.value.message == expected
    assert core.rows("SELECT * FROM question_events") == before
    assert core.rows("SELECT COUNT(*) FROM answers") == [(0,)]


@pytest.mark.parametrize(
    ("text", "role", "expected"),
    [
        ("  \u200b ", "moderator", "The answer is empty"),
        ("x" * 1801, "moderator", "The answer is 1801 characters long; the limit is 1800"),
        ("Fine.", "organizer", "Only moderators and the session's speakers"),
    ],
)
async def test_bad_answers_are_refused(core: Core, text: str, role: str, expected: str) -> None:
    n = await core.approved(ALICE)
    with pytest.raises(Refusal, match=expected):
        await core.answers.answer(core.run.id, n, text, *MOD, role)
    with pytest.raises(Refusal, match="There is no question #99"):
        await core.answers.answer(core.run.id, 99, "Fine.", *MOD, "moderator")
    assert core.rows("SELECT COUNT(*) FROM answers") == [(0,)]


async def test_a_speaker_answers_questions_addressed_to_them_or_to_the_panel(core: Core) -> None:
    to_li = await core.approved(ALICE, speaker_id=LI)
    panel = await core.approved(BOB, "A question for everyone")
    to_joyce = await core.approved(CAROL, "For Joyce", speaker_id=JOYCE)
    run = core.run.id
    done = await core.answers.answer(run, to_li, "Mine.", 77, "Li", "speaker", speaker_ids={LI})
    assert done.answer.speaker_id == LI and done.answer.role == "speaker"
    done = await core.answers.answer(run, panel, "Ours.", 77, "Li", "speaker", speaker_ids={LI})
    assert done.answer.speaker_id == LI
    with pytest.raises(Refusal, match="#3 is addressed to another speaker"):
        await core.answers.answer(run, to_joyce, "Not mine.", 77, "Li", "speaker", speaker_ids={LI})
    # a speaker by role only, named by no speaker of the file: the panel's questions only
    with pytest.raises(Refusal, match="addressed to another speaker"):
        await core.answers.answer(run, to_joyce, "Hm.", 78, "Sam", "speaker")
    panel2 = await core.approved(DAVE, "Another one for the panel")
    done = await core.answers.answer(run, panel2, "Sure.", 78, "Sam", "speaker")
    assert done.answer.speaker_id is None
    # a moderator answers anything open
    done = await core.answers.answer(run, to_joyce, "For Joyce: yes.", *MOD, "moderator")
    assert done.question.state == "answered"


def test_who_is_a_speaker_comes_from_the_session_file(core: Core) -> None:
    session = core.session
    spec = session.spec
    speakers = list(spec.speakers)
    speakers[0] = speakers[0].model_copy(update={"discord_user": 4242})
    speakers[1] = speakers[1].model_copy(update={"discord_user": "li.chang"})
    speakers[2] = speakers[2].model_copy(update={"discord_user": "@seon.hee"})
    speakers[3] = speakers[3].model_copy(update={"discord_user": "31337"})
    discord = spec.discord.model_copy(update={"speaker_role": "Speaker"})
    s = Session(spec.model_copy(update={"speakers": tuple(speakers), "discord": discord}), GSEF)
    assert speaking(s, 4242, "joyce", []) == Speaking(True, frozenset({JOYCE}))
    assert speaking(s, 7, "Li.Chang", []) == Speaking(True, frozenset({LI}))
    assert speaking(s, 9, "seon.hee", []).speaker_ids == {"seon-hee-choi"}  # "@seon.hee"
    assert speaking(s, 31337, None, []).speaker_ids == {"sung-woong-jung"}  # "31337"
    # a display name is never a match: anyone can take one
    assert speaking(s, 8, "someone", []).is_speaker is False
    assert speaking(s, 8, None, [(5, "Speaker")]) == Speaking(True, frozenset())
    # two roles with the same name: ambiguous, neither counts
    assert speaking(s, 8, None, [(5, "Speaker"), (6, "Speaker")]).is_speaker is False
    assert speaking(session, 4242, "joyce", [(5, "Speaker")]).is_speaker is False


def test_session_files_take_speakers_discord_users_and_the_followup_forum(tmp_path: Path) -> None:
    text = GSEF.read_text("utf-8")
    text = text.replace('id = "li-li-chang"', 'id = "li-li-chang"\ndiscord_user = "li.chang"', 1)
    text = text.replace(
        'id = "joyce-mundara"', 'id = "joyce-mundara"\ndiscord_user = 123456789012345678', 1
    )
    text = text.replace(
        "[discord]", '[discord]\nspeaker_role = "Speaker"\nfollowup_forum = "qa-followup"', 1
    )
    path = tmp_path / "s.toml"
    path.write_text(text, "utf-8")
    session = load_session(path)
    assert session.speaker(LI) is not None and session.speaker(LI).discord_user == "li.chang"  # type: ignore[union-attr]
    assert session.speaker(JOYCE).discord_user == 123456789012345678  # type: ignore[union-attr]
    assert session.spec.discord.followup_forum == "qa-followup"
    assert session.spec.discord.speaker_role == "Speaker"


# ---------------------------------------------------------------- notices


async def test_each_notice_is_queued_once_only_after_the_commit(core: Core) -> None:
    await core.answers.set_notify(core.session.id, ALICE, True)
    run = core.run.id
    n = await core.ask(ALICE, "Who pays for repairs?")
    await core.answers.drain()
    committed: list[list[tuple[Any, ...]]] = []
    # the outbox is told of a change once it is committed: another connection sees it then
    core.questions.listeners.insert(
        0, lambda run_id, qs: committed.append(core.rows("SELECT state FROM questions"))
    )
    await core.questions.approve(run, n, *MOD)
    assert committed == [[("approved",)]]
    assert await core.settle() == [(1, ALICE, "approved", {"as": "asker"})]
    assert await core.answers.sweep() == 0  # the same events never make a notice again
    await core.questions.next_question(run, *MOD)
    await core.questions.answered(run, *MOD)
    await core.answers.answer(run, n, "The co-operative.", *MOD, "moderator")
    found = await core.settle()
    assert [(k, d) for _, _, k, d in found] == [
        ("approved", {"as": "asker"}),
        ("live", {"as": "asker"}),
        ("answered", {"as": "asker"}),
        ("answered", {"answer": 1, "private": False, "as": "asker"}),
    ]
    # a rejected question, with the moderator's reason; a merged one, with the number
    m = await core.ask(ALICE, "Buy my course")
    await core.questions.reject(run, m, *MOD, reason="advertising")
    k = await core.approved(BOB, "How is housing paid for?")
    d = await core.approved(ALICE, "How is housing financed?")
    await core.questions.merge(run, d, k, *MOD)
    found = await core.settle()
    assert found[4:] == [
        (m, ALICE, "rejected", {"reason": "advertising", "as": "asker"}),
        (d, ALICE, "approved", {"as": "asker"}),
        (d, ALICE, "merged", {"into": k, "into_id": _id(core, k), "as": "asker"}),
    ]


def _id(core: Core, number: int) -> int:
    return int(core.rows("SELECT id FROM questions WHERE number = ?", number)[0][0])


async def test_a_change_that_is_refused_or_rolled_back_queues_nothing(core: Core) -> None:
    await core.answers.set_notify(core.session.id, ALICE, True)
    n = await core.approved(ALICE)
    await core.settle()
    assert len(core.notices()) == 1
    with pytest.raises(Refusal):
        await core.questions.approve(core.run.id, n, *MOD)

    async def half_done(conn: Any) -> None:
        await conn.execute(
            "INSERT INTO question_events (question_id, action, at, from_state, to_state) "
            "VALUES (?, 'live', '2021-10-04T10:20:00.000000Z', 'approved', 'live')",
            (_id(core, n),),
        )
        raise RuntimeError("the write fails after its event")

    with pytest.raises(RuntimeError):
        await core.db.write(half_done)
    await core.answers.sweep()
    assert len(await core.settle()) == 1


async def test_a_pending_duplicate_merged_tells_its_asker_merged_not_approved(core: Core) -> None:
    await core.answers.set_notify(core.session.id, BOB, True)
    kept = await core.approved(ALICE, "How is housing funded?")
    dup = await core.ask(BOB, "How is housing paid for?")
    await core.questions.merge(core.run.id, dup, kept, *MOD)
    assert [(n, k) for n, _, k, _ in await core.settle()] == [(dup, "merged")]


async def test_who_wants_notices(core: Core) -> None:
    """Off by default; /notify for the session; /ask notify for one question wins over it."""
    sid, run = core.session.id, core.run.id
    silent = await core.approved(ALICE)  # no choice made: nothing
    await core.answers.set_notify(sid, BOB, True)
    wanted = await core.ask(BOB, "Bob's first")
    not_this = await core.ask(BOB, "Bob's second")
    await core.answers.set_question_notify(_id(core, not_this), BOB, False)
    await core.answers.set_notify(sid, CAROL, False)
    only_this = await core.ask(CAROL, "Carol's")
    await core.answers.set_question_notify(_id(core, only_this), CAROL, True)
    for n in (wanted, not_this, only_this):
        await core.questions.approve(run, n, *MOD)
    found = await core.settle()
    assert [(n, who) for n, who, _, _ in found] == [(wanted, BOB), (only_this, CAROL)]
    assert silent not in [n for n, *_ in found]
    assert await core.answers.notify_choice(sid, BOB) == (True, False)
    assert await core.answers.notify_choice(sid, DAVE) is None


async def test_co_askers_hear_when_the_question_theirs_was_merged_into_is_answered(
    core: Core,
) -> None:
    await core.answers.set_notify(core.session.id, BOB, True)
    kept = await core.approved(ALICE, "How is housing funded?")
    dup = await core.approved(BOB, "How is housing paid for?")
    await core.questions.merge(core.run.id, dup, kept, *MOD)
    await core.answers.answer(core.run.id, kept, "By the city.", *MOD, "moderator")
    found = await core.settle()
    assert [(n, who, k, d.get("as")) for n, who, k, d in found] == [
        (dup, BOB, "approved", "asker"),
        (dup, BOB, "merged", "asker"),
        (kept, BOB, "answered", "co-asker"),
    ]


async def test_a_restart_between_asking_and_answering_loses_no_notice_and_sends_none_twice(
    core: Core,
) -> None:
    run = core.run.id
    n = await core.ask(ALICE, "Who maintains the buildings?")
    await core.answers.set_question_notify(_id(core, n), ALICE, True)  # /ask notify:true
    await core.restart()
    await core.questions.approve(run, n, *MOD)
    await core.answers.drain()
    sent = await core.answers.pending_notices()
    assert [o.notice.kind for o in sent] == ["approved"]
    assert await core.answers.claim(sent[0].id)
    assert await core.answers.mark_sent(sent[0].id)

    await core.restart()
    assert await core.answers.pending_notices() == []  # sent before the restart: not again
    await core.answers.answer(run, n, "The co-operative does.", *MOD, "moderator")
    await core.answers.drain()
    core.clock.advance(seconds=HOLD_FOR_POST.total_seconds())
    [answered] = await core.answers.pending_notices()
    assert answered.notice.kind == "answered" and answered.answer is not None
    assert await core.answers.claim(answered.id)
    # the process dies while sending: at the next start the notice is never sent again
    await core.restart()
    assert await core.answers.pending_notices() == []
    assert core.rows("SELECT kind, status, attempts FROM notices ORDER BY id") == [
        ("approved", "sent", 1),
        ("answered", "fallback", 1),
    ]
    assert core.rows("SELECT COUNT(*) FROM notices") == [(2,)]


async def test_a_change_committed_just_before_a_crash_is_noticed_at_the_next_start(
    tmp_path: Path, clock: Clock
) -> None:
    c = await open_core(tmp_path / "crash.sqlite3", clock)
    try:
        await c.answers.set_notify(c.session.id, ALICE, True)
        n = await c.ask(ALICE)
        await c.answers.drain()
        c.questions.listeners.clear()  # the process dies before the outbox hears of the change
        await c.questions.approve(c.run.id, n, *MOD)
        assert c.notices() == []
        await c.restart()
        assert [k for _, _, k, _ in c.notices()] == ["approved"]
        await c.restart()
        assert [k for _, _, k, _ in c.notices()] == ["approved"]
    finally:
        await c.answers.drain()
        await c.db.close()


async def test_upgrading_a_log_sends_nothing_about_the_past(tmp_path: Path, clock: Clock) -> None:
    """A log of schema 6 with changes in it: migration 0007 starts the outbox after them."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        for version, _name, sql in migrations():
            if version <= 6:
                for statement in split_statements(sql):
                    conn.execute(statement)
        conn.execute("PRAGMA user_version = 6")
        conn.execute("INSERT INTO sessions VALUES ('s', 't', 'UTC', '{}', 'x')")
        conn.execute(
            "INSERT INTO runs (id, session_id, kind, created_at) VALUES (1, 's', 'real', 'x')"
        )
        conn.execute(
            "INSERT INTO questions (id, run_id, number, author_id, anonymous, text, state, "
            "asked_at, updated_at) VALUES (1, 1, 1, 7, 0, 'old', 'live', 'x', 'x')"
        )
        for action, to_state in (("approved", "approved"), ("live", "live")):
            conn.execute(
                "INSERT INTO question_events (question_id, action, at, from_state, to_state) "
                "VALUES (1, ?, 'x', 'pending', ?)",
                (action, to_state),
            )
    db = Database(path)
    await db.open()
    try:
        service = AnswerService(db, clock, QuestionService(db, clock))
        await service.set_notify("s", 7, True)
        assert await service.start() == 0
        assert await service.pending_notices() == []
    finally:
        await db.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT last_event_id FROM notice_cursor").fetchall() == [(2,)]


async def test_the_sender_claims_marks_retries_and_falls_back(core: Core) -> None:
    await core.answers.set_notify(core.session.id, ALICE, True)
    await core.approved(ALICE)
    await core.answers.drain()
    [one] = await core.answers.pending_notices()
    assert await core.answers.claim(one.id)
    assert not await core.answers.claim(one.id)  # nobody sends it twice
    assert await core.answers.pending_notices() == []
    assert await core.answers.mark_failed(one.id, "503 Service Unavailable", False) == "failed"
    assert await core.answers.pending_notices() == []  # not before RETRY_AFTER
    for attempt in range(2, MAX_ATTEMPTS + 1):
        core.clock.advance(seconds=RETRY_AFTER.total_seconds())
        [again] = await core.answers.pending_notices()
        assert await core.answers.claim(again.id)
        status = await core.answers.mark_failed(again.id, "503", False)
        assert status == ("fallback" if attempt == MAX_ATTEMPTS else "failed")
    core.clock.advance(seconds=3600)
    assert await core.answers.pending_notices() == []  # never retried forever
    # closed DMs (50007): no retry at all
    await core.approved(ALICE, "Another one")
    await core.answers.drain()
    [two] = await core.answers.pending_notices()
    assert await core.answers.claim(two.id)
    assert await core.answers.mark_failed(two.id, "50007 Cannot send messages", True) == "fallback"
    assert await core.answers.outbox() == {"fallback": 2}
    mine = await core.answers.mine(core.run.id, ALICE)
    assert mine.undelivered == 2


async def test_notices_link_to_the_answer_the_live_post_or_the_question(core: Core) -> None:
    await core.answers.set_notify(core.session.id, ALICE, True)
    run = core.run.id
    n = await core.approved(ALICE)
    qid = _id(core, n)
    await core.questions.set_vote_message(qid, 5551)
    await core.questions.next_question(run, *MOD)
    await core.answers.record_live_post(qid, 42, 5552)
    await core.answers.answer(run, n, "In writing too.", *MOD, "moderator")
    await core.answers.drain()
    found = await core.answers.pending_notices()
    # the written answer's notice waits for its post
    assert [o.notice.kind for o in found] == ["approved", "live"]
    assert found[0].link == Link("questions", None, 5551)
    assert found[1].link == Link("live", 42, 5552)
    [(q, a)] = await core.answers.unposted_answers(run)
    assert await core.answers.claim_answer_thread(q.id)
    assert not await core.answers.claim_answer_thread(q.id)  # one thread, made once
    assert await core.answers.record_answer_thread(q.id, 5551)
    assert await core.answers.answer_posted(a.id, 5551, 7001)
    assert await core.answers.unposted_answers(run) == []
    found = await core.answers.pending_notices()
    assert [o.link for o in found] == [
        Link("questions", None, 5551),
        Link("live", 42, 5552),
        Link("thread", 5551, 7001),
    ]
    content = found[2].content(core.session, esc, "https://discord.com/channels/1/5551/7001")
    assert "has a written answer from mona (moderator)" in content
    assert "In writing too." in content and "<https://discord.com/channels/1/5551/7001>" in content
    # an unposted answer stops holding its notice back after a minute
    n2 = await core.approved(ALICE, "Second question")
    await core.answers.answer(run, n2, "Quick.", *MOD, "moderator")
    await core.answers.drain()
    assert len(await core.answers.pending_notices()) == 4
    core.clock.advance(seconds=HOLD_FOR_POST.total_seconds())
    assert [o.notice.kind for o in await core.answers.pending_notices()][-1] == "answered"


# ------------------------------------------------------------ private answers


async def test_a_private_answer_to_an_anonymous_asker_reaches_them_only(core: Core) -> None:
    run = core.run.id
    n = await core.approved(DAVE, "Is the subsidy means-tested?", anonymous=True, name="Dave")
    done = await core.answers.answer(
        run, n, "Yes; here is whom to call: 555-0100.", *MOD, "moderator", private=True
    )
    assert done.question.state == "answered" and done.answer.private
    # never posted anywhere: not waiting for a thread
    assert await core.answers.unposted_answers(run) == []
    found = await core.settle()
    # always queued, even though the asker asked for no notices: it is meant for them only
    assert found == [(n, DAVE, "answered", {"answer": 1, "private": True, "as": "asker"})]
    [out] = await core.answers.pending_notices()
    assert out.link is None and out.recipient_id == DAVE
    content = out.content(core.session, esc, None)
    assert "for you only" in content and "555-0100" in content
    assert "Dave" not in content and str(DAVE) not in content
    # the answerer's view and the log name nobody
    events = await core.questions.events(done.question.id)
    assert all(e.actor_id != DAVE and e.actor_name != "Dave" for e in events)
    assert "asker" not in json.dumps([e.detail for e in events if e.action != "asked"])
    # its public message says it was answered privately, and no more
    assert await core.answers.answer_counts([done.question.id]) == {done.question.id: (0, 1)}
    assert str(answered_marker(0, 1)) == "✍️ Answered privately to the asker."
    # the asker sees it in /myquestions; nobody else does
    mine = await core.answers.mine(run, DAVE)
    assert [a.text for a in mine.own[0].answers] == ["Yes; here is whom to call: 555-0100."]
    assert (await core.answers.mine(run, ALICE)).own == ()


# ------------------------------------------------------------------ edit_own


async def test_an_asker_edits_their_question_while_it_waits_for_review(core: Core) -> None:
    run = core.run.id
    n = await core.ask(ALICE, "Waht about housing?")
    q = await core.answers.edit_own(run, n, ALICE, " What about housing? ", 1000)
    assert q.text == "What about housing?" and q.state == "pending"
    edit = (await core.questions.events(q.id))[-1]
    assert (edit.action, edit.actor_id, edit.actor_name) == ("edited", ALICE, "user1001")
    assert json.loads(edit.detail or "{}") == {
        "before": "Waht about housing?",
        "after": "What about housing?",
        "actor": "asker",
    }
    a = await core.ask(DAVE, "Anonymous draft", anonymous=True)
    q = await core.answers.edit_own(run, a, DAVE, "Anonymous question", 1000)
    edit = (await core.questions.events(q.id))[-1]
    assert (edit.actor_id, edit.actor_name) == (None, None)
    assert json.loads(edit.detail or "{}")["actor"] == "asker"


async def test_an_asker_cannot_edit_others_questions_or_reviewed_ones(core: Core) -> None:
    run = core.run.id
    n = await core.ask(ALICE, "Alice's question")
    with pytest.raises(Refusal) as theirs:
        await core.answers.edit_own(run, n, BOB, "Bob's now", 1000)
    with pytest.raises(Refusal) as missing:
        await core.answers.edit_own(run, 99, BOB, "Bob's now", 1000)
    # someone else's question reads as no question at all: nothing about who asked it
    assert theirs.value.message == missing.value.message.replace("#99", f"#{n}")
    with pytest.raises(Refusal, match="already reads exactly like that"):
        await core.answers.edit_own(run, n, ALICE, "Alice's question", 1000)
    with pytest.raises(Refusal, match="empty"):
        await core.answers.edit_own(run, n, ALICE, "\u200b", 1000)
    with pytest.raises(Refusal, match="20 characters long; the limit is 10"):
        await core.answers.edit_own(run, n, ALICE, "x" * 20, 10)
    await core.questions.approve(run, n, *MOD)
    with pytest.raises(Refusal, match="already approved, so it can no longer be edited"):
        await core.answers.edit_own(run, n, ALICE, "Changed", 1000)
    assert core.rows("SELECT text FROM questions") == [("Alice's question",)]
    assert core.rows("SELECT COUNT(*) FROM question_events WHERE action = 'edited'") == [(0,)]


async def test_an_edit_is_told_to_the_question_listeners(core: Core) -> None:
    seen: list[tuple[int, str]] = []
    core.questions.listeners.append(lambda run, qs: seen.extend((q.number, q.text) for q in qs))
    n = await core.ask(ALICE, "Draft")
    await core.answers.edit_own(core.run.id, n, ALICE, "Final", 1000)
    assert seen[-1] == (n, "Final")


# --------------------------------------------------------------- /myquestions


async def test_myquestions_shows_the_same_as_the_direct_messages(core: Core) -> None:
    run = core.run.id
    await core.answers.set_notify(core.session.id, ALICE, True)
    n = await core.approved(ALICE, "Who pays?")
    await core.answers.answer(run, n, "The city, mostly.", *MOD, "moderator")
    await core.answers.drain()
    mine = await core.answers.mine(run, ALICE)
    [item] = mine.own
    assert [nt.kind for nt in item.notices] == ["approved", "answered"]
    lines = item.lines(core.session, esc)
    assert "mona (moderator)" in lines[0] and "The city, mostly." in lines[0]
    assert "was approved" in lines[1] and "(to be sent)" in lines[1]
    assert "has a written answer from mona (moderator)" in lines[2]
    assert all(len(line) <= 300 for line in lines)


async def test_a_follower_sees_public_answers_of_questions_they_follow(core: Core) -> None:
    run = core.run.id
    n = await core.approved(ALICE, "Who pays?")
    qid = _id(core, n)
    await core.answers.claim_followup(qid)
    await core.answers.record_followup_post(qid, 9100)
    await core.answers.set_question_notify(qid, BOB, True)  # "tell me when it is answered"
    await core.answers.followup_answered(9100, 9201, 77, "Li", "moderator", "The city.")
    await core.answers.drain()
    mine = await core.answers.mine(run, BOB)
    assert mine.own == ()
    [other] = mine.others
    assert other.question.number == n and [a.text for a in other.answers] == ["The city."]
    assert [nt.detail["as"] for nt in other.notices] == ["follower"]


# ------------------------------------------------------------------ follow-ups


async def test_follow_up_posts_are_planned_made_once_and_answered(core: Core) -> None:
    run, sid = core.run.id, core.session.id
    answered = await core.approved(ALICE, "Answered live")
    await core.questions.next_question(run, *MOD)
    await core.questions.answered(run, *MOD)
    owed = await core.approved(BOB, "How do *co-ops* work?", speaker_id=LI)
    anon = await core.approved(DAVE, "Is it means-tested?", anonymous=True, name="Dave")
    await core.ask(CAROL, "Still pending")
    for voter in (ALICE, CAROL, ERIN):
        await core.questions.toggle_vote(_id(core, owed), voter)
    await core.answers.drain()  # the approvals are told before the choices below are made
    await core.answers.set_notify(sid, CAROL, False, voted=True)  # voters who chose to hear
    await core.answers.set_question_notify(_id(core, owed), ERIN, False)  # ...but not of this
    await core.answers.set_notify(sid, ERIN, True, voted=True)
    await core.answers.set_question_notify(_id(core, owed), BOB, True)

    tags, posts = await core.answers.followups_due(core.session, run, esc)
    assert [p.number for p in posts] == [anon, owed]  # least voted first: most voted on top
    assert answered not in [p.number for p in posts]
    post = posts[1]
    assert post.title == f"#{owed} How do *co-ops* work?"
    assert "How do \\*co-ops\\* work?" in post.body and "3 votes" in post.body
    assert "Li-Li Chang" in post.tags and "Li-Li Chang" in post.body
    assert "Anonymous" in posts[0].body and "Dave" not in posts[0].body
    assert len(tags.names) <= 20 and set(post.tags) <= set(tags.names)

    assert await core.answers.claim_followup(post.question_id)
    assert not await core.answers.claim_followup(post.question_id)
    await core.answers.followup_failed(posts[0].question_id, "Missing Permissions")
    _, again = await core.answers.followups_due(core.session, run, esc)
    assert [p.number for p in again] == [anon]  # claimed: not planned again; failed: again
    assert [t.question_id for t in await core.answers.unfinished_threads(run)] == [
        post.question_id
    ]  # claimed, not yet recorded: what a start after a crash looks for
    assert await core.answers.record_followup_post(post.question_id, 9100)
    assert not await core.answers.record_followup_post(post.question_id, 9100)
    with pytest.raises(ValueError):
        await core.answers.record_followup_post(post.question_id, 9999)

    assert await core.answers.followup_answered(1234, 1, 77, "Li", "speaker", "x") is None
    with pytest.raises(Refusal):  # a speaker of another question
        await core.answers.followup_answered(
            9100, 9201, 78, "Joyce", "speaker", "Hm", speaker_ids={JOYCE}
        )
    first = await core.answers.followup_answered(
        9100, 9202, 77, "Li", "speaker", "Co-ops pool savings.", speaker_ids={LI}
    )
    assert first is not None and first.first and first.question.state == "answered"
    same = await core.answers.followup_answered(
        9100, 9202, 77, "Li", "speaker", "Co-ops pool savings.", speaker_ids={LI}
    )
    assert same is not None and not same.first and same.answer.id == first.answer.id
    later = await core.answers.followup_answered(9100, 9203, *MOD, "moderator", "Also: loans.")
    assert later is not None and not later.first
    found = await core.settle()
    assert [(who, k, d["as"]) for _, who, k, d in found] == [
        (BOB, "followup", "asker"),
        (CAROL, "followup", "follower"),
    ]
    event = (await core.questions.events(first.question.id))[-1]
    assert (event.action, event.from_state, event.to_state) == (
        "followup_answered",
        "approved",
        "answered",
    )
    [out] = [o for o in await core.answers.pending_notices() if o.recipient_id == CAROL]
    assert out.link == Link("thread", 9100, 9202)
    text = out.content(core.session, esc, "https://discord.com/channels/1/9100/9202")
    assert text.startswith(f"A question you follow, #{owed},")
    assert "Li-Li Chang (speaker)" in text and "user1002" not in text
    _, done = await core.answers.followups_due(core.session, run, esc)
    assert [p.number for p in done] == [anon]


async def test_forget_deletes_notices_and_choices(core: Core) -> None:
    from bot.maintenance import forget

    await core.answers.set_notify(core.session.id, ALICE, True)
    n = await core.approved(ALICE)
    await core.answers.set_question_notify(_id(core, n), BOB, True)
    await core.answers.answer(core.run.id, n, "Done.", *MOD, "moderator")
    await core.answers.drain()
    assert core.rows("SELECT COUNT(*) FROM notices") == [(2,)]
    await core.db.close()
    try:
        forget(core.path, core.session.id, now=core.clock() + timedelta(days=1))
        for table in ("notices", "question_notify", "notify_prefs"):
            assert core.rows(f"SELECT COUNT(*) FROM {table}") == [(0,)], table
        assert core.rows("SELECT text, author_name FROM answers") == [("Done.", "mona")]
    finally:
        core.db = Database(core.path)
        await core.db.open()


async def test_a_long_backlog_is_swept_in_bounded_transactions(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.storage import answers_repo

    monkeypatch.setattr(answers_repo, "SWEEP_EVENTS", 3)
    await core.answers.set_notify(core.session.id, ALICE, True)
    numbers = [await core.ask(ALICE, f"Question {i}") for i in range(4)]
    await core.answers.drain()
    core.questions.listeners.clear()  # a backlog: the sweep below finds all of it at once
    for n in numbers:
        await core.questions.approve(core.run.id, n, *MOD)
    commits = core.db.commits
    assert await core.answers.sweep() == 4
    assert core.db.commits - commits == 2  # 4 approvals, at most 3 events per transaction
    assert [n for n, *_ in core.notices()] == numbers
    assert await core.answers.sweep() == 0
