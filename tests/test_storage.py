"""Storage: migrations, refusing databases it must not touch, and the group-commit writer."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.states import ALL
from bot.storage.database import (
    IN_CHUNK,
    Database,
    DatabaseError,
    latest_version,
    migrations,
    preflight,
    rows_in,
    split_statements,
)

TABLES = {
    "sessions",
    "runs",
    "questions",
    "question_events",
    "votes",
    "co_askers",
    "blocks",
    "run_events",
    "posts",
    "meta",
}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_migrates_an_empty_database(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    db = Database(path)
    await db.open()
    await db.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert names >= TABLES


async def test_upgrades_a_first_schema_database_keeping_its_log(tmp_path: Path) -> None:
    """A log written before the intake view (schema 1) is upgraded in place and takes asks."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        for statement in split_statements(migrations()[0][2]):
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO sessions VALUES ('s', 't', 'UTC', '{}', 'x')")
        conn.execute(
            "INSERT INTO runs (id, session_id, kind, created_at) VALUES (1, 's', 'real', 'x')"
        )
        conn.execute(
            "INSERT INTO questions (id, run_id, number, author_id, anonymous, text, state, "
            "asked_at, updated_at) VALUES (1, 1, 1, 7, 0, 'old', 'pending', 'x', 'x')"
        )
    db = Database(path)
    await db.open()
    try:
        await db.write(
            lambda conn: conn.execute(
                "INSERT INTO intake (id, run_id, number, author_id, author_name, anonymous, text, "
                "speaker_id, state, source, asked_at, source_message_id) "
                "VALUES (2, 1, 2, 8, 'new', 0, 'new', NULL, 'pending', 'slash', 'y', NULL)"
            )
        )
    finally:
        await db.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()
        assert conn.execute("SELECT id, text FROM questions ORDER BY id").fetchall() == [
            (1, "old"),
            (2, "new"),
        ]
        assert conn.execute(
            "SELECT question_id, action, actor_name FROM question_events"
        ).fetchall() == [(2, "asked", "new")]


def schema_objects(conn: sqlite3.Connection) -> set[tuple[str, str, str]]:
    return set(conn.execute("SELECT type, name, tbl_name FROM sqlite_master"))


async def test_rebuilding_questions_keeps_rows_references_and_rules(tmp_path: Path) -> None:
    """Schema 3 rebuilds the questions table: every row, reference, index, trigger and the
    intake view come through, and the rules still hold afterwards."""
    path = tmp_path / "v2.sqlite3"
    with sqlite3.connect(path) as conn:
        for _, _, sql in migrations()[:2]:
            for statement in split_statements(sql):
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
        conn.execute("INSERT INTO sessions VALUES ('s', 't', 'UTC', '{}', 'x')")
        conn.execute(
            "INSERT INTO runs (id, session_id, kind, created_at) VALUES (1, 's', 'real', 'x')"
        )
        for n, state in ((1, "approved"), (2, "merged"), (3, "pending")):
            conn.execute(
                "INSERT INTO intake (id, run_id, number, author_id, author_name, anonymous, "
                "text, speaker_id, state, source, asked_at, source_message_id) "
                "VALUES (?, 1, ?, 7, 'Ana', 0, ?, NULL, ?, 'slash', 'x', NULL)",
                (n, n, f"question {n}", state),
            )
        conn.execute("UPDATE questions SET merged_into = 1, votes = 1 WHERE id = 2")
        conn.execute("INSERT INTO votes VALUES (1, 99, 'x')")
        conn.execute("INSERT INTO co_askers VALUES (1, 7, 0, 2)")
        before_rows = conn.execute("SELECT * FROM questions ORDER BY id").fetchall()
        before_objects = schema_objects(conn)
    db = Database(path)
    await db.open()
    try:
        await db.write(
            lambda conn: conn.execute(
                "INSERT INTO intake (id, run_id, number, author_id, author_name, anonymous, text, "
                "speaker_id, state, source, asked_at, source_message_id) "
                "VALUES (4, 1, 4, 8, NULL, 1, 'new', NULL, 'pending', 'slash', 'y', NULL)"
            )
        )
        with pytest.raises(sqlite3.IntegrityError):  # foreign keys are on again
            await db.write(lambda conn: conn.execute("INSERT INTO votes VALUES (42, 1, 'x')"))
        with pytest.raises(sqlite3.IntegrityError):  # and the states are still checked
            await db.write(lambda conn: conn.execute("UPDATE questions SET state = 'lost'"))
    finally:
        await db.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()
        after_rows = conn.execute("SELECT * FROM questions WHERE id < 4 ORDER BY id").fetchall()
        assert [row[: len(before_rows[0])] for row in after_rows] == before_rows  # later columns
        # later migrations add objects; the blocks table was rebuilt without its old key
        kept = {o for o in before_objects if o[2] != "blocks"}
        assert kept <= schema_objects(conn)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT * FROM question_counts ORDER BY 1, 2").fetchall() == [
            (1, "approved", 1),
            (1, "merged", 1),
            (1, "pending", 2),
        ]
        assert conn.execute(
            "SELECT question_id, actor_id, detail FROM question_events WHERE question_id = 4"
        ).fetchall() == [(4, None, '{"actor": "asker"}')]
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'questions'").fetchone()[0]
        assert "state = 'merged'" in sql and "questions_rebuilt" not in sql


async def test_a_migration_that_breaks_references_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.sqlite3"
    db = Database(path)
    await db.open()
    await db.close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO sessions VALUES ('s', 't', 'UTC', '{}', 'x')")
        conn.execute(
            "INSERT INTO runs (id, session_id, kind, created_at) VALUES (1, 's', 'real', 'x')"
        )
    shipped = migrations()
    bad = (len(shipped) + 1, "9999_bad.sql", "DELETE FROM sessions;")
    monkeypatch.setattr("bot.storage.database.migrations", lambda: [*shipped, bad])
    db = Database(path)
    with pytest.raises(DatabaseError, match="references"):
        await db.open()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(shipped)
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 1


async def test_reopening_a_current_database_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = Database(path)
    await db.open()
    await db.close()
    before = digest(path)
    db = Database(path)
    await db.open()
    await db.close()
    assert digest(path) == before


async def test_newer_database_is_refused_and_not_modified(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE from_the_future (x)")
        conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    before, mtime = digest(path), os.stat(path).st_mtime_ns
    db = Database(path)
    with pytest.raises(DatabaseError, match="newer version"):
        await db.open()
    assert digest(path) == before and os.stat(path).st_mtime_ns == mtime
    assert not db.is_open


def test_corrupt_file_is_refused_without_change(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    before = digest(path)
    with pytest.raises(DatabaseError, match="not a usable SQLite database"):
        preflight(path)
    assert digest(path) == before


def test_locked_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseError, match="locked by another process"):
            preflight(path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite3"
    sqlite3.connect(path).close()
    path.chmod(0o444)
    with pytest.raises(DatabaseError, match="read-only"):
        preflight(path)


def test_migrations_are_numbered_and_split_cleanly() -> None:
    found = migrations()
    assert [v for v, _, _ in found] == list(range(1, len(found) + 1))
    for _, name, sql in found:
        statements = split_statements(sql)
        assert statements, name
        assert all(sqlite3.complete_statement(s) for s in statements)


async def insert(conn: aiosqlite.Connection, key: str) -> str:
    await conn.execute("INSERT INTO meta (key, value) VALUES (?, 'v')", (key,))
    return key


async def test_concurrent_writes_share_commits_and_return_after_commit(tmp_path: Path) -> None:
    path = tmp_path / "group.sqlite3"
    db = Database(path)
    await db.open()
    try:
        results = await asyncio.gather(
            *(db.write(lambda c, k=f"k{i}": insert(c, k)) for i in range(200))
        )
        assert results == [f"k{i}" for i in range(200)]
        assert db.commits < 20, f"{db.commits} commits for 200 writes: not grouped"
        # Returned means committed: another connection sees every row.
        with sqlite3.connect(path) as other:
            assert other.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 200
    finally:
        await db.close()


async def test_a_failing_write_rolls_back_alone(tmp_path: Path) -> None:
    db = Database(tmp_path / "iso.sqlite3")
    await db.open()

    async def half_then_fail(conn: aiosqlite.Connection) -> None:
        await conn.execute("INSERT INTO meta (key, value) VALUES ('half', 'v')")
        raise ValueError("refused")

    try:
        outcomes = await asyncio.gather(
            db.write(lambda c: insert(c, "before")),
            db.write(half_then_fail),
            db.write(lambda c: insert(c, "after")),
            return_exceptions=True,
        )
        assert outcomes[0] == "before" and outcomes[2] == "after"
        assert isinstance(outcomes[1], ValueError)

        async def keys(conn: aiosqlite.Connection) -> list[str]:
            return [r[0] for r in await conn.execute_fetchall("SELECT key FROM meta ORDER BY key")]

        assert await db.read(keys) == ["after", "before"]
    finally:
        await db.close()


async def test_a_lone_failing_write_leaves_nothing(tmp_path: Path) -> None:
    """A transaction of one write runs without a savepoint; its failure rolls it all back."""
    db = Database(tmp_path / "lone.sqlite3")
    await db.open()

    async def half_then_fail(conn: aiosqlite.Connection) -> None:
        await conn.execute("INSERT INTO meta (key, value) VALUES ('half', 'v')")
        raise ValueError("refused")

    try:
        commits = db.commits
        with pytest.raises(ValueError, match="refused"):
            await db.write(half_then_fail)
        assert db.commits == commits
        assert await db.write(lambda c: insert(c, "next")) == "next"

        async def keys(conn: aiosqlite.Connection) -> list[str]:
            return [r[0] for r in await conn.execute_fetchall("SELECT key FROM meta ORDER BY key")]

        assert "half" not in await db.read(keys)
        assert "next" in await db.read(keys)
    finally:
        await db.close()


async def test_writes_after_close_are_refused(tmp_path: Path) -> None:
    db = Database(tmp_path / "closed.sqlite3")
    await db.open()
    await db.close()
    with pytest.raises(DatabaseError, match="closed"):
        await db.write(lambda c: insert(c, "late"))


async def test_state_counts_follow_every_change(tmp_path: Path) -> None:
    from bot.storage import repository as repo

    db = Database(tmp_path / "counts.sqlite3")
    await db.open()

    async def setup(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO sessions (id, title, timezone, spec, first_seen) "
            "VALUES ('s', 't', 'UTC', '{}', 'x')"
        )
        await conn.execute(
            "INSERT INTO runs (id, session_id, kind, created_at) VALUES (1, 's', 'real', 'x')"
        )
        for number, state in enumerate(["pending", "pending", "approved", "answered"], 1):
            await conn.execute(
                "INSERT INTO questions (run_id, number, author_id, anonymous, text, state, "
                "asked_at, updated_at) VALUES (1, ?, 7, 0, 'q', ?, 'x', 'x')",
                (number, state),
            )
        await conn.execute("UPDATE questions SET state = 'approved' WHERE number = 1")
        await conn.execute("UPDATE questions SET text = 'edited' WHERE number = 2")
        await conn.execute("DELETE FROM questions WHERE number = 4")

    async def truth(conn: aiosqlite.Connection) -> dict[str, int]:
        rows = await conn.execute_fetchall(
            "SELECT state, COUNT(*) FROM questions WHERE run_id = 1 GROUP BY state"
        )
        return {state: n for state, n in rows}

    try:
        await db.write(setup)
        counts = await db.read(lambda conn: repo.state_counts(conn, 1))
        expected = await db.read(truth)
        assert {k: v for k, v in counts.items() if v} == expected == {"pending": 1, "approved": 2}
        assert counts["answered"] == 0 and set(counts) == set(ALL)
    finally:
        await db.close()


def test_the_bot_process_collects_garbage_less_often() -> None:
    import gc

    from bot.runtime import GC_THRESHOLDS, tune_gc

    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert GC_THRESHOLDS[0] > before[0]
    finally:
        gc.set_threshold(*before)


async def test_rows_in_reads_any_number_of_ids_in_chunks(tmp_path: Path) -> None:
    conn = await aiosqlite.connect(tmp_path / "in.sqlite3")
    try:
        await conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        await conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(2000)])
        ids = [*range(1500, 0, -3), 7, 7, 5000]  # unordered, a repeat, one unknown
        rows = await rows_in(conn, "SELECT id FROM t WHERE id IN ({marks}) ORDER BY id", ids)
        assert [r[0] for r in rows] == sorted({*ids} - {5000})
        assert len(set(ids)) > IN_CHUNK  # more ids than one statement binds
        assert await rows_in(conn, "SELECT id FROM t WHERE id IN ({marks})", []) == []
    finally:
        await conn.close()
