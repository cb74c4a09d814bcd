"""SQL that reads a run's whole log for reports and exports, in a few set-wise queries."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiosqlite

from bot.storage.database import first_row


async def runs(
    conn: aiosqlite.Connection, session_id: str | None, kind: str, run_id: int | None = None
) -> list[aiosqlite.Row]:
    """Return the runs of a kind (optionally of one session, or just one run) with their
    session's stored file."""
    sql = (
        "SELECT r.*, s.title AS session_title, s.timezone AS session_timezone, s.spec AS spec "
        "FROM runs r JOIN sessions s ON s.id = r.session_id WHERE r.kind = ?"
    )
    params: list[object] = [kind]
    if session_id is not None:
        sql += " AND r.session_id = ?"
        params.append(session_id)
    if run_id is not None:
        sql += " AND r.id = ?"
        params.append(run_id)
    sql += " ORDER BY r.session_id, r.id"
    return list(await conn.execute_fetchall(sql, params))


async def session_ids(conn: aiosqlite.Connection) -> list[str]:
    """Return every session id in the log."""
    return [row[0] for row in await conn.execute_fetchall("SELECT id FROM sessions ORDER BY id")]


QUESTION_COLUMNS = (
    "id",
    "number",
    "text",
    "state",
    "votes",
    "anonymous",
    "author_id",
    "author_name",
    "speaker_id",
    "label_id",
    "source",
    "asked_at",
    "answered_at",
    "merged_into_number",
)
EVENT_COLUMNS = (
    "question_id",
    "action",
    "actor_id",
    "actor_name",
    "at",
    "reason",
    "from_state",
    "to_state",
    "detail",
)
CHUNK = 5000


async def questions(conn: aiosqlite.Connection, run_id: int) -> list[aiosqlite.Row]:
    """Return the run's questions in number order, with the number each was merged into;
    columns (by position) as in QUESTION_COLUMNS."""
    return list(
        await conn.execute_fetchall(
            "SELECT q.id, q.number, q.text, q.state, q.votes, q.anonymous, q.author_id, "
            "q.author_name, q.speaker_id, q.label_id, q.source, q.asked_at, q.answered_at, "
            "m.number AS merged_into_number FROM questions q "
            "LEFT JOIN questions m ON m.id = q.merged_into "
            "WHERE q.run_id = ? ORDER BY q.number",
            (run_id,),
        )
    )


async def events(conn: aiosqlite.Connection, run_id: int) -> AsyncIterator[list[aiosqlite.Row]]:
    """Yield every event of the run's questions in chunks: question by question (in number
    order), each question's events in the order they happened; columns (by position) as in
    EVENT_COLUMNS. The order follows the indexes, so SQLite needs no sort."""
    async with conn.execute(
        "SELECT e.question_id, e.action, e.actor_id, e.actor_name, e.at, e.reason, "
        "e.from_state, e.to_state, e.detail "
        "FROM question_events e JOIN questions q ON q.id = e.question_id "
        "WHERE q.run_id = ? ORDER BY q.number, e.id",
        (run_id,),
    ) as cursor:
        while rows := list(await cursor.fetchmany(CHUNK)):
            yield rows


async def answers(conn: aiosqlite.Connection, run_id: int) -> list[aiosqlite.Row]:
    """Return the run's written and follow-up answers, oldest first: (question id, answerer's
    name, role, speaker id, text, private, source, at). A private answer's text is not read:
    it was meant for the asker only and no report shows it."""
    return list(
        await conn.execute_fetchall(
            "SELECT a.question_id, a.author_name, a.role, a.speaker_id, "
            "CASE WHEN a.private THEN NULL ELSE a.text END, a.private, a.source, a.created_at "
            "FROM answers a JOIN questions q ON q.id = a.question_id "
            "WHERE q.run_id = ? ORDER BY a.id",
            (run_id,),
        )
    )


async def co_askers(conn: aiosqlite.Connection, run_id: int) -> list[aiosqlite.Row]:
    """Return who else asked each question (merged duplicates)."""
    return list(
        await conn.execute_fetchall(
            "SELECT c.* FROM co_askers c JOIN questions q ON q.id = c.question_id "
            "WHERE q.run_id = ?",
            (run_id,),
        )
    )


async def vote_count(conn: aiosqlite.Connection, run_id: int) -> tuple[int, int]:
    """Return (votes cast, distinct voters) in the run."""
    rows = await conn.execute_fetchall(
        "SELECT COUNT(*), COUNT(DISTINCT v.voter_id) FROM votes v "
        "JOIN questions q ON q.id = v.question_id WHERE q.run_id = ?",
        (run_id,),
    )
    row = next(iter(rows))
    return int(row[0]), int(row[1])


async def posts(conn: aiosqlite.Connection, run_id: int) -> list[aiosqlite.Row]:
    """Return the run's program posts in due order."""
    return list(
        await conn.execute_fetchall(
            "SELECT * FROM posts WHERE run_id = ? ORDER BY due_at, key", (run_id,)
        )
    )


async def run_events(conn: aiosqlite.Connection, run_id: int) -> list[aiosqlite.Row]:
    """Return the run's session-level events (intake, delays, skipped posts)."""
    return list(
        await conn.execute_fetchall(
            "SELECT * FROM run_events WHERE run_id = ? ORDER BY id", (run_id,)
        )
    )


async def anonymization(
    conn: aiosqlite.Connection, session_id: str, since: str
) -> aiosqlite.Row | None:
    """Return the session's latest anonymization (at, before) done at `since` (a run's start,
    as stored) or later, or None if it had none."""
    return await first_row(
        conn,
        "SELECT at, before FROM anonymizations WHERE session_id = ? AND at >= ? "
        "ORDER BY id DESC LIMIT 1",
        (session_id, since),
    )
