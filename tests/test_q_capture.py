"""A session that captures chat: plain messages in the questions channel become questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from simcord.builders import ChannelHandle

from tests.conftest import GSEF, Clock
from tests.q_world import QA, field, said


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """The GSEF session with chat capture on and anonymous questions off."""
    text = GSEF.read_text(encoding="utf-8")
    text = text.replace("chat_capture = false", "chat_capture = true")
    text = text.replace("anonymous_allowed = true", "anonymous_allowed = false")
    assert "chat_capture = true" in text and "anonymous_allowed = false" in text
    path = tmp_path / "gsef-chat.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_a_chat_message_becomes_a_question(qa: QA) -> None:
    w = qa.world
    assert w.bot.intents.message_content
    message = await w.alice.send(w.questions, "What role for local government?")
    stored = qa.rows("SELECT number, text, source, source_message_id, state FROM questions")
    assert stored == [(1, "What role for local government?", "chat", message.id, "pending")]
    reacted = w.env.backend.messages[w.questions.id][message.id]
    assert "✅" in str(reacted.reactions)
    assert field(qa.card(1), "Asked by") == "alice"


def dms(qa: QA, who: Any) -> list[str]:
    """What the bot sent this member by direct message."""
    channel = qa.env.backend.get_dm_channel(who.id)
    return [m.content for m in ChannelHandle(qa.env, None, channel).history() if m.author.bot]


async def test_a_refused_chat_message_gets_a_reaction_and_a_private_reason(
    qa: QA, clock: Clock
) -> None:
    w = qa.world
    await w.alice.send(w.questions, "First?")
    second = await w.alice.send(w.questions, "Second, right away?")
    # nothing public but a reaction: no reply in the channel for everyone to see
    assert [m for m in w.questions.history() if m.author.bot] == []
    reacted = w.env.backend.messages[w.questions.id][second.id]
    assert "❌" in str(reacted.reactions)
    told = dms(qa, w.alice)
    assert len(told) == 1 and "wait" in told[0]
    request = [r for r in w.env.http_requests if r.method == "POST" and "/messages" in r.path][-1]
    assert request.json is not None and request.json["allowed_mentions"]["parse"] == []
    assert qa.rows("SELECT COUNT(*) FROM questions") == [(1,)]


async def test_a_flood_of_refused_messages_gets_one_notice_per_cooldown(qa: QA) -> None:
    w = qa.world
    await w.alice.send(w.questions, "First?")
    for i in range(40):
        await w.alice.send(w.questions, f"Again {i}?")
    assert len(dms(qa, w.alice)) == 1  # one notice, however many messages
    assert [m for m in w.questions.history() if m.author.bot] == []


async def test_closed_dms_leave_just_the_reaction(qa: QA) -> None:
    w = qa.world
    qa.env.inject_error(
        "POST", "/users/@me/channels", status=403, code=50007, message="Cannot send messages"
    )
    await w.alice.send(w.questions, "First?")
    second = await w.alice.send(w.questions, "Second, right away?")
    assert "❌" in str(w.env.backend.messages[w.questions.id][second.id].reactions)
    assert [m for m in w.questions.history() if m.author.bot] == []
    qa.env.raise_errors()  # nothing failed loudly


async def test_messages_elsewhere_and_from_bots_are_ignored(qa: QA) -> None:
    w = qa.world
    await w.alice.send(w.general, "Just chatting")
    assert qa.rows("SELECT COUNT(*) FROM questions") == [(0,)]
    # the bot's own posts in the questions channel never become questions
    await w.mod.slash(w.moderation, "qa open")
    await qa.ask(w.bob, "By slash?")
    await w.mod.slash(w.moderation, "qa approve", number=1)
    assert qa.rows("SELECT COUNT(*) FROM questions") == [(1,)]


async def test_anonymity_not_allowed_is_refused(qa: QA) -> None:
    result = await qa.ask(qa.world.alice, "Can I hide?", anonymous=True)
    assert result.ephemeral and "anonymous" in said(result)
    assert qa.rows("SELECT COUNT(*) FROM questions") == [(0,)]
