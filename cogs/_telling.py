"""Telling moderators what posting could not do: once when a channel fails, once when it works
again, once per message Discord refuses for good. Each notice counts against the moderation
channel's rate window like any other message. Moderators read them in the session's languages,
as every message posted in a session's channel."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.delivery import (
    RETRY_SECONDS,
    Failures,
    Pacer,
    error_message,
    failure_notice,
    missing_channel_notice,
    recovery_notice,
)
from bot.i18n import Localizer, Message, Text, Words, in_languages, msg
from bot.limits import CONTENT
from bot.questions import Question
from bot.sessions import Session
from cogs._common import channel_ref, session_channel

if TYPE_CHECKING:
    from bot.app import QABot

log = logging.getLogger(__name__)

#: Said in place of Discord's error when the channel is not there (compared by identity).
NOT_FOUND = msg("channel not found")


def error_of(exc: discord.HTTPException) -> Message:
    """A Discord failure as people read it (in their language once rendered)."""
    return error_message(exc.status, exc.text)


def refused_notice(channel: str, numbers: str, error: Text, _: Localizer) -> str:
    """Told to moderators when Discord refuses the messages of these questions for good."""
    if channel == "moderation":
        return _(
            "⚠️ Discord refused the card of {numbers} ({error}); it will not be tried again. "
            "The questions are stored: /qa queue shows them.",
            numbers=numbers,
            error=error,
        )
    if channel == "questions":
        return _(
            "⚠️ Discord refused the vote message of {numbers} ({error}); it will not be tried "
            "again. The questions are stored: /qa queue shows them.",
            numbers=numbers,
            error=error,
        )
    return _(
        "⚠️ Discord refused the live announcement of {numbers} ({error}); it will not be tried "
        "again. The questions are stored: /qa queue shows them.",
        numbers=numbers,
        error=error,
    )


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

    async def failed(self, session: Session, channel: str, qs: list[Question], error: Text) -> None:
        """Posting in a channel failed; these questions wait for the retry."""
        if not self.failures.failed(session.id, channel, [q.id for q in qs], error):
            return  # already told
        ref = channel_ref(session, channel)
        count = len(qs)

        def text(_: Localizer) -> str:
            if error is NOT_FOUND:
                return missing_channel_notice(channel, ref, session.id, _)
            return failure_notice(channel, str(ref), count, error, _)

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
            await self.moderators(session, lambda _: recovery_notice(channel, count, error, _))

    async def refused(
        self, session: Session, channel: str, qs: list[Question], error: Text
    ) -> None:
        """Discord refuses these messages for good: they are not tried again."""
        numbers = ", ".join(f"#{q.number}" for q in qs[:20]) + (" …" if len(qs) > 20 else "")
        log.warning(
            "session %s: Discord refused the %s messages of %s: %s",
            session.id,
            channel,
            numbers,
            error,
        )
        await self.moderators(session, lambda _: refused_notice(channel, numbers, error, _))

    async def moderators(self, session: Session, words: Words) -> None:
        """Post a notice in the moderation channel, in the session's languages (paced like
        every message)."""
        channel = session_channel(self.bot, session, "moderation")
        if channel is None:
            return
        text = in_languages(session.languages, words, limit=CONTENT)
        self.pacer.spend(channel.id)
        try:
            await channel.send(text)
        except discord.HTTPException as exc:
            log.warning("session %s: could not tell moderators: %s", session.id, error_of(exc))
