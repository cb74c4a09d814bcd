"""What organizers need around a session: `/qa doctor`, `/qa setup` and `/qa screen`.

- `/qa doctor` (organizers): the set-up check the bot also logs at every start: the session's
  server, each channel and the bot's permissions in it, the roles, the intents, every problem
  with its exact fix. Private to the organizer.
- `/qa setup` (Manage Server): creates in the session's server what is missing (the three
  channels with the right overwrites, the two roles) and says what it made.
- `/qa screen` (moderators): the presenter screen's address for this session, private.

Each answers in the language of the person who asked; the channels' topics `/qa setup` writes
are in the session's languages.

The commands join the `/qa` group the bot hands in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.doctor import check, render_discord
from bot.errors import Refusal
from bot.i18n import msg
from bot.setup_plan import plan_setup
from bot.setup_plan import report as setup_report
from cogs._common import (
    defer,
    only_session_here,
    reader,
    reply,
    require_moderator,
    require_organizer,
    session_guild,
    session_of,
)
from cogs._doctor_snapshot import build_snapshot, session_seen
from cogs._setup_apply import apply_setup
from cogs.errors import answering

if TYPE_CHECKING:
    from bot.app import QABot

log = logging.getLogger(__name__)

Handler = Callable[[discord.Interaction], Coroutine[Any, Any, None]]


class Organizers(commands.Cog):
    """Set-up check, set-up, and the presenter screen's address."""

    def __init__(self, bot: QABot, group: app_commands.Group) -> None:
        self.bot = bot
        self.group = group
        self._names: list[str] = []

    async def cog_load(self) -> None:
        for name, description, handler in (
            ("doctor", "Check the session's set-up: server, channels, permissions, roles.",
             self.doctor),
            ("setup", "Create the session's missing channels and roles (Manage Server).",
             self.setup),
            ("screen", "The presenter screen's address for this session (moderators).",
             self.screen),
        ):  # fmt: skip
            self.group.add_command(
                app_commands.Command(name=name, description=description, callback=_bind(handler))
            )
            self._names.append(name)

    async def cog_unload(self) -> None:
        for name in self._names:
            self.group.remove_command(name)

    async def doctor(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            session = only_session_here(interaction)
            require_organizer(interaction, session)
            snapshot = build_snapshot(self.bot, [session], self.bot.pins())
            findings = check(snapshot).findings
            await reply(interaction, render_discord(findings, _=reader(interaction)))

    async def setup(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            session = only_session_here(interaction)
            member = interaction.user
            if not isinstance(member, discord.Member) or not member.guild_permissions.manage_guild:
                raise Refusal(msg("Only members with Manage Server can run /qa setup."))
            guild = session_guild(self.bot, session)
            if guild is None:
                raise Refusal(msg("The session's server is not known yet; try again in a moment."))
            await defer(interaction)
            plan = plan_setup(session_seen(guild, session), session.title, session.languages)
            made, failed = await apply_setup(guild, session, plan)
            log.info(
                "session %s: /qa setup made %s; failed %s",
                session.id,
                [str(m) for m in made],
                [str(f) for f in failed],
            )
            said = setup_report(plan, made, failed, reader(interaction))
            await reply(interaction, said[:2000])

    async def screen(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            session = session_of(interaction)
            require_moderator(interaction, session)
            screen = self.bot.screen
            if screen is None:
                raise Refusal(
                    msg(
                        "The presenter screen is off: start the bot with --screen HOST:PORT "
                        "(README, 'The question on screen')."
                    )
                )
            full = await screen.url_for(session.id)
            overlay = await screen.url_for(session.id, overlay=True)
            await reply(
                interaction,
                msg(
                    "The presenter screen of this session (keep these addresses private):\n"
                    "Full screen, for screen sharing: <{full}>\n"
                    "Lower third, as an OBS browser source: <{overlay}>",
                    full=full,
                    overlay=overlay,
                ),
            )


def _bind(handler: Handler) -> Handler:
    """A plain function for app_commands.Command (which reads a method's `self` as an option)."""

    async def command(interaction: discord.Interaction) -> None:
        await handler(interaction)

    return command
