"""Decide which session a Discord channel belongs to, from plain ids and names."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.errors import Refusal
from bot.program import Timeline
from bot.sessions import Session


def ref_matches(ref: str | int, channel_id: int, channel_name: str | None) -> bool:
    """Say whether a channel or role reference from a session file names this id or name."""
    if isinstance(ref, int):
        return ref == channel_id
    if ref.isdigit():
        return int(ref) == channel_id
    return channel_name is not None and ref.lstrip("#").casefold() == channel_name.casefold()


def session_channels(session: Session) -> tuple[str | int, ...]:
    """Return the references of every channel the session uses."""
    d = session.spec.discord
    return (d.questions_channel, d.moderation_channel, d.live_channel)


def pick_session(
    timelines: Iterable[Timeline],
    channel_id: int,
    channel_name: str | None,
    now: datetime,
) -> Session:
    """Return the one session this channel belongs to, or refuse with what to do.

    A channel belongs to a session that names it. When several sessions name it, the one whose
    intake is open wins; if that still leaves several, the bot refuses rather than guess.
    """
    candidates = [
        t
        for t in timelines
        if any(ref_matches(ref, channel_id, channel_name) for ref in session_channels(t.session))
    ]
    if not candidates:
        raise Refusal(
            "This channel belongs to no Q&A session. Use the session's questions channel."
        )
    if len(candidates) > 1:
        open_now = [t for t in candidates if t.intake_open(now)]
        if len(open_now) == 1:
            return open_now[0].session
        names = ", ".join(sorted(t.session.id for t in candidates))
        raise Refusal(
            f"Several sessions use this channel ({names}). An organizer should give each session "
            "its own channels in its session file, or run the bot with one session."
        )
    return candidates[0].session
