"""The Markdown report: the HTML report's content (the chart aside) for pasting into a write-up.

User text is escaped so that it reads as typed in any CommonMark renderer: Markdown and HTML
syntax in a question (e.g. `<script>`, `*`, `|`) shows literally, and line breaks inside a table
cell become spaces so a question can never break the table. The chart's content appears as
counts per program segment instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.i18n import DEFAULT, Localizer, localize
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


def _question_text(q: QuestionRow, _: Localizer) -> str:
    text = md(q.text)
    if q.original_text is not None:
        text += " *(" + _("edited; first asked as: {text}", text=md(q.original_text)) + ")*"
    if q.also_asked_by:
        text += " *(" + _("+{count} also asked this", count=q.also_asked_by) + ")*"
    return text


def _asker(q: QuestionRow, _: Localizer) -> str:
    return "*" + _("Anonymous") + "*" if q.anonymous else md(q.asker)


def _group(g: Group, column: str, column_name: str, _: Localizer) -> list[str]:
    lines = [
        f"### {md(g.title)}",
        "",
        _(
            "{questions}, {answered} answered, {votes}.",
            questions=_.ngettext("{count} question", "{count} questions", g.total),
            answered=g.answered,
            votes=_.ngettext("{count} vote", "{count} votes", g.votes),
        ),
        "",
    ]
    lines += _table(
        (
            "#",
            _("Question"),
            column_name,
            _("Asked by"),
            _("Votes"),
            _("State"),
            _.pgettext("time column", "Asked"),
            _.pgettext("time column", "Answered"),
        ),
        (
            (
                q.number,
                _question_text(q, _),
                md(getattr(q, column)),
                _asker(q, _),
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
        lines += ["", _("… and {count} more: see the CSV or JSON export.", count=g.hidden)]
    lines.append("")
    return lines


def _synthesis(syn: SynthesisView, _: Localizer) -> list[str]:
    lines = ["## " + _("Synthesis: a draft by theme"), ""]
    if not syn.themes:
        return [*lines, _("No question was taken up, so there is nothing to group."), ""]
    lines += [synthesis_intro(syn, _), ""]
    for t in syn.themes:
        facts = [
            _(
                "{questions}: {answered} answered, {owed} still owed",
                questions=_.ngettext("{count} question", "{count} questions", t.size),
                answered=t.answered,
                owed=t.unanswered,
            ),
            _.ngettext("{count} vote", "{count} votes", t.votes),
        ]
        if t.also_asked:
            facts.append(_("{count} more asked the same", count=t.also_asked))
        if t.label:
            facts.append(_("label {label}", label=md(t.label)))
        if t.terms:
            facts.append(_("key words: {words}", words=", ".join(md(term) for term in t.terms)))
        joined = _("; ").join(facts)
        lines += [f"### {t.index}. {md(t.title)}", "", f"*{joined}.*", ""]
        lines += [_("What people asked:"), ""]
        lines += [
            f"- **#{q.number}** {md(q.text)} *({md(q.state_name)})*" for q in t.representatives
        ]
        lines.append("")
        if t.owed:
            lines += [_("Still owed to participants, most voted first:"), ""]
            for q in t.owed:
                votes = _.ngettext("{count} vote", "{count} votes", q.votes)
                lines.append(f"- **#{q.number}** {md(q.text)} ({votes})")
            if t.owed_hidden:
                more = _("… and {count} more still owed: see the JSON export.", count=t.owed_hidden)
                lines.append(f"- {more}")
        else:
            lines.append(_("Nothing owed: every question of this theme was answered."))
        lines.append("")
    return lines


def synthesis_intro(syn: SynthesisView, _: Localizer) -> str:
    """The paragraph that opens the synthesis (plain text: no user text in it)."""
    questions = _.ngettext("{count} question", "{count} questions", syn.considered)
    themes = _.ngettext("{count} theme", "{count} themes", len(syn.themes))
    if syn.sampled:
        intro = _(
            "The {questions} taken up (answered, or approved and not answered), of which the "
            "{grouped} most voted, grouped into {themes} by the words they share; questions in "
            "different languages fall in different themes. A draft for the write-up: rename, "
            "merge or split the themes and add what the speakers answered.",
            questions=questions,
            grouped=syn.grouped,
            themes=themes,
        )
    else:
        intro = _(
            "The {questions} taken up (answered, or approved and not answered) grouped into "
            "{themes} by the words they share; questions in different languages fall in "
            "different themes. A draft for the write-up: rename, merge or split the themes and "
            "add what the speakers answered.",
            questions=questions,
            themes=themes,
        )
    if syn.ungrouped:
        intro += " " + _.ngettext(
            "{count} question without words to group by (only emoji or signs) is left out.",
            "{count} questions without words to group by (only emoji or signs) are left out.",
            syn.ungrouped,
        )
    return intro


def _run(v: RunView, _: Localizer) -> list[str]:
    lines = [f"# {md(v.title)}", ""]
    if v.event:
        lines += [f"*{md(v.event)}*", ""]

    def meta(name: str, value: str) -> str:
        return f"- **{name}:** {value}" if value else f"- **{name}:**"

    lines.append(meta(_("When"), md(v.when)))
    if v.moderator:
        lines.append(meta(_("Moderator"), md(v.moderator)))
    if v.speakers:
        lines.append(meta(_("Speakers"), ""))
        lines += [f"  - {md(s)}" for s in v.speakers]
    lines += [meta(_("Run"), md(v.run_line)), meta(_("Times"), md(v.zone))]
    if v.anonymized:
        lines.append(meta(_("Privacy"), md(v.anonymized)))
    lines.append("")

    lines += ["## " + _("In numbers"), ""]
    lines += _table(
        (_("Figure"), _("Value"), _("Note")),
        ((md(f.label), md(f.value), md(f.note)) for f in v.figures),
        {1},
    )
    lines.append("")

    if v.segments:
        lines += ["## " + _("Questions over the program"), ""]
        lines += _table(
            ("#", _("Time"), _("Segment"), _("Kind"), _("Asked"), _("Answered")),
            (
                (s.index, f"{s.start}-{s.end}", md(s.title), md(s.kind), s.asked, s.answered)
                for s in v.segments
            ),
            {0, 4, 5},
        )
        lines.append("")

    lines += _synthesis(v.synthesis, _)

    lines += ["## " + _("Follow-up: approved questions still unanswered"), ""]
    if v.unanswered:
        lines += [
            _.ngettext(
                "{count} approved question never answered, most voted first: owed to participants.",
                "{count} approved questions never answered, most voted first: owed to "
                "participants.",
                v.unanswered_total,
            ),
            "",
        ]
        lines += _table(
            (
                "#",
                _("Question"),
                _("To"),
                _("Label"),
                _("Asked by"),
                _("Votes"),
                _.pgettext("time column", "Asked"),
            ),
            (
                (
                    q.number,
                    _question_text(q, _),
                    md(q.speaker) or _("the panel"),
                    md(q.label),
                    _asker(q, _),
                    q.votes,
                    q.asked,
                )
                for q in v.unanswered
            ),
            {0, 5},
        )
        if v.unanswered_hidden:
            more = _("… and {count} more: see the CSV or JSON export.", count=v.unanswered_hidden)
            lines += ["", more]
    else:
        lines.append(_("None: every approved question was answered."))
    lines.append("")

    lines += ["## " + _("Written and follow-up answers"), ""]
    if v.answers:
        lines += [
            _.ngettext(
                "{count} answer given in writing during the session or in the follow-up posts "
                "after it, in the order they were given. An answer sent to the asker only is "
                "listed without its text.",
                "{count} answers given in writing during the session or in the follow-up posts "
                "after it, in the order they were given. An answer sent to the asker only is "
                "listed without its text.",
                v.answers_total,
            ),
            "",
        ]
        lines += _table(
            ("#", _("Question"), _("Answer"), _("By"), _("When")),
            (
                (
                    a.number,
                    md(a.question),
                    "*" + _("Answered privately to the asker") + "*"
                    if a.private
                    else md(a.text or ""),
                    f"{md(a.by)} ({a.role}), {a.where}",
                    a.at,
                )
                for a in v.answers
            ),
            {0},
        )
        if v.answers_hidden:
            lines += ["", _("… and {count} more: see the JSON export.", count=v.answers_hidden)]
    else:
        lines.append(_("No answer was given in writing."))
    lines.append("")

    lines += ["## " + _("Questions by speaker"), ""]
    for g in v.by_speaker:
        lines += _group(g, "label", _("Label"), _)
    if not v.by_speaker:
        lines += [_("No questions."), ""]
    lines += ["## " + _("Questions by label"), ""]
    for g in v.by_label:
        lines += _group(g, "speaker", _("To"), _)
    if not v.by_label:
        lines += [_("No questions."), ""]

    lines += ["## " + _("Moderation log"), ""]
    if v.log:
        lines += _table(
            (_("Time"), _("Who"), _("Did"), "#", _("Detail")),
            ((e.at, md(e.actor), md(e.action), e.number, md(e.detail)) for e in v.log),
            {3},
        )
        if v.log_hidden:
            more = _("… and {count} more actions: see the JSON export.", count=v.log_hidden)
            lines += ["", more]
    else:
        lines.append(_("No moderator actions."))
    lines.append("")
    return lines


def render_markdown(report: Report, lang: str = DEFAULT) -> bytes:
    """Return the Markdown report as UTF-8 bytes, in the language `lang` (a code)."""
    _ = localize(lang)
    made = to_iso(report.generated_at).replace("T", " ").replace("Z", " UTC")
    lines: list[str] = []
    if not report.runs:
        lines += ["# " + _("Q&A report"), "", no_run(report, _), ""]
    for i, run in enumerate(report.runs):
        if i:
            lines += ["---", ""]
        lines += _run(run_view(run, _), _)
    footer = _(
        "Q&A report made {made} from the bot's log. Anonymous askers are never named; long "
        "tables are cut for reading, the CSV and JSON exports hold every question.",
        made=made,
    )
    lines += [f"*{footer}*", ""]
    return "\n".join(lines).encode("utf-8")


def no_run(report: Report, _: Localizer) -> str:
    """The sentence of a report of a log without the runs asked for."""
    real = report.run_kind == "real"
    if report.session_id:
        if real:
            return _("The log holds no real run of session {session}.", session=report.session_id)
        return _("The log holds no rehearsal run of session {session}.", session=report.session_id)
    return _("The log holds no real run.") if real else _("The log holds no rehearsal run.")
