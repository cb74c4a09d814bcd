"""Where a session lives in Discord, from plain ids and names: its server, its channels, its roles.

A session belongs to one Discord server (guild). Its pin comes from the session file's
`[discord] guild_id`, or else from the log (the server the run was pinned to at its first
start), or else, at the first start, from the only server the bot is in. A bot in several
servers with no `guild_id` serves the session nowhere rather than guess. Inside its server, a
session's channels match by id or name, and its roles by id or exact name; two roles with the
same exact name are ambiguous and neither counts.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.errors import Refusal
from bot.i18n import msg
from bot.program import Timeline
from bot.sessions import Session

PinSource = Literal["file", "log", "only server", "no server", "several servers"]

UNPINNED = msg(
    "This session is not tied to a Discord server yet: the bot is in several servers, so an "
    "organizer must set `guild_id` (the server's id) in the [discord] table of the session "
    "file and restart the bot."
)
NO_SESSION = msg("This channel belongs to no Q&A session. Use the session's questions channel.")


@dataclass(frozen=True, slots=True)
class Pin:
    """Which server a session's run is served in (None: nowhere, yet), and why."""

    guild_id: int | None
    source: PinSource

    @property
    def is_new(self) -> bool:
        """A pin to record in the log now (the only server at the run's first start)."""
        return self.source == "only server"


def choose_pin(file_guild: int | None, recorded: int | None, guilds: Collection[int]) -> Pin:
    """Decide the server of a session's run.

    The file's `guild_id` wins; then the pin recorded in the log; then, if the bot is in exactly
    one server, that one (to be recorded, so a server joined later never takes over). With no
    server the run waits for the first; with several, it is served nowhere.
    """
    if file_guild is not None:
        return Pin(file_guild, "file")
    if recorded is not None:
        return Pin(recorded, "log")
    if len(guilds) == 1:
        return Pin(next(iter(guilds)), "only server")
    if not guilds:
        return Pin(None, "no server")
    return Pin(None, "several servers")


def describe_pin(session: Session, pin: Pin, guild_names: Mapping[int, str]) -> str:
    """One line for the start-up log and for organizers."""
    if pin.guild_id is None:
        if pin.source == "no server":
            return f"session {session.id}: not in any server yet; it pins to the first one"
        return f"session {session.id}: served nowhere. {UNPINNED}"
    name = guild_names.get(pin.guild_id)
    where = f"{name!r} ({pin.guild_id})" if name else f"{pin.guild_id} (the bot is not in it)"
    how = {
        "file": "set by guild_id in the session file",
        "log": "recorded at its first start",
        "only server": "the only server the bot is in; recorded now",
    }.get(pin.source, pin.source)
    return f"session {session.id}: pinned to server {where}, {how}"


def ref_matches(ref: str | int, channel_id: int, channel_name: str | None) -> bool:
    """Say whether a channel reference from a session file names this id or name."""
    if isinstance(ref, int):
        return ref == channel_id
    if ref.isdigit():
        return int(ref) == channel_id
    return channel_name is not None and ref.lstrip("#").casefold() == channel_name.casefold()


def role_ids(ref: str | int, roles: Iterable[tuple[int, str]]) -> list[int]:
    """The ids of the roles a session file's role reference names: by id, or by exact name
    (not case-folded). More than one id means the name is ambiguous."""
    if isinstance(ref, int) or ref.isdigit():
        wanted = int(ref)
        return [role_id for role_id, _ in roles if role_id == wanted]
    return [role_id for role_id, name in roles if name == ref]


def session_channels(session: Session) -> tuple[str | int, ...]:
    """Return the references of every channel the session uses."""
    d = session.spec.discord
    return (d.questions_channel, d.moderation_channel, d.live_channel)


def pick_session(
    timelines: Iterable[Timeline],
    pins: Mapping[str, int | None],
    guild_id: int,
    channel_id: int,
    channel_name: str | None,
    now: datetime,
) -> Session:
    """Return the one session this channel of this server belongs to, or refuse.

    A channel belongs to a session that names it and is pinned to this server. When several
    do, the one whose intake is open wins; if that still leaves several, the bot refuses rather
    than guess. A session pinned to another server is never found here.
    """
    naming = [
        t
        for t in timelines
        if any(ref_matches(ref, channel_id, channel_name) for ref in session_channels(t.session))
    ]
    candidates = [t for t in naming if pins.get(t.session.id) == guild_id]
    if not candidates:
        if any(pins.get(t.session.id) is None for t in naming):
            raise Refusal(UNPINNED)
        raise Refusal(NO_SESSION)
    return _one(candidates, now)


def _one(candidates: Sequence[Timeline], now: datetime) -> Session:
    if len(candidates) > 1:
        open_now = [t for t in candidates if t.intake_open(now)]
        if len(open_now) == 1:
            return open_now[0].session
        names = ", ".join(sorted(t.session.id for t in candidates))
        raise Refusal(
            msg(
                "Several sessions use this channel ({sessions}). An organizer should give each "
                "session its own channels in its session file, or run the bot with one session.",
                sessions=names,
            )
        )
    return candidates[0].session
