"""The HTML report: one self-contained file (inline CSS and SVG, no network) that prints well.

The template is rendered by jinja2 with autoescaping on, so every piece of text from the log or
a session file is escaped; the chart's SVG is built (and escaped) in bot/reports/chart.py.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from bot.reports.chart import chart_svg
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


def render_html(report: Report) -> bytes:
    """Return the HTML report as UTF-8 bytes."""
    views = [run_view(run) for run in report.runs]
    charts = [chart_svg(run) for run in report.runs]
    template = environment().get_template("report.html.j2")
    html = template.render(
        views=views,
        charts=charts,
        generated=to_iso(report.generated_at).replace("T", " ").replace("Z", " UTC"),
        run_kind=report.run_kind,
        session=report.session_id,
    )
    return html.encode("utf-8")
