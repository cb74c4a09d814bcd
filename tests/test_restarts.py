"""A restart at every step of the Q&A loop: nothing lost, nothing posted twice, old buttons work.

Each story restarts the bot as production would (a fresh bot process on the same database; the
old one is closed first) after one step, then checks the queue, votes, the live question, the
delay and the buttons of messages posted before the restart, and that no channel holds the same
bot message twice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

import discord

from bot.app import QABot
from tests.q_world import QA, button_labels, field, said, said_embed

SESSION = "gsef2021-inclusive-society"


def assert_nothing_posted_twice(qa: QA) -> None:
    bot_id = qa.env.backend.bot_user.id
    for channel in qa.world.guild.channels.values():
        seen = Counter(
            (m.content, json.dumps([e.to_dict() for e in m.embeds], sort_keys=True))
            for m in channel.history()
            if m.author.id == bot_id and m.type == discord.MessageType.default
        )
        twice = {key: n for key, n in seen.items() if n > 1}
        assert not twice, f"posted twice in #{channel.name}: {twice}"


def cards(qa: QA) -> list[str]:
    return [
        m.embeds[0].title or ""
        for m in qa.world.moderation.history()
        if m.embeds and (m.embeds[0].title or "").startswith("Question #")
    ]


async def restart(qa: QA, make_bot: Callable[..., QABot]) -> None:
    await qa.env.restart_bot(make_bot())
    await qa.env.settle()


async def test_restart_after_asks_and_after_approvals(
    qa: QA, make_bot: Callable[..., QABot]
) -> None:
    w = qa.world
    await qa.ask(w.alice, "Before the restart?")
    await qa.ask(w.bob, "Also before?", anonymous=True)
    await restart(qa, make_bot)
    assert sorted(cards(qa)) == ["Question #1", "Question #2"]  # no card posted again
    # the old cards' buttons work
    await w.mod.click(qa.card(1), label="Approve")
    assert qa.state(1) == "approved" and qa.has_vote_message(1)
    assert "#3" in said(await qa.ask(w.carol, "After the restart?"))

    await restart(qa, make_bot)
    assert not qa.has_vote_message(2)  # still pending: no vote message appeared
    await w.mod2.click(qa.card(2), label="Approve")
    assert field(qa.card(2), "State") == "Approved by mateo"
    assert field(qa.vote_message(2), "Asked by") == "Anonymous"
    listing = said_embed(await w.mod.slash(w.moderation, "qa queue"))
    assert "**#1**" in listing and "**#2**" in listing
    assert sorted(cards(qa)) == ["Question #1", "Question #2", "Question #3"]
    assert_nothing_posted_twice(qa)


async def test_restart_after_votes_and_with_a_live_question(
    qa: QA, make_bot: Callable[..., QABot]
) -> None:
    w = qa.world
    for who, text in ((w.alice, "One?"), (w.bob, "Two?"), (w.carol, "Three?")):
        await qa.ask(who, text)
    for n in (1, 2, 3):
        await w.mod.slash(w.moderation, "qa approve", number=n)
    await w.alice.click(qa.vote_message(3), label="👍 0")
    await w.bob.click(qa.vote_message(3), label="👍 1")
    await w.carol.click(qa.vote_message(2), label="👍 0")

    await restart(qa, make_bot)
    assert qa.rows("SELECT number, votes FROM questions ORDER BY number") == [
        (1, 0),
        (2, 1),
        (3, 2),
    ]
    assert button_labels(qa.vote_message(3)) == ["👍 2"]
    await w.mod.click(qa.vote_message(3), label="👍 2")  # an old button, a new vote
    assert qa.rows("SELECT votes FROM questions WHERE number = 3") == [(3,)]
    assert "Now answering #3" in said(await w.mod.slash(w.moderation, "qa next"))

    await restart(qa, make_bot)
    assert qa.state(3) == "live"
    live_posts = [m for m in w.live.history() if "Now answering #3" in m.content]
    assert len(live_posts) == 1  # not announced again
    # votes still count on the live question, and the queue goes on from where it was
    await w.carol.click(qa.vote_message(3), label="👍 3")
    nxt = await w.mod.slash(w.moderation, "qa next")
    assert "Now answering #2. #3 is marked answered." in said(nxt)
    assert qa.state(3) == "answered"
    assert "#2 is answered" in said(await w.mod.slash(w.moderation, "qa answered"))
    assert_nothing_posted_twice(qa)


async def test_a_card_that_failed_before_a_restart_is_posted_once_after_it(
    qa: QA, make_bot: Callable[..., QABot]
) -> None:
    w = qa.world
    w.env.inject_error("POST", f"/channels/{w.moderation.id}/messages", status=503, times=None)
    await qa.ask(w.alice, "Lost in transit?")
    await w.mod.slash(w.moderation, "qa approve", number=1)
    assert qa.has_vote_message(1) and cards(qa) == []
    w.env.backend.faults.clear()
    await restart(qa, make_bot)  # the bot becomes ready: one pass over what is missing
    assert cards(qa) == ["Question #1"]
    assert qa.rows("SELECT card_message_id IS NOT NULL FROM questions") == [(1,)]
    await restart(qa, make_bot)
    assert cards(qa) == ["Question #1"]
    assert_nothing_posted_twice(qa)


async def test_restart_after_a_schedule_delay(qa: QA, make_bot: Callable[..., QABot]) -> None:
    w = qa.world
    await qa.ask(w.alice, "Are we late?")
    delayed = await w.mod.slash(w.moderation, "schedule delay", minutes=10)
    assert delayed.response is not None
    assert qa.rows("SELECT delay_seconds FROM runs") == [(600,)]
    posts_before = qa.rows("SELECT key, status, message_id FROM posts ORDER BY key")

    await restart(qa, make_bot)
    assert w.bot.runs[SESSION].delay_seconds == 600
    assert qa.rows("SELECT key, status, message_id FROM posts ORDER BY key") == posts_before
    status = await w.mod.slash(w.moderation, "schedule status")
    assert status.response is not None
    shown = (status.response.content or "") + "".join(
        e.description or "" for e in status.response.embeds
    )
    assert "Delay: +10 min of program time." in shown  # the delay holds after the restart
    await w.mod.click(qa.card(1), label="Approve")
    assert qa.state(1) == "approved"
    assert_nothing_posted_twice(qa)
