"""The `/qa` commands and the moderation card: approve, reject, edit, merge, label, queue, pick.

Replies are in the moderator's language; the cards, vote messages and announcements the
commands change are public, in the session's languages.

Who may moderate is decided at run time from the session file's roles (or Manage Server) on every
command and every button click; the commands are not hidden behind Discord's default member
permissions, so a Moderator or Organizer role works without server overrides.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Refusal
from bot.i18n import Message, Text, joined, msg, nmsg
from bot.questions import Question, QuestionService
from bot.schedule import ScheduleService
from bot.sessions import Session
from bot.states import wording
from cogs._common import (
    clicked_question,
    edit_clicked,
    label_choices,
    public_say,
    qabot,
    reader,
    reply,
    require_moderator,
    session_of,
    speaker_choices,
)
from cogs._views import card_embed, card_view, label_name, outcome, queue_embed
from cogs.errors import answering, stale_click
from cogs.posting import Posting

if TYPE_CHECKING:
    from bot.app import QABot

log = logging.getLogger(__name__)


class Context:
    """What every moderator action needs: the bot, the session, its run, who acts and in which
    language (`_`)."""

    def __init__(self, interaction: discord.Interaction, session: Session | None = None) -> None:
        self.interaction = interaction
        self.bot: QABot = qabot(interaction)
        self.session: Session = session or session_of(interaction)
        require_moderator(interaction, self.session)
        self.run = self.bot.runs[self.session.id]
        self.actor_id = interaction.user.id
        self.actor_name = interaction.user.display_name
        self._ = reader(interaction)

    def outcome(self, q: Question, verb: Text | None = None) -> Message:
        return outcome(q, self.actor_name, verb)


@app_commands.guild_only()
class Moderation(
    commands.GroupCog, group_name="qa", group_description="Moderate the session's Q&A."
):
    """Moderators' commands, and the buttons on moderation cards."""

    def __init__(
        self,
        bot: QABot,
        questions: QuestionService,
        schedule: ScheduleService,
        posting: Posting,
    ) -> None:
        self.bot = bot
        self.questions = questions
        self.schedule = schedule
        self.posting = posting
        super().__init__()

    @property
    def group(self) -> app_commands.Group:
        """The `/qa` group, which other cogs' /qa commands join."""
        group = self.app_command
        assert group is not None
        return group

    # ------------------------------------------------------------ card buttons

    @commands.Cog.listener()
    async def on_qa_card_button(
        self, interaction: discord.Interaction, action: str, question_id: int
    ) -> None:
        """A click on a card: act, show the outcome on the card, bring the vote message along."""
        async with answering(interaction, catch_all=True):
            # rights are checked against the question's own session, in its own server
            q, session = await clicked_question(interaction, self.questions, question_id)
            ctx = Context(interaction, session)
            try:
                q, verb = await self._apply(ctx, action, q)
            except Refusal as refusal:
                await stale_click(interaction, refusal, self.posting, ctx.session, question_id)
                return
            say = public_say(ctx.session)
            view = card_view(q, author_blocked=action == "block", say=say)
            embed = card_embed(ctx.session, q, ctx.outcome(q, verb), say=say)
            await edit_clicked(interaction, embed=embed, view=view)
            await self.posting.refresh(ctx.session, q, card=False)

    async def _apply(
        self, ctx: Context, action: str, q: Question
    ) -> tuple[Question, Message | None]:
        core = self.questions
        if action == "approve":
            return await core.approve(q.run_id, q.number, ctx.actor_id, ctx.actor_name), None
        if action == "reject":
            return await core.reject(q.run_id, q.number, ctx.actor_id, ctx.actor_name), None
        if action == "dismiss":
            return await core.dismiss(q.run_id, q.number, ctx.actor_id, ctx.actor_name), None
        if action == "unblock":
            done = await core.unblock_author(q.id, ctx.session.id, ctx.actor_id, ctx.actor_name)
            return done, msg("{state}; author unblocked", state=wording(q.state).outcome)
        done = await core.block_author(q.id, ctx.session.id, ctx.actor_id, ctx.actor_name)
        return done, msg("{state}; author blocked", state=wording(done.state).outcome)

    # ------------------------------------------------------------ one question

    @app_commands.command(name="approve", description="Approve a question: it goes to the queue.")
    @app_commands.describe(number="The question's number (#N)")
    async def approve(self, interaction: discord.Interaction, number: int) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            q = await self.questions.approve(ctx.run.id, number, ctx.actor_id, ctx.actor_name)
            await reply(
                interaction,
                msg("#{number} approved; it is in the queue for votes.", number=q.number),
            )
            await self.posting.refresh(ctx.session, q, outcome=ctx.outcome(q))

    @app_commands.command(name="reject", description="Reject a question waiting for review.")
    @app_commands.describe(number="The question's number (#N)", reason="Why (kept in the log)")
    async def reject(
        self, interaction: discord.Interaction, number: int, reason: str | None = None
    ) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            q = await self.questions.reject(
                ctx.run.id, number, ctx.actor_id, ctx.actor_name, reason
            )
            await reply(interaction, msg("#{number} rejected.", number=q.number))
            await self.posting.refresh(ctx.session, q, outcome=ctx.outcome(q))

    @app_commands.command(
        name="edit", description="Correct a question's text (the original is kept)."
    )
    @app_commands.describe(number="The question's number (#N)", text="The corrected text")
    async def edit(self, interaction: discord.Interaction, number: int, text: str) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            q = await self.questions.edit(
                ctx.run.id, number, text, ctx.actor_id, ctx.actor_name,
                ctx.session.spec.questions.max_length,
            )  # fmt: skip
            await reply(
                interaction,
                msg("#{number} edited; the original stays in the log.", number=q.number),
            )
            await self.posting.refresh(ctx.session, q)

    @app_commands.command(name="merge", description="Merge a duplicate into another question.")
    @app_commands.describe(number="The duplicate's number", into="The question to keep")
    async def merge(self, interaction: discord.Interaction, number: int, into: int) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            dup, kept = await self.questions.merge(
                ctx.run.id, number, into, ctx.actor_id, ctx.actor_name
            )
            await reply(
                interaction,
                msg(
                    "#{number} merged into #{into}: {votes}, also asked by {askers}.",
                    number=dup.number,
                    into=kept.number,
                    votes=nmsg("{count} vote", "{count} votes", kept.votes),
                    askers=kept.co_askers,
                ),
            )
            merged = ctx.outcome(dup, msg("Merged into #{number}", number=kept.number))
            await self.posting.refresh(ctx.session, dup, outcome=merged)
            await self.posting.refresh(ctx.session, kept)

    @app_commands.command(name="label", description="Give a question one of the session's labels.")
    @app_commands.describe(number="The question's number (#N)", label="A label of the session")
    @app_commands.autocomplete(label=label_choices)
    async def label(self, interaction: discord.Interaction, number: int, label: str) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            q = await self.questions.label(
                ctx.session, ctx.run.id, number, label, ctx.actor_id, ctx.actor_name
            )
            name = label_name(ctx.session, q.label_id)
            await reply(
                interaction, msg("#{number} is labelled {label}.", number=q.number, label=name)
            )
            await self.posting.refresh(ctx.session, q)

    @app_commands.command(name="dismiss", description="Set an approved question aside.")
    @app_commands.describe(number="The question's number (#N)", reason="Why (kept in the log)")
    async def dismiss(
        self, interaction: discord.Interaction, number: int, reason: str | None = None
    ) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            q = await self.questions.dismiss(
                ctx.run.id, number, ctx.actor_id, ctx.actor_name, reason
            )
            await reply(interaction, msg("#{number} set aside.", number=q.number))
            await self.posting.refresh(ctx.session, q, outcome=ctx.outcome(q))

    # ----------------------------------------------------------------- queue

    @app_commands.command(name="queue", description="See the approved questions by votes.")
    async def queue(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            view = await self.questions.queue(ctx.run.id)
            await reply(interaction, "", embed=queue_embed(ctx.session, view, ctx._))

    @app_commands.command(name="next", description="Answer the top-voted question next.")
    @app_commands.describe(speaker="Only questions for this speaker")
    @app_commands.autocomplete(speaker=speaker_choices)
    async def next(self, interaction: discord.Interaction, speaker: str | None = None) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            if speaker is not None and ctx.session.speaker(speaker) is None:
                raise Refusal(msg("That speaker is not in this session; pick one from the list."))
            live, done = await self.questions.next_question(
                ctx.run.id, ctx.actor_id, ctx.actor_name, speaker
            )
            await self._went_live(ctx, live, done)

    @app_commands.command(name="pick", description="Answer a chosen question next.")
    @app_commands.describe(number="The question's number (#N)")
    async def pick(self, interaction: discord.Interaction, number: int) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            live, done = await self.questions.pick(ctx.run.id, number, ctx.actor_id, ctx.actor_name)
            await self._went_live(ctx, live, done)

    async def _went_live(self, ctx: Context, live: Question, done: Question | None) -> None:
        now = msg("Now answering #{number}.", number=live.number)
        if done is not None:
            await reply(
                ctx.interaction,
                joined(now, msg("#{number} is marked answered.", number=done.number)),
            )
        else:
            await reply(ctx.interaction, now)
        error = await self.posting.announce_live(ctx.session, live)
        if error is not None:
            await reply(
                ctx.interaction,
                msg(
                    "The live channel announcement of #{number} could not be posted ({error}); "
                    "the bot retries it while the question is live.",
                    number=live.number,
                    error=error,
                ),
            )
        await self.posting.refresh(ctx.session, live, outcome=ctx.outcome(live))
        if done is not None:
            await self.posting.refresh(ctx.session, done, outcome=ctx.outcome(done))

    @app_commands.command(name="answered", description="The live question has been answered.")
    async def answered(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            q = await self.questions.answered(ctx.run.id, ctx.actor_id, ctx.actor_name)
            await reply(interaction, msg("#{number} is answered.", number=q.number))
            await self.posting.refresh(ctx.session, q, outcome=ctx.outcome(q))

    # ---------------------------------------------------------------- intake

    @app_commands.command(name="open", description="Open question intake now.")
    async def open(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            await self._intake(Context(interaction), "open")

    @app_commands.command(name="close", description="Close question intake now.")
    async def close(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            await self._intake(Context(interaction), "closed")

    async def _intake(self, ctx: Context, value: str) -> None:
        await self.schedule.set_intake(ctx.session.id, value, ctx.actor_id)
        if value == "open":
            text = msg("Questions are open; they stay open until `/qa close`.")
        else:
            text = msg("Questions are closed; `/qa open` opens them again.")
        await reply(ctx.interaction, text)

    # ---------------------------------------------------------------- people

    @app_commands.command(name="block", description="Stop someone from asking questions.")
    @app_commands.describe(user="Who to block in this session")
    async def block(self, interaction: discord.Interaction, user: discord.Member) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            await self.questions.block(
                ctx.session.id, ctx.run.id, user.id, ctx.actor_id, ctx.actor_name
            )
            await reply(
                interaction, msg("{user} can no longer ask questions here.", user=user.mention)
            )

    @app_commands.command(name="unblock", description="Let a blocked person ask again.")
    @app_commands.describe(user="Who to unblock in this session")
    async def unblock(self, interaction: discord.Interaction, user: discord.Member) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            await self.questions.unblock(ctx.session.id, ctx.run.id, user.id, ctx.actor_id)
            await reply(
                interaction,
                msg("The block of {user} made with /qa block is lifted.", user=user.mention),
            )
