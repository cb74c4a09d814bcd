"""Reports and exports of the log: one data model feeds every format."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bot.i18n import DEFAULT
from bot.reports.model import Report, load_report
from bot.storage import report_repo
from bot.storage.database import Database, DatabaseError, open_readonly
from bot.storage.repository import Run

FORMATS = ("json", "csv", "md", "html")


class ReportError(Exception):
    """A report that cannot be made; the message says why in one sentence."""


_gc_lock = threading.Lock()
_gc_state = {"pausers": 0, "was_enabled": True}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a report is loaded and rendered.

    A big log makes hundreds of thousands of small objects, none in reference cycles; each
    automatic collection would walk them all again (about a third of the time of a
    100,000-question report). Reference counting still frees everything. Nested and concurrent
    users are counted: the collector runs again when the last one leaves, if it ran before.
    """
    with _gc_lock:
        if _gc_state["pausers"] == 0:
            _gc_state["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_state["pausers"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["pausers"] -= 1
            if _gc_state["pausers"] == 0 and _gc_state["was_enabled"]:
                gc.enable()


def renderer(fmt: str, lang: str = DEFAULT) -> Callable[[Report], bytes]:
    """Return the function that renders a report in `fmt`; the readable formats (html, md) in
    the language `lang` (a code; the data formats, csv and json, are the same in every
    language)."""
    if fmt == "json":
        from bot.reports.json_format import render_json

        return render_json
    if fmt == "csv":
        from bot.reports.csv_format import render_csv

        return render_csv
    if fmt == "md":
        from bot.reports.markdown import render_markdown

        return partial(render_markdown, lang=lang)
    if fmt == "html":
        from bot.reports.html import render_html

        return partial(render_html, lang=lang)
    raise ReportError(f"Unknown report format {fmt!r}; use one of {', '.join(FORMATS)}.")


async def build_report(
    database: Path, *, session: str | None = None, run_kind: str = "real", run_id: int | None = None
) -> Report:
    """Load the report model from a database file, read-only."""
    try:
        conn = await open_readonly(Path(database))
    except DatabaseError as exc:
        raise ReportError(str(exc)) from None
    try:
        if session is not None and session not in await report_repo.session_ids(conn):
            raise ReportError(f"No session {session!r} in {database}.")
        with gc_paused():
            return await load_report(conn, session=session, run_kind=run_kind, run_id=run_id)
    finally:
        await conn.close()


async def render_report(
    database: Path,
    fmt: str,
    *,
    session: str | None = None,
    run_kind: str = "real",
    run_id: int | None = None,
    lang: str = DEFAULT,
) -> bytes:
    """Return the report of the log in `fmt` (json, csv, md, html) as bytes, the readable
    formats in the language `lang`."""
    render = renderer(fmt, lang)
    with gc_paused():
        report = await build_report(database, session=session, run_kind=run_kind, run_id=run_id)
        return render(report)


class Reports:
    """Reports of the bot's own log, for the commands that hand them out."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def render(self, fmt: str, run: Run, lang: str = DEFAULT) -> tuple[bytes, int]:
        """Render one run in `fmt` (html and md in the language `lang`): (the file's bytes,
        its question count).

        The model is read on the bot's reader connection; rendering (the slow part for a big
        log) runs in a worker thread so the bot keeps answering meanwhile.
        """
        render = renderer(fmt, lang)
        with gc_paused():
            report = await self.db.read(
                lambda conn: load_report(
                    conn, session=run.session_id, run_kind=run.kind, run_id=run.id
                )
            )
            data = await asyncio.to_thread(render, report)
        return data, sum(len(r.questions) for r in report.runs)


@dataclass(frozen=True)
class FallbackRun:
    """The run a report shows when the log holds no real run, and a sentence saying so."""

    id: int
    kind: str
    note: str


async def fallback_run(database: Path, session: str | None = None) -> FallbackRun | None:
    """Return the latest run (of `session`, if given) when the log holds no real run of it;
    None when it holds one, or no run at all (or cannot be read: build_report says why)."""
    try:
        conn = await open_readonly(Path(database))
    except DatabaseError:
        return None
    try:
        where, params = ("WHERE session_id = ?", (session,)) if session else ("", ())
        rows = list(
            await conn.execute_fetchall(
                f"SELECT id, session_id, kind, created_at FROM runs {where} "
                "ORDER BY kind = 'real' DESC, created_at DESC, id DESC LIMIT 1",
                params,
            )
        )
    finally:
        await conn.close()
    if not rows or rows[0][2] == "real":
        return None
    run_id, session_id, kind, created = rows[0]
    started = f"{created[:10]} {created[11:16]} UTC"
    return FallbackRun(
        int(run_id),
        kind,
        f"The log holds no real run{f' of {session}' if session else ''}: this report is of "
        f"the latest run, {kind} run {run_id} of {session_id} (started {started}). "
        "Choose with --run real or --run rehearsal.",
    )
