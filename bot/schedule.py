"""The program's posts as a service: plan, claim, send through a port, mark, sweep, retry, delay.

`bot.program` decides what is due; this service turns each due post into one message, through a
`SchedulePort` that the Discord side provides (it words the post, sends it, and keeps one timer
per post). Nothing here knows Discord or APScheduler.

- Every post is claimed in SQLite before it is sent and marked posted (with its message id)
  after; a post that is already claimed is never sent again, so nothing is posted twice, even
  across restarts.
- `plan` works out what has not been done: posts still to come get a timer at their time, posts
  whose time passed while the bot was down are sent at once (marked late) if their segment still
  runs, and recorded as skipped (and logged) if it is over.
- `fire` (a timer) sends every post due up to its own, in program order, one run at a time.
- A post whose sending failed is recorded as failed and tried again by `retry_failed` (every
  `RETRY_SECONDS`) and at start, while its window is still open.
- Scheduled intake posts follow what moderators did by hand: if /qa open or /qa close set the
  intake (runs.intake_override), the scheduled "questions are open" or "questions are closed"
  announcement is recorded as skipped (with the reason) instead of contradicting them; the
  closing summary for moderators is always sent.
- A rehearsal whose posts are all done is ended, so the next rehearsal starts afresh.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import aiosqlite

from bot.program import (
    INTAKE_CLOSE,
    AgendaRow,
    Decision,
    PlannedPost,
    Timeline,
    agenda,
    check_delay,
    decide,
    plan_posts,
    started_segments,
)
from bot.reports import Reports
from bot.runs import Runs
from bot.sessions import Session
from bot.storage import posts_repo
from bot.storage import repository as repo
from bot.storage.database import Database
from bot.storage.posts_repo import PostRecord, TopQuestion

__all__ = [
    "Delayed",
    "Due",
    "PostRecord",
    "SchedulePort",
    "ScheduleService",
    "Sent",
    "TopQuestion",
]

log = logging.getLogger(__name__)

#: The channel each kind of post goes to.
CHANNEL_OF = {
    "segment": "live",
    "intake-open": "live",
    "intake-close": "live",
    "reminder": "moderation",
    "summary": "moderation",
    "report": "report",  # the organizers' channel: [discord] report_channel, else moderation
    "followups": "followups",  # the follow-up forum's posts, then a word in the live channel
}


@dataclass(frozen=True, slots=True)
class Due:
    """One post to send now, with what its wording needs from the log."""

    post: PlannedPost
    late: bool
    row: AgendaRow | None = None  # a segment, as the run plays it
    counts: Mapping[str, int] = field(default_factory=dict)  # questions per state
    top: TopQuestion | None = None  # a reminder: the top approved question
    file: tuple[str, bytes] | None = None  # the report: (file name, content)
    questions: int = 0  # the report: how many questions it holds

    @property
    def channel(self) -> str:
        return CHANNEL_OF[self.post.kind]


@dataclass(frozen=True, slots=True)
class Sent:
    """Where a post went."""

    message_id: int
    channel_id: int


@dataclass(frozen=True, slots=True)
class Delayed:
    """A delay that was applied: the segments it moved and the run's new total delay."""

    moved: list[PlannedPost]
    total_seconds: int
    timeline: Timeline

    def new_time(self, post: PlannedPost) -> datetime:
        """When a moved post is due now."""
        return next(p.due for p in plan_posts(self.timeline) if p.key == post.key)


class SchedulePort(Protocol):
    """What the service needs from the side that talks to people."""

    def word(self, timeline: Timeline, due: Due) -> str:
        """The text of a post."""
        ...

    async def send(
        self, session: Session, channel: str, content: str, file: tuple[str, bytes] | None = None
    ) -> Sent:
        """Send a post (with a file, for the report) to one of the session's channels ("live",
        "moderation", "report"); raise on failure (any exception: the post is recorded as
        failed and retried)."""
        ...

    def set_timers(self, session_id: str, run_id: int, decisions: list[Decision]) -> None:
        """Replace the run's timers: one per post to schedule, and one now for the rest."""
        ...


class ScheduleService:
    """Every program post of every session the bot plays."""

    def __init__(self, db: Database, clock: Clock, runs: Runs, reports: Reports) -> None:
        self.db = db
        self.clock = clock
        self.runs = runs
        self.reports = reports
        self.port: SchedulePort | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        #: Told (with the session id) after the program moved on, a delay, or intake by hand.
        self.listeners: list[Callable[[str], None]] = []

    def _changed(self, session_id: str) -> None:
        for listener in self.listeners:
            try:
                listener(session_id)
            except Exception:
                log.exception("a listener of program changes failed")

    def _lock(self, session_id: str) -> asyncio.Lock:
        return self._locks.setdefault(session_id, asyncio.Lock())

    async def records(self, run_id: int) -> dict[str, PostRecord]:
        """Every recorded post of a run, by key."""
        return await self.db.read(lambda conn: posts_repo.posts_of_run(conn, run_id))

    # ----------------------------------------------------------------- planning

    async def plan(self, session_id: str) -> list[Decision]:
        """(Re)set the timers of a session's run from what is recorded; return the decisions."""
        run = self.runs[session_id]
        timeline = self.runs.timeline(session_id)
        records = await self.records(run.id)
        decisions = decide(plan_posts(timeline), _done(records), self.clock(), timeline.grace())
        if self.port is not None:
            self.port.set_timers(session_id, run.id, decisions)
        if not decisions:
            await self._end_if_done(session_id, timeline, records)
        return decisions

    async def fire(self, session_id: str, run_id: int, key: str | None) -> None:
        """A timer: send every post of the run due up to `key`'s time (now, for a catch-up)."""
        async with self._lock(session_id):
            await self._sweep(session_id, run_id, key)

    async def retry_failed(self) -> None:
        """Send again, if still relevant, the posts whose sending failed."""
        for session_id in list(self.runs):
            run = self.runs[session_id]
            records = await self.records(run.id)
            if any(r.status == "failed" for r in records.values()):
                await self.fire(session_id, run.id, None)

    async def _sweep(self, session_id: str, run_id: int, key: str | None = None) -> None:
        """Send (or skip) every post that is due; the caller holds the session's lock."""
        if not self.runs.is_current(session_id, run_id):
            return  # a timer of a run that is no longer played
        await self.runs.reload(session_id)
        timeline = self.runs.timeline(session_id)
        plan = plan_posts(timeline)
        records = await self.records(run_id)
        now = self.clock()
        if key is not None:
            due = next((p.due for p in plan if p.key == key), None)
            if due is not None and due > now:
                now = due  # the scheduler fired it: it is due, whatever a few µs say
        done = set(records)
        for decision in decide(plan, _done(records), now, timeline.grace()):
            if decision.action == "schedule":
                continue
            if decision.action == "skip":
                await self._skip(timeline, decision.post, decision.reason)
            else:
                await self._send(timeline, decision, records)
            done.add(decision.post.key)
        await self._end_if_done(session_id, timeline, done)
        if done != set(records):
            self._changed(session_id)

    async def _end_if_done(
        self, session_id: str, timeline: Timeline, done: Collection[str]
    ) -> None:
        """End a rehearsal once all its posts are done, so the next one starts afresh."""
        run = timeline.run
        if not run.is_rehearsal or run.ended_at is not None:
            return
        if not {p.key for p in plan_posts(timeline)} <= set(done):
            return
        now = self.clock()
        await self.db.write(lambda conn: repo.end_run(conn, run.id, now))
        await self.runs.reload(session_id)
        log.info("rehearsal run %s of %s played to its end", run.id, session_id)

    async def _skip(self, timeline: Timeline, post: PlannedPost, reason: str) -> None:
        run_id, now = timeline.run.id, self.clock()
        recorded = await self.db.write(
            lambda conn: posts_repo.skip_post(conn, run_id, post.key, post.due, now, reason)
        )
        if recorded:
            log.info("%s: skipped %s (run %s): %s", timeline.session.id, post.key, run_id, reason)

    async def _send(
        self, timeline: Timeline, decision: Decision, records: Mapping[str, PostRecord]
    ) -> None:
        """Claim one post, send it, record its message (or the failure)."""
        post, run = decision.post, timeline.run
        reason = _intake_skip_reason(post.kind, run.intake_override)
        if reason is not None:
            await self._skip(timeline, post, reason)
            return
        now = self.clock()
        retry = post.key in records and records[post.key].status == "failed"
        claimed = await self.db.write(
            lambda conn: (
                posts_repo.reclaim_failed(conn, run.id, post.key, now, late=decision.late)
                if retry
                else posts_repo.claim_post(
                    conn, run.id, post.key, post.due, now, late=decision.late
                )
            )
        )
        if not claimed:
            return
        try:
            if self.port is None:
                raise LookupError("nothing can send program posts (no Discord side attached)")
            due = await self._facts(timeline, decision, records)
            content = self.port.word(timeline, due)
            sent = await self.port.send(timeline.session, due.channel, content, due.file)
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("%s: sending %s failed: %s", timeline.session.id, post.key, detail)
            await self.db.write(lambda conn: posts_repo.mark_failed(conn, run.id, post.key, detail))
            return
        at = self.clock()
        await self.db.write(
            lambda conn: posts_repo.mark_posted(
                conn, run.id, post.key, sent.message_id, sent.channel_id, at
            )
        )
        lateness = (at - post.due).total_seconds()
        log.info(
            "%s: posted %s %.3f s after its time%s",
            timeline.session.id,
            post.key,
            lateness,
            " (late)" if decision.late else "",
        )

    async def _facts(
        self, timeline: Timeline, decision: Decision, records: Mapping[str, PostRecord]
    ) -> Due:
        """What the wording of a post needs from the log."""
        post, run_id = decision.post, timeline.run.id
        if post.kind in ("intake-open", "intake-close"):
            return Due(post, decision.late)
        if post.kind == "report":
            # the report for organizers, in the session's main language
            lang = timeline.session.languages[0]
            data, count = await self.reports.render("html", timeline.run, lang=lang)
            kind = "rehearsal" if timeline.run.is_rehearsal else "qa"
            name = f"{timeline.session.id}-{kind}-report.html"
            return Due(post, decision.late, file=(name, data), questions=count)
        counts = await self.db.read(lambda conn: repo.state_counts(conn, run_id))
        if post.kind == "segment":
            started = started_segments(records)
            started[post.key] = post.due
            row = next(
                r for r in agenda(timeline, started, post.due) if r.slot.id == post.segment_id
            )
            return Due(post, decision.late, row=row, counts=counts)
        if post.kind == "reminder":
            top = await self.db.read(lambda conn: posts_repo.top_approved(conn, run_id))
            return Due(post, decision.late, counts=counts, top=top)
        return Due(post, decision.late, counts=counts)

    # ----------------------------------------------------------------- changes

    async def delay(self, session_id: str, minutes: int, actor_id: int | None) -> Delayed:
        """Shift every segment not yet started by `minutes` (program time), in one transaction
        with its audit event; re-plan the timers. Raises Refusal when it cannot apply."""
        async with self._lock(session_id):
            # record every post whose time has come (the sweep reads the run again):
            # "started" is then exactly "done"
            await self._sweep(session_id, self.runs[session_id].id)
            run = self.runs[session_id]
            records = await self.records(run.id)
            now = self.clock()
            moving = check_delay(self.runs.timeline(session_id), records, now, minutes * 60)
            # a closed intake stays closed: a later close time must not reopen it
            pin_closed = INTAKE_CLOSE in records and run.intake_override is None and minutes > 0

            async def write(conn: aiosqlite.Connection) -> int:
                total = await repo.add_delay(conn, run.id, minutes * 60, actor_id, now)
                if pin_closed:
                    await repo.set_intake_override(conn, run.id, "closed", actor_id, now)
                return total

            total = await self.db.write(write)
            await self.runs.reload(session_id)
            await self.plan(session_id)
        log.info("%s: delay %+d min (total %+d s)", session_id, minutes, total)
        self._changed(session_id)
        return Delayed(moving, total, self.runs.timeline(session_id))

    async def set_intake(self, session_id: str, value: str | None, actor_id: int | None) -> None:
        """Open ("open") or close ("closed") intake by hand, or follow the schedule (None)."""
        run_id, now = self.runs[session_id].id, self.clock()
        await self.db.write(
            lambda conn: repo.set_intake_override(conn, run_id, value, actor_id, now)
        )
        await self.runs.reload(session_id)
        self._changed(session_id)

    # ------------------------------------------------------------------- reads

    async def agenda(self, session_id: str) -> tuple[Timeline, list[AgendaRow], datetime]:
        """The program as the run plays it now: (timeline, rows, now)."""
        timeline = self.runs.timeline(session_id)
        records = await self.records(timeline.run.id)
        now = self.clock()
        return timeline, agenda(timeline, started_segments(records), now), now

    async def status(self, session_id: str) -> tuple[Timeline, dict[str, PostRecord], datetime]:
        """What /schedule status shows: (timeline, the recorded posts, now)."""
        run = await self.runs.reload(session_id)
        return self.runs.timeline(session_id), await self.records(run.id), self.clock()


class Clock(Protocol):
    def __call__(self) -> datetime: ...


def _done(records: Mapping[str, PostRecord]) -> set[str]:
    """The posts that need nothing more: all recorded ones but those whose sending failed,
    which are tried again while they are still relevant."""
    return {key for key, record in records.items() if record.status != "failed"}


def _intake_skip_reason(kind: str, override: str | None) -> str | None:
    """Say why a scheduled intake announcement would contradict a moderator, or None."""
    if kind == "intake-open" and override == "open":
        return "not announced: a moderator had already opened intake by hand"
    if kind == "intake-open" and override == "closed":
        return "not announced: a moderator closed intake by hand"
    if kind == "intake-close" and override == "open":
        return "not announced: a moderator keeps intake open by hand"
    if kind == "intake-close" and override == "closed":
        return "not announced: a moderator had already closed intake by hand"
    return None
