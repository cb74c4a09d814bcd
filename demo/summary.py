"""The end of the demo: the reports it writes, and the summary it prints.

Every claim of the summary is computed from what happened: the story (was every action played
in program order?) from the player's ledger, the numbers from the log's report, the votes from
both (the transcript counts clicks; the log also holds the votes merges carried over). The
summary is wrapped to the terminal's width, never cut; wall-clock figures are on lines of their
own, marked ⏱. At the end it prints the command that writes the report again.
"""

from __future__ import annotations

import shlex
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from demo.actions import plural
from demo.story import SLOW, Story
from demo.transcript import TIMING

REPORT_STEM = "gsef2021-report"
INDENT = "    "


@dataclass
class Outcome:
    """What a finished demo wrote and counted (returned for tests; printed for people)."""

    database: Path
    html: Path
    json: Path
    stats: Any  # the run's figures, as the report computes them from the log
    speed: float
    participants: int
    seconds: float
    posts_sent: int
    posts_late: int
    posts_other: int  # skipped or failed
    story: Story
    errors: list[str] = field(default_factory=list)


async def write_reports(
    database: Path,
    out: Path,
    *,
    speed: float,
    participants: int,
    story: Story,
    seconds: float,
    errors: list[str],
) -> Outcome:
    """Write the HTML report and the JSON export of the demo's run; return what was written."""
    from bot.reports import build_report, renderer

    html = out / f"{REPORT_STEM}.html"
    data = out / f"{REPORT_STEM}.json"
    report = await build_report(database, run_kind="rehearsal")  # read once, written twice
    html.write_bytes(renderer("html")(report))
    data.write_bytes(renderer("json")(report))
    run = report.runs[-1]
    sent = [p for p in run.posts if p.status == "posted"]
    return Outcome(
        database=database,
        html=html,
        json=data,
        stats=run.stats,
        speed=speed,
        participants=participants,
        seconds=seconds,
        posts_sent=len(sent),
        posts_late=sum(1 for p in sent if p.late),
        posts_other=len(run.posts) - len(sent),
        story=story,
        errors=errors,
    )


def report_command(o: Outcome) -> list[str]:
    """The command that writes the demo's report again."""
    return [
        "python", "run_bot.py", "report", "--database", str(o.database), "--run", "rehearsal",
        "--format", "html", "--out", str(o.html),
    ]  # fmt: skip


def paragraphs(o: Outcome, minutes: float) -> list[str]:
    """The summary as paragraphs of plain text, each a claim computed from what happened."""
    s, story = o.stats, o.story
    out = [f"Demo finished: the {minutes:.0f}-minute program played at ×{o.speed:g}."]
    out += _story(story)
    out.append(_posts(o))
    out.append(
        f"Questions {s.questions} · approved {s.approved}"
        + (f" ({s.merged} of them then merged)" if s.merged else "")
        + f" · answered {s.answered} · rejected {s.rejected} · merged {s.merged} · "
        f"withdrawn {s.withdrawn} · still unanswered {s.unanswered}."
    )
    out.append(_votes(s.votes_cast, s.voters, story))
    if story.not_cast:
        reasons = "; ".join(f"{reason} ({n})" for reason, n in sorted(story.not_cast.items()))
        out.append(f"{plural(sum(story.not_cast.values()), 'vote')} not cast: {reasons}.")
    out.append(f"{s.participants_who_asked} of {o.participants} participants asked.")
    if story.refused:
        n = len(story.refused)
        listed = "; ".join(story.refused[:3]) + (f"; and {n - 3} more" if n > 3 else "")
        out.append(f"{plural(n, 'action')} refused by the bot (⚠ above): {listed}")
    else:
        out.append("No action was refused by the bot.")
    if o.errors:
        out.append(f"{plural(len(o.errors), 'error')} inside the bot: " + "; ".join(o.errors[:3]))
    return out


def timing(o: Outcome) -> list[str]:
    """The wall-clock figures, one short line each (they differ from run to run)."""
    story = o.story
    lines = [f"{TIMING} {o.seconds:.1f} s of wall clock in all."]
    lines.append(
        f"{TIMING} People started at most {story.behind.total_seconds():.2f} s after their time."
    )
    slow = story.slow
    slowest = max(story.answers, default=0.0)
    if slow:
        lines.append(f"{TIMING} {plural(len(slow), 'answer')} took over {SLOW:g} s.")
        lines.append(f"{TIMING} The slowest took {slowest:.2f} s; slow is not refused.")
    else:
        lines.append(f"{TIMING} The bot answered every action within {slowest:.2f} s.")
    return lines


def _story(story: Story) -> list[str]:
    n = story.planned
    if story.kept:
        return [
            f"The story held: all {n} actions were played in program order, each done before "
            "the next program post was due."
        ]
    out = []
    if story.out_of_order:
        late = len(story.out_of_order)
        out.append(
            f"The story did not hold: {late} of {n} actions were done only after the next "
            f"program post was due (the first: {story.out_of_order[0]}), so the program moved "
            "on without them; this machine could not keep up: try a lower --speed."
        )
    if story.skipped:
        out.append(
            f"{plural(len(story.skipped), 'action')} skipped: their question was never taken."
        )
    if story.played < n:
        out.append(f"Only {story.played} of {n} actions were played.")
    if story.missing_posts:
        missing = ", ".join(story.missing_posts)
        out.append(f"{plural(len(story.missing_posts), 'program post')} never sent: {missing}.")
    return out


def _posts(o: Outcome) -> str:
    text = f"{plural(o.posts_sent, 'program post')} sent"
    text += f", {o.posts_late} of them late" if o.posts_late else ", all on time"
    if o.posts_other:
        text += f"; {o.posts_other} skipped or failed"
    return text + "."


def _votes(cast: int, voters: int, story: Story) -> str:
    head = f"Votes {cast} by {voters} people"
    if story.carried == 0 and story.clicks == cast:
        return f"{head}, every one a click shown above."
    text = f"{head}: {story.clicks} clicks shown above"
    if story.carried:
        text += (
            f", plus {story.carried} carried over by {plural(story.merges_carrying, 'merge')} "
            "(a merged duplicate's asker counts as a vote for the question kept)"
        )
    if story.votes != cast:
        more = cast - story.votes
        text += f"; the log holds {abs(more)} {'more' if more > 0 else 'fewer'} than it counted"
    return text + "."


def print_summary(console: Console, o: Outcome, minutes: float) -> None:
    """Print the summary wrapped to the console's width: no line is cut or runs over."""
    width = max(40, console.width - 1)
    lines = [""]
    for paragraph in paragraphs(o, minutes):
        lines += _wrap(paragraph, width)
    lines += timing(o)
    lines.append("Written:")
    for label, path in (
        ("SQLite log:", o.database),
        ("HTML report:", o.html),
        ("JSON export:", o.json),
    ):
        line = f"  {label:<13} {path}"
        lines += [line] if len(line) <= width else [f"  {label}", f"{INDENT}{path}"]
    lines.append("The report again (--format html, md, csv or json):")
    lines += command_lines(report_command(o), width)
    for line in lines:
        console.print(Text(line), no_wrap=True, overflow="ignore", crop=False, soft_wrap=True)


def command_lines(words: list[str], width: int) -> list[str]:
    """A command folded into lines that fit `width`, continued with a backslash (copyable)."""
    lines: list[str] = []
    current = ""
    for word in (shlex.quote(w) for w in words):
        if current and len(current) + 1 + len(word) + 2 > width:
            lines.append(current + " \\")
            current = INDENT + word
        else:
            current = f"{current} {word}" if current else f"  {word}"
    lines.append(current)
    return lines


def _wrap(text: str, width: int) -> Iterable[str]:
    return textwrap.wrap(
        text,
        width=width,
        subsequent_indent=INDENT,
        break_long_words=False,
        break_on_hyphens=False,
    )
