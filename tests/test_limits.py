"""Discord's limits: the payload validator, the helpers that fit user text, and every message
the bot builds, fed the largest inputs the session schema and intake allow, in every language:
public messages in a session's languages (one, two, or all four, the longest of them differing
from one message to the next), private ones in the reader's.

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
from bot.answers_text import (
    answer_post,
    answer_saved,
    answered_marker,
    answerer,
    ask_notify_note,
    edit_saved,
    notice_content,
    notify_set,
    refuse_answer_state,
    refuse_edit_state,
    refuse_long_answer,
    refuse_long_edit,
)
from bot.delivery import DIGEST_SIZE, error_message, failure_notice, missing_channel_notice
from bot.delivery import recovery_notice as delivery_recovery_notice
from bot.doctor import ChannelSeen, RoleSeen, SessionSeen, Snapshot, diagnose, render_discord
from bot.errors import Refusal
from bot.followups import followups
from bot.i18n import Localizer, Say, Text, in_languages, languages, localize, say_in
from bot.i18n import msg as msg_of
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
from bot.program import Timeline, agenda, plan_posts
from bot.questions import QUEUE_SIZE, Question, QuestionService, QueueView
from bot.schedule import Delayed
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
from bot.setup_plan import plan_setup
from bot.setup_plan import report as plan_report
from bot.similarity_text import hint_text
from bot.states import wording
from bot.storage.answers_repo import Answer, Notice
from bot.storage.posts_repo import PostRecord, TopQuestion
from bot.storage.repository import Run
from cogs import _buttons, _common, _schedule_text, _views, asking, exports
from cogs._forms import AnswerForm, EditForm
from cogs._telling import refused_notice
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
@example(text="0" * 16 + "\\\n", limit=18)  # a backslash before a final line break stays
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
@example(lines=["0" * 200], limit=4, last="0\n" * 60)  # the last line cut, nothing else
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
    elif last is not None:
        # as long as the limit or longer: it fills the message alone (cut if too long)
        assert text.endswith("…") or text == last.rstrip("\\")
        return
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
#: The languages of a session's public posts: one, two, or every one the bot speaks (Korean and
#: Chinese say most things in fewer characters, Spanish in more: the longest one varies).
SESSION_LANGUAGES = [["en"], ["es"], ["zh-TW"], ["en", "es"], ["ko", "zh-TW"], list(languages())]
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
            "languages": draw(st.sampled_from(SESSION_LANGUAGES)),
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
    reader: str  # the language of the person a private message is for

    @property
    def _(self) -> Localizer:
        return localize(self.reader)

    @property
    def say(self) -> Say:
        """How a public message of the session words its short texts."""
        return say_in(self.session.languages)

    def public(self, words: Callable[..., str], *args: Any) -> str:
        """A whole public text in the session's languages: `words(*args, _)` in each."""
        return in_languages(self.session.languages, lambda _: words(*args, _))

    def post(self, words: Callable[..., str], *args: Any) -> str:
        """A program post in the session's languages, said line by line (cogs/schedule.py)."""
        return in_languages(self.session.languages, lambda _: words(*args, _), by_line=True)

    def __repr__(self) -> str:
        spec, q = self.session.spec, self.question
        return (
            f"Inputs(title={spec.title[:40]!r}…({len(spec.title)}), "
            f"speaker={spec.speakers[0].name[:40]!r}…({len(spec.speakers[0].name)}), "
            f"{len(spec.speakers)} speakers, {len(spec.labels)} labels, "
            f"{len(spec.program)} segments, run={self.timeline.run.kind}, "
            f"question=#{q.number} {q.state} text={q.text[:40]!r}…({len(q.text)}), "
            f"burst={len(self.many)}, actor={self.actor!r}, "
            f"languages={self.session.languages}, reader={self.reader})"
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
        reader=draw(st.sampled_from(languages())),
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


def outcome(i: Inputs, verb: Text | None = None) -> Text:
    """What `moderation.Context.outcome` makes of a moderator's action."""
    return _views.outcome(i.question, i.actor, verb)


def _now(i: Inputs) -> datetime:
    return i.session.starts_at or datetime(2021, 10, 4, tzinfo=UTC)


def _rows(i: Inputs) -> list[Any]:
    return agenda(i.timeline, {}, _now(i))


CHANNEL = "#" + "q" * 100  # a questions channel named as long as Discord allows


def _segment_messages(i: Inputs) -> list[Payload]:
    def post(row: Any) -> Callable[[Localizer], str]:
        return lambda _: _schedule_text.segment_message(
            i.timeline,
            row,
            late=True,
            approved_waiting=i.counts["approved"],
            questions_channel=CHANNEL,
            _=_,
        )

    return [msg(i.post(post(row))) for row in _rows(i)]


def _reminders(i: Inputs) -> list[Payload]:
    top = TopQuestion(i.question.number, i.question.text, i.question.votes)

    def post(slot: Any, chosen: TopQuestion | None) -> Callable[[Localizer], str]:
        return lambda _: _schedule_text.reminder_message(
            i.timeline, slot.start, slot.segment.title, i.counts, chosen, _
        )

    return [msg(i.post(post(slot, chosen))) for slot in i.session.slots for chosen in (top, None)]


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
        msg(_schedule_text.status_message(i.timeline, records, now, i._))
        for records in ({}, failed)
    ]


def _delays(i: Inputs) -> list[Payload]:
    moved = tuple(plan_posts(i.timeline))
    delayed = Delayed(list(moved), 240 * 60, i.timeline)
    out = []
    for minutes in (240, -240, 1):
        out.append(msg(i.post(_schedule_text.delay_message, delayed, minutes)))
        for announced in (None, error_message(599, i.error)):
            out.append(msg(_schedule_text.delay_reply(delayed, minutes, announced, i._)))
    return out


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
        return [msg(refusal.render(i.reader))]
    raise AssertionError("an unknown label was accepted")


def _notices(i: Inputs) -> list[Payload]:
    error = error_message(i.counts["pending"] % 600, i.error)
    numbers = ", ".join(f"#{BIG + n}" for n in range(20)) + " …"
    out = []
    for kind in ("moderation", "questions", "live"):
        count = i.counts["approved"]
        out += [
            msg(i.public(failure_notice, kind, "c" * 100, count, error)),
            msg(i.public(delivery_recovery_notice, kind, count, error)),
            msg(i.public(missing_channel_notice, kind, 2**64 - 1, i.session.id)),
            msg(i.public(missing_channel_notice, kind, "c" * 100, i.session.id)),
            msg(i.public(refused_notice, kind, numbers, error)),
        ]
    return out


def _direct_messages(i: Inputs) -> list[Payload]:
    """Notices to askers and the chat-capture refusal: direct messages, in the session's
    languages (a direct message comes with no reader's language)."""
    q, by = i.question, answerer(i.actor, "speaker", i.session.spec.speakers[0].name)
    out = []
    for kind in ("approved", "rejected", "merged", "live", "answered", "followup"):
        for role in ("asker", "co-asker", "follower"):
            detail: dict[str, Any] = {"as": role, "reason": i.typed, "into": BIG}
            if kind in ("answered", "followup"):
                detail.update(answer=1, private=role == "asker")
            text = notice_content(
                kind, detail, number=q.number, session_title=i.session.title,
                question_text=q.text, escape=escape_markdown, by=by, answer_text=i.typed[:1800],
                link="https://discord.com/channels/" + "1" * 20 + "/" + "2" * 20 + "/" + "3" * 20,
                languages=i.session.languages,
            )  # fmt: skip
            out.append(msg(text))
    refusal = Refusal(msg_of("Your question is empty; write the question you want to ask."))
    out.append(
        msg(
            i.public(
                lambda _: _(
                    "Your message in #{channel} was not taken as a question: {reason}",
                    channel="q" * 100,
                    reason=refusal.text,
                )
            )
        )
    )
    return out


def _thread_and_forum_posts(i: Inputs) -> list[Payload]:
    """A written answer in the question's thread, and the follow-up forum's posts."""
    q = i.question
    out = []
    for role in ("speaker", "moderator"):
        by = answerer(i.actor, role, i.session.spec.speakers[0].name if role == "speaker" else None)
        post = answer_post(by, i.typed[:1800], escape_markdown, i.session.languages)
        out.append(msg(post))
    unanswered = [dataclasses.replace(x, state="approved") for x in (q, *i.many[:3])]
    for made in followups(unanswered, i.session, escape_markdown):
        out.append({"name": made.title, "message": {"content": made.body}})
        out.append(msg(made.body))
    return out


def _organizers(i: Inputs) -> list[Payload]:
    """/qa doctor, /qa setup and /qa export, said to the organizer in their language."""
    name = "n" * 100
    channels = tuple(
        ChannelSeen(kind, name if kind != "live" else 2**64 - 1, found=False, matches=0)
        for kind in ("questions", "moderation", "live")
    )
    roles = (RoleSeen("moderator_role", "r" * 100, 0), RoleSeen("organizer_role", "r" * 100, 2))
    seen = SessionSeen(
        i.session.id, "s" * 200, None, guild_found=True, guild_id=2**63, guild_name="g" * 100,
        channels=channels, roles=roles, chat_capture=True, bot_role="b" * 100,
    )  # fmt: skip
    broken = (seen, dataclasses.replace(seen, guild_found=False, guilds_joined=0))
    findings = diagnose(Snapshot(broken, message_content=False))
    plan = plan_setup(seen, i.session.title, i.session.languages)
    made: list[Text] = [f"#{name}", msg_of("the role {role}", role="r" * 100)] * 3
    failed = [
        msg_of("Discord refused to create #{channel} ({error}).", channel=name, error=i.error)
    ]
    out = [
        msg(render_discord(findings, _=i._)),
        msg(plan_report(plan, made, failed, i._)[:2000]),
        msg(plan.describe(i._)),
    ]
    for fmt in ("html", "csv", "md", "json"):
        out.append(msg(exports.delivered(fmt, True, BIG, i._)))
    for topic in (c.topic for c in plan.channels):
        assert len(topic) <= 1024
    return out


def _forms(i: Inputs) -> list[Payload]:
    """The forms of a written answer and of an asker's edit, in the reader's language."""

    async def submit(interaction: Any, text: str) -> None:
        return None

    async def build() -> list[Payload]:
        q = dataclasses.replace(i.question, number=BIG)
        forms: list[discord.ui.Modal] = [
            AnswerForm(q, private, i._, submit) for private in (False, True)
        ]
        forms.append(EditForm(q, MAX_QUESTION, i._, submit))
        return [{"type": 9, "data": form.to_dict()} for form in forms]

    return asyncio.run(build())


def _private_replies(i: Inputs) -> list[Payload]:
    """What people are told of their own actions: answers saved, edits, notice choices."""
    _ = i._
    out = [msg(answer_saved(BIG, private, _)) for private in (False, True)] + [
        msg(edit_saved(BIG, _))
    ]
    out += [
        msg(notify_set(own, voted, _)) for own in (False, True) for voted in (None, True, False)
    ]
    for refusal in (
        refuse_long_answer(BIG, BIG),
        refuse_answer_state(BIG, "merged", BIG),
        refuse_edit_state(BIG, "answered"),
        refuse_long_edit(BIG, BIG),
    ):
        out.append(msg(_.render(refusal)))
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
        msg(
            embed=_views.card_embed(i.session, i.question),
            view=_views.card_view(i.question, say=i.say),
        ),
        msg(
            embed=_views.card_embed(
                i.session,
                i.question,
                outcome(i, msg_of("{state}; author blocked", state=wording("rejected").outcome)),
            ),
            view=_views.card_view(i.question, author_blocked=True, say=i.say),
        ),
        msg(
            embed=_views.card_embed(
                i.session, i.question, outcome(i, msg_of("Merged into #{number}", number=BIG))
            )
        ),
    ],
    "vote message": lambda i: [
        msg(embed=_views.vote_embed(i.session, i.question), view=_views.vote_view(i.question)),
        *(
            msg(embed=_views.vote_embed(i.session, i.question, answered_marker(*counts)))
            for counts in ((BIG, BIG), (1, 0), (BIG, 0), (0, 1))
        ),
    ],
    "vote button after a click": lambda i: [
        msg(view=discord.ui.View().add_item(_buttons.VoteButton(i.question.id, BIG)))
    ],
    "live announcement": lambda i: [
        msg(
            _views.live_content(i.question, i.say),
            embed=_views.live_embed(i.session, i.question),
        )
    ],
    "digest card": lambda i: [msg(embed=_views.digest_embed(i.many, i.say))],
    "/qa queue": lambda i: [
        msg(
            embed=_views.queue_embed(
                i.session,
                QueueView(top=(i.many * QUEUE_SIZE)[:QUEUE_SIZE], counts=i.counts),
                i._,
            )
        )
    ],
    "/myquestions": lambda i: [
        msg(
            embed=_views.myquestions_embed(mine_of(i), i.session, i._),
            view=_views.edit_view(i.many, i._),
        )
    ],
    "/ask confirmation": lambda i: [
        msg(asking.confirmation(i.question, i._) + " " + ask_notify_note(True, i._)),
        msg(
            asking.confirmation(i.question, i._)
            + "\n\n"
            + hint_text(BIG, i.question.text, escape_markdown, i._),
            view=_views.confirmation_view(i.question, i.question, i._),
        ),
    ],
    "card with a possible duplicate": lambda i: [
        msg(
            embed=_views.card_embed(i.session, i.question, duplicate=i.question),
            view=_views.card_view(i.question, duplicate=i.question, say=i.say),
        )
    ],
    "/qa label refusal": _label_refusal,
    "/qa label reply": lambda i: [
        msg(
            i._(
                "#{number} is labelled {label}.",
                number=BIG,
                label=_views.label_name(i.session, lab.id),
            )
        )
        for lab in i.session.spec.labels
    ],
    "speaker autocomplete": lambda i: (
        _choices(i, "", "speakers") + _choices(i, i.typed[:100], "speakers")
    ),
    "label autocomplete": lambda i: _choices(i, "", "labels"),
    "segment posts": _segment_messages,
    "reminders": _reminders,
    "intake open": lambda i: [
        msg(
            i.post(
                lambda _: _schedule_text.intake_open_message(
                    i.timeline, i.session.ends_at, CHANNEL, _
                )
            )
        )
    ],
    "intake close": lambda i: [
        msg(i.post(lambda _: _schedule_text.intake_close_message(i.timeline, _)))
    ],
    "closing summary": lambda i: [
        msg(i.post(_schedule_text.summary_message, i.timeline, _now(i), i.counts, override))
        for override in (None, "open", "closed")
    ],
    "report and follow-ups posts": lambda i: [
        msg(i.post(lambda _: _schedule_text.report_message(i.timeline, BIG, _))),
        msg(i.post(lambda _: _schedule_text.followups_message(i.timeline, _))),
        msg(i.post(lambda _: _schedule_text.too_large(i.session.id, _))),
    ],
    "/program": lambda i: [
        msg(_schedule_text.program_message(i.timeline, _rows(i), _now(i), _=i._))
    ],
    "/schedule status": _status,
    "/schedule delay": _delays,
    "delivery notices": _notices,
    "direct messages": _direct_messages,
    "thread and forum posts": _thread_and_forum_posts,
    "organizers' replies": _organizers,
    "forms": _forms,
    "private replies": _private_replies,
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
