"""What really happened while the demo played: the ledger its final claims are computed from.

The player records every step here as it plays it, from what it read back from the bot's log:
whether the step took effect, how long the bot took to show it in the log, how far behind its
time it started, and whether it was done before the next program post was due (the story holds
only if every step was). Votes are counted as the log counts them: clicks that added a vote, and
votes that merges carried over.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from demo.script import Step

#: An answer the log shows later than this (from the action) is reported as slow.
SLOW = 1.0


@dataclass
class Story:
    """The ledger of one demo run."""

    planned: int = 0  # steps in the script
    played: int = 0  # steps the player tried
    done: Counter[str] = field(default_factory=Counter)  # steps that took effect, by kind
    refused: list[str] = field(default_factory=list)  # "approve #3: <the bot's answer>"
    skipped: list[str] = field(default_factory=list)  # steps whose question was never taken
    not_cast: Counter[str] = field(default_factory=Counter)  # votes not cast, by reason
    answers: list[float] = field(default_factory=list)  # seconds until the log showed it
    behind: timedelta = timedelta(0)  # the most a step started after its time (real)
    out_of_order: list[str] = field(default_factory=list)  # done after the next post was due
    clicks: int = 0  # votes added by a click
    carried: int = 0  # votes added to kept questions by merges (net)
    merges_carrying: int = 0  # merges that carried at least one vote over
    missing_posts: list[str] = field(default_factory=list)  # posts never recorded

    # -- recording

    def started(self, late: timedelta) -> None:
        self.played += 1
        self.behind = max(self.behind, late)

    def took_effect(self, step: Step, seconds: float, *, in_order: bool, what: str) -> None:
        self.done[step.kind] += 1
        self.answers.append(seconds)
        if not in_order:
            self.out_of_order.append(what)

    def was_refused(self, what: str, answer: str, seconds: float) -> None:
        self.refused.append(f"{what}: {answer}" if answer else what)
        self.answers.append(seconds)

    def vote_not_cast(self, reason: str) -> None:
        self.not_cast[reason] += 1

    def merge_carried(self, votes: int) -> None:
        self.carried += votes
        if votes:
            self.merges_carrying += 1

    # -- what can be claimed

    @property
    def slow(self) -> list[float]:
        return [s for s in self.answers if s > SLOW]

    @property
    def kept(self) -> bool:
        """True when every step was played, in order, before the post after it was due."""
        return (
            not self.out_of_order
            and not self.missing_posts
            and self.played == self.planned
            and not self.skipped
        )

    @property
    def votes(self) -> int:
        return self.clicks + self.carried
