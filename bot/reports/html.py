"""The HTML report: one self-contained file (inline CSS and SVG, no network) that prints well.

The template is rendered by jinja2 with autoescaping on, so every piece of text from the log or
a session file is escaped; the chart's SVG is built (and escaped) in bot/reports/chart.py.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from bot.i18n import DEFAULT, Localizer, localize
from bot.reports.chart import chart_svg
from bot.reports.markdown import no_run, synthesis_intro
from bot.reports.model import Report
from bot.reports.view import run_view
from bot.timeutil import to_iso

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> jinja2.Environment:
    """Return the template environment (autoescape on for every template)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


class _Words:
    """The template's `_` and `ngettext`: a message in the report's language, as markup whose
    values are escaped (and its own text too, quotes aside: the template puts messages in text,
    never in attributes)."""

    def __init__(self, localizer: Localizer) -> None:
        self.localizer = localizer

    def __call__(self, msgid: str, /, **named: Any) -> Markup:
        return self._markup(self.localizer.template(msgid), named)

    def ngettext(self, singular: str, plural: str, n: int, /, **named: Any) -> Markup:
        named.setdefault("count", n)
        return self._markup(self.localizer.template(singular, plural, n), named)

    def pgettext(self, context: str, msgid: str, /, **named: Any) -> Markup:
        return self._markup(self.localizer.template(msgid, context=context), named)

    @staticmethod
    def _markup(template: str, named: dict[str, Any]) -> Markup:
        return Markup(html.escape(template, quote=False)).format(**named)


def render_html(report: Report, lang: str = DEFAULT) -> bytes:
    """Return the HTML report as UTF-8 bytes, in the language `lang` (a code)."""
    _ = localize(lang)
    words = _Words(_)
    views = [run_view(run, _) for run in report.runs]
    charts = [chart_svg(run, _) for run in report.runs]
    template = environment().get_template("report.html.j2")
    page = template.render(
        views=views,
        charts=charts,
        intros=[synthesis_intro(v.synthesis, _) for v in views],
        generated=to_iso(report.generated_at).replace("T", " ").replace("Z", " UTC"),
        no_run=no_run(report, _),
        lang=_.code,
        _=words,
        ngettext=words.ngettext,
        pgettext=words.pgettext,
    )
    return page.encode("utf-8")
