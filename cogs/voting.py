"""The public vote button: 👍 and the count; a click toggles the clicker's vote.

The button is a DynamicItem whose custom_id carries the question id, registered for as long as
the cog is loaded, so buttons on messages posted before a restart keep working.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord.ext import commands

from bot.errors import Refusal
from bot.questions import Question
from cogs import _qa
from cogs._common import qabot, session_of
from cogs._qa import service
from cogs.errors import answering

VOTABLE = ("approved", "live")


def vote_label(votes: int) -> str:
    return f"👍 {votes}"


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"qa:vote:(?P<qid>\d+)"):
    """👍 N on a question's public message."""

    def __init__(self, question_id: int, votes: int = 0) -> None:
        super().__init__(
            discord.ui.Button(
                label=vote_label(votes),
                style=discord.ButtonStyle.secondary,
                custom_id=f"qa:vote:{question_id}",
            )
        )
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> VoteButton:
        return cls(int(match["qid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async with answering(interaction, catch_all=True):
            bot = qabot(interaction)
            core = service(bot)
            try:
                _voted, votes = await core.toggle_vote(self.question_id, interaction.user.id)
            except Refusal:
                # a stale message (its question moved on): show its real state, then refuse
                q = await core.get_by_id(self.question_id)
                if q is not None and interaction.guild is not None:
                    await _qa.refresh(
                        bot, interaction.guild, session_of(interaction), q, card=False
                    )
                raise
            # the count follows on the message itself; no extra message per click
            view = discord.ui.View(timeout=None)
            view.add_item(VoteButton(self.question_id, votes))
            await interaction.response.edit_message(view=view)


def vote_view(q: Question) -> discord.ui.View | None:
    """The button under a question's public message, while people can vote."""
    if q.state not in VOTABLE:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(q.id, q.votes))
    return view


class Voting(commands.Cog):
    """Keeps the vote buttons answering for as long as the cog is loaded."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(VoteButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(VoteButton)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Voting(bot))
