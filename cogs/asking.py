"""Participants: /ask, /myquestions, /withdraw, and questions typed in the questions channel.

Every answer to a participant is ephemeral: a public response would show "<user> used /ask" and
give an anonymous asker away. Cards and vote messages are posted with channel.send, after the
asker has their confirmation (which they get only once the question is committed).
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import QABot
from bot.errors import Refusal
from bot.limits import EMBED_DESCRIPTION, cut, fit_lines
from bot.questions import Question
from bot.routing import ref_matches
from bot.sessions import Session
from cogs import _qa
from cogs._common import qabot, reply, session_of
from cogs.errors import answering
from cogs.moderation import _speaker_choices

log = logging.getLogger(__name__)

CAPTURED = "✅"
STATES_SHOWN = {
    "pending": "waiting for review",
    "approved": "in the queue",
    "live": "being answered now",
    "answered": "answered",
    "rejected": "not accepted",
    "dismissed": "set aside",
    "merged": "merged with a similar question",
    "withdrawn": "withdrawn",
}


def confirmation(q: Question) -> str:
    if q.state == "pending":
        nxt = "A moderator will review it; it appears in the questions channel once approved."
    else:
        nxt = "It is posted in the questions channel, where people can vote for it."
    anonymous = " It is shown as Anonymous." if q.anonymous else ""
    return f"Thanks! Your question is #{q.number}. {nxt}{anonymous}"


def myquestions_embed(mine: list[Question]) -> discord.Embed:
    """The answer to /myquestions: the asker's last 20 questions, one line each."""
    lines = []
    for q in mine[-20:]:
        votes = f" · 👍 {q.votes}" if q.state in ("approved", "live") else ""
        text = cut(q.text, 80, one_line=True)
        lines.append(f"**#{q.number}** · {STATES_SHOWN[q.state]}{votes} · {text}")
    return discord.Embed(title="Your questions", description=fit_lines(lines, EMBED_DESCRIPTION))


class Asking(commands.Cog):
    """What participants do with their own questions."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command(name="ask", description="Ask the speakers a question.")
    @app_commands.describe(
        question="Your question",
        speaker="Who should answer (optional)",
        anonymous="Hide your name from everyone (moderators too)",
    )
    @app_commands.autocomplete(speaker=_speaker_choices)
    @app_commands.guild_only()
    async def ask(
        self,
        interaction: discord.Interaction,
        question: str,
        speaker: str | None = None,
        anonymous: bool = False,
    ) -> None:
        async with answering(interaction):
            bot = qabot(interaction)
            session = session_of(interaction)
            q = await _qa.service(bot).ask(
                session,
                bot.runs[session.id],
                interaction.user.id,
                interaction.user.display_name,
                question,
                speaker_id=speaker or None,
                anonymous=anonymous,
            )
            await reply(interaction, confirmation(q))
            assert interaction.guild is not None
            await _qa.announce_new(bot, interaction.guild, session, q)

    @app_commands.command(name="myquestions", description="See your questions and their state.")
    @app_commands.guild_only()
    async def myquestions(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            bot = qabot(interaction)
            session = session_of(interaction)
            mine = await _qa.service(bot).mine(bot.runs[session.id].id, interaction.user.id)
            if not mine:
                await reply(interaction, "You have not asked anything in this session yet; /ask.")
                return
            await reply(interaction, "", embed=myquestions_embed(mine))

    @app_commands.command(name="withdraw", description="Withdraw one of your questions.")
    @app_commands.describe(number="Your question's number (#N)")
    @app_commands.guild_only()
    async def withdraw(self, interaction: discord.Interaction, number: int) -> None:
        async with answering(interaction):
            bot = qabot(interaction)
            session = session_of(interaction)
            q = await _qa.service(bot).withdraw(
                bot.runs[session.id].id, number, interaction.user.id
            )
            await reply(interaction, f"#{q.number} is withdrawn.")
            assert interaction.guild is not None
            await _qa.refresh(bot, interaction.guild, session, q)

    # ------------------------------------------------------------ chat capture

    def _capturing(self, message: discord.Message) -> Session | None:
        channel = message.channel
        name = getattr(channel, "name", None)
        for session in self.bot.sessions.values():
            settings = session.spec
            if settings.questions.chat_capture and ref_matches(
                settings.discord.questions_channel, channel.id, name
            ):
                return session
        return None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A plain message in a capturing questions channel becomes a question."""
        if message.author.bot or message.guild is None or message.webhook_id is not None:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        session = self._capturing(message)
        if session is None:
            return
        try:
            q = await _qa.service(self.bot).ask(
                session,
                self.bot.runs[session.id],
                message.author.id,
                message.author.display_name,
                message.content,
                source="chat",
                source_message_id=message.id,
            )
        except Refusal as refusal:
            try:
                await message.reply(
                    refusal.message,
                    mention_author=False,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except discord.HTTPException:
                log.warning("could not answer a refused chat question", exc_info=True)
            return
        try:
            await message.add_reaction(CAPTURED)
        except discord.HTTPException:
            log.warning("could not react to captured question #%d", q.number, exc_info=True)
        await _qa.announce_new(self.bot, message.guild, session, q)


async def setup(bot: QABot) -> None:
    await bot.add_cog(Asking(bot))
