"""Exceptions the core raises for people, not for logs."""

from __future__ import annotations

from bot.i18n import Text, render


class Refusal(Exception):
    """An action the bot declines, with one short sentence saying why and what to do.

    A refusal changes nothing. The error handler shows its message ephemerally to the person who
    asked, in their language (`render`); `message` is the sentence in English. It is never
    logged as a failure.
    """

    def __init__(self, message: Text) -> None:
        self.text = message
        self.message = str(message)
        super().__init__(self.message)

    def render(self, locale: object) -> str:
        """The sentence in the language serving `locale` (a code or a `discord.Locale`)."""
        return render(self.text, locale)


class DatabaseError(Exception):
    """The database cannot be used; the message is one sentence for the operator."""
