"""Buttons clicked by someone without the right, or after the question moved on, refuse cleanly:
one short ephemeral answer to the clicker, and nothing in the log changes.

A stale button is one Discord still shows because the message edit that would have removed it
failed (a 403 here); the click then meets the question's real state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord
import pytest
from simcord.backend.errors import SetupError
from simcord.backend.models.channel import Overwrite
from simcord.enums import OverwriteType

from tests.conftest import Clock
from tests.q_world import QA, button_labels, field, said
from tests.test_permissions_matrix import database, histories


def qid(qa: QA, number: int) -> int:
    return int(qa.rows("SELECT id FROM questions WHERE number = ?", number)[0][0])


def break_edits_of(qa: QA, message: discord.Message, times: int | None = 1) -> None:
    """The next edit of this message (or every edit: times=None) fails, so its buttons stay as
    they were."""
    qa.env.inject_error(
        "PATCH",
        f"/channels/{message.channel.id}/messages/{message.id}",
        status=403,
        code=50013,
        message="Missing Permissions",
        times=times,
    )


def assert_short_refusal(result: Any, *words: str) -> str:
    assert result.ephemeral, "a refusal is for the clicker only"
    text = said(result)
    assert len(text) < 200, text
    for word in words:
        assert word in text, text
    return text


# ------------------------------------------------------------------- without the right


@pytest.mark.parametrize("label", ["Approve", "Reject", "Block author"])
async def test_a_participant_clicking_a_card_button_is_refused(qa: QA, label: str) -> None:
    w = qa.world
    await qa.ask(w.bob, "Who pays for this?")
    # a misconfigured server: alice can see the moderation channel and its cards
    backend = qa.env.backend
    channel = backend.get_channel(w.moderation.id)
    allow = discord.Permissions(view_channel=True, read_message_history=True).value
    overwrite = Overwrite(target_id=w.alice.id, type=OverwriteType.MEMBER, allow=allow, deny=0)
    backend.edit_channel(channel.id, {}, overwrites=[*channel.overwrites, overwrite])
    await qa.env.settle()
    before = database(qa), histories(qa)

    result = await w.alice.click(qa.card(1), label=label)

    assert_short_refusal(result, "Only moderators")
    assert (database(qa), histories(qa)) == before
    assert button_labels(qa.card(1)) == ["Approve", "Reject", "Block author"]


async def test_a_participant_cannot_reach_the_card_of_a_private_channel(qa: QA) -> None:
    """With the documented set-up, participants do not see the cards at all."""
    await qa.ask(qa.world.bob, "Who pays for this?")
    with pytest.raises(SetupError, match="not visible"):
        await qa.world.alice.click(qa.card(1), label="Approve")


# ----------------------------------------------------------------- after a state change

Change = Callable[[QA], Awaitable[Any]]


async def _reject(qa: QA) -> Any:
    return await qa.world.mod.slash(qa.world.moderation, "qa reject", number=1, reason="spam")


async def _approve(qa: QA) -> Any:
    return await qa.world.mod.slash(qa.world.moderation, "qa approve", number=1)


async def _withdraw(qa: QA) -> Any:
    return await qa.world.alice.slash(qa.world.questions, "withdraw", number=1)


async def _dismiss(qa: QA) -> Any:
    return await qa.world.mod.slash(qa.world.moderation, "qa dismiss", number=1)


async def _pick(qa: QA) -> Any:
    return await qa.world.mod.slash(qa.world.moderation, "qa pick", number=1)


STALE_CARDS = [
    # (approved first?, the change the card missed, the button clicked, what the clicker hears)
    (False, _reject, "Approve", "#1 was already rejected by mona, so it cannot be approved now"),
    (False, _approve, "Reject", "#1 was already approved by mona, so it cannot be rejected now"),
    (
        False,
        _withdraw,
        "Approve",
        "#1 was already withdrawn by alice, so it cannot be approved now",
    ),
    (True, _dismiss, "Dismiss", "#1 was already dismissed by mona"),
    (True, _pick, "Dismiss", "#1 was already picked to be answered by mona"),
]


@pytest.mark.parametrize(
    ("approved", "change", "label", "says"),
    STALE_CARDS,
    ids=["rejected-approve", "approved-reject", "withdrawn-approve", "dismissed", "live-dismiss"],
)
async def test_a_stale_card_button_refuses_and_the_card_catches_up(
    qa: QA, approved: bool, change: Change, label: str, says: str
) -> None:
    w = qa.world
    await qa.ask(w.alice, "Is the housing data public?")
    if approved:
        await w.mod.click(qa.card(1), label="Approve")
    stale = qa.card(1)
    break_edits_of(qa, stale)
    await change(qa)
    assert label in button_labels(qa.card(1)), "the card should still show the old buttons"
    state, before = qa.state(1), database(qa)

    result = await w.mod2.click(qa.card(1), label=label)

    assert_short_refusal(result, says)
    assert qa.state(1) == state and database(qa) == before
    # the click brought the card in line with the log: the real state, no stale buttons
    assert label not in button_labels(qa.card(1))
    assert "Waiting for review" not in (field(qa.card(1), "State") or "")
    w.env.raise_errors()


async def test_blocking_again_the_author_of_a_settled_question_is_refused(qa: QA) -> None:
    w = qa.world
    await qa.ask(w.alice, "Buy followers!", anonymous=True)
    await w.mod.slash(w.moderation, "qa block", user=w.alice)
    break_edits_of(qa, qa.card(1))
    await w.mod.slash(w.moderation, "qa reject", number=1, reason="spam")
    assert button_labels(qa.card(1)) == ["Approve", "Reject", "Block author"]  # stale
    before = database(qa)
    result = await w.mod2.click(qa.card(1), label="Block author")
    assert_short_refusal(result, "#1 was already rejected by mona.")
    assert database(qa) == before
    assert button_labels(qa.card(1)) == []


# ------------------------------------------------------------------------------- votes


async def _votable(qa: QA) -> None:
    w = qa.world
    await qa.ask(w.alice, "Who maintains the registry?")
    await qa.ask(w.carol, "Who keeps the registry up to date?")
    for number in (1, 2):
        await w.mod.slash(w.moderation, "qa approve", number=number)
    await w.carol.click(qa.vote_message(1), label="👍 0")


async def _withdrawn(qa: QA) -> int:
    await qa.world.alice.slash(qa.world.questions, "withdraw", number=1)
    return 1


async def _merged(qa: QA) -> int:
    await qa.world.mod.slash(qa.world.moderation, "qa merge", number=1, into=2)
    return 1


async def _answered(qa: QA) -> int:
    await qa.world.mod.slash(qa.world.moderation, "qa pick", number=1)
    await qa.world.mod.slash(qa.world.moderation, "qa answered")
    return 1


async def _dismissed(qa: QA) -> int:
    await qa.world.mod.slash(qa.world.moderation, "qa dismiss", number=1)
    return 1


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (_withdrawn, "#1 is withdrawn; voting on it has ended."),
        (_merged, "#1 is merged; voting on it has ended."),
        (_answered, "#1 is answered; voting on it has ended."),
        (_dismissed, "#1 is dismissed; voting on it has ended."),
    ],
    ids=["withdrawn", "merged", "answered", "dismissed"],
)
async def test_a_vote_on_a_question_no_longer_in_the_queue_is_refused(
    qa: QA, clock: Clock, change: Callable[[QA], Awaitable[int]], says: str
) -> None:
    w = qa.world
    await _votable(qa)
    break_edits_of(qa, qa.vote_message(1), times=None)
    number = await change(qa)
    assert button_labels(qa.vote_message(number)) == ["👍 1"], "the button should be stale"
    before = database(qa), histories(qa)

    result = await w.bob.click(qa.vote_message(number), custom_id=f"qa:vote:{qid(qa, number)}")

    assert_short_refusal(result, says)
    assert (database(qa), histories(qa)) == before
    w.env.raise_errors()


async def test_a_vote_for_ones_own_question_is_refused(qa: QA) -> None:
    w = qa.world
    await _votable(qa)
    before = database(qa), histories(qa)
    result = await w.alice.click(qa.vote_message(1), label="👍 1")
    assert_short_refusal(result, "You cannot vote for your own question.")
    assert (database(qa), histories(qa)) == before


async def test_an_anonymous_askers_own_vote_is_refused_without_naming_them(qa: QA) -> None:
    w = qa.world
    await qa.ask(w.alice, "Is this anonymous?", anonymous=True)
    await w.mod.slash(w.moderation, "qa approve", number=1)
    before = database(qa), histories(qa)
    result = await w.alice.click(qa.vote_message(1), label="👍 0")
    text = assert_short_refusal(result, "own question")
    assert "alice" not in text
    assert (database(qa), histories(qa)) == before
    # nobody else sees the refusal
    assert result.response is not None
    assert all(m.id != result.response.id for m in w.questions.history(viewer=w.bob))


async def test_a_refused_vote_brings_the_stale_message_up_to_date(qa: QA) -> None:
    w = qa.world
    await _votable(qa)
    break_edits_of(qa, qa.vote_message(1))  # the withdrawal's own update of it fails
    await _withdrawn(qa)
    assert button_labels(qa.vote_message(1)) == ["👍 1"], "the button should be stale"
    before = database(qa)

    result = await w.bob.click(qa.vote_message(1), custom_id=f"qa:vote:{qid(qa, 1)}")

    assert_short_refusal(result, "#1 is withdrawn; voting on it has ended.")
    assert database(qa) == before
    assert button_labels(qa.vote_message(1)) == []  # the click brought it in line with the log
