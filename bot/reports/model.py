"""The one data model every report and export is made from, loaded from the log alone.

Anonymity is enforced here, once: an anonymous question carries no author id or name, and its
asker's own events (asked, withdrawn) carry no actor. Renderers never see who it was.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.i18n import Message, msg
from bot.program import Timeline
from bot.sessions import Session, SessionFile
from bot.states import PASSED_REVIEW, UNANSWERED
from bot.storage import report_repo
from bot.storage.repository import Run, run_from_row
from bot.timeutil import from_db, utcnow

PRIVATE_DETAIL_KEYS = ("user", "author", "asker")


# Event and Question are read-only by convention but not frozen: a frozen dataclass is about
# five times slower to build, which counts when a log holds 100,000 questions.


@dataclass(slots=True)
class Event:
    """One change of one question."""

    action: str
    actor_id: str | None
    actor_name: str | None
    at: datetime
    reason: str | None
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any] | None


@dataclass(slots=True)
class Answer:
    """A written answer (during the session) or a follow-up answer (in its forum post, after).

    A private answer was meant for the asker only: its text is never loaded into a report.
    """

    by: str  # the speaker's name from the session file, else the answerer's display name
    role: str  # moderator | speaker
    at: datetime
    private: bool
    source: str  # written | followup
    text: str | None  # None when private


@dataclass(slots=True)
class Question:
    """A question as organizers see it afterwards."""

    id: int
    number: int
    text: str
    state: str
    votes: int
    anonymous: bool
    author_id: str | None
    author_name: str | None
    speaker_id: str | None
    label_id: str | None
    source: str
    asked_at: datetime
    answered_at: datetime | None
    merged_into: int | None
    also_asked_by: int
    events: tuple[Event, ...]
    answers: tuple[Answer, ...] = ()

    @property
    def was_approved(self) -> bool:
        return self.state in PASSED_REVIEW or any(e.action == "approved" for e in self.events)

    @property
    def asker(self) -> str:
        """Return who asked, as shown: a display name, or Anonymous."""
        if self.anonymous:
            return "Anonymous"
        return self.author_name or (f"user {self.author_id}" if self.author_id else "unknown")

    @property
    def original_text(self) -> str | None:
        """Return the text before a moderator first edited it, if one did. An asker's own edits
        while the question waited for review are drafts: they stay in the log, not here (an
        asker may have edited to take something out)."""
        for event in self.events:
            if event.action == "edited" and event.detail and not _by_asker(event):
                before = (
                    event.detail.get("before")
                    or event.detail.get("previous_text")
                    or event.detail.get("old_text")
                )
                if isinstance(before, str):
                    return before
        return None


def _by_asker(event: Event) -> bool:
    """An asker's own action (an anonymous asker's carries no actor, only this mark)."""
    return event.detail is not None and event.detail.get("actor") == "asker"


@dataclass(frozen=True, slots=True)
class SegmentTime:
    """A program segment as it was placed in time in this run."""

    id: str
    title: str
    kind: str
    speaker_id: str | None
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Post:
    """A program post the bot made, or skipped."""

    key: str
    due_at: datetime
    status: str
    late: bool
    posted_at: datetime | None


@dataclass(frozen=True, slots=True)
class RunEvent:
    """A session-level event: intake opened or closed, a delay, a skipped post."""

    action: str
    actor_id: str | None
    at: datetime
    detail: str | None


@dataclass(frozen=True)
class Stats:
    """The numbers at the top of a report."""

    participants_who_asked: int
    questions: int
    approved: int
    answered: int
    rejected: int
    withdrawn: int
    dismissed: int
    merged: int
    unanswered: int
    pending: int
    votes_cast: int
    voters: int
    median_answer_time: timedelta | None


@dataclass(frozen=True)
class RunReport:
    """Everything the log holds about one run of one session."""

    session: Session
    run: Run
    questions: tuple[Question, ...]
    segments: tuple[SegmentTime, ...]
    posts: tuple[Post, ...]
    run_events: tuple[RunEvent, ...]
    votes_cast: int
    voters: int
    participant_ids: frozenset[str] = field(repr=False)
    anonymized_at: datetime | None = None  # participants' ids and names replaced (forget)
    anonymized_before: datetime | None = None  # ...only for what was asked before this

    @property
    def anonymized_message(self) -> Message | None:
        """Say that (and when) the log was anonymized, in the report's language once rendered;
        None if it was not."""
        if self.anonymized_at is None:
            return None
        if self.anonymized_before is not None:
            return msg(
                "The log was anonymized on {day} for questions asked before {before} UTC: "
                "participants' Discord ids and names were replaced by pseudonyms "
                '("participant 1", ...).',
                day=format(self.anonymized_at, "%Y-%m-%d"),
                before=format(self.anonymized_before, "%Y-%m-%d %H:%M"),
            )
        return msg(
            "The log was anonymized on {day}: participants' Discord ids and names were replaced "
            'by pseudonyms ("participant 1", ...).',
            day=format(self.anonymized_at, "%Y-%m-%d"),
        )

    def on_program_clock(self) -> RunReport:
        """Return this run with every time on the program's clock, for a rehearsal.

        A rehearsal plays the program faster than real time, so its real times say little: the
        90-minute program of a rehearsal at 600x lasts nine seconds. Shown on the program's clock
        instead, its questions fall in the segments they were asked in. A real run is returned
        as it is.
        """
        if not self.run.is_rehearsal:
            return self
        timeline = Timeline(self.session, self.run)
        delay = timedelta(seconds=self.run.delay_seconds)

        def program(moment: datetime) -> datetime:
            # to the nearest second: mapping back through the speed leaves sub-second noise
            exact = timeline.to_session(moment) + delay + timedelta(microseconds=500_000)
            return exact.replace(microsecond=0)

        def maybe(moment: datetime | None) -> datetime | None:
            return None if moment is None else program(moment)

        questions = tuple(
            replace(
                q,
                asked_at=program(q.asked_at),
                answered_at=maybe(q.answered_at),
                events=tuple(replace(e, at=program(e.at)) for e in q.events),
                answers=tuple(replace(a, at=program(a.at)) for a in q.answers),
            )
            for q in self.questions
        )
        return replace(
            self,
            questions=questions,
            segments=tuple(
                replace(s, start=program(s.start), end=program(s.end)) for s in self.segments
            ),
            posts=tuple(
                replace(p, due_at=program(p.due_at), posted_at=maybe(p.posted_at))
                for p in self.posts
            ),
            run_events=tuple(replace(e, at=program(e.at)) for e in self.run_events),
        )

    def __repr__(self) -> str:
        # short: asyncio and loggers repr results, and the full log can be huge
        return (
            f"<RunReport {self.session.id} run={self.run.id} ({self.run.kind}) "
            f"questions={len(self.questions)}>"
        )

    @property
    def stats(self) -> Stats:
        by_state: dict[str, int] = defaultdict(int)
        for q in self.questions:
            by_state[q.state] += 1
        durations = [
            (q.answered_at - q.asked_at).total_seconds() for q in self.questions if q.answered_at
        ]
        return Stats(
            participants_who_asked=len(self.participant_ids),
            questions=len(self.questions),
            approved=sum(1 for q in self.questions if q.was_approved),
            answered=by_state["answered"],
            rejected=by_state["rejected"],
            withdrawn=by_state["withdrawn"],
            dismissed=by_state["dismissed"],
            merged=by_state["merged"],
            unanswered=sum(1 for q in self.questions if q.state in UNANSWERED),
            pending=by_state["pending"],
            votes_cast=self.votes_cast,
            voters=self.voters,
            median_answer_time=(
                timedelta(seconds=statistics.median(durations)) if durations else None
            ),
        )

    def answers(self) -> list[tuple[Question, Answer]]:
        """Return every written and follow-up answer, in the order they were given."""
        rows = [(q, a) for q in self.questions for a in q.answers]
        rows.sort(key=lambda pair: pair[1].at)
        return rows

    @property
    def unanswered(self) -> list[Question]:
        """Return approved questions never answered, most voted first: the follow-up list."""
        return sorted(
            (q for q in self.questions if q.state in UNANSWERED),
            key=lambda q: (-q.votes, q.asked_at),
        )

    def speaker_name(self, speaker_id: str | None) -> str | None:
        speaker = self.session.speaker(speaker_id)
        return speaker.name if speaker else speaker_id

    def label_name(self, label_id: str | None) -> str | None:
        label = self.session.label(label_id)
        return label.name if label else label_id

    def by_speaker(self) -> list[tuple[str | None, list[Question]]]:
        """Return questions grouped by the speaker they were addressed to (None: the panel)."""
        return _group(
            self.questions, lambda q: q.speaker_id, [s.id for s in self.session.spec.speakers]
        )

    def by_label(self) -> list[tuple[str | None, list[Question]]]:
        """Return questions grouped by label (None: no label)."""
        return _group(
            self.questions, lambda q: q.label_id, [lab.id for lab in self.session.spec.labels]
        )

    def moderation_log(self) -> list[tuple[Question, Event]]:
        """Return every moderator action (not the askers' own), in time order."""
        rows = [
            (q, e)
            for q in self.questions
            for e in q.events
            if e.action not in ("asked", "withdrawn", "voted", "unvoted") and not _by_asker(e)
        ]
        rows.sort(key=lambda pair: pair[1].at)
        return rows


@dataclass(frozen=True)
class Report:
    """The runs a report covers, and when it was made."""

    generated_at: datetime
    runs: tuple[RunReport, ...]
    run_kind: str = "real"
    session_id: str | None = None

    def __repr__(self) -> str:
        return f"<Report generated_at={self.generated_at.isoformat()} runs={list(self.runs)!r}>"


def _group(
    questions: tuple[Question, ...], key: Any, order: list[str]
) -> list[tuple[str | None, list[Question]]]:
    groups: dict[str | None, list[Question]] = defaultdict(list)
    for q in questions:
        groups[key(q)].append(q)
    ordered: list[tuple[str | None, list[Question]]] = []
    for k in [*order, *sorted(k for k in groups if k is not None and k not in order), None]:
        if k in groups:
            items = sorted(groups[k], key=lambda q: (-q.votes, q.number))
            ordered.append((k, items))
    return ordered


def _clean_detail(raw: str | None, anonymous: bool) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        detail = json.loads(raw)
    except ValueError:
        return {"text": raw}
    if not isinstance(detail, dict):
        return {"value": detail}
    if anonymous:
        detail = {
            k: v for k, v in detail.items() if not any(p in k.lower() for p in PRIVATE_DETAIL_KEYS)
        }
    return detail


def _segments(timeline: Timeline, posts: list[Post]) -> tuple[SegmentTime, ...]:
    posted = {p.key: p.due_at for p in posts}
    out = []
    for slot in timeline.session.slots:
        start = posted.get(f"segment:{slot.id}") or timeline.to_real(slot.start)
        end = start + (timeline.to_real(slot.end) - timeline.to_real(slot.start))
        seg = slot.segment
        out.append(SegmentTime(seg.id, seg.title, seg.kind, seg.speaker, start, end))
    return tuple(out)


async def load_run(conn: aiosqlite.Connection, row: aiosqlite.Row) -> RunReport:
    """Load one run's whole log into the report model.

    Linear in the log's size, with a few set-wise queries; events are read in chunks and their
    repeated strings (actions, states, names) shared, so a 100,000-question log stays small.
    """
    spec = SessionFile.model_validate_json(row["spec"])
    session = Session(spec, Path(f"<log:{spec.id}>"))
    run = run_from_row(row)
    run_id = run.id
    parse = datetime.fromisoformat  # the stored "...Z" UTC text, as bot.timeutil.from_db reads it
    shared: dict[str | None, str | None] = {}
    intern = shared.setdefault

    also: dict[int, int] = defaultdict(int)
    participants: set[str] = set()
    for co in await report_repo.co_askers(conn, run_id):
        also[co["question_id"]] += 1
        participants.add(str(co["user_id"]))

    # questions first (number order), then their events streamed in the same order and
    # attached question by question: no table of all events is ever held
    q_rows = await report_repo.questions(conn, run_id)
    anonymous_author = {r[0]: r[6] for r in q_rows if r[5]}  # id -> author, anonymous only
    questions: list[Question] = []
    for (
        qid,
        number,
        text,
        state,
        votes,
        anonymous_flag,
        author,
        author_name,
        speaker_id,
        label_id,
        source,
        asked_at,
        answered_text,
        merged_into,
    ) in q_rows:
        anonymous = bool(anonymous_flag)
        participants.add(str(author))
        questions.append(
            Question(
                id=qid,
                number=number,
                text=text,
                state=intern(state, state),  # type: ignore[arg-type]
                votes=votes,
                anonymous=anonymous,
                author_id=None if anonymous else str(author),
                author_name=None if anonymous else author_name,
                speaker_id=intern(speaker_id, speaker_id),
                label_id=intern(label_id, label_id),
                source=intern(source, source),  # type: ignore[arg-type]
                asked_at=parse(asked_at),
                answered_at=parse(answered_text) if answered_text else None,
                merged_into=merged_into,
                also_asked_by=also.get(qid, 0),
                events=(),
            )
        )
    del q_rows

    position = {q.id: i for i, q in enumerate(questions)}
    current: Question | None = None
    pending: list[Event] = []

    def attach() -> None:
        if current is None:
            return
        current.events = tuple(pending)
        if current.answered_at is None and current.state == "answered":
            current.answered_at = next(
                (e.at for e in reversed(current.events) if e.to_state == "answered"), None
            )

    async for chunk in report_repo.events(conn, run_id):
        for qid, action, actor_id, actor_name, at, reason, from_state, to_state, detail in chunk:
            if current is None or current.id != qid:
                attach()
                current, pending = questions[position[qid]], []
            author = anonymous_author.get(qid)
            if author is not None and actor_id == author:
                actor_id = actor_name = None  # an anonymous asker's own action
            pending.append(
                Event(
                    action=intern(action, action),  # type: ignore[arg-type]
                    actor_id=None if actor_id is None else intern(str(actor_id), str(actor_id)),
                    actor_name=intern(actor_name, actor_name),
                    at=parse(at),
                    reason=reason,
                    from_state=intern(from_state, from_state),
                    to_state=intern(to_state, to_state),
                    detail=_clean_detail(detail, author is not None) if detail else None,
                )
            )
        del chunk
    attach()
    speakers = {sp.id: sp.name for sp in spec.speakers}
    for qid, name, role, speaker_id, text, private, source, at in await report_repo.answers(
        conn, run_id
    ):
        q = questions[position[qid]]
        q.answers = (
            *q.answers,
            Answer(
                by=speakers.get(speaker_id or "") or name or f"a {role}",
                role=intern(role, role),  # type: ignore[arg-type]
                at=parse(at),
                private=bool(private),
                source=intern(source, source),  # type: ignore[arg-type]
                text=None if private else text,
            ),
        )
    del position

    posts = [
        Post(
            key=p["key"],
            due_at=from_db(p["due_at"]),
            status=p["status"],
            late=bool(p["late"]),
            posted_at=from_db(p["posted_at"]) if p["posted_at"] else None,
        )
        for p in await report_repo.posts(conn, run_id)
    ]
    run_events = tuple(
        RunEvent(
            action=e["action"],
            actor_id=None if e["actor_id"] is None else str(e["actor_id"]),
            at=from_db(e["at"]),
            detail=e["detail"],
        )
        for e in await report_repo.run_events(conn, run_id)
    )
    votes_cast, voters = await report_repo.vote_count(conn, run_id)
    forgotten = await report_repo.anonymization(conn, session.id, row["created_at"])
    return RunReport(
        session=session,
        run=run,
        questions=tuple(questions),
        segments=_segments(Timeline(session, run), posts),
        posts=tuple(posts),
        run_events=run_events,
        votes_cast=votes_cast,
        voters=voters,
        participant_ids=frozenset(participants),
        anonymized_at=from_db(forgotten["at"]) if forgotten else None,
        anonymized_before=(
            from_db(forgotten["before"]) if forgotten and forgotten["before"] else None
        ),
    )


async def load_report(
    conn: aiosqlite.Connection,
    *,
    session: str | None = None,
    run_kind: str = "real",
    run_id: int | None = None,
) -> Report:
    """Load every run of `run_kind` (of one session, or only run `run_id`, if given) from an
    open connection."""
    rows = await report_repo.runs(conn, session, run_kind, run_id)
    return Report(
        generated_at=utcnow(),
        runs=tuple([await load_run(conn, row) for row in rows]),
        run_kind=run_kind,
        session_id=session,
    )
