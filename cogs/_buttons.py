"""The buttons on the bot's messages, as `DynamicItem`s: the action and the question id are in
the custom_id, so a button keeps working on messages posted before a restart. A click is handed
to whichever cog handles it as a bot event (`on_qa_card_button`, `on_qa_vote_button`, ...): this
module imports no cog.

Each button's label is given by the builder that makes it (cogs/_views.py), in the language of
the message it goes on; the English defaults serve a button rebuilt from a click, whose label
is never shown."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import discord

from bot.answers_text import ANSWER_BUTTON, EDIT_BUTTON
from bot.i18n import Message, msg
from bot.limits import BUTTON_LABEL
from bot.similarity_text import merge_label, vote_instead_label


def vote_label(votes: int) -> str:
    return f"👍 {votes}"


class ModerationButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"qa:mod:(?P<action>approve|reject|block|unblock|dismiss):(?P<qid>\d+)",
):
    """A button on a moderation card; the action and the question id are in its custom_id."""

    LABELS: ClassVar[dict[str, Message]] = {
        "approve": msg("Approve"),
        "reject": msg("Reject"),
        "block": msg("Block author"),
        "unblock": msg("Unblock author"),
        "dismiss": msg("Dismiss"),
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
                label=label or str(self.LABELS[action]),
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
        interaction.client.dispatch("qa_card_button", interaction, self.action, self.question_id)


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"qa:answer:(?P<qid>\d+)",
):
    """ "Answer in writing" on a card: opens a form for a written answer (question id inside)."""

    def __init__(self, question_id: int, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or str(ANSWER_BUTTON),
                style=discord.ButtonStyle.secondary,
                custom_id=f"qa:answer:{question_id}",
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
    ) -> AnswerButton:
        return cls(int(match["qid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        interaction.client.dispatch("qa_answer_button", interaction, self.question_id)


class EditButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"qa:edit:(?P<qid>\d+)",
):
    """ "Edit #N" under an asker's /myquestions, while the question waits for review."""

    def __init__(
        self, question_id: int, number: int | None = None, label: str | None = None
    ) -> None:
        if label is None:
            label = str(msg("Edit #{number}", number=number) if number is not None else EDIT_BUTTON)
        super().__init__(
            discord.ui.Button(
                label=label[:BUTTON_LABEL],
                style=discord.ButtonStyle.secondary,
                custom_id=f"qa:edit:{question_id}",
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
    ) -> EditButton:
        return cls(int(match["qid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        interaction.client.dispatch("qa_edit_button", interaction, self.question_id)


class MergeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"qa:merge:(?P<qid>\d+):(?P<into>\d+)",
):
    """ "Merge into #N" on a card whose question may duplicate question N (ids in custom_id)."""

    def __init__(
        self,
        question_id: int,
        into_id: int,
        into_number: int | None = None,
        label: str | None = None,
    ) -> None:
        if label is None:
            label = merge_label(into_number) if into_number is not None else str(msg("Merge"))
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=f"qa:merge:{question_id}:{into_id}",
            )
        )
        self.question_id = question_id
        self.into_id = into_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> MergeButton:
        return cls(int(match["qid"]), int(match["into"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        interaction.client.dispatch("qa_merge_button", interaction, self.question_id, self.into_id)


class VoteInsteadButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"qa:instead:(?P<qid>\d+):(?P<into>\d+)",
):
    """ "Vote for #N instead" under an asker's confirmation (their question's id and N's)."""

    def __init__(
        self,
        question_id: int,
        into_id: int,
        into_number: int | None = None,
        label: str | None = None,
    ) -> None:
        if label is None:
            label = (
                vote_instead_label(into_number)
                if into_number is not None
                else str(msg("Vote instead"))
            )
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=f"qa:instead:{question_id}:{into_id}",
            )
        )
        self.question_id = question_id
        self.into_id = into_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> VoteInsteadButton:
        return cls(int(match["qid"]), int(match["into"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        interaction.client.dispatch(
            "qa_instead_button", interaction, self.question_id, self.into_id
        )


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
        interaction.client.dispatch("qa_vote_button", interaction, self.question_id)


#: Every dynamic button, registered by the bot for as long as it runs.
DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    ModerationButton,
    AnswerButton,
    EditButton,
    MergeButton,
    VoteInsteadButton,
    VoteButton,
)
