"""Telling moderators what posting could not do: once when a channel fails, once when it works
again, once per message Discord refuses for good. Each notice counts against the moderation
channel's rate window like any other message."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.delivery import (
    RETRY_SECONDS,
    Failures,
    Pacer,
    describe_error,
    failure_notice,
    missing_channel_notice,
    recovery_notice,
)
from bot.questions import Question
from bot.sessions import Session
from cogs._common import session_channel

if TYPE_CHECKING:
    from bot.app import QABot

log = logging.getLogger(__name__)

NOT_FOUND = "channel not found"
WHAT = {"moderation": "card", "questions": "vote message", "live": "live announcement"}


def error_of(exc: discord.HTTPException) -> str:
    """A Discord failure as people read it."""
    return describe_error(exc.status, exc.text)


def refused_for_good(exc: discord.HTTPException) -> bool:
    """Discord will never take this message as it is (400 Invalid Form Body and the like)."""
    return exc.status == 400


class Telling:
    """What moderators are told about posting, and when."""

    def __init__(self, bot: QABot, pacer: Pacer) -> None:
        self.bot = bot
        self.pacer = pacer
        self.failures = Failures()

    def failing(self, session_id: str, channel: str) -> bool:
        return self.failures.failing(session_id, channel)

    def hold(self, session_id: str, channel: str, qs: list[Question]) -> None:
        self.failures.hold(session_id, channel, [q.id for q in qs])

    async def failed(self, session: Session, channel: str, qs: list[Question], error: str) -> None:
        """Posting in a channel failed; these questions wait for the retry."""
        if not self.failures.failed(session.id, channel, [q.id for q in qs], error):
            return  # already told
        ref = {
            "moderation": session.spec.discord.moderation_channel,
            "questions": session.spec.discord.questions_channel,
            "live": session.spec.discord.live_channel,
        }[channel]
        if error == NOT_FOUND:
            text = missing_channel_notice(channel, ref, session.id)
        else:
            text = failure_notice(channel, str(ref), len(qs), error)
        log.warning(
            "session %s: cannot post in the %s channel (%s): %d question(s) wait; retrying every "
            "%d s",
            session.id,
            channel,
            error,
            len(qs),
            RETRY_SECONDS,
        )
        if channel != "moderation":
            await self.moderators(session, text)
            self.failures.report_once(session.id, channel)

    async def recovered(self, session: Session, channel: str) -> None:
        """Posting in a channel works again."""
        done = self.failures.recovered(session.id, channel)
        if done is None:
            return
        count, error = done
        log.info("session %s: posting in the %s channel works again", session.id, channel)
        if count:
            await self.moderators(session, recovery_notice(channel, count, error))

    async def refused(self, session: Session, channel: str, qs: list[Question], error: str) -> None:
        """Discord refuses these messages for good: they are not tried again."""
        numbers = ", ".join(f"#{q.number}" for q in qs[:20]) + (" …" if len(qs) > 20 else "")
        what = WHAT[channel]
        log.warning(
            "session %s: Discord refused the %s of %s: %s", session.id, what, numbers, error
        )
        await self.moderators(
            session,
            f"⚠️ Discord refused the {what} of {numbers} ({error}); it will not be tried again. "
            "The questions are stored: /qa queue shows them.",
        )

    async def moderators(self, session: Session, text: str) -> None:
        """Post a notice in the moderation channel (paced like every message)."""
        channel = session_channel(self.bot, session, "moderation")
        if channel is None:
            return
        self.pacer.spend(channel.id)
        try:
            await channel.send(text[:2000])
        except discord.HTTPException as exc:
            log.warning("session %s: could not tell moderators: %s", session.id, error_of(exc))
