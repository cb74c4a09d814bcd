"""The demo's simulated Discord server: the session's channels and roles, and the people in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.sessions import Session
from demo.script import Script

if TYPE_CHECKING:
    import simcord

SERVER_NAME = "GSEF 2021 · Inclusive society workshop"


@dataclass
class World:
    guild: simcord.GuildHandle
    questions: simcord.ChannelHandle
    moderation: simcord.ChannelHandle
    live: simcord.ChannelHandle
    moderator: simcord.MemberActor
    organizer: simcord.MemberActor
    people: list[simcord.MemberActor]


def build_world(env: simcord.Env, session: Session, script: Script) -> World:
    """The session's server, built before the bot starts, as in production."""
    names = session.spec.discord
    guild = env.create_guild(SERVER_NAME)
    moderator_role = guild.create_role(str(names.moderator_role))
    organizer_role = guild.create_role(str(names.organizer_role))
    bot_role = guild.roles[env.backend.bot_user.name]
    questions = guild.create_text_channel(str(names.questions_channel))
    hidden = discord.PermissionOverwrite(view_channel=False)
    shown = discord.PermissionOverwrite(view_channel=True)
    moderation = guild.create_text_channel(
        str(names.moderation_channel),
        overwrites={
            guild.default_role: hidden,
            moderator_role: shown,
            organizer_role: shown,
            bot_role: shown,
        },
    )
    live = guild.create_text_channel(str(names.live_channel))
    guild.create_text_channel("general")
    moderator = guild.add_member(
        env.create_user("moderator", global_name=moderator_name(session)), roles=[moderator_role]
    )
    organizer = guild.add_member(
        env.create_user("gsef.organizer", global_name="GSEF 2021 organizer"),
        roles=[organizer_role],
    )
    people = [
        guild.add_member(env.create_user(p.username, global_name=p.display_name))
        for p in script.people
    ]
    return World(guild, questions, moderation, live, moderator, organizer, people)


def moderator_name(session: Session) -> str:
    """The session's chair, who moderates the demo's Q&A."""
    chair = session.spec.moderator
    return chair.name if chair is not None else "The moderator"
