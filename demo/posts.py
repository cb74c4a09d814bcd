"""The program's posts in the transcript: read from the posts table, shown in program order.

A post is shown once the bot has recorded it (posted, skipped or failed), stamped with the
program time it was due at (its record's `due_at`), before any step that comes after it. A
segment's line is written from the session file; other posts show the message the bot sent,
as plain text, with its Discord timestamps written as program times.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.program import PlannedPost, Timeline, plan_posts
from bot.schedule import CHANNEL_OF, PostRecord, ScheduleService
from bot.sessions import Session, Slot
from bot.timeutil import utcnow
from demo.story import Story
from demo.transcript import Transcript, plain_lines
from demo.world import World

if TYPE_CHECKING:
    import simcord

#: A program post not recorded this long (real seconds) after its grace is reported missing.
POST_LIMIT = 5.0


class ProgramPosts:
    """The posts of the demo's run, shown as the bot records them."""

    def __init__(
        self,
        env: simcord.Env,
        schedule: ScheduleService,
        session: Session,
        world: World,
        out: Transcript,
        story: Story,
        before_live: Callable[[], None],
    ) -> None:
        self.env = env
        self.schedule = schedule
        self.session = session
        self.world = world
        self.out = out
        self.story = story
        self.before_live = before_live  # called before a post in the live channel is shown
        self.plan: list[PlannedPost] = []
        self.shown: set[str] = set()

    @property
    def timeline(self) -> Timeline:
        return self.schedule.runs.timeline(self.session.id)

    def start(self) -> None:
        """Read the plan, once the run is made."""
        self.plan = plan_posts(self.timeline)

    def next_after(self, real: datetime) -> datetime | None:
        """When the first post due after the real instant `real` is due."""
        return next((p.due for p in self.plan if p.due > real), None)

    def clock(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.session.zone):%H:%M}"

    def session_time(self, real: datetime) -> datetime:
        """The program time of a real instant, to the second."""
        moment = self.timeline.to_session(real)
        return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)

    async def show(self, until: datetime) -> bool:
        """Show, in program order, the posts due by `until` (real) that the bot has done;
        return True while one of them is still to be done."""
        pending = [p for p in self.plan if p.key not in self.shown and p.due <= until]
        if not pending or pending[0].due > utcnow():
            return bool(pending)
        records = await self.schedule.records(self.schedule.runs[self.session.id].id)
        limit = self.timeline.grace() + timedelta(seconds=POST_LIMIT)
        for post in pending:
            record = records.get(post.key)
            if record is None or record.status == "claimed":
                if utcnow() - post.due < limit:
                    return True  # not done yet: later posts wait their turn
                self.story.missing_posts.append(post.key)
                self.shown.add(post.key)
                when = self.clock(self.session_time(post.due))
                self.out.event(when, "⚠", f"the program post {post.key} was never sent")
                continue
            self.shown.add(post.key)
            self.show_post(post, record)
        return False

    def show_post(self, post: PlannedPost, record: PostRecord) -> None:
        when = self.clock(self.session_time(record.due_at))
        channel = CHANNEL_OF[post.kind]
        if channel == "live":
            self.before_live()
        if record.status != "posted":
            self.out.event(when, "⚠", f"{post.key} {record.status}: {record.detail}")
            return
        slot = self.session.slot(post.segment_id) if post.segment_id else None
        if post.kind == "segment" and slot is not None:
            self.out.event(when, "📣", self.segment_line(slot))
            return
        lines = plain_lines(
            self.message_text(record),
            lambda moment, style: self.stamp(slot, moment, style),
            self.channel_name,
        )
        lines = [line for line in lines if not line.startswith("🎬")]  # the rehearsal banner
        if lines:
            text = "to moderators: " + " ".join(lines[:2]) if channel == "moderation" else lines[0]
            self.out.event(when, "📣", text)

    def segment_line(self, slot: Slot) -> str:
        line = f"▶ {self.clock(slot.start)}–{self.clock(slot.end)} {slot.segment.title}"
        speaker = self.session.speaker(slot.segment.speaker)
        if speaker is not None:
            name = " ".join(p for p in (speaker.honorific, speaker.name) if p)
            where = ", ".join(p for p in (speaker.organization, speaker.country) if p)
            line += f" · {name}" + (f" — {where}" if where else "")
        return line

    def message_text(self, record: PostRecord) -> str:
        if record.channel_id is None or record.message_id is None:
            return ""
        stored = self.env.backend.get_message(record.channel_id, record.message_id)
        return str(stored.content or "")

    def stamp(self, slot: Slot | None, when: datetime, style: str | None) -> str:
        """A time in a post's text as program time: the post's own moments first (a reminder
        names its segment's start; intake posts the close), else the nearest program moment."""
        opens, closes = self.session.intake_window
        own = [m for m in (slot.start if slot else None, closes, opens) if m is not None]
        slots = self.session.slots
        moments = own + sorted({s.start for s in slots} | {s.end for s in slots})
        timeline = self.timeline
        near = timedelta(seconds=1.5)  # Discord timestamps are whole seconds
        found = next((m for m in moments if abs(timeline.to_real(m) - when) <= near), None)
        text = self.clock(found or self.session_time(when))
        return f"at {text}" if style == "R" else text

    def channel_name(self, channel_id: int) -> str:
        for handle in (self.world.questions, self.world.moderation, self.world.live):
            if handle.id == channel_id:
                return handle.name or "channel"
        return "channel"
