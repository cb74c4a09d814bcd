"""SQL for the presenter screen's per-session keys (the secret part of each screen address)."""

from __future__ import annotations

import secrets
from datetime import datetime

import aiosqlite

from bot.storage.database import first_row
from bot.timeutil import to_db

#: Bytes of randomness in a key (token_urlsafe turns 32 bytes into 43 characters).
KEY_BYTES = 32


def new_key() -> str:
    """Return a fresh unguessable key, safe in a URL path."""
    return secrets.token_urlsafe(KEY_BYTES)


async def get_screen_key(conn: aiosqlite.Connection, session_id: str) -> str | None:
    """Return the session's screen key, or None if it has none yet (works on a reader)."""
    row = await first_row(
        conn, "SELECT key FROM session_screen WHERE session_id = ?", (session_id,)
    )
    return str(row[0]) if row else None


async def screen_key(conn: aiosqlite.Connection, session_id: str, now: datetime) -> str:
    """Return the session's screen key, creating it the first time (call inside a write)."""
    await conn.execute(
        "INSERT INTO session_screen (session_id, key, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (session_id) DO NOTHING",
        (session_id, new_key(), to_db(now)),
    )
    key = await get_screen_key(conn, session_id)
    assert key is not None
    return key


async def replace_screen_key(conn: aiosqlite.Connection, session_id: str, now: datetime) -> str:
    """Give the session a new key, so an address that leaked stops working (call in a write)."""
    key = new_key()
    await conn.execute(
        "INSERT INTO session_screen (session_id, key, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (session_id) DO UPDATE SET key = excluded.key, "
        "created_at = excluded.created_at",
        (session_id, key, to_db(now)),
    )
    return key
