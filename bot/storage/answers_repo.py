"""SQL for written answers, the threads and forum posts they live in, who wants notices, and the
notices outbox (migration 0007); returns plain dataclasses.

Every function takes an open connection: writes run inside `Database.write`, reads inside
`Database.read`. Notices are made from question events by `queue_notices`, which reads every
event after the outbox's cursor and moves the cursor in the same transaction: each event is
turned into notices exactly once, whenever (and after however many restarts) it runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.database import changes, first_row, rows_in
from bot.timeutil import from_db, to_db

#: What each notice is about.
NOTICE_KINDS = ("approved", "rejected", "merged", "live", "answered", "followup")
#: Events that make notices (see `queue_notices`).
WRITTEN = "answered_in_writing"
FOLLOWUP = "followup_answered"
#: A notice failing this often is not tried again: the member sees it in /myquestions.
MAX_ATTEMPTS = 3
ERROR_TEXT = 300


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer to one question, as stored."""

    id: int
    question_id: int
    author_id: int
    author_name: str | None
    role: str  # moderator | speaker
    speaker_id: str | None
    text: str
    private: bool
    source: str  # written | followup
    created_at: datetime
    thread_id: int | None
    message_id: int | None


@dataclass(frozen=True, slots=True)
class Thread:
    """A question's answer thread or follow-up forum post."""

    question_id: int
    kind: str  # answers | followup
    status: str  # claimed | posted | failed
    thread_id: int | None
    claimed_at: datetime
    posted_at: datetime | None
    first_answer_at: datetime | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice of the outbox."""

    id: int
    question_id: int
    event_id: int
    recipient_id: int
    kind: str
    detail: dict[str, Any]
    created_at: datetime
    status: str
    attempts: int
    last_attempt_at: datetime | None
    sent_at: datetime | None
    error: str | None


@dataclass(frozen=True, slots=True)
class LivePost:
    """Where a question was announced on screen."""

    question_id: int
    channel_id: int
    message_id: int


def _time(text: str | None) -> datetime | None:
    return from_db(text) if text else None


def _answer(row: aiosqlite.Row) -> Answer:
    return Answer(
        id=row["id"],
        question_id=row["question_id"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        role=row["role"],
        speaker_id=row["speaker_id"],
        text=row["text"],
        private=bool(row["private"]),
        source=row["source"],
        created_at=from_db(row["created_at"]),
        thread_id=row["thread_id"],
        message_id=row["message_id"],
    )


def _thread(row: aiosqlite.Row) -> Thread:
    return Thread(
        question_id=row["question_id"],
        kind=row["kind"],
        status=row["status"],
        thread_id=row["thread_id"],
        claimed_at=from_db(row["claimed_at"]),
        posted_at=_time(row["posted_at"]),
        first_answer_at=_time(row["first_answer_at"]),
        error=row["error"],
    )


def _notice(row: aiosqlite.Row) -> Notice:
    return Notice(
        id=row["id"],
        question_id=row["question_id"],
        event_id=row["event_id"],
        recipient_id=row["recipient_id"],
        kind=row["kind"],
        detail=json.loads(row["detail"]) if row["detail"] else {},
        created_at=from_db(row["created_at"]),
        status=row["status"],
        attempts=row["attempts"],
        last_attempt_at=_time(row["last_attempt_at"]),
        sent_at=_time(row["sent_at"]),
        error=row["error"],
    )


# ------------------------------------------------------------------- answers


async def add_answer(
    conn: aiosqlite.Connection,
    question_id: int,
    author_id: int,
    author_name: str | None,
    role: str,
    speaker_id: str | None,
    text: str,
    private: bool,
    source: str,
    now: datetime,
    *,
    thread_id: int | None = None,
    message_id: int | None = None,
) -> Answer:
    """Store one answer; return it."""
    row = await first_row(
        conn,
        "INSERT INTO answers (question_id, author_id, author_name, role, speaker_id, text, "
        "private, source, created_at, thread_id, message_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (
            question_id,
            author_id,
            author_name,
            role,
            speaker_id,
            text,
            int(private),
            source,
            to_db(now),
            thread_id,
            message_id,
        ),
    )
    assert row is not None
    return _answer(row)


async def get_answer(conn: aiosqlite.Connection, answer_id: int) -> Answer | None:
    row = await first_row(conn, "SELECT * FROM answers WHERE id = ?", (answer_id,))
    return _answer(row) if row else None


async def answer_by_message(conn: aiosqlite.Connection, message_id: int) -> Answer | None:
    row = await first_row(conn, "SELECT * FROM answers WHERE message_id = ?", (message_id,))
    return _answer(row) if row else None


async def answers_of(conn: aiosqlite.Connection, question_ids: Sequence[int]) -> list[Answer]:
    """Every answer to these questions, oldest first."""
    rows = await rows_in(
        conn, "SELECT * FROM answers WHERE question_id IN ({marks}) ORDER BY id", question_ids
    )
    return sorted((_answer(r) for r in rows), key=lambda a: a.id)


async def answer_counts(
    conn: aiosqlite.Connection, question_ids: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """(public, private) answers per question, for those that have any."""
    rows = await rows_in(
        conn,
        "SELECT question_id, SUM(private = 0), SUM(private = 1) FROM answers "
        "WHERE question_id IN ({marks}) GROUP BY question_id",
        question_ids,
    )
    return {int(qid): (int(public), int(private)) for qid, public, private in rows}


async def unposted_answers(conn: aiosqlite.Connection, run_id: int) -> list[Answer]:
    """The run's public written answers not yet posted in Discord, oldest first."""
    rows = await conn.execute_fetchall(
        "SELECT a.* FROM answers a JOIN questions q ON q.id = a.question_id "
        "WHERE a.message_id IS NULL AND a.private = 0 AND q.run_id = ? ORDER BY a.id",
        (run_id,),
    )
    return [_answer(r) for r in rows]


async def set_answer_posted(
    conn: aiosqlite.Connection, answer_id: int, thread_id: int, message_id: int
) -> bool:
    """Record where a public answer was posted; False if it was already recorded (or private)."""
    return (
        await changes(
            conn,
            "UPDATE answers SET thread_id = ?, message_id = ? "
            "WHERE id = ? AND message_id IS NULL AND private = 0",
            (thread_id, message_id, answer_id),
        )
        == 1
    )


# ------------------------------------------------------------ threads, posts


async def get_thread(conn: aiosqlite.Connection, question_id: int, kind: str) -> Thread | None:
    row = await first_row(
        conn,
        "SELECT * FROM question_threads WHERE question_id = ? AND kind = ?",
        (question_id, kind),
    )
    return _thread(row) if row else None


async def thread_by_id(conn: aiosqlite.Connection, thread_id: int) -> Thread | None:
    row = await first_row(conn, "SELECT * FROM question_threads WHERE thread_id = ?", (thread_id,))
    return _thread(row) if row else None


async def threads_of(conn: aiosqlite.Connection, question_ids: Sequence[int]) -> list[Thread]:
    rows = await rows_in(
        conn, "SELECT * FROM question_threads WHERE question_id IN ({marks})", question_ids
    )
    return [_thread(r) for r in rows]


async def unfinished_threads(conn: aiosqlite.Connection, run_id: int) -> list[Thread]:
    """The run's threads claimed and never recorded, oldest first."""
    rows = await conn.execute_fetchall(
        "SELECT t.* FROM question_threads t JOIN questions q ON q.id = t.question_id "
        "WHERE q.run_id = ? AND t.status = 'claimed' AND t.thread_id IS NULL "
        "ORDER BY t.claimed_at",
        (run_id,),
    )
    return [_thread(r) for r in rows]


async def claim_thread(
    conn: aiosqlite.Connection, question_id: int, kind: str, now: datetime
) -> bool:
    """Claim the making of a question's thread or post: True if the caller should make it now
    (nothing recorded, or an earlier try failed); False if it exists or is being made."""
    stamp = to_db(now)
    return (
        await changes(
            conn,
            "INSERT INTO question_threads (question_id, kind, status, claimed_at) "
            "VALUES (?, ?, 'claimed', ?) "
            "ON CONFLICT (question_id, kind) DO UPDATE SET status = 'claimed', "
            "claimed_at = excluded.claimed_at, error = NULL WHERE status = 'failed'",
            (question_id, kind, stamp),
        )
        == 1
    )


async def record_thread(
    conn: aiosqlite.Connection, question_id: int, kind: str, thread_id: int, now: datetime
) -> bool:
    """Record the thread Discord made; True if recorded now, False if this same thread was
    already recorded. A different thread for a question that has one is refused (ValueError)."""
    current = await get_thread(conn, question_id, kind)
    if current is not None and current.thread_id is not None:
        if current.thread_id == thread_id:
            return False
        raise ValueError(f"question {question_id} already has its {kind} thread")
    await conn.execute(
        "INSERT INTO question_threads (question_id, kind, status, thread_id, claimed_at, "
        "posted_at) VALUES (?, ?, 'posted', ?, ?, ?) "
        "ON CONFLICT (question_id, kind) DO UPDATE SET status = 'posted', "
        "thread_id = excluded.thread_id, posted_at = excluded.posted_at, error = NULL",
        (question_id, kind, thread_id, to_db(now), to_db(now)),
    )
    return True


async def fail_thread(conn: aiosqlite.Connection, question_id: int, kind: str, error: str) -> None:
    """An attempt to make the thread failed: it may be claimed again."""
    await conn.execute(
        "UPDATE question_threads SET status = 'failed', error = ? "
        "WHERE question_id = ? AND kind = ? AND thread_id IS NULL",
        (error[:ERROR_TEXT], question_id, kind),
    )


async def mark_first_answer(
    conn: aiosqlite.Connection, question_id: int, kind: str, now: datetime
) -> bool:
    """Note the first answer in a thread; True only the first time."""
    return (
        await changes(
            conn,
            "UPDATE question_threads SET first_answer_at = ? "
            "WHERE question_id = ? AND kind = ? AND first_answer_at IS NULL",
            (to_db(now), question_id, kind),
        )
        == 1
    )


async def followup_candidates(conn: aiosqlite.Connection, run_id: int) -> list[int]:
    """Ids of the run's approved or live questions with no follow-up post made or being
    made (a failed try counts as none), by number."""
    rows = await conn.execute_fetchall(
        "SELECT q.id FROM questions q WHERE q.run_id = ? AND q.state IN ('approved', 'live') "
        "AND NOT EXISTS (SELECT 1 FROM question_threads t WHERE t.question_id = q.id "
        "AND t.kind = 'followup' AND t.status <> 'failed') ORDER BY q.number",
        (run_id,),
    )
    return [int(r[0]) for r in rows]


async def record_live_post(
    conn: aiosqlite.Connection, question_id: int, channel_id: int, message_id: int, now: datetime
) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO live_posts (question_id, channel_id, message_id, at) "
        "VALUES (?, ?, ?, ?)",
        (question_id, channel_id, message_id, to_db(now)),
    )


async def last_live_post(conn: aiosqlite.Connection, question_id: int) -> LivePost | None:
    row = await first_row(
        conn,
        "SELECT question_id, channel_id, message_id FROM live_posts WHERE question_id = ? "
        "ORDER BY at DESC, message_id DESC LIMIT 1",
        (question_id,),
    )
    return LivePost(row[0], row[1], row[2]) if row else None


# ------------------------------------------------------------- preferences


async def set_session_pref(
    conn: aiosqlite.Connection,
    session_id: str,
    user_id: int,
    own: bool,
    voted: bool | None,
    now: datetime,
) -> None:
    """Set a member's choice for a session (`voted` None: keep what it was, off at first)."""
    await conn.execute(
        "INSERT INTO notify_prefs (session_id, user_id, own, voted, updated_at) "
        "VALUES (?1, ?2, ?3, COALESCE(?4, 0), ?5) "
        "ON CONFLICT (session_id, user_id) DO UPDATE SET own = excluded.own, "
        "voted = COALESCE(?4, voted), updated_at = excluded.updated_at",
        (session_id, user_id, int(own), None if voted is None else int(voted), to_db(now)),
    )


async def session_pref(
    conn: aiosqlite.Connection, session_id: str, user_id: int
) -> tuple[bool, bool] | None:
    """A member's (own, voted) choice for a session, or None if they made none."""
    row = await first_row(
        conn,
        "SELECT own, voted FROM notify_prefs WHERE session_id = ? AND user_id = ?",
        (session_id, user_id),
    )
    return (bool(row[0]), bool(row[1])) if row else None


async def set_question_notify(
    conn: aiosqlite.Connection, question_id: int, user_id: int, wanted: bool, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO question_notify (question_id, user_id, wanted, updated_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (question_id, user_id) DO UPDATE SET "
        "wanted = excluded.wanted, updated_at = excluded.updated_at",
        (question_id, user_id, int(wanted), to_db(now)),
    )


async def question_notify(
    conn: aiosqlite.Connection, question_id: int, user_id: int
) -> bool | None:
    row = await first_row(
        conn,
        "SELECT wanted FROM question_notify WHERE question_id = ? AND user_id = ?",
        (question_id, user_id),
    )
    return bool(row[0]) if row else None


# ------------------------------------------------------------ the outbox

_EVENTS = (
    "SELECT e.id, e.question_id, e.action, e.to_state, e.reason, e.detail, "
    "q.author_id, q.merged_into, r.session_id FROM question_events e "
    "JOIN questions q ON q.id = e.question_id JOIN runs r ON r.id = q.run_id "
    "WHERE e.id > ? AND e.id <= ? AND ("
    # a pending duplicate is approved in the merge's own transaction, only to be merged: its
    # asker hears of the merge, not of that approval
    " (e.action = 'approved' AND e.from_state = 'pending' AND NOT ("
    "   COALESCE(e.reason, '') LIKE 'duplicate of #%' AND EXISTS ("
    "   SELECT 1 FROM question_events m WHERE m.id = e.id + 1 "
    "   AND m.question_id = e.question_id AND m.action = 'merged')))"
    " OR e.to_state IN ('rejected', 'merged', 'live')"
    " OR (e.action = 'answered' AND e.to_state = 'answered')"
    f" OR e.action IN ('{WRITTEN}', '{FOLLOWUP}')"
    ") ORDER BY e.id"
)


class _Choices:
    """Who wants notices, for one batch of events, read in a few queries: the askers' choices
    per question and per session, and the co-askers of the questions."""

    def __init__(
        self,
        per_question: dict[tuple[int, int], tuple[bool, str]],
        per_session: dict[tuple[str, int], bool],
        co_askers: dict[int, list[tuple[int, int]]],
    ) -> None:
        self.per_question = per_question
        self.per_session = per_session
        self.co_askers = co_askers

    @classmethod
    async def load(cls, conn: aiosqlite.Connection, events: Sequence[Sequence[Any]]) -> _Choices:
        question_ids = sorted({int(e[1]) for e in events})
        co: dict[int, list[tuple[int, int]]] = {}
        people: set[tuple[str, int]] = {(str(e[8]), int(e[6])) for e in events}
        sessions = {int(e[1]): str(e[8]) for e in events}
        for qid, user_id, origin in await rows_in(
            conn,
            "SELECT question_id, user_id, from_question_id FROM co_askers "
            "WHERE question_id IN ({marks}) ORDER BY question_id, from_question_id",
            question_ids,
        ):
            co.setdefault(int(qid), []).append((int(user_id), int(origin)))
            people.add((sessions[int(qid)], int(user_id)))
        asked = sorted(set(question_ids) | {o for pairs in co.values() for _, o in pairs})
        per_question: dict[tuple[int, int], tuple[bool, str]] = {}
        for qid, user_id, wanted, at in await rows_in(
            conn,
            "SELECT question_id, user_id, wanted, updated_at FROM question_notify "
            "WHERE question_id IN ({marks})",
            asked,
        ):
            per_question[(int(qid), int(user_id))] = (bool(wanted), str(at))
        per_session: dict[tuple[str, int], bool] = {}
        for sid, user_id, own in await conn.execute_fetchall(
            "SELECT p.session_id, p.user_id, p.own FROM json_each(?) j JOIN notify_prefs p "
            "ON p.session_id = json_extract(j.value, '$[0]') "
            "AND p.user_id = json_extract(j.value, '$[1]')",
            (json.dumps(sorted(people)),),
        ):
            per_session[(str(sid), int(user_id))] = bool(own)
        return cls(per_question, per_session, co)

    def wants(self, session_id: str, user_id: int, question_ids: Sequence[int]) -> bool:
        """Whether an asker wants notices about their question: their choice for that question
        (the latest, if they asked it twice through a merge), else their choice for the
        session, else no."""
        found = [
            self.per_question[(q, user_id)]
            for q in question_ids
            if (q, user_id) in self.per_question
        ]
        if found:
            return max(found, key=lambda choice: choice[1])[0]
        return self.per_session.get((session_id, user_id), False)

    def askers(self, session_id: str, question_id: int, author_id: int) -> list[tuple[int, str]]:
        """The asker and co-askers (merged duplicates' askers) who want notices: (id, as)."""
        found: list[tuple[int, str]] = []
        if author_id > 0 and self.wants(session_id, author_id, [question_id]):
            found.append((author_id, "asker"))
        for user_id, origin in self.co_askers.get(question_id, ()):
            if user_id > 0 and self.wants(session_id, user_id, [origin, question_id]):
                found.append((user_id, "co-asker"))
        return found


async def _followers(
    conn: aiosqlite.Connection, session_id: str, question_id: int
) -> list[tuple[int, str]]:
    """Members who chose to hear of a follow-up answer: those following the question, and its
    voters who chose so for the session (unless they said no for this question)."""
    rows = await conn.execute_fetchall(
        "SELECT user_id FROM question_notify WHERE question_id = ?1 AND wanted = 1 "
        "UNION "
        "SELECT v.voter_id FROM votes v "
        "JOIN notify_prefs p ON p.session_id = ?2 AND p.user_id = v.voter_id AND p.voted = 1 "
        "WHERE v.question_id = ?1 AND NOT EXISTS (SELECT 1 FROM question_notify n "
        "WHERE n.question_id = ?1 AND n.user_id = v.voter_id AND n.wanted = 0) "
        "ORDER BY 1",
        (question_id, session_id),
    )
    return [(int(r[0]), "follower") for r in rows if r[0] > 0]


#: Events read per sweep transaction at most, so one sweep never holds the writer for long.
SWEEP_EVENTS = 500


async def queue_notices(conn: aiosqlite.Connection, now: datetime) -> tuple[int, bool]:
    """Turn the question events after the cursor (at most SWEEP_EVENTS of them) into notices
    and move the cursor past them; return (notices queued, whether events remain).

    approved (from review), rejected (with the reason), merged (into #M), put on screen (live),
    answered (live, or in writing: each written answer) go to the asker and, from live on,
    co-askers, when they want notices. A private written answer goes to the asker only, always:
    it is meant for them and reaches nobody else. The first follow-up answer also goes to the
    members following the question and the voters who chose so.
    """
    cursor = await first_row(conn, "SELECT last_event_id FROM notice_cursor WHERE id = 1")
    last = int(cursor[0]) if cursor else 0
    # in one round trip: the last event of this sweep if there are at least SWEEP_EVENTS,
    # and the newest event (there are more to sweep when it is later than that)
    row = await first_row(
        conn,
        "SELECT (SELECT id FROM question_events WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?), "
        "(SELECT MAX(id) FROM question_events)",
        (last, SWEEP_EVENTS - 1),
    )
    assert row is not None
    full, newest = row[0], int(row[1] or 0)
    top = int(full) if full is not None else newest
    more = full is not None and newest > top
    if top <= last:
        return 0, False
    stamp = to_db(now)
    events = list(await conn.execute_fetchall(_EVENTS, (last, top)))
    choices = await _Choices.load(conn, events) if events else None
    rows: list[tuple[Any, ...]] = []
    for event in events:
        assert choices is not None
        event_id, question_id, action, to_state, reason, raw, author, merged_into, session_id = (
            event
        )
        detail: dict[str, Any] = json.loads(raw) if raw else {}
        if not isinstance(detail, dict):
            detail = {}
        kind: str
        extra: dict[str, Any] = {}
        recipients: list[tuple[int, str]]
        if action == WRITTEN:
            kind = "answered"
            private = bool(detail.get("private"))
            extra = {"answer": detail.get("answer"), "private": private}
            if private:
                recipients = [(author, "asker")] if author > 0 else []
            else:
                recipients = choices.askers(session_id, question_id, author)
        elif action == FOLLOWUP:
            kind = "followup"
            extra = {"answer": detail.get("answer")}
            recipients = choices.askers(session_id, question_id, author)
            recipients += await _followers(conn, session_id, question_id)
        elif to_state in ("live", "answered"):
            kind = to_state
            recipients = choices.askers(session_id, question_id, author)
        else:
            kind = to_state if to_state in ("rejected", "merged") else "approved"
            if kind == "rejected" and reason:
                extra = {"reason": reason}
            if kind == "merged":
                extra = {"into": detail.get("into"), "into_id": merged_into}
            wanted = author > 0 and choices.wants(session_id, author, [question_id])
            recipients = [(author, "asker")] if wanted else []
        seen: set[int] = set()
        for user_id, role in recipients:
            if user_id in seen:
                continue
            seen.add(user_id)
            body = {**extra, "as": role}
            rows.append((question_id, event_id, user_id, kind, json.dumps(body), stamp))
    queued = 0
    if rows:
        written = await conn.executemany(
            "INSERT OR IGNORE INTO notices (question_id, event_id, recipient_id, kind, detail, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        queued = max(0, written.rowcount)
    await conn.execute("UPDATE notice_cursor SET last_event_id = ? WHERE id = 1", (top,))
    return queued, more


async def due_notices(
    conn: aiosqlite.Connection, retry_before: datetime, limit: int
) -> list[Notice]:
    """Notices to send now, oldest first: never tried, or failed before `retry_before`."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM notices WHERE status = 'pending' "
        "OR (status = 'failed' AND last_attempt_at <= ?) ORDER BY id LIMIT ?",
        (to_db(retry_before), limit),
    )
    return [_notice(r) for r in rows]


async def get_notice(conn: aiosqlite.Connection, notice_id: int) -> Notice | None:
    row = await first_row(conn, "SELECT * FROM notices WHERE id = ?", (notice_id,))
    return _notice(row) if row else None


async def claim_notice(conn: aiosqlite.Connection, notice_id: int, now: datetime) -> bool:
    """Take a notice to send it now: True if it was waiting (nobody else has it)."""
    return (
        await changes(
            conn,
            "UPDATE notices SET status = 'sending', attempts = attempts + 1, "
            "last_attempt_at = ? WHERE id = ? AND status IN ('pending', 'failed')",
            (to_db(now), notice_id),
        )
        == 1
    )


async def mark_sent(conn: aiosqlite.Connection, notice_id: int, now: datetime) -> bool:
    return (
        await changes(
            conn,
            "UPDATE notices SET status = 'sent', sent_at = ?, error = NULL "
            "WHERE id = ? AND status = 'sending'",
            (to_db(now), notice_id),
        )
        == 1
    )


async def mark_failed(
    conn: aiosqlite.Connection, notice_id: int, reason: str, fallback: bool
) -> str | None:
    """Record a failed send; return the new status ('failed': tried again later; 'fallback':
    never again, shown in /myquestions), or None if the notice was not being sent."""
    row = await first_row(
        conn,
        "UPDATE notices SET status = CASE WHEN ? OR attempts >= ? THEN 'fallback' "
        "ELSE 'failed' END, error = ? WHERE id = ? AND status = 'sending' RETURNING status",
        (int(fallback), MAX_ATTEMPTS, reason[:ERROR_TEXT], notice_id),
    )
    return str(row[0]) if row else None


async def recover_sending(conn: aiosqlite.Connection) -> int:
    """At start: notices left 'sending' may have reached their member; never send them again."""
    return await changes(
        conn,
        "UPDATE notices SET status = 'fallback', error = 'interrupted while sending' "
        "WHERE status = 'sending'",
    )


async def notices_of(conn: aiosqlite.Connection, recipient_id: int, run_id: int) -> list[Notice]:
    """Every notice of a member about the questions of one run, oldest first."""
    rows = await conn.execute_fetchall(
        "SELECT n.* FROM notices n JOIN questions q ON q.id = n.question_id "
        "WHERE n.recipient_id = ? AND q.run_id = ? ORDER BY n.id",
        (recipient_id, run_id),
    )
    return [_notice(r) for r in rows]


async def outbox_counts(conn: aiosqlite.Connection) -> dict[str, int]:
    """How many notices are in each status."""
    return {
        str(status): int(n)
        for status, n in await conn.execute_fetchall(
            "SELECT status, COUNT(*) FROM notices GROUP BY status"
        )
    }


# ------------------------------------------------------------------- forget


def forget_statements(session_id: str) -> list[tuple[str, tuple[Any, ...]]]:
    """What `bot.maintenance.forget` runs inside its pass, after its temporary tables
    `forget_q` (the questions forgotten) and `forget_map` (participants' ids) are made.

    Notices, and participants' choices about them, say who took part: they go. Answers are
    written by moderators and speakers and stay, as the moderation history does.
    """
    return [
        ("DELETE FROM notices WHERE question_id IN forget_q", ()),
        ("DELETE FROM question_notify WHERE question_id IN forget_q", ()),
        (
            "DELETE FROM notify_prefs WHERE session_id = ? "
            "AND user_id IN (SELECT real_id FROM forget_map)",
            (session_id,),
        ),
    ]


async def anyone_listens(conn: aiosqlite.Connection) -> bool:
    """Whether any member chose to hear of questions (there is someone to send notices to)."""
    row = await first_row(
        conn,
        "SELECT EXISTS (SELECT 1 FROM notify_prefs WHERE own = 1 OR voted = 1) "
        "OR EXISTS (SELECT 1 FROM question_notify WHERE wanted = 1)",
    )
    return bool(row and row[0])
