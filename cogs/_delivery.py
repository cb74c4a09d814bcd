"""Delivery: post the cards and vote messages the log says are missing, paced, and retry failures.

A question is committed and its asker answered first; then a delivery pass for its session posts
what has no message id yet (bot.delivery has the rules). Passes run:

- right after a change (an /ask, an approval), for the questions that change touched, in the
  same task, so the asker's confirmation never waits for Discord;
- when a channel's rate window reopens, if a burst left questions waiting;
- every `RETRY_SECONDS` on an APScheduler interval job, and when the bot is ready (after a
  start or a restart), over every question of the run still missing a message: this is how
  posts that failed (Discord error, missing permission, missing channel) are retried.

Passes of one session run one at a time under a lock, and a question gets a message only while
its id is NULL, so nothing is posted twice. Moderators are told once when posting in a channel
fails and once when it works again; the log gets one warning line, not a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.delivery import (
    DIGEST_TEXT,
    RETRY_SECONDS,
    Failures,
    Pacer,
    describe_error,
    failure_notice,
    missing_channel_notice,
    plan_cards,
    recovery_notice,
)
from bot.limits import EMBED_DESCRIPTION, cut, fit_lines
from bot.questions import Question
from bot.sessions import Session
from cogs import _qa
from cogs._common import find_channel

if TYPE_CHECKING:
    from bot.app import QABot

log = logging.getLogger(__name__)

JOB_ID = "qa:delivery"
VOTABLE = ("approved", "live")
NOT_FOUND = "channel not found"
WAKE_MARGIN = 1.0


def _monotonic() -> float:
    return time.monotonic()  # looked up at call time, so a simulated clock is honoured


def digest_embed(questions: list[Question]) -> discord.Embed:
    """One card for several new questions, when there are too many to post one card each."""
    lines = [f"**#{q.number}** · {cut(q.text, DIGEST_TEXT, one_line=True)}" for q in questions]
    review = "\nReview them with `/qa approve number:N`, `/qa reject number:N` or `/qa queue`."
    first, last = questions[0].number, questions[-1].number
    embed = discord.Embed(
        title=f"New questions #{first}–#{last} ({len(questions)})",
        description=fit_lines(lines, EMBED_DESCRIPTION, review),
        colour=_qa.STATE_COLOURS["pending"],
    )
    embed.set_footer(
        text="Many questions arrived at once: their cards are combined to stay within "
        "Discord's rate limits."
    )
    return embed


class Delivery(commands.Cog):
    """Keeps the moderation and questions channels in step with the log."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        self.pacer = Pacer(clock=_monotonic)
        self.failures = Failures()
        self._pending: dict[str, set[int]] = {}
        self._held: dict[str, set[int]] = {}  # cards waiting for the channel's window to reopen
        self._live: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}

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
    async def on_ready(self) -> None:
        await self.sweep()

    # -------------------------------------------------------------------- entry

    def note(self, session_id: str, *question_ids: int) -> None:
        """These questions may need a message: the next pass looks at them."""
        self._pending.setdefault(session_id, set()).update(question_ids)
        self._held.get(session_id, set()).difference_update(question_ids)  # changed: read again

    def note_live(self, session_id: str, question_id: int) -> None:
        """The live announcement of this question failed: retry it while it is live."""
        self._live[session_id] = question_id

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
        if self.bot.db is None or not self.bot.db.is_open:
            return
        async with self._locks.setdefault(session.id, asyncio.Lock()):
            await self._pass(session, sweep)

    # --------------------------------------------------------------------- pass

    def _channel(self, session: Session, kind: str) -> discord.TextChannel | None:
        for guild in self.bot.guilds:
            channel = find_channel(guild, session, kind)
            if channel is not None:
                return channel
        return None

    def _window_shut(self, session: Session) -> bool:
        channel = self._channel(session, "moderation")
        return channel is not None and self.pacer.budget(channel.id) == 0

    async def _pass(self, session: Session, sweep: bool) -> None:
        core = _qa.service(self.bot)
        pending = self._pending.setdefault(session.id, set())
        held = self._held.setdefault(session.id, set())
        # Cards held for the moderation channel's rate window are read again only once it
        # reopens: in a burst, every new ask would otherwise re-read every held question.
        skipped = held & pending if not sweep and self._window_shut(session) else set()
        if not skipped:
            held.clear()
        run = self.bot.runs.get(session.id)
        found: dict[int, Question] = {}
        unread = pending - skipped
        if unread:
            found.update((q.id, q) for q in await core.by_ids(list(unread)))
        if sweep and run is not None:
            found.update((q.id, q) for q in await core.undelivered(run.id))
        cards = [q for q in found.values() if q.card_message_id is None]
        votes = [q for q in found.values() if q.vote_message_id is None and q.state in VOTABLE]
        cards.sort(key=lambda q: q.id)
        votes.sort(key=lambda q: q.id)
        waiting: set[int] = set()
        if cards:
            waiting |= await self._post_cards(session, cards, sweep)
        if votes:
            waiting |= await self._post_votes(session, votes, sweep)
        await self._retry_live(session, sweep)
        pending.clear()
        pending.update(waiting | skipped)

    def _skip(self, session: Session, kind: str, sweep: bool, qs: list[Question]) -> bool:
        """A failing channel is retried by the periodic pass only, not on every change; the
        questions it holds back count among those that could not be posted."""
        if sweep or not self.failures.failing(session.id, kind):
            return False
        self.failures.hold(session.id, kind, [q.id for q in qs])
        return True

    async def _post_cards(self, session: Session, cards: list[Question], sweep: bool) -> set[int]:
        kind = "moderation"
        if self._skip(session, kind, sweep, cards):
            return {q.id for q in cards}
        channel = self._channel(session, kind)
        if channel is None:
            await self._failed(session, kind, cards, NOT_FOUND)
            return {q.id for q in cards}
        plan = plan_cards(cards, self.pacer.budget(channel.id))
        core = _qa.service(self.bot)
        sent = 0
        for index, q in enumerate(plan.singles):
            self.pacer.spend(channel.id)
            try:
                view = _qa.card_view(q)
                embed = _qa.card_embed(session, q)
                message = await (
                    channel.send(embed=embed, view=view) if view else channel.send(embed=embed)
                )
            except discord.HTTPException as exc:
                left = plan.singles[index:] + [q for d in plan.digests for q in d] + plan.later
                await self._failed(session, kind, left, _error(exc))
                return {q.id for q in left}
            await core.set_card_message(q.id, message.id)
            sent += 1
        for index, group in enumerate(plan.digests):
            self.pacer.spend(channel.id)
            try:
                message = await channel.send(embed=digest_embed(group))
            except discord.HTTPException as exc:
                left = [q for d in plan.digests[index:] for q in d] + plan.later
                await self._failed(session, kind, left, _error(exc))
                return {q.id for q in left}
            await core.set_card_messages([q.id for q in group], message.id)
            log.info(
                "session %s: %d question cards combined in one digest (#%d-#%d)",
                session.id,
                len(group),
                group[0].number,
                group[-1].number,
            )
            sent += 1
        if sent:
            await self._recovered(session, kind)
        if plan.later:
            self._held.setdefault(session.id, set()).update(q.id for q in plan.later)
            self._wake_later(session, self.pacer.wait(channel.id))
        return {q.id for q in plan.later}

    async def _post_votes(self, session: Session, votes: list[Question], sweep: bool) -> set[int]:
        kind = "questions"
        if self._skip(session, kind, sweep, votes):
            return {q.id for q in votes}
        channel = self._channel(session, kind)
        if channel is None:
            await self._failed(session, kind, votes, NOT_FOUND)
            return {q.id for q in votes}
        # each vote message needs its own button: no digest, and no waiting here either
        # (approvals come at a moderator's pace; discord.py queues sends on a rate limit)
        now = votes
        core = _qa.service(self.bot)
        for index, q in enumerate(now):
            self.pacer.spend(channel.id)
            try:
                view = _qa.vote_view(q)
                embed = _qa.vote_embed(session, q)
                message = await (
                    channel.send(embed=embed, view=view) if view else channel.send(embed=embed)
                )
            except discord.HTTPException as exc:
                left = now[index:]
                await self._failed(session, kind, left, _error(exc))
                return {q.id for q in left}
            await core.set_vote_message(q.id, message.id)
        await self._recovered(session, kind)
        return set()

    async def _retry_live(self, session: Session, sweep: bool) -> None:
        question_id = self._live.get(session.id)
        if question_id is None or self._skip(session, "live", sweep, []):
            return
        q = await _qa.service(self.bot).get_by_id(question_id)
        if q is None or q.state != "live":
            self._live.pop(session.id, None)
            self.failures.recovered(session.id, "live")
            return
        error = await self.announce_live(session, q)
        if error is None:
            self._live.pop(session.id, None)

    async def announce_live(self, session: Session, q: Question) -> str | None:
        """Announce the live question; return None, or what went wrong (it is retried)."""
        kind = "live"
        channel = self._channel(session, kind)
        if channel is None:
            error = NOT_FOUND
        else:
            self.pacer.spend(channel.id)
            try:
                await channel.send(
                    f"**Now answering #{q.number}**", embed=_qa.live_embed(session, q)
                )
            except discord.HTTPException as exc:
                error = _error(exc)
            else:
                self._live.pop(session.id, None)
                await self._recovered(session, kind)
                return None
        self.note_live(session.id, q.id)
        await self._failed(session, kind, [q], error)
        return error

    # ----------------------------------------------------------------- telling

    def _wake_later(self, session: Session, seconds: float) -> None:
        """Run another pass when the channel's rate window reopens."""
        timer = self._timers.get(session.id)
        if timer is not None and not timer.done():
            return

        async def later() -> None:
            # a second's margin: Discord's own window does not start exactly where ours does
            await asyncio.sleep(seconds + WAKE_MARGIN)
            self._timers.pop(session.id, None)
            try:
                await self.deliver(session)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery pass for session %s failed", session.id)

        self._timers[session.id] = asyncio.create_task(later(), name=f"delivery {session.id}")

    async def _failed(self, session: Session, kind: str, qs: list[Question], error: str) -> None:
        if not self.failures.failed(session.id, kind, [q.id for q in qs], error):
            return  # already told
        ref = {
            "moderation": session.spec.discord.moderation_channel,
            "questions": session.spec.discord.questions_channel,
            "live": session.spec.discord.live_channel,
        }[kind]
        if error == NOT_FOUND:
            text = missing_channel_notice(kind, ref, session.id)
        else:
            text = failure_notice(kind, str(ref), len(qs), error)
        log.warning(
            "session %s: cannot post in the %s channel (%s): %d question(s) wait; retrying every "
            "%d s",
            session.id,
            kind,
            error,
            len(qs),
            RETRY_SECONDS,
        )
        if kind != "moderation":
            await self._tell_moderators(session, text)
            self.failures.report_once(session.id, kind)

    async def _recovered(self, session: Session, kind: str) -> None:
        done = self.failures.recovered(session.id, kind)
        if done is None:
            return
        count, error = done
        log.info("session %s: posting in the %s channel works again", session.id, kind)
        if count:
            await self._tell_moderators(session, recovery_notice(kind, count, error))

    async def _tell_moderators(self, session: Session, text: str) -> None:
        channel = self._channel(session, "moderation")
        if channel is None:
            return
        self.pacer.spend(channel.id)
        try:
            await channel.send(text)
        except discord.HTTPException as exc:
            log.warning("session %s: could not tell moderators: %s", session.id, _error(exc))


def _error(exc: discord.HTTPException) -> str:
    return describe_error(exc.status, exc.text)


def delivery(bot: QABot) -> Delivery | None:
    """The bot's delivery cog (None while it is not loaded)."""
    cog = bot.get_cog("Delivery")
    return cog if isinstance(cog, Delivery) else None
