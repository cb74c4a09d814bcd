"""Own the SQLite connections: pre-flight checks, pragmas, migrations and the group-commit writer.

Every write goes through one queue. The first write to find no flush under way starts one; the
flush takes every write queued at that moment, runs them in one `BEGIN IMMEDIATE` transaction
(when it holds more than one plain write, each inside its own savepoint, so one failing write
rolls back alone), commits once, and only then resolves each caller's future; it repeats while
writes are queued, then ends (no task idles between bursts). A caller therefore learns of its
write only after it is durable, and a burst of writes costs one commit, not one each.

Writes of one kind queued together (asks) go to a `Batcher`: one round of reads, then one
statement per 1,024 rows, each sent to the database thread as soon as it is built.

Durability: WAL with `synchronous=FULL`: a commit survives a process crash and, where the disk
honours fsync, a power loss. Group commit keeps the price of the extra sync to one per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import sqlite3
import stat
import time
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import aiosqlite

from bot.errors import DatabaseError
from bot.slow import on_slow_write

__all__ = ["Batcher", "Database", "DatabaseError", "Statement", "preflight"]

log = logging.getLogger(__name__)

T = TypeVar("T")
P = TypeVar("P")
R = TypeVar("R")

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 5000
#: The writer asks for the write lock in steps this long, so that a write waiting on another
#: program's lock can say so (`on_slow_write`) and give up after BUSY_TIMEOUT_MS in all.
BEGIN_STEP_MS = 200
#: A write that has waited this long for the lock calls the `on_slow_write` hooks of its writers.
SLOW_WRITE = 1.0
MAX_BATCH = 8192
WAKE_SLICE = 256  # writers told of their commit per turn of the event loop
WAL_AUTOCHECKPOINT_PAGES = 10_000

Statement = tuple[str, Sequence[Any]]


class Batcher(Protocol[P, R]):
    """Applies many queued writes of one kind together: one round of reads, then its statements.

    Each statement must be a single SQL statement, which SQLite applies whole or not at all, so
    a batch needs no savepoint. A large batch is stored by several, each sent while the next is
    built.
    """

    def reads(self, items: list[P]) -> list[Statement]:
        """The queries whose rows `plan` needs."""
        ...

    def plan(
        self, items: list[P], found: list[Iterable[Any]]
    ) -> Generator[tuple[Statement, bool], None, list[R | Exception]]:
        """Yield (statement, more) as each statement that stores the items is built (`more`:
        another follows); return one result or exception per item.

        If the only statement fails, only this batch's writes fail. If one of several fails,
        the whole transaction is rolled back and every write in it fails.
        """
        ...


@dataclass(slots=True)
class _Job(Generic[T]):
    future: asyncio.Future[T]
    fn: Callable[[aiosqlite.Connection], Awaitable[T]] | None = None
    batcher: Batcher[Any, T] | None = None
    item: Any = None
    on_slow: Callable[[], None] | None = None


def migrations() -> list[tuple[int, str, str]]:
    """Return the shipped migrations as (version, name, sql), in order."""
    found = []
    for entry in resources.files("bot.storage").joinpath("migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, found {versions}")
    return found


def latest_version() -> int:
    """Return the schema version this code writes."""
    return len(migrations())


def split_statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (unlike executescript, this never commits)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise ValueError(f"incomplete SQL statement at end of script: {buffer.strip()[:80]!r}")
    return statements


SIDECARS = ("-wal", "-shm", "-journal")


def check_regular(path: Path) -> None:
    """Refuse a database path (or an SQLite sidecar of it) that is a pipe, socket or device:
    opening one would block or read what is not a database."""
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in SIDECARS)):
        try:
            mode = candidate.stat().st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DatabaseError(
                f"Cannot read the database {path}: {exc.strerror or exc}."
            ) from None
        if stat.S_ISDIR(mode):
            raise DatabaseError(f"The database path {candidate} is a folder, not a file.")
        if not stat.S_ISREG(mode):
            raise DatabaseError(
                f"The database path {candidate} is not a regular file (a pipe, socket or "
                "device); point --database at a file."
            )


@functools.cache
def expected_schema(version: int) -> dict[str, frozenset[str]]:
    """The tables and views (with their columns) that migrations 1..version make."""
    conn = sqlite3.connect(":memory:")
    try:
        for number, _name, sql in migrations():
            if number > version:
                break
            for statement in split_statements(sql):
                conn.execute(statement)
        return _schema_of(conn)
    finally:
        conn.close()


def _schema_of(conn: sqlite3.Connection) -> dict[str, frozenset[str]]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    return {
        name: frozenset(
            row[1] for row in conn.execute("SELECT * FROM pragma_table_info(?)", (name,))
        )
        for name in names
    }


def _schema_problem(path: Path, conn: sqlite3.Connection, version: int) -> str | None:
    """Say, in one sentence, why a sound SQLite file is not a log of this bot, or None."""
    found = _schema_of(conn)
    if version == 0:
        if not found:
            return None  # empty: the bot makes its tables
        names = ", ".join(sorted(found)[:5]) + (", ..." if len(found) > 5 else "")
        return (
            f"The database {path} belongs to another application (it has tables {names} but "
            "no schema version of this bot); point --database at another file. "
            "The file was not changed."
        )
    expected = expected_schema(version)
    missing = [name for name in expected if name not in found]
    lacking = [
        f"{name}.{column}"
        for name, columns in expected.items()
        if name in found
        for column in sorted(columns - found[name])
    ]
    if not missing and not lacking:
        return None
    gaps = missing + lacking
    what = ", ".join(gaps[:5]) + (", ..." if len(gaps) > 5 else "")
    return (
        f"The database {path} says schema {version} but lacks {what}; it is damaged or "
        "another application's: restore it from a backup or point --database elsewhere. "
        "The file was not changed."
    )


def preflight(path: Path) -> None:
    """Check the database file without changing it; raise DatabaseError with one sentence.

    Refuses: a path that is not a regular file (a folder, pipe or device), a file that is not an
    SQLite database or is corrupt, another application's database, one whose tables are
    missing, one written by a newer version of the bot, one that cannot be written
    (read-only), and one another process holds locked.
    """
    if not path.exists():
        parent = path.parent if str(path.parent) else Path(".")
        if parent.exists() and not os.access(parent, os.W_OK):
            raise DatabaseError(f"Cannot create the database {path}: the folder is read-only.")
        return
    check_regular(path)
    if not os.access(path, os.R_OK):
        raise DatabaseError(f"Cannot read the database {path}: permission denied.")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)
    except sqlite3.Error as exc:
        raise DatabaseError(f"Cannot open the database {path}: {exc}.") from None
    try:
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise DatabaseError(
                    f"The database {path} is locked by another process; stop it and try again."
                ) from None
            raise DatabaseError(
                f"The database {path} is not a usable SQLite database ({text}); "
                "restore it from a backup or point --database elsewhere."
            ) from None
        if version > latest_version():
            raise DatabaseError(
                f"The database {path} was written by a newer version of the bot "
                f"(schema {version}, this version knows {latest_version()}); "
                "upgrade the bot or use another database. The file was not changed."
            )
        if check != "ok":
            # quick_check reports one problem per line: keep the message to one line
            lines = [line.strip() for line in str(check).splitlines()]
            detail = "; ".join(line for line in lines if line and "***" not in line)
            raise DatabaseError(
                f"The database {path} is damaged (integrity check: {detail}); "
                "restore it from a backup. The file was not changed."
            )
        problem = _schema_problem(path, conn, version)
        if problem is not None:
            raise DatabaseError(problem)
    finally:
        conn.close()
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise DatabaseError(
            f"The database {path} (or its folder) is read-only; the bot must be able to write it."
        )
    probe = sqlite3.connect(str(path), timeout=0.2)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise DatabaseError(
                f"The database {path} is locked by another process; stop it and try again."
            ) from None
        raise DatabaseError(f"Cannot write the database {path}: {exc}.") from None
    finally:
        probe.close()


class Database:
    """One writer connection with a group-commit task, and one reader connection."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._queue: list[_Job[Any]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._accepting = False
        self.commits = 0

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    async def open(self) -> None:
        """Check the file, connect, set pragmas, migrate, and start the writer."""
        if self.path != MEMORY:
            preflight(Path(self.path))
        try:
            self._writer = await self._connect()
            await self._migrate(self._writer)
            if self.path == MEMORY:
                self._reader = self._writer
            else:
                self._reader = await self._connect()
                await self._reader.execute_fetchall("PRAGMA query_only = ON")
            # the writer waits for the lock in steps (see _begin)
            await self._writer.execute_fetchall(f"PRAGMA busy_timeout = {BEGIN_STEP_MS}")
        except BaseException:
            await self.close()
            raise
        self._accepting = True

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            # execute_fetchall consumes each result, so no statement stays open.
            await conn.execute_fetchall(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute_fetchall("PRAGMA foreign_keys = ON")
            if self.path != MEMORY:
                await conn.execute_fetchall("PRAGMA journal_mode = WAL")
            await conn.execute_fetchall("PRAGMA synchronous = FULL")
            # Checkpoint the WAL every ~40 MB rather than every ~4 MB: far fewer commits pay for
            # a checkpoint, which keeps moderator commands' tail latency low.
            await conn.execute_fetchall(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _migrate(self, conn: aiosqlite.Connection) -> None:
        row = await first_row(conn, "PRAGMA user_version")
        current = int(row[0]) if row else 0
        target = latest_version()
        if current > target:
            raise DatabaseError(
                f"The database {self.path} was written by a newer version of the bot "
                f"(schema {current}, this version knows {target}). The file was not changed."
            )
        if current == target:
            return
        # Foreign keys are off while migrations run, so one may rebuild a table that others
        # refer to (SQLite's documented way to change a constraint), and checked before commit.
        # The pragma has no effect inside a transaction, so it is set around it.
        await conn.execute_fetchall("PRAGMA foreign_keys = OFF")
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for version, name, sql in migrations():
                if version <= current:
                    continue
                log.info("applying migration %s", name)
                for statement in split_statements(sql):
                    await conn.execute(statement)
            broken = list(await conn.execute_fetchall("PRAGMA foreign_key_check"))
            if broken:
                raise DatabaseError(
                    f"Upgrading the database {self.path} would break {len(broken)} references "
                    "between its rows; it was not changed."
                )
            await conn.execute(f"PRAGMA user_version = {target}")
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        finally:
            await conn.execute_fetchall("PRAGMA foreign_keys = ON")

    async def close(self) -> None:
        """Finish queued writes, stop the writer and close both connections."""
        self._accepting = False
        while self._flusher is not None and not self._flusher.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._flusher)
        self._flusher = None
        reader, writer = self._reader, self._writer
        self._reader = self._writer = None
        if reader is not None and reader is not writer:
            await reader.close()
        if writer is not None:
            await writer.close()

    # ------------------------------------------------------------------ writes

    async def write(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run `fn` inside the writer's next transaction; return its result after the commit."""
        return await self._submit(_Job(asyncio.get_running_loop().create_future(), fn=fn))

    async def write_batched(self, batcher: Batcher[P, R], item: P) -> R:
        """Queue `item` for `batcher`, which applies all queued items of its kind at once."""
        job: _Job[R] = _Job(asyncio.get_running_loop().create_future(), batcher=batcher, item=item)
        return await self._submit(job)

    async def _submit(self, job: _Job[T]) -> T:
        if not self._accepting:
            job.future.cancel()
            raise DatabaseError("The database is closed.")
        job.on_slow = on_slow_write.get()
        self._queue.append(job)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="sqlite-group-commit")
        # A caller cancelled before its write starts cancels the write; once it has started, the
        # write goes on and commits, unacknowledged (never the other way round).
        return await job.future

    async def _flush(self) -> None:
        # This task's first step runs after every callback already waiting, so writes submitted
        # in the same tick are queued by then and join this batch.
        while self._queue:
            batch = self._queue[:MAX_BATCH]
            del self._queue[:MAX_BATCH]
            try:
                await self._run_batch(batch)
            except Exception as exc:  # the flush must not die silently: fail the batch instead
                log.exception("write batch failed")
                for job in batch:
                    if not job.future.done():
                        job.future.set_exception(exc)

    async def _run_batch(self, batch: list[_Job[Any]]) -> None:
        conn = self._writer
        assert conn is not None
        units = _units([job for job in batch if not job.future.done()])
        if not units:
            return
        # A savepoint lets one failing plain write roll back alone; it costs a third more per
        # insert, so a transaction of one unit goes without and is rolled back whole if that
        # unit fails. A batcher's unit needs none: its one statement applies whole or not at all.
        guarded = len(units) > 1
        outcomes: list[tuple[_Job[Any], Any, BaseException | None]] = []
        await self._begin(conn, batch)
        try:
            for unit in units:
                if unit[0].batcher is not None:
                    outcomes.extend(await self._run_group(conn, unit))
                else:
                    outcomes.append(await self._run_one(conn, unit[0], guarded))
            if guarded or outcomes[0][2] is None:
                await conn.execute("COMMIT")
                self.commits += 1
            else:
                await conn.execute("ROLLBACK")
        except BaseException:
            with contextlib.suppress(Exception):
                await conn.execute("ROLLBACK")
            raise
        for index, (job, result, error) in enumerate(outcomes, 1):
            if job.future.done():
                continue
            if error is not None:
                job.future.set_exception(error)
            else:
                job.future.set_result(result)
            if index % WAKE_SLICE == 0:
                # the first writers hear back first, without waiting for thousands more to be told
                await asyncio.sleep(0)

    async def _begin(self, conn: aiosqlite.Connection, batch: list[_Job[Any]]) -> None:
        """BEGIN IMMEDIATE, waiting for another program's write lock in steps: after SLOW_WRITE
        the batch's writers hear of it; after BUSY_TIMEOUT_MS the batch fails, unchanged."""
        started = time.perf_counter()
        told = False
        while True:
            try:
                await conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            waited = time.perf_counter() - started
            if not told and waited >= SLOW_WRITE:
                told = True
                for job in batch:
                    if job.on_slow is not None and not job.future.done():
                        job.on_slow()
            if waited * 1000 >= BUSY_TIMEOUT_MS:
                raise DatabaseError(
                    f"The question log is locked by another program (waited {waited:.0f} s)."
                )
            await asyncio.sleep(0)  # let the writers' hooks run before the next step

    async def _run_one(
        self, conn: aiosqlite.Connection, job: _Job[Any], guarded: bool
    ) -> tuple[_Job[Any], Any, BaseException | None]:
        fn = job.fn
        assert fn is not None
        result, error = await _in_savepoint(conn, guarded, lambda: fn(conn))
        return job, result, error

    async def _run_group(
        self, conn: aiosqlite.Connection, group: list[_Job[Any]]
    ) -> list[tuple[_Job[Any], Any, BaseException | None]]:
        """Run one batcher's jobs: its reads, then the statements its plan yields."""
        batcher = group[0].batcher
        assert batcher is not None
        items = [job.item for job in group]
        try:
            found = [await conn.execute_fetchall(*read) for read in batcher.reads(items)]
            plan = batcher.plan(items, found)
            step, results = _advance(plan)
        except Exception as exc:
            return [(job, None, exc) for job in group]
        sent: list[asyncio.Future[Any]] = []
        last: Statement | None = None
        while step is not None:
            statement, more = step
            if more:  # part of a large batch: send it now, and build the next meanwhile
                sent.append(asyncio.ensure_future(conn.execute_fetchall(*statement)))
                await asyncio.sleep(0)  # let it reach the database thread
            else:
                last = statement
            try:
                step, results = _advance(plan)
            except BaseException:
                await asyncio.gather(*sent, return_exceptions=True)
                raise  # some statements ran: the transaction is rolled back, every job fails
        replies: list[Any] = await asyncio.gather(*sent, return_exceptions=True)
        if last is not None:
            try:
                replies.append(await conn.execute_fetchall(*last))
            except Exception as exc:
                replies.append(exc)
        error = next((r for r in replies if isinstance(r, BaseException)), None)
        if error is not None and len(replies) > 1:
            raise error  # as above
        if error is not None:  # one statement applies whole or not at all: only this batch fails
            return [(job, None, error) for job in group]
        assert results is not None
        return _outcomes(group, results)

    # ------------------------------------------------------------------- reads

    async def read(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run a read-only `fn` on the reader connection, which sees committed data only."""
        if self._reader is None:
            raise DatabaseError("The database is closed.")
        return await fn(self._reader)


async def _in_savepoint(
    conn: aiosqlite.Connection, guarded: bool, work: Callable[[], Awaitable[T]]
) -> tuple[T | None, Exception | None]:
    """Run `work`, inside a savepoint when `guarded`; return (result, None) or (None, error),
    rolled back to the savepoint on error."""
    if guarded:
        await conn.execute("SAVEPOINT job")
    try:
        result = await work()
    except Exception as exc:
        if guarded:
            await conn.execute("ROLLBACK TO job")
            await conn.execute("RELEASE job")
        return None, exc
    if guarded:
        await conn.execute("RELEASE job")
    return result, None


def _units(batch: list[_Job[Any]]) -> list[list[_Job[Any]]]:
    """Split a batch into units: one plain write, or a run of consecutive jobs of one batcher."""
    units: list[list[_Job[Any]]] = []
    for job in batch:
        if job.batcher is not None and units and units[-1][0].batcher is job.batcher:
            units[-1].append(job)
        else:
            units.append([job])
    return units


def _advance(plan: Generator[T, None, R]) -> tuple[T | None, R | None]:
    """Run a plan to its next statement: (statement, None), or (None, its results) at the end."""
    try:
        return next(plan), None
    except StopIteration as end:
        return None, end.value


def _outcomes(
    group: list[_Job[Any]], results: list[Any]
) -> list[tuple[_Job[Any], Any, BaseException | None]]:
    return [
        (job, None, r) if isinstance(r, Exception) else (job, r, None)
        for job, r in zip(group, results, strict=True)
    ]


async def first_row(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> aiosqlite.Row | None:
    """Return a query's first row, or None, in one round trip to the database thread (a cursor's
    execute, fetch and close take three). For queries of at most a few rows."""
    for row in await conn.execute_fetchall(sql, params):
        return row
    return None


#: Ids bound in one `IN (...)` list: well under SQLite's limit on a statement's parameters.
IN_CHUNK = 500


async def rows_in(conn: aiosqlite.Connection, sql: str, ids: Iterable[int]) -> list[aiosqlite.Row]:
    """Run `sql`, whose `{marks}` stands for the placeholders of an `IN (...)` list, over these
    ids (sorted, each once), `IN_CHUNK` of them per statement; return the rows of every
    statement, in the order of the ids' chunks."""
    values = sorted(set(ids))
    rows: list[aiosqlite.Row] = []
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        rows.extend(await conn.execute_fetchall(sql.replace("{marks}", marks), chunk))
    return rows


async def changes(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """Run one INSERT, UPDATE or DELETE; return how many rows it wrote, in one round trip."""
    return len(list(await conn.execute_fetchall(f"{sql} RETURNING 1", params)))


async def open_readonly(path: Path) -> aiosqlite.Connection:
    """Open a database for reading only (reports), refusing one of another schema version."""
    if not path.exists():
        raise DatabaseError(f"No database at {path}.")
    check_regular(path)
    try:
        conn = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise DatabaseError(f"Cannot open the database {path}: {exc}.") from None
    try:
        conn.row_factory = aiosqlite.Row
        rows = await conn.execute_fetchall("PRAGMA user_version")
        version = int(next(iter(rows))[0])
    except sqlite3.DatabaseError as exc:
        await conn.close()
        raise DatabaseError(
            f"The database {path} is not a usable SQLite database ({exc})."
        ) from None
    mismatch = schema_mismatch(path, version)
    if mismatch is not None:
        await conn.close()
        raise DatabaseError(mismatch)
    return conn


def schema_mismatch(path: Path, version: int) -> str | None:
    """Why a database at schema `version` cannot be used as it is (one sentence), or None when
    it is at the version this code writes."""
    target = latest_version()
    if version == target:
        return None
    if version > target:
        return (
            f"The database {path} was written by a newer version of the bot "
            f"(schema {version}, this version knows {target})."
        )
    return f"The database {path} has schema {version}; start the bot once with it to upgrade it."
