"""The player: plays the script against the running bot, in program order, as people would.

People act through SimCord's simulated Discord (slash commands, button clicks), one action at a
time, each at its program time converted to real time by the bot's Timeline; what each action
did is read back from the bot's core and log (demo.actions), and the program posts from the
posts table (demo.posts).

Order. Before a step, every program post due by its time is waited for (in the posts table) and
shown; the script keeps steps out of the blind spot before each post, so a step is done before
the next post is due. The player checks it: a step done only after the next post was due is
recorded as out of order, and the summary says so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

from bot.timeutil import utcnow
from demo.actions import Actions
from demo.effects import POLL
from demo.posts import POST_LIMIT
from demo.script import Step

log = logging.getLogger(__name__)


class Player(Actions):
    """Plays the script against the running bot, one user action at a time, in program order."""

    def tick(self) -> None:
        start, end = self.session.starts_at, self.session.ends_at
        assert start is not None and end is not None
        now = min(max(self.timeline.to_session(utcnow()), start), end)
        segment = next(
            (s.segment.title for s in reversed(self.session.slots) if s.start <= now),
            "Before the program",
        )
        if now >= end:
            segment = "Program over"
        minutes = (now - start).total_seconds() / 60
        self.out.tick(minutes, segment, f"{now.astimezone(self.session.zone):%H:%M %Z}")

    # -- the play

    def introduce(self) -> None:
        """Say who is in the simulated server, once the bot is up."""
        w, names = self.world, self.session.spec.discord
        channels = " ".join(f"#{c.name}" for c in (w.questions, w.moderation, w.live))
        self.out.print(
            f"The bot is up in a simulated server: {channels}; {self.moderator} "
            f"({names.moderator_role}), an organizer ({names.organizer_role}), "
            f"{len(w.people)} participants.",
            wrap=True,
        )

    async def play(self) -> None:
        self.posts.start()
        for step in self.script.steps:
            await self.reach(step.at)
            self.stage = step.at
            await self.play_step(step)
        self.flush_votes()
        await self.finish()

    async def play_step(self, step: Step) -> None:
        real = self.timeline.to_real(step.at)
        self.story.started(utcnow() - real)
        try:
            await getattr(self, f"do_{step.kind}")(step)
        except Exception as exc:  # one failed action must not end the demo
            log.debug("step %s failed", step, exc_info=True)
            self.refused(f"{step.kind} (the demo failed: {type(exc).__name__}: {exc})", "", None)

    async def finish(self) -> None:
        """Wait for the program's last posts and for the rehearsal to end."""
        end = self.session.ends_at
        assert end is not None
        await self.reach(end)
        self.stage = end
        deadline = time.monotonic() + POST_LIMIT + self.timeline.grace().total_seconds()
        while self.bot.runs[self.session.id].ended_at is None:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(POLL)
        try:
            await self.env.settle(timeout=1.0)
        except TimeoutError:
            log.debug("the simulated Discord was still busy at the end", exc_info=True)
        self.out.finish_bar()

    async def reach(self, moment: datetime) -> None:
        """Wait until `moment` (program time) comes, showing the posts due by then, in order."""
        due = self.timeline.to_real(moment)
        while True:
            waiting = await self.posts.show(due)
            now = utcnow()
            self.tick()
            if now >= due and not waiting:
                return
            wait = POLL if now >= due else min(POLL * 5, (due - now).total_seconds())
            await asyncio.sleep(wait)
