"""Answers that reach the asker: written answers, notices, follow-ups, an asker's own edits.

Plain values in, plain dataclasses out; nothing here knows Discord. Every change is one
`Database.write` with its audit event, committed before the call returns, and then told to the
question service's listeners (the screen, the similarity index, and this service's outbox).

Notices: the service listens to every committed change of a question. After it, a separate
write (`sweep`) turns the new question events into notices in the `notices` table, the outbox,
and moves the outbox's cursor in the same transaction; the Discord side sends them, paced, with
`pending_notices`, `claim`, `mark_sent` and `mark_failed`. A change rolled back makes no
event, so no notice; a change committed just before a crash is swept at the next `start`; a
notice is claimed before it is sent, and one found still claimed at start is never sent again
(it may have gone): nothing is lost and nothing sent twice.

Who may answer is the caller's to check (moderators; speakers named in the session file); this
service checks what the question allows: a speaker answers the questions addressed to them or
to the whole panel, and only approved, live or already answered questions take answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import aiosqlite

from bot.answers_text import (
    ANSWER_MAX,
    Escape,
    answer_line,
    answerer,
    notice_content,
    notice_line,
    refuse_answer_state,
    refuse_changed,
    refuse_edit_state,
    refuse_empty_answer,
    refuse_empty_edit,
    refuse_long_answer,
    refuse_long_edit,
    refuse_not_addressed,
    refuse_not_own,
    refuse_same_edit,
    refuse_unknown_role,
)
from bot.errors import DatabaseError, Refusal
from bot.followups import FollowupPost, ForumTags, followups, forum_tags
from bot.i18n import ENGLISH, Localizer, Text
from bot.questions import GONE, INVISIBLE, Question, QuestionService, clean_text, no_question
from bot.routing import role_ids
from bot.sessions import Session
from bot.states import State
from bot.storage import answers_repo as arepo
from bot.storage import questions_repo as qrepo
from bot.storage.answers_repo import Answer, Notice, Thread
from bot.storage.database import Database, rows_in

__all__ = [
    "ANSWER_MAX",
    "Answer",
    "AnswerService",
    "Answered",
    "FollowupAnswer",
    "FollowupPost",
    "ForumTags",
    "Link",
    "MyQuestion",
    "MyQuestions",
    "Notice",
    "Outgoing",
    "Speaking",
    "followups",
    "speaking",
]

log = logging.getLogger(__name__)

ROLES = ("moderator", "speaker")
#: Questions that take a written answer; an answered one takes more (no state change).
ANSWERABLE = frozenset({State.APPROVED, State.LIVE, State.ANSWERED})
#: A notice about a public written answer waits this long for the answer to be posted, so it
#: can link to it; then it goes with a link to the question instead.
HOLD_FOR_POST = timedelta(seconds=60)
#: A notice that failed (not for closed DMs) is tried again after this.
RETRY_AFTER = timedelta(seconds=60)
#: A change is turned into notices this long after it (more changes meanwhile join it).
SWEEP_DELAY = 0.02
#: What a follow-up answer keeps of a forum message (Discord's longest message).
FOLLOWUP_TEXT_MAX = 4000


# --------------------------------------------------------------------- speakers


@dataclass(frozen=True, slots=True)
class Speaking:
    """Whether a member is one of the session's speakers, and which ones of the file."""

    is_speaker: bool
    speaker_ids: frozenset[str]


def _same_user(ref: int | str, user_id: int, username: str | None) -> bool:
    if isinstance(ref, int):
        return ref == user_id
    text = ref.strip().lstrip("@")
    if text.isdigit():
        return int(text) == user_id
    return username is not None and text.casefold() == username.casefold()


def speaking(
    session: Session,
    user_id: int,
    username: str | None,
    roles: Iterable[tuple[int, str]] = (),
) -> Speaking:
    """Say whether a member is a speaker of the session: named by a speaker's `discord_user`
    (their id, or their username, the unique handle: never a display name, which anyone can
    take), or holding `[discord] speaker_role` (by id, or by an exact name no other role has).
    A speaker by role only answers the whole panel's questions."""
    ids = frozenset(
        s.id
        for s in session.spec.speakers
        if s.discord_user is not None and _same_user(s.discord_user, user_id, username)
    )
    ref = session.spec.discord.speaker_role
    by_role = ref is not None and len(role_ids(ref, roles)) == 1  # an ambiguous name: none
    return Speaking(bool(ids) or by_role, ids)


# -------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Answered:
    """A written answer stored: the question as it is now, the answer, and whether the
    question became answered with it."""

    question: Question
    answer: Answer
    became_answered: bool


@dataclass(frozen=True, slots=True)
class FollowupAnswer:
    """An answer in a follow-up forum post: the question, the answer, and whether it is the
    first there (the one that notices go out for)."""

    question: Question
    answer: Answer
    first: bool


@dataclass(frozen=True, slots=True)
class Link:
    """Where a notice points: a message in the questions or live channel (channel_id None:
    the session's channel of that kind), or a thread (channel_id: the thread; message_id None:
    the thread itself)."""

    where: Literal["questions", "live", "thread"]
    channel_id: int | None
    message_id: int | None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A notice to send now, with what its wording needs. Its recipient is a member id: never
    write it to a log line (an anonymous asker's id would be there)."""

    notice: Notice
    session_id: str
    run_id: int
    number: int
    question_text: str
    answer: Answer | None
    link: Link | None

    @property
    def id(self) -> int:
        return self.notice.id

    @property
    def recipient_id(self) -> int:
        return self.notice.recipient_id

    def content(self, session: Session, escape: Escape, url: str | None = None) -> str:
        """The direct message, at most 2,000 characters, in the session's languages (a direct
        message comes with no reader's language); `url` is the link, made by the caller from
        `link`."""
        answer = self.answer
        return notice_content(
            self.notice.kind,
            self.notice.detail,
            number=self.number,
            session_title=session.title,
            question_text=self.question_text,
            escape=escape,
            by=_by(answer, session),
            answer_text=answer.text if answer is not None else None,
            link=url,
            languages=session.languages,
        )


def _by(answer: Answer | None, session: Session) -> Text:
    if answer is None:
        return ""
    speaker = session.speaker(answer.speaker_id)
    return answerer(answer.author_name, answer.role, speaker.name if speaker else None)


@dataclass(frozen=True, slots=True)
class MyQuestion:
    """One question in a member's /myquestions: their answers and notices about it."""

    question: Question
    answers: tuple[Answer, ...]
    notices: tuple[Notice, ...]

    def lines(self, session: Session, escape: Escape, _: Localizer = ENGLISH) -> list[str]:
        """The answers, then the notices, one line each (the question's own line is the
        caller's), in the reader's language."""
        out = [
            answer_line(_by(a, session), a.text, a.private, a.created_at, escape, _)
            for a in self.answers
        ]
        by_answer = {a.id: a for a in self.answers}
        for n in self.notices:
            answer = by_answer.get(n.detail.get("answer") or -1)
            out.append(
                notice_line(
                    n.kind,
                    n.detail,
                    n.status,
                    n.created_at,
                    number=self.question.number,
                    session_title=session.title,
                    escape=escape,
                    by=_by(answer, session),
                    _=_,
                )
            )
        return out


@dataclass(frozen=True, slots=True)
class MyQuestions:
    """A member's /myquestions: their own questions (with every answer, private ones too), and
    the questions they got notices about without having asked them (public answers only)."""

    own: tuple[MyQuestion, ...]
    others: tuple[MyQuestion, ...]

    @property
    def undelivered(self) -> int:
        """Notices that could not reach the member by direct message."""
        return sum(
            1 for q in (*self.own, *self.others) for n in q.notices if n.status == "fallback"
        )


# -------------------------------------------------------------------- service


class AnswerService:
    """Written answers, notices, follow-ups and askers' own edits, as plain calls."""

    def __init__(
        self, db: Database, clock: Callable[[], datetime], questions: QuestionService
    ) -> None:
        self.db = db
        self.clock = clock
        self.questions = questions
        #: Told (with no arguments) after notices were queued: wake the sender.
        self.listeners: list[Callable[[], None]] = []
        #: Seconds between a change and the sweep that turns it into notices.
        self.sweep_delay = SWEEP_DELAY
        self._dirty = False
        self._task: asyncio.Task[None] | None = None
        #: Whether anyone chose to hear of questions: until then a change needs no sweep (the
        #: first choice sweeps what came before, so nobody hears of the past).
        self._listening = False
        questions.listeners.append(self._question_changed)

    # ----------------------------------------------------------- lifecycle

    async def start(self) -> int:
        """At start: notices left being sent are not sent again; events logged since the last
        sweep (a crash right after a change) become notices. Returns the notices queued."""
        await self.db.write(arepo.recover_sending)
        self._listening = await self.db.read(arepo.anyone_listens)
        return await self.sweep()

    async def drain(self) -> None:
        """Wait until every change told so far is turned into notices."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    def _question_changed(self, run_id: int, questions: Sequence[Question]) -> None:
        if questions and self._listening:  # a vote changes no question's state
            self._wake()

    async def _listen(self) -> None:
        """Someone chose to hear of questions: sweep what came before (nobody is told of the
        past), then follow every change."""
        if not self._listening:
            await self.sweep()
            self._listening = True

    def _wake(self) -> None:
        self._dirty = True
        if self._task is not None and not self._task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: the next start sweeps
        self._task = loop.create_task(self._sweeps(), name="notice-sweep")

    async def _sweeps(self) -> None:
        while self._dirty:
            # a moment's wait gathers the changes of a burst into one sweep: a notice waits a
            # few milliseconds more, and the writer is not asked for a transaction per change
            await asyncio.sleep(self.sweep_delay)
            self._dirty = False
            try:
                await self.sweep()
            except DatabaseError as exc:
                log.warning("notices not queued now (%s); the next start queues them", exc)
                return
            except Exception:
                log.exception("queueing notices failed; the next change or start retries")
                return

    async def sweep(self) -> int:
        """Turn the question events logged since the last sweep into notices, a bounded number
        of events per transaction; return how many notices were queued."""
        queued, more = 0, True
        while more:
            found, more = await self.db.write(self._queue)
            queued += found
        if queued:
            for listener in list(self.listeners):
                try:
                    listener()
                except Exception:
                    log.exception("a listener of queued notices failed")
        return queued

    async def _queue(self, conn: aiosqlite.Connection) -> tuple[int, bool]:
        return await arepo.queue_notices(conn, self.clock())

    # ------------------------------------------------------- written answers

    async def answer(
        self,
        run_id: int,
        number: int,
        text: str,
        author_id: int,
        author_name: str | None,
        role: str,
        private: bool = False,
        speaker_ids: Collection[str] = (),
    ) -> Answered:
        """Store a written answer to #number; the question counts as answered (an approved or
        live one becomes answered, with its event, in the same transaction).

        `role` is "moderator" or "speaker", as the caller checked; a speaker (`speaker_ids`:
        the session file's speakers they are) answers questions addressed to them or to the
        whole panel. A private answer reaches the asker only, as a notice.
        """
        if role not in ROLES:
            raise Refusal(refuse_unknown_role())
        text = clean_text(text)
        if not text.strip(INVISIBLE):
            raise Refusal(refuse_empty_answer())
        if len(text) > ANSWER_MAX:
            raise Refusal(refuse_long_answer(len(text)))
        now = self.clock()
        speakers = frozenset(speaker_ids)

        async def change(conn: aiosqlite.Connection) -> Answered:
            q = await qrepo.get_by_number(conn, run_id, number)
            if q is None:
                raise Refusal(no_question(number))
            speaker_id = _answering_as(q, role, speakers)
            if q.state not in ANSWERABLE:
                raise Refusal(await _state_refusal(conn, q))
            answer = await arepo.add_answer(
                conn, q.id, author_id, author_name, role, speaker_id, text, private, "written", now
            )
            detail = {"answer": answer.id, "private": private, "role": role}
            moved = q.state != State.ANSWERED
            if moved:
                if not await qrepo.transition(
                    conn,
                    q.id,
                    q.state,
                    State.ANSWERED,
                    now,
                    arepo.WRITTEN,
                    author_id,
                    author_name,
                    detail=detail,
                ):
                    raise Refusal(refuse_changed(number))
            else:
                await qrepo.add_event(
                    conn, q.id, arepo.WRITTEN, author_id, author_name, now, detail=detail
                )
            fresh = await qrepo.get_question(conn, q.id)
            assert fresh is not None
            return Answered(fresh, answer, moved)

        done = await self.db.write(change)
        self.questions.changed(done.question.run_id, done.question)
        if private and not self._listening:
            self._wake()  # the asker hears of it, whatever they chose
        return done

    async def answers_of(self, question_id: int) -> list[Answer]:
        """Every answer to a question, oldest first (private ones too: for its asker only)."""
        return await self.db.read(lambda conn: arepo.answers_of(conn, [question_id]))

    async def answer_counts(self, question_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """(public, private) answers per question that has any: what its public message shows
        (`answers_text.answered_marker`)."""
        return await self.db.read(lambda conn: arepo.answer_counts(conn, question_ids))

    async def unposted_answers(self, run_id: int) -> list[tuple[Question, Answer]]:
        """The run's public written answers still to post in their thread, with their
        question, oldest first."""

        async def read(conn: aiosqlite.Connection) -> list[tuple[Question, Answer]]:
            answers = await arepo.unposted_answers(conn, run_id)
            found = {q.id: q for q in await qrepo.by_ids(conn, [a.question_id for a in answers])}
            return [(found[a.question_id], a) for a in answers if a.question_id in found]

        return await self.db.read(read)

    async def answer_thread(self, question_id: int) -> Thread | None:
        """The thread written answers to this question go in, if one is made or being made."""
        return await self.db.read(lambda conn: arepo.get_thread(conn, question_id, "answers"))

    async def claim_answer_thread(self, question_id: int) -> bool:
        """True if the caller should make the question's answer thread now."""
        now = self.clock()
        return await self.db.write(
            lambda conn: arepo.claim_thread(conn, question_id, "answers", now)
        )

    async def record_answer_thread(self, question_id: int, thread_id: int) -> bool:
        now = self.clock()
        return await self.db.write(
            lambda conn: arepo.record_thread(conn, question_id, "answers", thread_id, now)
        )

    async def answer_thread_failed(self, question_id: int, error: str) -> None:
        await self.db.write(lambda conn: arepo.fail_thread(conn, question_id, "answers", error))

    async def answer_posted(self, answer_id: int, thread_id: int, message_id: int) -> bool:
        """Record where a public answer was posted (a notice about it then links there)."""
        return await self.db.write(
            lambda conn: arepo.set_answer_posted(conn, answer_id, thread_id, message_id)
        )

    async def record_live_post(self, question_id: int, channel_id: int, message_id: int) -> None:
        """Record the announcement of a question put on screen (notices link to it)."""
        now = self.clock()
        await self.db.write(
            lambda conn: arepo.record_live_post(conn, question_id, channel_id, message_id, now)
        )

    # ------------------------------------------------------------ an asker's edit

    async def edit_own(
        self, run_id: int, number: int, user_id: int, text: str, max_length: int
    ) -> Question:
        """Let an asker change their own question while it waits for review. The text before
        stays in the event's detail; an anonymous asker is not named (actor "asker" only)."""
        text = clean_text(text)
        if not text.strip(INVISIBLE):
            raise Refusal(refuse_empty_edit())
        if len(text) > max_length:
            raise Refusal(refuse_long_edit(len(text), max_length))
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> Question:
            q = await qrepo.get_by_number(conn, run_id, number)
            if q is None or q.author_id != user_id:
                raise Refusal(refuse_not_own(number))
            if q.state != State.PENDING:
                raise Refusal(refuse_edit_state(number, q.state))
            if q.text == text:
                raise Refusal(refuse_same_edit(number))
            if not await qrepo.set_text(conn, q.id, text, now, only_state=State.PENDING):
                raise Refusal(refuse_changed(number))
            actor_id, actor_name = (None, None) if q.anonymous else (user_id, q.author_name)
            await qrepo.add_event(
                conn,
                q.id,
                "edited",
                actor_id,
                actor_name,
                now,
                detail={"before": q.text, "after": text, "actor": "asker"},
            )
            fresh = await qrepo.get_question(conn, q.id)
            assert fresh is not None
            return fresh

        q = await self.db.write(change)
        self.questions.changed(q.run_id, q)
        return q

    # --------------------------------------------------------------- choices

    async def set_notify(
        self, session_id: str, user_id: int, on: bool, voted: bool | None = None
    ) -> None:
        """/notify on|off: direct messages about the member's own questions in the session
        (and, `voted`, about follow-up answers to the questions they voted for)."""
        if on or voted:
            await self._listen()
        now = self.clock()
        await self.db.write(
            lambda conn: arepo.set_session_pref(conn, session_id, user_id, on, voted, now)
        )

    async def notify_choice(self, session_id: str, user_id: int) -> tuple[bool, bool] | None:
        """A member's (own, voted) choice for the session, or None if they made none."""
        return await self.db.read(lambda conn: arepo.session_pref(conn, session_id, user_id))

    async def set_question_notify(self, question_id: int, user_id: int, on: bool) -> None:
        """/ask notify:true|false for the asker; for anyone else, following the question (a
        notice when it is answered after the session). It wins over /notify."""
        if on:
            await self._listen()
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> None:
            if await qrepo.get_question(conn, question_id) is None:
                raise Refusal(GONE)
            await arepo.set_question_notify(conn, question_id, user_id, on, now)

        await self.db.write(change)

    # --------------------------------------------------------------- sending

    async def pending_notices(self, limit: int = 20) -> list[Outgoing]:
        """Notices to send now, oldest first, with what their wording needs. A notice about a
        public written answer waits (up to a minute) for the answer to be posted."""
        now = self.clock()

        async def read(conn: aiosqlite.Connection) -> list[Outgoing]:
            notices = await arepo.due_notices(conn, now - RETRY_AFTER, limit)
            if not notices:
                return []
            ids = {n.question_id for n in notices} | {
                int(n.detail["into_id"]) for n in notices if n.detail.get("into_id")
            }
            questions = {q.id: q for q in await qrepo.by_ids(conn, sorted(ids))}
            runs = await _sessions_of_runs(conn, {q.run_id for q in questions.values()})
            out = []
            for n in notices:
                q = questions.get(n.question_id)
                if q is None:
                    continue
                answer = None
                if n.detail.get("answer") is not None:
                    answer = await arepo.get_answer(conn, int(n.detail["answer"]))
                    if (
                        answer is not None
                        and not answer.private
                        and answer.message_id is None
                        and now - n.created_at < HOLD_FOR_POST
                    ):
                        continue  # its post is on its way: link to it
                link = await _link(conn, n, q, answer, questions)
                out.append(
                    Outgoing(n, runs.get(q.run_id, ""), q.run_id, q.number, q.text, answer, link)
                )
            return out

        return await self.db.read(read)

    async def claim(self, notice_id: int) -> bool:
        """Take a notice to send it now; False if it is not waiting (sent, or being sent)."""
        now = self.clock()
        return await self.db.write(lambda conn: arepo.claim_notice(conn, notice_id, now))

    async def mark_sent(self, notice_id: int) -> bool:
        now = self.clock()
        return await self.db.write(lambda conn: arepo.mark_sent(conn, notice_id, now))

    async def mark_failed(self, notice_id: int, reason: str, fallback: bool) -> str | None:
        """A send failed. `fallback` (Discord 50007: the member's DMs are closed): never tried
        again, shown in /myquestions. Otherwise tried again later, up to three times in all.
        Returns the notice's new status."""
        return await self.db.write(
            lambda conn: arepo.mark_failed(conn, notice_id, reason, fallback)
        )

    async def outbox(self) -> dict[str, int]:
        """How many notices are in each status (for /qa status and checks)."""
        return await self.db.read(arepo.outbox_counts)

    # ---------------------------------------------------------- /myquestions

    async def mine(self, run_id: int, user_id: int) -> MyQuestions:
        """A member's own questions of a run with every answer and their notices, and the
        questions they got notices about without having asked them, with public answers: the
        same as the direct messages said, for a member whose DMs are closed."""

        async def read(conn: aiosqlite.Connection) -> MyQuestions:
            own = await qrepo.by_author(conn, run_id, user_id)
            notices = await arepo.notices_of(conn, user_id, run_id)
            own_ids = {q.id for q in own}
            other_ids = sorted({n.question_id for n in notices} - own_ids)
            others = await qrepo.by_ids(conn, other_ids)
            answers = await arepo.answers_of(conn, [*own_ids, *other_ids])
            by_question: dict[int, list[Answer]] = {}
            for a in answers:
                if a.private and a.question_id not in own_ids:
                    continue
                by_question.setdefault(a.question_id, []).append(a)
            told: dict[int, list[Notice]] = {}
            for n in notices:
                told.setdefault(n.question_id, []).append(n)

            def item(q: Question) -> MyQuestion:
                return MyQuestion(q, tuple(by_question.get(q.id, ())), tuple(told.get(q.id, ())))

            return MyQuestions(tuple(map(item, own)), tuple(map(item, others)))

        return await self.db.read(read)

    # ------------------------------------------------------------- follow-ups

    async def followups_due(
        self,
        session: Session,
        run_id: int,
        escape: Escape,
        existing_tags: Sequence[str] = (),
        *,
        add_tags: bool = True,
    ) -> tuple[ForumTags, list[FollowupPost]]:
        """The forum's tags and the follow-up posts still to make for a run: every approved
        question still unanswered that has no post yet (made or being made). `add_tags=False`
        when the forum's tags cannot be changed: posts then use the forum's own only."""

        async def read(conn: aiosqlite.Connection) -> list[Question]:
            return await qrepo.by_ids(conn, await arepo.followup_candidates(conn, run_id))

        owed = await self.db.read(read)
        tags = (
            forum_tags(session, existing_tags, add=add_tags)
            if owed
            else ForumTags(tuple(existing_tags), ())
        )
        return tags, followups(owed, session, escape, tags=tags)

    async def claim_followup(self, question_id: int) -> bool:
        """True if the caller should make the question's follow-up post now (never two)."""
        now = self.clock()
        return await self.db.write(
            lambda conn: arepo.claim_thread(conn, question_id, "followup", now)
        )

    async def record_followup_post(self, question_id: int, thread_id: int) -> bool:
        """Record the forum post made for a question; again with the same thread: no change."""
        now = self.clock()
        return await self.db.write(
            lambda conn: arepo.record_thread(conn, question_id, "followup", thread_id, now)
        )

    async def followup_failed(self, question_id: int, error: str) -> None:
        """Making the post failed: it may be claimed again (at the next pass)."""
        await self.db.write(lambda conn: arepo.fail_thread(conn, question_id, "followup", error))

    async def unfinished_threads(self, run_id: int) -> list[Thread]:
        """Threads and posts claimed but never recorded (the bot stopped while making them):
        at start, find each in Discord (an answer thread's id is its message's id; a follow-up
        post by its title) and record it, or call the matching `..._failed` to try again."""
        return await self.db.read(lambda conn: arepo.unfinished_threads(conn, run_id))

    async def followup_thread(self, thread_id: int) -> Thread | None:
        """The follow-up post with this thread id, if it is one."""
        return await self.db.read(lambda conn: arepo.thread_by_id(conn, thread_id))

    async def followup_answered(
        self,
        thread_id: int,
        message_id: int,
        author_id: int,
        author_name: str | None,
        role: str,
        text: str,
        speaker_ids: Collection[str] = (),
    ) -> FollowupAnswer | None:
        """A moderator or speaker wrote in a follow-up post: store the answer (once per
        message). The first answer there makes the question answered (approved or live
        before) and sends notices to its asker and the members who chose to hear. Returns
        None when the thread is no follow-up post; refuses a speaker answering a question
        addressed to another speaker."""
        if role not in ROLES:
            raise Refusal(refuse_unknown_role())
        text = clean_text(text)[:FOLLOWUP_TEXT_MAX]
        if not text.strip(INVISIBLE):
            return None  # an attachment or a sticker: nothing to keep
        now = self.clock()
        speakers = frozenset(speaker_ids)

        async def change(conn: aiosqlite.Connection) -> FollowupAnswer | None:
            thread = await arepo.thread_by_id(conn, thread_id)
            if thread is None or thread.kind != "followup":
                return None
            q = await qrepo.get_question(conn, thread.question_id)
            if q is None:
                return None
            known = await arepo.answer_by_message(conn, message_id)
            if known is not None:
                return FollowupAnswer(q, known, False)
            speaker_id = _answering_as(q, role, speakers)
            answer = await arepo.add_answer(
                conn,
                q.id,
                author_id,
                author_name,
                role,
                speaker_id,
                text,
                False,
                "followup",
                now,
                thread_id=thread_id,
                message_id=message_id,
            )
            first = await arepo.mark_first_answer(conn, q.id, "followup", now)
            detail = {"answer": answer.id, "role": role}
            if first and q.state in (State.APPROVED, State.LIVE):
                await qrepo.transition(
                    conn,
                    q.id,
                    q.state,
                    State.ANSWERED,
                    now,
                    arepo.FOLLOWUP,
                    author_id,
                    author_name,
                    detail=detail,
                )
            elif first and q.state == State.ANSWERED:
                await qrepo.add_event(
                    conn, q.id, arepo.FOLLOWUP, author_id, author_name, now, detail=detail
                )
            fresh = await qrepo.get_question(conn, q.id)
            assert fresh is not None
            return FollowupAnswer(fresh, answer, first)

        done = await self.db.write(change)
        if done is not None and done.first:
            self.questions.changed(done.question.run_id, done.question)
        return done


# ------------------------------------------------------------------- helpers


def _answering_as(q: Question, role: str, speakers: frozenset[str]) -> str | None:
    """The speaker (of the session file) an answer is given as; refuse a speaker answering a
    question addressed to another speaker."""
    if role != "speaker":
        return None
    if q.speaker_id is not None:
        if q.speaker_id not in speakers:
            raise Refusal(refuse_not_addressed(q.number))
        return q.speaker_id
    return next(iter(speakers)) if len(speakers) == 1 else None


async def _state_refusal(conn: aiosqlite.Connection, q: Question) -> Text:
    into: int | None = None
    if q.state == State.MERGED and q.merged_into is not None:
        kept = await qrepo.get_question(conn, q.merged_into)
        into = kept.number if kept is not None else None
    return refuse_answer_state(q.number, q.state, into)


async def _sessions_of_runs(conn: aiosqlite.Connection, run_ids: Iterable[int]) -> dict[int, str]:
    rows = await rows_in(conn, "SELECT id, session_id FROM runs WHERE id IN ({marks})", run_ids)
    return {int(r[0]): str(r[1]) for r in rows}


async def _link(
    conn: aiosqlite.Connection,
    n: Notice,
    q: Question,
    answer: Answer | None,
    questions: dict[int, Question],
) -> Link | None:
    """Where a notice points: the answer's message, the live announcement, or the question's
    public message (for a merge: the question it was merged into). A private answer and a
    rejection point nowhere."""

    def public(question: Question | None) -> Link | None:
        if question is None or question.vote_message_id is None:
            return None
        return Link("questions", None, question.vote_message_id)

    if n.kind == "rejected":
        return None
    if answer is not None:
        if answer.private:
            return None
        if answer.thread_id is not None:
            return Link("thread", answer.thread_id, answer.message_id)
        return public(q)
    if n.kind in ("live", "answered"):
        post = await arepo.last_live_post(conn, q.id)
        if post is not None:
            return Link("live", post.channel_id, post.message_id)
        return public(q)
    if n.kind == "merged":
        into = n.detail.get("into_id")
        return public(questions.get(int(into))) if into else None
    return public(q)
