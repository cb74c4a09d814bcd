"""The presenter screen: a live web page per session, served by the bot process with aiohttp.

Use::

    server = ScreenServer(db, sessions, clock=clock, run_of=lambda sid: runs[sid].id)
    url = await server.start(*parse_address("127.0.0.1:8080"))
    print(await server.url_for(session_id))  # the page; add ?overlay=1 for OBS
    ...
    server.notify(session_id)  # after every committed change the screen shows
    ...
    await server.stop()
"""

from bot.screen.hub import ScreenHub, Snapshot, Viewer
from bot.screen.server import (
    CSP,
    DEFAULT_HOST,
    DEFAULT_PORT,
    AddressError,
    ScreenServer,
    base_url,
    parse_address,
    session_path,
)
from bot.screen.state import ANONYMOUS, ScreenState, load_state

__all__ = [
    "ANONYMOUS",
    "CSP",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "AddressError",
    "ScreenHub",
    "ScreenServer",
    "ScreenState",
    "Snapshot",
    "Viewer",
    "base_url",
    "load_state",
    "parse_address",
    "session_path",
]
