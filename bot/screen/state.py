"""What the presenter screen shows, read from the log alone: plain values, ready for JSON.

One `load_state` call reads a run's live question, the top of its queue, its program posts and
its delay, and places the program in real time with `bot.program` (the same Timeline and agenda
the schedule uses, so the countdown follows `/schedule delay`). An anonymous asker is shown as
"Anonymous": their name is not even read.

The screen speaks the session's languages, as its public posts do: each of its words in each
language in turn ("Up next · Siguiente"), a word the languages share once; its `language` (the
page's `lang`) is the main one, the first the session lists. The state carries the page's words
(`words`, with `{placeholders}` the page fills) and the texts that depend on a count, already
worded (`texts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import aiosqlite

from bot.i18n import ENGLISH, Localizer, several
from bot.limits import cut_line
from bot.program import AgendaRow, Timeline, agenda, started_segments
from bot.sessions import Session
from bot.storage import posts_repo
from bot.storage import questions_repo as qrepo
from bot.storage import repository as repo
from bot.storage.posts_repo import PostRecord
from bot.storage.questions_repo import Question
from bot.timeutil import to_iso

ANONYMOUS = "Anonymous"
QUEUE_SIZE = 5
#: Queue entries are cut to this many characters (the question on screen never is).
QUEUE_TEXT = 160


@dataclass(frozen=True, slots=True)
class ScreenQuestion:
    """The question on screen, or one waiting in the queue."""

    number: int
    text: str
    votes: int
    speaker: str | None
    asker: str
    label: str | None = None
    co_askers: int = 0


@dataclass(frozen=True, slots=True)
class ScreenSegment:
    """A segment of the program in real time: the one running now, or the next one."""

    id: str
    title: str
    kind: str
    speaker: str | None
    starts_at: str  # ISO 8601, UTC
    ends_at: str
    local_start: str  # "19:10", the session's own wall clock
    local_end: str
    #: seconds from `ScreenState.now` to the segment's end (now running) or start (next one)
    seconds_left: float


@dataclass(frozen=True, slots=True)
class ScreenIntake:
    """Whether questions are accepted now, and the line that invites them."""

    open: bool
    invite: str


@dataclass(frozen=True, slots=True)
class ScreenState:
    """Everything the page shows for one session at one instant."""

    session_id: str
    title: str
    rehearsal: bool
    now: str  # the bot's clock, ISO 8601 UTC: the page counts down from here
    question: ScreenQuestion | None
    queue: list[ScreenQuestion]
    waiting: int  # approved questions in the queue, all of them
    segment: ScreenSegment | None
    next_segment: ScreenSegment | None
    delay_minutes: int
    intake: ScreenIntake
    #: the code of the session's main language (the page's `lang`)
    language: str = "en"
    #: the page's words in that language (see `page_words`)
    words: Mapping[str, str] = field(default_factory=dict)
    #: texts worded for this state: votes and asker (of the question on screen), waiting
    #: (the queue beyond what is listed), delay; "" when there is nothing to say
    texts: Mapping[str, str] = field(default_factory=dict)
    #: the next instant the screen changes by itself (a segment starts or ends, intake opens or
    #: closes); not sent to the page
    next_change: datetime | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The state as the page receives it."""
        data = asdict(self)
        data.pop("next_change")
        return data


def speaker_name(session: Session, speaker_id: str | None) -> str | None:
    """Return how a speaker is named on screen ("Ms. Joyce N. Mundara"), or None."""
    speaker = session.speaker(speaker_id)
    if speaker is None:
        return None
    return " ".join(part for part in (speaker.honorific, speaker.name) if part)


def asker_name(q: Question, _: Localizer = ENGLISH) -> str:
    """The asker as the screen names them: their display name, or "Anonymous"."""
    if q.anonymous or not q.author_name:
        return _(ANONYMOUS)
    return q.author_name


def invite_line(session: Session, _: Localizer = ENGLISH) -> str:
    """The line inviting questions: "/ask in #questions" (the channel from the session file)."""
    channel = session.spec.discord.questions_channel
    if isinstance(channel, str) and not channel.isdigit():
        return _("/ask in #{channel}", channel=channel.lstrip("#"))
    return _("/ask in the questions channel")


@cache
def page_words(_: Localizer) -> dict[str, str]:
    """The page's own words in the localizer's language or languages ({time}, {title}: filled
    by the page); one dict per localizer, shared: read it, never change it."""
    return dict(
        {
            "ask_lead": _("Ask your questions"),
            "at": _.template("at {time}"),
            "idle_closed": _("Questions are closed."),
            "idle_open": _("Questions will appear here."),
            "next": _.template("Next: {title}"),
            "noscript": _("This screen needs JavaScript to follow the session live."),
            "on_screen": _.template("{title} · on screen"),
            "queue_empty": _("No questions waiting."),
            "reconnecting": _("Reconnecting…"),
            "rehearsal": _("Rehearsal"),
            "until": _.template("until {time}"),
            "up_next": _("Up next"),
        }
    )


def state_texts(
    question: ScreenQuestion | None, listed: int, waiting: int, delay: int, _: Localizer
) -> dict[str, str]:
    """The texts of one state that depend on a count, worded in the screen's languages."""
    texts = {"votes": "", "asker": "", "waiting": "", "delay": ""}
    if question is not None:
        texts["votes"] = _.ngettext("{count} vote", "{count} votes", question.votes)
        texts["asker"] = (
            _.ngettext(
                "{asker} and {count} other",
                "{asker} and {count} others",
                question.co_askers,
                asker=question.asker,
            )
            if question.co_askers > 0
            else question.asker
        )
    if waiting > listed:
        texts["waiting"] = _("and {count} more waiting", count=waiting - listed)
    if delay > 0:
        texts["delay"] = _("{minutes} min late", minutes=delay)
    elif delay < 0:
        texts["delay"] = _("{minutes} min early", minutes=-delay)
    return texts


def _question(
    session: Session, q: Question, _: Localizer, *, limit: int | None = None
) -> ScreenQuestion:
    label = session.label(q.label_id)
    return ScreenQuestion(
        number=q.number,
        text=q.text if limit is None else cut_line(q.text, limit),
        votes=q.votes,
        speaker=speaker_name(session, q.speaker_id),
        asker=asker_name(q, _),
        label=label.name if label is not None else None,
        co_askers=q.co_askers,
    )


def _segment(session: Session, row: AgendaRow, until: datetime, now: datetime) -> ScreenSegment:
    zone = session.zone
    return ScreenSegment(
        id=row.slot.id,
        title=row.slot.segment.title,
        kind=row.slot.segment.kind,
        speaker=speaker_name(session, row.slot.segment.speaker),
        starts_at=to_iso(row.start),
        ends_at=to_iso(row.end),
        local_start=f"{row.start.astimezone(zone):%H:%M}",
        local_end=f"{row.end.astimezone(zone):%H:%M}",
        seconds_left=round(max(0.0, (until - now).total_seconds()), 3),
    )


def program_now(
    timeline: Timeline, records: Mapping[str, PostRecord], now: datetime
) -> tuple[ScreenSegment | None, ScreenSegment | None, datetime | None]:
    """Return (the segment running at `now`, the next one, the next instant either changes).

    Segments follow the run's delay as the schedule places them: a started segment keeps its
    recorded start, the others move with the delay, and the running one ends when the next
    starts.
    """
    session = timeline.session
    rows = agenda(timeline, started_segments(records), now)
    current = next((r for r in rows if r.live), None)
    upcoming = next((r for r in rows if r.start > now), None)
    moments = [m for r in rows for m in (r.start, r.end) if m > now]
    for moment in (timeline.intake_opens_at(), timeline.intake_closes_at()):
        if moment is not None and moment > now:
            moments.append(moment)
    return (
        _segment(session, current, current.end, now) if current is not None else None,
        _segment(session, upcoming, upcoming.start, now) if upcoming is not None else None,
        min(moments) if moments else None,
    )


async def load_state(
    conn: aiosqlite.Connection,
    session: Session,
    run_id: int,
    now: datetime,
    queue_size: int = QUEUE_SIZE,
) -> ScreenState:
    """Read what the screen of `session` shows at `now` for its run `run_id` (on a reader)."""
    run = await repo.get_run(conn, run_id)
    if run is None:
        raise LookupError(f"there is no run {run_id}")
    live = await qrepo.live_questions(conn, run_id)
    queue = await qrepo.ranked(conn, run_id, queue_size) if queue_size > 0 else []
    counts = await repo.state_counts(conn, run_id)
    records = await posts_repo.posts_of_run(conn, run_id)
    timeline = Timeline(session, run)
    segment, upcoming, next_change = program_now(timeline, records, now)
    _ = several(session.languages)
    question = _question(session, live[-1], _) if live else None
    waiting = counts.get("approved", 0)
    delay = round(run.delay_seconds / 60)
    return ScreenState(
        session_id=session.id,
        title=session.title,
        rehearsal=run.is_rehearsal,
        now=to_iso(now),
        question=question,
        queue=[_question(session, q, _, limit=QUEUE_TEXT) for q in queue],
        waiting=waiting,
        segment=segment,
        next_segment=upcoming,
        delay_minutes=delay,
        intake=ScreenIntake(open=timeline.intake_open(now), invite=invite_line(session, _)),
        language=_.code,
        words=page_words(_),
        texts=state_texts(question, len(queue), waiting, delay, _),
        next_change=next_change,
    )


def refresh_delay(state: ScreenState, now: datetime, floor: float = 1.0) -> float | None:
    """Seconds until the screen should be read again by itself (at least `floor`), or None."""
    if state.next_change is None:
        return None
    return max(floor, (state.next_change - now).total_seconds() + 0.05)


__all__ = [
    "ANONYMOUS",
    "QUEUE_SIZE",
    "ScreenIntake",
    "ScreenQuestion",
    "ScreenSegment",
    "ScreenState",
    "asker_name",
    "invite_line",
    "load_state",
    "page_words",
    "program_now",
    "refresh_delay",
    "speaker_name",
]
