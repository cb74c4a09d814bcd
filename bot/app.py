"""The Bot subclass: opens storage, loads cogs and starts the scheduler; close() undoes it all."""

from __future__ import annotations

import hashlib
import json
import logging
import pkgutil
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import aiosqlite
import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

import cogs
from bot.program import Timeline
from bot.screen import ScreenServer, parse_address
from bot.sessions import Session
from bot.storage import repository as repo
from bot.storage.database import Database
from bot.timeutil import utcnow

log = logging.getLogger(__name__)

SYNC_KEY = "command_tree_fingerprint"


def intents_for(sessions: list[Session]) -> discord.Intents:
    """Ask for the privileged Message Content intent only if a session captures chat."""
    intents = discord.Intents.default()
    intents.members = False
    intents.presences = False
    intents.message_content = any(s.spec.questions.chat_capture for s in sessions)
    return intents


# The bot never joins voice: don't warn that voice libraries are missing.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class QABot(commands.Bot):
    """The Q&A bot: sessions from files, the log in SQLite, Discord through the cogs."""

    def __init__(
        self,
        *,
        sessions: list[Session],
        database: Path | str,
        rehearse: float | None = None,
        clock: Callable[[], datetime] = utcnow,
        sync_commands: bool | None = None,
        screen: str | None = None,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents_for(sessions),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.sessions: dict[str, Session] = {s.id: s for s in sessions}
        self.database_path = database
        self.rehearse = rehearse
        self.clock = clock
        self.sync_commands = sync_commands
        self.db = Database(database)
        self.scheduler: AsyncIOScheduler | None = None
        self.runs: dict[str, repo.Run] = {}
        self.screen_address = screen
        self.screen: ScreenServer | None = None

    # ----------------------------------------------------------------- lifecycle

    async def setup_hook(self) -> None:
        """Open the database, record sessions and runs, load cogs, start the scheduler, sync."""
        if not self.db.is_open:
            await self.db.open()
        now = self.clock()
        for session in self.sessions.values():
            self.runs[session.id] = await self.db.write(self._run_preparer(session, now))
        if self.screen_address is not None and self.screen is None:
            await self._start_screen(self.screen_address)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.scheduler.start()
        for module in sorted(m.name for m in pkgutil.iter_modules(cogs.__path__)):
            if module.startswith("_"):
                continue
            name = f"cogs.{module}"
            if name not in self.extensions:
                await self.load_extension(name)
        await self._sync_if_changed()

    def _run_preparer(
        self, session: Session, now: datetime
    ) -> Callable[[aiosqlite.Connection], Awaitable[repo.Run]]:
        async def prepare(conn: aiosqlite.Connection) -> repo.Run:
            await repo.upsert_session(conn, session, now)
            if self.rehearse:
                return await repo.rehearsal_run(conn, session.id, float(self.rehearse), now)
            return await repo.real_run(conn, session.id, now)

        return prepare

    async def _sync_if_changed(self) -> None:
        """Sync application commands when asked to, or when their definitions changed."""
        if self.sync_commands is False:
            return
        payload = json.dumps(
            [cmd.to_dict(self.tree) for cmd in self.tree.get_commands()], sort_keys=True
        )
        fingerprint = hashlib.sha256(payload.encode()).hexdigest()
        stored = await self.db.read(lambda conn: repo.get_meta(conn, SYNC_KEY))
        if self.sync_commands or stored != fingerprint:
            synced = await self.tree.sync()
            log.info("synced %d application commands", len(synced))
            await self.db.write(lambda conn: repo.set_meta(conn, SYNC_KEY, fingerprint))

    async def _start_screen(self, address: str) -> None:
        screen = ScreenServer(
            self.db,
            self.sessions,
            clock=self.clock,
            run_of=lambda session_id: run.id if (run := self.runs.get(session_id)) else None,
        )
        await screen.start(*parse_address(address))
        self.screen = screen

    def notify_screen(self, session_id: str) -> None:
        """Push the session's presenter screen again (after a committed change); no-op if off."""
        if self.screen is not None:
            self.screen.notify(session_id)

    async def close(self) -> None:
        """Stop the screen and the scheduler, unload cogs, close the database, then disconnect."""
        if self.screen is not None:
            await self.screen.stop()
            self.screen = None
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None
        for name in list(self.extensions):
            try:
                await self.unload_extension(name)
            except Exception:
                log.exception("unloading %s failed", name)
        await self.db.close()
        await super().close()

    def every(
        self, seconds: float, job: Callable[[], Awaitable[None]], job_id: str, name: str
    ) -> None:
        """Run `job` every `seconds` on the scheduler, one at a time, under a stable id."""
        if self.scheduler is None:
            return
        self.scheduler.add_job(
            job,
            "interval",
            seconds=seconds,
            id=job_id,
            name=name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )

    # ------------------------------------------------------------------ sessions

    def timeline(self, session_id: str) -> Timeline:
        """Return the session's program placed in real time for its current run."""
        return Timeline(self.sessions[session_id], self.runs[session_id])

    async def reload_run(self, session_id: str) -> repo.Run:
        """Read the session's run again after a change (delay, intake override)."""
        run_id = self.runs[session_id].id
        run = await self.db.read(lambda conn: repo.get_run(conn, run_id))
        assert run is not None
        self.runs[session_id] = run
        return run
