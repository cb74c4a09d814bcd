"""The Bot subclass: opens storage, makes the services, adds the cogs, starts the scheduler.

Everything the bot runs on is made once in `setup_hook`, in order, and handed to the cogs that
use it (as discord.py's examples/advanced_startup.py does): the database, the runs, the core
services (questions, schedule, reports), then the cogs, each given what it needs. `close()` undoes
it all.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

from bot.answers import AnswerService
from bot.doctor import check
from bot.maintenance import due_for_forgetting, forget_due, sessions_on
from bot.program import Timeline
from bot.questions import Question, QuestionService
from bot.reports import Reports
from bot.routing import describe_pin
from bot.runs import Runs
from bot.schedule import ScheduleService
from bot.screen import ScreenServer, parse_address
from bot.sessions import Session
from bot.similar import SimilarQuestions
from bot.storage import repository as repo
from bot.storage.database import Database
from bot.timeutil import utcnow
from cogs._buttons import DYNAMIC_ITEMS
from cogs._doctor_snapshot import build_snapshot
from cogs._translator import CatalogTranslator
from cogs.answering import Answering
from cogs.asking import Asking
from cogs.errors import Errors
from cogs.exports import Exports
from cogs.moderation import Moderation
from cogs.notices import Notices
from cogs.organizers import Organizers
from cogs.posting import Posting
from cogs.schedule import Schedule
from cogs.themes import Themes
from cogs.voting import Voting

log = logging.getLogger(__name__)

SYNC_KEY = "command_tree_fingerprint"
FORGET_EVERY = 24 * 60 * 60  # seconds between two looks for sessions due to be forgotten
FORGET_AGAIN = 60 * 60  # seconds before the next look when a session was on


def intents_for(sessions: list[Session]) -> discord.Intents:
    """Ask for the privileged Message Content intent only if a session captures chat, or reads
    answers in its follow-up forum."""
    intents = discord.Intents.default()
    intents.members = False
    intents.presences = False
    intents.message_content = any(
        s.spec.questions.chat_capture or s.spec.discord.followup_forum is not None for s in sessions
    )
    return intents


#: Loggers whose DEBUG lines carry what people sent (gateway payloads with user ids, statement
#: parameters with an anonymous asker's id): never below INFO, whatever the bot's log level.
PRIVATE_LOGGERS = ("discord", "aiosqlite")


def quiet_private_loggers() -> None:
    """Keep third-party loggers that print payloads or statement parameters at INFO or above."""
    for name in PRIVATE_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:  # NOTSET included: the root's level must not reach it
            logger.setLevel(logging.INFO)


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
        quiet_private_loggers()
        self.sessions: dict[str, Session] = {s.id: s for s in sessions}
        self.database_path = database
        self.rehearse = rehearse
        self.clock = clock
        self.sync_commands = sync_commands
        self.db = Database(database)
        self.scheduler: AsyncIOScheduler | None = None
        self.runs = Runs(self.db, self.sessions)
        self.questions = QuestionService(self.db, clock)
        self.reports = Reports(self.db)
        self.schedule = ScheduleService(self.db, clock, self.runs, self.reports)
        self.similar = SimilarQuestions(self.db, self.runs)
        self.answers = AnswerService(self.db, clock, self.questions)
        self.questions.listeners.append(self._question_changed)
        self.schedule.listeners.append(self.notify_screen)
        self.servers_known = asyncio.Event()  # set once every session's server is settled
        self._told: set[str] = set()
        self._checked = False
        self.forgetting: asyncio.Future[None] | None = None
        self.screen_address = screen
        self.screen: ScreenServer | None = None

    # ----------------------------------------------------------------- lifecycle

    async def setup_hook(self) -> None:
        """Open the database, open the runs, start the scheduler, add the cogs, sync."""
        if not self.db.is_open:
            await self.db.open()
        await self.runs.start(self.clock(), self.rehearse)
        await self.similar.start()
        await self.answers.start()
        if self.screen_address is not None and self.screen is None:
            await self._start_screen(self.screen_address)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.scheduler.start()
        await self._add_cogs()
        self.every(FORGET_EVERY, self.forget_due, "privacy:forget", "forget participants on time")
        await self.tree.set_translator(CatalogTranslator())
        await self._sync_if_changed()

    async def _add_cogs(self) -> None:
        """Add every cog, each given the services it uses (posting first: others post)."""
        if self.cogs:
            return  # setup_hook ran before on this bot object (a restart re-attaching it)
        posting = Posting(self, self.questions, self.similar, self.answers)
        moderation = Moderation(self, self.questions, self.schedule, posting)
        answering = Answering(
            self, self.runs, self.questions, self.answers, posting, moderation.group
        )
        for cog in (
            Errors(self),
            posting,
            Asking(self, self.runs, self.questions, posting, self.similar, self.answers),
            Voting(self, self.questions, posting),
            moderation,
            Exports(self, self.reports, self.runs, moderation.group),
            Themes(self, self.questions, self.similar, posting, moderation.group),
            Organizers(self, moderation.group),
            answering,
            Notices(self, self.answers),
            Schedule(self, self.schedule, answering.post_followups),
        ):
            await self.add_cog(cog)
        self.add_dynamic_items(*DYNAMIC_ITEMS)

    async def _sync_if_changed(self) -> None:
        """Sync application commands when asked to, or when their definitions changed."""
        if self.sync_commands is False:
            return
        translator = self.tree.translator
        commands = [
            await cmd.get_translated_payload(self.tree, translator)
            if translator is not None
            else cmd.to_dict(self.tree)
            for cmd in self.tree.get_commands()
        ]
        payload = json.dumps(commands, sort_keys=True)
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

    def _question_changed(self, run_id: int, questions: Sequence[Question]) -> None:
        """After every committed change: the similarity index and the screen follow."""
        self.similar.changed(run_id, questions)
        if self.screen is not None:
            self.screen.notify_run(run_id)

    def notify_screen(self, session_id: str) -> None:
        """Push the session's presenter screen again (after a committed change); no-op if off."""
        if self.screen is not None:
            self.screen.notify(session_id)

    async def close(self) -> None:
        """Remove the cogs, stop the screen and the scheduler, close the database, then
        disconnect."""
        if self.forgetting is not None and not self.forgetting.done():
            await asyncio.wait({self.forgetting})
        for name in list(self.cogs):
            try:
                await self.remove_cog(name)
            except Exception:
                log.exception("removing the cog %s failed", name)
        if self.screen is not None:
            await self.screen.stop()
            self.screen = None
        if self.db.is_open:
            await self.answers.drain()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None
        await self.db.close()
        await super().close()

    # ------------------------------------------------------------------- servers

    async def on_ready(self) -> None:
        """Pin every session to its server now that the servers are known, then let the cogs
        start their work (`on_qa_ready`). Runs again after a reconnect; pins do not move."""
        await self.settle_servers()
        self.dispatch("qa_ready")

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._joined(guild)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        if self.is_ready():  # at start, on_ready settles every server at once
            await self._joined(guild)

    async def _joined(self, guild: discord.Guild) -> None:
        """A server joined later never takes a session over (except one waiting for its first
        server); say so once."""
        await self.settle_servers()
        if guild.id not in self.runs.pins().values():
            self._tell_once(
                f"joined:{guild.id}",
                f"the bot joined the server {guild.name!r} ({guild.id}); no session is served "
                "there (each session stays in its own server)",
            )

    async def settle_servers(self) -> None:
        pins = await self.runs.settle_pins([g.id for g in self.guilds], self.clock())
        names = {g.id: g.name for g in self.guilds}
        for session_id, pin in pins.items():
            line = describe_pin(self.sessions[session_id], pin, names)
            if pin.guild_id is None:
                self._tell_once(f"pin:{session_id}:{line}", line, logging.WARNING)
            else:
                self._tell_once(f"pin:{session_id}:{pin.guild_id}", line)
        self.servers_known.set()
        if not self._checked:
            self._checked = True
            self.log_setup_check()
            self.forgetting = asyncio.ensure_future(self.forget_due())

    async def forget_due(self) -> None:
        """The daily job: erase participants' ids and names from the log of every session whose
        `[privacy] forget_after_days` has passed since it ended (off the event loop)."""
        if str(self.database_path) == ":memory:":
            return
        now = self.clock()
        if not due_for_forgetting(self.sessions.values(), now):
            return
        on = sessions_on(self.sessions.values(), now)
        if on:
            # compacting the log would hold up a live session's writes: wait until it is over
            log.info(
                "forgetting participants on time waits while %s %s on; tried again in an hour",
                ", ".join(on),
                "is" if len(on) == 1 else "are",
            )
            self.once(FORGET_AGAIN, self.forget_due, "privacy:forget-again", "forget once over")
            return
        try:
            results = await asyncio.to_thread(
                forget_due, self.database_path, list(self.sessions.values()), now
            )
        except Exception:
            log.exception("forgetting participants on time failed; it is tried again tomorrow")
            return
        for result in results:
            if result.participants:
                log.info("%s", result.line())

    def pins(self) -> dict[str, int]:
        """The server each session is pinned to (sessions served nowhere are left out)."""
        return {sid: gid for sid, gid in self.runs.pins().items() if gid is not None}

    def log_setup_check(self) -> None:
        """The set-up check (as /qa doctor shows it), once at start, in the log."""
        report = check(build_snapshot(self, self.sessions.values(), self.pins()))
        level = logging.INFO if report.ok else logging.WARNING
        for line in report.log_lines:
            log.log(level, "%s", line)

    def _tell_once(self, key: str, line: str, level: int = logging.INFO) -> None:
        if key not in self._told:
            self._told.add(key)
            log.log(level, "%s", line)

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

    def once(
        self, seconds: float, job: Callable[[], Awaitable[None]], job_id: str, name: str
    ) -> None:
        """Run `job` once, `seconds` from now, on the scheduler, under a stable id (a later call
        moves it)."""
        if self.scheduler is None:
            return
        self.scheduler.add_job(
            job,
            "date",
            run_date=datetime.now(UTC) + timedelta(seconds=seconds),
            id=job_id,
            name=name,
            replace_existing=True,
            misfire_grace_time=None,
        )

    # ------------------------------------------------------------------ sessions

    def timeline(self, session_id: str) -> Timeline:
        """Return the session's program placed in real time for its current run."""
        return self.runs.timeline(session_id)
