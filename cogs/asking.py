"""Participants: /ask, /myquestions, /withdraw, and questions typed in the questions channel.

Every answer to a participant is ephemeral: a public response would show "<user> used /ask" and
give an anonymous asker away; it is in the participant's language (`interaction.locale`). Cards
and vote messages are posted with channel.send, after the asker has their confirmation (which
they get only once the question is committed).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers import AnswerService
from bot.answers_text import ask_notify_note
from bot.errors import Refusal
from bot.i18n import ENGLISH, Localizer, in_languages, msg, sentences
from bot.limits import CONTENT
from bot.questions import Question, QuestionService
from bot.routing import ref_matches
from bot.runs import Runs
from bot.sessions import Session
from bot.similar import SimilarQuestions
from bot.similarity_text import hint_text
from bot.states import State
from cogs._common import (
    clicked_question,
    edit_clicked,
    reader,
    reply,
    session_of,
    shown,
    speaker_choices,
)
from cogs._views import confirmation_view, edit_view, myquestions_embed
from cogs.errors import answering
from cogs.posting import Posting

log = logging.getLogger(__name__)

CAPTURED = "✅"
REFUSED = "❌"


def confirmation(q: Question, _: Localizer = ENGLISH) -> str:
    """What the asker is told once their question is stored."""
    said = [_("Thanks! Your question is #{number}.", number=q.number)]
    if q.state == State.PENDING:
        said.append(
            _("A moderator will review it; it appears in the questions channel once approved.")
        )
    else:
        said.append(_("It is posted in the questions channel, where people can vote for it."))
    if q.anonymous:
        said.append(_("It is shown as Anonymous."))
    return sentences(*said)


class Asking(commands.Cog):
    """What participants do with their own questions."""

    def __init__(
        self,
        bot: commands.Bot,
        runs: Runs,
        questions: QuestionService,
        posting: Posting,
        similar: SimilarQuestions,
        answers: AnswerService,
    ) -> None:
        self.bot = bot
        self.runs = runs
        self.sessions = runs.sessions
        self.questions = questions
        self.posting = posting
        self.similar = similar
        self.answers = answers
        self._told: dict[tuple[str, int], datetime] = {}  # last refusal DM per (session, person)

    @app_commands.command(name="ask", description="Ask the speakers a question.")
    @app_commands.describe(
        question="Your question",
        speaker="Who should answer (optional)",
        anonymous="Hide your name from everyone (moderators too)",
        notify="A private message when your question is approved, answered… (see /notify)",
    )
    @app_commands.autocomplete(speaker=speaker_choices)
    @app_commands.guild_only()
    async def ask(
        self,
        interaction: discord.Interaction,
        question: str,
        speaker: str | None = None,
        anonymous: bool = False,
        notify: bool | None = None,
    ) -> None:
        async with answering(interaction):
            session = session_of(interaction)
            q = await self.questions.ask(
                session,
                self.runs[session.id],
                interaction.user.id,
                interaction.user.display_name,
                question,
                speaker_id=speaker or None,
                anonymous=anonymous,
            )
            if notify is not None:  # before anyone can act on it: no notice is missed
                await self.answers.set_question_notify(q.id, interaction.user.id, notify)
            found = await self.similar.hint(q)
            instead = found[1] if found is not None else None
            _ = reader(interaction)
            text = confirmation(q, _)
            if notify is not None:
                text = sentences(text, ask_notify_note(notify, _))
            if instead is not None:
                text = f"{text}\n\n{hint_text(instead.number, instead.text, shown, _)}"
            try:
                await reply(interaction, text, view=confirmation_view(q, instead, _))
            except discord.HTTPException:
                # the question is stored: say so once more rather than leave the asker guessing
                log.warning("the confirmation of #%d failed; sending it again", q.number)
                await reply(interaction, text)
            await self.posting.post_new(session, q.id)

    @commands.Cog.listener()
    async def on_qa_instead_button(
        self, interaction: discord.Interaction, question_id: int, into_id: int
    ) -> None:
        """ "Vote for #N instead": the asker's new question is withdrawn, their vote goes to N."""
        async with answering(interaction, catch_all=True):
            _q, session = await clicked_question(interaction, self.questions, question_id)
            mine, kept = await self.questions.vote_instead(
                question_id, into_id, interaction.user.id
            )
            await edit_clicked(
                interaction,
                content=msg(
                    "Your question #{number} is withdrawn, and your vote goes to #{kept}. "
                    "Thank you!",
                    number=mine.number,
                    kept=kept.number,
                ),
                view=None,
            )
            await self.posting.refresh(session, mine)
            await self.posting.refresh(session, kept, card=False)

    @app_commands.command(name="myquestions", description="See your questions and their state.")
    @app_commands.guild_only()
    async def myquestions(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            session = session_of(interaction)
            mine = await self.answers.mine(self.runs[session.id].id, interaction.user.id)
            if not mine.own and not mine.others:
                await reply(
                    interaction, msg("You have not asked anything in this session yet; /ask.")
                )
                return
            _ = reader(interaction)
            await reply(
                interaction,
                "",
                embed=myquestions_embed(mine, session, _),
                view=edit_view([item.question for item in mine.own], _),
            )

    @app_commands.command(name="withdraw", description="Withdraw one of your questions.")
    @app_commands.describe(number="Your question's number (#N)")
    @app_commands.guild_only()
    async def withdraw(self, interaction: discord.Interaction, number: int) -> None:
        async with answering(interaction):
            session = session_of(interaction)
            q = await self.questions.withdraw(self.runs[session.id].id, number, interaction.user.id)
            await reply(interaction, msg("#{number} is withdrawn.", number=q.number))
            await self.posting.refresh(session, q)

    # ------------------------------------------------------------ chat capture

    def _capturing(self, message: discord.Message) -> Session | None:
        """The session that captures questions from this message's channel, in this server."""
        channel = message.channel
        name = getattr(channel, "name", None)
        guild_id = message.guild.id if message.guild is not None else None
        for session in self.sessions.values():
            settings = session.spec
            if (
                settings.questions.chat_capture
                and self.runs.guild_of(session.id) == guild_id
                and ref_matches(settings.discord.questions_channel, channel.id, name)
            ):
                return session
        return None

    async def _refuse_chat(
        self, message: discord.Message, session: Session, refusal: Refusal
    ) -> None:
        """A refused chat question: a reaction for all to see, the reason by DM to its writer
        only (nothing if their DMs are closed), at most once per person per cooldown. A direct
        message tells the bot no language: it is in the session's."""
        try:
            await message.add_reaction(REFUSED)
        except discord.HTTPException:
            log.warning("could not react to a refused chat question", exc_info=True)
        now = self.questions.clock()
        key = (session.id, message.author.id)
        quiet = max(30, session.spec.questions.cooldown_seconds)
        last = self._told.get(key)
        if last is not None and (now - last).total_seconds() < quiet:
            return
        self._told[key] = now
        channel = getattr(message.channel, "name", "questions")

        def words(_: Localizer) -> str:
            return _(
                "Your message in #{channel} was not taken as a question: {reason}",
                channel=channel,
                reason=refusal.text,
            )

        text = in_languages(session.languages, words, limit=CONTENT)
        with contextlib.suppress(discord.HTTPException):  # DMs closed (50007): the reaction does
            await message.author.send(text, allowed_mentions=discord.AllowedMentions.none())

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
            q = await self.questions.ask(
                session,
                self.runs[session.id],
                message.author.id,
                message.author.display_name,
                message.content,
                source="chat",
                source_message_id=message.id,
            )
        except Refusal as refusal:
            await self._refuse_chat(message, session, refusal)
            return
        try:
            await message.add_reaction(CAPTURED)
        except discord.HTTPException:
            log.warning("could not react to captured question #%d", q.number, exc_info=True)
        await self.posting.post_new(session, q.id)
