"""The public vote button: 👍 and the count; a click toggles the clicker's vote.

The button itself is in cogs/_views.py (its custom_id carries the question id, so buttons on
messages posted before a restart keep working); its clicks arrive here as `on_qa_vote_button`.
"""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.errors import Refusal
from bot.questions import QuestionService
from cogs._common import clicked_question, edit_clicked
from cogs._views import vote_count_view
from cogs.errors import answering, stale_click
from cogs.posting import Posting


class Voting(commands.Cog):
    """Counts votes from the buttons under questions' public messages."""

    def __init__(self, bot: commands.Bot, questions: QuestionService, posting: Posting) -> None:
        self.bot = bot
        self.questions = questions
        self.posting = posting

    @commands.Cog.listener()
    async def on_qa_vote_button(self, interaction: discord.Interaction, question_id: int) -> None:
        async with answering(interaction, catch_all=True):
            _q, session = await clicked_question(interaction, self.questions, question_id)
            try:
                _voted, votes = await self.questions.toggle_vote(question_id, interaction.user.id)
            except Refusal as refusal:
                await stale_click(
                    interaction, refusal, self.posting, session, question_id, card=False
                )
                return
            # the count follows on the message itself; no extra message per click
            await edit_clicked(interaction, view=vote_count_view(question_id, votes))
