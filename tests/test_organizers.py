"""/qa doctor and /qa setup as organizers use them, and the set-up check in the start-up log."""

from __future__ import annotations

import logging

import discord
import pytest
import simcord
from simcord.backend.models.channel import Overwrite
from simcord.enums import OverwriteType

from tests.conftest import World, build_world
from tests.q_world import QA, said


def hide_from_the_bot(world: World, channel: simcord.ChannelHandle) -> None:
    backend = world.env.backend
    stored = backend.get_channel(channel.id)
    bot_role = world.guild.roles[backend.bot_user.name]
    deny = discord.Permissions(view_channel=True)
    kept = [o for o in stored.overwrites if o.target_id != bot_role.id]
    backend.edit_channel(
        stored.id,
        {},
        overwrites=[
            *kept,
            Overwrite(target_id=bot_role.id, type=OverwriteType.ROLE, allow=0, deny=deny.value),
        ],
    )


async def test_doctor_names_a_channel_the_bot_cannot_see_with_its_fix(world: World) -> None:
    fine = said(await world.org.slash(world.questions, "qa doctor"))
    assert fine.startswith("**Set-up check: everything the bot needs is in place.**")
    hide_from_the_bot(world, world.moderation)
    await world.env.settle()
    text = said(await world.org.slash(world.questions, "qa doctor"))
    problems = text.split("✅")[0]
    assert "qa-moderation" in problems and "View Channel" in problems and "→" in problems


async def test_doctor_names_a_missing_channel_and_a_missing_permission(qa: QA) -> None:
    w = qa.world
    w.env.backend.delete_channel(w.live.id)
    bot_role = w.guild.roles[w.env.backend.bot_user.name]
    channel = w.env.backend.get_channel(w.questions.id)
    deny = discord.Permissions(embed_links=True)
    w.env.backend.edit_channel(
        channel.id,
        {},
        overwrites=[
            *channel.overwrites,
            Overwrite(target_id=bot_role.id, type=OverwriteType.ROLE, allow=0, deny=deny.value),
        ],
    )
    await w.env.settle()
    text = said(await w.org.slash(w.questions, "qa doctor"))
    assert "session-live" in text and "create" in text.casefold()
    assert "Embed Links" in text and "#questions" in text


async def test_doctor_is_for_organizers_only(qa: QA) -> None:
    refused = said(await qa.world.mod.slash(qa.world.questions, "qa doctor"))
    assert refused.startswith("Only organizers can do this")


async def test_setup_creates_the_missing_channels_and_roles(env: simcord.Env) -> None:
    guild = env.create_guild("A bare server")
    general = guild.create_text_channel("general")
    admin = guild.create_role("Admin", permissions=discord.Permissions(manage_guild=True))
    owner = guild.add_member(env.create_user("olga"), roles=[admin])
    bot_role = guild.roles[env.backend.bot_user.name]
    env.backend.edit_role(
        guild.id,
        bot_role.id,
        {"permissions": discord.Permissions(manage_channels=True, manage_roles=True).value},
    )
    await env.start()
    # no session channel yet: /qa setup works from any channel of the pinned server
    answer = said(await owner.slash(general, "qa setup"))
    assert "Created" in answer and "#questions" in answer and "#qa-moderation" in answer
    names = {c.name for c in guild.channels.values()}
    assert {"questions", "qa-moderation", "session-live"} <= names
    assert {"Moderator", "Organizer"} <= set(guild.roles)
    everyone = guild.add_member(env.create_user("pat"))
    moderation = next(c for c in guild.channels.values() if c.name == "qa-moderation")
    with pytest.raises(simcord.SetupError, match="cannot read"):  # hidden from participants
        moderation.history(viewer=everyone)
    again = said(await owner.slash(general, "qa setup"))
    assert "Nothing to create" in again


async def test_the_set_up_check_is_logged_at_start(
    env: simcord.Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    world = build_world(env)
    hide_from_the_bot(world, world.moderation)
    await env.start()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.app"]
    assert any(line.startswith("Set-up check:") for line in lines)
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "bot.app"]
    assert any("qa-moderation" in r.getMessage() for r in warned)  # hidden from the bot
