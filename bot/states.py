"""The question vocabulary: its states, the named sets of states, the transitions, the wording.

Every part of the bot (the core, the cogs, the reports) speaks of states through this module, so
a state is spelled in one place and read the same way everywhere.

States and their transitions::

    pending  -> approved | rejected | withdrawn
    approved -> live | dismissed | merged | withdrawn | answered   (answered: in writing)
    live     -> answered | approved       (approved: put back in the queue, by the core only)

Sessions with post-moderation start questions at approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import Message, pmsg


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
    """How people read one state, wherever the bot shows it: messages, each rendered in the
    reader's language (`str()` of one is its English)."""

    past: Message  # in a sentence: "#4 was already {past} by mona"
    card: Message  # a moderation card's State field and a vote message's footer
    outcome: Message  # what a moderator did: "{outcome} by mona"
    mine: Message  # a participant's own list (/myquestions)
    report: Message  # the organizers' report


# The contexts tell translators where each wording goes: state-past in a sentence ("#4 was
# already approved by mona"), state-card on a card, state-outcome before "by mona",
# state-mine in the asker's own list, state-report in the organizers' report.
WORDING: dict[State, Wording] = {
    State.PENDING: Wording(
        past=pmsg("state-past", "waiting for review"),
        card=pmsg("state-card", "Waiting for review"),
        outcome=pmsg("state-outcome", "Waiting for review"),
        mine=pmsg("state-mine", "waiting for review"),
        report=pmsg("state-report", "awaiting review"),
    ),
    State.APPROVED: Wording(
        past=pmsg("state-past", "approved"),
        card=pmsg("state-card", "Approved: in the queue"),
        outcome=pmsg("state-outcome", "Approved"),
        mine=pmsg("state-mine", "in the queue"),
        report=pmsg("state-report", "approved, not answered"),
    ),
    State.REJECTED: Wording(
        past=pmsg("state-past", "rejected"),
        card=pmsg("state-card", "Rejected"),
        outcome=pmsg("state-outcome", "Rejected"),
        mine=pmsg("state-mine", "not accepted"),
        report=pmsg("state-report", "rejected"),
    ),
    State.WITHDRAWN: Wording(
        past=pmsg("state-past", "withdrawn"),
        card=pmsg("state-card", "Withdrawn by the asker"),
        outcome=pmsg("state-outcome", "Withdrawn"),
        mine=pmsg("state-mine", "withdrawn"),
        report=pmsg("state-report", "withdrawn"),
    ),
    State.LIVE: Wording(
        past=pmsg("state-past", "picked to be answered"),
        card=pmsg("state-card", "Live: being answered"),
        outcome=pmsg("state-outcome", "Picked to be answered"),
        mine=pmsg("state-mine", "being answered now"),
        report=pmsg("state-report", "on stage, not marked answered"),
    ),
    State.ANSWERED: Wording(
        past=pmsg("state-past", "answered"),
        card=pmsg("state-card", "Answered"),
        outcome=pmsg("state-outcome", "Answered"),
        mine=pmsg("state-mine", "answered"),
        report=pmsg("state-report", "answered"),
    ),
    State.DISMISSED: Wording(
        past=pmsg("state-past", "dismissed"),
        card=pmsg("state-card", "Set aside"),
        outcome=pmsg("state-outcome", "Set aside"),
        mine=pmsg("state-mine", "set aside"),
        report=pmsg("state-report", "dismissed"),
    ),
    State.MERGED: Wording(
        past=pmsg("state-past", "merged"),
        card=pmsg("state-card", "Merged"),
        outcome=pmsg("state-outcome", "Merged"),
        mine=pmsg("state-mine", "merged with a similar question"),
        report=pmsg("state-report", "merged"),
    ),
}


def wording(state: str) -> Wording:
    """The wording of a stored state."""
    return WORDING[State(state)]
