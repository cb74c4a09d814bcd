"""The JSON export: a stable shape for tests, tools and organizers.

Per session: its id, title, run, every question with its answers and events, and "synthesis":
the themes of the questions taken up (bot/reports/synthesis.py), by question number only.

Each question's "answers" lists its written and follow-up answers, oldest first: "text" (null
for an answer sent to the asker only: that text is never exported), "by" (the speaker's name
from the session file, else the answerer's display name), "role" (moderator or speaker), "at",
"private", and "source" (written: during the session; followup: in its forum post after).
"""

from __future__ import annotations

import io
import json
from json.encoder import encode_basestring
from typing import Any

from bot.reports.model import Answer, Event, Question, Report
from bot.reports.synthesis import synthesis, synthesis_dict
from bot.timeutil import to_iso


def report_dict(report: Report) -> dict[str, Any]:
    """Return the report as plain JSON-ready data (ids as strings, times ISO 8601 UTC).

    A session whose log was anonymized (bot.maintenance.forget) has "anonymized_at": when;
    its askers' ids are then pseudonyms ("-17" for "participant 17")."""
    sessions: list[dict[str, Any]] = []
    for run in report.runs:
        anonymized = {"anonymized_at": to_iso(run.anonymized_at)} if run.anonymized_at else {}
        sessions.append(
            {
                "id": run.session.id,
                "title": run.session.title,
                "run": {"id": str(run.run.id), "kind": run.run.kind},
                **anonymized,
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
                        "answers": [
                            {
                                "text": a.text,
                                "by": a.by,
                                "role": a.role,
                                "at": to_iso(a.at),
                                "private": a.private,
                                "source": a.source,
                            }
                            for a in q.answers
                        ],
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
                "synthesis": synthesis_dict(synthesis(run)),
            }
        )
    return {"sessions": sessions}


def render_json(report: Report) -> bytes:
    """Return the JSON export as UTF-8 bytes.

    The bytes are exactly `json.dumps(report_dict(report), ensure_ascii=False, indent=2)` and a
    newline (tests check it), written question by question: json's indenting encoder is pure
    Python and would hold the whole document as objects and text at once, which for a
    100,000-question log takes seconds and most of a gigabyte.
    """
    out = io.BytesIO()
    write = out.write
    if not report.runs:
        write(b'{\n  "sessions": []\n}\n')
        return out.getvalue()
    write(b'{\n  "sessions": [\n')
    for i, run in enumerate(report.runs):
        head = (
            "    {\n"
            f'      "id": {_s(run.session.id)},\n'
            f'      "title": {_s(run.session.title)},\n'
            '      "run": {\n'
            f'        "id": {_s(str(run.run.id))},\n'
            f'        "kind": {_s(run.run.kind)}\n'
            "      },\n"
        )
        if run.anonymized_at:
            head += f'      "anonymized_at": {_s(to_iso(run.anonymized_at))},\n'
        write(head.encode("utf-8"))
        if not run.questions:
            write(b'      "questions": [],\n')
        else:
            write(b'      "questions": [\n')
            last = len(run.questions) - 1
            for n, q in enumerate(run.questions):
                write(_question(q, n == last).encode("utf-8"))
            write(b"      ],\n")
        found = json.dumps(synthesis_dict(synthesis(run)), ensure_ascii=False, indent=2)
        write(f'      "synthesis": {found.replace(chr(10), chr(10) + "      ")}\n'.encode())
        write(b"    }\n" if i == len(report.runs) - 1 else b"    },\n")
    write(b"  ]\n}\n")
    return out.getvalue()


def _s(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _i(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _event(e: Event) -> str:
    return (
        "            {\n"
        f'              "action": {_s(e.action)},\n'
        f'              "actor_id": {_s(e.actor_id)},\n'
        f'              "at": {_s(to_iso(e.at))},\n'
        f'              "reason": {_s(e.reason)}\n'
        "            }"
    )


def _answer(a: Answer) -> str:
    return (
        "            {\n"
        f'              "text": {_s(a.text)},\n'
        f'              "by": {_s(a.by)},\n'
        f'              "role": {_s(a.role)},\n'
        f'              "at": {_s(to_iso(a.at))},\n'
        f'              "private": {"true" if a.private else "false"},\n'
        f'              "source": {_s(a.source)}\n'
        "            }"
    )


def _question(q: Question, last: bool) -> str:
    if q.answers:
        answers = '"answers": [\n' + ",\n".join(map(_answer, q.answers)) + "\n          ]"
    else:
        answers = '"answers": []'
    if q.events:
        events = '"events": [\n' + ",\n".join(map(_event, q.events)) + "\n          ]"
    else:
        events = '"events": []'
    return (
        "        {\n"
        f'          "number": {_i(q.number)},\n'
        f'          "text": {_s(q.text)},\n'
        f'          "state": {_s(q.state)},\n'
        f'          "votes": {_i(q.votes)},\n'
        f'          "anonymous": {"true" if q.anonymous else "false"},\n'
        f'          "author_id": {_s(q.author_id)},\n'
        f'          "speaker": {_s(q.speaker_id)},\n'
        f'          "label": {_s(q.label_id)},\n'
        f'          "asked_at": {_s(to_iso(q.asked_at))},\n'
        f'          "answered_at": {_s(to_iso(q.answered_at) if q.answered_at else None)},\n'
        f'          "merged_into": {_i(q.merged_into)},\n'
        f"          {answers},\n"
        f"          {events}\n"
        "        }" + ("\n" if last else ",\n")
    )
