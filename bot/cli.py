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
from rich.text import Text

from bot import DEFAULT_CONFIG, DEFAULT_DATABASE
from bot.maintenance import add_commands
from bot.runtime import tune_gc
from bot.sessions import ConfigError, Session, load_sessions

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
COMMANDS = ("run", "check", "report", "demo", "backup", "forget", "screen-url")

NO_TOKEN = (
    "No Discord token: set DISCORD_TOKEN in the environment or in a .env file "
    "(README, 'Run it in a real Discord server'), or try the bot offline with "
    "`python run_bot.py demo`."
)

TOKEN_REFUSED = "Discord refused the token: check DISCORD_TOKEN."
NEEDS_INTENT = (
    "A session captures chat, which needs the Message Content intent: turn it on "
    "in the Developer Portal (Bot > Privileged Gateway Intents)."
)
UNREACHABLE = (
    "Could not reach Discord ({reason}): check the network connection, then start the bot again."
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


def program_name() -> str:
    """Return the name the program was invoked by (`run_bot.py`, `session-qa`)."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "run_bot.py" if name in ("", "-c", "cli.py", "__main__.py") else name


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog=program_name(),
        description="A Discord bot that runs the participant Q&A of live virtual sessions. "
        "Without a subcommand it runs the bot.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}")

    run = sub.add_parser("run", help="run the bot in Discord (needs DISCORD_TOKEN)")
    run.set_defaults(handler=cmd_run)
    _common(run)
    _database(run)
    run.add_argument(
        "--rehearse",
        type=float,
        metavar="SPEED",
        help="rehearse: start the program now, SPEED times faster (60: a minute a second)",
    )
    run.add_argument(
        "--screen",
        metavar="HOST:PORT",
        help="serve the presenter screen there (PORT alone: 127.0.0.1:PORT); off by default",
    )
    run.add_argument(
        "--sync",
        action="store_true",
        help="sync slash commands with Discord now (otherwise only when they changed)",
    )

    check = sub.add_parser("check", help="validate session files and print their programs")
    check.set_defaults(handler=cmd_check)
    _common(check)

    report = sub.add_parser("report", help="write a report or export of the log")
    report.set_defaults(handler=cmd_report)
    _database(report)
    report.add_argument("--session", help="only this session id")
    report.add_argument(
        "--run",
        choices=["real", "rehearsal"],
        help="which runs (default: the real run, or the latest run when the log holds none)",
    )
    report.add_argument(
        "--format", choices=["json", "csv", "md", "html"], default="json", help="output format"
    )
    report.add_argument(
        "--lang",
        default="en",
        metavar="CODE",
        help="the language of the html and md reports: en (default), "
        "or a language the bot speaks (docs/languages.md)",
    )
    report.add_argument("--out", type=Path, help="write to this file instead of stdout")
    report.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )

    demo = sub.add_parser("demo", help="play the GSEF 2021 workshop offline (no token needed)")
    demo.set_defaults(handler=cmd_demo)
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
    add_commands(sub)
    _screen_url_parser(sub)
    return parser


def _screen_url_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    screen = sub.add_parser("screen-url", help="print the address of a session's presenter screen")
    screen.set_defaults(handler=cmd_screen_url)
    _database(screen)
    screen.add_argument("--session", required=True, help="the session id")
    screen.add_argument(
        "--screen",
        metavar="HOST:PORT",
        default="127.0.0.1:8080",
        help="the bot's --screen address, or the URL people reach it at (default: %(default)s)",
    )
    screen.add_argument("--overlay", action="store_true", help="the OBS overlay's address")
    screen.add_argument(
        "--new-key", action="store_true", help="replace the key: the old address stops working"
    )
    screen.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )


def cmd_screen_url(args: argparse.Namespace) -> int:
    """Print the address of a session's presenter screen (creating its key the first time)."""
    from bot.screen.cli import ScreenUrlError, screen_url

    try:
        url = screen_url(
            args.database, args.session, args.screen, overlay=args.overlay, new_key=args.new_key
        )
        print(url)
    except (ScreenUrlError, ValueError) as exc:
        err.print(str(exc), markup=False)
        return EXIT_USAGE
    return EXIT_OK


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
    table = Table(title=Text(f"{session.title}  [{session.id}]"), title_justify="left")
    table.add_column(f"Local ({zone.key})", no_wrap=True)
    table.add_column("UTC", no_wrap=True)
    table.add_column("Kind")
    table.add_column("Segment")
    for slot in session.slots:
        local = f"{slot.start.astimezone(zone):%H:%M}-{slot.end.astimezone(zone):%H:%M}"
        utc = f"{slot.start:%H:%M}-{slot.end:%H:%M}"
        table.add_row(local, utc, slot.segment.kind, Text(slot.segment.title))
    return table


def server_line(session: Session) -> str:
    """Which Discord server the session is served in, as `check` shows it."""
    guild_id = session.spec.discord.guild_id
    if guild_id is not None:
        return f"server: pinned to {guild_id} ([discord] guild_id)"
    return (
        "server: pinned at its first start to the only server the bot is in (a bot in several "
        "servers needs [discord] guild_id)"
    )


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
            + f"; {spec.questions.moderation}-moderation"
            + f"; public posts in {', '.join(session.languages)}",
            markup=False,
        )
        out.print(f"  {server_line(session)}\n", markup=False)
    out.print(f"{len(sessions)} session file(s) valid.")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Check everything that can be checked offline, then connect to Discord."""
    from dotenv import load_dotenv

    from bot import create_bot
    from bot.screen import AddressError
    from bot.storage.database import DatabaseError, preflight

    try:
        bot = create_bot(
            args.config,
            args.database,
            args.rehearse,
            sync_commands=True if args.sync else None,
            screen=args.screen,
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
    except (DatabaseError, AddressError) as exc:
        err.print(str(exc), markup=False)
        return EXIT_USAGE
    except Exception as exc:  # a failed start must read as a sentence, not a traceback
        failure = connection_failure(exc)
        if failure is None:
            raise
        status, sentence = failure
        err.print(sentence, markup=False)
        return status
    return EXIT_OK


def connection_failure(exc: BaseException) -> tuple[int, str] | None:
    """Say why the bot could not connect to Discord: (exit status, one sentence), or None.

    A token Discord rejects is the operator's to fix (status 2); Discord out of reach (no
    network, a name that does not resolve, Discord down) may pass (status 3). Once connected,
    discord.py resumes a dropped connection by itself; this is only for the first one.
    """
    import socket

    import aiohttp
    import discord

    if isinstance(exc, discord.LoginFailure):
        return EXIT_USAGE, TOKEN_REFUSED
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return EXIT_USAGE, NEEDS_INTENT
    if isinstance(exc, discord.ConnectionClosed):
        if exc.code == 4004:  # the gateway's "authentication failed"
            return EXIT_USAGE, TOKEN_REFUSED
        reason = f"the gateway closed the connection with code {exc.code}"
        return EXIT_UNREACHABLE, UNREACHABLE.format(reason=reason)
    if isinstance(exc, discord.HTTPException):
        if exc.status == 401:
            return EXIT_USAGE, TOKEN_REFUSED
        reason = f"Discord answered HTTP {exc.status}"
        return EXIT_UNREACHABLE, UNREACHABLE.format(reason=reason)
    if isinstance(exc, discord.GatewayNotFound):
        return EXIT_UNREACHABLE, UNREACHABLE.format(reason="its gateway could not be found")
    if isinstance(exc, TimeoutError):
        return EXIT_UNREACHABLE, UNREACHABLE.format(reason="the connection timed out")
    if isinstance(exc, aiohttp.ClientError | socket.gaierror | ConnectionError):
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return EXIT_UNREACHABLE, UNREACHABLE.format(reason=reason)
    return None


def cmd_report(args: argparse.Namespace) -> int:
    """Write a report or export of the log to stdout or a file."""
    from bot.i18n import known_language, languages
    from bot.reports import ReportError, fallback_run, render_report

    lang = known_language(args.lang)
    if lang is None:
        spoken = ", ".join(languages())
        err.print(f"The bot does not speak {args.lang!r}: use one of {spoken}.", markup=False)
        return EXIT_USAGE
    if not args.database.exists():
        err.print(f"No database at {args.database}.", markup=False)
        return EXIT_USAGE
    kind, run_id = args.run or "real", None
    try:
        if args.run is None and (latest := asyncio.run(fallback_run(args.database, args.session))):
            kind, run_id = latest.kind, latest.id
            err.print(latest.note, markup=False)
        data = asyncio.run(
            render_report(
                args.database,
                args.format,
                session=args.session,
                run_kind=kind,
                run_id=run_id,
                lang=lang,
            )
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
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
