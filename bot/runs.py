"""The runs the bot plays: for each session, its real run or its rehearsal, as the log holds it.

A run's row changes while the bot plays it (a delay, intake opened by hand, a rehearsal's end);
`Runs` keeps the current version of each and reads it again after every such change, so every
part of the bot sees the same run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping
from datetime import datetime

import aiosqlite

from bot.program import Timeline
from bot.routing import Pin, choose_pin
from bot.sessions import Session
from bot.storage import repository as repo
from bot.storage.database import Database
from bot.storage.repository import Run


class Runs(Mapping[str, Run]):
    """The current run of each session, by session id (read-only as a mapping)."""

    def __init__(self, db: Database, sessions: Mapping[str, Session]) -> None:
        self.db = db
        self.sessions = sessions
        self._runs: dict[str, Run] = {}
        self._pinning = asyncio.Lock()

    async def start(self, now: datetime, rehearse: float | None) -> None:
        """Record every session and open its run: the real one, or a rehearsal at `rehearse`."""
        for session in self.sessions.values():
            self._runs[session.id] = await self.db.write(self._preparer(session, now, rehearse))

    @staticmethod
    def _preparer(
        session: Session, now: datetime, rehearse: float | None
    ) -> Callable[[aiosqlite.Connection], Awaitable[Run]]:
        async def prepare(conn: aiosqlite.Connection) -> Run:
            await repo.upsert_session(conn, session, now)
            if rehearse:
                return await repo.rehearsal_run(conn, session.id, float(rehearse), now)
            return await repo.real_run(conn, session.id, now)

        return prepare

    def __getitem__(self, session_id: str) -> Run:
        return self._runs[session_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._runs)

    def __len__(self) -> int:
        return len(self._runs)

    def timeline(self, session_id: str) -> Timeline:
        """The session's program placed in real time for its current run."""
        return Timeline(self.sessions[session_id], self._runs[session_id])

    def is_current(self, session_id: str, run_id: int) -> bool:
        """Say whether `run_id` is the run the bot plays for this session now."""
        run = self._runs.get(session_id)
        return run is not None and run.id == run_id

    # ------------------------------------------------------------------- servers

    def guild_of(self, session_id: str) -> int | None:
        """The Discord server the session is served in, or None (nowhere, yet)."""
        pinned = self.sessions[session_id].spec.discord.guild_id
        if pinned is not None:
            return pinned
        run = self._runs.get(session_id)
        return run.guild_id if run is not None else None

    def pins(self) -> dict[str, int | None]:
        """The server of every session (None: served nowhere, yet)."""
        return {session_id: self.guild_of(session_id) for session_id in self._runs}

    async def settle_pins(self, guilds: Collection[int], now: datetime) -> dict[str, Pin]:
        """Pin every session's run now that the bot knows its servers; record new pins."""
        async with self._pinning:
            return await self._settle_pins(guilds, now)

    async def _settle_pins(self, guilds: Collection[int], now: datetime) -> dict[str, Pin]:
        pins: dict[str, Pin] = {}
        for session_id, session in self.sessions.items():
            run = self._runs[session_id]
            pin = choose_pin(session.spec.discord.guild_id, run.guild_id, guilds)
            if pin.is_new and pin.guild_id is not None:
                await self.db.write(_pinner(run.id, pin.guild_id, now))
                await self.reload(session_id)
            pins[session_id] = pin
        return pins

    def session_of_run(self, run_id: int) -> Session | None:
        """The session whose current run is `run_id` (None: that run is no longer played)."""
        for session_id, run in self._runs.items():
            if run.id == run_id:
                return self.sessions[session_id]
        return None

    async def run(self, run_id: int) -> Run | None:
        """Any run of the log, current or not."""
        return await self.db.read(lambda conn: repo.get_run(conn, run_id))

    async def reload(self, session_id: str) -> Run:
        """Read the session's run again after a change (delay, intake override, its end)."""
        run = await self.run(self._runs[session_id].id)
        assert run is not None
        self._runs[session_id] = run
        return run


def _pinner(
    run_id: int, guild_id: int, now: datetime
) -> Callable[[aiosqlite.Connection], Awaitable[None]]:
    return lambda conn: repo.pin_run(conn, run_id, guild_id, now)
