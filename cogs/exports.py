"""/qa export: organizers get the session's report or export as a file, only they can see it.

The `/qa` command group belongs to cogs/moderation.py. Extensions load in name order, so this
module loads cogs.moderation first when it exists (the bot then skips it in its own loop) and
adds `export` to that group; without a moderation cog it makes a `/qa` group of its own. Either
way the command is in the tree before the bot syncs its commands at the end of setup_hook.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import logging
import zipfile
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Refusal
from bot.reports import gc_paused, renderer
from bot.reports.model import load_report
from cogs._common import qabot, require_organizer, session_of
from cogs.errors import answering

log = logging.getLogger(__name__)

GROUP = "qa"
MODERATION = "cogs.moderation"
# Discord's upload limit for a server without boosts; a guild tells its own.
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
FORMAT_NAMES = {"html": "report", "csv": "spreadsheet", "md": "Markdown report", "json": "export"}

Format = Literal["html", "csv", "md", "json"]


@app_commands.describe(
    format="html: the report to read or print; csv: a spreadsheet; md: for a write-up; json: data"
)
async def _export(interaction: discord.Interaction, format: Format = "html") -> None:
    """Send the session's report in `format` as an ephemeral file, to organizers only."""
    async with answering(interaction):
        session = session_of(interaction)
        require_organizer(interaction, session)
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = qabot(interaction)
        run = bot.runs[session.id]
        with gc_paused():
            report = await bot.db.read(
                lambda conn: load_report(conn, session=session.id, run_kind=run.kind, run_id=run.id)
            )
            data = await asyncio.to_thread(renderer(format), report)
        name = f"{session.id}-{'rehearsal' if run.is_rehearsal else 'qa'}-report.{format}"
        limit = interaction.guild.filesize_limit if interaction.guild else DEFAULT_UPLOAD_LIMIT
        if len(data) > limit:
            data, name = _zipped(data, name)
        if len(data) > limit:
            raise Refusal(
                f"The {format} file is too large for Discord ({len(data) // 1_000_000} MB); "
                f"get it on the bot's machine: python run_bot.py report --session {session.id} "
                f"--format {format} --out FILE"
            )
        questions = sum(len(r.questions) for r in report.runs)
        what = FORMAT_NAMES[format]
        kind = "rehearsal" if run.is_rehearsal else "session"
        await interaction.followup.send(
            f"The Q&A {what} of this {kind}: {questions} question{'s' if questions != 1 else ''}.",
            file=discord.File(io.BytesIO(data), filename=name),
            ephemeral=True,
        )


def export_command() -> app_commands.Command:
    """Return a new `export` command (one per bot, so bots never share command objects)."""
    return app_commands.Command(
        name="export",
        description="Get this session's Q&A report as a file, only you see it (organizers).",
        callback=_export,
    )


def _zipped(data: bytes, name: str) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue(), name + ".zip"


class Exports(commands.Cog):
    """Keeps `/qa export` in the `/qa` group for as long as this extension is loaded."""

    def __init__(self, bot: commands.Bot, group: app_commands.Group, own_group: bool) -> None:
        self.bot = bot
        self.group = group
        self.own_group = own_group

    async def cog_unload(self) -> None:
        if self.own_group:
            self.bot.tree.remove_command(self.group.name)
        else:
            self.group.remove_command("export")


async def _qa_group(bot: commands.Bot) -> tuple[app_commands.Group, bool]:
    """Return the `/qa` group (loading the moderation cog that defines it first), and whether
    this module had to make it."""
    found = bot.tree.get_command(GROUP)
    if (
        found is None
        and MODERATION not in bot.extensions
        and importlib.util.find_spec(MODERATION) is not None
    ):
        await bot.load_extension(MODERATION)
        found = bot.tree.get_command(GROUP)
    if isinstance(found, app_commands.Group):
        return found, False
    if found is not None:
        raise RuntimeError(f"/{GROUP} is a command, not a group: /{GROUP} export cannot join it")
    log.info("no /%s group from %s: /%s export gets a group of its own", GROUP, MODERATION, GROUP)
    group = app_commands.Group(
        name=GROUP, description="Moderate and review the session's Q&A.", guild_only=True
    )
    bot.tree.add_command(group)
    return group, True


async def setup(bot: commands.Bot) -> None:
    group, own = await _qa_group(bot)
    if group.get_command("export") is None:
        group.add_command(export_command())
    await bot.add_cog(Exports(bot, group, own))
