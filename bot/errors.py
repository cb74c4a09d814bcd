"""Exceptions the core raises for people, not for logs."""

from __future__ import annotations


class Refusal(Exception):
    """An action the bot declines, with one short sentence saying why and what to do.

    A refusal changes nothing. The error handler shows its message ephemerally to the person who
    asked; it is never logged as a failure.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DatabaseError(Exception):
    """The database cannot be used; the message is one sentence for the operator."""
