"""The forms (modals) of written answers and of an asker's own edit, in the language of the
person who opens them (`interaction.locale`): titles and labels within Discord's limits (45
characters each, a placeholder 100)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.answers_text import (
    ANSWER_INPUT_LABEL,
    ANSWER_INPUT_PLACEHOLDER,
    ANSWER_MAX,
    EDIT_INPUT_LABEL,
    PRIVATE_INPUT_PLACEHOLDER,
    modal_title,
)
from bot.i18n import Localizer
from bot.limits import INPUT_LABEL, INPUT_PLACEHOLDER, INPUT_VALUE, MODAL_TITLE
from bot.questions import Question

#: What a form does with the text submitted.
Submit = Callable[[discord.Interaction, str], Awaitable[None]]
TIMEOUT = 15 * 60


class AnswerForm(discord.ui.Modal):
    """The form of a written answer, in the language of the person answering."""

    def __init__(self, q: Question, private: bool, _: Localizer, submit: Submit) -> None:
        super().__init__(title=modal_title(q.number, _=_)[:MODAL_TITLE], timeout=TIMEOUT)
        self.question, self.private, self.submit = q, private, submit
        hint = PRIVATE_INPUT_PLACEHOLDER if private else ANSWER_INPUT_PLACEHOLDER
        self.text: discord.ui.TextInput[AnswerForm] = discord.ui.TextInput(
            custom_id="answer",
            label=_.render(ANSWER_INPUT_LABEL)[:INPUT_LABEL],
            style=discord.TextStyle.paragraph,
            placeholder=_.render(hint)[:INPUT_PLACEHOLDER],
            max_length=ANSWER_MAX,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.submit(interaction, self.text.value)


class EditForm(discord.ui.Modal):
    """The form of an asker's own edit, filled with the question as it reads now, in the
    asker's language."""

    def __init__(self, q: Question, max_length: int, _: Localizer, submit: Submit) -> None:
        super().__init__(title=modal_title(q.number, edit=True, _=_)[:MODAL_TITLE], timeout=TIMEOUT)
        self.question, self.submit = q, submit
        self.text: discord.ui.TextInput[EditForm] = discord.ui.TextInput(
            custom_id="question",
            label=_.render(EDIT_INPUT_LABEL)[:INPUT_LABEL],
            style=discord.TextStyle.paragraph,
            default=q.text[:INPUT_VALUE],
            max_length=min(INPUT_VALUE, max_length),
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.submit(interaction, self.text.value)
