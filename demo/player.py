"""`python run_bot.py demo`: play the GSEF 2021 workshop end to end, offline, with no token.

The real bot (built by `create_bot`, in rehearsal at `--speed`) runs against SimCord's simulated
Discord: a server with the session's channels and roles, a moderator, an organizer and
`--participants` people who follow the script of `bot.demo_script` (questions from
data/demo_questions.toml). The scheduler posts the program; the demo plays every step at its
program time converted to real time by the bot's Timeline, one user action at a time, in order,
never skipping one when it falls behind.

The terminal shows a transcript, one line per event (program posts, questions, moderation, what
is on screen) with a progress bar for the program when stdout is a terminal, plain lines
otherwise. At the end the SQLite log, the HTML report and the JSON export are written and their
paths printed with the summary numbers.

Two runs with the same arguments give the same outcome (who asked what, every state, every vote);
only wall-clock times differ. The log is started afresh on every run for that reason.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from bot.demo_script import (
    QUESTIONS_FILE,
    SESSION_FILE,
    DemoQuestion,
    Script,
    ScriptError,
    Step,
    build_script,
    load_questions,
)
from bot.sessions import ConfigError, Session
from bot.timeutil import utcnow

if TYPE_CHECKING:
    import simcord

log = logging.getLogger(__name__)

REPORT_STEM = "gsef2021-report"
SESSION_ID = "gsef2021-inclusive-society"
WIDTH = 100  # the transcript is laid out for a terminal this wide (or the terminal's width)

#: SimCord settles after every user action, and waits for any timer due before its deadline,
#: the scheduler's included. The demo lets a program post due within `GUARD` go first, and
#: settles actions with a deadline shorter than that, so no action ever races a post.
SETTLE_TIMEOUT = 0.5
GUARD = timedelta(seconds=0.75)
EPHEMERAL = 64  # Discord's message flag
POLL = 0.05  # seconds between looks at the channels while waiting
VOTE_LINE_EVERY = 40  # votes summarised in one transcript line

_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_CHANNEL = re.compile(r"<#(\d+)>")
_NUMBER = re.compile(r"#(\d+)")
_QUEUE_ROW = re.compile(r"\*\*#(\d+)\*\* · 👍 (\d+)")


@dataclass(frozen=True)
class Options:
    speed: float = 90.0
    participants: int = 90
    database: Path = Path("data/demo.sqlite3")
    out: Path = Path("data/out")
    seed: int = 2021
    config: Path = SESSION_FILE
    questions: Path = QUESTIONS_FILE

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Options:
        defaults = cls()
        return cls(
            speed=float(getattr(args, "speed", defaults.speed)),
            participants=int(getattr(args, "participants", defaults.participants)),
            database=Path(getattr(args, "database", defaults.database)),
            out=Path(getattr(args, "out", defaults.out)),
            seed=int(getattr(args, "seed", defaults.seed)),
        )


@dataclass
class Outcome:
    """What a finished demo wrote and counted (returned for tests; printed for people)."""

    database: Path
    html: Path
    json: Path
    stats: Any
    seconds: float
    posts_sent: int
    posts_late: int
    refusals: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------ entry point


def main(args: argparse.Namespace) -> int:
    """Run the demo from the command line's arguments; return the exit status."""
    options = Options.from_args(args)
    console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        asyncio.run(run(options, console))
    except (ScriptError, ConfigError, ValueError, OSError) as exc:
        err.print(str(exc), markup=False)
        return 2
    except KeyboardInterrupt:
        err.print("Demo interrupted; the log so far is in " + str(options.database), markup=False)
        return 130
    return 0


def quiet_simulation_warnings() -> None:
    """discord.py warns about voice libraries and intents while attaching to the simulated
    gateway; neither matters offline, so below DEBUG/INFO logging they are not shown."""
    for name in ("discord.client", "discord.state"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() >= logging.WARNING:
            logger.setLevel(logging.ERROR)


async def run(options: Options, console: Console | None = None) -> Outcome:
    """Play the demo once and write its log and reports; return what it wrote."""
    quiet_simulation_warnings()  # before SimCord is imported: it builds a client on import
    import simcord

    from bot import create_bot
    from bot.sessions import load_sessions

    console = console or Console(highlight=False, soft_wrap=True)
    if options.speed <= 0:
        raise ScriptError("--speed must be a positive number (90 plays 90 minutes in one).")
    session = next(s for s in load_sessions(options.config) if s.id == SESSION_ID)
    questions = load_questions(session, options.questions)
    script = build_script(
        session,
        questions,
        participants=options.participants,
        seed=options.seed,
        speed=options.speed,
    )
    fresh_database(options.database, console)
    options.out.mkdir(parents=True, exist_ok=True)

    bot = create_bot(
        config=options.config, database=options.database, rehearse=options.speed, clock=utcnow
    )
    env = simcord.Env(bot, check_errors=False)
    world = build_world(env, session, script)
    started = time.monotonic()
    transcript = Transcript(console, session)
    player = Player(env, bot, session, script, world, transcript)
    transcript.header(options, script)
    transcript.start(player.progress_state)
    attached = False
    try:
        await env.start()
        attached = True
        env.settle_timeout = SETTLE_TIMEOUT
        player.introduce()
        await player.play()
    finally:
        transcript.stop()
        errors = [f"{type(e).__name__}: {e}" for e in env.errors]
        try:
            if attached:
                await env.shutdown()
        finally:
            await bot.close()  # closes the database: its thread would keep the process alive
    seconds = time.monotonic() - started
    return await write_reports(options, console, player, errors, seconds)


def fresh_database(path: Path, console: Console) -> None:
    """Remove the previous demo log (and its WAL files): every run starts from nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    removed = False
    for suffix in ("", "-wal", "-shm", "-journal"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            part.unlink()
            removed = True
    if removed:
        console.print(
            f"Removed the previous demo log {path}: the demo starts afresh.", markup=False
        )


# ------------------------------------------------------------------------------ the server


@dataclass
class World:
    guild: simcord.GuildHandle
    questions: simcord.ChannelHandle
    moderation: simcord.ChannelHandle
    live: simcord.ChannelHandle
    moderator: simcord.MemberActor
    organizer: simcord.MemberActor
    people: list[simcord.MemberActor]


def build_world(env: simcord.Env, session: Session, script: Script) -> World:
    """The session's server, built before the bot starts, as in production."""
    names = session.spec.discord
    guild = env.create_guild("GSEF 2021 · Inclusive society workshop")
    moderator_role = guild.create_role(str(names.moderator_role))
    organizer_role = guild.create_role(str(names.organizer_role))
    bot_role = guild.roles[env.backend.bot_user.name]
    questions = guild.create_text_channel(str(names.questions_channel))
    hidden = discord.PermissionOverwrite(view_channel=False)
    shown = discord.PermissionOverwrite(view_channel=True)
    moderation = guild.create_text_channel(
        str(names.moderation_channel),
        overwrites={
            guild.default_role: hidden,
            moderator_role: shown,
            organizer_role: shown,
            bot_role: shown,
        },
    )
    live = guild.create_text_channel(str(names.live_channel))
    guild.create_text_channel("general")
    chair = session.spec.moderator
    chair_name = chair.name if chair is not None else "Session moderator"
    moderator = guild.add_member(
        env.create_user("moderator", global_name=chair_name), roles=[moderator_role]
    )
    organizer = guild.add_member(
        env.create_user("gsef.organizer", global_name="GSEF 2021 organizer"),
        roles=[organizer_role],
    )
    people = [
        guild.add_member(env.create_user(p.username, global_name=p.display_name))
        for p in script.people
    ]
    return World(guild, questions, moderation, live, moderator, organizer, people)


# ------------------------------------------------------------------------------ the transcript


class Transcript:
    """One line per event; a progress bar for the program when stdout is a terminal."""

    def __init__(self, console: Console, session: Session) -> None:
        self.console = console
        self.session = session
        self.live = console.is_terminal
        self.width = min(console.width, WIDTH) if self.live else None
        self.progress: Progress | None = None
        self._task: Any = None
        self._updater: asyncio.Task[None] | None = None
        self._handlers: list[logging.Handler] | None = None

    def header(self, options: Options, script: Script) -> None:
        s = self.session
        total = (s.ends_at - s.starts_at).total_seconds() / 60 if s.ends_at and s.starts_at else 0
        real = total * 60 / options.speed
        languages = ", ".join(
            f"{k} {v}" for k, v in Counter(q.lang for q in script.questions).items()
        )
        self.print(f"[bold]{s.title}[/]", markup=True, wrap=True)
        when = ""
        if s.starts_at and s.ends_at:
            start, end = s.starts_at.astimezone(s.zone), s.ends_at.astimezone(s.zone)
            when = f" · {start:%d %B %Y, %H:%M}–{end:%H:%M %Z} ({s.zone.key})"
        self.print(f"{s.spec.event or s.id}{when}", wrap=True)
        self.print(
            f"Rehearsal ×{options.speed:g}: the {total:.0f}-minute program in about "
            f"{_span(real)} · {len(script.people)} participants · {len(script.questions)} "
            f"questions ({languages}) · seed {options.seed}",
            wrap=True,
        )
        if script.cooldown_waits:
            self.print(
                f"Note: with {len(script.people)} participants at ×{options.speed:g}, people "
                f"ask again before their {s.spec.questions.cooldown_seconds} s cooldown "
                f"(real time) is over; the demo waits for it: about "
                f"{_span(script.cooldown_delay)} more."
            )
        self.print("")

    def print(self, text: str, *, markup: bool = False, wrap: bool = False) -> None:
        if self.live and wrap:
            self.console.print(Text.from_markup(text) if markup else Text(text), width=self.width)
        elif self.live:
            line = Text.from_markup(text) if markup else Text(text)
            line.truncate(self.width or WIDTH, overflow="ellipsis")
            self.console.print(line, no_wrap=True, overflow="ellipsis", crop=True)
        else:
            plain = Text.from_markup(text).plain if markup else text
            self.console.print(Text(plain), soft_wrap=True)

    def event(self, clock: str, icon: str, text: str) -> None:
        self.print(f"{clock}  {icon} {_one_line(text)}")

    # -- progress bar

    def start(self, timeline_fn: Callable[[], tuple[float, str, str]]) -> None:
        """Show the program's progress bar (terminals only) until stop()."""
        if not self.live:
            return
        self.progress = Progress(
            TextColumn("[bold cyan]{task.description}", justify="left"),
            BarColumn(bar_width=26),
            TextColumn("{task.fields[clock]}"),
            TextColumn("{task.completed:>3.0f}/{task.total:.0f} min"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
            refresh_per_second=8,
        )
        total = 90.0
        s = self.session
        if s.starts_at and s.ends_at:
            total = (s.ends_at - s.starts_at).total_seconds() / 60
        self._task = self.progress.add_task("Starting", total=total, clock="")
        self.progress.start()
        self._route_logging()

        async def update() -> None:
            while True:
                minutes, segment, clock = timeline_fn()
                if self.progress is not None:
                    self.progress.update(
                        self._task, completed=minutes, description=_cut(segment, 36), clock=clock
                    )
                await asyncio.sleep(0.1)

        self._updater = asyncio.get_running_loop().create_task(update())

    def finish_bar(self) -> None:
        if self.progress is not None and self._task is not None:
            task = self.progress.tasks[0]
            end = self.session.ends_at
            clock = f"{end.astimezone(self.session.zone):%H:%M %Z}" if end else ""
            self.progress.update(
                self._task, completed=task.total, description="Program over", clock=clock
            )

    def stop(self) -> None:
        if self._updater is not None:
            self._updater.cancel()
            self._updater = None
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
        if self._handlers is not None:
            root = logging.getLogger()
            for handler in list(root.handlers):
                root.removeHandler(handler)
            for handler in self._handlers:
                root.addHandler(handler)
            self._handlers = None

    def _route_logging(self) -> None:
        """Log through the console while the bar is shown, so lines do not tear it."""
        from rich.logging import RichHandler

        root = logging.getLogger()
        self._handlers = list(root.handlers)
        level = min((h.level for h in self._handlers), default=logging.WARNING)
        for handler in self._handlers:
            root.removeHandler(handler)
        rich = RichHandler(console=self.console, show_path=False, show_time=False)
        rich.setLevel(level)
        root.addHandler(rich)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cut(text: str, limit: int) -> str:
    text = _one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _span(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 1 else f"{seconds:.2f} s"
    return f"{seconds / 60:.0f} min"


# ------------------------------------------------------------------------------ the player


@dataclass
class Tally:
    since_line: int = 0
    total: int = 0
    dropped: int = 0  # votes not cast because voting on the question had ended
    by_number: Counter[int] = field(default_factory=Counter)


class Player:
    """Plays the script against the running bot, one user action at a time."""

    def __init__(
        self,
        env: simcord.Env,
        bot: Any,
        session: Session,
        script: Script,
        world: World,
        transcript: Transcript,
    ) -> None:
        self.env = env
        self.bot = bot
        self.session = session
        self.script = script
        self.world = world
        self.out = transcript
        self.numbers: dict[int, int] = {}  # data-file index -> question number
        self.vote_messages: dict[int, discord.Message] = {}  # message id -> message
        self.seen: dict[int, int] = {}  # channel id -> last message id shown
        self.last_ask: dict[int, datetime] = {}  # person -> when their last ask returned
        self.tally = Tally()
        self.refusals: list[str] = []
        self.opened_by_hand = False
        self.behind = timedelta(0)
        # the program time shown on transcript lines: the step being played (when the people
        # fall behind at high speed, their actions still show the moment they belong to)
        assert session.starts_at is not None
        self.stage: datetime = session.starts_at
        self.playing = False

    # -- clocks

    @property
    def timeline(self) -> Any:
        return self.bot.timeline(self.session.id)

    def session_now(self) -> datetime:
        return self.timeline.to_session(utcnow())

    def clock(self, moment: datetime | None = None) -> str:
        moment = moment or self.stage
        return f"{moment.astimezone(self.session.zone):%H:%M}"

    def progress_state(self) -> tuple[float, str, str]:
        if self.session.id not in self.bot.runs:
            return 0.0, "Starting the simulated Discord", ""
        now = self.session_now()
        start, end = self.session.starts_at, self.session.ends_at
        assert start is not None and end is not None
        minutes = max(0.0, min((now - start).total_seconds(), (end - start).total_seconds())) / 60
        segment = "Before the program"
        for slot in self.session.slots:
            if slot.start <= now:
                segment = slot.segment.title
        if now >= end:
            segment = "Program over"
        shown = min(now, end).astimezone(self.session.zone)
        return minutes, segment, f"{shown:%H:%M %Z}"

    # -- the play

    def introduce(self) -> None:
        """Say who is in the simulated server, once the bot is up."""
        w, names = self.world, self.session.spec.discord
        channels = " ".join(f"#{c.name}" for c in (w.questions, w.moderation, w.live))
        self.out.print(
            f"The bot is up in a simulated server: {channels}; {self.moderator_name} "
            f"({names.moderator_role}), an organizer ({names.organizer_role}), "
            f"{len(w.people)} participants.",
            wrap=True,
        )

    async def play(self) -> None:
        self.drain()
        self.playing = True
        for step in self.script.steps:
            await self.until(self.timeline.to_real(step.at))
            self.stage = max(self.stage, step.at)
            late = utcnow() - self.timeline.to_real(step.at)
            self.behind = max(self.behind, late)
            try:
                await self.perform(step)
            except Exception as exc:  # one failed action must not end the demo
                log.debug("step %s failed", step, exc_info=True)
                self.note(f"{step.kind} failed: {type(exc).__name__}: {exc}")
            self.drain()
        self.flush_votes()
        await self.finish_program()

    async def finish_program(self) -> None:
        """Wait for the program's last posts, close intake if it was opened by hand."""
        end = self.session.ends_at
        assert end is not None
        await self.until(self.timeline.to_real(end))
        self.stage = max(self.stage, end)
        if self.opened_by_hand:
            result = await self.act("qa close", lambda: self.mod("qa close"))
            self.event("🔒", f"{self.moderator_name} closes questions by hand: {result.text}")
        deadline = time.monotonic() + 5.0 + self.timeline.grace().total_seconds()
        while self.bot.runs[self.session.id].ended_at is None and time.monotonic() < deadline:
            await asyncio.sleep(POLL)
            self.drain()
        await self.settle()
        self.drain()
        self.out.finish_bar()

    async def until(self, due: datetime) -> None:
        """Sleep until `due` (real time), showing posts meanwhile; let imminent posts go first."""
        while True:
            self.drain()
            now = utcnow()
            fire = self.next_post()
            if fire is not None and now - timedelta(seconds=1) <= fire <= now + GUARD:
                await asyncio.sleep(max(0.0, (fire - now).total_seconds()) + 0.02)
                continue
            if now >= due:
                return
            await asyncio.sleep(min(POLL, (due - now).total_seconds()))

    def next_post(self) -> datetime | None:
        scheduler = self.bot.scheduler
        if scheduler is None:
            return None
        times = [job.next_run_time for job in scheduler.get_jobs() if job.next_run_time]
        return min(times, default=None)

    async def settle(self) -> None:
        try:
            await self.env.settle(timeout=5.0)
        except TimeoutError:
            log.warning("the simulated Discord did not settle within 5 s", exc_info=True)

    async def act(self, command: str | None, action: Callable[[], Awaitable[Any]]) -> Reply:
        """Perform one user action once no program post is imminent; return what they saw."""
        await self.until(utcnow())
        try:
            result = await action()
        except TimeoutError:
            await self.settle()  # the action happened; only its settling ran late
            return Reply(None, "(no answer seen)", ok=False, unseen=True)
        return Reply.of(result, EXPECT[command] if command else None)

    # -- who does things

    @property
    def moderator_name(self) -> str:
        chair = self.session.spec.moderator
        return chair.name if chair is not None else "The moderator"

    def mod(self, command: str, **options: Any) -> Awaitable[Any]:
        return self.world.moderator.slash(self.world.moderation, command, **options)

    def person(self, index: int | None) -> simcord.MemberActor:
        assert index is not None
        return self.world.people[index]

    def question(self, index: int | None) -> DemoQuestion:
        assert index is not None
        return self.script.questions[index]

    def number(self, index: int | None) -> int | None:
        return self.numbers.get(index) if index is not None else None

    # -- steps

    async def perform(self, step: Step) -> None:
        handler = getattr(self, f"do_{step.kind}")
        await handler(step)

    async def do_ask(self, step: Step) -> None:
        q, member = self.question(step.question), self.person(step.person)
        await self.wait_cooldown(member, q)
        options: dict[str, Any] = {"question": q.text}
        if q.speaker:
            options["speaker"] = q.speaker
        if q.anonymous:
            options["anonymous"] = True
        reply = await self.act("ask", lambda: member.slash(self.world.questions, "ask", **options))
        if not reply.ok and _intake_closed(reply.text):
            self.event("🔒", f"Intake is closed for a participant: {reply.text}")
            opened = await self.act("qa open", lambda: self.mod("qa open"))
            self.opened_by_hand = self.opened_by_hand or opened.ok
            self.event("🔓", f"{self.moderator_name} opens questions by hand: {opened.text}")
            reply = await self.act(
                "ask", lambda: member.slash(self.world.questions, "ask", **options)
            )
        self.last_ask[member.id] = utcnow()
        number = reply.number if reply.ok else await self.find_number(member.id, q.text)
        if number is None:
            self.refused(f"a participant's question was not taken: {reply.text}")
            return
        assert step.question is not None
        self.numbers[step.question] = number
        who = "anonymous" if q.anonymous else member.user.global_name or member.name
        speaker = self.session.speaker(q.speaker)
        to = f"to {speaker.name}" if speaker else "to the panel"
        self.event("❓", f"#{number} [{q.lang}] {to} · {who}: {q.text}")

    async def wait_cooldown(self, member: simcord.MemberActor, q: DemoQuestion) -> None:
        last = self.last_ask.get(member.id)
        if last is None:
            return
        cooldown = timedelta(seconds=self.session.spec.questions.cooldown_seconds + 0.25)
        ready = last + cooldown
        if utcnow() < ready:
            who = "an anonymous asker" if q.anonymous else "a participant"
            wait = (ready - utcnow()).total_seconds()
            self.event("⏳", f"{who} waits {wait:.0f} s for the cooldown before asking again")
            await self.until(ready)

    async def find_number(self, user_id: int, text: str) -> int | None:
        """The number of the question this user asked with this text, if it was stored."""

        run_id = self.bot.runs[self.session.id].id
        mine = await self.bot.questions.mine(run_id, user_id)
        found = [q.number for q in mine if q.text == text.strip()]
        return found[-1] if found else None

    async def do_approve(self, step: Step) -> None:
        number = self.number(step.question)
        if number is None:
            return self.skipped(step)
        reply = await self.act("qa approve", lambda: self.mod("qa approve", number=number))
        if reply.ok:
            self.event("✅", f"#{number} approved by {self.moderator_name}")
        else:
            self.refused(f"approve #{number}: {reply.text}")

    async def do_reject(self, step: Step) -> None:
        number = self.number(step.question)
        if number is None:
            return self.skipped(step)
        options: dict[str, Any] = {"number": number}
        if step.reason:
            options["reason"] = step.reason
        reply = await self.act("qa reject", lambda: self.mod("qa reject", **options))
        if reply.ok:
            self.event("⛔", f"#{number} rejected ({step.reason})")
        else:
            self.refused(f"reject #{number}: {reply.text}")

    async def do_merge(self, step: Step) -> None:
        number, into = self.number(step.question), self.number(step.into)
        if number is None or into is None:
            return self.skipped(step)
        reply = await self.act("qa merge", lambda: self.mod("qa merge", number=number, into=into))
        if reply.ok:
            self.event("🔗", f"#{number} merged into #{into}, the same question asked earlier")
        else:
            self.refused(f"merge #{number} into #{into}: {reply.text}")

    async def do_label(self, step: Step) -> None:
        number = self.number(step.question)
        if number is None or step.label is None:
            return self.skipped(step)
        label = step.label
        reply = await self.act("qa label", lambda: self.mod("qa label", number=number, label=label))
        if reply.ok:
            found = self.session.label(label)
            self.event("🏷", f"#{number} labelled {found.name if found else label}")
        else:
            self.refused(f"label #{number}: {reply.text}")

    async def do_withdraw(self, step: Step) -> None:
        number = self.number(step.question)
        if number is None:
            return self.skipped(step)
        member = self.person(step.person)
        reply = await self.act(
            "withdraw", lambda: member.slash(self.world.questions, "withdraw", number=number)
        )
        if reply.ok:
            self.event("↩", f"#{number} withdrawn by its asker")
        else:
            self.refused(f"withdraw #{number}: {reply.text}")

    async def do_vote(self, step: Step) -> None:
        number = self.number(step.question)
        if number is None:
            return self.skipped(step)
        message, custom_id = await self.vote_button(number)
        if message is None or custom_id is None:
            self.tally.dropped += 1  # voting has ended on it: nobody can click any more
            return
        member = self.person(step.person)
        reply = await self.act(None, lambda: member.click(message, custom_id=custom_id))
        if reply.ok:
            self.tally.total += 1
            self.tally.since_line += 1
            self.tally.by_number[number] += 1
            if self.tally.since_line >= VOTE_LINE_EVERY:
                self.flush_votes()
        else:
            self.tally.dropped += 1
            self.refused(f"vote for #{number}: {reply.text}", show=False)

    async def vote_button(self, number: int) -> tuple[discord.Message | None, str | None]:
        """The question's vote message and button, if people can still vote on it."""

        run_id = self.bot.runs[self.session.id].id
        core = self.bot.questions
        q = await core.get(run_id, number)
        if q is None or q.vote_message_id is None or q.state not in ("approved", "live"):
            return None, None
        self.drain()
        message = self.vote_messages.get(q.vote_message_id)
        if message is None:
            return None, None
        custom_id = f"qa:vote:{q.id}"
        stored = self.env.backend.get_message(self.world.questions.id, message.id)
        if not any(c.get("custom_id") == custom_id for c in _components(stored.components)):
            return None, None
        return message, custom_id

    async def do_queue(self, step: Step) -> None:
        self.flush_votes()
        reply = await self.act("qa queue", lambda: self.mod("qa queue"))
        rows = []
        if reply.result is not None and reply.result.response is not None:
            for embed in reply.result.response.embeds:
                rows += _QUEUE_ROW.findall(embed.description or "")
        top = " · ".join(f"#{n} 👍{v}" for n, v in rows[:5]) or reply.text
        self.event("📋", f"{self.moderator_name} opens the queue: {top}")

    async def do_next(self, step: Step) -> None:
        self.flush_votes()
        options: dict[str, Any] = {}
        if step.speaker:
            options["speaker"] = step.speaker
        reply = await self.act("qa next", lambda: self.mod("qa next", **options))
        speaker = self.session.speaker(step.speaker)
        whom = f" for {speaker.name}" if speaker else ""
        if reply.ok:
            self.event("🎙", f"{self.moderator_name}: /qa next{whom} → {reply.text}")
        else:
            self.event("🎙", f"/qa next{whom}: {reply.text}")
            self.refused(f"/qa next{whom}: {reply.text}", show=False)

    async def do_answered(self, step: Step) -> None:
        reply = await self.act("qa answered", lambda: self.mod("qa answered"))
        if reply.ok:
            self.event("✔", f"{self.moderator_name}: {reply.text}")
        else:
            self.refused(f"/qa answered: {reply.text}")

    # -- what people see

    def event(self, icon: str, text: str, moment: datetime | None = None) -> None:
        self.out.event(self.clock(moment), icon, text)

    def note(self, text: str) -> None:
        self.out.event(self.clock(), "⚠", text)

    def refused(self, text: str, *, show: bool = True) -> None:
        self.refusals.append(text)
        if show:
            self.note(text)

    def skipped(self, step: Step) -> None:
        self.refused(f"{step.kind} skipped: its question was never taken", show=False)

    def flush_votes(self) -> None:
        tally = self.tally
        if not tally.since_line:
            return
        top = " · ".join(f"#{n} ({v})" for n, v in tally.by_number.most_common(3))
        votes = "1 vote" if tally.since_line == 1 else f"{tally.since_line} votes"
        self.event("👍", f"{votes} (total {tally.total}); most voted: {top}")
        tally.since_line = 0

    def drain(self) -> None:
        """Show what the bot posted in the live and moderation channels; keep vote messages."""
        for message in self.fresh(self.world.questions):
            self.vote_messages[message.id] = message
        for message in self.fresh(self.world.live):
            self.flush_votes()
            self.show_post(message, moderators=False)
        for message in self.fresh(self.world.moderation):
            if message.content:  # cards are embeds only; reminders and summaries have text
                self.show_post(message, moderators=True)

    def fresh(self, channel: simcord.ChannelHandle) -> list[discord.Message]:
        from simcord.results import to_discord_message

        seen = self.seen.get(channel.id, 0)
        stored = self.env.backend.messages.get(channel.id, {})
        new = sorted((m for m in stored.values() if m.id > seen), key=lambda m: m.id)
        if new:
            self.seen[channel.id] = new[-1].id
        bot_id = self.env.backend.bot_user.id
        return [
            to_discord_message(self.env, m)
            for m in new
            if m.author_id == bot_id
            and not m.flags & EPHEMERAL
            and m.interaction_metadata is None  # answers to commands are not posts
        ]

    def show_post(self, message: discord.Message, *, moderators: bool) -> None:
        content = message.content or ""
        due = self.post_time(content, moderators=moderators)  # shown at the time it was due
        if self.playing and due is not None and due > self.stage:
            self.stage = due  # what people do next happens after this post
        if content.startswith("**Now answering"):
            self.show_on_screen(message)
            return
        lines = [self.plain(line) for line in content.splitlines()]
        lines = [line for line in lines if line and not line.startswith("🎬")]
        if not lines:
            return
        head = lines[0]
        extra = next((line for line in lines[1:] if line.startswith("🎤")), None)
        if moderators:
            head = "to moderators: " + " ".join(lines[:2])
        elif head.startswith("▶"):
            slot = next((s for s in self.session.slots if s.segment.title in content), None)
            if slot is not None:
                head = f"▶ {self.clock(slot.start)}–{self.clock(slot.end)} {slot.segment.title}"
            if extra:
                head += f" · {extra.removeprefix('🎤').strip()}"
        self.event("📣", head, due)

    def post_time(self, content: str, *, moderators: bool) -> datetime | None:
        """The program time a program post was due at, read from the session file."""
        opens, closes = self.session.intake_window
        if not moderators:
            slot = next((s for s in self.session.slots if s.segment.title in content), None)
            if "**Now:" in content and slot is not None:
                return slot.start
            if "Questions are open" in content:
                return opens
            if "Questions are closed" in content:
                return closes
            return None
        if "summary" in content:
            return closes
        for slot in self.session.slots:
            if slot.segment.title in content:
                ahead = timedelta(minutes=self.session.spec.schedule.reminder_minutes)
                return slot.start - ahead
        return None

    def show_on_screen(self, message: discord.Message) -> None:
        match = _NUMBER.search(message.content or "")
        number = match.group(1) if match else "?"
        embed = message.embeds[0] if message.embeds else None
        fields = {f.name: f.value for f in embed.fields} if embed else {}
        text = embed.description if embed and embed.description else ""
        for_whom = fields.get("For", "Anyone")
        votes = fields.get("Votes", "?")
        asker = fields.get("Asked by", "?")
        self.event(
            "📺",
            f"On screen: #{number} · for {for_whom} · 👍 {votes} · asked by {asker}: "
            f"{discord.utils.remove_markdown(text)}",
        )

    def plain(self, line: str) -> str:
        """A Discord line as plain text: markup removed, timestamps in program time."""

        def stamp(match: re.Match[str]) -> str:
            moment = self.program_time(int(match.group(1)), line)
            if moment is None:
                return "soon" if match.group(2) == "R" else "in rehearsal time"
            text = self.clock(moment)
            return f"at {text}" if match.group(2) == "R" else text

        line = _TIMESTAMP.sub(stamp, line)
        line = re.sub(r"at (\d\d:\d\d) \(\1\)", r"at \1", line)  # "at 19:10 (19:10)"
        line = re.sub(r"(\d\d:\d\d) \(at \1\)", r"\1", line)
        line = _CHANNEL.sub(lambda m: "#" + self.channel_name(int(m.group(1))), line)
        return _one_line(line.replace("**", "").replace("`", "").replace("*", ""))

    def program_time(self, unix: int, context: str = "") -> datetime | None:
        """The program time a rehearsal timestamp stands for (a program boundary), if known.

        The bot writes `<t:UNIX>` of a boundary placed in real time; at high speeds several
        boundaries fall in the same second, and the message's own words decide.
        """
        timeline = self.timeline
        marks = {s.start for s in self.session.slots} | {s.end for s in self.session.slots}
        marks |= {m for m in self.session.intake_window if m is not None}
        found = sorted(m for m in marks if int(timeline.to_real(m).timestamp()) == unix)
        if len(found) > 1:
            titled = [s.start for s in self.session.slots if s.segment.title in context]
            closing = self.session.intake_window[1] if "close" in context.lower() else None
            found = [m for m in found if m in titled or m == closing] or found[-1:]
        return found[0] if found else None

    def channel_name(self, channel_id: int) -> str:
        for handle in (self.world.questions, self.world.moderation, self.world.live):
            if handle.id == channel_id:
                return handle.name or "channel"
        return "channel"


@dataclass
class Reply:
    """What the person who acted saw: the response text, and whether it was what they wanted."""

    result: Any
    text: str
    ok: bool
    unseen: bool = False

    @property
    def number(self) -> int | None:
        match = _NUMBER.search(self.text)
        return int(match.group(1)) if match else None

    @classmethod
    def of(cls, result: Any, expect: re.Pattern[str] | None) -> Reply:
        """`expect` matches the text of a success; None: success is an edit (a vote's click)."""
        response = getattr(result, "response", None)
        text = (getattr(response, "content", "") or "").strip()
        if response is not None and not text and response.embeds:
            text = response.embeds[0].title or ""
        if expect is None:
            ok = not bool(getattr(result, "ephemeral", False)) and response is not None
        else:
            ok = bool(expect.search(text))
        return cls(result, text, ok)


# What each action answers when it worked (anything else is a refusal, shown as it reads).
EXPECT = {
    "ask": re.compile(r"^Thanks! Your question is #\d+"),
    "qa approve": re.compile(r"^#\d+ approved;"),
    "qa reject": re.compile(r"^#\d+ rejected\."),
    "qa merge": re.compile(r"^#\d+ merged into #\d+"),
    "qa label": re.compile(r"^#\d+ is labelled"),
    "withdraw": re.compile(r"^#\d+ is withdrawn\."),
    "qa queue": re.compile(r"^Queue:"),
    "qa next": re.compile(r"^Now answering #\d+"),
    "qa answered": re.compile(r"^#\d+ is answered\."),
    "qa open": re.compile(r"^Questions are open"),
    "qa close": re.compile(r"^Questions are closed;"),
}


def _intake_closed(text: str) -> bool:
    lowered = text.lower()
    return lowered.startswith("questions") and ("closed" in lowered or "not open" in lowered)


def _components(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in rows:
        out.append(row)
        out += _components(row.get("components", []))
    return out


# ------------------------------------------------------------------------------ the end


async def write_reports(
    options: Options, console: Console, player: Player, errors: list[str], seconds: float
) -> Outcome:
    """Write the HTML report and the JSON export of the log, print where and the numbers."""
    from bot.reports import build_report, render_report

    html = options.out / f"{REPORT_STEM}.html"
    data = options.out / f"{REPORT_STEM}.json"
    html.write_bytes(await render_report(options.database, "html", run_kind="rehearsal"))
    data.write_bytes(await render_report(options.database, "json", run_kind="rehearsal"))
    report = await build_report(options.database, run_kind="rehearsal")
    run = report.runs[-1]
    stats = run.stats
    sent = sum(1 for p in run.posts if p.status == "posted")
    late = sum(1 for p in run.posts if p.status == "posted" and p.late)
    outcome = Outcome(
        options.database, html, data, stats, seconds, sent, late, player.refusals, errors
    )
    print_summary(console, options, player, outcome)
    return outcome


def print_summary(console: Console, options: Options, player: Player, o: Outcome) -> None:
    s = o.stats
    out = player.out
    out.print("")
    out.print(
        f"[bold]Demo finished[/] in {o.seconds:.1f} s (rehearsal ×{options.speed:g}); "
        f"{o.posts_sent} program posts sent" + (f", {o.posts_late} late" if o.posts_late else ""),
        markup=True,
    )
    if player.behind > timedelta(seconds=1):
        out.print(
            f"At this speed the simulated people fell up to {player.behind.total_seconds():.1f} s "
            "behind the program (order kept, nothing skipped)."
        )
    console.print(f"  SQLite log:   {o.database}", markup=False, soft_wrap=True)
    console.print(f"  HTML report:  {o.html}", markup=False, soft_wrap=True)
    console.print(f"  JSON export:  {o.json}", markup=False, soft_wrap=True)
    out.print(
        f"  Questions {s.questions} · approved {s.approved}"
        + (f" ({s.merged} of them then merged)" if s.merged else "")
        + f" · answered {s.answered} · "
        f"rejected {s.rejected} · merged {s.merged} · withdrawn {s.withdrawn}"
    )
    out.print(
        f"  Votes cast {s.votes_cast} by {s.voters} people · participants who asked "
        f"{s.participants_who_asked} of {len(player.script.people)} · still unanswered "
        f"{s.unanswered}"
    )
    refusals = [r for r in o.refusals if not r.startswith("vote for")]
    if refusals:
        out.print(f"  {len(refusals)} action(s) refused by the bot (shown above with ⚠).")
    if o.errors:
        out.print(f"  {len(o.errors)} error(s) inside the bot:")
        for error in o.errors[:5]:
            out.print(f"    {_cut(error, 90)}")
