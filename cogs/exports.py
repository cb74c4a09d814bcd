"""/qa export: organizers get the session's report or export as a file, only they can see it,
the readable formats (html, md) in the organizer's language.

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
from bot.i18n import Localizer, language_of, msg
from bot.reports import Reports
from bot.runs import Runs
from cogs._common import defer, reader, require_organizer, session_of
from cogs.errors import answering

log = logging.getLogger(__name__)

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
            data, questions = await self.reports.render(
                format, run, lang=language_of(interaction.locale)
            )
            name = f"{session.id}-{'rehearsal' if run.is_rehearsal else 'qa'}-report.{format}"
            limit = interaction.filesize_limit
            if len(data) > limit:
                data, name = await asyncio.to_thread(zipped, data, name)
            if len(data) > limit:
                raise Refusal(
                    msg(
                        "The {format} file is too large for Discord ({size} MB); get it on the "
                        "bot's machine: python run_bot.py report --session {session} --format "
                        "{format} --out FILE",
                        format=format,
                        size=len(data) // 1_000_000,
                        session=session.id,
                    )
                )
            text = delivered(format, run.is_rehearsal, questions, reader(interaction))
            await interaction.followup.send(
                text, file=discord.File(io.BytesIO(data), filename=name), ephemeral=True
            )


def delivered(format: str, rehearsal: bool, questions: int, _: Localizer) -> str:
    """What comes with the file: what it is, of what, with how many questions."""
    count = _.ngettext("{count} question", "{count} questions", questions)
    if format == "html":
        if rehearsal:
            return _("The Q&A report of this rehearsal: {questions}.", questions=count)
        return _("The Q&A report of this session: {questions}.", questions=count)
    if format == "csv":
        if rehearsal:
            return _("The Q&A spreadsheet of this rehearsal: {questions}.", questions=count)
        return _("The Q&A spreadsheet of this session: {questions}.", questions=count)
    if format == "md":
        if rehearsal:
            return _("The Q&A Markdown report of this rehearsal: {questions}.", questions=count)
        return _("The Q&A Markdown report of this session: {questions}.", questions=count)
    if rehearsal:
        return _("The Q&A export of this rehearsal: {questions}.", questions=count)
    return _("The Q&A export of this session: {questions}.", questions=count)


def zipped(data: bytes, name: str) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue(), name + ".zip"
