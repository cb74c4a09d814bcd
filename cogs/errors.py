"""The one error handler: every failed command or button gets one short ephemeral answer, in
the language of the person who acted (their Discord client's, `interaction.locale`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import DatabaseError, Refusal
from bot.i18n import Message, msg, nmsg, render
from cogs._common import Deadline, acknowledged, reply

if TYPE_CHECKING:
    from bot.sessions import Session
    from cogs.posting import Posting

log = logging.getLogger(__name__)

# Said when the bot does not know what happened: it never claims that nothing changed.
UNEXPECTED = msg(
    "Something went wrong on our side. Please check whether it was done (/myquestions, "
    "/qa queue) before trying again."
)


def message_for(error: BaseException, locale: object = None) -> str | None:
    """Return what to tell the user for an error in the language serving `locale` (English
    without one), or None when it is a bug to log."""
    said = _message(error)
    if isinstance(said, Refusal):
        return said.render(locale)
    return render(said, locale) if said is not None else None


def _message(error: BaseException) -> Refusal | Message | None:
    if isinstance(error, app_commands.CommandInvokeError | commands.CommandInvokeError):
        error = error.original
    if isinstance(error, Refusal):
        return error
    if isinstance(error, app_commands.CommandOnCooldown):
        return nmsg(
            "Slow down: try again in {count} second.",
            "Slow down: try again in {count} seconds.",
            round(error.retry_after),
        )
    if isinstance(error, app_commands.NoPrivateMessage):
        return msg("Use this command in the session's server, not in direct messages.")
    if isinstance(error, app_commands.CheckFailure):
        return msg("You are not allowed to do this here.")
    if isinstance(error, app_commands.TransformerError):
        return msg("One of the options has a value I cannot use; check it and try again.")
    if isinstance(error, DatabaseError):
        log.error("database unavailable: %s", error)
        return msg(
            "The question log is unavailable right now; nothing was changed. Try again soon."
        )
    return None


async def handle_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer a failed interaction once, ephemerally, in the language of the person who acted;
    log real failures with their traceback."""
    text = message_for(error, interaction.locale)
    if text is None:
        log.error("interaction failed", exc_info=error)
        text = render(UNEXPECTED, interaction.locale)
    try:
        await reply(interaction, text)
    except discord.HTTPException:
        log.warning("could not tell the user about an error", exc_info=True)


@asynccontextmanager
async def answering(
    interaction: discord.Interaction, *, catch_all: bool = False
) -> AsyncIterator[None]:
    """Answer in time, and turn refusals raised inside the block into one short private answer.

    Work still running at `DEFER_AFTER` is acknowledged first, so Discord's 3-second deadline is
    met whatever the database or Discord's rate limits make it wait for. Other errors propagate
    to the command tree's handler; pass `catch_all=True` in component callbacks (button clicks,
    deferred as updates of their message), which discord.py would otherwise only log.
    """
    deadline = Deadline(interaction, update=catch_all)
    try:
        yield
    except (Refusal, DatabaseError) as error:
        await handle_error(interaction, error)
    except Exception as error:
        if not catch_all:
            raise
        await handle_error(interaction, error)
    finally:
        deadline.close()
        await acknowledged(interaction)


async def stale_click(
    interaction: discord.Interaction,
    refusal: Refusal,
    posting: Posting,
    session: Session,
    question_id: int,
    *,
    card: bool = True,
) -> None:
    """A click on a message its question has moved on from was refused: say so first (who
    handled it first), then bring the question's messages in line with the log."""
    await handle_error(interaction, refusal)
    current = await posting.questions.get_by_id(question_id)
    if current is not None:
        await posting.refresh(session, current, card=card)


class Errors(commands.Cog):
    """Install the error handler on the command tree for as long as the cog is loaded."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error

    async def cog_load(self) -> None:
        self.bot.tree.on_error = self._on_tree_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await handle_error(interaction, error)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Errors(bot))
