"""Hostile text in questions, edits and reasons: refused with a clear message, or kept and shown
exactly as typed, never pinging anyone and never breaking a card.

The documented normalization of user text (bot/questions.py): NUL characters are removed and
surrounding whitespace is stripped; everything else is stored as typed. Shown text is
`cogs._common.shown(text)` (Discord markdown escaped), and `unshown` below is its inverse as
Discord renders it, so "shown intact" is checked both ways.

The SimCord properties build ONE world per test function (pytest-asyncio runs each Hypothesis
example on the test's loop, with the test's fixtures) and give every example a new participant,
so examples do not meet each other's cooldown or pending limits.
"""

from __future__ import annotations

import json
import re
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.questions import INVISIBLE, Question
from bot.reports import render_report
from bot.sessions import Session, load_session
from bot.states import State
from cogs import _views
from cogs._common import shown
from tests.conftest import GSEF, GSEF_QA_TIME
from tests.q_world import QA, said

MAX_LENGTH = 1000  # the GSEF session's [questions] max_length

FRAGMENTS = [
    "@everyone",
    "@here",
    "<@&123>",
    "<@456>",
    "<#789>",
    "<@!456>",
    "```",
    "```py\nprint(1)\n```",
    "**",
    "*",
    "_",
    "__",
    "~~",
    "`",
    "||spoiler||",
    "> quote",
    ">>> block",
    "# heading",
    "-# small",
    "- item",
    "[link](https://evil.example)",
    "https://example.com",
    "https://example.com/a_b*c",
    "<https://example.com>",
    "\\",
    "\\*",
    "\u200b",
    "\u202e",
    "\u2066",
    "\u200d",
    "\ufeff",
    "😀",
    "👍🏽",
    "🏳️‍🌈",
    "\x00",
    "'; DROP TABLE questions; --",
    "Robert'); DELETE FROM votes;--",
    '"quoted"',
    "\n",
    "\r\n",
    "\t",
    " ",
    "{{ 7*7 }}",
    "<script>alert(1)</script>",
    "%s %d {0}",
]
LIMITS = [0, 1, MAX_LENGTH - 1, MAX_LENGTH, MAX_LENGTH + 1, 4000, 4097, 6001]
FILLERS = ["a", "é", "😀", "@everyone ", "**", "\u200b", "<@456>", "_", " ", "\x00"]


def mixed_text() -> st.SearchStrategy[str]:
    """Free text interleaved with hostile fragments."""
    piece = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20))
    return st.lists(piece, max_size=10).map("".join)


def sized_text() -> st.SearchStrategy[str]:
    """Text exactly at the lengths that matter (around max_length, Discord's limits)."""
    return st.builds(
        lambda filler, n, head: (head + filler * n)[:n],
        st.sampled_from(FILLERS),
        st.sampled_from(LIMITS),
        st.sampled_from(["", "@everyone ", "```", "x"]),
    )


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(mixed_text(), sized_text())


def normal(text: str) -> str:
    """The documented normalization: NUL characters removed, surrounding whitespace stripped."""
    return text.replace("\x00", "").strip()


_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def unshown(text: str) -> str:
    """What Discord displays for shown(text) in text without links: a backslash shows the next
    character as is. (Links are left unescaped by shown, so they are not modelled here.)"""
    return _UNESCAPE.sub(lambda m: m[1], text)


def holds_whole(shown_text: str, text: str) -> bool:
    """shown() only adds backslashes: nothing of the text is dropped, cut or changed."""
    return shown_text.replace("\\", "") == text.replace("\\", "")


# ------------------------------------------------------------------ core level (fast)


@pytest.fixture(scope="module")
def session() -> Session:
    return load_session(GSEF)


def _question(text: str, author: str, anonymous: bool, state: str) -> Question:
    return Question(
        id=1,
        run_id=1,
        number=999_999,
        text=text,
        state=state,
        votes=12_345,
        anonymous=anonymous,
        author_id=456,
        author_name=author,
        speaker_id="li-li-chang",
        label_id=None,
        asked_at=GSEF_QA_TIME,
        updated_at=GSEF_QA_TIME,
        source="slash",
        source_message_id=None,
        co_askers=3,
    )


def assert_embed_fits(embed: dict[str, Any]) -> None:
    """Discord's embed limits: description 4096, title 256, field 256/1024, 6000 in all."""
    description = embed.get("description") or ""
    title = embed.get("title") or ""
    assert len(description) <= 4096
    assert len(title) <= 256
    total = len(description) + len(title)
    for f in embed.get("fields", []):
        assert 0 < len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024
        total += len(f["name"]) + len(f["value"])
    footer = (embed.get("footer") or {}).get("text") or ""
    assert len(footer) <= 2048
    assert total + len(footer) <= 6000


def no_links(text: str) -> bool:
    return ":/" not in text


@settings(max_examples=300, deadline=None)
@given(text=hostile_text())
def test_shown_text_reads_back_exactly(text: str) -> None:
    assert holds_whole(shown(text), text)
    if no_links(text):
        assert unshown(shown(text)) == text


@settings(max_examples=200, deadline=None)
@given(
    text=hostile_text().map(normal).filter(lambda t: 0 < len(t) <= MAX_LENGTH),
    author=st.text(min_size=1, max_size=32) | st.sampled_from(["@everyone", "**x**", "<@1>"]),
    anonymous=st.booleans(),
    state=st.sampled_from(sorted(State)),
)
def test_every_question_embed_fits_and_holds_the_whole_text(
    session: Session, text: str, author: str, anonymous: bool, state: str
) -> None:
    q = _question(text, author, anonymous, state)
    for embed in (
        _views.card_embed(session, q, "Approved by " + shown(author)),
        _views.vote_embed(session, q),
        _views.live_embed(session, q),
    ):
        data = embed.to_dict()
        assert_embed_fits(dict(data))
        # escaped as shown() escapes, and a backslash at the very end escaped too (it would
        # otherwise escape what Discord puts after it)
        assert data.get("description") in (shown(text), shown(text) + "\\")
        assert holds_whole(data["description"], text)
        asked_by = [f["value"] for f in data["fields"] if f["name"] == "Asked by"]
        # a name of blanks only would leave the field empty, which Discord refuses
        named = shown(author) if author.strip() else "—"
        assert asked_by == ["Anonymous" if anonymous else named]


# ------------------------------------------------------------------ through Discord

MESSAGE_PATH = re.compile(r"^/channels/\d+/messages(/\d+)?$")
CALLBACK_PATH = re.compile(r"^/interactions/\d+/[^/]+/callback$")
WEBHOOK_PATH = re.compile(r"^/webhooks/\d+/[^/]+(/messages/[^/]+)?$")


def sent_since(qa: QA, mark: int) -> list[dict[str, Any]]:
    """Every message body the bot sent or edited since `mark`, checked for pings and limits."""
    bodies = []
    for entry in qa.env.http_requests[mark:]:
        if entry.method not in ("POST", "PATCH"):
            continue
        body: Any = entry.json or {}
        if CALLBACK_PATH.match(entry.path):
            if body.get("type") not in (4, 7):  # message, update message (not defer)
                continue
            body = body.get("data") or {}
        elif not (MESSAGE_PATH.match(entry.path) or WEBHOOK_PATH.match(entry.path)):
            continue
        if not isinstance(body, dict):
            continue
        # content is what can ping (embeds never do); discord.py sends allowed_mentions with
        # every content, and edits without content carry none
        if body.get("content") is not None or "allowed_mentions" in body:
            assert body.get("allowed_mentions") == {"parse": []}, (entry.path, body)
        assert len(body.get("content") or "") <= 2000
        for embed in body.get("embeds") or []:
            assert_embed_fits(embed)
        bodies.append(body)
    return bodies


def assert_nobody_pinged(qa: QA) -> None:
    """No message pings everyone. (SimCord lists parsed user and role mentions on a message
    even when nobody is notified; the request's allowed_mentions, checked in sent_since, is
    what decides that.)"""
    for channel in qa.world.guild.channels.values():
        for message in channel.history():
            assert not message.mention_everyone


class People:
    """A fresh participant for every example."""

    def __init__(self, qa: QA) -> None:
        self.qa = qa
        self.count = 0

    def new(self) -> Any:
        self.count += 1
        return self.qa.world.participant(f"guest{self.count}")


def _people(qa: QA) -> People:
    people = getattr(qa, "_people", None)
    if people is None:
        people = People(qa)
        qa._people = people  # type: ignore[attr-defined]
    return people


def _counts(qa: QA) -> tuple[int, int, int]:
    (row,) = qa.rows(
        "SELECT (SELECT COUNT(*) FROM questions), (SELECT COUNT(*) FROM question_events),"
        " (SELECT COUNT(*) FROM votes)"
    )
    return row


def _public_messages(qa: QA) -> int:
    return sum(len(c.history()) for c in qa.world.guild.channels.values())


async def _new_question(qa: QA, text: str = "A plain question?") -> int:
    who = _people(qa).new()
    result = await qa.ask(who, text)
    assert "Thanks!" in said(result), said(result)
    ((number,),) = qa.rows("SELECT number FROM questions WHERE author_id = ?", who.id)
    return int(number)


def _text_of(qa: QA, number: int) -> str:
    ((text,),) = qa.rows("SELECT text FROM questions WHERE number = ?", number)
    return str(text)


def _assert_shown(message: discord.Message, text: str) -> None:
    description = message.embeds[0].description or ""
    assert description == shown(text)
    assert holds_whole(description, text)
    if no_links(text):
        assert unshown(description) == text


@pytest.fixture
def unpaced(qa: QA) -> QA:
    """These tests are about text, not Discord's rate limits: every card gets its own message
    at once (the delivery cog otherwise combines cards of a burst into digests, see
    tests/test_faults.py)."""
    delivery = qa.world.bot.get_cog("Posting")
    if delivery is not None:
        delivery.pacer.limit = 1_000_000  # type: ignore[attr-defined]
    return qa


HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(text=hostile_text())
async def test_question_text_is_refused_or_kept_and_shown_intact(unpaced: QA, text: str) -> None:
    qa = unpaced
    w = qa.world
    who = _people(qa).new()
    before, messages, mark = _counts(qa), _public_messages(qa), len(qa.env.http_requests)
    result = await qa.ask(who, text)
    expected = normal(text)
    answer = said(result)
    assert result.ephemeral
    if not expected.strip(INVISIBLE) or len(expected) > MAX_LENGTH:
        assert (
            ("empty" in answer)
            if not expected.strip(INVISIBLE)
            else (f"{len(expected)} characters long; the limit is {MAX_LENGTH}" in answer)
        ), answer
        assert _counts(qa) == before and _public_messages(qa) == messages
        sent_since(qa, mark)
        return
    assert "Thanks!" in answer, answer
    ((number, stored),) = qa.rows("SELECT number, text FROM questions WHERE author_id = ?", who.id)
    assert stored == expected
    _assert_shown(qa.card(number), expected)
    approved = await w.mod.slash(w.moderation, "qa approve", number=number)
    assert f"#{number} approved" in said(approved)
    _assert_shown(qa.vote_message(number), expected)
    listing = await who.slash(w.questions, "myquestions")
    assert listing.ephemeral
    sent_since(qa, mark)
    assert_nobody_pinged(qa)


@HYPOTHESIS
@given(text=hostile_text())
async def test_edited_text_is_refused_or_kept_and_shown_intact(unpaced: QA, text: str) -> None:
    qa = unpaced
    w = qa.world
    number = await _new_question(qa, "What does the plan cost?")
    await w.mod.slash(w.moderation, "qa approve", number=number)
    before, messages, mark = _counts(qa), _public_messages(qa), len(qa.env.http_requests)
    result = await w.mod.slash(w.moderation, "qa edit", number=number, text=text)
    expected = normal(text)
    answer = said(result)
    assert result.ephemeral
    if (
        not expected.strip(INVISIBLE)
        or len(expected) > MAX_LENGTH
        or expected == "What does the plan cost?"
    ):
        assert any(
            words in answer for words in ("empty", "the limit is 1000", "already reads exactly")
        ), answer
        assert _counts(qa) == before and _public_messages(qa) == messages
        assert _text_of(qa, number) == "What does the plan cost?"
        sent_since(qa, mark)
        return
    assert "edited" in answer, answer
    assert _text_of(qa, number) == expected
    ((detail,),) = qa.rows(
        "SELECT e.detail FROM question_events e JOIN questions q ON q.id = e.question_id "
        "WHERE q.number = ? AND e.action = 'edited'",
        number,
    )
    assert json.loads(detail) == {"before": "What does the plan cost?", "after": expected}
    _assert_shown(qa.card(number), expected)
    _assert_shown(qa.vote_message(number), expected)
    sent_since(qa, mark)
    assert_nobody_pinged(qa)


@HYPOTHESIS
@given(reason=hostile_text(), dismiss=st.booleans())
async def test_reasons_are_kept_as_typed_and_never_shown_to_anyone(
    unpaced: QA, reason: str, dismiss: bool
) -> None:
    qa = unpaced
    w = qa.world
    number = await _new_question(qa)
    if dismiss:
        await w.mod.slash(w.moderation, "qa approve", number=number)
    mark = len(qa.env.http_requests)
    command = "qa dismiss" if dismiss else "qa reject"
    result = await w.mod.slash(w.moderation, command, number=number, reason=reason)
    assert result.ephemeral
    assert ("set aside" if dismiss else "rejected") in said(result), said(result)
    assert qa.state(number) == ("dismissed" if dismiss else "rejected")
    ((stored,),) = qa.rows(
        "SELECT e.reason FROM question_events e JOIN questions q ON q.id = e.question_id "
        "WHERE q.number = ? AND e.action = ?",
        number,
        "dismissed" if dismiss else "rejected",
    )
    assert stored == (normal(reason) or None)
    bodies = sent_since(qa, mark)
    if stored and len(stored) > 11:
        assert stored not in json.dumps(bodies, ensure_ascii=False)  # a log entry, not a post
    assert_nobody_pinged(qa)


NASTY = [
    "@everyone look <@456> <@&123> <#789>",
    "```\nunterminated fence",
    "**bold** __under__ ~~strike~~ ||spoiler|| `code`",
    "> quote\n# heading\n-# small\n- list",
    "[click me](https://evil.example) https://example.com/a_b",
    "right\u202eto-left \u2066isolate\u2069 zero\u200bwidth \ufeff",
    "nul\x00byte",
    "'; DROP TABLE questions; --",
    "<script>alert(1)</script> & {{ 7*7 }}",
    "😀👍🏽🏳️‍🌈 " * 20,
    "\\*not italic\\*",
    "x" * MAX_LENGTH,
]


async def test_nasty_texts_survive_every_export_and_the_live_post(unpaced: QA) -> None:
    """Fixed samples through the whole life of a question, then into every export format."""
    qa = unpaced
    w = qa.world
    numbers = []
    for text in NASTY:
        number = await _new_question(qa, text)
        await w.mod.slash(w.moderation, "qa approve", number=number)
        numbers.append(number)
    reason = "spam: @everyone <@456> ```x``` '; DROP TABLE votes; -- nul\x00"
    rejected = await _new_question(qa, "Buy now!")
    await w.mod.slash(w.moderation, "qa reject", number=rejected, reason=reason)
    mark = len(qa.env.http_requests)
    picked = await w.mod.slash(w.moderation, "qa pick", number=numbers[0])
    assert "Now answering" in said(picked)
    live = w.live.history()[-1]
    _assert_shown(live, normal(NASTY[0]))
    queue = await w.mod.slash(w.moderation, "qa queue")
    assert queue.ephemeral
    sent_since(qa, mark)
    assert_nobody_pinged(qa)
    assert len(qa.rows("SELECT name FROM sqlite_master WHERE name = 'questions'")) == 1

    exports = {
        fmt: (await render_report(qa.db_path, fmt)).decode("utf-8")
        for fmt in ("json", "csv", "md", "html")
    }
    data = json.loads(exports["json"])
    texts = [q["text"] for s in data["sessions"] for q in s["questions"]]
    for text in NASTY:
        assert normal(text) in texts
    assert normal(reason) in exports["json"]
    assert "\x00" not in "".join(exports.values())
    # html escapes markup: the script tag is text, not an element
    assert "<script>alert(1)</script>" not in exports["html"]
    assert "&lt;script&gt;" in exports["html"]
