"""A rehearsal's report shows the program's clock, not the seconds the rehearsal lasted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

from bot.questions import QuestionService
from bot.reports import build_report, renderer
from bot.sessions import load_session
from bot.storage import repository as repo
from bot.storage.database import Database
from tests.conftest import GSEF

SPEED = 600.0
PLAYED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # when the rehearsal was played


async def test_rehearsal_report_places_questions_in_their_segments(tmp_path: Path) -> None:
    session = load_session(GSEF)
    db_path = tmp_path / "rehearsal.sqlite3"
    db = Database(db_path)
    await db.open()
    now = PLAYED

    def clock() -> datetime:
        return now

    async def prepare(conn: aiosqlite.Connection) -> repo.Run:
        await repo.upsert_session(conn, session, PLAYED)
        return await repo.rehearsal_run(conn, session.id, SPEED, PLAYED)

    try:
        run = await db.write(prepare)
        anchor = run.anchor_at
        assert anchor is not None
        service = QuestionService(db, clock)
        # 19:15 KST on the program's clock is 75 program minutes after 18:00: 7.5 s at 600x.
        now = anchor + timedelta(minutes=75) / SPEED
        await service.ask(session, run, 42, "Ana", "A question in the participants' Q&A")
    finally:
        await db.close()

    report = await build_report(db_path, run_kind="rehearsal")
    rehearsal = report.runs[0]
    assert rehearsal.run.is_rehearsal
    # The log keeps real times: the question was asked seconds after the rehearsal began.
    assert rehearsal.questions[0].asked_at == now
    shown = rehearsal.on_program_clock()
    assert shown.questions[0].asked_at == datetime(2021, 10, 4, 10, 15, tzinfo=UTC)
    qa = next(s for s in shown.segments if s.kind == "qa")
    assert (qa.start, qa.end) == (
        datetime(2021, 10, 4, 10, 10, tzinfo=UTC),
        datetime(2021, 10, 4, 10, 25, tzinfo=UTC),
    )
    html = renderer("html")(report).decode("utf-8")
    assert "19:10" in html and "19:25" in html  # the Q&A segment at its program times (KST)
    assert "program&#39;s clock" in html or "program's clock" in html
    markdown = renderer("md")(report).decode("utf-8")
    assert "19:10" in markdown
