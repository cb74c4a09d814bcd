"""One action of a simulated person, and what the bot's log shows it did.

A person acts through SimCord (a slash command, a button click); the outcome is then read from
the bot's core, never from the wording of its answer. The answer is kept only to show why an
action was refused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

#: SimCord settles after every action and waits for any timer due within this many seconds,
#: the scheduler's included; kept short, so an action never waits for the next program post.
SETTLE_TIMEOUT = 0.03
POLL = 0.01  # seconds between looks at the log while waiting
#: When SimCord could not settle an action (the bot was still busy), its effect is looked for
#: in the log for this many seconds before the action is called refused.
ANSWER_LIMIT = 5.0
VOTE_ID = "qa:vote:{}"  # the custom id of a question's vote button (kept across restarts)


@dataclass
class Acted:
    """What one action did, as the log shows it."""

    found: Any  # what the log shows of the effect; None: no effect
    answer: str  # the bot's answer to the person (shown for refusals)
    seconds: float  # from the action to its effect in the log (or to giving up)


async def act(
    action: Callable[[], Awaitable[Any]],
    effect: Callable[[], Awaitable[T | None]],
    *,
    limit: float = ANSWER_LIMIT,
) -> Acted:
    """Do `action`, then read its `effect` in the log (None: no effect).

    When SimCord settled the action, the bot has finished with it: what the log shows is its
    outcome. When it could not (the bot was still busy, e.g. pacing its messages), the action
    may still take effect: the log is read again until it does or `limit` seconds have passed.
    Only an action whose effect never shows is refused; one that shows late is slow.
    """
    started = time.monotonic()
    settled, answer = True, ""
    try:
        answer = answer_text(await action())
    except TimeoutError:
        settled = False
    found = await effect()
    while found is None and not settled and time.monotonic() - started < limit:
        await asyncio.sleep(POLL)
        found = await effect()
    if found is None and not settled:
        answer = answer or f"no answer within {limit:g} s"
    return Acted(found, answer, time.monotonic() - started)


def answer_text(result: Any) -> str:
    """The text of the bot's answer to an action, for showing a refusal."""
    response = getattr(result, "response", None)
    text = (getattr(response, "content", "") or "").strip()
    if response is not None and not text and response.embeds:
        text = response.embeds[0].title or ""
    return str(text)


def components(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every component of a stored message, nested ones included."""
    out: list[dict[str, Any]] = []
    for row in rows:
        out.append(row)
        out += components(row.get("components", []))
    return out
