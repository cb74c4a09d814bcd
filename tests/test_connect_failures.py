"""Discord out of reach, or refusing the token: one sentence and an exit status, no traceback.

The bot runs as a real process whose discord.py talks to a stand-in for Discord's API: a port
where nothing listens, a name under `.invalid` (which never resolves), or a tiny local server
answering 401 as Discord does to a bad token. No test needs the network.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import aiohttp
import discord
import pytest

from bot.cli import (
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    NEEDS_INTENT,
    TOKEN_REFUSED,
    UNREACHABLE,
    connection_failure,
)
from tests.conftest import GSEF, ROOT

RUNNER = """
import sys
import discord.http
discord.http.Route.BASE = sys.argv[1]
from bot.cli import main
raise SystemExit(main(sys.argv[2:]))
"""
LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} [A-Z]+ ")
SENTENCE_START = UNREACHABLE.split("(")[0]


def run_against(api: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    database = tmp_path / "qa.sqlite3"
    env = {**os.environ, "DISCORD_TOKEN": "not-a-real-token", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, api, "--config", str(GSEF), "--database", str(database)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    return done, database


def the_sentence(done: subprocess.CompletedProcess[str]) -> str:
    """The one line that is not a log line; there must be exactly one, and no traceback."""
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, done.stderr
    said = [line for line in done.stderr.splitlines() if line.strip() and not LOG_LINE.match(line)]
    assert len(said) == 1, done.stderr
    return said[0]


def test_nothing_listening_exits_3_in_one_sentence(tmp_path: Path) -> None:
    done, database = run_against("http://127.0.0.1:9/api/v10", tmp_path)
    assert done.returncode == EXIT_UNREACHABLE, done.stderr
    sentence = the_sentence(done)
    assert sentence.startswith(SENTENCE_START) and "127.0.0.1:9" in sentence, sentence
    assert sentence.endswith("check the network connection, then start the bot again.")
    assert not database.exists()  # the log is opened only once Discord has accepted the token
    assert "not-a-real-token" not in done.stderr


def test_a_name_that_does_not_resolve_exits_3_in_one_sentence(tmp_path: Path) -> None:
    done, database = run_against("https://discord.invalid/api/v10", tmp_path)
    assert done.returncode == EXIT_UNREACHABLE, done.stderr
    sentence = the_sentence(done)
    assert sentence.startswith(SENTENCE_START) and "discord.invalid" in sentence, sentence
    assert not database.exists()


class _Refuses(BaseHTTPRequestHandler):
    """Answers every request as Discord answers a bad token."""

    def do_GET(self) -> None:
        body = json.dumps({"message": "401: Unauthorized", "code": 0}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def refusing_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refuses)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v10"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_refused_token_exits_2_in_one_sentence(tmp_path: Path, refusing_api: str) -> None:
    done, database = run_against(refusing_api, tmp_path)
    assert done.returncode == EXIT_USAGE, done.stderr
    assert the_sentence(done) == TOKEN_REFUSED
    assert not database.exists()
    assert "not-a-real-token" not in done.stderr


# ------------------------------------------------------ every failure has its sentence


class _Response:
    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = "reason"


class _Socket:
    close_code = 4004


def _closed(code: int) -> discord.ConnectionClosed:
    sock = _Socket()
    sock.close_code = code
    return discord.ConnectionClosed(sock, shard_id=None, code=code)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (discord.LoginFailure("Improper token has been passed."), EXIT_USAGE, TOKEN_REFUSED),
        (discord.PrivilegedIntentsRequired(None), EXIT_USAGE, NEEDS_INTENT),
        (_closed(4004), EXIT_USAGE, TOKEN_REFUSED),
        (_closed(4000), EXIT_UNREACHABLE, "code 4000"),
        (discord.HTTPException(_Response(503), "down"), EXIT_UNREACHABLE, "HTTP 503"),  # type: ignore[arg-type]
        (discord.HTTPException(_Response(401), "no"), EXIT_USAGE, TOKEN_REFUSED),  # type: ignore[arg-type]
        (discord.GatewayNotFound(), EXIT_UNREACHABLE, "gateway could not be found"),
        (TimeoutError(), EXIT_UNREACHABLE, "timed out"),
        (aiohttp.ClientConnectionError("no route\nto host"), EXIT_UNREACHABLE, "no route to host"),
        (ConnectionResetError(104, "Connection reset by peer"), EXIT_UNREACHABLE, "reset"),
    ],
)
def test_each_connection_failure_reads_as_one_sentence(
    error: BaseException, status: int, words: str
) -> None:
    found = connection_failure(error)
    assert found is not None
    assert found[0] == status
    assert words in found[1] and "\n" not in found[1]


@pytest.mark.parametrize("error", [ValueError("a bug"), KeyError("x"), PermissionError(13, "no")])
def test_a_bug_is_not_mistaken_for_a_connection_failure(error: BaseException) -> None:
    assert connection_failure(error) is None
