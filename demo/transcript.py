"""What the demo prints while it plays: one line per event, and a progress bar in a terminal.

Every line is stamped with the program time it belongs to (the session's local time), which is
the same in every run with the same arguments. Lines that measure the wall clock start with ⏱;
apart from those, two runs with the same arguments print the same transcript.

In a terminal each event is one line, cut to the terminal's width, under a progress bar of the
program; otherwise (a pipe, a file, a test) lines are printed whole.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from bot.sessions import Session
from demo.script import Script

TIMING = "⏱"  # the mark of a line that measures the wall clock

_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_CHANNEL = re.compile(r"<#(\d+)>")


class Transcript:
    """One line per event; a progress bar for the program when stdout is a terminal."""

    def __init__(self, console: Console, session: Session) -> None:
        self.console = console
        self.session = session
        self.live = console.is_terminal
        self.progress: Progress | None = None
        self._task: Any = None
        self._handlers: list[logging.Handler] | None = None

    def header(self, speed: float, seed: int, script: Script) -> None:
        s = self.session
        total = program_minutes(s)
        real = total * 60 / speed
        languages = ", ".join(
            f"{k} {v}" for k, v in Counter(q.lang for q in script.questions).items()
        )
        self.print(f"[bold]{s.title}[/]", markup=True, wrap=True)
        when = ""
        if s.starts_at and s.ends_at:
            start, end = s.starts_at.astimezone(s.zone), s.ends_at.astimezone(s.zone)
            when = f" · {start:%d %B %Y, %H:%M}–{end:%H:%M %Z} ({s.zone.key})"
        self.print(f"{s.spec.event or s.id}{when}", wrap=True)
        self.print(
            f"Rehearsal ×{speed:g}: the {total:.0f}-minute program in about {span(real)} · "
            f"{len(script.people)} participants · {len(script.questions)} questions "
            f"({languages}) · seed {seed}",
            wrap=True,
        )
        self.print("")

    def print(self, text: str, *, markup: bool = False, wrap: bool = False) -> None:
        line = Text.from_markup(text) if markup else Text(text)
        if not self.live:
            self.console.print(Text(line.plain), soft_wrap=True)
        elif wrap:
            self.console.print(line)
        else:
            line.truncate(self.console.width, overflow="ellipsis")
            self.console.print(line, no_wrap=True, overflow="ellipsis", crop=True)

    def event(self, clock: str, icon: str, text: str) -> None:
        self.print(f"{clock}  {icon} {one_line(text)}")

    # -- progress bar

    def start(self) -> None:
        """Show the program's progress bar (terminals only) until stop()."""
        if not self.live:
            return
        self.progress = Progress(
            TextColumn("[bold cyan]{task.description}", justify="left"),
            BarColumn(bar_width=26),
            TextColumn("{task.fields[clock]}"),
            TextColumn("{task.completed:>3.0f}/{task.total:.0f} min"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
            refresh_per_second=8,
        )
        self._task = self.progress.add_task(
            "Starting", total=program_minutes(self.session) or 90.0, clock=""
        )
        self.progress.start()
        self._route_logging()

    def tick(self, minutes: float, segment: str, clock: str) -> None:
        """Move the bar to `minutes` into the program."""
        if self.progress is not None:
            self.progress.update(
                self._task, completed=minutes, description=cut(segment, 36), clock=clock
            )

    def finish_bar(self) -> None:
        if self.progress is not None and self._task is not None:
            end = self.session.ends_at
            clock = f"{end.astimezone(self.session.zone):%H:%M %Z}" if end else ""
            total = self.progress.tasks[0].total or 0.0
            self.tick(total, "Program over", clock)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
        if self._handlers is not None:
            root = logging.getLogger()
            for handler in list(root.handlers):
                root.removeHandler(handler)
            for handler in self._handlers:
                root.addHandler(handler)
            self._handlers = None

    def _route_logging(self) -> None:
        """Log through the console while the bar is shown, so lines do not tear it."""
        from rich.logging import RichHandler

        root = logging.getLogger()
        self._handlers = list(root.handlers)
        level = min((h.level for h in self._handlers), default=logging.WARNING)
        for handler in self._handlers:
            root.removeHandler(handler)
        rich = RichHandler(console=self.console, show_path=False, show_time=False)
        rich.setLevel(level)
        root.addHandler(rich)


# ------------------------------------------------------------------------------ post text


def plain_lines(
    content: str,
    stamp: Callable[[datetime, str | None], str],
    channel_name: Callable[[int], str],
) -> list[str]:
    """A Discord message as plain lines: markup removed, `<t:…>` timestamps written by `stamp`
    (given the instant and the style), channel mentions as #name."""
    from datetime import UTC

    out = []
    for raw in content.splitlines():

        def when(match: re.Match[str]) -> str:
            return stamp(datetime.fromtimestamp(int(match.group(1)), UTC), match.group(2))

        line = _TIMESTAMP.sub(when, raw)
        line = re.sub(r"at (\d\d:\d\d) \(\1\)", r"at \1", line)  # "starts at 19:10 (19:10)"
        line = re.sub(r"(\d\d:\d\d) \(at \1\)", r"\1", line)  # "closes at 19:30 (at 19:30)"
        line = _CHANNEL.sub(lambda m: "#" + channel_name(int(m.group(1))), line)
        line = one_line(line.replace("**", "").replace("`", "").replace("*", ""))
        if line:
            out.append(line)
    return out


# ------------------------------------------------------------------------------ small helpers


def program_minutes(session: Session) -> float:
    if session.starts_at and session.ends_at:
        return (session.ends_at - session.starts_at).total_seconds() / 60
    return 0.0


def one_line(text: str) -> str:
    return " ".join(text.split())


def cut(text: str, limit: int) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def span(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 1 else f"{seconds:.2f} s"
    return f"{seconds / 60:.0f} min"
