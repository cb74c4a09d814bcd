"""The Markdown report: the HTML report's content (the chart aside) for pasting into a write-up.

User text is escaped so that it reads as typed in any CommonMark renderer: Markdown and HTML
syntax in a question (e.g. `<script>`, `*`, `|`) shows literally, and line breaks inside a table
cell become spaces so a question can never break the table. The chart's content appears as
counts per program segment instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.reports.model import Report
from bot.reports.synthesis import SynthesisView
from bot.reports.view import Group, QuestionRow, RunView, run_view
from bot.timeutil import to_iso

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def md(text: str) -> str:
    """Return text escaped for inline Markdown, on one line."""
    text = _BREAKS.sub(" ", text.strip())
    text = _SPECIAL.sub(r"\\\1", text)
    return _ENTITY.sub(r"\\&", text)


def _table(header: Sequence[str], rows: Iterable[Sequence[object]], right: set[int]) -> list[str]:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return lines


def _question_text(q: QuestionRow) -> str:
    text = md(q.text)
    if q.original_text is not None:
        text += f" *(edited; first asked as: {md(q.original_text)})*"
    if q.also_asked_by:
        text += f" *(+{q.also_asked_by} also asked this)*"
    return text


def _asker(q: QuestionRow) -> str:
    return "*Anonymous*" if q.anonymous else md(q.asker)


def _group(g: Group, column: str, column_name: str) -> list[str]:
    plural = "s" if g.total != 1 else ""
    votes = "s" if g.votes != 1 else ""
    lines = [
        f"### {md(g.title)}",
        "",
        f"{g.total} question{plural}, {g.answered} answered, {g.votes} vote{votes}.",
        "",
    ]
    lines += _table(
        ("#", "Question", column_name, "Asked by", "Votes", "State", "Asked", "Answered"),
        (
            (
                q.number,
                _question_text(q),
                md(getattr(q, column)),
                _asker(q),
                q.votes,
                md(q.state_name),
                q.asked,
                q.answered,
            )
            for q in g.rows
        ),
        {0, 4},
    )
    if g.hidden:
        lines += ["", f"… and {g.hidden} more: see the CSV or JSON export."]
    lines.append("")
    return lines


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _synthesis(syn: SynthesisView) -> list[str]:
    lines = ["## Synthesis: a draft by theme", ""]
    if not syn.themes:
        return [*lines, "No question was taken up, so there is nothing to group.", ""]
    most = f", of which the {syn.grouped} most voted," if syn.sampled else ""
    intro = (
        f"The {_plural(syn.considered, 'question')} taken up (answered, or approved and not "
        f"answered){most} grouped into {_plural(len(syn.themes), 'theme')} by the words they "
        "share; questions in different languages fall in different themes. A draft for the "
        "write-up: rename, merge or split the themes and add what the speakers answered."
    )
    if syn.ungrouped:
        intro += (
            f" {_plural(syn.ungrouped, 'question')} without words to group by (only emoji or "
            "signs) left out."
        )
    lines += [intro, ""]
    for t in syn.themes:
        facts = [
            f"{_plural(t.size, 'question')}: {t.answered} answered, {t.unanswered} still owed",
            _plural(t.votes, "vote"),
        ]
        if t.also_asked:
            facts.append(f"{t.also_asked} more asked the same")
        if t.label:
            facts.append(f"label {md(t.label)}")
        if t.terms:
            facts.append("key words: " + ", ".join(md(term) for term in t.terms))
        lines += [f"### {t.index}. {md(t.title)}", "", f"*{'; '.join(facts)}.*", ""]
        lines += ["What people asked:", ""]
        lines += [
            f"- **#{q.number}** {md(q.text)} *({md(q.state_name)})*" for q in t.representatives
        ]
        lines.append("")
        if t.owed:
            lines += ["Still owed to participants, most voted first:", ""]
            lines += [
                f"- **#{q.number}** {md(q.text)} ({_plural(q.votes, 'vote')})" for q in t.owed
            ]
            if t.owed_hidden:
                lines.append(f"- … and {t.owed_hidden} more still owed: see the JSON export.")
        else:
            lines.append("Nothing owed: every question of this theme was answered.")
        lines.append("")
    return lines


def _run(v: RunView) -> list[str]:
    lines = [f"# {md(v.title)}", ""]
    if v.event:
        lines += [f"*{md(v.event)}*", ""]
    lines.append(f"- **When:** {md(v.when)}")
    if v.moderator:
        lines.append(f"- **Moderator:** {md(v.moderator)}")
    if v.speakers:
        lines.append("- **Speakers:**")
        lines += [f"  - {md(s)}" for s in v.speakers]
    lines += [f"- **Run:** {md(v.run_line)}", f"- **Times:** {md(v.zone)}"]
    if v.anonymized:
        lines.append(f"- **Privacy:** {md(v.anonymized)}")
    lines.append("")

    lines += ["## In numbers", ""]
    lines += _table(
        ("Figure", "Value", "Note"),
        ((md(f.label), md(f.value), md(f.note)) for f in v.figures),
        {1},
    )
    lines.append("")

    if v.segments:
        lines += ["## Questions over the program", ""]
        lines += _table(
            ("#", "Time", "Segment", "Kind", "Asked", "Answered"),
            (
                (s.index, f"{s.start}-{s.end}", md(s.title), s.kind, s.asked, s.answered)
                for s in v.segments
            ),
            {0, 4, 5},
        )
        lines.append("")

    lines += _synthesis(v.synthesis)

    lines += ["## Follow-up: approved questions still unanswered", ""]
    if v.unanswered:
        plural = "s" if v.unanswered_total != 1 else ""
        lines += [
            f"{v.unanswered_total} approved question{plural} never answered, most voted first: "
            "owed to participants.",
            "",
        ]
        lines += _table(
            ("#", "Question", "To", "Label", "Asked by", "Votes", "Asked"),
            (
                (
                    q.number,
                    _question_text(q),
                    md(q.speaker) or "the panel",
                    md(q.label),
                    _asker(q),
                    q.votes,
                    q.asked,
                )
                for q in v.unanswered
            ),
            {0, 5},
        )
        if v.unanswered_hidden:
            lines += ["", f"… and {v.unanswered_hidden} more: see the CSV or JSON export."]
    else:
        lines.append("None: every approved question was answered.")
    lines.append("")

    lines += ["## Written and follow-up answers", ""]
    if v.answers:
        plural = "s" if v.answers_total != 1 else ""
        lines += [
            f"{v.answers_total} answer{plural} given in writing during the session or in the "
            "follow-up posts after it, in the order they were given. An answer sent to the asker "
            "only is listed without its text.",
            "",
        ]
        lines += _table(
            ("#", "Question", "Answer", "By", "When"),
            (
                (
                    a.number,
                    md(a.question),
                    "*Answered privately to the asker*" if a.private else md(a.text or ""),
                    f"{md(a.by)} ({a.role}), {a.where}",
                    a.at,
                )
                for a in v.answers
            ),
            {0},
        )
        if v.answers_hidden:
            lines += ["", f"… and {v.answers_hidden} more: see the JSON export."]
    else:
        lines.append("No answer was given in writing.")
    lines.append("")

    lines += ["## Questions by speaker", ""]
    for g in v.by_speaker:
        lines += _group(g, "label", "Label")
    if not v.by_speaker:
        lines += ["No questions.", ""]
    lines += ["## Questions by label", ""]
    for g in v.by_label:
        lines += _group(g, "speaker", "To")
    if not v.by_label:
        lines += ["No questions.", ""]

    lines += ["## Moderation log", ""]
    if v.log:
        lines += _table(
            ("Time", "Who", "Did", "#", "Detail"),
            ((e.at, md(e.actor), md(e.action), e.number, md(e.detail)) for e in v.log),
            {3},
        )
        if v.log_hidden:
            lines += ["", f"… and {v.log_hidden} more actions: see the JSON export."]
    else:
        lines.append("No moderator actions.")
    lines.append("")
    return lines


def render_markdown(report: Report) -> bytes:
    """Return the Markdown report as UTF-8 bytes."""
    made = to_iso(report.generated_at).replace("T", " ").replace("Z", " UTC")
    lines: list[str] = []
    if not report.runs:
        where = f" of session {report.session_id}" if report.session_id else ""
        lines += ["# Q&A report", "", f"The log holds no {report.run_kind} run{where}.", ""]
    for i, run in enumerate(report.runs):
        if i:
            lines += ["---", ""]
        lines += _run(run_view(run))
    lines += [
        f"*Q&A report made {made} from the bot's log. Anonymous askers are never named; long "
        "tables are cut for reading, the CSV and JSON exports hold every question.*",
        "",
    ]
    return "\n".join(lines).encode("utf-8")
