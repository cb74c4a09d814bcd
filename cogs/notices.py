"""Notices to askers by direct message: sent after the commit of the change they report, paced,
each once, from the outbox the core keeps (bot/answers.py).

A notice is claimed before it is sent and marked after, so a restart never sends one twice; one
left half-sent by a crash is not sent again and shows in the member's /myquestions instead.
Closed direct messages (Discord 50007) fall back silently to /myquestions, which shows the same.
The recipient of a notice is never written to the log (an anonymous asker's id would be there).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.answers import AnswerService, Link, Outgoing
from bot.delivery import RATE_LIMIT, RATE_WINDOW, Pacer
from cogs._common import session_channel, shown

if TYPE_CHECKING:
    from bot.app import QABot

log = logging.getLogger(__name__)

JOB_ID = "notices:send"
EVERY = 15  # seconds between two looks at the outbox, beside the wake-ups after a change
CLOSED = (50007, 10013)  # DMs closed; unknown user


def _monotonic() -> float:
    return time.monotonic()  # looked up at call time, so a simulated clock is honoured


class Notices(commands.Cog):
    """Sends the outbox's notices by direct message."""

    def __init__(self, bot: QABot, answers: AnswerService) -> None:
        self.bot = bot
        self.answers = answers
        self.pacer = Pacer(RATE_LIMIT, RATE_WINDOW, clock=_monotonic)
        self._task: asyncio.Task[None] | None = None
        self._again = False

    async def cog_load(self) -> None:
        self.answers.listeners.append(self.wake)
        self.bot.every(EVERY, self.send_due, JOB_ID, "send notices to askers")

    async def cog_unload(self) -> None:
        if self.wake in self.answers.listeners:
            self.answers.listeners.remove(self.wake)
        scheduler = self.bot.scheduler
        if scheduler is not None and scheduler.running and scheduler.get_job(JOB_ID):
            scheduler.remove_job(JOB_ID)
        if self._task is not None:
            self._task.cancel()

    @commands.Cog.listener()
    async def on_qa_ready(self) -> None:
        self.wake()

    def wake(self) -> None:
        """Notices were queued: send them now (one pass at a time)."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.ensure_future(self._passes())

    async def _passes(self) -> None:
        self._again = True
        while self._again:
            self._again = False
            try:
                await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sending notices failed; the next pass tries again")

    async def send_due(self) -> None:
        """Send what the outbox holds, as fast as the pacing allows."""
        if not self.bot.servers_known.is_set() or not self.bot.db.is_open:
            return
        budget = self.pacer.budget("dm")
        if budget <= 0:
            return
        for out in await self.answers.pending_notices(limit=budget):
            if not await self.answers.claim(out.id):
                continue
            self.pacer.spend("dm")
            await self._send(out)
        if self.pacer.budget("dm") == 0:
            self._again = True
            await asyncio.sleep(self.pacer.wait("dm"))

    async def _send(self, out: Outgoing) -> None:
        session = self.bot.sessions.get(out.session_id)
        if session is None:
            await self.answers.mark_failed(out.id, "session no longer served", fallback=True)
            return
        try:
            user = self.bot.get_user(out.recipient_id) or await self.bot.fetch_user(
                out.recipient_id
            )
            await user.send(
                out.content(session, shown, self._url(session.id, out.link)),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as exc:
            closed = exc.code in CLOSED
            status = await self.answers.mark_failed(out.id, f"{exc.status} {exc.code}", closed)
            log.info("notice %d (%s) not sent: %s; %s", out.id, out.notice.kind, exc.code, status)
            return
        await self.answers.mark_sent(out.id)

    def _url(self, session_id: str, link: Link | None) -> str | None:
        """A link to the message or thread a notice is about, in the session's server."""
        if link is None:
            return None
        guild_id = self.bot.runs.guild_of(session_id)
        if guild_id is None:
            return None
        channel_id = link.channel_id
        if channel_id is None and link.where != "thread":
            session = self.bot.sessions[session_id]
            channel = session_channel(self.bot, session, link.where)
            channel_id = channel.id if channel is not None else None
        if channel_id is None:
            return None
        tail = f"/{link.message_id}" if link.message_id is not None else ""
        return f"https://discord.com/channels/{guild_id}/{channel_id}{tail}"
