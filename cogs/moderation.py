"""The `/qa` commands and the moderation card: approve, reject, edit, merge, label, queue, pick.

Who may moderate is decided at run time from the session file's roles (or Manage Server) on every
command and every button click; the commands are not hidden behind Discord's default member
permissions, so a Moderator or Organizer role works without server overrides.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Refusal
from bot.limits import EMBED_DESCRIPTION, cut, fit_lines
from bot.questions import Question, QueueView
from bot.sessions import Label, Session, Speaker
from bot.storage import repository as repo
from cogs import _qa
from cogs._common import qabot, reply, require_moderator, session_of, shown
from cogs.errors import answering

if TYPE_CHECKING:
    from bot.app import QABot

log = logging.getLogger(__name__)

CARD_ACTIONS = {
    "pending": (("approve", "Approve", discord.ButtonStyle.success),
                ("reject", "Reject", discord.ButtonStyle.danger),
                ("block", "Block author", discord.ButtonStyle.secondary)),
    "approved": (("dismiss", "Dismiss", discord.ButtonStyle.secondary),
                 ("block", "Block author", discord.ButtonStyle.secondary)),
}  # fmt: skip


class Context:
    """What every moderator action needs: the bot, the session, its run and who acts."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        self.bot: QABot = qabot(interaction)
        self.session: Session = session_of(interaction)
        require_moderator(interaction, self.session)
        self.run = self.bot.runs[self.session.id]
        self.actor_id = interaction.user.id
        self.actor_name = interaction.user.display_name
        assert interaction.guild is not None
        self.guild: discord.Guild = interaction.guild

    def outcome(self, q: Question, verb: str | None = None) -> str:
        word = verb or _qa.OUTCOMES.get(q.state, q.state)
        return f"{word} by {shown(self.actor_name)}"


UNBLOCK = (("unblock", "Unblock author", discord.ButtonStyle.secondary),)


def card_view(q: Question, *, author_blocked: bool = False) -> discord.ui.View | None:
    """The buttons a card shows in the question's state (none once it is settled).

    Right after "Block author", the card offers "Unblock author": the only way to undo a block
    of an anonymous asker, whom moderators cannot name in /qa unblock.
    """
    actions = UNBLOCK if author_blocked else CARD_ACTIONS.get(q.state)
    if not actions:
        return None
    view = discord.ui.View(timeout=None)
    for action, label, style in actions:
        view.add_item(ModerationButton(action, q.id, label, style))
    return view


class ModerationButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"qa:mod:(?P<action>approve|reject|block|unblock|dismiss):(?P<qid>\d+)",
):
    """A button on a moderation card; the action and the question id are in its custom_id."""

    LABELS: ClassVar[dict[str, str]] = {
        "approve": "Approve",
        "reject": "Reject",
        "block": "Block author",
        "unblock": "Unblock author",
        "dismiss": "Dismiss",
    }

    def __init__(
        self,
        action: str,
        question_id: int,
        label: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or self.LABELS[action],
                style=style,
                custom_id=f"qa:mod:{action}:{question_id}",
            )
        )
        self.action = action
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ModerationButton:
        return cls(match["action"], int(match["qid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async with answering(interaction, catch_all=True):
            ctx = Context(interaction)
            core = _qa.service(ctx.bot)
            q = await core.get_by_id(self.question_id)
            if q is None:
                raise Refusal("This question no longer exists.")
            try:
                q, verb = await self._apply(ctx, q)
            except Refusal:
                # the card was stale: show what really happened, then say who handled it
                current = await core.get_by_id(self.question_id)
                if current is not None:
                    await _qa.refresh(ctx.bot, ctx.guild, ctx.session, current)
                raise
            view = card_view(q, author_blocked=self.action == "block")
            await interaction.response.edit_message(
                embed=_qa.card_embed(ctx.session, q, ctx.outcome(q, verb)), view=view
            )
            await _qa.refresh(ctx.bot, ctx.guild, ctx.session, q, card=False)

    async def _apply(self, ctx: Context, q: Question) -> tuple[Question, str | None]:
        core = _qa.service(ctx.bot)
        if self.action == "approve":
            return await core.approve(q.run_id, q.number, ctx.actor_id, ctx.actor_name), None
        if self.action == "reject":
            return await core.reject(q.run_id, q.number, ctx.actor_id, ctx.actor_name), None
        if self.action == "dismiss":
            return await core.dismiss(q.run_id, q.number, ctx.actor_id, ctx.actor_name), None
        word = _qa.OUTCOMES.get(q.state, q.state)
        if self.action == "unblock":
            done = await core.unblock_author(q.id, ctx.session.id, ctx.actor_id, ctx.actor_name)
            return done, f"{word}; author unblocked"
        done = await core.block_author(q.id, ctx.session.id, ctx.actor_id, ctx.actor_name)
        word = _qa.OUTCOMES.get(done.state, done.state)
        return done, f"{word}; author blocked"


async def post_live(ctx: Context, q: Question) -> None:
    """Announce the question being answered in the live channel; if that fails, tell the
    moderator (the announcement is retried while the question is live)."""
    from cogs._delivery import delivery

    cog = delivery(ctx.bot)
    if cog is None:
        return
    error = await cog.announce_live(ctx.session, q)
    if error is not None:
        await reply(
            ctx.interaction,
            f"The live channel announcement of #{q.number} could not be posted ({error}); "
            "the bot retries it while the question is live.",
        )


Named = Speaker | Label


def _choices(
    interaction: discord.Interaction, current: str, pick: Callable[[Session], Iterable[Named]]
) -> list[app_commands.Choice[str]]:
    """Offer the session's speakers or labels whose name or id contains what was typed."""
    try:
        session = session_of(interaction)
    except Refusal:
        return []
    needle = current.casefold()
    return [
        app_commands.Choice(name=item.name[:100], value=item.id)
        for item in pick(session)
        if needle in item.name.casefold() or needle in item.id
    ][:25]


async def _speaker_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return _choices(interaction, current, lambda session: session.spec.speakers)


async def _label_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return _choices(interaction, current, lambda session: session.spec.labels)


def _line(session: Session, q: Question) -> str:
    speaker = session.speaker(q.speaker_id)
    who = f" · for {cut(speaker.name, 100, one_line=True)}" if speaker else ""
    return f"**#{q.number}** · 👍 {q.votes}{who} · {cut(q.text, 90, one_line=True)}"


def queue_embed(session: Session, view: QueueView) -> discord.Embed:
    """The answer to /qa queue: the top approved questions, one line each, and the counts."""
    counts = " · ".join(f"{state} {n}" for state, n in view.counts.items())
    lines = [_line(session, q) for q in view.top] or ["No approved questions yet."]
    embed = discord.Embed(
        title=f"Queue: top {len(view.top)} by votes",
        description=fit_lines(lines, EMBED_DESCRIPTION),
    )
    embed.set_footer(text=counts)
    return embed


class Moderation(
    commands.GroupCog, group_name="qa", group_description="Moderate the session's Q&A."
):
    """Moderators' commands; the card buttons live as long as the cog."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ModerationButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ModerationButton)

    # ------------------------------------------------------------ one question

    @app_commands.command(name="approve", description="Approve a question: it goes to the queue.")
    @app_commands.describe(number="The question's number (#N)")
    async def approve(self, interaction: discord.Interaction, number: int) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            q = await _qa.service(ctx.bot).approve(ctx.run.id, number, ctx.actor_id, ctx.actor_name)
            await reply(interaction, f"#{q.number} approved; it is in the queue for votes.")
            await _qa.refresh(ctx.bot, ctx.guild, ctx.session, q, outcome=ctx.outcome(q))

    @app_commands.command(name="reject", description="Reject a question waiting for review.")
    @app_commands.describe(number="The question's number (#N)", reason="Why (kept in the log)")
    async def reject(
        self, interaction: discord.Interaction, number: int, reason: str | None = None
    ) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            q = await _qa.service(ctx.bot).reject(
                ctx.run.id, number, ctx.actor_id, ctx.actor_name, reason
            )
            await reply(interaction, f"#{q.number} rejected.")
            await _qa.refresh(ctx.bot, ctx.guild, ctx.session, q, outcome=ctx.outcome(q))

    @app_commands.command(
        name="edit", description="Correct a question's text (the original is kept)."
    )
    @app_commands.describe(number="The question's number (#N)", text="The corrected text")
    async def edit(self, interaction: discord.Interaction, number: int, text: str) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            q = await _qa.service(ctx.bot).edit(
                ctx.run.id, number, text, ctx.actor_id, ctx.actor_name,
                ctx.session.spec.questions.max_length,
            )  # fmt: skip
            await reply(interaction, f"#{q.number} edited; the original stays in the log.")
            await _qa.refresh(ctx.bot, ctx.guild, ctx.session, q)

    @app_commands.command(name="merge", description="Merge a duplicate into another question.")
    @app_commands.describe(number="The duplicate's number", into="The question to keep")
    async def merge(self, interaction: discord.Interaction, number: int, into: int) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            dup, kept = await _qa.service(ctx.bot).merge(
                ctx.run.id, number, into, ctx.actor_id, ctx.actor_name
            )
            await reply(
                interaction,
                f"#{dup.number} merged into #{kept.number}: {kept.votes} votes, "
                f"also asked by {kept.co_askers}.",
            )
            merged = ctx.outcome(dup, f"Merged into #{kept.number}")
            await _qa.refresh(ctx.bot, ctx.guild, ctx.session, dup, outcome=merged)
            await _qa.refresh(ctx.bot, ctx.guild, ctx.session, kept)

    @app_commands.command(name="label", description="Give a question one of the session's labels.")
    @app_commands.describe(number="The question's number (#N)", label="A label of the session")
    @app_commands.autocomplete(label=_label_choices)
    async def label(self, interaction: discord.Interaction, number: int, label: str) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            q = await _qa.service(ctx.bot).label(
                ctx.session, ctx.run.id, number, label, ctx.actor_id, ctx.actor_name
            )
            name = _qa.label_name(ctx.session, q.label_id)
            await reply(interaction, f"#{q.number} is labelled {name}.")
            await _qa.refresh(ctx.bot, ctx.guild, ctx.session, q)

    @app_commands.command(name="dismiss", description="Set an approved question aside.")
    @app_commands.describe(number="The question's number (#N)", reason="Why (kept in the log)")
    async def dismiss(
        self, interaction: discord.Interaction, number: int, reason: str | None = None
    ) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            q = await _qa.service(ctx.bot).dismiss(
                ctx.run.id, number, ctx.actor_id, ctx.actor_name, reason
            )
            await reply(interaction, f"#{q.number} set aside.")
            await _qa.refresh(ctx.bot, ctx.guild, ctx.session, q, outcome=ctx.outcome(q))

    # ----------------------------------------------------------------- queue

    @app_commands.command(name="queue", description="See the approved questions by votes.")
    async def queue(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            view = await _qa.service(ctx.bot).queue(ctx.run.id)
            await reply(interaction, "", embed=queue_embed(ctx.session, view))

    @app_commands.command(name="next", description="Answer the top-voted question next.")
    @app_commands.describe(speaker="Only questions for this speaker")
    @app_commands.autocomplete(speaker=_speaker_choices)
    async def next(self, interaction: discord.Interaction, speaker: str | None = None) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            if speaker is not None and ctx.session.speaker(speaker) is None:
                raise Refusal("That speaker is not in this session; pick one from the list.")
            live, done = await _qa.service(ctx.bot).next_question(
                ctx.run.id, ctx.actor_id, ctx.actor_name, speaker
            )
            await self._went_live(ctx, live, done)

    @app_commands.command(name="pick", description="Answer a chosen question next.")
    @app_commands.describe(number="The question's number (#N)")
    async def pick(self, interaction: discord.Interaction, number: int) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            live, done = await _qa.service(ctx.bot).pick(
                ctx.run.id, number, ctx.actor_id, ctx.actor_name
            )
            await self._went_live(ctx, live, done)

    async def _went_live(self, ctx: Context, live: Question, done: Question | None) -> None:
        extra = f" #{done.number} is marked answered." if done else ""
        await reply(ctx.interaction, f"Now answering #{live.number}.{extra}")
        await post_live(ctx, live)
        await _qa.refresh(ctx.bot, ctx.guild, ctx.session, live, outcome=ctx.outcome(live))
        if done is not None:
            await _qa.refresh(ctx.bot, ctx.guild, ctx.session, done, outcome=ctx.outcome(done))

    @app_commands.command(name="answered", description="The live question has been answered.")
    async def answered(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            q = await _qa.service(ctx.bot).answered(ctx.run.id, ctx.actor_id, ctx.actor_name)
            await reply(interaction, f"#{q.number} is answered.")
            await _qa.refresh(ctx.bot, ctx.guild, ctx.session, q, outcome=ctx.outcome(q))

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
        now = ctx.bot.clock()
        run_id = ctx.run.id
        await ctx.bot.db.write(
            lambda conn: repo.set_intake_override(conn, run_id, value, ctx.actor_id, now)
        )
        await ctx.bot.reload_run(ctx.session.id)
        if value == "open":
            text = "Questions are open; they stay open until `/qa close`."
        else:
            text = "Questions are closed; `/qa open` opens them again."
        await reply(ctx.interaction, text)

    # ---------------------------------------------------------------- people

    @app_commands.command(name="block", description="Stop someone from asking questions.")
    @app_commands.describe(user="Who to block in this session")
    async def block(self, interaction: discord.Interaction, user: discord.Member) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            await _qa.service(ctx.bot).block(
                ctx.session.id, ctx.run.id, user.id, ctx.actor_id, ctx.actor_name
            )
            await reply(interaction, f"{user.mention} can no longer ask questions here.")

    @app_commands.command(name="unblock", description="Let a blocked person ask again.")
    @app_commands.describe(user="Who to unblock in this session")
    async def unblock(self, interaction: discord.Interaction, user: discord.Member) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            await _qa.service(ctx.bot).unblock(ctx.session.id, ctx.run.id, user.id, ctx.actor_id)
            await reply(interaction, f"{user.mention} can ask questions again.")


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Moderation(bot))
