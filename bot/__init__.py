"""The core of the Q&A bot: sessions, questions, program, storage and reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import QABot

DEFAULT_CONFIG = Path("config/sessions")
DEFAULT_DATABASE = Path("data/qa.sqlite3")


def create_bot(
    config: Path | str = DEFAULT_CONFIG,
    database: Path | str = DEFAULT_DATABASE,
    rehearse: float | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    sync_commands: bool | None = None,
    screen: str | None = None,
) -> QABot:
    """Build the bot, unstarted: session files are validated now, the database in setup_hook.

    `rehearse=None` plays the program at its real times; a number plays it that many times
    faster, starting when the bot is ready. `screen="HOST:PORT"` (or ":PORT", "PORT": host
    127.0.0.1; port 0: any free one) serves the presenter screen there; None keeps it off.
    Raises `bot.sessions.ConfigError` on invalid files, ValueError on a bad speed or address.
    """
    from bot.app import QABot
    from bot.sessions import load_sessions
    from bot.timeutil import utcnow

    if rehearse is not None and rehearse <= 0:
        raise ValueError("rehearse must be a positive speed")
    if screen is not None:
        from bot.screen import parse_address

        parse_address(screen)  # a bad address is refused now, before anything starts
    sessions = load_sessions(Path(config))
    return QABot(
        sessions=sessions,
        database=database,
        rehearse=rehearse,
        clock=clock or utcnow,
        sync_commands=sync_commands,
        screen=screen,
    )
