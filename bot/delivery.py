"""Posting reliability, as plain rules: what still needs a message, how fast to post, what to say.

Discord messages are views of the log. A question is stored (and its asker told) first; its
moderation card and, while it is approved or live, its public vote message are posted after, by
a delivery pass that looks for what has no message id yet. A post that fails leaves the id NULL,
so the next pass (after a change, and on a periodic job) tries again.

Pacing: Discord lets a bot send about 5 messages per 5 seconds per channel. `Pacer` counts the
messages sent per channel in a sliding window; `plan_cards` spends what the window allows: one
card per question while that fits, otherwise a few cards and the rest in digest cards (numbers
and short text), so a burst of 200 questions costs a handful of messages, not 200. What does not
fit now waits for the window to reopen. Vote messages need their own button each, so they are
never put in a digest; they follow approvals, which come at a moderator's pace.

Failures: `Failures` remembers, per session and channel, which questions could not be posted and
why, so moderators are told once when posting fails and once when it works again. The notices
are worded with a `Localizer` (English by default): moderators read them in the session's
languages.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.i18n import ENGLISH, Localizer, Message, Text, msg
from bot.limits import cut

T = TypeVar("T")

RATE_LIMIT = 5  # messages per channel ...
RATE_WINDOW = 5.0  # ... per this many seconds (observed Discord limit; undocumented)
DIGEST_SIZE = 40  # questions per digest card (40 short lines fit an embed's 4,096 characters)
DIGEST_TEXT = 80  # characters of each question shown in a digest
RETRY_SECONDS = 15  # the periodic delivery pass
ERROR_TEXT = 300  # characters of Discord's error message repeated to moderators


class Pacer:
    """Count messages sent per channel in a sliding window; say how many more may go now."""

    def __init__(
        self,
        limit: int = RATE_LIMIT,
        window: float = RATE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._sent: dict[Hashable, deque[float]] = {}

    def _recent(self, channel: Hashable) -> deque[float]:
        sent = self._sent.setdefault(channel, deque())
        cutoff = self.clock() - self.window
        while sent and sent[0] <= cutoff:
            sent.popleft()
        return sent

    def budget(self, channel: Hashable) -> int:
        """How many messages may be sent to `channel` now."""
        return max(0, self.limit - len(self._recent(channel)))

    def spend(self, channel: Hashable) -> None:
        """Record one message sent (or attempted) to `channel` now."""
        self._recent(channel).append(self.clock())

    def wait(self, channel: Hashable) -> float:
        """Seconds until at least one more message may be sent to `channel`."""
        sent = self._recent(channel)
        if len(sent) < self.limit:
            return 0.0
        return max(0.0, sent[0] + self.window - self.clock())


@dataclass(frozen=True)
class CardPlan(Generic[T]):
    """What to post now: one card each for `singles`, one digest card per list in `digests`;
    `later` waits for the window to reopen."""

    singles: list[T]
    digests: list[list[T]]
    later: list[T]

    @property
    def messages(self) -> int:
        return len(self.singles) + len(self.digests)


def plan_cards(items: Sequence[T], budget: int, digest_size: int = DIGEST_SIZE) -> CardPlan[T]:
    """Spend at most `budget` messages on `items` (oldest first).

    Everything gets its own card when that fits. Otherwise as many singles as leave room for
    the digests of the rest; digests hold at least two questions and at most `digest_size`.
    With no budget, everything waits.
    """
    items = list(items)
    n = len(items)
    if budget <= 0 or n == 0:
        return CardPlan([], [], items)
    if n <= budget:
        return CardPlan(items, [], [])
    # the most singles s such that the rest fits in budget - s digests
    singles = 0
    for s in range(budget - 1, -1, -1):
        if math.ceil((n - s) / digest_size) <= budget - s:
            singles = s
            break
    rest = items[singles:]
    slots = budget - singles
    now = rest[: slots * digest_size]
    later = rest[slots * digest_size :]
    count = max(1, math.ceil(len(now) / digest_size))
    size, extra = divmod(len(now), count)  # even split: every digest holds >= 2 questions
    digests, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        digests.append(now[start:end])
        start = end
    return CardPlan(items[:singles], digests, later)


def short(text: str, limit: int = DIGEST_TEXT) -> str:
    """One line of a question for a digest: no line breaks, cut to `limit` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def error_message(status: int | None, text: str | None) -> Message:
    """A Discord failure as people read it, in their language when rendered: 'Discord error 403
    Missing Permissions' (Discord's own words stay in English); `str()` of it is the English,
    for the log."""
    words = (text or "").strip().splitlines()[0] if text and text.strip() else ""
    words = cut(words, ERROR_TEXT, escape=False)
    if status is None:
        return msg("Discord error ({text})", text=words) if words else msg("a Discord error")
    if not words:
        return msg("Discord error {status}", status=status)
    return msg("Discord error {status} {text}", status=status, text=words)


def describe_error(status: int | None, text: str | None, _: Localizer = ENGLISH) -> str:
    """`error_message` said in one language."""
    return _.render(error_message(status, text))


def failure_notice(kind: str, channel: str, count: int, error: Text, _: Localizer = ENGLISH) -> str:
    """Told to moderators once when posting in a channel starts failing."""
    named = {"channel": channel, "error": error, "seconds": RETRY_SECONDS}
    if kind == "moderation":
        return _.ngettext(
            "⚠️ Could not post in #{channel} ({error}). {count} moderation card waiting; the "
            "questions are stored and the bot retries every {seconds} s. Check the bot's "
            "permissions in that channel.",
            "⚠️ Could not post in #{channel} ({error}). {count} moderation cards waiting; the "
            "questions are stored and the bot retries every {seconds} s. Check the bot's "
            "permissions in that channel.",
            count,
            **named,
        )
    if kind == "questions":
        return _.ngettext(
            "⚠️ Could not post in #{channel} ({error}). {count} vote message waiting; the "
            "questions are stored and the bot retries every {seconds} s. Check the bot's "
            "permissions in that channel.",
            "⚠️ Could not post in #{channel} ({error}). {count} vote messages waiting; the "
            "questions are stored and the bot retries every {seconds} s. Check the bot's "
            "permissions in that channel.",
            count,
            **named,
        )
    if kind == "live":
        return _.ngettext(
            "⚠️ Could not post in #{channel} ({error}). {count} live announcement waiting; the "
            "questions are stored and the bot retries every {seconds} s. Check the bot's "
            "permissions in that channel.",
            "⚠️ Could not post in #{channel} ({error}). {count} live announcements waiting; "
            "the questions are stored and the bot retries every {seconds} s. Check the bot's "
            "permissions in that channel.",
            count,
            **named,
        )
    return _.ngettext(
        "⚠️ Could not post in #{channel} ({error}). {count} message waiting; the questions are "
        "stored and the bot retries every {seconds} s. Check the bot's permissions in that "
        "channel.",
        "⚠️ Could not post in #{channel} ({error}). {count} messages waiting; the questions "
        "are stored and the bot retries every {seconds} s. Check the bot's permissions in that "
        "channel.",
        count,
        **named,
    )


def recovery_notice(kind: str, count: int, error: Text, _: Localizer = ENGLISH) -> str:
    """Told to moderators once when posting works again after failures."""
    if kind == "moderation":
        return _.ngettext(
            "{count} question could not be posted earlier in the moderation channel ({error}); "
            "it is posted now.",
            "{count} questions could not be posted earlier in the moderation channel "
            "({error}); they are posted now.",
            count,
            error=error,
        )
    if kind == "questions":
        return _.ngettext(
            "{count} question could not be posted earlier in the questions channel ({error}); "
            "it is posted now.",
            "{count} questions could not be posted earlier in the questions channel ({error}); "
            "they are posted now.",
            count,
            error=error,
        )
    if kind == "live":
        return _.ngettext(
            "{count} question could not be posted earlier in the live channel ({error}); it is "
            "posted now.",
            "{count} questions could not be posted earlier in the live channel ({error}); they "
            "are posted now.",
            count,
            error=error,
        )
    return _.ngettext(
        "{count} question could not be posted earlier in the channel ({error}); it is posted now.",
        "{count} questions could not be posted earlier in the channel ({error}); they are "
        "posted now.",
        count,
        error=error,
    )


def missing_channel_notice(
    kind: str, ref: str | int, session_id: str, _: Localizer = ENGLISH
) -> str:
    """Told to moderators (and logged) when a session's channel is not in the server."""
    key = {"moderation": "moderation_channel", "questions": "questions_channel"}.get(
        kind, f"{kind}_channel"
    )
    named = {"session": session_id, "channel": ref, "key": key}
    if kind == "moderation":
        return _(
            "⚠️ The moderation channel of session {session} ({channel}) is not in this server, "
            "or the bot cannot see it: create the channel (and let the bot see it) or set "
            "`{key}` in the session file's [discord] table. Questions are kept and posted once "
            "it exists.",
            **named,
        )
    if kind == "questions":
        return _(
            "⚠️ The questions channel of session {session} ({channel}) is not in this server, "
            "or the bot cannot see it: create the channel (and let the bot see it) or set "
            "`{key}` in the session file's [discord] table. Questions are kept and posted once "
            "it exists.",
            **named,
        )
    if kind == "live":
        return _(
            "⚠️ The live channel of session {session} ({channel}) is not in this server, or the "
            "bot cannot see it: create the channel (and let the bot see it) or set `{key}` in "
            "the session file's [discord] table. Questions are kept and posted once it exists.",
            **named,
        )
    return _(
        "⚠️ The channel of session {session} ({channel}) is not in this server, or the bot "
        "cannot see it: create the channel (and let the bot see it) or set `{key}` in the "
        "session file's [discord] table. Questions are kept and posted once it exists.",
        **named,
    )


@dataclass
class _Streak:
    error: Text
    failed: set[int] = field(default_factory=set)
    reported: bool = False


class Failures:
    """Which questions could not be posted, per (session, kind), since the last success."""

    def __init__(self) -> None:
        self._streaks: dict[tuple[str, str], _Streak] = {}

    def failing(self, session_id: str, kind: str) -> bool:
        return (session_id, kind) in self._streaks

    def streak(self, session_id: str, kind: str) -> Text | None:
        """The error of the channel's current streak of failures, or None."""
        streak = self._streaks.get((session_id, kind))
        return streak.error if streak is not None else None

    def failed(self, session_id: str, kind: str, ids: Sequence[int], error: Text) -> bool:
        """Record a failure; return True when it starts a streak (tell people once)."""
        key = (session_id, kind)
        streak = self._streaks.get(key)
        new = streak is None
        if streak is None:
            streak = self._streaks[key] = _Streak(error)
        streak.error = error
        streak.failed.update(ids)
        return new

    def hold(self, session_id: str, kind: str, ids: Sequence[int]) -> None:
        """More questions wait behind a failing channel."""
        streak = self._streaks.get((session_id, kind))
        if streak is not None:
            streak.failed.update(ids)

    def report_once(self, session_id: str, kind: str) -> _Streak | None:
        """The streak to report to moderators, the first time it is asked for."""
        streak = self._streaks.get((session_id, kind))
        if streak is None or streak.reported:
            return None
        streak.reported = True
        return streak

    def recovered(self, session_id: str, kind: str) -> tuple[int, Text] | None:
        """Posting worked again: end the streak; return (questions that failed, error)."""
        streak = self._streaks.pop((session_id, kind), None)
        if streak is None:
            return None
        return len(streak.failed), streak.error
