"""The command line: run the bot, check session files, write reports, play the demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot import DEFAULT_CONFIG, DEFAULT_DATABASE
from bot.runtime import tune_gc
from bot.sessions import ConfigError, Session, load_sessions

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
COMMANDS = ("run", "check", "report", "demo")

NO_TOKEN = (
    "No Discord token: set DISCORD_TOKEN in the environment or in a .env file "
    "(README, 'Run it in a real Discord server'), or try the bot offline with "
    "`python run_bot.py demo`."
)

err = Console(stderr=True, highlight=False, soft_wrap=True)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="a session file, or a folder of them (default: %(default)s)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="how much to log to stderr (default: %(default)s)",
    )


def _database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        type=Path,
        default=DEFAULT_DATABASE,
        help="the SQLite log (default: %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="run_bot.py",
        description="A Discord bot that runs the participant Q&A of live virtual sessions. "
        "Without a subcommand it runs the bot.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{run,check,report,demo}")

    run = sub.add_parser("run", help="run the bot in Discord (needs DISCORD_TOKEN)")
    _common(run)
    _database(run)
    run.add_argument(
        "--rehearse",
        type=float,
        metavar="SPEED",
        help="rehearse: start the program now, SPEED times faster (60: a minute a second)",
    )
    run.add_argument(
        "--sync",
        action="store_true",
        help="sync slash commands with Discord now (otherwise only when they changed)",
    )

    check = sub.add_parser("check", help="validate session files and print their programs")
    _common(check)

    report = sub.add_parser("report", help="write a report or export of the log")
    _database(report)
    report.add_argument("--session", help="only this session id")
    report.add_argument(
        "--run", choices=["real", "rehearsal"], default="real", help="which runs (default: real)"
    )
    report.add_argument(
        "--format", choices=["json", "csv", "md", "html"], default="json", help="output format"
    )
    report.add_argument("--out", type=Path, help="write to this file instead of stdout")
    report.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )

    demo = sub.add_parser("demo", help="play the GSEF 2021 workshop offline (no token needed)")
    demo.add_argument(
        "--speed", type=float, default=90.0, help="rehearsal speed (default: %(default)s)"
    )
    demo.add_argument(
        "--participants", type=int, default=90, help="simulated participants (default: 90)"
    )
    demo.add_argument(
        "--database", type=Path, default=Path("data/demo.sqlite3"), help="the demo's SQLite log"
    )
    demo.add_argument("--out", type=Path, default=Path("data/out"), help="folder for the report")
    demo.add_argument("--seed", type=int, default=2021, help="random seed (default: 2021)")
    demo.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    return parser


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    logging.getLogger("discord").setLevel(max(logging.INFO, getattr(logging, level)))


def program_table(session: Session) -> Table:
    """Return the session's program as a table with session-local and UTC times."""
    zone = session.zone
    table = Table(title=f"{session.title}  [{session.id}]", title_justify="left")
    table.add_column(f"Local ({zone.key})", no_wrap=True)
    table.add_column("UTC", no_wrap=True)
    table.add_column("Kind")
    table.add_column("Segment")
    for slot in session.slots:
        local = f"{slot.start.astimezone(zone):%H:%M}-{slot.end.astimezone(zone):%H:%M}"
        utc = f"{slot.start:%H:%M}-{slot.end:%H:%M}"
        table.add_row(local, utc, slot.segment.kind, slot.segment.title)
    return table


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the session files and print each program."""
    try:
        sessions = load_sessions(args.config)
    except ConfigError as exc:
        err.print(str(exc), markup=False)
        return EXIT_USAGE
    out = Console(highlight=False, width=max(120, Console().width))
    for session in sessions:
        spec = session.spec
        if session.slots:
            out.print(program_table(session))
        else:
            out.print(f"{session.title}  [{session.id}]", markup=False)
            out.print("  (no program: intake opens and closes by hand with /qa open, /qa close)")
        opens, closes = session.intake_window
        out.print(
            f"  {spec.date} in {spec.timezone}; {len(spec.speakers)} speakers, "
            f"{len(spec.labels)} labels; intake "
            + (f"{opens:%H:%M}-{closes:%H:%M} UTC" if opens and closes else "by hand")
            + f"; {spec.questions.moderation}-moderation\n",
            markup=False,
        )
    out.print(f"{len(sessions)} session file(s) valid.")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Check everything that can be checked offline, then connect to Discord."""
    from dotenv import load_dotenv

    from bot import create_bot
    from bot.storage.database import DatabaseError, preflight

    try:
        bot = create_bot(
            args.config, args.database, args.rehearse, sync_commands=True if args.sync else None
        )
    except ConfigError as exc:
        err.print(str(exc), markup=False)
        err.print("The bot did not start: fix the session file(s) above.")
        return EXIT_USAGE
    except ValueError as exc:
        err.print(str(exc), markup=False)
        return EXIT_USAGE
    try:
        args.database.parent.mkdir(parents=True, exist_ok=True)
        preflight(args.database)
    except (DatabaseError, OSError) as exc:
        err.print(str(exc), markup=False)
        return EXIT_USAGE
    load_dotenv()
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        err.print(NO_TOKEN, markup=False)
        return EXIT_USAGE
    tune_gc()
    try:
        bot.run(token, log_handler=None)
    except DatabaseError as exc:
        err.print(str(exc), markup=False)
        return EXIT_USAGE
    except Exception as exc:  # a login failure must read as a sentence, not a traceback
        import discord

        if isinstance(exc, discord.LoginFailure):
            err.print("Discord refused the token: check DISCORD_TOKEN.", markup=False)
            return EXIT_USAGE
        if isinstance(exc, discord.PrivilegedIntentsRequired):
            err.print(
                "A session captures chat, which needs the Message Content intent: turn it on "
                "in the Developer Portal (Bot > Privileged Gateway Intents).",
                markup=False,
            )
            return EXIT_USAGE
        raise
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Write a report or export of the log to stdout or a file."""
    from bot.reports import ReportError, render_report

    if not args.database.exists():
        err.print(f"No database at {args.database}.", markup=False)
        return EXIT_USAGE
    try:
        data = asyncio.run(
            render_report(args.database, args.format, session=args.session, run_kind=args.run)
        )
    except ReportError as exc:
        err.print(str(exc), markup=False)
        return EXIT_USAGE
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(data)
        err.print(f"Wrote {args.out}", markup=False)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Play a whole session offline against a simulated Discord (needs the `demo` extra)."""
    import importlib
    import importlib.util

    if importlib.util.find_spec("simcord") is None:
        err.print(
            "The demo needs SimCord, which this install lacks: install it with "
            '`pip install -e ".[demo]"`.',
            markup=False,
        )
        return EXIT_USAGE
    demo = importlib.import_module("demo")
    tune_gc()
    return int(demo.main(args))


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "run")
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.log_level)
    handler = {"run": cmd_run, "check": cmd_check, "report": cmd_report, "demo": cmd_demo}
    return handler[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
