"""The JSON export: a stable shape for tests, tools and organizers."""

from __future__ import annotations

import json
from typing import Any

from bot.reports.model import Report
from bot.timeutil import to_iso


def report_dict(report: Report) -> dict[str, Any]:
    """Return the report as plain JSON-ready data (ids as strings, times ISO 8601 UTC)."""
    sessions = []
    for run in report.runs:
        sessions.append(
            {
                "id": run.session.id,
                "title": run.session.title,
                "run": {"id": str(run.run.id), "kind": run.run.kind},
                "questions": [
                    {
                        "number": q.number,
                        "text": q.text,
                        "state": q.state,
                        "votes": q.votes,
                        "anonymous": q.anonymous,
                        "author_id": q.author_id,
                        "speaker": q.speaker_id,
                        "label": q.label_id,
                        "asked_at": to_iso(q.asked_at),
                        "answered_at": to_iso(q.answered_at) if q.answered_at else None,
                        "merged_into": q.merged_into,
                        "events": [
                            {
                                "action": e.action,
                                "actor_id": e.actor_id,
                                "at": to_iso(e.at),
                                "reason": e.reason,
                            }
                            for e in q.events
                        ],
                    }
                    for q in run.questions
                ],
            }
        )
    return {"sessions": sessions}


def render_json(report: Report) -> bytes:
    """Return the JSON export as UTF-8 bytes."""
    text = json.dumps(report_dict(report), ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")
