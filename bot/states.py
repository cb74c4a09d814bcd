"""The question vocabulary: its states, the named sets of states, the transitions, the wording.

Every part of the bot (the core, the cogs, the reports) speaks of states through this module, so
a state is spelled in one place and read the same way everywhere.

States and their transitions::

    pending  -> approved | rejected | withdrawn
    approved -> live | dismissed | merged | withdrawn | answered   (answered: in writing)
    live     -> answered | approved       (approved: sent back by /qa requeue only)

Sessions with post-moderation start questions at approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    """Where a question is in its life. The values are what the log stores."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    LIVE = "live"
    ANSWERED = "answered"
    DISMISSED = "dismissed"
    MERGED = "merged"


#: Every state, in the order counts are shown.
ALL: tuple[State, ...] = tuple(State)

TRANSITIONS: dict[State, frozenset[State]] = {
    State.PENDING: frozenset({State.APPROVED, State.REJECTED, State.WITHDRAWN}),
    State.APPROVED: frozenset(
        {State.LIVE, State.DISMISSED, State.MERGED, State.WITHDRAWN, State.ANSWERED}
    ),
    State.LIVE: frozenset({State.ANSWERED, State.APPROVED}),
}

#: Questions still in play: waiting for review, in the queue, or on screen.
OPEN = frozenset({State.PENDING, State.APPROVED, State.LIVE})
#: Questions people can vote for (their public message carries the vote button).
VOTABLE = frozenset({State.APPROVED, State.LIVE})
#: Approved and not yet answered: what is still owed to the audience.
UNANSWERED = VOTABLE
#: Questions that count against an asker's waiting limit, and that the asker may withdraw.
WAITING = frozenset({State.PENDING, State.APPROVED})
#: Questions that passed review at some point (approved, then maybe answered, set aside, merged).
PASSED_REVIEW = frozenset(
    {State.APPROVED, State.LIVE, State.ANSWERED, State.DISMISSED, State.MERGED}
)
#: States a question never leaves.
SETTLED = frozenset(State) - frozenset(TRANSITIONS)


def can_move(from_state: str, to_state: str) -> bool:
    """Say whether the state machine allows this change."""
    return any(from_state == s and to_state in targets for s, targets in TRANSITIONS.items())


def sources_of(to_state: State) -> frozenset[State]:
    """The states from which a question may move to `to_state`."""
    return frozenset(s for s, targets in TRANSITIONS.items() if to_state in targets)


@dataclass(frozen=True, slots=True)
class Wording:
    """How people read one state, wherever the bot shows it."""

    past: str  # in a sentence: "#4 was already {past} by mona"
    card: str  # a moderation card's State field and a vote message's footer
    outcome: str  # what a moderator did: "{outcome} by mona"
    mine: str  # a participant's own list (/myquestions)
    report: str  # the organizers' report


WORDING: dict[State, Wording] = {
    State.PENDING: Wording(
        "waiting for review", "Waiting for review", "Waiting for review", "waiting for review",
        "awaiting review",
    ),
    State.APPROVED: Wording(
        "approved", "Approved: in the queue", "Approved", "in the queue",
        "approved, not answered",
    ),
    State.REJECTED: Wording("rejected", "Rejected", "Rejected", "not accepted", "rejected"),
    State.WITHDRAWN: Wording(
        "withdrawn", "Withdrawn by the asker", "Withdrawn", "withdrawn", "withdrawn"
    ),
    State.LIVE: Wording(
        "picked to be answered", "Live: being answered", "Picked to be answered",
        "being answered now", "on stage, not marked answered",
    ),
    State.ANSWERED: Wording("answered", "Answered", "Answered", "answered", "answered"),
    State.DISMISSED: Wording("dismissed", "Set aside", "Set aside", "set aside", "dismissed"),
    State.MERGED: Wording(
        "merged", "Merged", "Merged", "merged with a similar question", "merged"
    ),
}  # fmt: skip


def wording(state: str) -> Wording:
    """The wording of a stored state."""
    return WORDING[State(state)]
