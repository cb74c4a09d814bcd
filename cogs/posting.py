"""Posting: the one home of every message about a question, kept in step with the log.

Cards, vote messages and live announcements the log says are missing are posted, paced, and
failures retried; changed questions have their messages edited.

A question is committed and its asker answered first; then a pass posts what has no message id
yet (bot.delivery has the rules). Each kind of message has its own pass and its own queue, so
neither waits on the other: cards (moderation channel, combined into digest cards in a burst),
vote messages (questions channel) and live announcements (live channel). Passes run:

- right after a change (an /ask, an approval), for the questions that change touched, in the
  same task, so the asker's confirmation never waits for Discord;
- when a channel's rate window reopens, if a burst left messages waiting;
- every `RETRY_SECONDS` on an APScheduler interval job, and when the bot is ready (after a
  start or a restart), over every question of the run still missing a message: this is how
  posts that failed (Discord error, missing permission, missing channel) are retried, a live
  announcement included.

Every message is said in the session's languages (`cogs._common.public_say`), and so are the
notices to moderators. Every channel gets at most about 5 messages per 5 seconds. A delivery
takes every kind's lock of its session (always in the same order), reads the questions it was
told of once, then runs each kind's pass; a question gets a message only while its id is NULL,
so nothing is posted twice. A message Discord refuses for good (400) is marked with
its reason and never holds back the ones behind it. Moderators are told once when posting in a
channel fails, once when it works again, and once per message refused for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.answers import AnswerService
from bot.answers_text import answered_marker
from bot.delivery import RETRY_SECONDS, Pacer, plan_cards
from bot.i18n import Text
from bot.questions import Question, QuestionService
from bot.sessions import Session
from bot.similar import SimilarQuestions
from bot.states import VOTABLE, State
from cogs._common import public_say, session_channel
from cogs._telling import NOT_FOUND, Telling, error_of, refused_for_good
from cogs._views import (
    card_embed,
    card_view,
    digest_embed,
    live_content,
    live_embed,
    vote_embed,
    vote_view,
)

if TYPE_CHECKING:
    from bot.app import QABot

log = logging.getLogger(__name__)

JOB_ID = "qa:delivery"
WAKE_MARGIN = 1.0
#: The kinds of message, each with its channel.
CHANNEL = {"cards": "moderation", "votes": "questions", "live": "live"}

Key = tuple[str, str]  # (session id, kind)


def _monotonic() -> float:
    return time.monotonic()  # looked up at call time, so a simulated clock is honoured


def missing(kind: str, q: Question) -> bool:
    """Whether this question still needs its message of this kind."""
    if kind == "cards":
        return q.card_message_id is None and q.card_error is None
    if kind == "votes":
        return q.vote_message_id is None and q.vote_error is None and q.state in VOTABLE
    return q.live_message_id is None and q.state == State.LIVE


class Posting(commands.Cog):
    """Keeps the moderation, questions and live channels in step with the log."""

    def __init__(
        self,
        bot: QABot,
        questions: QuestionService,
        similar: SimilarQuestions,
        answers: AnswerService,
    ) -> None:
        self.bot = bot
        self.questions = questions
        self.similar = similar
        self.answers = answers
        self.pacer = Pacer(clock=_monotonic)
        self.wake_margin = WAKE_MARGIN
        self.telling = Telling(bot, self.pacer)
        self._pending: dict[Key, set[int]] = {}
        self._held: dict[Key, set[int]] = {}  # waiting for their channel's window to reopen
        self._locks: dict[Key, asyncio.Lock] = {}
        self._timers: dict[Key, asyncio.Task[None]] = {}

    # ----------------------------------------------------------------- lifecycle

    async def cog_load(self) -> None:
        self.bot.every(RETRY_SECONDS, self.sweep, JOB_ID, "retry missing question messages")

    async def cog_unload(self) -> None:
        scheduler = self.bot.scheduler
        if scheduler is not None and scheduler.running and scheduler.get_job(JOB_ID):
            scheduler.remove_job(JOB_ID)
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    @commands.Cog.listener()
    async def on_qa_ready(self) -> None:
        await self.sweep()

    # -------------------------------------------------------------------- entry

    def note(self, session_id: str, *question_ids: int) -> None:
        """These questions may need a message: the next passes look at them."""
        for kind in CHANNEL:
            self._pending.setdefault((session_id, kind), set()).update(question_ids)
            self._held.get((session_id, kind), set()).difference_update(question_ids)

    async def sweep(self) -> None:
        """The periodic pass: every session, every question of its run still missing a message."""
        for session in list(self.bot.sessions.values()):
            try:
                await self.deliver(session, sweep=True)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery pass for session %s failed", session.id)

    async def deliver(self, session: Session, *, sweep: bool = False) -> None:
        """Post what the session's noted questions (all of the run's, on a sweep) still need."""
        if not self.bot.db.is_open or not self.bot.servers_known.is_set():
            return
        async with contextlib.AsyncExitStack() as locked:
            # every kind's lock, always in the same order: the questions are read once for all
            # the passes, and no pass of another deliver runs between that read and them
            for kind in CHANNEL:
                await locked.enter_async_context(
                    self._locks.setdefault((session.id, kind), asyncio.Lock())
                )
            if sweep:
                found = await self._swept(session)
            else:
                found = await self._noted(session, *CHANNEL)
            for kind in CHANNEL:
                await self._pass(session, kind, found, sweep=sweep)

    async def post_new(self, session: Session, *question_ids: int) -> None:
        """Post what these questions still lack, paced; failures are kept for the retry."""
        self.note(session.id, *question_ids)
        await self.deliver(session)

    async def _swept(self, session: Session) -> dict[int, Question]:
        run = self.bot.runs.get(session.id)
        if run is None:
            return {}
        return {q.id: q for q in await self.questions.undelivered(run.id)}

    # --------------------------------------------------------------------- pass

    def _channel(self, session: Session, kind: str) -> discord.TextChannel | None:
        return session_channel(self.bot, session, CHANNEL.get(kind, kind))

    def _skipped(self, session: Session, kind: str) -> set[int]:
        """Noted questions held for this kind's rate window, while it is still shut: in a burst,
        every new ask would otherwise re-read every held question."""
        key = (session.id, kind)
        channel = self._channel(session, kind)
        if channel is None or self.pacer.budget(channel.id) > 0:
            return set()
        return self._held.get(key, set()) & self._pending.get(key, set())

    async def _noted(self, session: Session, *kinds: str) -> dict[int, Question]:
        """Read, in one round trip, the questions noted for these kinds and not held."""
        unread: set[int] = set()
        for kind in kinds:
            unread |= self._pending.get((session.id, kind), set()) - self._skipped(session, kind)
        return {q.id: q for q in await self.questions.by_ids(sorted(unread))} if unread else {}

    async def _pass(
        self, session: Session, kind: str, found: dict[int, Question], *, sweep: bool
    ) -> None:
        """Post this kind's messages that the questions `found` (read under the lock) lack:
        on a sweep every question of the run, else the noted ones not held for the window."""
        key = (session.id, kind)
        pending = self._pending.setdefault(key, set())
        skipped = set() if sweep else self._skipped(session, kind)
        if not skipped:
            self._held.setdefault(key, set()).clear()
        # (a window that reopened since the read leaves some unread: they wait for the next pass)
        unread = set() if sweep else pending - skipped - found.keys()
        wanted = found.values() if sweep else (found[i] for i in pending - skipped - unread)
        todo = sorted((q for q in wanted if missing(kind, q)), key=lambda q: q.id)
        waiting: set[int] = set()
        if todo:
            waiting = await self._post(
                session, kind, self._channel(session, kind), todo, sweep=sweep
            )
        pending.clear()
        pending.update(waiting | skipped | unread)

    async def _post(
        self,
        session: Session,
        kind: str,
        channel: discord.TextChannel | None,
        todo: list[Question],
        *,
        sweep: bool,
    ) -> set[int]:
        """Post what the window allows now; return the ids still waiting."""
        where = CHANNEL[kind]
        if not sweep and self.telling.failing(session.id, where):
            # a failing channel is retried by the periodic pass only, not on every change
            self.telling.hold(session.id, where, todo)
            return {q.id for q in todo}
        if channel is None:
            await self.telling.failed(session, where, todo, NOT_FOUND)
            return {q.id for q in todo}
        budget = self.pacer.budget(channel.id)
        if kind == "cards":
            plan = plan_cards(todo, budget)
            later = plan.later
            groups = [[q] for q in plan.singles] + plan.digests
        else:
            groups = [[q] for q in todo[:budget]]
            later = todo[budget:]
        duplicates = await self.duplicates(todo[:budget]) if kind == "cards" else {}
        sent = 0
        for index, group in enumerate(groups):
            self.pacer.spend(channel.id)
            try:
                content, embed, view = self._message(session, kind, group, duplicates)
                message = await (
                    channel.send(content, embed=embed, view=view)
                    if view is not None
                    else channel.send(content, embed=embed)
                )
            except discord.HTTPException as exc:
                if refused_for_good(exc):
                    await self._refused(session, kind, group, error_of(exc))
                    continue
                left = [q for g in groups[index:] for q in g] + later
                await self.telling.failed(session, where, left, error_of(exc))
                return {q.id for q in left}
            await self._record(kind, group, message.id, channel.id)
            sent += 1
        if sent:
            await self.telling.recovered(session, where)
        if later:
            self._held.setdefault((session.id, kind), set()).update(q.id for q in later)
            self._wake_later(session, kind, self.pacer.wait(channel.id))
        return {q.id for q in later}

    def _message(
        self, session: Session, kind: str, group: list[Question], duplicates: dict[int, Question]
    ) -> tuple[str | None, discord.Embed, discord.ui.View | None]:
        """(content, embed, view) of the message for this question, or this digest of them."""
        q = group[0]
        say = public_say(session)
        if kind == "cards" and len(group) > 1:
            return None, digest_embed(group, say), None
        if kind == "cards":
            duplicate = duplicates.get(q.id)
            return (
                None,
                card_embed(session, q, duplicate=duplicate, say=say),
                card_view(q, duplicate=duplicate, say=say),
            )
        if kind == "votes":
            return None, vote_embed(session, q, say=say), vote_view(q)
        return live_content(q, say), live_embed(session, q, say), None

    async def _record(
        self, kind: str, group: list[Question], message_id: int, channel_id: int
    ) -> None:
        if kind == "cards" and len(group) > 1:
            await self.questions.set_card_messages([q.id for q in group], message_id)
            log.info(
                "%d question cards combined in one digest (#%d-#%d)",
                len(group),
                group[0].number,
                group[-1].number,
            )
        elif kind == "cards":
            await self.questions.set_card_message(group[0].id, message_id)
        elif kind == "votes":
            await self.questions.set_vote_message(group[0].id, message_id)
        else:
            await self.questions.set_live_message(group[0].id, message_id)
            # notices about it link to the announcement
            await self.answers.record_live_post(group[0].id, channel_id, message_id)

    async def _refused(
        self, session: Session, kind: str, group: list[Question], error: Text
    ) -> None:
        if kind in ("cards", "votes"):
            await self.questions.set_refused([q.id for q in group], kind[:-1], str(error))
        await self.telling.refused(session, CHANNEL[kind], group, error)

    # ---------------------------------------------------------------- the live one

    async def announce_live(self, session: Session, q: Question) -> Text | None:
        """Announce the question being answered now; return None, or what went wrong (it is
        retried while the question is live, after a restart too)."""
        if not self.bot.servers_known.is_set():
            return None  # posted by the first pass once the servers are known
        self.note(session.id, q.id)
        async with self._locks.setdefault((session.id, "live"), asyncio.Lock()):
            found = await self._noted(session, "live")
            await self._pass(session, "live", found, sweep=False)
        current = await self.questions.get_by_id(q.id)
        if current is None or current.live_message_id is not None or current.state != State.LIVE:
            return None
        streak = self.telling.failures.streak(session.id, "live")
        return streak or NOT_FOUND

    # ------------------------------------------------------------------ changes

    async def duplicates(self, questions: list[Question]) -> dict[int, Question]:
        """The open question each of these may duplicate, by question id (only those that have
        one), for their cards."""
        matches = {q.id: m for q in questions if (m := self.similar.duplicate(q)) is not None}
        if not matches:
            return {}
        ids = [m.question_id for m in matches.values()]
        found = {k.id: k for k in await self.questions.by_ids(ids)}
        return {qid: found[m.question_id] for qid, m in matches.items() if m.question_id in found}

    async def refresh(
        self,
        session: Session,
        q: Question,
        *,
        card: bool = True,
        outcome: Text | None = None,
    ) -> None:
        """Bring a question's card and vote message in line with its stored state.

        An approved question without a vote message gets one now.
        """
        if card and q.card_message_id is not None and not await self.questions.card_is_shared(q):
            # a digest card (shared by several questions) stays as posted
            duplicate = (await self.duplicates([q])).get(q.id)
            say = public_say(session)
            await _edit(
                self._channel(session, "cards"),
                q.card_message_id,
                card_embed(session, q, outcome, duplicate=duplicate, say=say),
                card_view(q, duplicate=duplicate, say=say),
            )
        if q.vote_message_id is not None:
            # a question answered in writing keeps saying so on its message
            counts = (await self.answers.answer_counts([q.id])).get(q.id)
            marker = answered_marker(*counts) if counts else None
            await _edit(
                self._channel(session, "votes"),
                q.vote_message_id,
                vote_embed(session, q, marker),
                vote_view(q),
            )
        elif missing("votes", q):
            await self.post_new(session, q.id)

    def _wake_later(self, session: Session, kind: str, seconds: float) -> None:
        """Run another pass when the channel's rate window reopens."""
        key = (session.id, kind)
        timer = self._timers.get(key)
        if timer is not None and not timer.done():
            return

        async def later() -> None:
            # a second's margin: Discord's own window does not start exactly where ours does
            await asyncio.sleep(seconds + self.wake_margin)
            self._timers.pop(key, None)
            try:
                await self.deliver(session)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery pass for session %s failed", session.id)

        self._timers[key] = asyncio.create_task(later(), name=f"delivery {session.id} {kind}")


async def _edit(
    channel: discord.TextChannel | None,
    message_id: int | None,
    embed: discord.Embed,
    view: discord.ui.View | None,
) -> None:
    if channel is None or message_id is None:
        return
    try:
        await channel.get_partial_message(message_id).edit(embed=embed, view=view)
    except discord.HTTPException:
        log.warning("editing message %s failed", message_id, exc_info=True)
