"""The report's synthesis: a run's questions grouped into themes, as a draft of the write-up an
organizer makes after a session ("the areas of engagement, what people asked under each, what
remained open").

The questions that were taken up (answered, or approved and never answered) are grouped by
`bot.similarity.themes`; merged duplicates count through the question they were merged into.
Per theme: its size, answered and unanswered counts, the votes it drew, the session label it
fits, its key words, the questions closest to its centre, and the unanswered ones, most voted
first: the follow-ups owed. Only question numbers and texts are used, never who asked.

A very large run is grouped on its `SYNTHESIS_QUESTIONS` most voted questions (the report says
so), which keeps a 100,000-question report within its time and memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from bot.i18n import ENGLISH, Localizer
from bot.reports.model import Question, RunReport
from bot.similarity import Theme, themes
from bot.states import UNANSWERED, State

if TYPE_CHECKING:
    from bot.reports.view import QuestionRow

TAKEN_UP = frozenset({State.ANSWERED, *UNANSWERED})
SYNTHESIS_QUESTIONS = 1000
REPRESENTATIVES = 3
OWED_ROWS = 5  # unanswered questions listed per theme in the readable reports
SEED = 0
OTHER_QUESTIONS = "Other questions"  # a theme with neither a label nor key words


@dataclass(frozen=True, slots=True)
class SynthesisTheme:
    """One theme of the synthesis."""

    index: int
    title: str  # the label's name, else its key words
    label_id: str | None
    label_name: str | None
    label_source: str | None  # "moderators" (their labels) or "words" (the label's text)
    terms: tuple[str, ...]
    questions: tuple[Question, ...]  # most voted first
    representatives: tuple[Question, ...]
    owed: tuple[Question, ...]  # unanswered, most voted first

    @property
    def size(self) -> int:
        return len(self.questions)

    @property
    def answered(self) -> int:
        return sum(1 for q in self.questions if q.state == State.ANSWERED)

    @property
    def unanswered(self) -> int:
        return len(self.owed)

    @property
    def votes(self) -> int:
        return sum(q.votes for q in self.questions)

    @property
    def also_asked(self) -> int:
        return sum(q.also_asked_by for q in self.questions)

    @property
    def top(self) -> Question:
        return self.questions[0]


@dataclass(frozen=True, slots=True)
class Synthesis:
    """The themes of one run."""

    themes: tuple[SynthesisTheme, ...]
    considered: int  # questions taken up in the run
    grouped: int  # of which grouped (the most voted, for a very large run)
    ungrouped: int  # of the grouped, those with no words to group by (only emoji, say)

    @property
    def sampled(self) -> bool:
        return self.grouped < self.considered


def synthesis(run: RunReport, *, limit: int | None = None) -> Synthesis:
    """Group the run's taken-up questions into themes (of a large run, the `limit` most voted;
    default SYNTHESIS_QUESTIONS)."""
    limit = SYNTHESIS_QUESTIONS if limit is None else limit
    taken = [q for q in run.questions if q.state in TAKEN_UP]
    chosen = taken
    if len(taken) > limit:
        # most votes first; a stable sort keeps equal votes in number order
        chosen = sorted(taken, key=attrgetter("votes"), reverse=True)[:limit]
    labels = run.session.spec.labels
    names = {lab.id: lab.name for lab in labels}
    found: list[Theme[Question]] = themes(chosen, labels, seed=SEED)
    out = []
    for i, theme in enumerate(found, start=1):
        questions = theme.questions
        label_name = names.get(theme.label_id) if theme.label_id else None
        title = label_name or (" · ".join(theme.terms[:3]) if theme.terms else OTHER_QUESTIONS)
        out.append(
            SynthesisTheme(
                index=i,
                title=title,
                label_id=theme.label_id,
                label_name=label_name,
                label_source=theme.label_source,
                terms=theme.terms,
                questions=questions,
                representatives=theme.representatives[:REPRESENTATIVES],
                owed=tuple(q for q in questions if q.state != State.ANSWERED),
            )
        )
    grouped_total = sum(t.size for t in out)
    return Synthesis(
        themes=tuple(out),
        considered=len(taken),
        grouped=len(chosen),
        ungrouped=len(chosen) - grouped_total,
    )


# ----------------------------------------------------------------- for the readable reports


@dataclass(frozen=True, slots=True)
class ThemeView:
    """A theme as the HTML and Markdown reports show it."""

    index: int
    title: str
    label: str | None
    terms: tuple[str, ...]
    size: int
    answered: int
    unanswered: int
    votes: int
    also_asked: int
    representatives: tuple[QuestionRow, ...]
    owed: tuple[QuestionRow, ...]

    @property
    def owed_hidden(self) -> int:
        return self.unanswered - len(self.owed)


@dataclass(frozen=True, slots=True)
class SynthesisView:
    """The synthesis section of one run."""

    themes: tuple[ThemeView, ...]
    considered: int
    grouped: int
    ungrouped: int

    @property
    def sampled(self) -> bool:
        return self.grouped < self.considered


def synthesis_view(
    found: Synthesis, row: Callable[[Question], QuestionRow], _: Localizer = ENGLISH
) -> SynthesisView:
    """Turn a synthesis into what the readable reports show (questions as table rows), in the
    language of `_`."""
    return SynthesisView(
        themes=tuple(
            ThemeView(
                index=t.index,
                title=t.title if t.label_name or t.terms else _(OTHER_QUESTIONS),
                label=t.label_name,
                terms=t.terms,
                size=t.size,
                answered=t.answered,
                unanswered=t.unanswered,
                votes=t.votes,
                also_asked=t.also_asked,
                representatives=tuple(row(q) for q in t.representatives),
                owed=tuple(row(q) for q in t.owed[:OWED_ROWS]),
            )
            for t in found.themes
        ),
        considered=found.considered,
        grouped=found.grouped,
        ungrouped=found.ungrouped,
    )


def synthesis_dict(found: Synthesis) -> dict[str, Any]:
    """The synthesis as JSON-ready data: question numbers only, never who asked."""
    return {
        "considered": found.considered,
        "grouped": found.grouped,
        "ungrouped": found.ungrouped,
        "themes": [
            {
                "title": t.title,
                "label": t.label_id,
                "label_source": t.label_source,
                "terms": list(t.terms),
                "size": t.size,
                "answered": t.answered,
                "unanswered": t.unanswered,
                "votes": t.votes,
                "top_voted": t.top.number,
                "representatives": [q.number for q in t.representatives],
                "owed": [q.number for q in t.owed],
                "questions": [q.number for q in t.questions],
            }
            for t in found.themes
        ],
    }
