"""The audience votes with one button per question; it keeps working across a restart."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import QABot
from tests.q_world import (
    QA,
    button_labels,
    field,
    said,
    said_embed,
)


async def test_votes_toggle_one_per_person_and_not_for_oneself(qa: QA) -> None:
    w = qa.world
    await qa.ask(w.alice, "Is the data open?")
    await w.mod.click(qa.card(1), label="Approve")
    message = qa.vote_message(1)
    assert message.embeds[0].description == "Is the data open?"
    assert button_labels(message) == ["👍 0"]

    await w.bob.click(message, label="👍 0")
    await w.carol.click(qa.vote_message(1), label="👍 1")
    assert button_labels(qa.vote_message(1)) == ["👍 2"]
    await w.bob.click(qa.vote_message(1), label="👍 2")  # bob takes his vote back
    assert button_labels(qa.vote_message(1)) == ["👍 1"]
    own = await w.alice.click(qa.vote_message(1), label="👍 1")
    assert own.ephemeral and "own question" in said(own)
    assert button_labels(qa.vote_message(1)) == ["👍 1"]
    assert qa.rows("SELECT votes FROM questions") == [(1,)]
    assert qa.rows("SELECT voter_id FROM votes") == [(w.carol.id,)]
    # the vote message is the same message throughout: no new posts per click
    assert len([m for m in w.questions.history() if m.embeds]) == 1


async def test_ranking_follows_the_votes(qa: QA) -> None:
    w = qa.world
    for who in (w.alice, w.bob, w.carol):
        await qa.ask(who, f"Question from {who.name}?")
    for n in (1, 2, 3):
        await w.mod.slash(w.moderation, "qa approve", number=n)
    for voter in (w.alice, w.bob, w.mod):
        await voter.click(qa.vote_message(3), custom_id=_vote_id(qa, 3))
    await w.carol.click(qa.vote_message(2), custom_id=_vote_id(qa, 2))
    listing = said_embed(await w.mod.slash(w.moderation, "qa queue"))
    order = [line.split("**")[1] for line in listing.splitlines()]
    assert order == ["#3", "#2", "#1"]
    assert "Now answering #3" in said(await w.mod.slash(w.moderation, "qa next"))


def _vote_id(qa: QA, number: int) -> str:
    (qid,) = qa.rows("SELECT id FROM questions WHERE number = ?", number)[0]
    return f"qa:vote:{qid}"


async def test_buttons_keep_working_after_a_restart(qa: QA, make_bot: Callable[..., QABot]) -> None:
    w = qa.world
    await qa.ask(w.alice, "Before the restart?")
    await qa.ask(w.bob, "Also before?")
    await w.mod.click(qa.card(1), label="Approve")
    await w.carol.click(qa.vote_message(1), label="👍 0")

    await w.env.restart_bot(make_bot())

    # buttons posted by the previous process still answer
    await w.bob.click(qa.vote_message(1), label="👍 1")
    assert button_labels(qa.vote_message(1)) == ["👍 2"]
    await w.mod2.click(qa.card(2), label="Approve")
    assert qa.state(2) == "approved"
    assert field(qa.card(2), "State") == "Approved by mateo"
    await w.alice.click(qa.vote_message(2), label="👍 0")
    assert qa.rows("SELECT number, votes FROM questions ORDER BY number") == [(1, 2), (2, 1)]
    # and numbering carries on
    assert "#3" in said(await qa.ask(w.carol, "After the restart?"))
    w.env.raise_errors()


async def test_posting_failure_keeps_the_question(qa: QA) -> None:
    w = qa.world
    w.env.inject_error("POST", f"/channels/{w.moderation.id}/messages")
    result = await qa.ask(w.alice, "Does this survive a Discord hiccup?")
    assert "#1" in said(result)
    assert qa.rows("SELECT number, state, card_message_id FROM questions") == [(1, "pending", None)]
    approved = await w.mod.slash(w.moderation, "qa approve", number=1)
    assert "#1 approved" in said(approved)
    assert qa.has_vote_message(1)
