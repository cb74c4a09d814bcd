"""`python run_bot.py screen-url --database PATH --session ID`: print a session's screen address.

The key is read from the log without writing when it exists (so this can run beside the bot); a
session without one yet gets it now, in one write.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.screen.server import DEFAULT_HOST, DEFAULT_PORT, base_url, parse_address, session_path
from bot.storage import screen_repo
from bot.storage.database import Database, DatabaseError
from bot.timeutil import utcnow

DEFAULT_SCREEN = f"{DEFAULT_HOST}:{DEFAULT_PORT}"


class ScreenUrlError(Exception):
    """The address cannot be given; the message is one sentence for the operator."""


def base_of(screen: str) -> str:
    """The base URL for a screen address ("HOST:PORT", ":PORT", "PORT") or a URL as given."""
    text = screen.strip()
    if text.startswith(("http://", "https://")):
        return text.rstrip("/")
    return base_url(*parse_address(text))


def _read(path: Path, session_id: str) -> tuple[bool, list[str], str | None]:
    """(the session is known, the known session ids, its key or None), read-only."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
    try:
        try:
            ids = [row[0] for row in conn.execute("SELECT id FROM sessions ORDER BY id")]
        except sqlite3.DatabaseError as exc:
            raise ScreenUrlError(f"Cannot read the database {path}: {exc}.") from None
        key = None
        try:
            row = conn.execute(
                "SELECT key FROM session_screen WHERE session_id = ?", (session_id,)
            ).fetchone()
            key = row[0] if row else None
        except sqlite3.OperationalError:
            pass  # a log written before the screen existed: the write below adds its table
        return session_id in ids, ids, key
    finally:
        conn.close()


async def _write_key(path: Path, session_id: str, *, replace: bool) -> str:
    db = Database(path)
    try:
        await db.open()
        now = utcnow()
        change = screen_repo.replace_screen_key if replace else screen_repo.screen_key
        return await db.write(lambda conn: change(conn, session_id, now))
    except DatabaseError as exc:
        raise ScreenUrlError(str(exc)) from None
    finally:
        await db.close()


def screen_url(
    database: Path | str,
    session_id: str,
    base: str = DEFAULT_SCREEN,
    *,
    overlay: bool = False,
    new_key: bool = False,
) -> str:
    """Return the address of a session's screen; `base` is the bot's --screen value or a URL.

    `new_key` replaces the session's key first: the old address stops working at once (pages
    open on it are refused when they reconnect). Raises ScreenUrlError (no database, unknown
    session) and AddressError (bad `base`). Not for use inside a running event loop.
    """
    root = base_of(base)
    path = Path(database)
    if not path.is_file():
        raise ScreenUrlError(f"No database at {path}.")
    known, ids, key = _read(path, session_id)
    if not known:
        listed = ", ".join(ids) or "none yet: start the bot once with its session files"
        raise ScreenUrlError(f"No session {session_id!r} in {path} (sessions: {listed}).")
    if key is None or new_key:
        key = asyncio.run(_write_key(path, session_id, replace=new_key))
    return root + session_path(session_id, key) + ("?overlay=1" if overlay else "")
