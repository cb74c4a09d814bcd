"""Look after the log: consistent backups while the bot runs, and forgetting who took part.

Both work on the database file with their own connection (plain sqlite3, synchronous: call them
with `asyncio.to_thread` from the bot), so they run beside a running bot as well as from the
command line (`run_bot.py backup`, `run_bot.py forget`).

**Backup** uses SQLite's online backup API in one step: the copy is the database as it was at
one instant (one read transaction, which in WAL mode never blocks the bot's writes), including
what is committed but still in the -wal file. The copy is switched to a rollback journal, so it
is one self-contained file, checked with `PRAGMA integrity_check`, synced, and only then renamed
into place: a failed backup never leaves a file that looks like a good one.

**Forget** replaces participants' Discord ids and names in one session's log by pseudonyms, as
`forget` below explains; `due_for_forgetting` says which sessions' `[privacy] forget_after_days`
has come, for a daily job.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sqlite3
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.sessions import Session
from bot.storage import answers_repo
from bot.storage.database import schema_mismatch
from bot.timeutil import to_db, utcnow

BUSY_TIMEOUT_S = 10.0
CHECKPOINT_TRIES = 5

# What a question's event may record that a moderator (or the bot) did. Every other action in a
# question's log (asked, withdrawn, and any action added later) is taken to be a participant's
# own and is forgotten with them: when in doubt, forget.
MODERATION_ACTIONS = frozenset(
    {
        "approved",
        "rejected",
        "edited",
        "merged",
        "merged_in",
        "labelled",
        "labeled",
        "label",
        "unlabeled",
        "speaker",
        "addressed",
        "picked",
        "live",
        "next",
        "requeued",
        "answered",
        "dismissed",
        "reopened",
        "restored",
        "blocked",
        "author_blocked",
        "author_unblocked",
    }
)
PSEUDONYM = "participant {}"
# A Discord id is a snowflake of 17-20 digits; shorter numbers in free text (counts, question
# numbers, delays) are never taken for one.
_ID_TOKEN = re.compile(r"<@!?(\d{6,20})>|(?<!\d)(\d{6,20})(?!\d)")


class MaintenanceError(Exception):
    """A backup or forget that cannot be done; the message is one sentence for the operator."""


class NoSession(MaintenanceError):
    """The log holds no run of the session to forget."""


# ---------------------------------------------------------------------------------- backup


@dataclass(frozen=True)
class BackupResult:
    """A backup made and checked."""

    database: Path
    out: Path
    size: int
    questions: int
    schema: int
    seconds: float
    removed: tuple[Path, ...] = ()

    def line(self) -> str:
        """One line for the operator."""
        old = f"; {len(self.removed)} older backup(s) removed" if self.removed else ""
        return (
            f"Backed up {self.database} to {self.out} ({_size(self.size)}, schema {self.schema}, "
            f"{self.questions:,} questions; integrity_check ok) in {self.seconds:.2f} s{old}."
        )


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.1f} kB"


def backup_name(database: Path, now: datetime) -> str:
    """Return the file name of a backup made into a folder: `<stem>-<UTC time>.sqlite3`."""
    return f"{database.stem}-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.sqlite3"


def backup(
    database: Path | str,
    out: Path | str,
    *,
    keep: int | None = None,
    now: datetime | None = None,
) -> BackupResult:
    """Copy the database consistently to `out` (a file, or a folder to put a dated copy in) and
    check the copy; raise MaintenanceError (one sentence) if that cannot be done.

    With a folder and `keep`, only the newest `keep` dated copies of this database stay there.
    """
    database, out = Path(database), Path(out)
    started = time.perf_counter()
    if not database.exists():
        raise MaintenanceError(f"No database at {database}.")
    if database.is_dir():
        raise MaintenanceError(f"The database path {database} is a folder, not a file.")
    into_folder = out.is_dir() or str(out).endswith(os.sep)
    target = out / backup_name(database, now or utcnow()) if into_folder else out
    if target.resolve() == database.resolve():
        raise MaintenanceError("The backup cannot be written over the database itself.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MaintenanceError(
            f"Cannot create the folder {target.parent}: {exc.strerror}."
        ) from None
    partial = target.with_name(target.name + ".partial")
    try:
        questions, schema = _copy(database, partial)
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
    except OSError as exc:
        raise MaintenanceError(f"Cannot write the backup {target}: {exc.strerror}.") from None
    finally:
        for leftover in (partial, Path(f"{partial}-journal"), Path(f"{partial}-wal")):
            with contextlib.suppress(OSError):
                leftover.unlink()
    removed = _prune(target.parent, database, keep) if into_folder and keep else ()
    return BackupResult(
        database=database,
        out=target,
        size=target.stat().st_size,
        questions=questions,
        schema=schema,
        seconds=time.perf_counter() - started,
        removed=removed,
    )


def _copy(database: Path, partial: Path) -> tuple[int, int]:
    """Back `database` up into `partial` and check it; return (questions, schema version)."""
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    try:
        source = sqlite3.connect(
            f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S
        )
    except sqlite3.Error as exc:
        raise MaintenanceError(f"Cannot open the database {database}: {exc}.") from None
    try:
        copy = sqlite3.connect(str(partial), isolation_level=None)
        try:
            try:
                schema = int(source.execute("PRAGMA user_version").fetchone()[0])
                source.backup(copy)  # all pages in one step: one consistent snapshot
            except sqlite3.DatabaseError as exc:
                raise MaintenanceError(
                    f"Cannot back up {database}: it is not a usable SQLite database ({exc})."
                ) from None
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise MaintenanceError(
                    f"The copy of {database} failed PRAGMA integrity_check ({problems[0]}); "
                    "no backup was written."
                )
            has_questions = copy.execute(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'questions'"
            ).fetchone()
            questions = (
                int(copy.execute("SELECT COUNT(*) FROM questions").fetchone()[0])
                if has_questions
                else 0
            )
        finally:
            copy.close()
    finally:
        source.close()
    return questions, schema


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder
    finally:
        os.close(fd)


def _prune(folder: Path, database: Path, keep: int) -> tuple[Path, ...]:
    pattern = re.compile(re.escape(database.stem) + r"-\d{8}T\d{6}Z\.sqlite3")
    dated = sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name))
    old = dated[: max(0, len(dated) - keep)]
    for path in old:
        path.unlink()
    return tuple(old)


# ---------------------------------------------------------------------------------- forget


@dataclass(frozen=True)
class ForgetResult:
    """What one forget did."""

    database: Path
    session_id: str
    at: datetime
    before: datetime | None
    participants: int
    first_number: int | None
    last_number: int | None
    questions: int
    votes: int
    events: int
    texts: int
    compacted: bool
    wal_cleared: bool

    def line(self) -> str:
        """One line for the operator."""
        scope = f"asked before {_day(self.before)}" if self.before else "of every run"
        if not self.participants:
            return (
                f"Nothing to forget in session {self.session_id} of {self.database}: its "
                f"questions {scope} hold no participant's id or name."
            )
        names = (
            f"participant {self.first_number}"
            if self.first_number == self.last_number
            else f"participant {self.first_number} to participant {self.last_number}"
        )
        wal = (
            ""
            if self.wal_cleared
            else " The bot held the file open: old pages leave the -wal file at its next "
            "checkpoint (stop the bot and run forget again to be sure)."
        )
        people = "participant" if self.participants == 1 else "participants"
        return (
            f"Forgot {self.participants:,} {people} of session {self.session_id} in "
            f"{self.database} ({self.questions:,} questions {scope}, {self.votes:,} votes, "
            f"{self.events:,} events): they are now {names}; the file was compacted.{wal}"
        )


def _day(moment: datetime) -> str:
    text = to_db(moment)
    return text[:10] if text[11:26] == "00:00:00.000000" else f"{text[:10]} {text[11:16]} UTC"


def parse_when(text: str) -> datetime:
    """Read a `--before` value: a date (midnight UTC) or an ISO date and time (UTC if no
    offset is given); raise ValueError with a sentence."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)."
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def forget(
    database: Path | str,
    session_id: str,
    *,
    before: datetime | None = None,
    now: datetime | None = None,
) -> ForgetResult:
    """Erase participants' Discord ids and names from one session's log (every run of it).

    Participants are the people the log knows as askers (questions.author_id, author_name),
    voters (votes.voter_id), co-askers of merged duplicates (co_askers.user_id), people blocked
    from asking (blocks.user_id), and the actors of their own events: a question's events are
    forgotten except the known moderation actions (MODERATION_ACTIONS: approve, reject, edit,
    merge, label, pick, answer, dismiss, block...). Those keep the moderator's id and display
    name, as do `blocks.blocked_by` and the session-level events (intake, delays, blocks):
    moderators act for the organizers, their record is the moderation history the report is
    for, and it says nothing about which participant did what. A moderator who also asked or
    voted is forgotten as a participant for those acts.

    Each participant becomes "participant N", numbered in order of first appearance (asking,
    then co-asking, voting, being blocked) and the same for one person everywhere in this pass;
    their id becomes -N everywhere, so one vote per person, distinct counts (participants who
    asked, voters) and every uniqueness rule still hold, and an anonymous question stays
    anonymous (its name stays empty). A later pass numbers after the last number used, so a
    pseudonym never names two people; the same person forgotten in two passes gets two numbers,
    since the bot keeps nothing that links them. The id of the chat message a question came
    from is dropped (it leads to its author). Participants' ids in free text (a mention in a
    question, a run event's detail such as a block's user id, a reason) are replaced by their
    pseudonym too; names someone typed into a question or a reason are content and stay.
    The notices sent about these questions and participants' choices to get them (/notify,
    /ask notify) are deleted: they say who took part. Questions, texts, states, counts, the
    moderation history and the answers of moderators and speakers stay.

    `before` limits it to the questions asked (and blocks and session events logged) before
    that moment; by default everything logged so far. The pass is recorded (table
    anonymizations), and reports say the log was anonymized and when. Then the file is
    compacted (VACUUM) and the -wal file checkpointed and truncated, so no old page keeps a
    forgotten id or name; SQLite's secure_delete is on for the pass. Backups made before keep
    what they held: keep them for a shorter time than `forget_after_days`.

    Safe beside a running bot (the pass is one transaction; VACUUM holds the write lock for as
    long as it takes, which the bot's writes wait for up to their busy timeout), but meant for
    a session that is over: a participant's limits and `/myquestions` no longer find their
    forgotten questions, and a forgotten block no longer stops them.
    """
    database = Path(database)
    now = now or utcnow()
    conn = _connect(database)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = _Forget(conn, database, session_id, before, now).run()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        compacted = wal_cleared = False
        if result.participants or result.texts:
            conn.execute("VACUUM")
            compacted = True
            wal_cleared = _checkpoint(conn)
    except sqlite3.OperationalError as exc:
        raise MaintenanceError(f"Cannot change the database {database}: {exc}.") from None
    finally:
        conn.close()
    return ForgetResult(**vars(result), compacted=compacted, wal_cleared=wal_cleared)


def _connect(database: Path) -> sqlite3.Connection:
    if not database.exists() or database.is_dir():
        raise MaintenanceError(f"No database at {database}.")
    try:
        conn = sqlite3.connect(str(database), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise MaintenanceError(f"Cannot open the database {database}: {exc}.") from None
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")  # overwrite what is deleted with zeros
        conn.execute("PRAGMA temp_store = MEMORY")  # the id map never touches the disk
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise MaintenanceError(
            f"The database {database} is not a usable SQLite database ({exc})."
        ) from None
    mismatch = schema_mismatch(database, version)
    if mismatch is not None:
        conn.close()
        raise MaintenanceError(mismatch)
    return conn


def _checkpoint(conn: sqlite3.Connection) -> bool:
    """Copy the -wal file into the database and truncate it; False if a reader kept it busy."""
    for attempt in range(CHECKPOINT_TRIES):
        row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if row is None or row[0] == 0:
            return True
        time.sleep(0.2 * (attempt + 1))
    return False


@dataclass
class _Counts:
    database: Path
    session_id: str
    at: datetime
    before: datetime | None
    participants: int = 0
    first_number: int | None = None
    last_number: int | None = None
    questions: int = 0
    votes: int = 0
    events: int = 0
    texts: int = 0


class _Forget:
    """One forget pass, inside the caller's transaction."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        database: Path,
        session_id: str,
        before: datetime | None,
        now: datetime,
    ) -> None:
        self.conn = conn
        self.session_id = session_id
        self.before = to_db(before) if before else None
        self.counts = _Counts(database, session_id, now, before)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    def run(self) -> _Counts:
        conn, sid, before = self.conn, self.session_id, self.before
        if not self.rows("SELECT 1 FROM sessions WHERE id = ?", (sid,)):
            raise NoSession(f"No session {sid!r} in {self.counts.database}.")
        for table in ("forget_runs", "forget_q", "forget_e", "forget_map"):
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
        conn.execute("CREATE TEMP TABLE forget_runs (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO forget_runs SELECT id FROM runs WHERE session_id = ?", (sid,))
        conn.execute("CREATE TEMP TABLE forget_q (id INTEGER PRIMARY KEY)")
        conn.execute(
            "INSERT INTO forget_q SELECT id FROM questions WHERE run_id IN forget_runs "
            "AND (?1 IS NULL OR asked_at < ?1)",
            (before,),
        )
        self.counts.questions = int(self.rows("SELECT COUNT(*) FROM forget_q")[0][0])
        conn.execute("CREATE TEMP TABLE forget_e (id INTEGER PRIMARY KEY)")
        actions = sorted(MODERATION_ACTIONS)
        conn.execute(
            "INSERT INTO forget_e SELECT id FROM question_events WHERE question_id IN forget_q "
            f"AND actor_id >= 0 AND action NOT IN ({','.join('?' * len(actions))})",
            actions,
        )
        numbers = self._number_participants()
        conn.execute("CREATE TEMP TABLE forget_map (real_id INTEGER PRIMARY KEY, n INTEGER)")
        conn.executemany("INSERT INTO forget_map VALUES (?, ?)", numbers.items())
        self._replace_ids()
        for sql, params in answers_repo.forget_statements(sid):  # notices name participants
            conn.execute(sql, params)
        self.counts.texts = self._scrub_texts({str(k): v for k, v in numbers.items()})
        if numbers or not self.rows(
            "SELECT 1 FROM anonymizations WHERE session_id = ? LIMIT 1", (sid,)
        ):
            conn.execute(
                "INSERT INTO anonymizations (session_id, at, before, participants, "
                "first_number, last_number) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    sid,
                    to_db(self.counts.at),
                    before,
                    len(numbers),
                    self.counts.first_number,
                    self.counts.last_number,
                ),
            )
        for table in ("forget_runs", "forget_q", "forget_e", "forget_map"):
            conn.execute(f"DROP TABLE temp.{table}")
        return self.counts

    def _next_number(self) -> int:
        """One after every pseudonym this session's log already holds."""
        used = [
            self.rows(
                "SELECT MAX(last_number) FROM anonymizations WHERE session_id = ?",
                (self.session_id,),
            )[0][0]
            or 0
        ]
        for sql in (
            "SELECT -MIN(author_id) FROM questions WHERE run_id IN forget_runs",
            "SELECT -MIN(v.voter_id) FROM votes v JOIN questions q ON q.id = v.question_id "
            "WHERE q.run_id IN forget_runs",
            "SELECT -MIN(c.user_id) FROM co_askers c JOIN questions q ON q.id = c.question_id "
            "WHERE q.run_id IN forget_runs",
            "SELECT -MIN(e.actor_id) FROM question_events e JOIN questions q "
            "ON q.id = e.question_id WHERE q.run_id IN forget_runs",
        ):
            used.append(self.rows(sql)[0][0] or 0)
        used.append(
            self.rows("SELECT -MIN(user_id) FROM blocks WHERE session_id = ?", (self.session_id,))[
                0
            ][0]
            or 0
        )
        return max(used) + 1

    def _number_participants(self) -> dict[int, int]:
        """Map each participant's id to their number, in order of first appearance."""
        order: dict[int, None] = {}
        queries: list[tuple[str, Sequence[Any]]] = [
            ("SELECT author_id FROM questions WHERE id IN forget_q ORDER BY asked_at, id", ()),
            (
                "SELECT user_id FROM co_askers WHERE question_id IN forget_q "
                "OR from_question_id IN forget_q ORDER BY from_question_id",
                (),
            ),
            ("SELECT voter_id FROM votes WHERE question_id IN forget_q ORDER BY at", ()),
            (
                "SELECT user_id FROM blocks WHERE session_id = ?1 AND (?2 IS NULL OR at < ?2) "
                "ORDER BY at",
                (self.session_id, self.before),
            ),
            ("SELECT actor_id FROM question_events WHERE id IN forget_e ORDER BY id", ()),
        ]
        for sql, params in queries:
            for (person,) in self.conn.execute(sql, params):
                if person is not None and person >= 0:
                    order.setdefault(int(person), None)
        if not order:
            return {}
        first = self._next_number()
        numbers = {person: first + i for i, person in enumerate(order)}
        self.counts.participants = len(numbers)
        self.counts.first_number, self.counts.last_number = first, first + len(numbers) - 1
        return numbers

    def _replace_ids(self) -> None:
        conn, n = self.conn, "(SELECT n FROM forget_map WHERE real_id = {})"
        conn.execute(
            f"UPDATE questions SET author_id = -{n.format('author_id')}, "
            f"author_name = CASE WHEN anonymous THEN NULL ELSE 'participant ' || "
            f"{n.format('author_id')} END, source_message_id = NULL "
            "WHERE id IN forget_q AND author_id IN (SELECT real_id FROM forget_map)"
        )
        self.counts.events = conn.execute(
            f"UPDATE question_events SET actor_id = -{n.format('actor_id')}, "
            f"actor_name = CASE WHEN actor_name IS NULL THEN NULL ELSE 'participant ' || "
            f"{n.format('actor_id')} END WHERE id IN forget_e"
        ).rowcount
        # "+voter_id": walk each question's votes, rather than look up every (question,
        # participant) pair in the primary key, which is questions x participants lookups
        self.counts.votes = conn.execute(
            f"UPDATE votes SET voter_id = -{n.format('voter_id')} WHERE question_id IN forget_q "
            "AND +voter_id IN (SELECT real_id FROM forget_map)"
        ).rowcount
        conn.execute(
            f"UPDATE co_askers SET user_id = -{n.format('user_id')} "
            "WHERE (question_id IN forget_q OR from_question_id IN forget_q) "
            "AND user_id IN (SELECT real_id FROM forget_map)"
        )
        conn.execute(
            f"UPDATE blocks SET user_id = -{n.format('user_id')} WHERE session_id = ?1 "
            "AND (?2 IS NULL OR at < ?2) AND user_id IN (SELECT real_id FROM forget_map)",
            (self.session_id, self.before),
        )

    def _scrub_texts(self, numbers: dict[str, int]) -> int:
        """Replace participants' ids in free text; return how many fields changed."""
        if not numbers:
            return 0
        digits = "'*[0-9][0-9][0-9][0-9][0-9][0-9]*'"
        in_scope = (self.session_id, self.before)
        places: list[tuple[str, str, str, Sequence[Any]]] = [
            ("questions", "text", "id IN forget_q", ()),
            ("question_events", "reason", "question_id IN forget_q", ()),
            ("question_events", "detail", "question_id IN forget_q", ()),
            ("blocks", "reason", "session_id = ?1 AND (?2 IS NULL OR at < ?2)", in_scope),
            ("run_events", "detail", "run_id IN forget_runs AND (?2 IS NULL OR at < ?2)", in_scope),
        ]
        changed = 0
        for table, column, where, params in places:
            rows = self.rows(
                f"SELECT rowid, {column} FROM {table} WHERE {where} AND {column} GLOB {digits}",
                params,
            )
            for rowid, text in rows:
                new = scrub(text, numbers)
                if new != text:
                    self.conn.execute(
                        f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (new, rowid)
                    )
                    changed += 1
        return changed


def scrub(text: str, numbers: dict[str, int]) -> str:
    """Return `text` with the given participants' ids replaced by their pseudonyms: a mention
    `<@id>` by "@participant N", a bare id by "participant N"; inside a JSON object or list an
    id stored as a number becomes -N (as in the id columns)."""
    if text[:1] in "[{":
        try:
            data = json.loads(text)
        except ValueError:
            pass
        else:
            return json.dumps(_scrub_json(data, numbers), ensure_ascii=False)

    def replace(match: re.Match[str]) -> str:
        mention, bare = match.groups()
        number = numbers.get(mention or bare)
        if number is None:
            return match.group(0)
        return ("@" if mention else "") + PSEUDONYM.format(number)

    return _ID_TOKEN.sub(replace, text)


def _scrub_json(value: Any, numbers: dict[str, int]) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        number = numbers.get(str(value))
        return value if number is None else -number
    if isinstance(value, str):
        return scrub(value, numbers) if value[:1] not in "[{" else value
    if isinstance(value, list):
        return [_scrub_json(v, numbers) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, numbers) for k, v in value.items()}
    return value


# -------------------------------------------------------------------- forgetting on time


@dataclass(frozen=True)
class Due:
    """A session whose `[privacy] forget_after_days` has come."""

    session_id: str
    ended_at: datetime
    due_at: datetime


def session_end(session: Session) -> datetime:
    """When a session ends: its program's end, else its intake's scheduled close, else the
    end of its day in its time zone."""
    if session.ends_at is not None:
        return session.ends_at
    closes = session.intake_window[1]
    if closes is not None:
        return closes
    midnight = datetime.combine(session.spec.date + timedelta(days=1), datetime.min.time())
    return midnight.replace(tzinfo=session.zone).astimezone(UTC)


#: How long before its start and after its end a session counts as on: its people are there.
ON_MARGIN = timedelta(hours=1)


def session_start(session: Session) -> datetime:
    """When a session starts: its intake's scheduled opening, else its program's start, else
    the start of its day in its time zone."""
    opens = session.intake_window[0]
    if opens is not None:
        return opens
    midnight = datetime.combine(session.spec.date, datetime.min.time())
    return midnight.replace(tzinfo=session.zone).astimezone(UTC)


def sessions_on(
    sessions: Iterable[Session], now: datetime, margin: timedelta = ON_MARGIN
) -> list[str]:
    """Return the ids of the sessions on at `now`, from `margin` before their start to `margin`
    after their end. Pure. Forgetting compacts the log, which holds its write lock for as long
    as that takes (seconds, on a large log): the bot does not do it while a session is on."""
    return [s.id for s in sessions if session_start(s) - margin <= now <= session_end(s) + margin]


def due_for_forgetting(sessions: Iterable[Session], now: datetime) -> list[Due]:
    """Return the sessions whose log is due to be forgotten: `[privacy] forget_after_days` set,
    and that many days gone since the session ended. Pure; a daily job passes each to
    `forget` (which does nothing, quickly, when nothing is left to forget)."""
    due = []
    for session in sessions:
        days = session.spec.privacy.forget_after_days
        if days is None:
            continue
        ended = session_end(session)
        if now >= ended + timedelta(days=days):
            due.append(Due(session.id, ended, ended + timedelta(days=days)))
    return due


def forget_due(
    database: Path | str, sessions: Iterable[Session], now: datetime | None = None
) -> list[ForgetResult]:
    """Forget every session that is due (see `due_for_forgetting`) and in the log; for the
    bot's daily job, through `asyncio.to_thread`."""
    now = now or utcnow()
    results = []
    for due in due_for_forgetting(sessions, now):
        with contextlib.suppress(NoSession):  # nothing of it in this log
            results.append(forget(database, due.session_id, now=now))
    return results


# ------------------------------------------------------------------------ command line


def add_commands(sub: Any) -> None:
    """Add `backup` and `forget` to the command line's subcommands."""
    levels = ["DEBUG", "INFO", "WARNING", "ERROR"]
    cmd = sub.add_parser(
        "backup", help="copy the log consistently, even while the bot runs, and check the copy"
    )
    cmd.add_argument("--database", type=Path, required=True, help="the SQLite log")
    cmd.add_argument(
        "--out",
        type=Path,
        required=True,
        help="the backup file, or a folder to put a dated copy in (<name>-<UTC time>.sqlite3)",
    )
    cmd.add_argument(
        "--keep", type=int, metavar="N", help="with a folder: keep only the newest N copies"
    )
    cmd.add_argument("--log-level", default="WARNING", choices=levels)
    cmd.set_defaults(handler=cmd_backup)

    cmd = sub.add_parser(
        "forget",
        help="replace participants' Discord ids and names in a session's log by pseudonyms",
    )
    cmd.add_argument("--database", type=Path, required=True, help="the SQLite log")
    cmd.add_argument("--session", required=True, help="the session id")
    cmd.add_argument(
        "--before",
        metavar="DATE",
        help="only questions asked before DATE (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)",
    )
    cmd.add_argument("--log-level", default="WARNING", choices=levels)
    cmd.set_defaults(handler=cmd_forget)


def cmd_backup(args: argparse.Namespace) -> int:
    """`backup`: exit 0 with one line, or 2 with one sentence."""
    if args.keep is not None and args.keep < 1:
        print("--keep must be at least 1.", file=sys.stderr)
        return 2
    try:
        result = backup(args.database, args.out, keep=args.keep)
    except MaintenanceError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(result.line())
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    """`forget`: exit 0 with one line, or 2 with one sentence."""
    try:
        before = parse_when(args.before) if args.before else None
        result = forget(args.database, args.session, before=before)
    except (MaintenanceError, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(result.line())
    return 0
