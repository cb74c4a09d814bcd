"""Convert times between UTC storage, session-local wall clocks and Discord timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

_DB_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def to_db(moment: datetime) -> str:
    """Format an aware datetime as the fixed-width UTC text stored in SQLite (sorts by time)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not stored; pass an aware datetime")
    return moment.astimezone(UTC).strftime(_DB_FORMAT)


def from_db(text: str) -> datetime:
    """Parse the stored UTC text back into an aware datetime (fromisoformat: fast, exact)."""
    return datetime.fromisoformat(text)


def to_iso(moment: datetime) -> str:
    """Format an aware datetime as ISO 8601 in UTC with a Z suffix, for exports."""
    text = moment.astimezone(UTC).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def discord_timestamp(moment: datetime, style: str = "t") -> str:
    """Return Discord's `<t:UNIX:style>` markup, which each reader sees in their own zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"
