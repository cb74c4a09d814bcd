"""Answers that reach the asker: written answers, an asker's own edit, notice choices, and the
follow-up forum after the session.

- `/qa reply number:N [private]` and **Answer in writing** on a card open a form; the answer goes
  into a thread on the question's public message, or, private, to the asker only (a notice).
  Moderators answer any question; speakers (`discord_user`, `[discord] speaker_role`) the ones
  addressed to them or to the whole panel.
- `/edit number:N` (and **Edit #N** under /myquestions): an asker changes their question while it
  waits for review; the original stays in the log.
- `/notify on|off [voted]`: direct messages about one's own questions.
- When the program ends, each approved question still unanswered becomes a post in the session's
  `[discord] followup_forum`; a moderator's or speaker's first reply there is its answer.

The core is bot/answers.py; the words are bot/answers_text.py.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers import AnswerService, speaking
from bot.answers_text import (
    answer_post,
    answer_saved,
    answerer,
    edit_saved,
    notify_set,
    refuse_not_own,
    refuse_unknown_role,
    thread_title,
)
from bot.errors import Refusal
from bot.i18n import msg
from bot.questions import Question, QuestionService, no_question
from bot.routing import ref_matches
from bot.runs import Runs
from bot.sessions import Session
from cogs._common import (
    clicked_question,
    is_moderator,
    question_session,
    reader,
    reply,
    session_channel,
    session_guild,
    session_of,
    shown,
)
from cogs._forms import AnswerForm, EditForm, Submit
from cogs._telling import NOT_FOUND
from cogs.errors import answering
from cogs.posting import Posting

if TYPE_CHECKING:
    from bot.app import QABot

log = logging.getLogger(__name__)

NOTIFY = [app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]


def answering_role(
    member: discord.abc.User, session: Session, guild_id: int | None
) -> tuple[str, frozenset[str]] | None:
    """Who may answer the session's questions in writing: ("moderator", none) or ("speaker",
    the session file's speakers this member is), in the session's server; None for others."""
    if is_moderator(member, session, guild_id):
        return "moderator", frozenset()
    roles = [(r.id, r.name) for r in member.roles] if isinstance(member, discord.Member) else []
    found = speaking(session, member.id, member.name, roles)
    return ("speaker", found.speaker_ids) if found.is_speaker else None


class Answering(commands.Cog):
    """Written answers, asker's edits, notice choices, follow-up posts."""

    def __init__(
        self,
        bot: QABot,
        runs: Runs,
        questions: QuestionService,
        answers: AnswerService,
        posting: Posting,
        group: app_commands.Group,
    ) -> None:
        self.bot = bot
        self.runs = runs
        self.questions = questions
        self.answers = answers
        self.posting = posting
        self.group = group

    async def cog_load(self) -> None:
        cog = self

        @app_commands.describe(
            number="The question's number (#N)",
            private="Send the answer to the asker only (they stay anonymous if they asked so)",
        )
        async def reply_command(
            interaction: discord.Interaction, number: int, private: bool = False
        ) -> None:
            await cog.reply(interaction, number, private)

        self.group.add_command(
            app_commands.Command(
                name="reply",
                description="Answer a question in writing (moderators and its speakers).",
                callback=reply_command,
            )
        )

    async def cog_unload(self) -> None:
        self.group.remove_command("reply")

    # ------------------------------------------------------------ written answers

    def _role(
        self, interaction: discord.Interaction, session: Session
    ) -> tuple[str, frozenset[str]]:
        """("moderator" | "speaker", the session file's speakers this member is), or refuse."""
        found = answering_role(interaction.user, session, self.runs.guild_of(session.id))
        if found is None:
            raise Refusal(refuse_unknown_role())
        return found

    async def reply(self, interaction: discord.Interaction, number: int, private: bool) -> None:
        async with answering(interaction):
            session = session_of(interaction)
            self._role(interaction, session)
            q = await self.questions.get(self.runs[session.id].id, number)
            if q is None:
                raise Refusal(no_question(number))
            form = AnswerForm(q, private, reader(interaction), self._answer_of(session, q, private))
            await interaction.response.send_modal(form)

    @commands.Cog.listener()
    async def on_qa_answer_button(self, interaction: discord.Interaction, question_id: int) -> None:
        async with answering(interaction, catch_all=True):
            q, session = await clicked_question(interaction, self.questions, question_id)
            self._role(interaction, session)
            form = AnswerForm(q, False, reader(interaction), self._answer_of(session, q, False))
            await interaction.response.send_modal(form)

    def _answer_of(self, session: Session, q: Question, private: bool) -> Submit:
        async def submit(interaction: discord.Interaction, text: str) -> None:
            await self.submit_answer(interaction, session, q, text, private)

        return submit

    async def submit_answer(
        self,
        interaction: discord.Interaction,
        session: Session,
        q: Question,
        text: str,
        private: bool,
    ) -> None:
        async with answering(interaction, catch_all=True):
            role, speakers = self._role(interaction, session)
            done = await self.answers.answer(
                q.run_id,
                q.number,
                text,
                interaction.user.id,
                interaction.user.display_name,
                role,
                private=private,
                speaker_ids=speakers,
            )
            await reply(interaction, answer_saved(q.number, private, reader(interaction)))
            await self.posting.refresh(session, done.question)
            await self.post_answers(session, done.question.run_id)

    async def post_answers(self, session: Session, run_id: int) -> None:
        """Post the run's public written answers still missing from their question's thread.
        (The question's public message already says it has written answers: every redraw of
        it counts them, posted or not.)"""
        for q, a in await self.answers.unposted_answers(run_id):
            thread = await self._thread_for(session, q)
            if thread is None:
                continue
            speaker = session.speaker(a.speaker_id)
            by = answerer(a.author_name, a.role, speaker.name if speaker else None)
            try:
                message = await thread.send(
                    answer_post(by, a.text, shown, session.languages),
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except discord.HTTPException as exc:
                log.warning("posting the answer to #%d failed: %s", q.number, exc)
                continue
            await self.answers.answer_posted(a.id, thread.id, message.id)

    async def _thread_for(self, session: Session, q: Question) -> discord.Thread | None:
        """The question's answer thread: made on its public message when first needed."""
        known = await self.answers.answer_thread(q.id)
        if known is not None and known.status == "posted" and known.thread_id is not None:
            found = self.bot.get_channel(known.thread_id)
            if isinstance(found, discord.Thread):
                return found
            try:
                fetched = await self.bot.fetch_channel(known.thread_id)
            except discord.HTTPException:
                return None
            return fetched if isinstance(fetched, discord.Thread) else None
        if known is not None and known.status == "claimed":
            return None  # being made by another pass
        if known is None and not await self.answers.claim_answer_thread(q.id):
            return None
        channel = session_channel(self.bot, session, "questions")
        if channel is None:
            await self.answers.answer_thread_failed(q.id, str(NOT_FOUND))
            return None
        name = thread_title(q.number, q.text)
        try:
            if q.vote_message_id is not None:
                thread = await channel.get_partial_message(q.vote_message_id).create_thread(
                    name=name, auto_archive_duration=10080
                )
            else:
                thread = await channel.create_thread(
                    name=name, type=discord.ChannelType.public_thread, auto_archive_duration=10080
                )
        except discord.HTTPException as exc:
            await self.answers.answer_thread_failed(q.id, f"{exc.status} {exc.text}"[:300])
            log.warning("making the answer thread of #%d failed: %s", q.number, exc)
            return None
        await self.answers.record_answer_thread(q.id, thread.id)
        return thread

    # ------------------------------------------------------------ an asker's own edit

    @app_commands.command(name="edit", description="Edit your question while it waits for review.")
    @app_commands.describe(number="Your question's number (#N)")
    @app_commands.guild_only()
    async def edit(self, interaction: discord.Interaction, number: int) -> None:
        async with answering(interaction):
            session = session_of(interaction)
            q = await self.questions.get(self.runs[session.id].id, number)
            if q is None or q.author_id != interaction.user.id:
                raise Refusal(refuse_not_own(number))
            await interaction.response.send_modal(self._edit_form(interaction, session, q))

    @commands.Cog.listener()
    async def on_qa_edit_button(self, interaction: discord.Interaction, question_id: int) -> None:
        async with answering(interaction, catch_all=True):
            q = await self.questions.get_by_id(question_id)
            if q is None or q.author_id != interaction.user.id:
                raise Refusal(msg("This button is not for you; /myquestions lists your questions."))
            session = question_session(interaction, q)
            await interaction.response.send_modal(self._edit_form(interaction, session, q))

    def _edit_form(
        self, interaction: discord.Interaction, session: Session, q: Question
    ) -> EditForm:
        async def submit(interaction: discord.Interaction, text: str) -> None:
            await self.submit_edit(interaction, session, q, text)

        limit = session.spec.questions.max_length
        return EditForm(q, limit, reader(interaction), submit)

    async def submit_edit(
        self, interaction: discord.Interaction, session: Session, q: Question, text: str
    ) -> None:
        async with answering(interaction, catch_all=True):
            edited = await self.answers.edit_own(
                q.run_id, q.number, interaction.user.id, text, session.spec.questions.max_length
            )
            await reply(interaction, edit_saved(edited.number, reader(interaction)))
            await self.posting.refresh(session, edited)

    # ------------------------------------------------------------ notice choices

    @app_commands.command(
        name="notify", description="Get a private message when your questions move."
    )
    @app_commands.describe(
        choice="on: a private message when your question is approved, answered…; off: none",
        voted="Also when a question you voted for is answered after the session",
    )
    @app_commands.choices(choice=NOTIFY)
    @app_commands.guild_only()
    async def notify(
        self, interaction: discord.Interaction, choice: str, voted: bool | None = None
    ) -> None:
        async with answering(interaction):
            session = session_of(interaction)
            on = choice == "on"
            await self.answers.set_notify(session.id, interaction.user.id, on, voted)
            await reply(interaction, notify_set(on, voted, reader(interaction)))

    # ------------------------------------------------------------ the follow-up forum

    async def post_followups(self, session: Session, run_id: int) -> int:
        """Make the follow-up posts still owed (each approved question still unanswered, once);
        return how many exist now. Raises when the forum cannot be used (retried later)."""
        guild = session_guild(self.bot, session)
        ref = session.spec.discord.followup_forum
        forum = _forum(guild, ref) if guild is not None and ref is not None else None
        if forum is None:
            raise LookupError(f"no follow-up forum {ref!r} found for session {session.id}")
        existing = [t.name for t in forum.available_tags]
        tags, posts = await self.answers.followups_due(session, run_id, shown, existing)
        if tags.new:
            try:
                await forum.edit(
                    available_tags=[
                        *forum.available_tags,
                        *(discord.ForumTag(name=name) for name in tags.new),
                    ]
                )
            except discord.HTTPException:
                tags, posts = await self.answers.followups_due(
                    session, run_id, shown, existing, add_tags=False
                )
        by_name = {t.name: t for t in forum.available_tags}
        made = 0
        for post in posts:
            if not await self.answers.claim_followup(post.question_id):
                continue
            try:
                created = await forum.create_thread(
                    name=post.title,
                    content=post.body,
                    applied_tags=[by_name[n] for n in post.tags if n in by_name],
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except discord.HTTPException as exc:
                await self.answers.followup_failed(post.question_id, f"{exc.status} {exc.text}")
                raise
            await self.answers.record_followup_post(post.question_id, created.thread.id)
            made += 1
        log.info("session %s: %d follow-up posts made in #%s", session.id, made, forum.name)
        return made

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A moderator's or speaker's reply in a follow-up post is the question's answer."""
        channel = message.channel
        if message.author.bot or not isinstance(channel, discord.Thread):
            return
        if not isinstance(channel.parent, discord.ForumChannel) or message.id == channel.id:
            return  # only replies in forum posts (the post's first message is the bot's)
        here = [
            session
            for session in self.runs.sessions.values()
            if self.runs.guild_of(session.id) == channel.guild.id
        ]
        if not here or await self.answers.followup_thread(channel.id) is None:
            return
        member = message.author
        for session in here:
            found = answering_role(member, session, channel.guild.id)
            if found is None:
                continue
            role, speakers = found
            # a speaker replying to another speaker's question: a reply, no answer
            with contextlib.suppress(Refusal):
                await self.answers.followup_answered(
                    channel.id,
                    message.id,
                    member.id,
                    member.display_name,
                    role,
                    message.content,
                    speakers,
                )
            return


def _forum(guild: discord.Guild, ref: str | int) -> discord.ForumChannel | None:
    for forum in guild.forums:
        if ref_matches(ref, forum.id, forum.name):
            return forum
    return None
