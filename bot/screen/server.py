"""The presenter screen's web server, served by the bot process itself with aiohttp.

Every address has the form ``/s/<session id>/<key>/...``: the page (``/``), its script
(``screen.js``), its style (``screen.css``), the live stream (``events``, Server-Sent Events) and
the state as JSON (``state.json``). Anything else, a missing key or a wrong one, is a 404 with a
two-word body; keys are compared in constant time. Only GET and HEAD are answered. Every response
carries a strict Content-Security-Policy, and the access log is off, so keys never reach a log.

The server listens from a context of its own (an empty `contextvars.Context`): its connections
are not part of the start-up work that opened it, nor of any command.
"""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import html
import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from importlib import resources
from string import Template
from typing import Any

import aiosqlite
from aiohttp import web

from bot.screen.hub import ScreenClosed, ScreenHub, Snapshot, TooManyViewers
from bot.screen.state import QUEUE_SIZE, ScreenState, load_state, refresh_delay
from bot.sessions import Session
from bot.storage import screen_repo
from bot.storage.database import Database, first_row
from bot.timeutil import utcnow

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
#: Seconds between keep-alive comments on an idle stream (proxies close silent connections).
KEEPALIVE = 20.0
#: Milliseconds a page waits before reconnecting to a stream that ended.
RETRY_MS = 2000

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Server": "screen",
}
NOT_FOUND = b"Not found\n"
_PATH = re.compile(
    r"^/s/(?P<session>[a-z0-9][a-z0-9-]{0,63})/(?P<key>[A-Za-z0-9_-]{1,200})(?P<rest>/.*)?$"
)
_DUMMY_KEY = "x" * 43  # compared against when the session is unknown, so timing tells nothing


def _asset(name: str) -> bytes:
    return resources.files("bot.screen").joinpath("static", name).read_bytes()


ASSETS: dict[str, tuple[bytes, str]] = {
    "screen.js": (_asset("screen.js"), "text/javascript; charset=utf-8"),
    "screen.css": (_asset("screen.css"), "text/css; charset=utf-8"),
}
PAGE = Template(_asset("screen.html").decode("utf-8"))


# ---------------------------------------------------------------------------- addresses


class AddressError(ValueError):
    """A screen address that cannot be used; the message is one sentence."""


def parse_address(text: str) -> tuple[str, int]:
    """Read "HOST:PORT", ":PORT" or "PORT" (host 127.0.0.1); "[::1]:PORT" for IPv6; port 0 = any.

    >>> parse_address("8080"), parse_address(":8080"), parse_address("0.0.0.0:80")
    (('127.0.0.1', 8080), ('127.0.0.1', 8080), ('0.0.0.0', 80))
    """
    raw = text.strip()
    host, port_text = DEFAULT_HOST, raw
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0 or not raw[end + 1 :].startswith(":"):
            raise AddressError(f"Cannot read the screen address {text!r}: use [IPv6]:PORT.")
        host, port_text = raw[1:end], raw[end + 2 :]
    elif ":" in raw:
        head, _, port_text = raw.rpartition(":")
        if ":" in head:
            raise AddressError(
                f"Cannot read the screen address {text!r}: write an IPv6 host in brackets, "
                "e.g. [::1]:8080."
            )
        host = head or DEFAULT_HOST
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise AddressError(
            f"Cannot read the screen address {text!r}: give HOST:PORT, :PORT or PORT with a "
            "port from 0 to 65535 (e.g. 127.0.0.1:8080)."
        )
    if not host or any(c.isspace() or c in "/?#@" for c in host):
        raise AddressError(f"Cannot read the screen address {text!r}: the host is not valid.")
    return host, int(port_text)


def base_url(host: str, port: int) -> str:
    """The address a browser on this machine opens for a server bound to host:port."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def session_path(session_id: str, key: str) -> str:
    """The path of a session's screen page."""
    return f"/s/{session_id}/{key}/"


# ---------------------------------------------------------------------------- the server


RunOf = Callable[[str], int | None]


class ScreenServer:
    """The screen's aiohttp application, its runner and its hub.

    `sessions` maps session ids to the sessions served (the bot's own dict: sessions added later
    are served too). `run_of(session_id)` names the run to show (the bot's current run); without
    it, the session's most recent run is shown. `notify(session_id)` pushes a change.
    """

    def __init__(
        self,
        db: Database,
        sessions: Mapping[str, Session],
        *,
        clock: Callable[[], datetime] = utcnow,
        run_of: RunOf | None = None,
        queue_size: int = QUEUE_SIZE,
        public_url: str | None = None,
    ) -> None:
        self.db = db
        self.sessions = sessions
        self.clock = clock
        self.run_of = run_of
        self.queue_size = queue_size
        self.public_url = public_url.rstrip("/") if public_url else None
        self.hub = ScreenHub(self._snapshot, clock=clock)
        self._runner: web.AppRunner | None = None
        self.host: str | None = None
        self.port: int | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def url(self) -> str:
        """The server's base address (the public one if given), e.g. http://127.0.0.1:8080."""
        if self.public_url:
            return self.public_url
        if self.host is None or self.port is None:
            raise RuntimeError("the screen server is not started")
        return base_url(self.host, self.port)

    def app(self) -> web.Application:
        """The aiohttp application (one catch-all route; the handler does the routing)."""
        app = web.Application(client_max_size=1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def start(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
        """Give every served session a key, bind host:port (0: any free port); return the URL."""
        if self._runner is not None:
            raise RuntimeError("the screen server is already started")
        now = self.clock()
        ids = list(self.sessions)

        async def keys(conn: aiosqlite.Connection) -> None:
            for session_id in ids:
                await screen_repo.screen_key(conn, session_id, now)

        await self.db.write(keys)
        runner = web.AppRunner(
            self.app(), handle_signals=False, access_log=None, shutdown_timeout=0.5
        )
        await runner.setup()
        try:
            await contextvars.Context().run(
                asyncio.get_running_loop().create_task, web.TCPSite(runner, host, port).start()
            )
        except OSError as exc:
            await runner.cleanup()
            reason = exc.strerror or str(exc)
            raise AddressError(f"Cannot serve the screen on {host}:{port}: {reason}.") from None
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound = runner.addresses[0]
        self.host, self.port = host, int(bound[1])
        log.info("presenter screen listening on %s", base_url(host, self.port))
        return self.url

    async def stop(self) -> None:
        """End every stream (pages reconnect by themselves) and close the server."""
        runner, self._runner = self._runner, None
        await self.hub.close()
        if runner is not None:
            await runner.cleanup()

    # ------------------------------------------------------------------ the bot's side

    def notify(self, session_id: str) -> None:
        """Push the session's screen again: call after every committed change it shows."""
        self.hub.notify(session_id)

    def notify_run(self, run_id: int) -> None:
        """Push the screen of the session whose current run is `run_id`."""
        for session_id in list(self.sessions):
            if self.run_of is not None and self.run_of(session_id) == run_id:
                self.hub.notify(session_id)
                return
        self.hub.notify_all()

    async def key(self, session_id: str) -> str:
        """The session's key, created if it has none yet (only then is anything written)."""
        key = await self.db.read(lambda conn: screen_repo.get_screen_key(conn, session_id))
        if key is not None:
            return key
        now = self.clock()
        return await self.db.write(lambda conn: screen_repo.screen_key(conn, session_id, now))

    async def url_for(self, session_id: str, *, overlay: bool = False) -> str:
        """The address of the session's screen (give it to moderators only)."""
        key = await self.key(session_id)
        return self.url + session_path(session_id, key) + ("?overlay=1" if overlay else "")

    async def state(self, session_id: str) -> ScreenState:
        """Read what the session's screen shows now."""
        session = self.sessions[session_id]
        run_id = await self._run_id(session_id)
        if run_id is None:
            raise LookupError(f"session {session_id} has no run yet")
        now = self.clock()
        return await self.db.read(
            lambda conn: load_state(conn, session, run_id, now, self.queue_size)
        )

    async def _run_id(self, session_id: str) -> int | None:
        if self.run_of is not None:
            return self.run_of(session_id)
        row = await self.db.read(
            lambda conn: first_row(
                conn,
                "SELECT id FROM runs WHERE session_id = ? ORDER BY id DESC LIMIT 1",
                (session_id,),
            )
        )
        return int(row[0]) if row else None

    async def _snapshot(self, session_id: str) -> Snapshot:
        state = await self.state(session_id)
        return Snapshot(_json(state), refresh_delay(state, self.clock()))

    # ------------------------------------------------------------------ requests

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        match = _PATH.match(request.path)
        session_id = match["session"] if match else ""
        if match is None or not await self._key_matches(session_id, match["key"]):
            return _not_found()
        rest = match["rest"] or "/"
        if request.method not in ("GET", "HEAD"):
            return _response(b"", "text/plain", status=405, extra={"Allow": "GET, HEAD"})
        try:
            if rest == "/":
                return await self._page(request, session_id, match["key"])
            if rest == "/events":
                return await self._events(request, session_id)
            if rest == "/state.json":
                state = await self.state(session_id)
                return _response(_json(state).encode(), "application/json")
        except (LookupError, ScreenClosed):
            return _response(b"Not available\n", "text/plain", status=503)
        asset = ASSETS.get(rest.lstrip("/"))
        if asset is None:
            return _not_found()
        return _response(*asset)

    async def _key_matches(self, session_id: str, given: str) -> bool:
        stored: str | None = None
        if session_id in self.sessions:
            try:
                stored = await self.db.read(
                    lambda conn: screen_repo.get_screen_key(conn, session_id)
                )
            except Exception as exc:  # the database is closed: nothing is served
                log.debug("screen key not read: %s", exc)
        matches = hmac.compare_digest(
            (stored or _DUMMY_KEY).encode(), given.encode("utf-8", "replace")
        )
        return matches and stored is not None

    async def _page(self, request: web.Request, session_id: str, key: str) -> web.Response:
        state = await self.state(session_id)
        overlay = request.query.get("overlay", "") in ("1", "true", "yes")
        looks = ["overlay" if overlay else "full"]
        if request.query.get("queue", "") in ("0", "false", "no"):
            looks.append("no-queue")
        base = session_path(session_id, key)
        words = state.words
        body = PAGE.substitute(
            title=html.escape(words["on_screen"].format(title=state.title)),
            lang=html.escape(state.language),
            rehearsal=html.escape(words["rehearsal"]),
            up_next=html.escape(words["up_next"]),
            ask_lead=html.escape(words["ask_lead"]),
            reconnecting=html.escape(words["reconnecting"]),
            noscript=html.escape(words["noscript"]),
            look=" ".join(looks),
            css=html.escape(base + "screen.css"),
            js=html.escape(base + "screen.js"),
            events=html.escape(base + "events"),
            state=_script_json(_json(state)),
        )
        return _response(body.encode("utf-8"), "text/html; charset=utf-8")

    async def _events(self, request: web.Request, session_id: str) -> web.StreamResponse:
        headers = {**SECURITY_HEADERS, "Content-Type": "text/event-stream; charset=utf-8"}
        headers["X-Accel-Buffering"] = "no"
        if request.method == "HEAD":
            return web.Response(headers=headers)
        if session_id not in self.sessions:
            raise LookupError(session_id)
        try:
            viewer = self.hub.subscribe(session_id)
        except TooManyViewers:
            return _response(b"Too many viewers\n", "text/plain", status=503)
        response = web.StreamResponse(headers=headers)
        try:
            await response.prepare(request)
            await response.write(f"retry: {RETRY_MS}\n\n".encode())
            while True:
                message = await viewer.next(KEEPALIVE)
                await response.write(message if message is not None else b": keep-alive\n\n")
        except (ScreenClosed, ConnectionError):
            pass  # the screen stops, or the page went away
        finally:
            self.hub.unsubscribe(viewer)
        return response


def _json(state: ScreenState) -> str:
    return json.dumps(state.to_json(), ensure_ascii=False, separators=(",", ":"))


def _script_json(text: str) -> str:
    """JSON made safe inside <script type="application/json">: no markup can end the element."""
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _response(
    body: bytes, content_type: str, *, status: int = 200, extra: dict[str, Any] | None = None
) -> web.Response:
    headers = {**SECURITY_HEADERS, "Content-Type": content_type, **(extra or {})}
    return web.Response(body=body, status=status, headers=headers)


def _not_found() -> web.Response:
    return _response(NOT_FOUND, "text/plain; charset=utf-8", status=404)
