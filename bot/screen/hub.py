"""The viewers of each session's screen, and the pushes that keep them current.

`notify(session_id)` is the one call the rest of the bot makes, after every committed change that
the screen shows. It never waits and never reads: it marks the session's state stale, and one task
per session reads it again and hands the same encoded message to every viewer. Reads are
throttled per session: the first change after a quiet spell is read at once, and changes that
come while a read runs (or within `min_interval` of the last one) are folded into one more read.
A hundred votes in a second thus cost about ten reads, whatever the number of viewers.

A viewer keeps only the latest message it has not yet sent: a slow viewer skips states, never
queues them. Nothing polls: a viewer's connection waits on its own wake-up (or a keep-alive
timeout), and the only timer per session is the one that reads the state again when the program
moves by itself (a segment ends, intake opens).

The hub's tasks and timer run in a context of their own (an empty `contextvars.Context`), not in
that of the command whose change they push: they outlive it and must not be cancelled, traced
or awaited as part of it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.timeutil import to_iso, utcnow

log = logging.getLogger(__name__)

#: Seconds between two reads of one session's state, at most 10 reads a second.
MIN_INTERVAL = 0.1
#: Viewers served at once by one bot, every session together.
MAX_VIEWERS = 5000


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One reading of a session's state: its JSON text and when to read it again by itself."""

    json: str
    refresh_after: float | None = None  # seconds; None: only when notified


Loader = Callable[[str], Awaitable[Snapshot]]


class ScreenClosed(Exception):
    """The screen is shutting down: the viewer's stream ends (the page reconnects)."""


class TooManyViewers(Exception):
    """The screen serves MAX_VIEWERS viewers already."""


class Viewer:
    """One connected page: the latest message it has not sent yet, and a wake-up."""

    __slots__ = ("_wake", "clock", "closed", "payload", "session_id")

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self._wake = asyncio.Event()
        self.payload: bytes | None = None
        self.clock: bytes = b""
        self.closed = False

    def _give(self, payload: bytes, clock: bytes) -> None:
        self.payload = payload
        self.clock = clock
        self._wake.set()

    def _close(self) -> None:
        self.closed = True
        self._wake.set()

    async def next(self, idle: float | None = None) -> bytes | None:
        """Wait for the next message (a clock line and the state); None after `idle` s.

        Raises ScreenClosed once the screen stops.
        """
        if self.payload is None and not self.closed:
            try:
                async with asyncio.timeout(idle):
                    await self._wake.wait()
            except TimeoutError:
                return None
        if self.closed:
            raise ScreenClosed
        self._wake.clear()
        payload, self.payload = self.payload, None
        assert payload is not None
        return self.clock + payload


@dataclass(slots=True)
class _Channel:
    viewers: set[Viewer] = field(default_factory=set)
    payload: bytes | None = None  # the latest state, encoded; None: stale
    version: int = 0
    dirty: bool = False
    task: asyncio.Task[None] | None = None
    last_read: float = -1e9
    timer: asyncio.TimerHandle | None = None


def encode_state(version: int, json_text: str) -> bytes:
    """One Server-Sent Event carrying a state (JSON holds no raw newline)."""
    return f"id: {version}\nevent: state\ndata: {json_text}\n\n".encode()


def encode_clock(now: datetime) -> bytes:
    """The event that tells the page the bot's time as a message leaves."""
    return f'event: clock\ndata: "{to_iso(now)}"\n\n'.encode()


class ScreenHub:
    """Viewers per session, and one throttled reader per session that pushes to all of them."""

    def __init__(
        self,
        load: Loader,
        *,
        clock: Callable[[], datetime] = utcnow,
        min_interval: float = MIN_INTERVAL,
        max_viewers: int = MAX_VIEWERS,
    ) -> None:
        self._load = load
        self._clock = clock
        self.min_interval = min_interval
        self.max_viewers = max_viewers
        self._channels: dict[str, _Channel] = {}
        self._closed = False
        #: how many times a state was read (tests and benchmarks look at it)
        self.reads = 0

    # ------------------------------------------------------------------ the bot's side

    def notify(self, session_id: str) -> None:
        """Say that what the session's screen shows may have changed (it was committed).

        Returns at once; the state is read again and pushed to every viewer within
        `min_interval` plus one read. Without viewers it only forgets the last state.
        """
        channel = self._channels.get(session_id)
        if channel is None or self._closed:
            return
        if not channel.viewers:
            channel.payload = None
            return
        channel.dirty = True
        self._start(session_id, channel)

    def notify_all(self) -> None:
        """Notify every session (e.g. after the bot reconnects)."""
        for session_id in list(self._channels):
            self.notify(session_id)

    # ------------------------------------------------------------------ the viewers' side

    def subscribe(self, session_id: str) -> Viewer:
        """Add a viewer; it is given the session's current state as soon as there is one."""
        if self._closed:
            raise ScreenClosed
        if self.viewers() >= self.max_viewers:
            raise TooManyViewers
        channel = self._channels.setdefault(session_id, _Channel())
        viewer = Viewer(session_id)
        channel.viewers.add(viewer)
        if channel.payload is not None and not channel.dirty:
            viewer._give(channel.payload, encode_clock(self._clock()))
        else:
            channel.dirty = True
            self._start(session_id, channel)
        return viewer

    def unsubscribe(self, viewer: Viewer) -> None:
        """Remove a viewer (its page went away)."""
        channel = self._channels.get(viewer.session_id)
        if channel is None:
            return
        channel.viewers.discard(viewer)
        if not channel.viewers:
            channel.payload = None  # no one keeps it current any more
            if channel.timer is not None:
                channel.timer.cancel()
                channel.timer = None

    def viewers(self, session_id: str | None = None) -> int:
        """How many pages are connected (to one session, or in all)."""
        if session_id is not None:
            channel = self._channels.get(session_id)
            return len(channel.viewers) if channel else 0
        return sum(len(c.viewers) for c in self._channels.values())

    async def close(self) -> None:
        """End every viewer's stream and stop reading."""
        self._closed = True
        tasks = []
        for channel in self._channels.values():
            for viewer in channel.viewers:
                viewer._close()
            channel.viewers.clear()
            if channel.timer is not None:
                channel.timer.cancel()
                channel.timer = None
            if channel.task is not None:
                channel.task.cancel()
                tasks.append(channel.task)
        await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------------ reading and pushing

    def _start(self, session_id: str, channel: _Channel) -> None:
        if channel.task is None or channel.task.done():
            channel.task = contextvars.Context().run(
                asyncio.get_running_loop().create_task,
                self._refresh(session_id, channel),
                name=f"screen-refresh:{session_id}",
            )

    async def _refresh(self, session_id: str, channel: _Channel) -> None:
        loop = asyncio.get_running_loop()
        try:
            while channel.dirty and channel.viewers and not self._closed:
                wait = channel.last_read + self.min_interval - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                channel.dirty = False
                channel.last_read = loop.time()
                try:
                    snapshot = await self._load(session_id)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the bot is stopping, or the log cannot be read
                    log.warning("screen of %s: state not read: %s", session_id, exc)
                    continue
                self.reads += 1
                channel.version += 1
                channel.payload = encode_state(channel.version, snapshot.json)
                clock = encode_clock(self._clock())
                for viewer in channel.viewers:
                    viewer._give(channel.payload, clock)
                self._arm(session_id, channel, snapshot.refresh_after)
        finally:
            channel.task = None

    def _arm(self, session_id: str, channel: _Channel, after: float | None) -> None:
        """Read the state again when the program moves by itself (one timer per session)."""
        if channel.timer is not None:
            channel.timer.cancel()
            channel.timer = None
        if after is not None and channel.viewers:
            channel.timer = asyncio.get_running_loop().call_later(
                after, self.notify, session_id, context=contextvars.Context()
            )
