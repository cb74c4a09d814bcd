"""The session's clock in Discord: program posts on schedule, /program and /schedule.

`bot.schedule.ScheduleService` decides what to post and keeps the log; this cog is its Discord
side (its `SchedulePort`): it keeps one APScheduler job per post to come, words each post
(cogs/_schedule_text.py) in the session's languages and sends it to the session's channel.
/program and /schedule answer in the language of the person who asked.

Jobs read the bot's clock; a clock that is not the wall clock (tests) is honoured by firing each
job after the same span of wall-clock time. Posts whose sending failed are retried by an
interval job every `RETRY_SECONDS`.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import RETRY_SECONDS
from bot.i18n import Localizer, Message, in_languages
from bot.program import Decision, Timeline
from bot.schedule import Due, ScheduleService, Sent
from bot.sessions import Session
from bot.timeutil import utcnow
from cogs._common import (
    channel_mention,
    defer,
    only_session_here,
    reader,
    reply,
    require_moderator,
    session_channel,
    session_of,
)
from cogs._schedule_text import (
    delay_message,
    delay_reply,
    post_text,
    program_message,
    status_message,
    too_large,
)
from cogs._telling import NOT_FOUND, error_of
from cogs.errors import answering
from cogs.exports import zipped

if TYPE_CHECKING:
    from bot.app import QABot

log = logging.getLogger(__name__)

MAX_DELAY_MINUTES = 240
RETRY_JOB = "schedule:retry-failed"


class Schedule(commands.Cog):
    """Program posts on schedule, reminders, intake announcements, /program and /schedule."""

    schedule = app_commands.Group(
        name="schedule",
        description="The session's program: delays and what comes next",
        guild_only=True,
    )

    def __init__(
        self,
        bot: QABot,
        service: ScheduleService,
        followups: Callable[[Session, int], Awaitable[int]],
    ) -> None:
        self.bot = bot
        self.service = service
        self.followups = followups

    # ----------------------------------------------------------------- lifecycle

    async def cog_load(self) -> None:
        self.service.port = self
        for session_id in self.bot.sessions:
            await self.service.plan(session_id)
        self.bot.every(
            RETRY_SECONDS, self.service.retry_failed, RETRY_JOB, "retry failed program posts"
        )

    async def cog_unload(self) -> None:
        if self.service.port is self:
            self.service.port = None
        scheduler = self.bot.scheduler
        if scheduler is None or not scheduler.running:
            return
        runs = {f"{run.id}:" for run in self.bot.runs.values()}
        for job in scheduler.get_jobs():
            if job.id == RETRY_JOB or any(job.id.startswith(prefix) for prefix in runs):
                job.remove()

    # ------------------------------------------------------------ the port

    def word(self, timeline: Timeline, due: Due) -> str:
        session = timeline.session

        def words(_: Localizer) -> str:
            return post_text(timeline, due, channel_mention(self.bot, session, "questions", _), _)

        return in_languages(session.languages, words, by_line=True)

    async def send(
        self, session: Session, channel: str, content: str, file: tuple[str, bytes] | None = None
    ) -> Sent:
        if channel == "followups":
            await self.followups(session, self.bot.runs[session.id].id)
            channel = "live"
        found = session_channel(self.bot, session, channel)
        if found is None:
            raise LookupError(f"no {channel} channel found for session {session.id}")
        if file is None:
            message = await found.send(content)
            return Sent(message.id, found.id)
        name, data = file
        limit = found.guild.filesize_limit
        if len(data) > limit:
            data, name = await asyncio.to_thread(zipped, data, name)
        if len(data) > limit:
            note = in_languages(session.languages, lambda _: too_large(session.id, _))
            message = await found.send(f"{content}\n{note}"[:2000])
        else:
            message = await found.send(content, file=discord.File(io.BytesIO(data), name))
        return Sent(message.id, found.id)

    def set_timers(self, session_id: str, run_id: int, decisions: list[Decision]) -> None:
        scheduler = self.bot.scheduler
        if scheduler is None:
            log.error("no scheduler: program posts of %s are not scheduled", session_id)
            return
        prefix = f"{run_id}:"
        for job in scheduler.get_jobs():
            if job.id.startswith(prefix):
                job.remove()
        for decision in decisions:
            if decision.action == "schedule":
                key = decision.post.key
                self._job(session_id, run_id, key, self._wall(decision.post.due), key)
        if any(d.action != "schedule" for d in decisions):
            self._job(session_id, run_id, None, utcnow(), "catch-up")

    def _job(
        self, session_id: str, run_id: int, key: str | None, when: datetime, name: str
    ) -> None:
        assert self.bot.scheduler is not None
        self.bot.scheduler.add_job(
            self._fire,
            "date",
            run_date=when,
            args=(session_id, run_id, key),
            id=f"{run_id}:{name}",
            name=f"{session_id} {name}",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    def _wall(self, moment: datetime) -> datetime:
        """Return the wall-clock instant at which the bot's clock will read `moment`."""
        return utcnow() + (moment - self.bot.clock())

    async def _fire(self, session_id: str, run_id: int, key: str | None) -> None:
        """The job: send every post of the run due up to `key`'s time (now, for a catch-up)."""
        try:
            await self.bot.servers_known.wait()
            await self.service.fire(session_id, run_id, key)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("program post %s of run %s failed", key or "catch-up", run_id)

    # ----------------------------------------------------------------- commands

    @app_commands.command(name="program", description="The session's program in your time zone")
    @app_commands.guild_only()
    async def program(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            session = only_session_here(interaction)
            timeline, rows, now = await self.service.agenda(session.id)
            await reply(interaction, program_message(timeline, rows, now, _=reader(interaction)))

    @schedule.command(name="delay", description="Shift every segment not yet started (moderators)")
    @app_commands.describe(minutes="Minutes of program time; negative brings the program forward")
    async def delay(
        self,
        interaction: discord.Interaction,
        minutes: app_commands.Range[int, -MAX_DELAY_MINUTES, MAX_DELAY_MINUTES],
    ) -> None:
        async with answering(interaction):
            session = session_of(interaction)
            require_moderator(interaction, session)
            await defer(interaction)
            delayed = await self.service.delay(session.id, minutes, interaction.user.id)
            # applied and committed: from here on, say what happened, whatever Discord does
            text = in_languages(
                session.languages, lambda _: delay_message(delayed, minutes, _), by_line=True
            )
            announced = await self._announce(session, text)
            await reply(interaction, delay_reply(delayed, minutes, announced, reader(interaction)))

    async def _announce(self, session: Session, text: str) -> Message | None:
        """Post in the live channel; return None, or why it could not be posted."""
        channel = session_channel(self.bot, session, "live")
        if channel is None:
            log.warning("%s: no live channel to announce the delay", session.id)
            return NOT_FOUND
        try:
            await channel.send(text)
        except discord.HTTPException as exc:
            log.warning("%s: the delay announcement failed: %s", session.id, exc)
            return error_of(exc)
        return None

    @schedule.command(name="status", description="The next program posts and any delay")
    async def status(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            session = session_of(interaction)
            require_moderator(interaction, session)
            timeline, records, now = await self.service.status(session.id)
            await reply(interaction, status_message(timeline, records, now, reader(interaction)))
