"""SQL for sessions and runs, shared by every part of the bot; returns plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import aiosqlite

from bot.sessions import Session
from bot.states import ALL
from bot.storage.database import first_row
from bot.timeutil import from_db, to_db

RunKind = Literal["real", "rehearsal"]
REHEARSAL_LEAD = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Run:
    """One playing of a session: the real one, or a rehearsal."""

    id: int
    session_id: str
    kind: RunKind
    created_at: datetime
    anchor_at: datetime | None
    speed: float
    delay_seconds: int
    intake_override: str | None
    ended_at: datetime | None
    guild_id: int | None = None  # the Discord server the run is pinned to

    @property
    def is_rehearsal(self) -> bool:
        return self.kind == "rehearsal"


def run_from_row(row: aiosqlite.Row) -> Run:
    return Run(
        id=row["id"],
        session_id=row["session_id"],
        kind=row["kind"],
        created_at=from_db(row["created_at"]),
        anchor_at=from_db(row["anchor_at"]) if row["anchor_at"] else None,
        speed=row["speed"],
        delay_seconds=row["delay_seconds"],
        intake_override=row["intake_override"],
        ended_at=from_db(row["ended_at"]) if row["ended_at"] else None,
        guild_id=row["guild_id"],
    )


async def upsert_session(conn: aiosqlite.Connection, session: Session, now: datetime) -> None:
    """Record a session and its file's content, keeping the first time it was seen."""
    spec = session.spec
    await conn.execute(
        "INSERT INTO sessions (id, title, timezone, spec, first_seen) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET title = excluded.title, timezone = excluded.timezone, "
        "spec = excluded.spec",
        (spec.id, spec.title, spec.timezone, spec.model_dump_json(), to_db(now)),
    )


async def get_run(conn: aiosqlite.Connection, run_id: int) -> Run | None:
    """Return one run by id."""
    row = await first_row(conn, "SELECT * FROM runs WHERE id = ?", (run_id,))
    return run_from_row(row) if row else None


async def real_run(conn: aiosqlite.Connection, session_id: str, now: datetime) -> Run:
    """Return the session's real run, creating it the first time."""
    await conn.execute(
        "INSERT INTO runs (session_id, kind, created_at) VALUES (?, 'real', ?) "
        "ON CONFLICT DO NOTHING",
        (session_id, to_db(now)),
    )
    row = await first_row(
        conn, "SELECT * FROM runs WHERE session_id = ? AND kind = 'real'", (session_id,)
    )
    assert row is not None
    return run_from_row(row)


async def rehearsal_run(
    conn: aiosqlite.Connection, session_id: str, speed: float, now: datetime
) -> Run:
    """Return the session's unfinished rehearsal at `speed`, or start a new one.

    A new rehearsal's first segment starts REHEARSAL_LEAD after now: the run is made while the
    bot starts, and the lead lets it finish connecting so the first post is on time.
    """
    row = await first_row(
        conn,
        "SELECT * FROM runs WHERE session_id = ? AND kind = 'rehearsal' AND ended_at IS NULL "
        "AND speed = ? ORDER BY id DESC LIMIT 1",
        (session_id, speed),
    )
    if row is not None:
        return run_from_row(row)
    anchor = now + REHEARSAL_LEAD
    cur = await conn.execute(
        "INSERT INTO runs (session_id, kind, created_at, anchor_at, speed) "
        "VALUES (?, 'rehearsal', ?, ?, ?)",
        (session_id, to_db(now), to_db(anchor), speed),
    )
    run = await get_run(conn, int(cur.lastrowid or 0))
    assert run is not None
    return run


async def end_run(conn: aiosqlite.Connection, run_id: int, now: datetime) -> None:
    """Mark a rehearsal as played to its end, so the next rehearsal starts afresh."""
    await conn.execute(
        "UPDATE runs SET ended_at = ? WHERE id = ? AND ended_at IS NULL", (to_db(now), run_id)
    )


async def pin_run(conn: aiosqlite.Connection, run_id: int, guild_id: int, now: datetime) -> None:
    """Record the Discord server a run is pinned to (it holds across restarts)."""
    await conn.execute("UPDATE runs SET guild_id = ? WHERE id = ?", (guild_id, run_id))
    await add_run_event(conn, run_id, "pinned", None, now, detail=str(guild_id))


async def set_intake_override(
    conn: aiosqlite.Connection, run_id: int, value: str | None, actor_id: int | None, now: datetime
) -> None:
    """Open or close intake by hand ('open', 'closed'), or follow the schedule again (None)."""
    await conn.execute("UPDATE runs SET intake_override = ? WHERE id = ?", (value, run_id))
    await add_run_event(conn, run_id, f"intake_{value or 'scheduled'}", actor_id, now)


async def add_delay(
    conn: aiosqlite.Connection, run_id: int, seconds: int, actor_id: int | None, now: datetime
) -> int:
    """Add `seconds` to the run's program delay and return the new total."""
    await conn.execute(
        "UPDATE runs SET delay_seconds = delay_seconds + ? WHERE id = ?", (seconds, run_id)
    )
    await add_run_event(conn, run_id, "delay", actor_id, now, detail=str(seconds))
    row = await first_row(conn, "SELECT delay_seconds FROM runs WHERE id = ?", (run_id,))
    return int(row[0]) if row else 0


async def add_run_event(
    conn: aiosqlite.Connection,
    run_id: int,
    action: str,
    actor_id: int | None,
    now: datetime,
    detail: str | None = None,
) -> None:
    """Log a session-level event (intake opened or closed, delay, skipped post)."""
    await conn.execute(
        "INSERT INTO run_events (run_id, action, actor_id, at, detail) VALUES (?, ?, ?, ?, ?)",
        (run_id, action, actor_id, to_db(now), detail),
    )


async def state_counts(conn: aiosqlite.Connection, run_id: int) -> dict[str, int]:
    """Return how many questions of the run are in each state (every state present)."""
    counts: dict[str, int] = dict.fromkeys(ALL, 0)
    for state, count in await conn.execute_fetchall(
        "SELECT state, n FROM question_counts WHERE run_id = ?", (run_id,)
    ):
        counts[state] = count
    return counts


async def get_meta(conn: aiosqlite.Connection, key: str) -> str | None:
    """Return a stored fact about the bot itself, or None."""
    row = await first_row(conn, "SELECT value FROM meta WHERE key = ?", (key,))
    return str(row[0]) if row else None


async def set_meta(conn: aiosqlite.Connection, key: str, value: str) -> None:
    """Store a fact about the bot itself."""
    await conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
