"""/qa export: organizers get the session's report or export as a file, only they can see it.

The command joins the `/qa` group that the bot hands in (the moderation cog's), so it is in the
tree before the bot syncs its commands at the end of setup_hook.
"""

from __future__ import annotations

import asyncio
import io
import logging
import zipfile
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Refusal
from bot.reports import Reports
from bot.runs import Runs
from cogs._common import defer, require_organizer, session_of
from cogs.errors import answering

log = logging.getLogger(__name__)

FORMAT_NAMES = {"html": "report", "csv": "spreadsheet", "md": "Markdown report", "json": "export"}

Format = Literal["html", "csv", "md", "json"]


class Exports(commands.Cog):
    """Keeps `/qa export` in the `/qa` group for as long as the cog is loaded."""

    def __init__(
        self, bot: commands.Bot, reports: Reports, runs: Runs, group: app_commands.Group
    ) -> None:
        self.bot = bot
        self.reports = reports
        self.runs = runs
        self.group = group

    async def cog_load(self) -> None:
        self.group.add_command(self._command())

    async def cog_unload(self) -> None:
        self.group.remove_command("export")

    def _command(self) -> app_commands.Command:
        cog = self

        @app_commands.describe(
            format="html: the report to read or print; csv: a spreadsheet; md: for a write-up; "
            "json: data"
        )
        async def export(interaction: discord.Interaction, format: Format = "html") -> None:
            await cog.export(interaction, format)

        return app_commands.Command(
            name="export",
            description="Get this session's Q&A report as a file, only you see it (organizers).",
            callback=export,
        )

    async def export(self, interaction: discord.Interaction, format: Format) -> None:
        """Send the session's report in `format` as an ephemeral file, to organizers only."""
        async with answering(interaction):
            session = session_of(interaction)
            require_organizer(interaction, session)
            await defer(interaction)
            run = self.runs[session.id]
            data, questions = await self.reports.render(format, run)
            name = f"{session.id}-{'rehearsal' if run.is_rehearsal else 'qa'}-report.{format}"
            limit = interaction.filesize_limit
            if len(data) > limit:
                data, name = await asyncio.to_thread(zipped, data, name)
            if len(data) > limit:
                raise Refusal(
                    f"The {format} file is too large for Discord ({len(data) // 1_000_000} MB); "
                    "get it on the bot's machine: python run_bot.py report --session "
                    f"{session.id} --format {format} --out FILE"
                )
            what = FORMAT_NAMES[format]
            kind = "rehearsal" if run.is_rehearsal else "session"
            await interaction.followup.send(
                f"The Q&A {what} of this {kind}: {questions} "
                f"question{'s' if questions != 1 else ''}.",
                file=discord.File(io.BytesIO(data), filename=name),
                ephemeral=True,
            )


def zipped(data: bytes, name: str) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue(), name + ".zip"
