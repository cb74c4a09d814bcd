"""The question state machine and intake rules: what may happen to a question, and who says so.

Plain values in, plain dataclasses out; nothing here knows Discord. Every change is one
`Database.write` with its audit event, so a caller hears of it only after it is committed.

The states and their transitions are in `bot.states`. Intake is group-committed: every
`ask` goes through one `IntakeBatcher`, which checks and numbers all asks queued together in one
transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.errors import Refusal
from bot.i18n import Message, msg, nmsg
from bot.limits import cut
from bot.program import Timeline
from bot.sessions import Session
from bot.states import OPEN, VOTABLE, WAITING, State, can_move, sources_of, wording
from bot.storage import questions_repo as qrepo
from bot.storage import repository as repo
from bot.storage.database import Database
from bot.storage.questions_repo import Event, Question
from bot.storage.repository import Run
from bot.timeutil import discord_timestamp, from_db, to_db

__all__ = [
    "Event",
    "IntakeBatcher",
    "IntakeRequest",
    "Question",
    "QuestionService",
    "QueueView",
]

QUEUE_SIZE = 15
GONE = msg("This question no longer exists.")


def no_question(number: int) -> Message:
    """The refusal for a number the session has no question under."""
    return msg(
        "There is no question #{number} in this session; /qa queue lists them.", number=number
    )


log = logging.getLogger(__name__)


def _past(state: str) -> Message:
    """How people read a state in a sentence ("#4 was already approved by mona")."""
    return wording(state).past


# Characters that show nothing: a question made only of these (and spaces) is empty.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad \t\n\r"


def clean_text(text: str | None) -> str:
    """User text as it is stored: NUL characters removed (Discord messages and exports cannot
    carry them) and surrounding whitespace stripped; nothing else is changed."""
    return (text or "").replace("\x00", "").strip()


def _clean_reason(reason: str | None) -> str | None:
    return clean_text(reason) or None


@dataclass(frozen=True, slots=True)
class QueueView:
    """What moderators see of a run's queue: the top approved questions and counts per state."""

    top: list[Question]
    counts: dict[str, int]


@dataclass(slots=True)
class IntakeRequest:
    """One ask, already checked for what needs no database (text, speaker, anonymity, window)."""

    session_id: str
    run_id: int
    author_id: int
    author_name: str | None
    anonymous: bool
    text: str
    speaker_id: str | None
    state: str
    source: str
    source_message_id: int | None
    now: datetime
    cooldown_seconds: int
    max_waiting: int


@dataclass
class _AuthorState:
    last_asked: str | None
    waiting: int


# rows per intake statement: the database starts on the first while the rest of a burst is
# built (fewer if this SQLite binds fewer parameters)
ROWS_PER_STATEMENT = min(1024, qrepo.intake_rows_max())


class IntakeBatcher:
    """Check, number and store every ask queued together, in one transaction.

    Per batch and run, one query reads the last id and the run's last number, and the blocks
    and the last question and waiting count of the askers who have any. The rules are then
    applied in queue order, numbers and ids assigned, and one statement stores every question
    with its "asked" event (two for a large batch). Each asker gets back (id, number) and builds
    its own `Question` after the commit.
    """

    def reads(self, items: list[IntakeRequest]) -> list[qrepo.Statement]:
        """One query per run among the items."""
        return [
            qrepo.askers_query(
                items[indexes[0]].session_id,
                run_id,
                list(dict.fromkeys(items[i].author_id for i in indexes)),
            )
            for run_id, indexes in _by_run(items).items()
        ]

    def plan(
        self, items: list[IntakeRequest], found: list[Iterable[Any]]
    ) -> Generator[tuple[qrepo.Statement, bool], None, list[tuple[int, int] | Exception]]:
        """Yield the statements that store the questions taken, with whether another follows;
        return per item its (question id, number) or the Refusal that kept it out.

        A batch larger than `ROWS_PER_STATEMENT` rows is stored by several statements: each goes
        to the database as soon as it is built, while the next is checked and built.
        """
        results: list[tuple[int, int] | Exception] = [Refusal("")] * len(items)
        stamp_of: datetime | None = None
        stamp = ""
        rows: list[list[Any]] = []
        next_id = 0
        left = len(items)
        for (run_id, indexes), read in zip(_by_run(items).items(), found, strict=True):
            last_id, number, known = qrepo.parse_askers(read)
            people = {uid: _AuthorState(last, n) for uid, (_, last, n) in known.items()}
            blocked = {uid for uid, (is_blocked, _, _) in known.items() if is_blocked}
            next_id = max(next_id, last_id + 1)
            for i in indexes:
                left -= 1
                item = items[i]
                person = people.get(item.author_id)
                if person is None:
                    person = people[item.author_id] = _AuthorState(None, 0)
                refusal = _intake_refusal(item, person, item.author_id in blocked)
                if refusal is not None:
                    results[i] = refusal
                    continue
                number += 1
                if item.now is not stamp_of:  # a burst shares one clock reading: format it once
                    stamp_of, stamp = item.now, to_db(item.now)
                rows.append(
                    [
                        next_id,
                        run_id,
                        number,
                        item.author_id,
                        item.author_name,
                        int(item.anonymous),
                        item.text,
                        item.speaker_id,
                        item.state,
                        item.source,
                        stamp,
                        item.source_message_id,
                    ]
                )
                results[i] = (next_id, number)
                next_id += 1
                person.last_asked = stamp
                person.waiting += 1
                if len(rows) == ROWS_PER_STATEMENT and left:
                    yield qrepo.intake_insert(rows), True
                    rows = []
        if rows:
            yield qrepo.intake_insert(rows), False
        return results


def _by_run(items: list[IntakeRequest]) -> dict[int, list[int]]:
    """Indexes of the items, by run, in the order runs first appear."""
    by_run: dict[int, list[int]] = {}
    for index, item in enumerate(items):
        by_run.setdefault(item.run_id, []).append(index)
    return by_run


def _intake_refusal(item: IntakeRequest, person: _AuthorState, blocked: bool) -> Refusal | None:
    if blocked:
        return Refusal(
            msg(
                "A moderator has blocked you from asking questions in this session. "
                "Ask a moderator if you think this is a mistake."
            )
        )
    if item.cooldown_seconds and person.last_asked is not None:
        ready = from_db(person.last_asked) + timedelta(seconds=item.cooldown_seconds)
        if item.now < ready:
            wait = max(1, int((ready - item.now).total_seconds() + 0.999))
            return Refusal(
                nmsg(
                    "You just asked a question; please wait {count} second before asking another.",
                    "You just asked a question; please wait {count} seconds before asking another.",
                    wait,
                )
            )
    if person.waiting >= item.max_waiting:
        return Refusal(
            msg(
                "You already have {waiting} questions waiting (the limit is {limit}). Wait "
                "until one is answered, or withdraw one with /withdraw.",
                waiting=person.waiting,
                limit=item.max_waiting,
            )
        )
    return None


Actor = tuple[int | None, str | None]
Listener = Callable[[int, Sequence[Question]], None]


@dataclass
class QuestionService:
    """Everything that can happen to questions, as plain calls on the database."""

    db: Database
    clock: Callable[[], datetime]
    intake: IntakeBatcher = field(default_factory=IntakeBatcher)
    #: Told after every committed change, with the run and the questions as they are now (none
    #: for a vote): the presenter screen and the similarity index follow the log this way.
    listeners: list[Listener] = field(default_factory=list)
    _windows: dict[tuple[str, Run], tuple[bool, datetime | None, datetime | None]] = field(
        default_factory=dict, repr=False
    )

    def changed(self, run_id: int, *questions: Question) -> None:
        """Tell the listeners of a committed change of these questions (none: of the run, such
        as a vote's count). Services that change questions in their own transactions (written
        answers) call it too."""
        for listener in self.listeners:
            try:
                listener(run_id, questions)
            except Exception:
                log.exception("a listener of question changes failed")

    # ------------------------------------------------------------------ intake

    async def ask(
        self,
        session: Session,
        run: Run,
        author_id: int,
        author_name: str | None,
        text: str,
        speaker_id: str | None = None,
        anonymous: bool = False,
        source: str = "slash",
        source_message_id: int | None = None,
    ) -> Question:
        """Take a question, or raise Refusal with nothing stored. Returns after the commit."""
        now = self.clock()
        rules = session.spec.questions
        text = clean_text(text)
        if not text.strip(INVISIBLE):
            raise Refusal(msg("Your question is empty; write the question you want to ask."))
        if len(text) > rules.max_length:
            raise Refusal(
                msg(
                    "Your question is {length} characters long; the limit is {limit}. Shorten "
                    "it and ask again.",
                    length=len(text),
                    limit=rules.max_length,
                )
            )
        if anonymous and not rules.anonymous_allowed:
            raise Refusal(
                msg("This session does not take anonymous questions; ask again without anonymous.")
            )
        if speaker_id is not None and session.speaker(speaker_id) is None:
            raise Refusal(
                msg(
                    "That speaker is not in this session; pick one from the list, or leave it "
                    "empty."
                )
            )
        if not self._intake_open(session, run, now):
            raise Refusal(_closed_message(Timeline(session, run), now))
        request = IntakeRequest(
            session_id=session.id,
            run_id=run.id,
            author_id=author_id,
            author_name=None if anonymous else author_name,
            anonymous=anonymous,
            text=text,
            speaker_id=speaker_id,
            state=State.APPROVED if rules.moderation == "post" else State.PENDING,
            source=source,
            source_message_id=source_message_id,
            now=now,
            cooldown_seconds=rules.cooldown_seconds,
            max_waiting=rules.max_pending_per_user,
        )
        question_id, number = await self.db.write_batched(self.intake, request)
        if log.isEnabledFor(logging.DEBUG):
            who = "anonymous" if anonymous else f"asked by {author_id}"
            log.debug("run %d: question #%d stored (%s, %s)", run.id, number, who, source)
        # built here, after the commit, by each asker's own task: a burst's first askers are
        # not kept waiting while thousands of these are made
        q = Question(
            id=question_id,
            run_id=run.id,
            number=number,
            text=text,
            state=request.state,
            votes=0,
            anonymous=anonymous,
            author_id=author_id,
            author_name=request.author_name,
            speaker_id=speaker_id,
            label_id=None,
            asked_at=now,
            updated_at=now,
            source=source,
            source_message_id=source_message_id,
        )
        if self.listeners:
            self.changed(run.id, q)
        return q

    def _intake_open(self, session: Session, run: Run, now: datetime) -> bool:
        """Timeline.intake_open(now), with the run's window worked out once per run version."""
        key = (session.id, run)
        window = self._windows.get(key)
        if window is None:
            timeline = Timeline(session, run)
            if run.intake_override is not None:
                window = (run.intake_override == "open", None, None)
            else:
                window = (False, timeline.intake_opens_at(), timeline.intake_closes_at())
            if len(self._windows) > 64:
                self._windows.clear()
            self._windows[key] = window
        forced, opens, closes = window
        if run.intake_override is not None:
            return forced
        return opens is not None and closes is not None and opens <= now < closes

    # ------------------------------------------------------------------- reads

    async def get(self, run_id: int, number: int) -> Question | None:
        """Return question #number of a run."""
        return await self.db.read(lambda conn: qrepo.get_by_number(conn, run_id, number))

    async def get_by_id(self, question_id: int) -> Question | None:
        """Return a question by its id (buttons carry ids)."""
        return await self.db.read(lambda conn: qrepo.get_question(conn, question_id))

    async def mine(self, run_id: int, user_id: int) -> list[Question]:
        """Return a person's own questions of a run."""
        return await self.db.read(lambda conn: qrepo.by_author(conn, run_id, user_id))

    async def events(self, question_id: int) -> list[Event]:
        """Return a question's audit trail."""
        return await self.db.read(lambda conn: qrepo.events(conn, question_id))

    async def queue(self, run_id: int, limit: int = QUEUE_SIZE) -> QueueView:
        """Return the top approved questions (votes, then age) and the counts per state."""

        async def read(conn: aiosqlite.Connection) -> QueueView:
            top = await qrepo.ranked(conn, run_id, limit)
            counts = await repo.state_counts(conn, run_id)
            return QueueView(top, counts)

        return await self.db.read(read)

    async def live(self, run_id: int) -> Question | None:
        """Return the question being answered now, if any."""
        found = await self.db.read(lambda conn: qrepo.live_questions(conn, run_id))
        return found[-1] if found else None

    async def is_blocked(self, session_id: str, user_id: int) -> bool:
        return await self.db.read(lambda conn: qrepo.is_blocked(conn, session_id, user_id))

    # ----------------------------------------------------------- participants

    async def withdraw(self, run_id: int, number: int, user_id: int) -> Question:
        """Let an asker withdraw their own pending or approved question."""
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> Question:
            q = await qrepo.get_by_number(conn, run_id, number)
            if q is None or q.author_id != user_id:
                raise Refusal(
                    msg(
                        "You have no question #{number} in this session; /myquestions lists yours.",
                        number=number,
                    )
                )
            if q.state not in WAITING:
                raise Refusal(_no_longer_withdrawn(number, q.state))
            actor: Actor = (None, None) if q.anonymous else (user_id, q.author_name)
            detail = {"actor": "asker"} if q.anonymous else None
            if not await qrepo.transition(
                conn, q.id, q.state, State.WITHDRAWN, now, "withdrawn", *actor, detail=detail
            ):
                raise Refusal(
                    msg(
                        "#{number} changed just now; check /myquestions and try again.",
                        number=number,
                    )
                )
            return await _reload(conn, q.id)

        q = await self.db.write(change)
        self.changed(q.run_id, q)
        return q

    async def toggle_vote(self, question_id: int, voter_id: int) -> tuple[bool, int]:
        """Add or remove a person's vote on an approved (or live) question: (voted, votes)."""
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> tuple[int, tuple[bool, int]]:
            q = await qrepo.get_question(conn, question_id)
            if q is None:
                raise Refusal(GONE)
            if q.state not in VOTABLE:
                raise Refusal(
                    msg(
                        "#{number} is {state}; voting on it has ended.",
                        number=q.number,
                        state=_past(q.state),
                    )
                )
            if q.author_id == voter_id:
                raise Refusal(msg("You cannot vote for your own question."))
            return q.run_id, await qrepo.toggle_vote(conn, question_id, voter_id, now)

        run_id, voted = await self.db.write(change)
        self.changed(run_id)
        return voted

    async def vote_instead(
        self, question_id: int, instead_id: int, user_id: int
    ) -> tuple[Question, Question]:
        """An asker takes back their new question and votes for a similar open one instead, in
        one transaction: (their question, withdrawn; the one they vote for)."""
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> tuple[Question, Question]:
            q = await qrepo.get_question(conn, question_id)
            kept = await qrepo.get_question(conn, instead_id)
            if q is None or q.author_id != user_id or kept is None or kept.run_id != q.run_id:
                raise Refusal(msg("This button is not for you; /myquestions lists your questions."))
            if kept.state not in VOTABLE:
                raise Refusal(
                    msg(
                        "#{number} is {state}, so it takes no more votes; your question "
                        "#{yours} stays as it is.",
                        number=kept.number,
                        state=_past(kept.state),
                        yours=q.number,
                    )
                )
            if kept.author_id == user_id:
                raise Refusal(
                    msg(
                        "#{number} is your own question; #{yours} stays as it is.",
                        number=kept.number,
                        yours=q.number,
                    )
                )
            if q.state not in WAITING:
                raise Refusal(_no_longer_withdrawn(q.number, q.state))
            actor: Actor = (None, None) if q.anonymous else (user_id, q.author_name)
            detail: dict[str, Any] = {"instead": kept.number}
            if q.anonymous:
                detail["actor"] = "asker"
            await qrepo.transition(
                conn, q.id, q.state, State.WITHDRAWN, now, "withdrawn", *actor, detail=detail
            )
            if not await qrepo.has_vote(conn, kept.id, user_id):
                await qrepo.toggle_vote(conn, kept.id, user_id, now)
            return await _reload(conn, q.id), await _reload(conn, kept.id)

        mine, kept = await self.db.write(change)
        self.changed(mine.run_id, mine, kept)
        return mine, kept

    # -------------------------------------------------------------- moderators

    async def _move(
        self,
        run_id: int,
        number: int,
        to_state: str,
        actor: Actor,
        *,
        action: str | None = None,
        reason: str | None = None,
        allowed_from: frozenset[State] | None = None,
    ) -> Question:
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> Question:
            q = await _require(conn, run_id, number)
            sources = allowed_from or sources_of(State(to_state))
            if q.state not in sources or not can_move(q.state, to_state):
                raise await _conflict(conn, q, to_state)
            if not await qrepo.transition(
                conn, q.id, q.state, to_state, now, action or to_state, *actor, reason=reason
            ):
                raise await _conflict(conn, q, to_state)
            return await _reload(conn, q.id)

        q = await self.db.write(change)
        self.changed(q.run_id, q)
        return q

    async def approve(
        self, run_id: int, number: int, actor_id: int | None, actor_name: str | None
    ) -> Question:
        """Approve a pending question: it goes to the public queue."""
        return await self._move(
            run_id,
            number,
            State.APPROVED,
            (actor_id, actor_name),
            allowed_from=frozenset({State.PENDING}),  # a live question is answered, or requeued
        )

    async def reject(
        self,
        run_id: int,
        number: int,
        actor_id: int | None,
        actor_name: str | None,
        reason: str | None = None,
    ) -> Question:
        """Reject a pending question."""
        return await self._move(
            run_id, number, State.REJECTED, (actor_id, actor_name), reason=_clean_reason(reason)
        )

    async def dismiss(
        self,
        run_id: int,
        number: int,
        actor_id: int | None,
        actor_name: str | None,
        reason: str | None = None,
    ) -> Question:
        """Set an approved question aside."""
        return await self._move(
            run_id, number, State.DISMISSED, (actor_id, actor_name), reason=_clean_reason(reason)
        )

    async def requeue(
        self, run_id: int, number: int, actor_id: int | None, actor_name: str | None
    ) -> Question:
        """Put the live question back in the queue, unanswered."""
        return await self._move(
            run_id,
            number,
            State.APPROVED,
            (actor_id, actor_name),
            action="requeued",
            allowed_from=frozenset({State.LIVE}),
        )

    async def edit(
        self,
        run_id: int,
        number: int,
        text: str,
        actor_id: int | None,
        actor_name: str | None,
        max_length: int = 4000,
    ) -> Question:
        """Change a question's text; the previous text stays in the event's detail."""
        text = clean_text(text)
        if not text.strip(INVISIBLE):
            raise Refusal(msg("The new text is empty; write the question as it should read."))
        if len(text) > max_length:
            raise Refusal(
                msg(
                    "The new text is {length} characters long; the limit is {limit}.",
                    length=len(text),
                    limit=max_length,
                )
            )
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> Question:
            q = await _require(conn, run_id, number)
            if q.state not in OPEN:
                raise Refusal(
                    msg(
                        "#{number} is {state}; only open questions can be edited.",
                        number=number,
                        state=_past(q.state),
                    )
                )
            if q.text == text:
                raise Refusal(
                    msg(
                        "#{number} already reads exactly like that; nothing changed.", number=number
                    )
                )
            await qrepo.set_text(conn, q.id, text, now)
            await qrepo.add_event(
                conn,
                q.id,
                "edited",
                actor_id,
                actor_name,
                now,
                detail={"before": q.text, "after": text},
            )
            return await _reload(conn, q.id)

        q = await self.db.write(change)
        self.changed(q.run_id, q)
        return q

    async def label(
        self,
        session: Session,
        run_id: int,
        number: int,
        label_id: str,
        actor_id: int | None,
        actor_name: str | None,
    ) -> Question:
        """Give a question one of the session's labels."""
        if session.label(label_id) is None:
            typed = cut(label_id, 100, one_line=True)
            if not session.spec.labels:
                raise Refusal(
                    msg("There is no label “{label}”: this session has no labels.", label=typed)
                )
            names = cut(", ".join(lab.id for lab in session.spec.labels), 1500)
            raise Refusal(
                msg(
                    "There is no label “{label}” in this session (labels: {labels}).",
                    label=typed,
                    labels=names,
                )
            )
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> Question:
            q = await _require(conn, run_id, number)
            if q.label_id == label_id:
                raise Refusal(msg("#{number} already has that label.", number=number))
            await qrepo.set_label(conn, q.id, label_id, now)
            await qrepo.add_event(
                conn,
                q.id,
                "labelled",
                actor_id,
                actor_name,
                now,
                detail={"before": q.label_id, "after": label_id},
            )
            return await _reload(conn, q.id)

        q = await self.db.write(change)
        self.changed(q.run_id, q)
        return q

    async def merge(
        self, run_id: int, number: int, into: int, actor_id: int | None, actor_name: str | None
    ) -> tuple[Question, Question]:
        """Merge duplicate #number into #into: votes and askers carried over.

        A pending duplicate is approved and merged in the same transaction (two events), so the
        state machine holds. Returns (duplicate, kept) as they are after the merge.
        """
        if number == into:
            raise Refusal(
                msg("A question cannot be merged into itself; give two different numbers.")
            )
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> tuple[Question, Question]:
            dup = await _require(conn, run_id, number)
            kept = await _require(conn, run_id, into)
            if kept.state not in OPEN:
                raise Refusal(
                    msg(
                        "#{number} is {state}; merge into an open question instead.",
                        number=into,
                        state=_past(kept.state),
                    )
                )
            if dup.state not in WAITING:
                raise await _conflict(conn, dup, State.MERGED)
            actor: Actor = (actor_id, actor_name)
            state = dup.state
            if state == State.PENDING:
                await qrepo.transition(
                    conn,
                    dup.id,
                    State.PENDING,
                    State.APPROVED,
                    now,
                    "approved",
                    *actor,
                    reason=f"duplicate of #{into}",
                )
                state = State.APPROVED
            if not await qrepo.transition(
                conn,
                dup.id,
                state,
                State.MERGED,
                now,
                "merged",
                *actor,
                detail={"into": into, "votes": dup.votes},
                merged_into=kept.id,
            ):
                raise await _conflict(conn, dup, State.MERGED)
            votes = await qrepo.move_votes_and_askers(conn, dup, kept, now)
            await qrepo.add_event(
                conn,
                kept.id,
                "merged_in",
                actor_id,
                actor_name,
                now,
                detail={"from": number, "votes": votes},
            )
            return await _reload(conn, dup.id), await _reload(conn, kept.id)

        first, second = await self.db.write(change)
        self.changed(first.run_id, first, second)
        return first, second

    async def next_question(
        self,
        run_id: int,
        actor_id: int | None,
        actor_name: str | None,
        speaker_id: str | None = None,
    ) -> tuple[Question, Question | None]:
        """Make the top-ranked approved question live (for that speaker if given).

        The question live before becomes answered. Returns (live, answered or None).
        """
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> tuple[Question, Question | None]:
            top = await qrepo.ranked(conn, run_id, 1, speaker_id)
            if not top:
                if speaker_id:
                    raise Refusal(
                        msg(
                            "No approved questions for that speaker are waiting; approve some "
                            "first (/qa queue)."
                        )
                    )
                raise Refusal(
                    msg("No approved questions are waiting; approve some first (/qa queue).")
                )
            return await _go_live(conn, top[0], now, (actor_id, actor_name))

        first, second = await self.db.write(change)
        self.changed(first.run_id, *(q for q in (first, second) if q is not None))
        return first, second

    async def pick(
        self, run_id: int, number: int, actor_id: int | None, actor_name: str | None
    ) -> tuple[Question, Question | None]:
        """Make a chosen approved question live; the previous live one becomes answered."""
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> tuple[Question, Question | None]:
            q = await _require(conn, run_id, number)
            if q.state != State.APPROVED:
                raise await _conflict(conn, q, State.LIVE)
            return await _go_live(conn, q, now, (actor_id, actor_name))

        first, second = await self.db.write(change)
        self.changed(first.run_id, *(q for q in (first, second) if q is not None))
        return first, second

    async def answered(self, run_id: int, actor_id: int | None, actor_name: str | None) -> Question:
        """Mark the live question as answered."""
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> Question:
            live = await qrepo.live_questions(conn, run_id)
            if not live:
                raise Refusal(msg("No question is live right now; pick one with /qa next."))
            for q in live:
                await qrepo.transition(
                    conn, q.id, State.LIVE, State.ANSWERED, now, "answered", actor_id, actor_name
                )
            return await _reload(conn, live[-1].id)

        q = await self.db.write(change)
        self.changed(q.run_id, q)
        return q

    async def block(
        self,
        session_id: str,
        run_id: int,
        user_id: int,
        actor_id: int | None,
        actor_name: str | None,
        reason: str | None = None,
    ) -> None:
        """Block a member from asking in a session (/qa block). The answer depends only on this
        kind of block: a block made from an anonymous question's card never shows here."""
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> None:
            if not await qrepo.block(conn, session_id, user_id, actor_id, now, reason):
                raise Refusal(msg("That person is already blocked with /qa block in this session."))
            await repo.add_run_event(conn, run_id, "blocked", actor_id, now, detail=str(user_id))

        await self.db.write(change)

    async def block_author(
        self, question_id: int, session_id: str, actor_id: int | None, actor_name: str | None
    ) -> Question:
        """Block a question's author without revealing who it is; a pending question is
        rejected and an approved one dismissed with it."""
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> Question:
            q = await qrepo.get_question(conn, question_id)
            if q is None:
                raise Refusal(GONE)
            to_state = {State.PENDING: State.REJECTED, State.APPROVED: State.DISMISSED}.get(
                State(q.state)
            )
            # Whether the author is blocked otherwise never changes the answer: a settled
            # question's card is stale, whoever asked it.
            if to_state is None:
                raise await _conflict(conn, q, State.REJECTED)
            await qrepo.block(
                conn, session_id, q.author_id, actor_id, now, f"author of #{q.number}", question=q
            )
            await qrepo.transition(
                conn,
                q.id,
                q.state,
                to_state,
                now,
                to_state,
                actor_id,
                actor_name,
                reason="author blocked",
            )
            await qrepo.add_event(conn, q.id, "author_blocked", actor_id, actor_name, now)
            await repo.add_run_event(
                conn, q.run_id, "blocked", actor_id, now, detail=f"author of #{q.number}"
            )
            return await _reload(conn, q.id)

        q = await self.db.write(change)
        self.changed(q.run_id, q)
        return q

    async def unblock_author(
        self, question_id: int, session_id: str, actor_id: int | None, actor_name: str | None
    ) -> Question:
        """Let a question's author ask again, without revealing who it is."""
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> Question:
            q = await qrepo.get_question(conn, question_id)
            if q is None:
                raise Refusal(GONE)
            if not await qrepo.unblock_author(conn, session_id, q.id):
                raise Refusal(
                    msg("The author of #{number} is not blocked from this card.", number=q.number)
                )
            await qrepo.add_event(conn, q.id, "author_unblocked", actor_id, actor_name, now)
            await repo.add_run_event(
                conn, q.run_id, "unblocked", actor_id, now, detail=f"author of #{q.number}"
            )
            return await _reload(conn, q.id)

        q = await self.db.write(change)
        self.changed(q.run_id, q)
        return q

    async def unblock(
        self, session_id: str, run_id: int, user_id: int, actor_id: int | None
    ) -> None:
        """Lift a member's block made with /qa block. Blocks made from a question's card are
        lifted from that card only, so this answer never tells whether the member wrote an
        anonymous question that was blocked."""
        now = self.clock()

        async def change(conn: aiosqlite.Connection) -> None:
            if not await qrepo.unblock(conn, session_id, user_id):
                raise Refusal(
                    msg(
                        "That person has no block from /qa block in this session (a block made "
                        "with a card's Block author is lifted on that card)."
                    )
                )
            await repo.add_run_event(conn, run_id, "unblocked", actor_id, now, detail=str(user_id))

        await self.db.write(change)

    # ---------------------------------------------------------------- messages

    async def set_card_message(self, question_id: int, message_id: int) -> None:
        await self.db.write(lambda conn: qrepo.set_card_message(conn, question_id, message_id))

    async def set_card_messages(self, question_ids: list[int], message_id: int) -> None:
        """One digest card stands for the card of each of these questions."""
        await self.db.write(lambda conn: qrepo.set_card_messages(conn, question_ids, message_id))

    async def by_ids(self, question_ids: list[int]) -> list[Question]:
        """Return these questions as stored now, oldest first."""
        return await self.db.read(lambda conn: qrepo.by_ids(conn, question_ids))

    async def undelivered(self, run_id: int) -> list[Question]:
        """Return the run's questions still missing their card or vote message."""
        return await self.db.read(lambda conn: qrepo.undelivered(conn, run_id))

    async def card_is_shared(self, q: Question) -> bool:
        """Say whether the question's card is a digest card shared with other questions."""
        message_id = q.card_message_id
        if message_id is None:
            return False
        return await self.db.read(lambda conn: qrepo.card_is_shared(conn, q.id, message_id))

    async def set_live_message(self, question_id: int, message_id: int) -> None:
        await self.db.write(lambda conn: qrepo.set_live_message(conn, question_id, message_id))

    async def set_refused(self, question_ids: list[int], kind: str, reason: str) -> None:
        """Discord refuses this card ("card") or vote message ("vote") for good."""
        await self.db.write(lambda conn: qrepo.set_refused(conn, question_ids, kind, reason))

    async def set_vote_message(self, question_id: int, message_id: int) -> None:
        await self.db.write(lambda conn: qrepo.set_vote_message(conn, question_id, message_id))


# ---------------------------------------------------------------- helpers


def _closed_message(timeline: Timeline, now: datetime) -> Message:
    if timeline.run.intake_override == "closed":
        return msg(
            "Questions are closed right now; a moderator closed intake. Try again when it opens."
        )
    opens, closes = timeline.intake_opens_at(), timeline.intake_closes_at()
    if opens is not None and now < opens:
        return msg(
            "Questions are not open yet; they open {when}. Ask again then.",
            when=discord_timestamp(opens, "R"),
        )
    if closes is not None and now >= closes:
        return msg("Questions for this session are closed; thank you for taking part.")
    return msg("Questions are closed right now; ask again when a moderator opens them.")


async def _require(conn: aiosqlite.Connection, run_id: int, number: int) -> Question:
    q = await qrepo.get_by_number(conn, run_id, number)
    if q is None:
        raise Refusal(no_question(number))
    return q


async def _reload(conn: aiosqlite.Connection, question_id: int) -> Question:
    q = await qrepo.get_question(conn, question_id)
    assert q is not None
    return q


async def _conflict(conn: aiosqlite.Connection, q: Question, wanted: str) -> Refusal:
    """Say why a question cannot move to `wanted`, naming who handled it and how."""
    current = await qrepo.get_question(conn, q.id) or q
    state = current.state
    event = await qrepo.last_event_into(conn, q.id, state)
    if state != wanted and state == State.PENDING:
        return Refusal(
            msg("#{number} is still waiting for review; approve it first.", number=q.number)
        )
    done = _done(state, event)
    who, name = _who(event)
    if state == wanted:
        sentence = {
            "name": msg("#{number} was already {done} by {name}.", name=name),
            "asker": msg("#{number} was already {done} by its asker."),
            "bot": msg("#{number} was already {done} by the bot."),
            "": msg("#{number} was already {done}."),
        }[who]
    else:
        sentence = {
            "name": msg(
                "#{number} was already {done} by {name}, so it cannot be {wanted} now.", name=name
            ),
            "asker": msg(
                "#{number} was already {done} by its asker, so it cannot be {wanted} now."
            ),
            "bot": msg("#{number} was already {done} by the bot, so it cannot be {wanted} now."),
            "": msg("#{number} was already {done}, so it cannot be {wanted} now."),
        }[who]
    named = {**sentence.named, "number": q.number, "done": done, "wanted": _past(wanted)}
    return Refusal(msg(sentence.msgid, **named))


def _done(state: str, event: Event | None) -> Message:
    """A settled state in a sentence: "approved", or "merged into #7"."""
    if state == State.MERGED and event is not None and event.detail:
        detail: dict[str, Any] = json.loads(event.detail)
        if "into" in detail:
            return msg("merged into #{number}", number=detail["into"])
    return _past(state)


def _who(event: Event | None) -> tuple[str, str]:
    """Who made a change, for a sentence: ("name", their name), ("asker", ""), ("bot", ""), or
    ("", "") when it is not known."""
    if event is None:
        return "", ""
    detail: dict[str, Any] = json.loads(event.detail) if event.detail else {}
    if event.actor_name:
        return "name", event.actor_name
    if detail.get("actor") == "asker":
        return "asker", ""
    if event.actor_id is None:
        return "bot", ""
    return "", ""


def _no_longer_withdrawn(number: int, state: str) -> Message:
    return msg(
        "#{number} is already {state}, so it can no longer be withdrawn.",
        number=number,
        state=_past(state),
    )


async def _go_live(
    conn: aiosqlite.Connection, q: Question, now: datetime, actor: Actor
) -> tuple[Question, Question | None]:
    previous = await qrepo.live_questions(conn, q.run_id)
    for old in previous:
        await qrepo.transition(conn, old.id, State.LIVE, State.ANSWERED, now, "answered", *actor)
    if not await qrepo.transition(conn, q.id, State.APPROVED, State.LIVE, now, "live", *actor):
        raise await _conflict(conn, q, State.LIVE)
    answered = await _reload(conn, previous[-1].id) if previous else None
    return await _reload(conn, q.id), answered
