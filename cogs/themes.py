"""Similar questions for moderators: `/qa themes`, and "Merge into #N" on a card.

`/qa themes` groups the questions open to votes into a handful of themes (size, top-voted
question, the session label it fits best), so moderators can run the Q&A theme by theme. A card
whose question is very like another open one says "possible duplicate of #N" and offers a
one-click merge (the same merge as `/qa merge`: votes carried, the asker counted as "also asked").
Both join the `/qa` group the bot hands in.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Refusal
from bot.i18n import msg
from bot.questions import GONE, QuestionService
from bot.similar import SimilarQuestions
from bot.similarity_text import themes_description
from cogs._common import clicked_question, edit_clicked, public_say, reply, shown
from cogs._views import card_embed
from cogs.errors import answering, stale_click
from cogs.moderation import Context
from cogs.posting import Posting


class Themes(commands.Cog):
    """Themes of the open questions, and merging a card into the question it duplicates."""

    def __init__(
        self,
        bot: commands.Bot,
        questions: QuestionService,
        similar: SimilarQuestions,
        posting: Posting,
        group: app_commands.Group,
    ) -> None:
        self.bot = bot
        self.questions = questions
        self.similar = similar
        self.posting = posting
        self.group = group

    async def cog_load(self) -> None:
        cog = self

        async def themes(interaction: discord.Interaction) -> None:
            await cog.themes(interaction)

        self.group.add_command(
            app_commands.Command(
                name="themes",
                description="The open questions grouped into themes, to run the Q&A by theme.",
                callback=themes,
            )
        )

    async def cog_unload(self) -> None:
        self.group.remove_command("themes")

    async def themes(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            ctx = Context(interaction)
            found = await self.similar.themes(ctx.session, ctx.run.id)
            labels = {label.id: label.name for label in ctx.session.spec.labels}
            _ = ctx._
            embed = discord.Embed(
                title=_("Themes of the open questions"),
                description=themes_description(found, labels, shown, _=_),
            )
            embed.set_footer(text=_("Grouped by their words; /qa next speaker:… or /qa pick N"))
            await reply(interaction, "", embed=embed)

    @commands.Cog.listener()
    async def on_qa_merge_button(
        self, interaction: discord.Interaction, question_id: int, into_id: int
    ) -> None:
        """ "Merge into #N" on a card: the same as /qa merge, by one click."""
        async with answering(interaction, catch_all=True):
            kept = await self.questions.get_by_id(into_id)
            if kept is None:
                raise Refusal(GONE)
            q, session = await clicked_question(interaction, self.questions, question_id)
            ctx = Context(interaction, session)
            try:
                dup, kept = await self.questions.merge(
                    q.run_id, q.number, kept.number, ctx.actor_id, ctx.actor_name
                )
            except Refusal as refusal:
                await stale_click(interaction, refusal, self.posting, ctx.session, question_id)
                return
            outcome = ctx.outcome(dup, msg("Merged into #{number}", number=kept.number))
            embed = card_embed(ctx.session, dup, outcome, say=public_say(ctx.session))
            await edit_clicked(interaction, embed=embed, view=None)
            await self.posting.refresh(ctx.session, dup, card=False)
            await self.posting.refresh(ctx.session, kept)
