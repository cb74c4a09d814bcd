"""The CSV export: one row per question, for spreadsheets.

Columns, in order:

- number: the question's #N in its run
- asked_at: when it was asked, ISO 8601 in UTC (e.g. 2021-10-04T10:15:00Z)
- state: pending, approved, live, answered, rejected, withdrawn, dismissed or merged
- votes: votes it holds
- speaker: the name of the speaker it was addressed to (empty: the whole panel)
- label: the name of its label (empty: none)
- asker: the asker's display name, or "Anonymous" (anonymous askers are never named)
- text: the question as it stands (after any moderator edit)
- answered_at: when it was marked answered, ISO 8601 UTC (empty: never)
- merged_into: the #N it was merged into (empty: not merged)
- session: the session id (a report can cover several sessions)
- run: the run id (a session has one real run and any number of rehearsals)
- answers: its written and follow-up answers, one per line, oldest first: "who (role), when:
  text"; an answer sent to the asker only reads "answered privately to the asker", never its
  text

Encoding: UTF-8 with a byte-order mark, so Excel recognises UTF-8 (Korean, Spanish, Chinese text
open correctly there and in LibreOffice); rows end with CRLF and fields are quoted as RFC 4180
says. Every question is included, however many.

Formula injection: a spreadsheet runs a cell that starts with "=", "+", "-" or "@" (and some with
a tab or carriage return) as a formula. Such a text cell gets a leading apostrophe ('), which
spreadsheets show as plain text; numbers are written as numbers and are never touched.
"""

from __future__ import annotations

import csv
import io

from bot.reports.model import Question, Report
from bot.timeutil import to_iso

COLUMNS = (
    "number",
    "asked_at",
    "state",
    "votes",
    "speaker",
    "label",
    "asker",
    "text",
    "answered_at",
    "merged_into",
    "session",
    "run",
    "answers",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    """Return a text cell that no spreadsheet runs as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _answers(q: Question) -> str:
    return "\n".join(
        f"{a.by} ({a.role}), {to_iso(a.at)}: "
        + ("answered privately to the asker" if a.private else a.text or "")
        for a in q.answers
    )


def render_csv(report: Report) -> bytes:
    """Return the CSV export as UTF-8 (with BOM) bytes, CRLF line ends."""
    buffer = io.BytesIO()
    # encoded as it is written (in blocks), so the whole file never exists as one big str
    out = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for run in report.runs:
        speakers = {s.id: s.name for s in run.session.spec.speakers}
        labels = {lab.id: lab.name for lab in run.session.spec.labels}
        session_id, run_id = cell(run.session.id), str(run.run.id)
        for q in run.questions:
            speaker = speakers.get(q.speaker_id, q.speaker_id) if q.speaker_id else ""
            label = labels.get(q.label_id, q.label_id) if q.label_id else ""
            writer.writerow(
                (
                    q.number,
                    to_iso(q.asked_at),
                    q.state,
                    q.votes,
                    cell(speaker),
                    cell(label),
                    cell(q.asker),
                    cell(q.text),
                    to_iso(q.answered_at) if q.answered_at else "",
                    "" if q.merged_into is None else q.merged_into,
                    session_id,
                    run_id,
                    cell(_answers(q)),
                )
            )
    out.flush()
    data = buffer.getvalue()
    out.detach()
    return data
