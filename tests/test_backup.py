"""Backups: a consistent, checked copy of the log while the bot goes on writing, and a restore."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.maintenance import MaintenanceError, backup, backup_name
from bot.reports import render_report
from bot.storage.database import Database, latest_version
from bot.timeutil import to_db, utcnow
from tests.test_cli import run_cli

PREFILL = 20_000


async def make_log(path: Path) -> None:
    """An empty log with the bot's schema, one session and one run."""
    db = Database(path)
    await db.open()
    await db.close()
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        now = to_db(utcnow())
        conn.execute(
            "INSERT INTO sessions VALUES ('s', 'S', 'UTC', ?, ?)",
            ('{"id": "s", "title": "S", "date": "2021-10-04", "timezone": "UTC"}', now),
        )
        conn.execute(
            "INSERT INTO runs (id, session_id, kind, created_at) VALUES (1, 's', 'real', ?)",
            (now,),
        )
        conn.execute("INSERT INTO meta VALUES ('asked', '0')")


def ask(conn: sqlite3.Connection, n: int, transaction: bool = True) -> None:
    """One question, its event (through the intake view) and a counter, in one transaction."""
    now = to_db(utcnow())
    if transaction:
        conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO intake (id, run_id, number, author_id, author_name, anonymous, text, state, "
        "source, asked_at) VALUES (?, 1, ?, ?, 'someone', 0, ?, 'pending', 'slash', ?)",
        (n, n, 1_000_000_000_000_000 + n, f"Question {n} " + "x" * 200, now),
    )
    conn.execute("UPDATE meta SET value = ? WHERE key = 'asked'", (str(n),))
    if transaction:
        conn.execute("COMMIT")


class Writer(threading.Thread):
    """Asks questions one transaction after another, as the bot would, until stopped."""

    def __init__(self, path: Path, start_at: int) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.committed = start_at
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # keep commits in the -wal file
            while not self.stop.is_set():
                ask(conn, self.committed + 1)
                self.committed += 1
        except BaseException as exc:
            self.error = exc
        finally:
            conn.close()


def consistent(copy: Path) -> int:
    """Check a copy: integrity, and every transaction whole; return its questions."""
    with closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert conn.execute("PRAGMA user_version").fetchone() == (latest_version(),)
        questions = conn.execute("SELECT COUNT(*), MAX(number) FROM questions").fetchone()
        asked = conn.execute("SELECT COUNT(*) FROM question_events WHERE action = 'asked'")
        counter = conn.execute("SELECT value FROM meta WHERE key = 'asked'").fetchone()
        assert questions[0] == questions[1] == asked.fetchone()[0] == int(counter[0])
        return int(questions[0])


def test_a_backup_while_writes_go_on_is_consistent_and_complete(tmp_path: Path) -> None:
    path = tmp_path / "qa.sqlite3"
    asyncio.run(make_log(path))
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN")
        for n in range(1, PREFILL + 1):
            ask(conn, n, transaction=False)
        conn.execute("COMMIT")
    writer = Writer(path, PREFILL)
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while writer.committed < PREFILL + 50 and time.monotonic() < deadline:
            time.sleep(0.005)
        committed_before = writer.committed
        result = backup(path, tmp_path / "backup.sqlite3")
        committed_after = writer.committed
        wal = Path(f"{path}-wal").stat().st_size
    finally:
        writer.stop.set()
        writer.join(10)
    assert writer.error is None
    assert committed_after > committed_before  # the writer went on while the copy was made
    assert wal > 0  # and recent commits were only in the -wal file
    copied = consistent(result.out)
    assert committed_before <= copied <= committed_after
    assert result.questions == copied and result.schema == latest_version()
    assert not list(tmp_path.glob("*.partial*"))
    line = result.line()
    assert line.startswith(f"Backed up {path} to {result.out} (") and "integrity_check ok" in line


async def test_a_backup_restores_and_reports(tmp_path: Path) -> None:
    path = tmp_path / "qa.sqlite3"
    await make_log(path)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for n in range(1, 4):
            ask(conn, n)
    result = backup(path, tmp_path / "copy.sqlite3")
    restored = tmp_path / "restored" / "qa.sqlite3"
    restored.parent.mkdir()
    restored.write_bytes(result.out.read_bytes())
    db = Database(restored)  # the bot opens it as it would after a restore
    await db.open()
    await db.close()
    assert b'"number": 3' in await render_report(restored, "json")


async def test_backups_into_a_folder_keep_the_newest(tmp_path: Path) -> None:
    path = tmp_path / "qa.sqlite3"
    await make_log(path)
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "unrelated.txt").write_text("keep me")
    moments = [datetime(2021, 10, 4, hour, tzinfo=UTC) for hour in range(4)]
    made = [backup(path, folder, keep=2, now=moment) for moment in moments]
    assert made[0].out.name == backup_name(path, moments[0]) == "qa-20211004T000000Z.sqlite3"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [made[2].out.name, made[3].out.name, "unrelated.txt"]
    )
    assert made[3].removed == (made[1].out,)


def test_a_backup_that_cannot_be_made_says_why(tmp_path: Path) -> None:
    with pytest.raises(MaintenanceError, match="No database at"):
        backup(tmp_path / "missing.sqlite3", tmp_path / "out.sqlite3")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 300)
    with pytest.raises(MaintenanceError, match="not a usable SQLite database"):
        backup(junk, tmp_path / "out.sqlite3")
    assert not (tmp_path / "out.sqlite3").exists()
    with pytest.raises(MaintenanceError, match="over the database itself"):
        backup(junk, junk)


async def test_a_corrupt_copy_is_refused_and_not_written(tmp_path: Path) -> None:
    path = tmp_path / "qa.sqlite3"
    await make_log(path)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")
        for n in range(1, 400):
            ask(conn, n)
    data = bytearray(path.read_bytes())
    page = 4096
    index_page = len(data) // page - 2  # a page near the end: questions' rows or an index
    data[index_page * page + 8 : index_page * page + 400] = b"\x07" * 392
    path.write_bytes(bytes(data))
    with pytest.raises(MaintenanceError, match="integrity_check"):
        backup(path, tmp_path / "out.sqlite3")
    assert not (tmp_path / "out.sqlite3").exists()
    assert not list(tmp_path.glob("out.sqlite3*"))


async def test_the_backup_command(tmp_path: Path) -> None:
    path = tmp_path / "qa.sqlite3"
    await make_log(path)
    done = run_cli("backup", "--database", str(path), "--out", str(tmp_path / "b.sqlite3"))
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 1 and "integrity_check ok" in done.stdout
    missing = run_cli("backup", "--database", str(tmp_path / "x.sqlite3"), "--out", "y")
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"No database at {tmp_path / 'x.sqlite3'}."
    assert missing.stdout == ""
