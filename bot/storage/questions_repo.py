"""SQL for questions, their audit events, votes, co-askers and blocks; returns plain dataclasses.

Every function takes an open connection: writes run inside `Database.write` (or a batcher), reads
inside `Database.read`. State changes are atomic `UPDATE ... WHERE id = ? AND state IN (...)`
statements checked by their row count, each written with its audit event.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.database import Statement, changes, first_row, rows_in
from bot.timeutil import from_db, to_db

log = logging.getLogger(__name__)

# SQLite accepts at least 32766 bound parameters; stay well below for IN (...) lists.


@dataclass(slots=True)
class Question:
    """One question of one run, as stored."""

    id: int
    run_id: int
    number: int
    text: str
    state: str
    votes: int
    anonymous: bool
    author_id: int
    author_name: str | None
    speaker_id: str | None
    label_id: str | None
    asked_at: datetime
    updated_at: datetime
    answered_at: datetime | None = None
    merged_into: int | None = None
    source: str = "slash"
    source_message_id: int | None = None
    card_message_id: int | None = None
    vote_message_id: int | None = None
    co_askers: int = 0
    live_message_id: int | None = None
    card_error: str | None = None
    vote_error: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of a question's audit trail."""

    question_id: int
    action: str
    actor_id: int | None
    actor_name: str | None
    at: datetime
    from_state: str | None
    to_state: str | None
    reason: str | None
    detail: str | None


_QUESTION_COLUMNS = (
    "q.id, q.run_id, q.number, q.text, q.state, q.votes, q.anonymous, q.author_id, "
    "q.author_name, q.speaker_id, q.label_id, q.asked_at, q.updated_at, q.answered_at, "
    "q.merged_into, q.source, q.source_message_id, q.card_message_id, q.vote_message_id, "
    "(SELECT COUNT(*) FROM co_askers c WHERE c.question_id = q.id) AS co_askers, "
    "q.live_message_id, q.card_error, q.vote_error"
)


def _question(row: aiosqlite.Row) -> Question:
    return Question(
        id=row["id"],
        run_id=row["run_id"],
        number=row["number"],
        text=row["text"],
        state=row["state"],
        votes=row["votes"],
        anonymous=bool(row["anonymous"]),
        author_id=row["author_id"],
        author_name=row["author_name"],
        speaker_id=row["speaker_id"],
        label_id=row["label_id"],
        asked_at=from_db(row["asked_at"]),
        updated_at=from_db(row["updated_at"]),
        answered_at=from_db(row["answered_at"]) if row["answered_at"] else None,
        merged_into=row["merged_into"],
        source=row["source"],
        source_message_id=row["source_message_id"],
        card_message_id=row["card_message_id"],
        vote_message_id=row["vote_message_id"],
        co_askers=row["co_askers"],
        live_message_id=row["live_message_id"],
        card_error=row["card_error"],
        vote_error=row["vote_error"],
    )


def _event(row: aiosqlite.Row) -> Event:
    return Event(
        question_id=row["question_id"],
        action=row["action"],
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        at=from_db(row["at"]),
        from_state=row["from_state"],
        to_state=row["to_state"],
        reason=row["reason"],
        detail=row["detail"],
    )


# --------------------------------------------------------------------- reads


async def get_question(conn: aiosqlite.Connection, question_id: int) -> Question | None:
    """Return one question by its id."""
    row = await first_row(
        conn, f"SELECT {_QUESTION_COLUMNS} FROM questions q WHERE q.id = ?", (question_id,)
    )
    return _question(row) if row else None


async def get_by_number(conn: aiosqlite.Connection, run_id: int, number: int) -> Question | None:
    """Return the question #number of a run."""
    row = await first_row(
        conn,
        f"SELECT {_QUESTION_COLUMNS} FROM questions q WHERE q.run_id = ? AND q.number = ?",
        (run_id, number),
    )
    return _question(row) if row else None


async def ranked(
    conn: aiosqlite.Connection, run_id: int, limit: int, speaker_id: str | None = None
) -> list[Question]:
    """Return approved questions by votes (most first), then age (oldest first)."""
    sql = f"SELECT {_QUESTION_COLUMNS} FROM questions q WHERE q.run_id = ? AND q.state = 'approved'"
    params: list[Any] = [run_id]
    if speaker_id is not None:
        sql += " AND q.speaker_id = ?"
        params.append(speaker_id)
    sql += " ORDER BY q.votes DESC, q.asked_at ASC LIMIT ?"
    params.append(limit)
    rows = await conn.execute_fetchall(sql, params)
    return [_question(r) for r in rows]


async def live_questions(conn: aiosqlite.Connection, run_id: int) -> list[Question]:
    """Return the run's live question(s) (normally none or one)."""
    rows = await conn.execute_fetchall(
        f"SELECT {_QUESTION_COLUMNS} FROM questions q WHERE q.run_id = ? AND q.state = 'live' "
        "ORDER BY q.updated_at",
        (run_id,),
    )
    return [_question(r) for r in rows]


async def by_author(conn: aiosqlite.Connection, run_id: int, author_id: int) -> list[Question]:
    """Return a person's own questions of a run, by number."""
    rows = await conn.execute_fetchall(
        f"SELECT {_QUESTION_COLUMNS} FROM questions q WHERE q.run_id = ? AND q.author_id = ? "
        "ORDER BY q.asked_at, q.number",
        (run_id, author_id),
    )
    return [_question(r) for r in rows]


async def by_ids(conn: aiosqlite.Connection, question_ids: Sequence[int]) -> list[Question]:
    """Return the questions with these ids, oldest (lowest id) first."""
    rows = await rows_in(
        conn,
        f"SELECT {_QUESTION_COLUMNS} FROM questions q WHERE q.id IN ({{marks}}) ORDER BY q.id",
        question_ids,
    )
    return [_question(r) for r in rows]


async def undelivered(conn: aiosqlite.Connection, run_id: int) -> list[Question]:
    """Return the run's questions still missing a message: a moderation card, or (while
    approved or live) the public vote message; oldest first."""
    rows = await conn.execute_fetchall(
        f"SELECT {_QUESTION_COLUMNS} FROM questions q WHERE q.run_id = ? AND ("
        "(q.card_message_id IS NULL AND q.card_error IS NULL) OR "
        "(q.vote_message_id IS NULL AND q.vote_error IS NULL "
        "AND q.state IN ('approved', 'live')) OR "
        "(q.live_message_id IS NULL AND q.state = 'live')) ORDER BY q.id",
        (run_id,),
    )
    return [_question(r) for r in rows]


async def card_is_shared(conn: aiosqlite.Connection, question_id: int, message_id: int) -> bool:
    """Say whether other questions share this card message (a digest card)."""
    return (
        await first_row(
            conn,
            "SELECT 1 FROM questions WHERE card_message_id = ? AND id <> ? LIMIT 1",
            (message_id, question_id),
        )
        is not None
    )


async def events(conn: aiosqlite.Connection, question_id: int) -> list[Event]:
    """Return a question's audit trail, oldest first."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM question_events WHERE question_id = ? ORDER BY id", (question_id,)
    )
    return [_event(r) for r in rows]


async def last_event_into(conn: aiosqlite.Connection, question_id: int, state: str) -> Event | None:
    """Return the latest event that moved the question into `state`."""
    row = await first_row(
        conn,
        "SELECT * FROM question_events WHERE question_id = ? AND to_state = ? "
        "ORDER BY id DESC LIMIT 1",
        (question_id, state),
    )
    return _event(row) if row else None


async def is_blocked(conn: aiosqlite.Connection, session_id: str, user_id: int) -> bool:
    """Say whether a person is blocked from asking in a session."""
    return (
        await first_row(
            conn, "SELECT 1 FROM blocks WHERE session_id = ? AND user_id = ?", (session_id, user_id)
        )
        is not None
    )


async def has_vote(conn: aiosqlite.Connection, question_id: int, voter_id: int) -> bool:
    """Say whether a person votes for a question."""
    return (
        await first_row(
            conn,
            "SELECT 1 FROM votes WHERE question_id = ? AND voter_id = ?",
            (question_id, voter_id),
        )
        is not None
    )


# ---------------------------------------------------------- intake (batched)


def askers_query(session_id: str, run_id: int, user_ids: Sequence[int]) -> Statement:
    """The one query intake reads, for `parse_askers`: first the counters, then a row for each
    of these people blocked in the session or with a question in the run (in a burst, most
    have none)."""
    return (
        "SELECT 0, NULL, (SELECT COALESCE(MAX(id), 0) FROM questions), "
        "(SELECT COALESCE(MAX(number), 0) FROM questions WHERE run_id = ?), NULL "
        "UNION ALL "
        "SELECT 1, * FROM ("
        " SELECT p.value AS user_id, "
        " EXISTS (SELECT 1 FROM blocks b WHERE b.session_id = ? AND b.user_id = p.value) AS b, "
        " (SELECT MAX(q.asked_at) FROM questions q "
        "  WHERE q.run_id = ? AND q.author_id = p.value) AS last, "
        " (SELECT COUNT(*) FROM questions q WHERE q.run_id = ? AND q.author_id = p.value "
        "  AND q.state IN ('pending', 'approved')) "
        " FROM json_each(?) p"
        ") WHERE b OR last IS NOT NULL "
        "ORDER BY 1",
        (run_id, session_id, run_id, run_id, json.dumps(list(user_ids))),
    )


def parse_askers(
    rows: Iterable[Any],
) -> tuple[int, int, dict[int, tuple[bool, str | None, int]]]:
    """Read `askers_query`'s rows: the highest question id and the run's highest number (0 when
    none), and per person with a row (blocked in the session, last asked_at text in the run,
    questions waiting in the run). Waiting means pending review, or approved and not yet
    answered. Anyone without a row is not blocked and has asked nothing in the run."""
    found = iter(rows)
    counters = next(found)
    people = {int(r[1]): (bool(r[2]), r[3], int(r[4])) for r in found}
    return int(counters[2]), int(counters[3]), people


INTAKE_COLUMNS = (
    "id, run_id, number, author_id, author_name, anonymous, text, speaker_id, state, source, "
    "asked_at, source_message_id"
)
_INTAKE_WIDTH = len(INTAKE_COLUMNS.split(","))


def intake_rows_max() -> int:
    """The most rows one intake statement can carry: SQLite binds a limited number of
    parameters per statement (32766 since 3.32; builds may set it lower)."""
    probe = sqlite3.connect(":memory:")
    try:
        return max(1, probe.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // _INTAKE_WIDTH)
    finally:
        probe.close()


@functools.lru_cache(maxsize=8)
def _intake_sql(count: int) -> str:
    row = "(" + ", ".join("?" * _INTAKE_WIDTH) + ")"
    return f"INSERT INTO intake ({INTAKE_COLUMNS}) VALUES " + ", ".join([row] * count)


def intake_insert(rows: Sequence[Sequence[Any]]) -> Statement:
    """One statement that stores new questions with their "asked" events (migrations 0002 and
    0003): rows are in the order of `INTAKE_COLUMNS`, at most `intake_rows_max()` of them.

    A single statement applies whole or not at all. The values are bound as parameters of one
    multi-row VALUES list, which SQLite stores faster than rows it must first extract from JSON.
    """
    return _intake_sql(len(rows)), [value for row in rows for value in row]


# -------------------------------------------------------------------- writes


async def add_event(
    conn: aiosqlite.Connection,
    question_id: int,
    action: str,
    actor_id: int | None,
    actor_name: str | None,
    now: datetime,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Log one event of a question."""
    await conn.execute(
        "INSERT INTO question_events (question_id, action, actor_id, actor_name, at, "
        "from_state, to_state, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            question_id,
            action,
            actor_id,
            actor_name,
            to_db(now),
            from_state,
            to_state,
            reason,
            json.dumps(detail, ensure_ascii=False) if detail is not None else None,
        ),
    )


async def transition(
    conn: aiosqlite.Connection,
    question_id: int,
    from_state: str,
    to_state: str,
    now: datetime,
    action: str,
    actor_id: int | None,
    actor_name: str | None,
    *,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    merged_into: int | None = None,
) -> bool:
    """Move a question from `from_state` to `to_state` with its event; False if it was not there."""
    stamp = to_db(now)
    changed = (
        await changes(
            conn,
            "UPDATE questions SET state = ?, updated_at = ?, "
            "answered_at = CASE WHEN ? = 'answered' THEN ? ELSE answered_at END, "
            "merged_into = COALESCE(?, merged_into) "
            "WHERE id = ? AND state = ?",
            (to_state, stamp, to_state, stamp, merged_into, question_id, from_state),
        )
        == 1
    )
    if changed:
        log.debug(
            "question %d: %s -> %s (%s) by %s", question_id, from_state, to_state, action, actor_id
        )
        await add_event(
            conn,
            question_id,
            action,
            actor_id,
            actor_name,
            now,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            detail=detail,
        )
    return changed


async def set_text(
    conn: aiosqlite.Connection,
    question_id: int,
    text: str,
    now: datetime,
    *,
    only_state: str | None = None,
) -> bool:
    """Replace a question's text, only while it is in `only_state` if given; say whether it
    was replaced (the caller logs the previous text in an event)."""
    where, params = ("", ()) if only_state is None else (" AND state = ?", (only_state,))
    sql = f"UPDATE questions SET text = ?, updated_at = ? WHERE id = ?{where}"
    return await changes(conn, sql, (text, to_db(now), question_id, *params)) == 1


async def set_label(
    conn: aiosqlite.Connection, question_id: int, label_id: str | None, now: datetime
) -> None:
    """Give a question a label (or none)."""
    await conn.execute(
        "UPDATE questions SET label_id = ?, updated_at = ? WHERE id = ?",
        (label_id, to_db(now), question_id),
    )


async def set_card_message(conn: aiosqlite.Connection, question_id: int, message_id: int) -> None:
    """Remember the moderation card's message id."""
    await conn.execute(
        "UPDATE questions SET card_message_id = ? WHERE id = ?", (message_id, question_id)
    )


async def set_card_messages(
    conn: aiosqlite.Connection, question_ids: Sequence[int], message_id: int
) -> None:
    """Remember one digest card as the card of several questions."""
    await conn.executemany(
        "UPDATE questions SET card_message_id = ? WHERE id = ?",
        [(message_id, qid) for qid in question_ids],
    )


async def set_live_message(conn: aiosqlite.Connection, question_id: int, message_id: int) -> None:
    """Remember the live channel's announcement of the question."""
    await conn.execute(
        "UPDATE questions SET live_message_id = ? WHERE id = ?", (message_id, question_id)
    )


async def set_refused(
    conn: aiosqlite.Connection, question_ids: Sequence[int], kind: str, reason: str
) -> None:
    """Mark a card or vote message Discord refuses for good, with its reason: it is not tried
    again, and the messages behind it go on."""
    column = {"card": "card_error", "vote": "vote_error"}[kind]
    await conn.executemany(
        f"UPDATE questions SET {column} = ? WHERE id = ?", [(reason, qid) for qid in question_ids]
    )


async def set_vote_message(conn: aiosqlite.Connection, question_id: int, message_id: int) -> None:
    """Remember the public vote message's id."""
    await conn.execute(
        "UPDATE questions SET vote_message_id = ? WHERE id = ?", (message_id, question_id)
    )


async def toggle_vote(
    conn: aiosqlite.Connection, question_id: int, voter_id: int, now: datetime
) -> tuple[bool, int]:
    """Add or remove a person's vote; keep questions.votes equal to the rows. Return
    (voted now, vote count)."""
    removed = (
        await changes(
            conn,
            "DELETE FROM votes WHERE question_id = ? AND voter_id = ?",
            (question_id, voter_id),
        )
        == 1
    )
    if removed:
        delta = -1
    else:
        await conn.execute(
            "INSERT INTO votes (question_id, voter_id, at) VALUES (?, ?, ?)",
            (question_id, voter_id, to_db(now)),
        )
        delta = 1
    row = await first_row(
        conn,
        "UPDATE questions SET votes = votes + ? WHERE id = ? RETURNING votes",
        (delta, question_id),
    )
    return not removed, int(row[0]) if row else 0


async def move_votes_and_askers(
    conn: aiosqlite.Connection, duplicate: Question, kept: Question, now: datetime
) -> int:
    """Carry a duplicate's voters and asker (with its own co-askers) over to the kept question.

    Nothing here depends on who asked either question, so the kept question's new count and its
    "also asked" tell nothing about an anonymous asker: every voter of the duplicate votes for
    the kept question (once), and the duplicate's asker joins its co-askers, not its voters.
    Returns the kept question's new count.
    """
    await conn.execute(
        "INSERT OR IGNORE INTO votes (question_id, voter_id, at) "
        "SELECT ?, voter_id, at FROM votes WHERE question_id = ?",
        (kept.id, duplicate.id),
    )
    await conn.execute("DELETE FROM votes WHERE question_id = ?", (duplicate.id,))
    await conn.execute("UPDATE questions SET votes = 0 WHERE id = ?", (duplicate.id,))
    await conn.execute(
        "UPDATE co_askers SET question_id = ? WHERE question_id = ?", (kept.id, duplicate.id)
    )
    await conn.execute(
        "INSERT OR IGNORE INTO co_askers (question_id, user_id, anonymous, from_question_id) "
        "VALUES (?, ?, ?, ?)",
        (kept.id, duplicate.author_id, int(duplicate.anonymous), duplicate.id),
    )
    row = await first_row(
        conn,
        "UPDATE questions SET votes = (SELECT COUNT(*) FROM votes WHERE question_id = ?), "
        "updated_at = ? WHERE id = ? RETURNING votes",
        (kept.id, to_db(now), kept.id),
    )
    return int(row[0]) if row else 0


async def block(
    conn: aiosqlite.Connection,
    session_id: str,
    user_id: int,
    blocked_by: int | None,
    now: datetime,
    reason: str | None = None,
    *,
    question: Question | None = None,
) -> bool:
    """Block a person from asking in a session: as a member (/qa block), or as the author of
    `question` (its card's "Block author"). False if that same block exists already; other
    blocks of the person do not count, so the answer never tells about them."""
    return (
        await changes(
            conn,
            "INSERT OR IGNORE INTO blocks "
            "(session_id, user_id, blocked_by, at, reason, question_id, anonymous) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                session_id,
                user_id,
                blocked_by,
                to_db(now),
                reason,
                question.id if question else None,
                int(question.anonymous) if question else 0,
            ),
        )
        == 1
    )


async def unblock(conn: aiosqlite.Connection, session_id: str, user_id: int) -> bool:
    """Lift a member's block made with /qa block; False if there is none. Blocks made from a
    question's card stay: they are lifted from that card."""
    return (
        await changes(
            conn,
            "DELETE FROM blocks WHERE session_id = ? AND user_id = ? AND question_id IS NULL",
            (session_id, user_id),
        )
        == 1
    )


async def unblock_author(conn: aiosqlite.Connection, session_id: str, question_id: int) -> bool:
    """Lift the block made from this question's card; False if there is none."""
    return (
        await changes(
            conn,
            "DELETE FROM blocks WHERE session_id = ? AND question_id = ?",
            (session_id, question_id),
        )
        == 1
    )
