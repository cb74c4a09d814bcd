"""The session's clock in Discord: program posts on schedule, /program and /schedule.

`bot.program` decides what is due; this cog turns each due post into an APScheduler job, and
each job into one message:

- every post is claimed in SQLite before it is sent and marked posted (with its message id)
  after; a post that is already claimed is never sent again, so nothing is posted twice, even
  across restarts;
- on start (cog_load, which runs in setup_hook once the scheduler is running) the cog schedules
  only what has not been done: posts still to come get a job at their time, posts whose time
  passed while the bot was down are sent at once (marked late) if their segment still runs, and
  recorded as skipped (and logged) if it is over;
- a job sends every post due up to its own, in program order, one run at a time;
- jobs read the bot's clock; a clock that is not the wall clock (tests) is honoured by firing
  each job after the same span of wall-clock time.

A post whose sending failed (Discord error, missing channel) is recorded as failed and tried
again every `RETRY_SECONDS` by an interval job, and on start, while its window is still open.

Scheduled intake posts follow what moderators did by hand: if /qa open or /qa close set the
intake (runs.intake_override), the scheduled "questions are open" or "questions are closed"
announcement is recorded as skipped (with the reason) instead of contradicting them; the closing
summary for moderators is always sent, and says so when intake was kept open by hand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import aiosqlite
import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import RETRY_SECONDS
from bot.errors import Refusal
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
)
from bot.sessions import Session
from bot.storage import posts_repo
from bot.storage import repository as repo
from bot.storage.posts_repo import PostRecord, TopQuestion
from bot.timeutil import discord_timestamp, utcnow
from cogs._common import find_channel, qabot, reply, require_moderator, session_of, shown
from cogs.errors import answering

if TYPE_CHECKING:
    from bot.app import QABot

log = logging.getLogger(__name__)

LIMIT = 2000  # Discord's message content limit
TITLE_LIMIT = 100  # segment titles in lists (/program, /schedule status, delay notice)
STATUS_POSTS = 8
MAX_DELAY_MINUTES = 240
RETRY_JOB = "schedule:retry-failed"

KIND_LABEL = {
    "segment": "Segment",
    "reminder": "Reminder to moderators",
    "intake-open": "Questions open",
    "intake-close": "Questions close",
    "summary": "Closing summary to moderators",
}


# ------------------------------------------------------------------------ rendering (plain)


def _t(moment: datetime, style: str = "t") -> str:
    return discord_timestamp(moment, style)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fit(lines: list[str]) -> str:
    """Join lines, dropping from the end (with a note) to stay within Discord's limit."""
    text = "\n".join(lines)
    while len(text) > LIMIT and len(lines) > 1:
        lines = lines[:-1]
        text = "\n".join([*lines, "…"])
    return text[:LIMIT]


def rehearsal_banner(timeline: Timeline) -> str | None:
    """Return the line that marks a rehearsal's messages, or None in a real run."""
    if not timeline.run.is_rehearsal:
        return None
    return (
        f"🎬 **Rehearsal** (×{timeline.speed:g}, times are the rehearsal's), not the live session."
    )


def _lines(timeline: Timeline, *lines: str | None) -> list[str]:
    return [line for line in (rehearsal_banner(timeline), *lines) if line is not None]


def segment_message(
    timeline: Timeline,
    row: AgendaRow,
    *,
    late: bool,
    approved_waiting: int,
    questions_channel: str,
) -> str:
    """The live-channel post when a segment starts."""
    session, segment = timeline.session, row.slot.segment
    lines = _lines(
        timeline,
        f"▶️ **Now: {_cut(segment.title, 300)}**",
        f"{_t(row.start)} – {_t(row.end)}",
    )
    if late:
        lines.append(
            f"(Posted late: the bot was offline when this segment started at {_t(row.start)}.)"
        )
    speaker = session.speaker(segment.speaker)
    if speaker is not None:
        name = " ".join(p for p in (speaker.honorific, speaker.name) if p)
        where = ", ".join(p for p in (speaker.organization, speaker.country) if p)
        lines.append(f"🎤 {name}" + (f" — {where}" if where else ""))
        if speaker.talk_title:
            lines.append(f"Talk: *{_cut(speaker.talk_title, 300)}*")
    if segment.kind == "discussion" and segment.guiding_questions:
        lines.append("**Guiding questions**")
        current: int | None = None
        for i, question in enumerate(segment.guiding_questions, 1):
            if question.round is not None and question.round != current:
                current = question.round
                lines.append(f"*Round {current}*")
            lines.append(f"{i}. {_cut(question.text, 400)}")
    if segment.kind == "qa":
        waiting = f"{approved_waiting} approved question{'s' if approved_waiting != 1 else ''}"
        lines.append(f"💬 Ask your question with `/ask` in {questions_channel}. {waiting} waiting.")
    return _fit(lines)


def reminder_message(
    timeline: Timeline,
    start: datetime,
    title: str,
    counts: Mapping[str, int],
    top: TopQuestion | None,
) -> str:
    """The moderation-channel reminder before a Q&A or discussion segment."""
    lines = _lines(
        timeline,
        f"⏰ **{_cut(title, 200)}** starts {_t(start, 'R')} ({_t(start)}).",
        f"Queue: {counts.get('pending', 0)} pending · {counts.get('approved', 0)} approved.",
    )
    if top is None:
        lines.append("No approved question yet.")
    else:
        votes = f"{top.votes} vote{'s' if top.votes != 1 else ''}"
        lines.append(f"Top question: #{top.number} ({votes}): {shown(_cut(top.text, 500))}")
    return _fit(lines)


def intake_open_message(timeline: Timeline, closes: datetime | None, questions: str) -> str:
    until = f" Intake closes at {_t(closes)} ({_t(closes, 'R')})." if closes else ""
    return _fit(
        _lines(timeline, f"✅ **Questions are open.** Ask with `/ask` in {questions}.{until}")
    )


def intake_close_message(timeline: Timeline) -> str:
    return _fit(_lines(timeline, "🔒 **Questions are closed.** Thank you for your questions!"))


PASSED_REVIEW = ("approved", "live", "answered", "dismissed", "merged")


def summary_message(
    timeline: Timeline, closed_at: datetime, counts: Mapping[str, int], override: str | None
) -> str:
    """The moderators' summary at the close of intake.

    Asked: every question of the run. Approved: every question that passed review (approved,
    live, answered, dismissed or merged into another), as in the report. Still unanswered:
    approved or live.
    """
    asked = sum(counts.values())
    answered = counts.get("answered", 0)
    unanswered = counts.get("approved", 0) + counts.get("live", 0)
    approved = sum(counts.get(state, 0) for state in PASSED_REVIEW)
    lines = _lines(
        timeline,
        f"📋 **Q&A summary**, intake closed on schedule at {_t(closed_at)}:",
        f"Asked: {asked} · Approved: {approved} · Answered: {answered} · "
        f"Still unanswered: {unanswered} · Pending (never moderated): {counts.get('pending', 0)}",
    )
    if override == "open":
        lines.append("Intake is still open: a moderator opened it by hand. `/qa close` closes it.")
    return _fit(lines)


def program_message(
    timeline: Timeline, rows: list[AgendaRow], now: datetime, title: str | None = None
) -> str:
    """The agenda for /program: times in each reader's zone, the live segment marked."""
    lines = _lines(timeline, f"📅 **{_cut(title or timeline.session.title, 200)}**")
    delay = timeline.run.delay_seconds
    if delay:
        word = "late" if delay > 0 else "early"
        lines.append(f"The program is running {abs(delay) // 60} min {word}.")
    if not rows:
        lines.append("This session has no program: moderators open and close questions by hand.")
    for row in rows:
        span = f"{_t(row.start)}–{_t(row.end)} {_cut(row.slot.segment.title, TITLE_LIMIT)}"
        if row.live:
            lines.append(f"▶️ **{span}** ← now")
        elif row.over:
            lines.append(f"✓ {span}")
        else:
            lines.append(f"◦ {span}")
    if rows and rows[-1].end <= now:
        lines.append("The program is over.")
    return _fit(lines)


def _segment_title(session: Session, post: PlannedPost) -> str:
    slot = session.slot(post.segment_id) if post.segment_id is not None else None
    return _cut(slot.segment.title, TITLE_LIMIT) if slot is not None else ""


def _describe(post: PlannedPost, session: Session) -> str:
    label = KIND_LABEL[post.kind]
    title = _segment_title(session, post)
    return f"{label}: {title}" if title else label


# ------------------------------------------------------------------------ the cog


class Schedule(commands.Cog):
    """Program posts on schedule, reminders, intake announcements, /program and /schedule."""

    schedule = app_commands.Group(
        name="schedule", description="The session's program: delays and what comes next"
    )

    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        self._locks: dict[str, asyncio.Lock] = {}

    # ----------------------------------------------------------------- lifecycle

    async def cog_load(self) -> None:
        for session_id in self.bot.sessions:
            await self.reschedule(session_id)
        self.bot.every(RETRY_SECONDS, self._retry_failed, RETRY_JOB, "retry failed program posts")

    async def cog_unload(self) -> None:
        scheduler = self.bot.scheduler
        if scheduler is None or not scheduler.running:
            return
        runs = {f"{run.id}:" for run in self.bot.runs.values()}
        for job in scheduler.get_jobs():
            if job.id == RETRY_JOB or any(job.id.startswith(prefix) for prefix in runs):
                job.remove()

    async def _retry_failed(self) -> None:
        """The periodic job: send again, if still relevant, the posts whose sending failed."""
        for session_id, run in list(self.bot.runs.items()):
            records = await self._records(run.id)
            if any(r.status == "failed" for r in records.values()):
                await self._fire(session_id, run.id, None)

    def _lock(self, session_id: str) -> asyncio.Lock:
        return self._locks.setdefault(session_id, asyncio.Lock())

    def _wall(self, moment: datetime) -> datetime:
        """Return the wall-clock instant at which the bot's clock will read `moment`."""
        return utcnow() + (moment - self.bot.clock())

    async def _records(self, run_id: int) -> dict[str, PostRecord]:
        return await self.bot.db.read(lambda conn: posts_repo.posts_of_run(conn, run_id))

    async def reschedule(self, session_id: str) -> list[Decision]:
        """(Re)create the jobs of a session's run from what is recorded; return the decisions."""
        scheduler = self.bot.scheduler
        if scheduler is None:
            log.error("no scheduler: program posts of %s are not scheduled", session_id)
            return []
        run = self.bot.runs[session_id]
        timeline = self.bot.timeline(session_id)
        records = await self._records(run.id)
        decisions = decide(plan_posts(timeline), _done(records), self.bot.clock(), timeline.grace())
        prefix = f"{run.id}:"
        for job in scheduler.get_jobs():
            if job.id.startswith(prefix):
                job.remove()
        for decision in decisions:
            if decision.action == "schedule":
                key = decision.post.key
                scheduler.add_job(
                    self._fire,
                    "date",
                    run_date=self._wall(decision.post.due),
                    args=(session_id, run.id, key),
                    id=f"{run.id}:{key}",
                    name=f"{session_id} {key}",
                    replace_existing=True,
                    misfire_grace_time=None,
                    coalesce=True,
                )
        if any(d.action != "schedule" for d in decisions):
            scheduler.add_job(
                self._fire,
                "date",
                run_date=utcnow(),
                args=(session_id, run.id, None),
                id=f"{run.id}:catch-up",
                name=f"{session_id} catch-up",
                replace_existing=True,
                misfire_grace_time=None,
                coalesce=True,
            )
        if not decisions:
            await self._end_if_done(session_id, timeline, records)
        return decisions

    async def _fire(self, session_id: str, run_id: int, key: str | None) -> None:
        """The job: send every post of the run due up to `key`'s time (now, for a catch-up)."""
        try:
            await self.bot.wait_until_ready()
            async with self._lock(session_id):
                await self._sweep(session_id, run_id, key)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("program post %s of run %s failed", key or "catch-up", run_id)

    async def _sweep(self, session_id: str, run_id: int, key: str | None = None) -> None:
        """Send (or skip) every post that is due; the caller holds the session's lock."""
        current = self.bot.runs.get(session_id)
        if current is None or current.id != run_id:
            return  # a job of a run that is no longer played
        await self.bot.reload_run(session_id)
        timeline = self.bot.timeline(session_id)
        plan = plan_posts(timeline)
        records = await self._records(run_id)
        now = self.bot.clock()
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

    async def _end_if_done(
        self, session_id: str, timeline: Timeline, done: Mapping[str, object] | set[str]
    ) -> None:
        """End a rehearsal once all its posts are done, so the next one starts afresh."""
        run = timeline.run
        if not run.is_rehearsal or run.ended_at is not None:
            return
        if not {p.key for p in plan_posts(timeline)} <= set(done):
            return
        now = self.bot.clock()
        await self.bot.db.write(lambda conn: repo.end_run(conn, run.id, now))
        await self.bot.reload_run(session_id)
        log.info("rehearsal run %s of %s played to its end", run.id, session_id)

    async def _skip(self, timeline: Timeline, post: PlannedPost, reason: str) -> None:
        run_id, now = timeline.run.id, self.bot.clock()
        recorded = await self.bot.db.write(
            lambda conn: posts_repo.skip_post(conn, run_id, post.key, post.due, now, reason)
        )
        if recorded:
            log.info("%s: skipped %s (run %s): %s", timeline.session.id, post.key, run_id, reason)

    def _channel(self, session: Session, kind: str) -> discord.TextChannel | None:
        for guild in self.bot.guilds:
            channel = find_channel(guild, session, kind)
            if channel is not None:
                return channel
        return None

    def _mention(self, session: Session, kind: str) -> str:
        channel = self._channel(session, kind)
        if channel is not None:
            return channel.mention
        ref = session.spec.discord.questions_channel
        return f"#{ref}" if isinstance(ref, str) and not ref.isdigit() else "the questions channel"

    async def _send(
        self, timeline: Timeline, decision: Decision, records: Mapping[str, PostRecord]
    ) -> None:
        """Claim one post, send it, record its message (or the failure)."""
        post, run = decision.post, timeline.run
        reason = _intake_skip_reason(post.kind, run.intake_override)
        if reason is not None:
            await self._skip(timeline, post, reason)
            return
        now = self.bot.clock()
        retry = post.key in records and records[post.key].status == "failed"
        claimed = await self.bot.db.write(
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
            kind, content = await self._render(timeline, decision, records)
            channel = self._channel(timeline.session, kind)
            if channel is None:
                raise LookupError(f"no {kind} channel found for session {timeline.session.id}")
            message = await channel.send(content)
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("%s: sending %s failed: %s", timeline.session.id, post.key, detail)
            await self.bot.db.write(
                lambda conn: posts_repo.mark_failed(conn, run.id, post.key, detail)
            )
            return
        sent = self.bot.clock()
        await self.bot.db.write(
            lambda conn: posts_repo.mark_posted(
                conn, run.id, post.key, message.id, channel.id, sent
            )
        )
        lateness = (sent - post.due).total_seconds()
        log.info(
            "%s: posted %s %.3f s after its time%s",
            timeline.session.id,
            post.key,
            lateness,
            " (late)" if decision.late else "",
        )

    async def _render(
        self, timeline: Timeline, decision: Decision, records: Mapping[str, PostRecord]
    ) -> tuple[str, str]:
        """Return (channel kind, content) for a post."""
        post, session, run_id = decision.post, timeline.session, timeline.run.id
        if post.kind == "segment":
            started = _started(records)
            started[post.key] = post.due
            row = next(
                r for r in agenda(timeline, started, post.due) if r.slot.id == post.segment_id
            )
            counts = await self.bot.db.read(lambda conn: repo.state_counts(conn, run_id))
            return "live", segment_message(
                timeline,
                row,
                late=decision.late,
                approved_waiting=counts["approved"],
                questions_channel=self._mention(session, "questions"),
            )
        if post.kind == "reminder":
            assert post.segment_id is not None and post.until is not None
            slot = session.slot(post.segment_id)
            assert slot is not None
            counts = await self.bot.db.read(lambda conn: repo.state_counts(conn, run_id))
            top = await self.bot.db.read(lambda conn: posts_repo.top_approved(conn, run_id))
            return "moderation", reminder_message(
                timeline, post.until, slot.segment.title, counts, top
            )
        if post.kind == "intake-open":
            questions = self._mention(session, "questions")
            return "live", intake_open_message(timeline, timeline.intake_closes_at(), questions)
        if post.kind == "intake-close":
            return "live", intake_close_message(timeline)
        counts = await self.bot.db.read(lambda conn: repo.state_counts(conn, run_id))
        return "moderation", summary_message(
            timeline, post.due, counts, timeline.run.intake_override
        )

    # ----------------------------------------------------------------- delays

    async def apply_delay(self, session_id: str, minutes: int, actor_id: int | None) -> str:
        """Shift every segment not yet started by `minutes` (program time); return a summary."""
        async with self._lock(session_id):
            run = await self.bot.reload_run(session_id)
            # record every post whose time has come: "started" is then exactly "done"
            await self._sweep(session_id, run.id)
            run = self.bot.runs[session_id]
            records = await self._records(run.id)
            now = self.bot.clock()
            moving = check_delay(self.bot.timeline(session_id), records, now, minutes * 60)
            # a closed intake stays closed: a later close time must not reopen it
            pin_closed = INTAKE_CLOSE in records and run.intake_override is None and minutes > 0

            async def write(conn: aiosqlite.Connection) -> int:
                total = await repo.add_delay(conn, run.id, minutes * 60, actor_id, now)
                if pin_closed:
                    await repo.set_intake_override(conn, run.id, "closed", actor_id, now)
                return total

            total = await self.bot.db.write(write)
            await self.bot.reload_run(session_id)
            await self.reschedule(session_id)
        timeline = self.bot.timeline(session_id)
        new = {p.key: p for p in plan_posts(timeline)}
        word = f"{abs(minutes)} minute{'s' if abs(minutes) != 1 else ''}"
        headline = (
            f"⏱ **The program is running {word} later.**"
            if minutes > 0
            else f"⏩ **The program moves {word} earlier.**"
        )
        lines = _lines(timeline, headline, "New times:")
        lines += [f"• {_t(new[p.key].due)} {_segment_title(timeline.session, p)}" for p in moving]
        channel = self._channel(timeline.session, "live")
        if channel is not None:
            await channel.send(_fit(lines))
        else:
            log.warning("%s: no live channel to announce the delay", session_id)
        log.info("%s: delay %+d min (total %+d s)", session_id, minutes, total)
        total_text = f"{total // 60:+d} min" if total % 60 == 0 else f"{total:+d} s"
        return (
            f"Delay of {minutes:+d} min applied to {len(moving)} segment(s) not yet started "
            f"(total delay {total_text}); announced in the live channel."
        )

    # ----------------------------------------------------------------- commands

    @app_commands.command(name="program", description="The session's program in your time zone")
    @app_commands.guild_only()
    async def program(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            bot = qabot(interaction)
            try:
                session = session_of(interaction)
            except Refusal:
                if len(bot.sessions) != 1:
                    raise
                session = next(iter(bot.sessions.values()))
            timeline = bot.timeline(session.id)
            records = await self._records(timeline.run.id)
            now = bot.clock()
            rows = agenda(timeline, _started(records), now)
            await reply(interaction, program_message(timeline, rows, now))

    @schedule.command(name="delay", description="Shift every segment not yet started (moderators)")
    @app_commands.describe(minutes="Minutes of program time; negative brings the program forward")
    @app_commands.guild_only()
    async def delay(
        self,
        interaction: discord.Interaction,
        minutes: app_commands.Range[int, -MAX_DELAY_MINUTES, MAX_DELAY_MINUTES],
    ) -> None:
        async with answering(interaction):
            session = session_of(interaction)
            require_moderator(interaction, session)
            await interaction.response.defer(ephemeral=True, thinking=True)
            text = await self.apply_delay(session.id, minutes, interaction.user.id)
            await reply(interaction, text)

    @schedule.command(name="status", description="The next program posts and any delay")
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction) -> None:
        async with answering(interaction):
            bot = qabot(interaction)
            session = session_of(interaction)
            require_moderator(interaction, session)
            run = await bot.reload_run(session.id)
            timeline = bot.timeline(session.id)
            records = await self._records(run.id)
            now = bot.clock()
            await reply(interaction, status_message(timeline, records, now))


def status_message(timeline: Timeline, records: Mapping[str, PostRecord], now: datetime) -> str:
    """The answer to /schedule status: delay, intake, and the next posts."""
    run = timeline.run
    lines = _lines(timeline, f"🗓 **Schedule of {_cut(timeline.session.title, 150)}**")
    delay = run.delay_seconds
    lines.append(
        f"Delay: {delay // 60:+d} min of program time." if delay else "Delay: none, on time."
    )
    state = "open" if timeline.intake_open(now) else "closed"
    how = {
        "open": "opened by hand",
        "closed": "closed by hand",
    }.get(run.intake_override or "", "by schedule")
    lines.append(f"Questions: {state} ({how}).")
    decisions = decide(plan_posts(timeline), records, now, timeline.grace())
    upcoming = [d for d in decisions if d.action != "skip"]
    if not upcoming:
        lines.append("Nothing left to post.")
    else:
        lines.append("Next posts:")
        for d in upcoming[:STATUS_POSTS]:
            when = f"{_t(d.post.due)} ({_t(d.post.due, 'R')})" if d.action == "schedule" else "now"
            lines.append(f"• {when} {_describe(d.post, timeline.session)}")
        if len(upcoming) > STATUS_POSTS:
            lines.append(f"… and {len(upcoming) - STATUS_POSTS} more.")
    failed = [r.key for r in records.values() if r.status == "failed"]
    if failed:
        lines.append(f"Failed to post: {', '.join(failed)}.")
    return _fit(lines)


def _done(records: Mapping[str, PostRecord]) -> set[str]:
    """The posts that need nothing more: all recorded ones but those whose sending failed,
    which are tried again while they are still relevant."""
    return {key for key, record in records.items() if record.status != "failed"}


def _started(records: Mapping[str, PostRecord]) -> dict[str, datetime]:
    """Return the recorded time of each segment post that is done (its segment has started)."""
    return {k: r.due_at for k, r in records.items() if k.startswith("segment:")}


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


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Schedule(bot))  # type: ignore[arg-type]
