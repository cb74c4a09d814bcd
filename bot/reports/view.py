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

from bot.i18n import ENGLISH, Localizer, Message, pmsg
from bot.reports.model import Event, Question, RunReport, Stats
from bot.reports.synthesis import SynthesisView, synthesis, synthesis_view
from bot.states import wording

# Caps for the readable reports: enough for any real session, bounded for a huge log.
GROUP_ROWS = 200
UNANSWERED_ROWS = 500
ANSWER_ROWS = 500
LOG_ROWS = 1000

ACTION_NAMES: dict[str, Message] = {
    "approved": pmsg("log-action", "approved"),
    "rejected": pmsg("log-action", "rejected"),
    "edited": pmsg("log-action", "edited"),
    "merged": pmsg("log-action", "merged"),
    "labeled": pmsg("log-action", "labelled"),
    "labelled": pmsg("log-action", "labelled"),
    "label": pmsg("log-action", "labelled"),
    "unlabeled": pmsg("log-action", "removed the label of"),
    "speaker": pmsg("log-action", "addressed"),
    "addressed": pmsg("log-action", "addressed"),
    "picked": pmsg("log-action", "picked"),
    "live": pmsg("log-action", "picked to answer"),
    "next": pmsg("log-action", "picked to answer"),
    "requeued": pmsg("log-action", "put back in the queue"),
    "merged_in": pmsg("log-action", "merged a duplicate into"),
    "author_blocked": pmsg("log-action", "blocked the asker of"),
    "answered": pmsg("log-action", "marked answered"),
    "dismissed": pmsg("log-action", "dismissed"),
    "reopened": pmsg("log-action", "reopened"),
    "restored": pmsg("log-action", "restored"),
    "blocked": pmsg("log-action", "blocked the asker of"),
    "answered_in_writing": pmsg("log-action", "answered in writing"),
    "followup_answered": pmsg("log-action", "answered in the follow-up post of"),
}

KIND_NAMES: dict[str, Message] = {
    "logistics": pmsg("segment kind", "logistics"),
    "opening": pmsg("segment kind", "opening"),
    "talk": pmsg("segment kind", "talk"),
    "discussion": pmsg("segment kind", "discussion"),
    "qa": pmsg("segment kind", "qa"),
    "closing": pmsg("segment kind", "closing"),
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


def duration_text(delta: timedelta | None, _: Localizer = ENGLISH) -> str:
    """Return a short human duration: "4 min 05 s", "1 h 02 min", "-" when unknown."""
    if delta is None:
        return "-"
    seconds = max(0, round(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("{hours} h {minutes} min", hours=hours, minutes=format(minutes, "02d"))
    if minutes:
        if secs:
            return _("{minutes} min {seconds} s", minutes=minutes, seconds=format(secs, "02d"))
        return _("{minutes} min", minutes=minutes)
    return _("{seconds} s", seconds=secs)


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


def _when(run: RunReport, _: Localizer) -> tuple[str, str]:
    session = run.session
    spec = session.spec
    zone = session.zone
    reference = session.starts_at or datetime.combine(spec.date, datetime.min.time(), zone)
    zone_text = _zone_name(run, reference)
    day = _.date(spec.date)
    if session.starts_at and session.ends_at:
        start = session.starts_at.astimezone(zone)
        end = session.ends_at.astimezone(zone)
        utc = f"{session.starts_at:%H:%M}-{session.ends_at:%H:%M} UTC"
        return f"{day}, {start:%H:%M}-{end:%H:%M} {zone_text}; {utc}", zone_text
    return f"{day} ({zone_text})", zone_text


def _run_line(run: RunReport, _: Localizer) -> str:
    r = run.run
    if r.is_rehearsal:
        started = (r.anchor_at or r.created_at).strftime("%Y-%m-%d %H:%M UTC")
        return _(
            "Rehearsal run {run}, played {started} at {speed}x speed; times below are on the "
            "program's clock.",
            run=r.id,
            started=started,
            speed=format(r.speed, "g"),
        )
    if r.delay_seconds:
        return _(
            "Real session (run {run}); program delayed {delay}.",
            run=r.id,
            delay=duration_text(timedelta(seconds=r.delay_seconds), _),
        )
    return _("Real session (run {run}).", run=r.id)


def _figures(stats: Stats, run: RunReport, _: Localizer) -> tuple[Figure, ...]:
    answers = [a for q in run.questions for a in q.answers]
    private = sum(1 for a in answers if a.private)
    followup = sum(1 for a in answers if a.source == "followup")
    notes = [_("{count} after the session", count=followup)] if followup else []
    if private:
        notes.append(_("{count} to the asker only", count=private))
    return (
        Figure(_("Participants who asked"), str(stats.participants_who_asked)),
        Figure(_("Questions"), str(stats.questions)),
        Figure(_("Approved"), str(stats.approved)),
        Figure(_("Answered"), str(stats.answered)),
        Figure(_("Rejected"), str(stats.rejected)),
        Figure(_("Withdrawn"), str(stats.withdrawn)),
        Figure(_("Still unanswered"), str(stats.unanswered), _("approved, never answered")),
        Figure(
            _("Median time to answer"),
            duration_text(stats.median_answer_time, _),
            _("asked to answered"),
        ),
        Figure(
            _("Votes cast"),
            str(stats.votes_cast),
            _.ngettext("by {count} participant", "by {count} participants", stats.voters),
        ),
        Figure(_("Merged duplicates"), str(stats.merged)),
        Figure(_("Dismissed"), str(stats.dismissed)),
        Figure(_("Awaiting review"), str(stats.pending)),
        Figure(_("Written answers"), str(len(answers)), "; ".join(notes)),
    )


class _Rows:
    """Turn questions into table rows, caching each (a question appears in several lists)."""

    def __init__(self, run: RunReport, clock: _Clock, _: Localizer) -> None:
        self.run = run
        self.clock = clock
        self._ = _
        self._cache: dict[int, QuestionRow] = {}
        self._states: dict[str, str] = {}
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

    def asker(self, q: Question) -> str:
        """Who asked, as shown (an anonymous asker's rows are shown as Anonymous by each
        renderer)."""
        if q.anonymous or q.author_name:
            return q.asker
        if q.author_id:
            return self._("user {id}", id=q.author_id)
        return self._("unknown")

    def row(self, q: Question) -> QuestionRow:
        cached = self._cache.get(q.id)
        if cached is not None:
            return cached
        state_name = self._states.get(q.state)
        if state_name is None:
            state_name = self._states[q.state] = self._.render(wording(q.state).report)
        if q.state == "merged" and q.merged_into is not None:
            state_name = self._("merged into #{number}", number=q.merged_into)
        row = QuestionRow(
            number=q.number,
            asked=self.clock.time(q.asked_at),
            text=q.text,
            original_text=q.original_text,
            asker=self.asker(q),
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


def _actor(event: Event, _: Localizer) -> str:
    if event.actor_name:
        return event.actor_name
    if event.actor_id:
        return _("user {id}", id=event.actor_id)
    return _("the bot")


def _detail(q: Question, event: Event, rows: _Rows) -> str:
    _ = rows._
    parts: list[str] = []
    detail = event.detail or {}
    action = event.action
    if action == "merged" or event.to_state == "merged":
        into = detail.get("into") or detail.get("merged_into") or q.merged_into
        if into is not None:
            parts.append(_("into #{number}", number=into))
    elif action == "merged_in" and detail.get("from") is not None:
        parts.append(_("duplicate #{number}", number=detail["from"]))
    elif action == "edited":
        before = next(
            (detail[k] for k in PREVIOUS_TEXT_KEYS if isinstance(detail.get(k), str)), None
        )
        if before is not None:
            parts.append(_("was: {text}", text=before))
    elif action == "answered_in_writing" and detail.get("private"):
        parts.append(_("privately, to the asker"))
    elif action in ("labelled", "labeled", "label"):
        after = detail.get("after", detail.get("label", detail.get("label_id")))
        before = detail.get("before")
        if isinstance(after, str):
            parts.append(_("label {label}", label=rows.label(after)))
        if isinstance(before, str):
            parts.append(_("was {label}", label=rows.label(before)))
    else:
        for key in ("speaker", "speaker_id"):
            if isinstance(detail.get(key), str):
                parts.append(_("to {speaker}", speaker=rows.speaker(detail[key])))
    if isinstance(detail.get("votes"), int) and detail["votes"] and action.startswith("merged"):
        parts.append(
            _.ngettext("{count} vote carried over", "{count} votes carried over", detail["votes"])
        )
    if event.reason:
        parts.append(_("reason: {reason}", reason=event.reason))
    return _("; ").join(parts)


def _log(run: RunReport, rows: _Rows, clock: _Clock) -> tuple[tuple[LogRow, ...], int]:
    entries = run.moderation_log()
    shown = entries[:LOG_ROWS]
    _ = rows._
    actions = {key: _.render(name) for key, name in ACTION_NAMES.items()}
    return (
        tuple(
            LogRow(
                at=clock.time(e.at),
                actor=_actor(e, _),
                action=actions.get(e.action, e.action.replace("_", " ")),
                number=q.number,
                detail=_detail(q, e, rows),
            )
            for q, e in shown
        ),
        len(entries),
    )


def _answers(run: RunReport, clock: _Clock, _: Localizer) -> tuple[tuple[AnswerRow, ...], int]:
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
                where=_("in the follow-up post") if a.source == "followup" else _("in writing"),
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
            kind=rows._.render(KIND_NAMES[s.kind]) if s.kind in KIND_NAMES else s.kind,
            start=clock.minute(s.start),
            end=clock.minute(s.end),
            speaker=rows.speaker(s.speaker_id),
            asked=within(asked, s.start, s.end),
            answered=within(answered, s.start, s.end),
        )
        for i, s in enumerate(run.segments, start=1)
    )


def run_view(run: RunReport, _: Localizer = ENGLISH) -> RunView:
    """Work out what one run's section shows (a rehearsal's on the program's clock), in the
    language of `_`."""
    run = run.on_program_clock()
    spec = run.session.spec
    clock = _Clock(run)
    rows = _Rows(run, clock, _)
    when, zone = _when(run, _)
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
    answers, answers_total = _answers(run, clock, _)
    return RunView(
        run=run,
        title=run.session.title,
        event=spec.event or "",
        when=when,
        zone=zone,
        run_line=_run_line(run, _),
        moderator=moderator,
        speakers=tuple(speakers),
        figures=_figures(run.stats, run, _),
        segments=_segments(run, clock, rows),
        synthesis=synthesis_view(synthesis(run), rows.row, _),
        by_speaker=_groups(run.by_speaker(), rows.speaker, _("The whole panel"), rows),
        by_label=_groups(run.by_label(), rows.label, _("No label"), rows),
        unanswered=tuple(rows.row(q) for q in unanswered[:UNANSWERED_ROWS]),
        unanswered_total=len(unanswered),
        answers=answers,
        answers_total=answers_total,
        log=log,
        log_total=log_total,
        anonymized=_.render(run.anonymized_message) if run.anonymized_message else "",
    )
