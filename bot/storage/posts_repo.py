"""SQL for program posts (claimed before sending, completed after) and what the schedule reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.database import changes, first_row
from bot.timeutil import from_db, to_db


@dataclass(frozen=True, slots=True)
class PostRecord:
    """A program post of a run as recorded: claimed, posted, skipped or failed."""

    key: str
    due_at: datetime
    status: str
    late: bool
    claimed_at: datetime
    posted_at: datetime | None
    message_id: int | None
    channel_id: int | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class TopQuestion:
    """The approved question with the most votes (the oldest first among equals)."""

    number: int
    text: str
    votes: int


def _record(row: aiosqlite.Row) -> PostRecord:
    return PostRecord(
        key=row["key"],
        due_at=from_db(row["due_at"]),
        status=row["status"],
        late=bool(row["late"]),
        claimed_at=from_db(row["claimed_at"]),
        posted_at=from_db(row["posted_at"]) if row["posted_at"] else None,
        message_id=row["message_id"],
        channel_id=row["channel_id"],
        detail=row["detail"],
    )


async def posts_of_run(conn: aiosqlite.Connection, run_id: int) -> dict[str, PostRecord]:
    """Return every recorded post of a run by key, in the order they were claimed."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM posts WHERE run_id = ? ORDER BY claimed_at, rowid", (run_id,)
    )
    return {row["key"]: _record(row) for row in rows}


async def claim_post(
    conn: aiosqlite.Connection,
    run_id: int,
    key: str,
    due_at: datetime,
    now: datetime,
    *,
    late: bool,
) -> bool:
    """Claim a post before sending it; False if it was already claimed (never send it twice)."""
    return (
        await changes(
            conn,
            "INSERT INTO posts (run_id, key, due_at, status, late, claimed_at) "
            "VALUES (?, ?, ?, 'claimed', ?, ?) ON CONFLICT (run_id, key) DO NOTHING",
            (run_id, key, to_db(due_at), int(late), to_db(now)),
        )
        == 1
    )


async def mark_posted(
    conn: aiosqlite.Connection,
    run_id: int,
    key: str,
    message_id: int | None,
    channel_id: int | None,
    now: datetime,
    detail: str | None = None,
) -> None:
    """Record that a claimed post was sent, with its message."""
    await conn.execute(
        "UPDATE posts SET status = 'posted', posted_at = ?, message_id = ?, channel_id = ?, "
        "detail = ? WHERE run_id = ? AND key = ? AND status = 'claimed'",
        (to_db(now), message_id, channel_id, detail, run_id, key),
    )


async def mark_failed(conn: aiosqlite.Connection, run_id: int, key: str, detail: str) -> None:
    """Record that sending a claimed post failed (a later retry may pick it up)."""
    await conn.execute(
        "UPDATE posts SET status = 'failed', detail = ? "
        "WHERE run_id = ? AND key = ? AND status = 'claimed'",
        (detail, run_id, key),
    )


async def reclaim_failed(
    conn: aiosqlite.Connection, run_id: int, key: str, now: datetime, *, late: bool
) -> bool:
    """Claim a post whose sending failed, to try again; False if someone else did."""
    return (
        await changes(
            conn,
            "UPDATE posts SET status = 'claimed', claimed_at = ?, late = ? "
            "WHERE run_id = ? AND key = ? AND status = 'failed'",
            (to_db(now), int(late), run_id, key),
        )
        == 1
    )


async def skip_post(
    conn: aiosqlite.Connection,
    run_id: int,
    key: str,
    due_at: datetime,
    now: datetime,
    reason: str,
    *,
    late: bool = False,
) -> bool:
    """Record a post that will not be sent, and why; False if it was already recorded."""
    return (
        await changes(
            conn,
            "INSERT INTO posts (run_id, key, due_at, status, late, claimed_at, detail) "
            "VALUES (?, ?, ?, 'skipped', ?, ?, ?) ON CONFLICT (run_id, key) DO NOTHING",
            (run_id, key, to_db(due_at), int(late), to_db(now), reason),
        )
        == 1
    )


async def top_approved(conn: aiosqlite.Connection, run_id: int) -> TopQuestion | None:
    """Return the approved question ranked first: most votes, then asked earliest."""
    row = await first_row(
        conn,
        "SELECT number, text, votes FROM questions WHERE run_id = ? AND state = 'approved' "
        "ORDER BY votes DESC, asked_at ASC, id ASC LIMIT 1",
        (run_id,),
    )
    return TopQuestion(row["number"], row["text"], row["votes"]) if row else None
