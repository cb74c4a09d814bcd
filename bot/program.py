"""Place a session's program in real time for one run, and decide which program posts are due.

Everything here is pure: times are passed in, nothing reads a clock, a database or Discord.

Words used below:

- *session time*: the program as written in the session file (resolved to UTC).
- *real time*: when it happens in this run: a real run keeps the program's times, shifted by the
  run's delay; a rehearsal starts at its anchor and plays `speed` times faster.
- *post*: one message the bot sends on schedule, named by a stable key: ``segment:<id>`` (a
  segment starts, live channel), ``reminder:<id>`` (before a Q&A or discussion, moderation
  channel), ``intake:open`` / ``intake:close`` (live channel) and ``summary`` (the closing summary,
  moderation channel), ``report`` (the HTML report, to organizers, when the program ends) and
  ``followups`` (the unanswered questions as posts of the session's follow-up forum).
- *done*: a post with a row in the posts table (claimed, posted, skipped or failed). A done post
  is never sent again and never moves.

Delays. A run has one total delay (session seconds). It moves every post that is not done; a
done post keeps the time it was due. A segment has *started* when its post is done; the bot
records every post whose time has come before it applies a delay, so at the instant of a delay
"started" and "done" are the same set: a delay shifts exactly the segments that have not started
yet, and the running segment simply lasts longer (or shorter). Intake opening is the one
exception: a positive delay never postpones it (questions can be asked from the announced start,
and a delay given after intake opened must not close it again); a negative delay brings it
forward like everything else.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.errors import Refusal
from bot.i18n import msg, nmsg
from bot.sessions import Session, Slot
from bot.storage.posts_repo import PostRecord
from bot.storage.repository import Run

PostKind = Literal[
    "segment", "reminder", "intake-open", "intake-close", "summary", "report", "followups"
]
Action = Literal["schedule", "post", "skip"]

#: Kinds of segment moderators are reminded of before they start.
REMINDED_KINDS = frozenset({"qa", "discussion"})
#: A post sent within this much (real time) after its due time is on time, and is sent even if
#: its window has passed (a rehearsal at high speed must not drop a segment because start-up
#: took a fraction of a second). The grace is `GRACE_SESSION` of session time, at least
#: `GRACE_FLOOR` of real time.
GRACE_SESSION = timedelta(seconds=60)
GRACE_FLOOR = timedelta(seconds=5)
#: The closing announcement and summary are still worth sending this long (session time) after
#: intake closed, e.g. when the bot was offline at the close.
CLOSE_WINDOW = timedelta(hours=1)

# Order of posts due at the same instant: close what ends before announcing what starts.
_ORDER: dict[PostKind, int] = {
    "intake-close": 0,
    "summary": 1,
    "report": 2,
    "followups": 3,
    "reminder": 4,
    "segment": 5,
    "intake-open": 6,
}


@dataclass(frozen=True)
class Timeline:
    """Map session time (the program as written) to real time for one run, and back.

    A real run keeps the program's own times, shifted by the run's delay. A rehearsal starts its
    first segment at the run's anchor and plays `speed` times faster.
    """

    session: Session
    run: Run

    @property
    def _origin(self) -> datetime | None:
        return self.session.starts_at

    @property
    def speed(self) -> float:
        """How many times faster than real the program plays (1 for a real run)."""
        return self.run.speed if self.run.is_rehearsal else 1.0

    def _place(self, session_time: datetime, delay_seconds: int) -> datetime:
        origin = self._origin
        delay = timedelta(seconds=delay_seconds)
        if origin is None or not self.run.is_rehearsal:
            return session_time + delay
        anchor = self.run.anchor_at or self.run.created_at
        return anchor + (session_time + delay - origin) / self.run.speed

    def to_real(self, session_time: datetime) -> datetime:
        """Return the real instant at which the (undelayed) session time `session_time` falls."""
        return self._place(session_time, self.run.delay_seconds)

    def to_session(self, real: datetime) -> datetime:
        """Return the session time (as the program is written, before delays) at a real instant."""
        origin = self._origin
        delay = timedelta(seconds=self.run.delay_seconds)
        if origin is None or not self.run.is_rehearsal:
            return real - delay
        anchor = self.run.anchor_at or self.run.created_at
        return origin + (real - anchor) * self.run.speed - delay

    def real_span(self, session_span: timedelta) -> timedelta:
        """Return how long a stretch of session time lasts in real time in this run."""
        return session_span / self.speed

    def intake_opens_at(self) -> datetime | None:
        """Return when intake opens on schedule (None: only by hand). Positive delays keep it."""
        opens, closes = self.session.intake_window
        if opens is None or closes is None:
            return None
        return self._place(opens, min(self.run.delay_seconds, 0))

    def intake_closes_at(self) -> datetime | None:
        """Return when intake closes on schedule (None: only by hand)."""
        opens, closes = self.session.intake_window
        if opens is None or closes is None:
            return None
        return self.to_real(closes)

    def intake_open(self, now: datetime) -> bool:
        """Say whether questions are accepted at the real instant `now`."""
        if self.run.intake_override is not None:
            return self.run.intake_override == "open"
        opens, closes = self.intake_opens_at(), self.intake_closes_at()
        if opens is None or closes is None:
            return False
        return opens <= now < closes

    def grace(self) -> timedelta:
        """Return how late (real time) a post may be sent and still count as on time."""
        return max(GRACE_FLOOR, self.real_span(GRACE_SESSION))


# ---------------------------------------------------------------------------------- the plan


@dataclass(frozen=True, slots=True)
class PlannedPost:
    """One post of a run: its key, when it is due and until when it is worth sending."""

    key: str
    kind: PostKind
    due: datetime
    until: datetime | None  # after this instant a missed post is skipped; None: always sent
    segment_id: str | None = None

    @property
    def sort_key(self) -> tuple[datetime, int]:
        return (self.due, _ORDER[self.kind])


def segment_key(segment_id: str) -> str:
    return f"segment:{segment_id}"


def reminder_key(segment_id: str) -> str:
    return f"reminder:{segment_id}"


INTAKE_OPEN = "intake:open"
INTAKE_CLOSE = "intake:close"
SUMMARY = "summary"
REPORT = "report"
FOLLOWUPS = "followups"


def plan_posts(timeline: Timeline) -> list[PlannedPost]:
    """Return every post of the run with its due time in real UTC, in the order to send them.

    The times use the run's current total delay; for posts already done, the time recorded with
    the post is the one that counts (see the module docstring).
    """
    session = timeline.session
    posts: list[PlannedPost] = []
    minutes = session.spec.schedule.reminder_minutes
    for slot in session.slots:
        start, end = timeline.to_real(slot.start), timeline.to_real(slot.end)
        posts.append(PlannedPost(segment_key(slot.id), "segment", start, end, slot.id))
        if minutes > 0 and slot.segment.kind in REMINDED_KINDS:
            due = timeline.to_real(slot.start - timedelta(minutes=minutes))
            posts.append(PlannedPost(reminder_key(slot.id), "reminder", due, start, slot.id))
    opens, closes = timeline.intake_opens_at(), timeline.intake_closes_at()
    _, closes_session = session.intake_window
    if opens is not None and closes is not None and closes_session is not None:
        posts.append(PlannedPost(INTAKE_OPEN, "intake-open", opens, closes))
        until = timeline.to_real(closes_session + CLOSE_WINDOW)
        posts.append(PlannedPost(INTAKE_CLOSE, "intake-close", closes, until))
        posts.append(PlannedPost(SUMMARY, "summary", closes, until))
    if session.slots:
        ends = timeline.to_real(session.slots[-1].end)
        posts.append(PlannedPost(REPORT, "report", ends, None))  # always sent, even late
        if session.spec.discord.followup_forum is not None:
            posts.append(PlannedPost(FOLLOWUPS, "followups", ends, None))
    posts.sort(key=lambda p: p.sort_key)
    return posts


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do now about one post that is not done."""

    post: PlannedPost
    action: Action  # schedule: due later; post: send now; skip: its moment has passed
    late: bool = False
    reason: str = ""


def decide(
    plan: Iterable[PlannedPost], done: Collection[str], now: datetime, grace: timedelta
) -> list[Decision]:
    """Say, at the real instant `now`, what to do about each post of `plan` not in `done`.

    - due after `now`: schedule it;
    - due at most `grace` ago: send it now, on time;
    - missed by more, and its window (`until`) still open: send it now, marked late;
    - missed by more, and its window over (the segment ended, the reminder's segment started):
      skip it, with the reason to log.
    """
    decisions: list[Decision] = []
    for post in sorted(plan, key=lambda p: p.sort_key):
        if post.key in done:
            continue
        if post.due > now:
            decisions.append(Decision(post, "schedule"))
        elif now - post.due <= grace:
            decisions.append(Decision(post, "post"))
        elif post.until is not None and now >= post.until:
            missed = _minutes(now - post.due)
            decisions.append(
                Decision(post, "skip", reason=f"missed by {missed} and already over; not posted")
            )
        else:
            decisions.append(Decision(post, "post", late=True))
    return decisions


def _minutes(span: timedelta) -> str:
    seconds = span.total_seconds()
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.0f} min"


# ---------------------------------------------------------------------------------- delays


def unstarted_segments(
    plan: Iterable[PlannedPost], done: Collection[str], now: datetime
) -> list[PlannedPost]:
    """Return the segments that have not started at `now`: not done and due after `now`."""
    return [p for p in plan if p.kind == "segment" and p.key not in done and p.due > now]


def check_delay(
    timeline: Timeline, done: Collection[str], now: datetime, delay_seconds: int
) -> list[PlannedPost]:
    """Refuse a delay that cannot apply; return the segments it moves.

    Call it after every due post is done (so "not done" means "not started"). A delay needs a
    segment that has not started; a negative one may bring the next segment forward at most to
    `now`.
    """
    if delay_seconds == 0:
        raise Refusal(
            msg("Give a number of minutes other than 0 (negative to bring the program forward).")
        )
    if not timeline.session.slots:
        raise Refusal(msg("This session has no program, so there is nothing to delay."))
    moving = unstarted_segments(plan_posts(timeline), done, now)
    if not moving:
        raise Refusal(msg("Every segment has already started: there is nothing left to delay."))
    if delay_seconds < 0:
        room = moving[0].due - now
        shift = timeline.real_span(timedelta(seconds=-delay_seconds))
        if shift > room:
            most = int(room.total_seconds() * timeline.speed // 60)
            raise Refusal(
                nmsg(
                    "The next segment starts in {count} minute of program time: the program can "
                    "move at most {count} minute earlier.",
                    "The next segment starts in {count} minutes of program time: the program "
                    "can move at most {count} minutes earlier.",
                    most,
                )
            )
    return moving


# ---------------------------------------------------------------------------------- agenda


@dataclass(frozen=True, slots=True)
class AgendaRow:
    """One segment placed in real time, as the run plays it."""

    slot: Slot
    start: datetime
    end: datetime
    started: bool
    live: bool

    @property
    def over(self) -> bool:
        return self.started and not self.live


def started_segments(records: Mapping[str, PostRecord]) -> dict[str, datetime]:
    """Return the recorded time of each segment post that is done (its segment has started),
    by post key: what `agenda` takes as `started`."""
    return {key: r.due_at for key, r in records.items() if key.startswith("segment:")}


def agenda(timeline: Timeline, started: Mapping[str, datetime], now: datetime) -> list[AgendaRow]:
    """Place each segment in real time: `started` maps a done segment's key to its recorded time.

    A started segment keeps its recorded start; the others follow the current delay. A segment
    ends when the next one starts if they are back to back in the program, otherwise at its own
    (delayed) end.
    """
    slots = timeline.session.slots
    starts = [started.get(segment_key(s.id), timeline.to_real(s.start)) for s in slots]
    rows: list[AgendaRow] = []
    for i, slot in enumerate(slots):
        end = timeline.to_real(slot.end)
        if i + 1 < len(slots):
            following = slots[i + 1]
            if following.start == slot.end:
                end = starts[i + 1]
            elif segment_key(following.id) in started:
                end = min(end, starts[i + 1])
        end = max(end, starts[i])
        has_started = segment_key(slot.id) in started or starts[i] <= now
        rows.append(AgendaRow(slot, starts[i], end, has_started, starts[i] <= now < end))
    return rows
