"""Load and validate session files into immutable, typed session objects."""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from bot.i18n import DEFAULT, known_language, languages

# Every text the bot may show in Discord has a maximum, so that a file `check` accepts never
# makes a message Discord refuses (bot/limits.py): a name fits an embed title (256) and, even
# with every character escaped, an embed field (1,024); a label's name fits an autocomplete
# choice (100) and its id a choice's value (100).
NAME_MAX = 256
LABEL_NAME_MAX = 100
SHORT_MAX = 100  # honorifics, countries
LINE_MAX = 256  # organizations, talk titles, themes, list items
PARAGRAPH_MAX = 1024  # a guiding question, a label's description, the main question
LONG_MAX = 4096  # descriptions and notes: at most an embed's description
SLUG_MAX = 64
REF_MAX = 100  # a channel or role name
SNOWFLAKE_MAX = 2**64 - 1
# Dates the bot can place in time in every zone, with room for delays and reminders.
FIRST_DATE, LAST_DATE = date(1970, 1, 1), date(9998, 12, 31)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=SLUG_MAX)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)]
LabelName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LABEL_NAME_MAX)
]
Prose = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=PARAGRAPH_MAX)
]
Short = Annotated[str, StringConstraints(max_length=SHORT_MAX)]
Line = Annotated[str, StringConstraints(max_length=LINE_MAX)]
Paragraph = Annotated[str, StringConstraints(max_length=PARAGRAPH_MAX)]
Long = Annotated[str, StringConstraints(max_length=LONG_MAX)]
LanguageName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
LocalTime = Annotated[str, StringConstraints(pattern=r"^(\d{4}-\d{2}-\d{2}T)?\d{2}:\d{2}$")]
ChannelRef = (
    Annotated[str, StringConstraints(min_length=1, max_length=REF_MAX)]
    | Annotated[int, Field(ge=0, le=SNOWFLAKE_MAX)]
)
# A member: their user id, or their username (the unique handle, never a display name, which
# anyone can take).
UserRef = (
    Annotated[int, Field(ge=1, le=SNOWFLAKE_MAX)]
    | Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=REF_MAX)]
)
SegmentKind = Literal["logistics", "opening", "talk", "discussion", "qa", "closing"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Person(_Model):
    """The session's moderator."""

    name: Text
    honorific: Short | None = None
    role: Line | None = None


class Speaker(_Model):
    """A speaker participants can address a question to."""

    id: Slug
    name: Text
    honorific: Short | None = None
    organization: Line | None = None
    country: Short | None = None
    theme: Line | None = None
    talk_title: Line | None = None
    description: Long | None = None
    discord_user: UserRef | None = None  # who may answer questions addressed to this speaker


class Label(_Model):
    """A topic moderators can give a question."""

    id: Slug
    name: LabelName
    description: Paragraph | None = None


class GuidingQuestion(_Model):
    """A question the moderator guides a discussion with."""

    round: int | None = Field(default=None, ge=1, le=1000)
    text: Prose


class Segment(_Model):
    """One row of the program."""

    id: Slug
    start: LocalTime
    end: LocalTime
    title: Text
    kind: SegmentKind = "logistics"
    speaker: Slug | None = None
    description: Long | None = None
    guiding_questions: tuple[GuidingQuestion, ...] = ()


class DiscordSettings(_Model):
    """Where the session lives in Discord: its server, and channels and roles by name or id."""

    guild_id: int | None = Field(default=None, ge=1, lt=2**63)
    questions_channel: ChannelRef = "questions"
    moderation_channel: ChannelRef = "qa-moderation"
    live_channel: ChannelRef = "session-live"
    moderator_role: ChannelRef = "Moderator"
    organizer_role: ChannelRef = "Organizer"
    #: where the report is posted when the program ends (default: the moderation channel)
    report_channel: ChannelRef | None = None
    speaker_role: ChannelRef | None = None  # members who may answer the panel's questions
    followup_forum: ChannelRef | None = None  # a forum: unanswered questions continue there


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
    event: Line | None = None
    date: date
    timezone: Text
    #: the language of public posts ("es"), or its name ("Spanish", "español")
    language: LanguageName | None = None
    #: several, for bilingual public posts: ["en", "es"] (instead of `language`)
    languages: tuple[LanguageName, ...] = Field(default=(), max_length=4)
    description: Long | None = None
    keywords: tuple[Line, ...] = ()
    audience: tuple[Line, ...] = ()
    objectives: tuple[Paragraph, ...] = ()
    main_question: Paragraph | None = None
    expected_participants: int | None = Field(default=None, ge=0)
    notes: Long | None = None
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

    @cached_property
    def languages(self) -> tuple[str, ...]:
        """The codes of the languages of the session's public posts, first the main one
        (English when the file names none)."""
        spec = self.spec
        named = spec.languages or ((spec.language,) if spec.language else ())
        codes = [known_language(name) for name in named]
        found = tuple(dict.fromkeys(code for code in codes if code is not None))
        return found or (DEFAULT,)

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
    if not FIRST_DATE <= naive.date() <= LAST_DATE:
        return f"{text!r} is out of range (use a date from {FIRST_DATE} to {LAST_DATE})"
    aware = naive.replace(tzinfo=zone)
    try:
        back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    except (OverflowError, ValueError):
        return f"{text!r} on {day} cannot be placed in time in {zone.key}"
    if back != naive:
        return f"{text!r} does not exist in {zone.key} (the clocks skip it for daylight saving)"
    return None


@dataclass(frozen=True)
class _Draft:
    """What the checks across keys need, read leniently from the raw file: a value that does
    not validate is None (its own problem is reported by the model), the others are checked."""

    date: date | None
    timezone: str | None
    speaker_ids: list[str | None]
    label_ids: list[str | None]
    segments: list[dict[str, str | None]]  # id, start, end, speaker
    intake: dict[str, str | None]


_T = TypeVar("_T")
_DATE: TypeAdapter[date] = TypeAdapter(date)
_SLUG: TypeAdapter[str] = TypeAdapter(Slug)
_TEXT: TypeAdapter[str] = TypeAdapter(Text)
_TIME: TypeAdapter[str] = TypeAdapter(LocalTime)


def _valid(adapter: TypeAdapter[_T], value: Any) -> _T | None:
    if value is None:
        return None
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def _items(raw: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = raw.get(key)
    if not isinstance(value, list):
        return []
    return [item if isinstance(item, Mapping) else {} for item in value]


def _draft(raw: Mapping[str, Any]) -> _Draft:
    schedule = raw.get("schedule")
    schedule = schedule if isinstance(schedule, Mapping) else {}
    return _Draft(
        date=_valid(_DATE, raw.get("date")),
        timezone=_valid(_TEXT, raw.get("timezone")),
        speaker_ids=[_valid(_SLUG, s.get("id")) for s in _items(raw, "speakers")],
        label_ids=[_valid(_SLUG, lab.get("id")) for lab in _items(raw, "labels")],
        segments=[
            {
                "id": _valid(_SLUG, seg.get("id")),
                "start": _valid(_TIME, seg.get("start")),
                "end": _valid(_TIME, seg.get("end")),
                "speaker": _valid(_SLUG, seg.get("speaker")),
            }
            for seg in _items(raw, "program")
        ],
        intake={key: _valid(_TIME, schedule.get(key)) for key in ("intake_opens", "intake_closes")},
    )


def _semantic_problems(draft: _Draft) -> list[Problem]:
    """The checks across keys: ids, references, times in the session's zone."""
    problems: list[Problem] = []
    zone: ZoneInfo | None = None
    if draft.timezone is not None:
        try:
            zone = ZoneInfo(draft.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                Problem("timezone", f"unknown time zone {draft.timezone!r} (use an IANA name)")
            )
    day = draft.date
    if day is not None and not FIRST_DATE <= day <= LAST_DATE:
        problems.append(
            Problem("date", f"{day} is out of range (use a date from {FIRST_DATE} to {LAST_DATE})")
        )
        day = None

    for kind, ids in (("speakers", draft.speaker_ids), ("labels", draft.label_ids)):
        seen: set[str] = set()
        for i, item_id in enumerate(ids):
            if item_id is None:
                continue
            if item_id in seen:
                problems.append(Problem(f"{kind}[{i}].id", f"duplicate id {item_id!r}"))
            seen.add(item_id)

    speaker_ids = set(draft.speaker_ids)
    seen_segments: set[str] = set()
    previous: tuple[str, datetime] | None = None
    for i, seg in enumerate(draft.segments):
        where = f"program[{i}]"
        seg_id = seg["id"]
        name = repr(seg_id) if seg_id is not None else where
        if seg_id is not None and seg_id in seen_segments:
            problems.append(Problem(f"{where}.id", f"duplicate id {seg_id!r}"))
        if seg_id is not None:
            seen_segments.add(seg_id)
        speaker = seg["speaker"]
        if speaker is not None and speaker not in speaker_ids:
            problems.append(
                Problem(f"{where}.speaker", f"no speaker with id {speaker!r} in [[speakers]]")
            )
        start_text, end_text = seg["start"], seg["end"]
        if zone is None or day is None or start_text is None or end_text is None:
            continue
        bad = [
            Problem(f"{where}.{key}", msg)
            for key, text in (("start", start_text), ("end", end_text))
            if (msg := _local_problem(day, text, zone))
        ]
        problems.extend(bad)
        if bad:
            continue
        start = local_to_utc(day, start_text, zone)
        end = local_to_utc(day, end_text, zone)
        if end <= start:
            problems.append(
                Problem(
                    f"{where}.end", f"segment ends ({end_text}) before it starts ({start_text})"
                )
            )
            continue
        if previous is not None and start < previous[1]:
            problems.append(
                Problem(
                    f"{where}.start",
                    f"segment {name} starts before segment {previous[0]} ends "
                    "(segments overlap or are out of order)",
                )
            )
        previous = (name, end)

    if zone is not None and day is not None:
        for key, value in draft.intake.items():
            if value and (msg := _local_problem(day, value, zone)):
                problems.append(Problem(f"schedule.{key}", msg))
    return problems


def _language_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """Each language a file names must be one the bot speaks; `language` or `languages`, not
    both."""
    problems: list[Problem] = []
    one, several = raw.get("language"), raw.get("languages")
    if one is not None and several is not None:
        problems.append(Problem("languages", "give either `language` or `languages`, not both"))
    named = [("language", one)] if isinstance(one, str) else []
    if isinstance(several, list):
        named += [(f"languages[{i}]", name) for i, name in enumerate(several)]
    spoken = ", ".join(languages())
    for path, name in named:
        if isinstance(name, str) and name.strip() and known_language(name) is None:
            problems.append(
                Problem(
                    path,
                    f"the bot does not speak {name.strip()!r}: use one of {spoken} "
                    "(docs/languages.md says how to add a language)",
                )
            )
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
        elif item["type"] == "string_too_long":
            limit = item.get("ctx", {}).get("max_length")
            size = len(item["input"]) if isinstance(item["input"], str) else None
            message = (
                f"too long: {size:,} characters, at most {limit:,} (Discord cannot show more)"
                if size is not None and limit is not None
                else message
            )
        problems.append(Problem(path, message))
    return problems


def _read(path: Path) -> dict[str, Any]:
    """Parse a session file, or raise SessionFileError with one sentence on what is wrong."""

    def fail(message: str) -> SessionFileError:
        return SessionFileError(path, [Problem("", message)])

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise fail("file not found") from None
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise fail("is a folder, not a session file")
    if not stat.S_ISREG(mode):
        raise fail("is not a regular file (a pipe, socket or device); give a .toml file")
    try:
        with path.open("rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark, as some editors write, is fine
    except UnicodeDecodeError as exc:
        raise fail(
            f"is not UTF-8 text (byte {exc.start + 1} cannot be read); save it as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise fail(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise fail("not valid TOML: its arrays or tables are nested too deeply") from None


def load_session(path: Path) -> Session:
    """Read and validate one session file, raising SessionFileError with every problem."""
    raw = _read(path)
    problems: list[Problem] = []
    spec: SessionFile | None = None
    try:
        spec = SessionFile.model_validate(raw)
    except ValidationError as exc:
        problems += _pydantic_problems(exc)
    problems += _semantic_problems(_draft(raw))
    problems += _language_problems(raw)
    if problems or spec is None:
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
