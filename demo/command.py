"""`python run_bot.py demo`: set up the simulated server, play the script, write and summarise.

The demo refuses, in one sentence and before anything starts, what it could not play truthfully:
a speed above `MAX_SPEED` (the simulated people could not keep up with the program on a machine
like the one it was measured on: benchmarks/bench_demo_speed.py) and too few participants for
the speed (someone would have to wait for their cooldown, putting everyone after them behind
the program).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from bot.sessions import ConfigError, Session
from bot.storage.database import SIDECARS
from bot.timeutil import utcnow
from demo.effects import SETTLE_TIMEOUT
from demo.player import Player
from demo.script import (
    QUESTIONS_FILE,
    SESSION_FILE,
    Script,
    ScriptError,
    build_script,
    fewest_participants,
    load_questions,
)
from demo.summary import Outcome, print_summary, write_reports
from demo.transcript import Transcript, program_minutes
from demo.world import build_world

if TYPE_CHECKING:
    from bot.app import QABot

SESSION_ID = "gsef2021-inclusive-society"
#: The fastest speed the demo plays (the 90-minute program in 18 s). Measured with
#: benchmarks/bench_demo_speed.py (RESULTS.md): on a 2-core Xeon the story held in every run up
#: to ×300 and broke in some runs from ×600 on; half the first speed that failed.
MAX_SPEED = 300.0


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


def prepare(options: Options) -> tuple[Session, Script]:
    """Check the options and write the script; raise ScriptError (one sentence) if the demo
    could not play it truthfully."""
    from bot.sessions import load_sessions

    if not 0 < options.speed <= MAX_SPEED:
        if options.speed <= 0:
            raise ScriptError("--speed must be a positive number (90 plays 90 minutes in one).")
        raise ScriptError(
            f"At ×{options.speed:g} the simulated people cannot keep up with the program, so "
            f"the demo would not show what really happens: use --speed {MAX_SPEED:g} or less."
        )
    session = next(s for s in load_sessions(options.config) if s.id == SESSION_ID)
    questions = load_questions(session, options.questions)
    script = build_script(
        session,
        questions,
        participants=options.participants,
        seed=options.seed,
        speed=options.speed,
    )
    if script.cooldown_waits:
        need = fewest_participants(session, questions, seed=options.seed, speed=options.speed)
        cooldown = session.spec.questions.cooldown_seconds
        raise ScriptError(
            f"With {options.participants} participants at ×{options.speed:g}, some would have "
            f"to wait for their {cooldown} s cooldown to ask again, putting the demo about "
            f"{script.cooldown_delay:.0f} s behind the program: use at least {need} "
            "participants or a lower --speed."
        )
    return session, script


def quiet_simulation_warnings() -> None:
    """discord.py warns about voice libraries and intents while attaching to the simulated
    gateway; neither matters offline, so below DEBUG/INFO logging they are not shown."""
    for name in ("discord.client", "discord.state"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() >= logging.WARNING:
            logger.setLevel(logging.ERROR)


async def run(options: Options, console: Console | None = None) -> Outcome:
    """Play the demo once and write its log and reports; return what it wrote."""
    session, script = prepare(options)
    quiet_simulation_warnings()  # before SimCord is imported: it builds a client on import
    import simcord

    from bot import create_bot

    console = console or Console(highlight=False, soft_wrap=True)
    fresh_database(options.database, console)
    options.out.mkdir(parents=True, exist_ok=True)

    bot = create_bot(
        config=options.config,
        database=options.database,
        rehearse=options.speed,
        clock=utcnow,
        screen=SCREEN,
    )
    hold_the_program_while_connecting(bot)
    env = simcord.Env(bot, check_errors=False, settle_timeout=SETTLE_TIMEOUT)
    world = build_world(env, session, script)
    started = time.monotonic()
    transcript = Transcript(console, session)
    player = Player(env, bot, session, script, world, transcript)
    transcript.header(options.speed, options.seed, script)
    transcript.start()
    attached = False
    try:
        await env.start()
        attached = True
        if bot.scheduler is not None:
            bot.scheduler.resume()
        if bot.screen is not None:
            url = await bot.screen.url_for(session.id)
            transcript.print(f"{SCREEN_MARK} Watch the question on screen in a browser: {url}")
            transcript.print("")
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
    outcome = await write_reports(
        options.database,
        options.out,
        speed=options.speed,
        participants=options.participants,
        story=player.story,
        seconds=time.monotonic() - started,
        errors=errors,
    )
    print_summary(console, outcome, program_minutes(session))
    return outcome


#: The presenter screen, on a free port of this machine, for the length of the demo.
SCREEN = "127.0.0.1:0"
SCREEN_MARK = "🖥"  # its line holds a new address and key at every run


def hold_the_program_while_connecting(bot: QABot) -> None:
    """Pause the bot's scheduler from its set-up until the demo resumes it.

    SimCord's start settles the bot for up to 5 s and, meanwhile, fires every timer due in that
    time; at a high speed that is a good part of the program, played before anyone can act. The
    scheduler is paused at the end of `setup_hook` (its timers are then not set) and resumed as
    soon as the simulated Discord is up; the rehearsal starts a second after the run is made, so
    nothing is due yet, or it is sent at once, within the bot's grace.
    """
    setup = bot.setup_hook

    async def setup_then_pause() -> None:
        await setup()
        if bot.scheduler is not None:
            bot.scheduler.pause()
        scale_pacing(bot)

    bot.setup_hook = setup_then_pause  # type: ignore[method-assign]


def scale_pacing(bot: QABot) -> None:
    """Play Discord's pacing (about 5 messages per 5 s in each channel) at the rehearsal's speed.

    The program plays `speed` times faster than real, and so do the people: a moderator
    approves in a second what takes a minute live. At real pacing, a channel's messages would
    fall minutes of program time behind; at the same speed as everything else, the channels
    keep the pace a real session would see. (SimCord itself enforces no rate limit.)
    """
    from cogs.posting import Posting

    posting = bot.get_cog("Posting")
    if isinstance(posting, Posting) and bot.rehearse:
        posting.pacer.window /= bot.rehearse
        posting.wake_margin /= bot.rehearse


def fresh_database(path: Path, console: Console) -> None:
    """Remove the previous demo log (and its WAL files): every run starts from nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    removed = False
    for suffix in ("", *SIDECARS):
        part = Path(f"{path}{suffix}")
        if part.exists():
            part.unlink()
            removed = True
    if removed:
        console.print(
            f"Removed the previous demo log {path}: the demo starts afresh.", markup=False
        )
