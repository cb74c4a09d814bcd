"""Discord's limits: the payload validator, the helpers that fit user text, and every message
the bot builds, fed the largest inputs the session schema and intake allow.

The builders are listed in one table, `BUILDERS` (name -> function of drawn inputs, returning
the payloads it makes); to follow a builder that moves, change its line there.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest import mock

import discord
import pytest
from discord import app_commands
from discord.utils import escape_markdown
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from bot import limits
from bot.answers import MyQuestion, MyQuestions
from bot.delivery import DIGEST_SIZE, describe_error, failure_notice, missing_channel_notice
from bot.delivery import recovery_notice as delivery_recovery_notice
from bot.errors import Refusal
from bot.limits import (
    PayloadError,
    PayloadProblem,
    choice_problems,
    cut,
    ends_in_stray_backslash,
    fit_lines,
    message_payload_problems,
    message_problems,
    modal_problems,
    request_problems,
    thread_name_problems,
    validate_choices,
    validate_message,
)
from bot.program import Timeline, agenda
from bot.questions import QUEUE_SIZE, Question, QuestionService, QueueView
from bot.sessions import (
    LABEL_NAME_MAX,
    LINE_MAX,
    LONG_MAX,
    NAME_MAX,
    PARAGRAPH_MAX,
    SHORT_MAX,
    Session,
    SessionFile,
    load_session,
)
from bot.similarity_text import hint_text
from bot.states import wording
from bot.storage.answers_repo import Answer, Notice
from bot.storage.posts_repo import PostRecord, TopQuestion
from bot.storage.repository import Run
from cogs import _buttons, _common, _schedule_text, _views, asking
from tests.conftest import GSEF

# ============================================================================ the validator

Payload = dict[str, Any]


def embed_with(**parts: Any) -> Payload:
    return {"type": "rich", **parts}


def button(label: str = "ok", custom_id: str = "x") -> Payload:
    return {"type": 2, "style": 2, "label": label, "custom_id": custom_id}


def rows(n_rows: int, per_row: int = 1) -> list[Payload]:
    return [
        {"type": 1, "components": [button(custom_id=f"{r}:{b}") for b in range(per_row)]}
        for r in range(n_rows)
    ]


def select(options: int) -> list[Payload]:
    opts = [{"label": f"o{i}", "value": f"v{i}"} for i in range(options)]
    return [{"type": 1, "components": [{"type": 3, "custom_id": "s", "options": opts}]}]


def modal(inputs: int, label: int = 5, value: int = 5, title: int = 5) -> Payload:
    return {
        "title": "t" * title,
        "custom_id": "m",
        "components": [
            {
                "type": 1,
                "components": [
                    {
                        "type": 4,
                        "custom_id": f"i{i}",
                        "style": 1,
                        "label": "l" * label,
                        "value": "v" * value,
                    }
                ],
            }
            for i in range(inputs)
        ],
    }


def fields(n: int, name: int = 1, value: int = 1) -> list[Payload]:
    return [{"name": "n" * name, "value": "v" * value, "inline": True} for _ in range(n)]


def choices(n: int, name: int = 1, value: int = 1) -> list[Payload]:
    return [{"name": "n" * name, "value": "v" * value} for _ in range(n)]


# (what, limit, payload problems for a size n, where the problem is reported)
BOUNDARIES: list[tuple[str, int, Callable[[int], list[PayloadProblem]], str]] = [
    ("content", 2000, lambda n: message_payload_problems({"content": "c" * n}), "content"),
    (
        "embeds per message",
        10,
        lambda n: message_payload_problems({"embeds": [embed_with(title="t")] * n}),
        "embeds",
    ),
    (
        "embed title",
        256,
        lambda n: message_payload_problems({"embeds": [embed_with(title="t" * n)]}),
        "embeds[0].title",
    ),
    (
        "embed description",
        4096,
        lambda n: message_payload_problems({"embeds": [embed_with(description="d" * n)]}),
        "embeds[0].description",
    ),
    (
        "fields per embed",
        25,
        lambda n: message_payload_problems({"embeds": [embed_with(fields=fields(n))]}),
        "embeds[0].fields",
    ),
    (
        "field name",
        256,
        lambda n: message_payload_problems({"embeds": [embed_with(fields=fields(1, name=n))]}),
        "embeds[0].fields[0].name",
    ),
    (
        "field value",
        1024,
        lambda n: message_payload_problems({"embeds": [embed_with(fields=fields(1, value=n))]}),
        "embeds[0].fields[0].value",
    ),
    (
        "footer",
        2048,
        lambda n: message_payload_problems({"embeds": [embed_with(footer={"text": "f" * n})]}),
        "embeds[0].footer.text",
    ),
    (
        "author name",
        256,
        lambda n: message_payload_problems({"embeds": [embed_with(author={"name": "a" * n})]}),
        "embeds[0].author.name",
    ),
    (
        "all embeds of a message",
        6000,
        lambda n: message_payload_problems(
            {
                "embeds": [
                    embed_with(description="d" * 4000),
                    embed_with(description="d" * 1000, footer={"text": "f" * (n - 5000)}),
                ]
            }
        ),
        "embeds",
    ),
    (
        "action rows",
        5,
        lambda n: message_payload_problems({"components": rows(n)}),
        "components",
    ),
    (
        "buttons per row",
        5,
        lambda n: message_payload_problems({"components": rows(1, n)}),
        "components[0].components",
    ),
    (
        "button label",
        80,
        lambda n: message_payload_problems(
            {"components": [{"type": 1, "components": [button(label="b" * n)]}]}
        ),
        "components[0].components[0].label",
    ),
    (
        "custom_id",
        100,
        lambda n: message_payload_problems(
            {"components": [{"type": 1, "components": [button(custom_id="c" * n)]}]}
        ),
        "components[0].components[0].custom_id",
    ),
    (
        "select options",
        25,
        lambda n: message_payload_problems({"components": select(n)}),
        "components[0].components[0].options",
    ),
    ("autocomplete choices", 25, lambda n: choice_problems(choices(n)), "choices"),
    ("choice name", 100, lambda n: choice_problems(choices(1, name=n)), "choices[0].name"),
    ("choice value", 100, lambda n: choice_problems(choices(1, value=n)), "choices[0].value"),
    ("modal text inputs", 5, lambda n: modal_problems(modal(n)), "modal.components"),
    ("modal title", 45, lambda n: modal_problems(modal(1, title=n)), "modal.title"),
    (
        "text input label",
        45,
        lambda n: modal_problems(modal(1, label=n)),
        "modal.components[0].components[0].label",
    ),
    (
        "text input value",
        4000,
        lambda n: modal_problems(modal(1, value=n)),
        "modal.components[0].components[0].value",
    ),
    ("thread name", 100, lambda n: thread_name_problems("t" * n), "name"),
]


@pytest.mark.parametrize(
    ("what", "limit", "problems", "where"), BOUNDARIES, ids=[b[0] for b in BOUNDARIES]
)
def test_each_limit_is_allowed_exactly_and_refused_one_over(
    what: str, limit: int, problems: Callable[[int], list[PayloadProblem]], where: str
) -> None:
    assert problems(limit) == []
    over = problems(limit + 1)
    assert [p.where for p in over] == [where], over
    assert f"{limit:,}" in over[0].message


def test_characters_are_code_points() -> None:
    # 2,000 emoji are 2,000 characters for Discord (4,000 UTF-16 units, 8,000 bytes)
    assert message_payload_problems({"content": "🙂" * 2000}) == []
    assert message_payload_problems({"content": "🙂" * 2001}) != []


def test_empty_fields_and_labelless_buttons_are_refused() -> None:
    found = message_payload_problems(
        {
            "embeds": [embed_with(fields=[{"name": "n", "value": ""}])],
            "components": [{"type": 1, "components": [button(label="")]}],
        }
    )
    assert [p.where for p in found] == ["embeds[0].fields[0].value", "components[0].components[0]"]


def test_discord_objects_are_read_as_discord_sends_them() -> None:
    embed = discord.Embed(title="t" * 257, description="fine")
    embed.add_field(name="n", value="v" * 1025)
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="b" * 81, custom_id="c" * 101))
    found = message_problems("x" * 2001, embed=embed, view=view)
    assert {p.where for p in found} == {
        "content",
        "embeds[0].title",
        "embeds[0].fields[0].value",
        "components[0].components[0].label",
        "components[0].components[0].custom_id",
    }
    with pytest.raises(PayloadError) as info:
        validate_message("x" * 2001, embed=embed, view=view)
    assert len(info.value.problems) == 5 and "content: 2,001 characters" in str(info.value)
    validate_message("fine", embed=discord.Embed(title="ok"), view=discord.ui.View())
    validate_choices([app_commands.Choice(name="n" * 100, value="v" * 100)])
    with pytest.raises(PayloadError):
        validate_choices([app_commands.Choice(name="n" * 101, value="v")])


def test_request_bodies_are_recognised() -> None:
    message = {"type": 4, "data": {"content": "c" * 2001}}
    assert [p.where for p in request_problems(message)] == ["data.content"]
    update = {"type": 7, "data": {"embeds": [embed_with(title="t" * 257)]}}
    assert [p.where for p in request_problems(update)] == ["data.embeds[0].title"]
    auto = {"type": 8, "data": {"choices": choices(26)}}
    assert [p.where for p in request_problems(auto)] == ["data.choices"]
    shown = {"type": 9, "data": modal(6)}
    assert [p.where for p in request_problems(shown)] == ["data.components"]
    assert [p.where for p in request_problems({"content": "c" * 2001})] == ["content"]
    thread = {"name": "n" * 101, "auto_archive_duration": 1440}
    assert [p.where for p in request_problems(thread)] == ["name"]
    assert request_problems({"type": 5}) == [] and request_problems(None) == []


# ======================================================================= fitting user text

HOSTILE = (
    "*_~|>`\\#-[]()<>@:/. \n\t"  # markdown, quotes, headings, links, mentions
    "aZ09"
    "漢字かなカナ한국어"  # CJK
    "🙂👩‍👩‍👧🏳️‍🌈"  # emoji, some joined
    "\u200b\u0301"  # invisible, combining
)
SEEDS = st.text(alphabet=HOSTILE, min_size=1, max_size=24)


def filled(seed: str, n: int) -> str:
    """`seed` repeated to exactly n characters."""
    return (seed * (n // len(seed) + 1))[:n]


def hostile_text(max_size: int) -> st.SearchStrategy[str]:
    """User text up to `max_size`, most often exactly that long: a pattern repeated, or one of
    the worst cases (every character escaped, a trailing backslash, a link)."""
    size = st.one_of(st.just(max_size), st.just(max(1, max_size - 1)), st.integers(1, max_size))
    worst = st.sampled_from(["_", "\\", "*\\", "a\\", "> ", "# ", "- ", "https://x.io/_\\"])
    return st.builds(filled, st.one_of(SEEDS, worst), size)


@given(text=hostile_text(300), limit=st.integers(1, 400), one_line=st.booleans())
@example(text="a" * 10 + "\\", limit=11, one_line=False)
@example(text="_" * 100, limit=51, one_line=False)
@example(text="https://x.io/a\\", limit=100, one_line=False)
def test_cut_fits_and_never_leaves_a_stray_backslash(text: str, limit: int, one_line: bool) -> None:
    shown = cut(text, limit, one_line=one_line)
    assert len(shown) <= limit
    assert not ends_in_stray_backslash(shown)
    if one_line:
        assert "\n" not in shown
    source = " ".join(text.split()) if one_line else text
    whole = escape_markdown(source)
    if len(whole) <= limit and not ends_in_stray_backslash(whole):
        assert shown == whole  # what fits is shown whole
    elif len(whole) > limit and limit > 1:
        assert shown.endswith("…")
        # what is shown is the escape of a beginning of the raw text: no escape is split
        head = shown[:-1]
        assert any(
            escape_markdown(source[:n].rstrip()).startswith(head)
            for n in range(len(source) + 1)
            if len(escape_markdown(source[:n].rstrip())) >= len(head)
        )


@given(text=hostile_text(300), limit=st.integers(1, 400))
def test_cut_without_escaping_keeps_text_as_is(text: str, limit: int) -> None:
    shown = cut(text, limit, escape=False)
    assert len(shown) <= limit
    if len(text) <= limit:
        assert shown.rstrip("\\") == text.rstrip("\\")
    else:
        assert text.startswith(shown[:-1].rstrip("\\"))


@given(
    lines=st.lists(hostile_text(200).map(escape_markdown), max_size=60),
    limit=st.integers(1, 4096),
    last=st.one_of(st.none(), hostile_text(120).map(escape_markdown)),
)
def test_fit_lines_keeps_the_last_line_and_the_limit(
    lines: list[str], limit: int, last: str | None
) -> None:
    text = fit_lines(lines, limit, last, more=lambda n: f"… and {n} more")
    assert len(text) <= limit
    if last is not None and len(last) + 1 <= limit:
        # kept whole; a stray final backslash is made literal (or dropped when there is no room)
        if ends_in_stray_backslash(last):
            last = last + "\\" if len(last) < limit else last[:-1]
        assert text.endswith(last)
    body = text[: -len(last)] if last and text.endswith(last) else text
    kept = [line for line in body.split("\n") if line]
    # lines are kept from the first, whole, except a first line cut on its own
    whole = [line for line in "\n".join(lines).split("\n") if line]
    for got, want in zip(kept, whole, strict=False):
        if got.startswith("… and"):
            break
        assert got == want or got.endswith("…")


def test_fit_lines_drops_what_does_not_fit_and_says_so() -> None:
    lines = [f"line {i:02}" for i in range(10)]
    text = fit_lines(lines, 40, "Review them.", more=lambda n: f"+{n}")
    assert text == "line 00\nline 01\nline 02\n+7\nReview them."
    assert fit_lines(lines, 1000, "end") == "\n".join([*lines, "end"])
    assert fit_lines(["x" * 50], 20, "end") == "x" * 15 + "…\nend"


# ================================================================== every message builder

STATES = ["pending", "approved", "live", "answered", "rejected", "dismissed", "merged", "withdrawn"]
DISPLAY_NAME = 32  # Discord's maximum for a display name
MAX_QUESTION = 4000  # the most a session's questions.max_length allows
ID_MAX = 2**63 - 1  # SQLite's INTEGER
BIG = 10**9


def most(low: int, high: int) -> st.SearchStrategy[int]:
    """A number in [low, high], most often the largest."""
    return st.one_of(st.just(high), st.integers(low, high))


def _name(text: str) -> str:
    return text if text.strip() else "x" * len(text)


@st.composite
def sessions(draw: st.DrawFn) -> Session:
    """A session whose every text is as long as the schema allows, and full of markdown."""
    patterns = draw(st.lists(st.one_of(SEEDS, st.sampled_from(["_", "\\", "a\\"])), min_size=1))
    longest = draw(st.booleans())
    made = iter(range(10**9))

    def text(n: int) -> str:
        # the texts take turns among a few drawn patterns, at the maximum length or just under
        k = next(made)
        return _name(filled(patterns[k % len(patterns)], n if longest or k % 2 else n - 1))

    n_speakers = draw(st.integers(1, 30))
    speakers = [
        {
            "id": f"s{i}-" + "x" * 58,
            "name": text(NAME_MAX),
            "honorific": text(SHORT_MAX),
            "organization": text(LINE_MAX),
            "country": text(SHORT_MAX),
            "theme": text(LINE_MAX),
            "talk_title": text(LINE_MAX),
            "description": text(LONG_MAX),
        }
        for i in range(n_speakers)
    ]
    labels = [
        {"id": f"l{i}-" + "y" * 58, "name": text(LABEL_NAME_MAX), "description": text(1024)}
        for i in range(draw(st.integers(0, 30)))
    ]
    kinds = ["logistics", "opening", "talk", "discussion", "qa", "closing"]
    program = []
    start = datetime(2021, 10, 4, 0, 0)
    for i in range(draw(st.integers(0, 40))):
        begin, end = start + timedelta(minutes=10 * i), start + timedelta(minutes=10 * i + 10)
        program.append(
            {
                "id": f"p{i}-" + "z" * 58,
                "start": begin.strftime("%H:%M"),
                "end": end.strftime("%H:%M"),
                "title": text(NAME_MAX),
                "kind": draw(st.sampled_from(kinds)),
                "speaker": speakers[i % n_speakers]["id"],
                "description": text(LONG_MAX),
                "guiding_questions": [
                    {"round": 1 + j // 5, "text": text(PARAGRAPH_MAX)} for j in range(12)
                ],
            }
        )
    ref = draw(st.sampled_from(["q" * 100, 2**64 - 1]))
    spec = SessionFile.model_validate(
        {
            "id": "s-" + "a" * 62,
            "title": text(NAME_MAX),
            "date": date(2021, 10, 4),
            "timezone": "Pacific/Kiritimati",
            "speakers": speakers,
            "labels": labels,
            "program": program,
            "discord": {"questions_channel": ref, "moderation_channel": "m" * 100},
            "questions": {"max_length": MAX_QUESTION},
        }
    )
    return Session(spec, source=mock.sentinel.path)  # type: ignore[arg-type]


@st.composite
def questions(draw: st.DrawFn, session: Session) -> Question:
    speakers = [s.id for s in session.spec.speakers]
    labels = [lab.id for lab in session.spec.labels]
    moment = datetime(2021, 10, 4, 10, tzinfo=UTC)
    return Question(
        id=draw(st.integers(1, ID_MAX)),
        run_id=1,
        number=draw(most(1, BIG)),
        text=_name(draw(hostile_text(MAX_QUESTION))),
        state=draw(st.sampled_from(STATES)),
        votes=draw(most(0, BIG)),
        anonymous=draw(st.booleans()),
        author_id=draw(st.integers(1, ID_MAX)),
        author_name=draw(st.one_of(st.none(), hostile_text(DISPLAY_NAME))),
        speaker_id=draw(st.one_of(st.none(), st.sampled_from(speakers))),
        label_id=draw(st.one_of(st.none(), st.sampled_from(labels))) if labels else None,
        asked_at=moment,
        updated_at=moment,
        source=draw(st.sampled_from(["slash", "chat"])),
        co_askers=draw(most(0, BIG)),
    )


@dataclasses.dataclass
class Inputs:
    """Everything a builder may be given, each as large as allowed."""

    session: Session
    timeline: Timeline
    question: Question
    many: list[Question]  # a burst: as many as one digest takes
    actor: str  # a moderator's display name
    counts: dict[str, int]
    error: str  # Discord's error text, as long as it comes
    typed: str  # what someone typed into an option

    def __repr__(self) -> str:
        spec, q = self.session.spec, self.question
        return (
            f"Inputs(title={spec.title[:40]!r}…({len(spec.title)}), "
            f"speaker={spec.speakers[0].name[:40]!r}…({len(spec.speakers[0].name)}), "
            f"{len(spec.speakers)} speakers, {len(spec.labels)} labels, "
            f"{len(spec.program)} segments, run={self.timeline.run.kind}, "
            f"question=#{q.number} {q.state} text={q.text[:40]!r}…({len(q.text)}), "
            f"burst={len(self.many)}, actor={self.actor!r})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


@st.composite
def inputs(draw: st.DrawFn) -> Inputs:
    session = draw(sessions())
    q = draw(questions(session))
    # a burst shares one long text pattern; numbers are consecutive
    texts = [_name(draw(hostile_text(MAX_QUESTION))) for _ in range(3)]
    many = [
        dataclasses.replace(q, id=q.id // 2 + i, number=q.number + i, text=texts[i % 3])
        for i in range(draw(most(1, DIGEST_SIZE)))
    ]
    rehearsal = draw(st.booleans())
    run = Run(
        id=1,
        session_id=session.id,
        kind="rehearsal" if rehearsal else "real",
        created_at=datetime(2021, 10, 4, tzinfo=UTC),
        anchor_at=datetime(2021, 10, 4, tzinfo=UTC) if rehearsal else None,
        speed=draw(st.sampled_from([1.0, 60.0, 1234.5678])),
        delay_seconds=draw(st.sampled_from([0, 240 * 60, -240 * 60])),
        intake_override=draw(st.sampled_from([None, "open", "closed"])),
        ended_at=None,
    )
    return Inputs(
        session=session,
        timeline=Timeline(session, run),
        question=q,
        many=many,
        actor=_name(draw(hostile_text(DISPLAY_NAME))),
        counts={state: draw(most(0, BIG)) for state in STATES},
        error=draw(hostile_text(5000)),
        typed=draw(hostile_text(6000)),
    )


def msg(
    content: str | None = None, *, embed: discord.Embed | None = None, view: Any = None
) -> Payload:
    """A message payload as discord.py sends it."""
    return {
        "content": content,
        "embeds": [embed.to_dict()] if embed is not None else [],
        "components": view.to_components() if view is not None else [],
    }


def outcome(i: Inputs, verb: str | None = None) -> str:
    """What `moderation.Context.outcome` makes of a moderator's action."""
    word = verb or wording(i.question.state).outcome
    return f"{word} by {escape_markdown(i.actor)}"


def _now(i: Inputs) -> datetime:
    return i.session.starts_at or datetime(2021, 10, 4, tzinfo=UTC)


def _rows(i: Inputs) -> list[Any]:
    return agenda(i.timeline, {}, _now(i))


def _segment_messages(i: Inputs) -> list[Payload]:
    return [
        msg(
            _schedule_text.segment_message(
                i.timeline,
                row,
                late=True,
                approved_waiting=i.counts["approved"],
                questions_channel="#" + "q" * 100,
            )
        )
        for row in _rows(i)
    ]


def _reminders(i: Inputs) -> list[Payload]:
    top = TopQuestion(i.question.number, i.question.text, i.question.votes)
    return [
        msg(
            _schedule_text.reminder_message(
                i.timeline, slot.start, slot.segment.title, i.counts, chosen
            )
        )
        for slot in i.session.slots
        for chosen in (top, None)
    ]


def _status(i: Inputs) -> list[Payload]:
    now = _now(i)
    failed = {
        f"segment:{slot.id}": PostRecord(
            key=f"segment:{slot.id}",
            due_at=slot.start,
            status="failed",
            late=False,
            claimed_at=now,
            posted_at=None,
            message_id=None,
            channel_id=None,
            detail=i.error,
        )
        for slot in i.session.slots
    }
    return [
        msg(_schedule_text.status_message(i.timeline, records, now)) for records in ({}, failed)
    ]


def _choices(i: Inputs, current: str, which: str) -> list[Payload]:
    pick: Callable[[Session], Any] = (
        (lambda s: s.spec.speakers) if which == "speakers" else (lambda s: s.spec.labels)
    )
    with mock.patch.object(_common, "session_of", lambda interaction: i.session):
        offered = _common._choices(mock.Mock(), current, pick)
    return [{"type": 8, "data": {"choices": [c.to_dict() for c in offered]}}]


def mine_of(i: Inputs) -> MyQuestions:
    """An asker's /myquestions with each question answered (privately once) and told of it."""
    when = _now(i)
    items = []
    for q in i.many:
        answers = tuple(
            Answer(
                id=n, question_id=q.id, author_id=2, author_name=i.actor, role="speaker",
                speaker_id=None, text=q.text, private=n == 1, source="written",
                created_at=when, thread_id=None, message_id=None,
            )
            for n in (0, 1)
        )  # fmt: skip
        notices = tuple(
            Notice(
                id=n, question_id=q.id, event_id=n, recipient_id=1, kind=kind,
                detail={"reason": q.text, "into": BIG}, created_at=when, status="fallback",
                attempts=1, last_attempt_at=when, sent_at=None, error=None,
            )
            for n, kind in enumerate(("approved", "rejected", "merged", "answered"))
        )  # fmt: skip
        items.append(MyQuestion(q, answers, notices))
    return MyQuestions(tuple(items), ())


def _label_refusal(i: Inputs) -> list[Payload]:
    service = QuestionService(db=mock.Mock(), clock=lambda: _now(i))
    try:
        asyncio.run(service.label(i.session, 1, i.question.number, i.typed, 1, i.actor))
    except Refusal as refusal:
        return [msg(refusal.message)]
    raise AssertionError("an unknown label was accepted")


def _notices(i: Inputs) -> list[Payload]:
    error = describe_error(i.counts["pending"] % 600, i.error)
    out = []
    for kind in ("moderation", "questions", "live"):
        out.append(msg(failure_notice(kind, "c" * 100, i.counts["approved"], error)))
        out.append(msg(delivery_recovery_notice(kind, i.counts["approved"], error)))
        out.append(msg(missing_channel_notice(kind, 2**64 - 1, i.session.id)))
        out.append(msg(missing_channel_notice(kind, "c" * 100, i.session.id)))
    return out


#: Examples of whole sessions are large: a failure is reported as found, not shrunk (shrinking
#: one takes about a minute); `Inputs` prints as a summary.
HEAVY = settings(
    max_examples=40,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Every message the bot builds today: name -> the payloads it makes from the inputs.
BUILDERS: dict[str, Callable[[Inputs], list[Payload]]] = {
    "moderation card": lambda i: [
        msg(embed=_views.card_embed(i.session, i.question), view=_views.card_view(i.question)),
        msg(
            embed=_views.card_embed(i.session, i.question, outcome(i) + "; author blocked"),
            view=_views.card_view(i.question, author_blocked=True),
        ),
        msg(embed=_views.card_embed(i.session, i.question, outcome(i, f"Merged into #{BIG}"))),
    ],
    "vote message": lambda i: [
        msg(embed=_views.vote_embed(i.session, i.question), view=_views.vote_view(i.question))
    ],
    "vote button after a click": lambda i: [
        msg(view=discord.ui.View().add_item(_buttons.VoteButton(i.question.id, BIG)))
    ],
    "live announcement": lambda i: [
        msg(
            f"**Now answering #{i.question.number}**",
            embed=_views.live_embed(i.session, i.question),
        )
    ],
    "digest card": lambda i: [msg(embed=_views.digest_embed(i.many))],
    "/qa queue": lambda i: [
        msg(
            embed=_views.queue_embed(
                i.session,
                QueueView(top=(i.many * QUEUE_SIZE)[:QUEUE_SIZE], counts=i.counts),
            )
        )
    ],
    "/myquestions": lambda i: [
        msg(embed=_views.myquestions_embed(mine_of(i), i.session), view=_views.edit_view(i.many))
    ],
    "/ask confirmation": lambda i: [
        msg(asking.confirmation(i.question)),
        msg(
            asking.confirmation(i.question)
            + "\n\n"
            + hint_text(BIG, i.question.text, escape_markdown),
            view=_views.confirmation_view(i.question, i.question),
        ),
    ],
    "card with a possible duplicate": lambda i: [
        msg(
            embed=_views.card_embed(i.session, i.question, duplicate=i.question),
            view=_views.card_view(i.question, duplicate=i.question),
        )
    ],
    "/qa label refusal": _label_refusal,
    "/qa label reply": lambda i: [
        msg(f"#{BIG} is labelled {_views.label_name(i.session, lab.id)}.")
        for lab in i.session.spec.labels
    ],
    "speaker autocomplete": lambda i: (
        _choices(i, "", "speakers") + _choices(i, i.typed[:100], "speakers")
    ),
    "label autocomplete": lambda i: _choices(i, "", "labels"),
    "segment posts": _segment_messages,
    "reminders": _reminders,
    "intake open": lambda i: [
        msg(_schedule_text.intake_open_message(i.timeline, i.session.ends_at, "#" + "q" * 100))
    ],
    "intake close": lambda i: [msg(_schedule_text.intake_close_message(i.timeline))],
    "closing summary": lambda i: [
        msg(_schedule_text.summary_message(i.timeline, _now(i), i.counts, override))
        for override in (None, "open", "closed")
    ],
    "/program": lambda i: [msg(_schedule_text.program_message(i.timeline, _rows(i), _now(i)))],
    "/schedule status": _status,
    "delivery notices": _notices,
}


@pytest.mark.parametrize("name", list(BUILDERS))
@HEAVY
@given(data=st.data())
def test_every_builder_stays_within_discords_limits(name: str, data: st.DataObject) -> None:
    i = data.draw(inputs())
    payloads = BUILDERS[name](i)
    for payload in payloads:
        found = request_problems(payload)
        assert not found, f"{name}: {found}"


# ---------------------------------------------------------- what the fitting must keep


@HEAVY
@given(data=st.data())
def test_digest_keeps_its_review_line_and_every_question(data: st.DataObject) -> None:
    i = data.draw(inputs())
    text = _views.digest_embed(i.many).description or ""
    assert text.endswith(
        "Review them with `/qa approve number:N`, `/qa reject number:N` or `/qa queue`."
    )
    lines = text.split("\n")
    assert len(lines) == len(i.many) + 2  # one per question, a blank line, the review line
    for q, line in zip(i.many, lines, strict=False):
        assert line.startswith(f"**#{q.number}** · ")
        assert not ends_in_stray_backslash(line.removesuffix("…"))


@HEAVY
@given(data=st.data())
def test_lists_show_one_line_per_question(data: st.DataObject) -> None:
    i = data.draw(inputs())
    top = i.many[:QUEUE_SIZE]
    queue = _views.queue_embed(i.session, QueueView(top=top, counts=i.counts))
    lines = (queue.description or "").split("\n")
    assert [line.split(" · ")[0] for line in lines] == [f"**#{q.number}**" for q in top]
    mine = _views.myquestions_embed(mine_of(i), i.session)
    lines = [line for line in (mine.description or "").split("\n") if not line.startswith("  ↳")]
    numbers = [line.split(" · ")[0] for line in lines if line != "…"]
    wanted = [f"**#{q.number}**" for q in i.many[-20:]]
    assert numbers == wanted[: len(numbers)] and numbers  # in order, as many as fit
    assert not any(ends_in_stray_backslash(line.removesuffix("…")) for line in lines)


@HEAVY
@given(data=st.data())
def test_question_text_in_cards_is_cut_before_it_is_escaped(data: st.DataObject) -> None:
    i = data.draw(inputs())
    for embed in (
        _views.card_embed(i.session, i.question),
        _views.vote_embed(i.session, i.question),
    ):
        text = embed.description or ""
        assert len(text) <= _views.EMBED_TEXT
        assert not ends_in_stray_backslash(text.removesuffix("…"))


def test_the_label_refusal_repeats_only_a_little_of_what_was_typed() -> None:
    session = load_session(GSEF)
    service = QuestionService(db=mock.Mock(), clock=lambda: datetime.now(UTC))
    with pytest.raises(Refusal) as info:
        asyncio.run(service.label(session, 1, 1, "x" * 2100, 1, "mona"))
    message = info.value.message
    assert len(message) < 400 and "x" * 100 not in message and "x" * 99 in message
    assert all(lab.id in message for lab in session.spec.labels)


def test_the_payload_checker_is_the_one_in_bot_limits() -> None:
    """The tests above check with the same code the bot can call before sending."""
    assert request_problems is limits.request_problems
    assert limits.CONTENT == 2000 and limits.EMBED_TOTAL == 6000
