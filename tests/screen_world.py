"""The presenter screen's test world: a core (a Database in tmp_path, a QuestionService, the GSEF
session and its real run) and a ScreenServer on a free port of 127.0.0.1 showing it. Import
`screen_fixture` into a test module to use the `screen` fixture.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.questions import QuestionService
from bot.screen import ScreenServer
from bot.sessions import Session, load_session
from bot.storage import repository as repo
from bot.storage.database import Database
from bot.storage.repository import Run
from tests.conftest import GSEF, Clock

SESSION = "gsef2021-inclusive-society"
MOD = (900, "mona")


@dataclass
class Screen:
    db: Database
    service: QuestionService
    session: Session
    run: Run
    clock: Clock
    path: Path
    server: ScreenServer
    url: str  # the session's page

    async def asked(
        self,
        author: int,
        text: str,
        *,
        approve: bool = True,
        name: str | None = None,
        **options: Any,
    ) -> int:
        """Ask (as `name`, or "user<author>") and approve; return the question's number."""
        who = name or f"user{author}"
        q = await self.service.ask(self.session, self.run, author, who, text, **options)
        if approve:
            await self.service.approve(self.run.id, q.number, *MOD)
        return q.number

    def notify(self) -> None:
        self.server.notify(SESSION)

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.path) as conn:
            return conn.execute(sql, params).fetchall()


async def open_core(path: Path, clock: Clock, source: Path = GSEF) -> tuple[Database, Session, Run]:
    """A database at `path` holding the session of the file `source` and its real run."""
    db = Database(path)
    await db.open()
    session = load_session(source)
    now = clock()

    async def prepare(conn: Any) -> Run:
        await repo.upsert_session(conn, session, now)
        return await repo.real_run(conn, session.id, now)

    return db, session, await db.write(prepare)


@pytest.fixture(name="screen")
async def screen_fixture(tmp_path: Path, clock: Clock) -> AsyncIterator[Screen]:
    path = tmp_path / "screen.sqlite3"
    db, session, run = await open_core(path, clock)
    server = ScreenServer(db, {session.id: session}, clock=clock, run_of=lambda _: run.id)
    await server.start("127.0.0.1", 0)
    url = await server.url_for(session.id)
    yield Screen(db, QuestionService(db, clock), session, run, clock, path, server, url)
    await server.stop()
    await db.close()
