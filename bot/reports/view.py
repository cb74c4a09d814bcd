"""What the HTML and Markdown reports show, worked out once from the report model.

Everything here is plain text (not escaped): each renderer escapes for its own format. Times are
shown in the session's time zone. Long lists are capped for reading (the CSV and JSON exports
always hold everything), and every step is linear in the number of questions and events.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.reports.model import Event, Question, RunReport, Stats
from bot.reports.synthesis import SynthesisView, synthesis, synthesis_view
from bot.states import wording

# Caps for the readable reports: enough for any real session, bounded for a huge log.
GROUP_ROWS = 200
UNANSWERED_ROWS = 500
ANSWER_ROWS = 500
LOG_ROWS = 1000

ACTION_NAMES = {
    "approved": "approved",
    "rejected": "rejected",
    "edited": "edited",
    "merged": "merged",
    "labeled": "labelled",
    "labelled": "labelled",
    "label": "labelled",
    "unlabeled": "removed the label of",
    "speaker": "addressed",
    "addressed": "addressed",
    "picked": "picked",
    "live": "picked to answer",
    "next": "picked to answer",
    "requeued": "put back in the queue",
    "merged_in": "merged a duplicate into",
    "author_blocked": "blocked the asker of",
    "answered": "marked answered",
    "dismissed": "dismissed",
    "reopened": "reopened",
    "restored": "restored",
    "blocked": "blocked the asker of",
    "answered_in_writing": "answered in writing",
    "followup_answered": "answered in the follow-up post of",
}

# Detail keys that hold a question's text before an edit (shown as "was: ...").
PREVIOUS_TEXT_KEYS = ("previous_text", "old_text", "before")


@dataclass(frozen=True, slots=True)
class Figure:
    """One number at the top of the report."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class QuestionRow:
    """A question as one row of a table."""

    number: int
    asked: str
    text: str
    original_text: str | None
    asker: str
    anonymous: bool
    also_asked_by: int
    speaker: str
    label: str
    votes: int
    state: str
    state_name: str
    answered: str


@dataclass(frozen=True, slots=True)
class Group:
    """Questions addressed to one speaker, or with one label."""

    title: str
    total: int
    answered: int
    votes: int
    rows: tuple[QuestionRow, ...]

    @property
    def hidden(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """A written or follow-up answer; a private one shows no text."""

    number: int
    question: str
    anonymous: bool
    by: str
    role: str
    at: str
    where: str  # "in writing" | "in the follow-up post"
    private: bool
    text: str | None


@dataclass(frozen=True, slots=True)
class LogRow:
    """One moderator action."""

    at: str
    actor: str
    action: str
    number: int
    detail: str


@dataclass(frozen=True, slots=True)
class SegmentRow:
    """A segment of the program as it was placed in this run."""

    index: int
    title: str
    kind: str
    start: str
    end: str
    speaker: str
    asked: int
    answered: int


@dataclass(frozen=True, slots=True)
class RunView:
    """Everything one run's section of a report shows."""

    run: RunReport
    title: str
    event: str
    when: str
    zone: str
    run_line: str
    moderator: str
    speakers: tuple[str, ...]
    figures: tuple[Figure, ...]
    segments: tuple[SegmentRow, ...]
    synthesis: SynthesisView
    by_speaker: tuple[Group, ...]
    by_label: tuple[Group, ...]
    unanswered: tuple[QuestionRow, ...]
    unanswered_total: int
    answers: tuple[AnswerRow, ...]
    answers_total: int
    log: tuple[LogRow, ...]
    log_total: int
    anonymized: str = ""

    @property
    def unanswered_hidden(self) -> int:
        return self.unanswered_total - len(self.unanswered)

    @property
    def answers_hidden(self) -> int:
        return self.answers_total - len(self.answers)

    @property
    def log_hidden(self) -> int:
        return self.log_total - len(self.log)


def duration_text(delta: timedelta | None) -> str:
    """Return a short human duration: "4 min 05 s", "1 h 02 min", "-" when unknown."""
    if delta is None:
        return "-"
    seconds = max(0, round(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    return f"{secs} s"


class _Clock:
    """Format instants in the session's zone."""

    def __init__(self, run: RunReport) -> None:
        self.zone = run.session.zone
        ends = (*run.questions[:1], *run.questions[-1:])
        days = {q.asked_at.astimezone(self.zone).date() for q in ends}
        days |= {s.start.astimezone(self.zone).date() for s in run.segments}
        days.add(run.session.spec.date)
        self.multi_day = len(days) > 1

    def time(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(self.zone)
        return f"{local:%Y-%m-%d %H:%M:%S}" if self.multi_day else f"{local:%H:%M:%S}"

    def minute(self, moment: datetime) -> str:
        local = moment.astimezone(self.zone)
        return f"{local:%Y-%m-%d %H:%M}" if self.multi_day else f"{local:%H:%M}"


def _zone_name(run: RunReport, moment: datetime) -> str:
    zone = run.session.zone
    local = moment.astimezone(zone)
    offset = local.utcoffset() or timedelta()
    sign = "+" if offset >= timedelta() else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    abbrev = local.tzname() or ""
    utc = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    if abbrev and not abbrev.startswith(("+", "-")):
        return f"{abbrev} ({zone.key}, {utc})"
    return f"{zone.key} ({utc})"


def _when(run: RunReport) -> tuple[str, str]:
    session = run.session
    spec = session.spec
    zone = session.zone
    reference = session.starts_at or datetime.combine(spec.date, datetime.min.time(), zone)
    zone_text = _zone_name(run, reference)
    day = f"{spec.date:%A} {spec.date.day} {spec.date:%B %Y}"
    if session.starts_at and session.ends_at:
        start = session.starts_at.astimezone(zone)
        end = session.ends_at.astimezone(zone)
        utc = f"{session.starts_at:%H:%M}-{session.ends_at:%H:%M} UTC"
        return f"{day}, {start:%H:%M}-{end:%H:%M} {zone_text}; {utc}", zone_text
    return f"{day} ({zone_text})", zone_text


def _run_line(run: RunReport, clock: _Clock) -> str:
    r = run.run
    if r.is_rehearsal:
        started = (r.anchor_at or r.created_at).strftime("%Y-%m-%d %H:%M UTC")
        return (
            f"Rehearsal run {r.id}, played {started} at {r.speed:g}x speed; "
            "times below are on the program's clock."
        )
    delay = f"; program delayed {duration_text(timedelta(seconds=r.delay_seconds))}"
    return f"Real session (run {r.id}){delay if r.delay_seconds else ''}."


def _figures(stats: Stats, run: RunReport) -> tuple[Figure, ...]:
    answers = [a for q in run.questions for a in q.answers]
    private = sum(1 for a in answers if a.private)
    followup = sum(1 for a in answers if a.source == "followup")
    notes = [f"{followup} after the session"] if followup else []
    if private:
        notes.append(f"{private} to the asker only")
    return (
        Figure("Participants who asked", str(stats.participants_who_asked)),
        Figure("Questions", str(stats.questions)),
        Figure("Approved", str(stats.approved)),
        Figure("Answered", str(stats.answered)),
        Figure("Rejected", str(stats.rejected)),
        Figure("Withdrawn", str(stats.withdrawn)),
        Figure("Still unanswered", str(stats.unanswered), "approved, never answered"),
        Figure(
            "Median time to answer", duration_text(stats.median_answer_time), "asked to answered"
        ),
        Figure("Votes cast", str(stats.votes_cast), f"by {stats.voters} participants"),
        Figure("Merged duplicates", str(stats.merged)),
        Figure("Dismissed", str(stats.dismissed)),
        Figure("Awaiting review", str(stats.pending)),
        Figure("Written answers", str(len(answers)), "; ".join(notes)),
    )


class _Rows:
    """Turn questions into table rows, caching each (a question appears in several lists)."""

    def __init__(self, run: RunReport, clock: _Clock) -> None:
        self.run = run
        self.clock = clock
        self._cache: dict[int, QuestionRow] = {}
        self._speakers = {s.id: s.name for s in run.session.spec.speakers}
        self._labels = {lab.id: lab.name for lab in run.session.spec.labels}

    def speaker(self, speaker_id: str | None) -> str:
        if speaker_id is None:
            return ""
        return self._speakers.get(speaker_id, speaker_id)

    def label(self, label_id: str | None) -> str:
        if label_id is None:
            return ""
        return self._labels.get(label_id, label_id)

    def row(self, q: Question) -> QuestionRow:
        cached = self._cache.get(q.id)
        if cached is not None:
            return cached
        state_name = wording(q.state).report
        if q.state == "merged" and q.merged_into is not None:
            state_name = f"merged into #{q.merged_into}"
        row = QuestionRow(
            number=q.number,
            asked=self.clock.time(q.asked_at),
            text=q.text,
            original_text=q.original_text,
            asker=q.asker,
            anonymous=q.anonymous,
            also_asked_by=q.also_asked_by,
            speaker=self.speaker(q.speaker_id),
            label=self.label(q.label_id),
            votes=q.votes,
            state=q.state,
            state_name=state_name,
            answered=self.clock.time(q.answered_at),
        )
        self._cache[q.id] = row
        return row


def _groups(
    groups: list[tuple[str | None, list[Question]]], name: Any, empty: str, rows: _Rows
) -> tuple[Group, ...]:
    out = []
    for key, questions in groups:
        out.append(
            Group(
                title=name(key) if key is not None else empty,
                total=len(questions),
                answered=sum(1 for q in questions if q.state == "answered"),
                votes=sum(q.votes for q in questions),
                rows=tuple(rows.row(q) for q in questions[:GROUP_ROWS]),
            )
        )
    return tuple(out)


def _actor(event: Event) -> str:
    if event.actor_name:
        return event.actor_name
    if event.actor_id:
        return f"user {event.actor_id}"
    return "the bot"


def _detail(q: Question, event: Event, rows: _Rows) -> str:
    parts: list[str] = []
    detail = event.detail or {}
    action = event.action
    if action == "merged" or event.to_state == "merged":
        into = detail.get("into") or detail.get("merged_into") or q.merged_into
        if into is not None:
            parts.append(f"into #{into}")
    elif action == "merged_in" and detail.get("from") is not None:
        parts.append(f"duplicate #{detail['from']}")
    elif action == "edited":
        before = next(
            (detail[k] for k in PREVIOUS_TEXT_KEYS if isinstance(detail.get(k), str)), None
        )
        if before is not None:
            parts.append(f"was: {before}")
    elif action == "answered_in_writing" and detail.get("private"):
        parts.append("privately, to the asker")
    elif action in ("labelled", "labeled", "label"):
        after = detail.get("after", detail.get("label", detail.get("label_id")))
        before = detail.get("before")
        if isinstance(after, str):
            parts.append(f"label {rows.label(after)}")
        if isinstance(before, str):
            parts.append(f"was {rows.label(before)}")
    else:
        for key in ("speaker", "speaker_id"):
            if isinstance(detail.get(key), str):
                parts.append(f"to {rows.speaker(detail[key])}")
    if isinstance(detail.get("votes"), int) and detail["votes"] and action.startswith("merged"):
        votes = detail["votes"]
        parts.append(f"{votes} vote{'s' if votes != 1 else ''} carried over")
    if event.reason:
        parts.append(f"reason: {event.reason}")
    return "; ".join(parts)


def _log(run: RunReport, rows: _Rows, clock: _Clock) -> tuple[tuple[LogRow, ...], int]:
    entries = run.moderation_log()
    shown = entries[:LOG_ROWS]
    return (
        tuple(
            LogRow(
                at=clock.time(e.at),
                actor=_actor(e),
                action=ACTION_NAMES.get(e.action, e.action.replace("_", " ")),
                number=q.number,
                detail=_detail(q, e, rows),
            )
            for q, e in shown
        ),
        len(entries),
    )


def _answers(run: RunReport, clock: _Clock) -> tuple[tuple[AnswerRow, ...], int]:
    entries = run.answers()
    return (
        tuple(
            AnswerRow(
                number=q.number,
                question=q.text,
                anonymous=q.anonymous,
                by=a.by,
                role=a.role,
                at=clock.time(a.at),
                where="in the follow-up post" if a.source == "followup" else "in writing",
                private=a.private,
                text=a.text,
            )
            for q, a in entries[:ANSWER_ROWS]
        ),
        len(entries),
    )


def _segments(run: RunReport, clock: _Clock, rows: _Rows) -> tuple[SegmentRow, ...]:
    asked = sorted(q.asked_at for q in run.questions)
    answered = sorted(q.answered_at for q in run.questions if q.answered_at is not None)

    def within(times: list[datetime], start: datetime, end: datetime) -> int:
        return bisect_left(times, end) - bisect_left(times, start)

    return tuple(
        SegmentRow(
            index=i,
            title=s.title,
            kind=s.kind,
            start=clock.minute(s.start),
            end=clock.minute(s.end),
            speaker=rows.speaker(s.speaker_id),
            asked=within(asked, s.start, s.end),
            answered=within(answered, s.start, s.end),
        )
        for i, s in enumerate(run.segments, start=1)
    )


def run_view(run: RunReport) -> RunView:
    """Work out what one run's section shows (a rehearsal's on the program's clock)."""
    run = run.on_program_clock()
    spec = run.session.spec
    clock = _Clock(run)
    rows = _Rows(run, clock)
    when, zone = _when(run)
    moderator = ""
    if spec.moderator:
        m = spec.moderator
        moderator = " ".join(p for p in (m.honorific, m.name) if p)
        if m.role:
            moderator += f", {m.role}"
    speakers = []
    for s in spec.speakers:
        line = " ".join(p for p in (s.honorific, s.name) if p)
        extra = ", ".join(p for p in (s.organization, s.country) if p)
        speakers.append(f"{line} ({extra})" if extra else line)
    unanswered = run.unanswered
    log, log_total = _log(run, rows, clock)
    answers, answers_total = _answers(run, clock)
    return RunView(
        run=run,
        title=run.session.title,
        event=spec.event or "",
        when=when,
        zone=zone,
        run_line=_run_line(run, clock),
        moderator=moderator,
        speakers=tuple(speakers),
        figures=_figures(run.stats, run),
        segments=_segments(run, clock, rows),
        synthesis=synthesis_view(synthesis(run), rows.row),
        by_speaker=_groups(run.by_speaker(), rows.speaker, "The whole panel", rows),
        by_label=_groups(run.by_label(), rows.label, "No label", rows),
        unanswered=tuple(rows.row(q) for q in unanswered[:UNANSWERED_ROWS]),
        unanswered_total=len(unanswered),
        answers=answers,
        answers_total=answers_total,
        log=log,
        log_total=log_total,
        anonymized=run.anonymized_note,
    )
