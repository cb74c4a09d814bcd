"""What real Discord demands and SimCord does not enforce: guild-only groups, messages refused for
good, pacing in every channel, truthful failures, the live announcement after a restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.app import QABot
from bot.delivery import RATE_LIMIT, RATE_WINDOW
from cogs.posting import WAKE_MARGIN
from tests.conftest import GSEF
from tests.q_world import QA, said


def posts_to(qa: QA, channel: Any) -> int:
    return len(
        [
            r
            for r in qa.env.http_requests
            if r.method == "POST" and r.path == f"/channels/{channel.id}/messages"
        ]
    )


async def test_the_qa_and_schedule_groups_are_for_servers_only(qa: QA) -> None:
    tree = qa.world.bot.tree
    for name in ("qa", "schedule"):
        command = tree.get_command(name)
        assert isinstance(command, discord.app_commands.Group)
        payload = command.to_dict(tree)
        assert payload.get("contexts") == [0] or payload.get("dm_permission") is False, payload


async def test_a_card_discord_refuses_for_good_does_not_hold_back_the_others(qa: QA) -> None:
    w = qa.world
    qa.env.inject_error(
        "POST",
        f"/channels/{w.moderation.id}/messages",
        status=400,
        code=50035,
        message="Invalid Form Body",
        times=1,
    )
    await qa.ask(w.alice, "Refused card?")
    await qa.ask(w.bob, "And the next one?")
    assert qa.rows("SELECT number, card_error IS NOT NULL FROM questions") == [(1, 1), (2, 0)]
    titles = [m.embeds[0].title for m in w.moderation.history() if m.embeds]
    assert "Question #2" in titles
    notices = [m.content for m in w.moderation.history() if "refused the card of #1" in m.content]
    assert len(notices) == 1 and "Invalid Form Body" in notices[0]
    # the periodic pass does not try the refused card again, nor tell moderators again
    await w.bot.get_cog("Posting").sweep()  # type: ignore[union-attr]
    assert len([m for m in w.moderation.history() if "refused the card" in m.content]) == 1


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    text = GSEF.read_text("utf-8").replace('moderation = "pre"', 'moderation = "post"')
    text = text.replace("cooldown_seconds = 30", "cooldown_seconds = 0")
    path = tmp_path / "post.toml"
    path.write_text(text, "utf-8")
    assert 'moderation = "post"' in text
    return path


async def test_votes_are_paced_in_their_channel_and_cards_do_not_wait_behind_them(qa: QA) -> None:
    w = qa.world
    people = [w.participant(f"p{i}") for i in range(30)]
    for i, person in enumerate(people):
        assert f"#{i + 1}" in said(await qa.ask(person, f"Question {i + 1}?"))
    assert posts_to(qa, w.questions) == RATE_LIMIT  # not 30 in one instant
    assert posts_to(qa, w.moderation) == RATE_LIMIT  # the cards' own window, not behind votes
    windows = [RATE_LIMIT]
    while qa.rows("SELECT COUNT(*) FROM questions WHERE vote_message_id IS NULL")[0][0]:
        await w.env.advance_time(RATE_WINDOW + WAKE_MARGIN)
        windows.append(posts_to(qa, w.questions) - sum(windows))
        assert len(windows) < 10, windows
    assert all(n <= RATE_LIMIT for n in windows), windows


async def test_a_delay_whose_announcement_fails_says_it_was_applied(qa: QA) -> None:
    w = qa.world
    w.env.inject_error("POST", f"/channels/{w.live.id}/messages", status=403, code=50013)
    result = await w.mod.slash(w.moderation, "schedule delay", minutes=10)
    text = " ".join(m.content for m in (result.response, *result.followups) if m is not None)
    assert "applied" in text and "could not be posted" in text and "Do not apply" in text
    assert "nothing was changed" not in text
    assert qa.rows("SELECT delay_seconds FROM runs") == [(600,)]


async def test_a_failed_confirmation_never_claims_nothing_changed(qa: QA) -> None:
    w = qa.world
    w.env.inject_error("POST", "/interactions/*/callback", status=500, times=1)
    result = await qa.ask(w.alice, "Stored even though the answer failed?")
    assert qa.rows("SELECT COUNT(*) FROM questions") == [(1,)]
    seen = [m.content for m in (result.response, *result.followups) if m is not None]
    assert any("Your question is #1" in s for s in seen), seen  # told again, truthfully
    assert all("nothing was changed" not in s for s in seen), seen


async def test_a_failed_live_announcement_is_posted_after_a_restart(
    qa: QA, make_bot: Callable[..., QABot]
) -> None:
    w = qa.world
    await qa.ask(w.alice, "Who runs the kitchens?")
    await w.mod.slash(w.moderation, "qa approve", number=1)
    w.env.inject_error("POST", f"/channels/{w.live.id}/messages", status=500, times=None)
    result = await w.mod.slash(w.moderation, "qa next")
    assert "could not be posted" in " ".join(
        m.content for m in (result.response, *result.followups) if m is not None
    )
    w.env.backend.faults.clear()
    await w.env.restart_bot(make_bot())
    await w.env.settle()
    announced = [m for m in w.live.history() if m.content.startswith("**Now answering #1**")]
    assert len(announced) == 1
    assert qa.rows("SELECT live_message_id IS NOT NULL FROM questions") == [(1,)]
