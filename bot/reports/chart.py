"""The timeline chart of a run as inline SVG: questions asked per minute, the program's segments
as labelled bands, and a mark for each answered question.

The SVG is built here as text; every piece of text from the log or a session file is escaped.
Work is linear in the number of questions and the output size is bounded (bins and marks are
capped), so a huge log still gives a small chart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from unicodedata import east_asian_width
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from bot.i18n import ENGLISH, Localizer
from bot.reports.model import RunReport

WIDTH, HEIGHT = 1000, 300
LEFT, RIGHT = 44, 12
BAND_TOP, PLOT_TOP, PLOT_BOTTOM = 8, 40, 220
ANSWER_Y, LEGEND_Y = 246, 284
MAX_BINS = 150
MAX_MARKS = 400
BIN_CHOICES = (1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 720, 1440)

KIND_FILL = {
    "logistics": "#eceff1",
    "opening": "#e3ecf7",
    "talk": "#e6f2e6",
    "discussion": "#fbf0dc",
    "qa": "#f5e4ef",
    "closing": "#eceff1",
}
BAR = "#2f5d9b"
ANSWERED = "#1b7f3b"
TEXT = "#333333"


def _f(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _nice_step(top: int, ticks: int = 5) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top / step <= ticks:
            return step
    return max(1, top // ticks)


def _floor_local(moment: datetime, minutes: int) -> datetime:
    """Floor an instant to a multiple of `minutes` on the local wall clock of its zone."""
    wall = moment.replace(tzinfo=None)
    midnight = wall.replace(hour=0, minute=0, second=0, microsecond=0)
    since = int((wall - midnight).total_seconds() // 60)
    floored = midnight + timedelta(minutes=since - since % minutes)
    return floored.replace(tzinfo=moment.tzinfo)


def chart_svg(run: RunReport, _: Localizer = ENGLISH) -> Markup | None:
    """Return the run's timeline chart, or None when there is nothing to draw, its words in
    the language of `_`."""
    title = _("Questions over time")
    run = run.on_program_clock()
    zone = run.session.zone
    asked = [q.asked_at for q in run.questions]
    answered = [(q.answered_at, q.number) for q in run.questions if q.answered_at is not None]
    points: list[datetime] = []
    if asked:
        points += [min(asked), max(asked)]
    if answered:
        points += [min(a for a, _ in answered), max(a for a, _ in answered)]
    for seg in run.segments:
        points += [seg.start, seg.end]
    if not points:
        return None
    first, last = min(points), max(points)
    span_minutes = max(1.0, (last - first).total_seconds() / 60)
    bin_minutes = next((b for b in BIN_CHOICES if span_minutes / b <= MAX_BINS), BIN_CHOICES[-1])
    start = _floor_local(first.astimezone(zone), bin_minutes)
    bin_seconds = bin_minutes * 60
    bins = max(1, int((last - start).total_seconds() // bin_seconds) + 1)
    end = start + timedelta(seconds=bins * bin_seconds)
    total = (end - start).total_seconds()
    plot_width = WIDTH - LEFT - RIGHT

    def x(moment: datetime) -> float:
        offset = (moment - start).total_seconds()
        return LEFT + plot_width * min(max(offset, 0.0), total) / total

    counts = [0] * bins
    for moment in asked:
        counts[min(bins - 1, int((moment - start).total_seconds() // bin_seconds))] += 1
    top = max(counts) if counts else 0
    step = _nice_step(max(top, 1))
    y_max = max(step, -(-max(top, 1) // step) * step)

    def y(value: float) -> float:
        return PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * value / y_max

    per_bin = _.ngettext(
        "questions asked per minute", "questions asked per {count} minutes", bin_minutes
    )
    described = _(
        "{title}: {per_bin}, program segments and answered questions",
        title=title,
        per_bin=per_bin,
    )
    parts: list[str] = [
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(described)}" preserveAspectRatio="xMidYMid meet" '
        f'font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]

    # program segments as bands with labels
    for i, seg in enumerate(run.segments, start=1):
        x0, x1 = x(seg.start), x(seg.end)
        width = max(x1 - x0, 0.5)
        fill = KIND_FILL.get(seg.kind, "#eeeeee")
        local = f"{seg.start.astimezone(zone):%H:%M}-{seg.end.astimezone(zone):%H:%M}"
        parts.append(
            f'<g class="segment"><title>{i}. {escape(seg.title)} ({local})</title>'
            f'<rect x="{_f(x0)}" y="{BAND_TOP}" width="{_f(width)}" '
            f'height="{PLOT_BOTTOM - BAND_TOP}" fill="{fill}" stroke="#ffffff" '
            f'stroke-width="1"/>'
        )
        chars = int((width - 4) // 6.2)
        label = f"{i} {seg.title}"
        if chars >= len(label):
            shown = label
        elif chars >= 6:
            shown = label[: chars - 1] + "…"
        else:
            shown = str(i) if width >= 9 else ""
        if shown:
            parts.append(
                f'<text x="{_f(x0 + 2)}" y="{BAND_TOP + 13}" fill="{TEXT}" '
                f'font-size="10">{escape(shown)}</text>'
            )
        parts.append("</g>")

    # y axis grid and labels
    for value in range(0, y_max + 1, step):
        yy = _f(y(value))
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yy}" y2="{yy}" stroke="#c8c8c8" '
            f'stroke-width="0.5"/>'
            f'<text x="{LEFT - 6}" y="{_f(y(value) + 4)}" text-anchor="end" '
            f'fill="{TEXT}">{value}</text>'
        )

    # bars: questions asked per bin
    bar_width = plot_width / bins
    for index, count in enumerate(counts):
        if not count:
            continue
        bin_start = start + timedelta(seconds=index * bin_seconds)
        x0 = LEFT + index * bar_width
        bar = _(
            "{count} asked from {time}",
            count=count,
            time=format(bin_start.astimezone(zone), "%H:%M"),
        )
        parts.append(
            f'<rect class="bar" x="{_f(x0 + bar_width * 0.1)}" y="{_f(y(count))}" '
            f'width="{_f(max(bar_width * 0.8, 0.5))}" height="{_f(PLOT_BOTTOM - y(count))}" '
            f'fill="{BAR}"><title>{escape(bar)}</title></rect>'
        )

    # x axis with time ticks (local wall clock)
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{PLOT_BOTTOM}" y2="{PLOT_BOTTOM}" '
        f'stroke="{TEXT}" stroke-width="1"/>'
    )
    tick_minutes = next(
        (b for b in BIN_CHOICES if total / 60 / b <= 12 and b >= bin_minutes), BIN_CHOICES[-1]
    )
    tick = _floor_local(start.astimezone(zone), tick_minutes)
    if tick < start:
        tick += timedelta(minutes=tick_minutes)
    while tick <= end:
        xx = _f(x(tick))
        parts.append(
            f'<line x1="{xx}" x2="{xx}" y1="{PLOT_BOTTOM}" y2="{PLOT_BOTTOM + 4}" '
            f'stroke="{TEXT}"/><text x="{xx}" y="{PLOT_BOTTOM + 16}" text-anchor="middle" '
            f'fill="{TEXT}">{tick.astimezone(zone):%H:%M}</text>'
        )
        tick += timedelta(minutes=tick_minutes)

    # answered questions: a mark each, or per bin when there are very many
    short = _("ans.")
    parts.append(
        f'<text x="{LEFT - 6}" y="{ANSWER_Y + 4}" text-anchor="end" fill="{ANSWERED}" '
        f'font-size="10">{escape(short)}</text>'
    )
    parts.extend(_answered_marks(answered, x, start, bin_seconds, bins, zone, _))

    # legend: each item after the one before, at least where the English one is
    answered_item = _("a question answered")
    segments_item = _(
        "program segments (numbered as in the program table; times {zone})", zone=zone.key
    )
    second = max(LEFT + 235, round(LEFT + 14 + text_width(per_bin, 11) + 16))
    third = max(LEFT + 400, round(second + 10 + text_width(answered_item, 11) + 16))
    parts.append(
        f'<g class="legend" font-size="11" fill="{TEXT}">'
        f'<rect x="{LEFT}" y="{LEGEND_Y - 9}" width="10" height="10" fill="{BAR}"/>'
        f'<text x="{LEFT + 14}" y="{LEGEND_Y}">{escape(per_bin)}</text>'
        f'<path d="{_triangle(second, LEGEND_Y - 4)}" fill="{ANSWERED}"/>'
        f'<text x="{second + 10}" y="{LEGEND_Y}">{escape(answered_item)}</text>'
        f'<rect x="{third}" y="{LEGEND_Y - 9}" width="10" height="10" '
        f'fill="{KIND_FILL["talk"]}" stroke="#999999" stroke-width="0.5"/>'
        f'<text x="{third + 14}" y="{LEGEND_Y}">{escape(segments_item)}</text></g>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def text_width(text: str, size: float) -> float:
    """About how wide a text is drawn at `size` px: wide (CJK) characters a full `size`, the
    others a little over half."""
    return sum(size if east_asian_width(c) in "WF" else size * 0.58 for c in text)


def _triangle(cx: float, cy: float, size: float = 5) -> str:
    top, bottom = _f(cy - size), _f(cy + size)
    return f"M{_f(cx - size)} {top}L{_f(cx + size)} {top}L{_f(cx)} {bottom}Z"


def _answered_marks(
    answered: list[tuple[datetime, int]],
    x: Callable[[datetime], float],
    start: datetime,
    bin_seconds: int,
    bins: int,
    zone: ZoneInfo,
    _: Localizer,
) -> Iterable[str]:
    if len(answered) <= MAX_MARKS:
        for moment, number in sorted(answered):
            local = moment.astimezone(zone)
            mark = _("#{number} answered {time}", number=number, time=format(local, "%H:%M:%S"))
            yield (
                f'<path class="answered" d="{_triangle(x(moment), ANSWER_Y)}" '
                f'fill="{ANSWERED}" fill-opacity="0.8"><title>{escape(mark)}</title></path>'
            )
        return
    per_bin = [0] * bins
    for moment, _number in answered:
        per_bin[min(bins - 1, max(0, int((moment - start).total_seconds() // bin_seconds)))] += 1
    for index, count in enumerate(per_bin):
        if count:
            moment = start + timedelta(seconds=(index + 0.5) * bin_seconds)
            mark = _("{count} answered", count=count)
            yield (
                f'<path class="answered" d="{_triangle(x(moment), ANSWER_Y)}" '
                f'fill="{ANSWERED}"><title>{escape(mark)}</title></path>'
            )
