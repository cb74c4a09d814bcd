"""Load and validate session files into immutable, typed session objects."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
LocalTime = Annotated[str, StringConstraints(pattern=r"^(\d{4}-\d{2}-\d{2}T)?\d{2}:\d{2}$")]
ChannelRef = Annotated[str, StringConstraints(min_length=1, max_length=100)] | int
SegmentKind = Literal["logistics", "opening", "talk", "discussion", "qa", "closing"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Person(_Model):
    """The session's moderator."""

    name: Text
    honorific: str | None = None
    role: str | None = None


class Speaker(_Model):
    """A speaker participants can address a question to."""

    id: Slug
    name: Text
    honorific: str | None = None
    organization: str | None = None
    country: str | None = None
    theme: str | None = None
    talk_title: str | None = None
    description: str | None = None


class Label(_Model):
    """A topic moderators can give a question."""

    id: Slug
    name: Text
    description: str | None = None


class GuidingQuestion(_Model):
    """A question the moderator guides a discussion with."""

    round: int | None = Field(default=None, ge=1)
    text: Text


class Segment(_Model):
    """One row of the program."""

    id: Slug
    start: LocalTime
    end: LocalTime
    title: Text
    kind: SegmentKind = "logistics"
    speaker: Slug | None = None
    description: str | None = None
    guiding_questions: tuple[GuidingQuestion, ...] = ()


class DiscordSettings(_Model):
    """Where the session lives in Discord: its server, and channels and roles by name or id."""

    guild_id: int | None = Field(default=None, ge=1, lt=2**63)
    questions_channel: ChannelRef = "questions"
    moderation_channel: ChannelRef = "qa-moderation"
    live_channel: ChannelRef = "session-live"
    moderator_role: ChannelRef = "Moderator"
    organizer_role: ChannelRef = "Organizer"


class QuestionSettings(_Model):
    """The rules of question intake."""

    anonymous_allowed: bool = True
    moderation: Literal["pre", "post"] = "pre"
    max_length: int = Field(default=1000, ge=10, le=4000)
    cooldown_seconds: int = Field(default=30, ge=0, le=3600)
    max_pending_per_user: int = Field(default=5, ge=1, le=1000)
    chat_capture: bool = False


class ScheduleSettings(_Model):
    """When intake opens and closes, and how early moderators are reminded."""

    reminder_minutes: int = Field(default=5, ge=0, le=120)
    intake_opens: LocalTime | None = None
    intake_closes: LocalTime | None = None


class PrivacySettings(_Model):
    """How long the log keeps who took part (see bot.maintenance.forget)."""

    forget_after_days: int | None = Field(default=None, ge=0, le=3650)


class SessionFile(_Model):
    """The whole content of one session file, as written."""

    id: Slug
    title: Text
    event: str | None = None
    date: date
    timezone: Text
    language: str | None = None
    description: str | None = None
    keywords: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ()
    main_question: str | None = None
    expected_participants: int | None = Field(default=None, ge=0)
    notes: str | None = None
    moderator: Person | None = None
    speakers: tuple[Speaker, ...] = ()
    labels: tuple[Label, ...] = ()
    program: tuple[Segment, ...] = ()
    discord: DiscordSettings = DiscordSettings()
    questions: QuestionSettings = QuestionSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    privacy: PrivacySettings = PrivacySettings()


class Problem(NamedTuple):
    """One thing wrong in a session file: where (a key path) and what."""

    path: str
    message: str


class ConfigError(Exception):
    """Session files that cannot be used; str() gives the messages to show."""


class SessionFileError(ConfigError):
    """A session file (or folder of them) that cannot be used, with every problem found."""

    def __init__(self, file: Path, problems: Iterable[Problem]) -> None:
        self.file = file
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        """Return one line per problem: file, key path, problem."""
        return "\n".join(f"{self.file}: {p.path or '(file)'}: {p.message}" for p in self.problems)


@dataclass(frozen=True, slots=True)
class Slot:
    """A segment placed in time: its start and end as aware UTC datetimes."""

    segment: Segment
    start: datetime
    end: datetime

    @property
    def id(self) -> str:
        return self.segment.id


@dataclass(frozen=True)
class Session:
    """A validated session: the file's content plus its program resolved to UTC."""

    spec: SessionFile
    source: Path

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return self.spec.title

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.spec.timezone)

    @cached_property
    def slots(self) -> tuple[Slot, ...]:
        return tuple(
            Slot(
                seg,
                local_to_utc(self.spec.date, seg.start, self.zone),
                local_to_utc(self.spec.date, seg.end, self.zone),
            )
            for seg in self.spec.program
        )

    @property
    def starts_at(self) -> datetime | None:
        return self.slots[0].start if self.slots else None

    @property
    def ends_at(self) -> datetime | None:
        return self.slots[-1].end if self.slots else None

    @property
    def intake_window(self) -> tuple[datetime | None, datetime | None]:
        """Return when intake opens and closes on schedule (None: only by hand)."""
        sched = self.spec.schedule
        opens = (
            local_to_utc(self.spec.date, sched.intake_opens, self.zone)
            if sched.intake_opens
            else self.starts_at
        )
        closes = (
            local_to_utc(self.spec.date, sched.intake_closes, self.zone)
            if sched.intake_closes
            else self.ends_at
        )
        return opens, closes

    def speaker(self, speaker_id: str | None) -> Speaker | None:
        return next((s for s in self.spec.speakers if s.id == speaker_id), None)

    def label(self, label_id: str | None) -> Label | None:
        return next((lab for lab in self.spec.labels if lab.id == label_id), None)

    def slot(self, segment_id: str) -> Slot | None:
        return next((s for s in self.slots if s.id == segment_id), None)


def parse_local(day: date, text: str) -> datetime:
    """Turn "HH:MM" (on `day`) or "YYYY-MM-DDTHH:MM" into a naive local datetime."""
    if "T" in text:
        return datetime.fromisoformat(text)
    hours, minutes = text.split(":")
    return datetime.combine(day, time(int(hours), int(minutes)))


def local_to_utc(day: date, text: str, zone: ZoneInfo) -> datetime:
    """Resolve a session-local wall-clock time to UTC with the session's zone."""
    return parse_local(day, text).replace(tzinfo=zone).astimezone(UTC)


def _local_problem(day: date, text: str, zone: ZoneInfo) -> str | None:
    try:
        naive = parse_local(day, text)
    except ValueError as exc:
        return f"{text!r} is not a valid time ({exc})"
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return f"{text!r} does not exist in {zone.key} (the clocks skip it for daylight saving)"
    return None


def _semantic_problems(spec: SessionFile) -> list[Problem]:
    problems: list[Problem] = []
    try:
        zone = ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return [Problem("timezone", f"unknown time zone {spec.timezone!r} (use an IANA name)")]

    for kind, ids in (
        ("speakers", [s.id for s in spec.speakers]),
        ("labels", [lab.id for lab in spec.labels]),
    ):
        seen: set[str] = set()
        for i, item_id in enumerate(ids):
            if item_id in seen:
                problems.append(Problem(f"{kind}[{i}].id", f"duplicate id {item_id!r}"))
            seen.add(item_id)

    speaker_ids = {s.id for s in spec.speakers}
    seen_segments: set[str] = set()
    previous: tuple[int, datetime] | None = None
    for i, seg in enumerate(spec.program):
        where = f"program[{i}]"
        if seg.id in seen_segments:
            problems.append(Problem(f"{where}.id", f"duplicate id {seg.id!r}"))
        seen_segments.add(seg.id)
        if seg.speaker is not None and seg.speaker not in speaker_ids:
            problems.append(
                Problem(f"{where}.speaker", f"no speaker with id {seg.speaker!r} in [[speakers]]")
            )
        bad = [
            Problem(f"{where}.{key}", msg)
            for key in ("start", "end")
            if (msg := _local_problem(spec.date, getattr(seg, key), zone))
        ]
        problems.extend(bad)
        if bad:
            continue
        start = local_to_utc(spec.date, seg.start, zone)
        end = local_to_utc(spec.date, seg.end, zone)
        if end <= start:
            problems.append(
                Problem(f"{where}.end", f"segment ends ({seg.end}) before it starts ({seg.start})")
            )
            continue
        if previous is not None and start < previous[1]:
            problems.append(
                Problem(
                    f"{where}.start",
                    f"segment {seg.id!r} starts before segment "
                    f"{spec.program[previous[0]].id!r} ends (segments overlap or are out of order)",
                )
            )
        previous = (i, end)

    for key in ("intake_opens", "intake_closes"):
        value = getattr(spec.schedule, key)
        if value and (msg := _local_problem(spec.date, value, zone)):
            problems.append(Problem(f"schedule.{key}", msg))
    return problems


def _pydantic_problems(error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        path = ""
        for part in item["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling)"
        elif item["type"] == "string_pattern_mismatch" and path.endswith(("start", "end")):
            message = 'expected a time as "HH:MM" or "YYYY-MM-DDTHH:MM"'
        elif item["type"] == "string_pattern_mismatch":
            message = "expected lowercase letters, digits and hyphens"
        problems.append(Problem(path, message))
    return problems


def load_session(path: Path) -> Session:
    """Read and validate one session file, raising SessionFileError with every problem."""
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise SessionFileError(path, [Problem("", "file not found")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise SessionFileError(path, [Problem("", f"not valid TOML: {exc}")]) from None
    try:
        spec = SessionFile.model_validate(raw)
    except ValidationError as exc:
        raise SessionFileError(path, _pydantic_problems(exc)) from None
    problems = _semantic_problems(spec)
    if problems:
        raise SessionFileError(path, problems)
    return Session(spec, path)


def session_files(config: Path) -> list[Path]:
    """List the session files a --config value names: one file, or every *.toml in a folder."""
    if config.is_dir():
        return sorted(config.glob("*.toml"))
    return [config]


def load_sessions(config: Path) -> list[Session]:
    """Load every session a --config value names; all files are checked before raising."""
    files = session_files(config)
    if not files:
        raise SessionFileError(config, [Problem("", "no session files (*.toml) found")])
    sessions: list[Session] = []
    errors: list[SessionFileError] = []
    for file in files:
        try:
            sessions.append(load_session(file))
        except SessionFileError as exc:
            errors.append(exc)
    seen: dict[str, Path] = {}
    for session in sessions:
        if session.id in seen:
            errors.append(
                SessionFileError(
                    session.source,
                    [
                        Problem(
                            "id",
                            f"duplicate session id {session.id!r} (also in {seen[session.id]})",
                        )
                    ],
                )
            )
        seen[session.id] = session.source
    if errors:
        raise SessionFilesError(errors)
    return sessions


class SessionFilesError(ConfigError):
    """Several session files with problems."""

    def __init__(self, errors: list[SessionFileError]) -> None:
        self.errors = errors
        super().__init__("\n".join(e.render() for e in errors))
