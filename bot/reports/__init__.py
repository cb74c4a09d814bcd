"""Reports and exports of the log: one data model feeds every format."""

from __future__ import annotations

from pathlib import Path


class ReportError(Exception):
    """A report that cannot be made; the message says why in one sentence."""


async def render_report(
    database: Path, fmt: str, *, session: str | None = None, run_kind: str = "real"
) -> bytes:
    """Return the report of the log in `fmt` (json, csv, md, html) as bytes."""
    raise ReportError(f"The {fmt} report is not available yet.")
