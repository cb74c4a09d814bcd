"""Who is waiting for the core's work, so a slow step can tell them in time.

A person's command that waits for a write sets `on_slow_write` to a callback; when the write is
stuck behind another program's lock, the database calls it once, on the event loop, while it
goes on waiting. The callback belongs to the caller (the Discord side acknowledges the
interaction, so Discord's 3-second deadline is met); the core only knows that someone waits.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

on_slow_write: ContextVar[Callable[[], None] | None] = ContextVar("on_slow_write", default=None)
