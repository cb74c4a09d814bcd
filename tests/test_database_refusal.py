"""A database the bot cannot use: it refuses to start, in one sentence, and leaves the file alone.

Each case runs the real command line (`python run_bot.py --config ... --database BAD`) with a
dummy token in a scratch folder: exit status 2, one line on stderr, no traceback, the file's
bytes unchanged, and it returns at once: the database is checked before any connection to
Discord is tried (the dummy token is never used; nothing goes to the network).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.database import Database, latest_version
from tests.conftest import GSEF

ROOT = Path(__file__).resolve().parent.parent
QUICK = 15.0  # seconds: start-up of Python and the imports, far less than any network timeout


def run_bot(cwd: Path, database: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {
        **os.environ,
        "DISCORD_TOKEN": "dummy-token-never-used",
        # if anything did try the network, it would fail at once instead of hanging
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_bot.py"), "--config", str(GSEF), "--database",
         str(database)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done, time.monotonic() - started


def make_bot_database(path: Path) -> None:
    """A database as the bot leaves it: migrated, WAL, closed."""

    async def make() -> None:
        db = Database(path)
        await db.open()
        await db.close()

    asyncio.run(make())


def assert_refused(cwd: Path, database: Path, *words: str) -> str:
    before = database.read_bytes()
    mtime = database.stat().st_mtime_ns
    done, took = run_bot(cwd, database)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr  # one sentence, no log noise
    sentence = lines[0]
    assert str(database) in sentence
    for word in words:
        assert word in sentence, sentence
    assert database.read_bytes() == before and database.stat().st_mtime_ns == mtime
    assert took < QUICK, f"refusing took {took:.1f} s"
    assert "dummy-token" not in done.stderr
    return sentence


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "qa.sqlite3"
    bad.write_bytes(b"These are meeting notes, not an SQLite database.\n" * 200)
    assert_refused(tmp_path, bad, "not a usable SQLite database", "backup")


def test_a_database_with_a_damaged_page(tmp_path: Path) -> None:
    db = tmp_path / "qa.sqlite3"
    make_bot_database(db)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE filler (x TEXT)")
        conn.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 400)
    conn.close()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 20 * page
    data[10 * page : 12 * page] = b"\xde\xad\xbe\xef" * (page // 2)  # two pages of garbage
    db.write_bytes(bytes(data))
    for sidecar in ("-wal", "-shm"):
        Path(f"{db}{sidecar}").unlink(missing_ok=True)
    assert_refused(tmp_path, db, "restore it from a backup")


def test_a_database_from_a_newer_version(tmp_path: Path) -> None:
    db = tmp_path / "qa.sqlite3"
    make_bot_database(db)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.close()
    assert_refused(tmp_path, db, "newer version of the bot", "upgrade the bot")


HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT INTO meta (key, value) VALUES ('held', 'by another process')")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_database_locked_by_another_process(tmp_path: Path, journal: str) -> None:
    db = tmp_path / "qa.sqlite3"
    make_bot_database(db)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.close()
    # another process holds the lock (POSIX locks are per process: this test's own reads of
    # the file would drop a lock it held itself)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert_refused(tmp_path, db, "locked by another process")
    finally:
        holder.communicate("\n", timeout=10)
    assert holder.returncode == 0


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file read-only for this process, also as root (where chmod is not enough)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("running as root without chattr: no way to make a file read-only")
    made = subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"running as root and chattr +i is refused here: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def test_a_read_only_database(tmp_path: Path) -> None:
    db = tmp_path / "qa.sqlite3"
    make_bot_database(db)
    with read_only(db):
        assert not os.access(db, os.W_OK)
        assert_refused(tmp_path, db, "read-only")


def test_a_good_database_gets_past_the_check(tmp_path: Path) -> None:
    """The control: a sound database passes pre-flight, and the run stops at the token."""
    db = tmp_path / "qa.sqlite3"
    make_bot_database(db)
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_bot.py"), "--config", str(GSEF), "--database", str(db)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "No Discord token" in done.stderr
