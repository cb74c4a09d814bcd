"""What each step of the script does: the action a person takes, and what the log shows of it.

A step is done through SimCord as a person would do it (a slash command, a button click); its
outcome is read from the bot's core and log (`questions.mine`, `get`, `live`, `queue`), never
from the bot's wording, which is only shown as the reason of a refusal. Each outcome goes into
the story (demo.story) and, as one line, into the transcript.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.program import Timeline
from bot.sessions import Session
from bot.states import VOTABLE, State
from bot.storage.questions_repo import Question
from bot.timeutil import utcnow
from demo.effects import ANSWER_LIMIT, POLL, VOTE_ID, Acted, act, components
from demo.posts import ProgramPosts
from demo.script import DemoQuestion, Script, Step
from demo.story import Story
from demo.transcript import Transcript, one_line
from demo.world import World, moderator_name

if TYPE_CHECKING:
    import simcord

    from bot.app import QABot

log = logging.getLogger(__name__)


VOTE_LINE_EVERY = 40  # votes summarised in one transcript line


class Actions:
    """The steps of the script, and the state the demo keeps about what they did."""

    def __init__(
        self,
        env: simcord.Env,
        bot: QABot,
        session: Session,
        script: Script,
        world: World,
        transcript: Transcript,
    ) -> None:
        self.env = env
        self.bot = bot
        self.session = session
        self.script = script
        self.world = world
        self.out = transcript
        self.story = Story(planned=len(script.steps))
        self.moderator = moderator_name(session)
        self.numbers: dict[int, int] = {}  # data-file index -> question number
        self.votes: dict[int, int] = {}  # question number -> its votes, as last read
        self.total = 0  # votes in the log (clicks and merges)
        self.since_line = 0  # votes not yet summarised in a line
        self.last_ask: dict[int, float] = {}  # person -> when their last ask was answered
        self.posts = ProgramPosts(
            env, bot.schedule, session, world, transcript, self.story, self.flush_votes
        )
        assert session.starts_at is not None and session.ends_at is not None
        self.stage: datetime = session.starts_at  # the program time lines are stamped with

    # -- clocks

    @property
    def run_id(self) -> int:
        return int(self.bot.runs[self.session.id].id)

    @property
    def timeline(self) -> Timeline:
        return self.bot.timeline(self.session.id)

    def clock(self, moment: datetime | None = None) -> str:
        return f"{(moment or self.stage).astimezone(self.session.zone):%H:%M}"

    # -- acting, and reading what it did

    def in_order(self, step: Step) -> bool:
        """Whether it is still before the next program post after this step's time."""
        after = self.posts.next_after(self.timeline.to_real(step.at))
        return after is None or utcnow() < after

    def took_effect(self, step: Step, acted: Acted, what: str) -> None:
        self.story.took_effect(step, acted.seconds, in_order=self.in_order(step), what=what)

    def mod(self, command: str, **options: Any) -> Awaitable[Any]:
        return self.world.moderator.slash(self.world.moderation, command, **options)

    def person(self, index: int | None) -> simcord.MemberActor:
        assert index is not None
        return self.world.people[index]

    def question(self, index: int | None) -> DemoQuestion:
        assert index is not None
        return self.script.questions[index]

    def number(self, index: int | None) -> int | None:
        return self.numbers.get(index) if index is not None else None

    async def get(self, number: int) -> Question | None:
        return await self.bot.questions.get(self.run_id, number)

    async def in_state(self, number: int, state: State) -> Question | None:
        q = await self.get(number)
        return q if q is not None and q.state == state else None

    # -- steps

    async def do_ask(self, step: Step) -> None:
        q, member = self.question(step.question), self.person(step.person)
        await self.wait_cooldown(member.id)
        options: dict[str, Any] = {"question": q.text}
        if q.speaker:
            options["speaker"] = q.speaker
        if q.anonymous:
            options["anonymous"] = True
        core, run_id = self.bot.questions, self.run_id
        before = {x.id for x in await core.mine(run_id, member.id)}

        async def asked() -> Question | None:
            new = [x for x in await core.mine(run_id, member.id) if x.id not in before]
            return new[-1] if new else None

        acted = await act(lambda: member.slash(self.world.questions, "ask", **options), asked)
        self.last_ask[member.id] = time.monotonic()
        stored: Question | None = acted.found
        if stored is None:
            return self.refused("a participant's question was not taken", acted.answer, acted)
        assert step.question is not None
        self.numbers[step.question] = stored.number
        who = stored.author_name if not stored.anonymous and stored.author_name else "anonymous"
        speaker = self.session.speaker(stored.speaker_id)
        to = f"to {speaker.name}" if speaker else "to the panel"
        self.event("❓", f"#{stored.number} [{q.lang}] {to} · {who}: {stored.text}")
        self.took_effect(step, acted, f"#{stored.number} asked")

    async def wait_cooldown(self, person: int) -> None:
        """The script leaves every asker their cooldown; a player running late may not."""
        last = self.last_ask.get(person)
        if last is None:
            return
        ready = last + self.session.spec.questions.cooldown_seconds + 0.25
        await asyncio.sleep(max(0.0, ready - time.monotonic()))

    async def moved(
        self,
        step: Step,
        action: Callable[[int], Awaitable[Any]],
        state: State,
        what: str,
        line: Callable[[int], str],
    ) -> Question | None:
        """A step that moves its question to `state`; the question after it, if it did."""
        number = self.number(step.question)
        if number is None:
            self.skipped(step)
            return None
        acted = await act(lambda: action(number), lambda: self.in_state(number, state))
        if acted.found is None:
            self.refused(f"{what} #{number}", acted.answer, acted)
            return None
        icon, text = line(number).split(" ", 1)
        self.event(icon, text)
        self.took_effect(step, acted, f"#{number} {state}")
        return acted.found

    async def do_approve(self, step: Step) -> None:
        q = await self.moved(
            step,
            lambda n: self.mod("qa approve", number=n),
            State.APPROVED,
            "approve",
            lambda n: f"✅ #{n} approved by {self.moderator}",
        )
        if q is not None:
            self.votes[q.number] = q.votes

    async def do_reject(self, step: Step) -> None:
        reason = {"reason": step.reason} if step.reason else {}
        await self.moved(
            step,
            lambda n: self.mod("qa reject", number=n, **reason),
            State.REJECTED,
            "reject",
            lambda n: f"⛔ #{n} rejected ({step.reason})",
        )

    async def do_withdraw(self, step: Step) -> None:
        member = self.person(step.person)
        await self.moved(
            step,
            lambda n: member.slash(self.world.questions, "withdraw", number=n),
            State.WITHDRAWN,
            "withdraw",
            lambda n: f"↩ #{n} withdrawn by its asker",
        )

    async def do_merge(self, step: Step) -> None:
        number, into = self.number(step.question), self.number(step.into)
        if number is None or into is None:
            return self.skipped(step)
        duplicate, kept = await self.get(number), await self.get(into)
        assert duplicate is not None and kept is not None

        async def merged() -> Question | None:
            q = await self.in_state(number, State.MERGED)
            return q if q is not None and q.merged_into == kept.id else None

        acted = await act(lambda: self.mod("qa merge", number=number, into=into), merged)
        if acted.found is None:
            return self.refused(f"merge #{number} into #{into}", acted.answer, acted)
        after = await self.get(into)
        assert after is not None
        carried = after.votes - kept.votes - duplicate.votes  # the votes merging added
        self.story.merge_carried(carried)
        self.total += carried
        self.votes.pop(number, None)
        self.votes[into] = after.votes
        more = "" if not carried else f" ({plural(carried, 'vote')} carried over)"
        self.event("🔗", f"#{number} merged into #{into}, the same question asked earlier{more}")
        self.took_effect(step, acted, f"#{number} merged")

    async def do_label(self, step: Step) -> None:
        number, label = self.number(step.question), step.label
        if number is None or label is None:
            return self.skipped(step)

        async def labelled() -> Question | None:
            q = await self.get(number)
            return q if q is not None and q.label_id == label else None

        acted = await act(lambda: self.mod("qa label", number=number, label=label), labelled)
        if acted.found is None:
            return self.refused(f"label #{number}", acted.answer, acted)
        found = self.session.label(label)
        self.event("🏷", f"#{number} labelled {found.name if found else label}")
        self.took_effect(step, acted, f"#{number} labelled")

    async def do_vote(self, step: Step) -> None:
        number = self.number(step.question)
        if number is None:
            return self.skipped(step)
        q = await self.vote_message(number, step)
        if q is None or q.vote_message_id is None:
            return
        member = self.person(step.person)
        stored = self.env.backend.get_message(self.world.questions.id, q.vote_message_id)
        custom_id = VOTE_ID.format(q.id)
        if not any(c.get("custom_id") == custom_id for c in components(stored.components)):
            return self.story.vote_not_cast("its message had no vote button")
        from simcord.results import to_discord_message

        message = to_discord_message(self.env, stored)

        async def counted() -> Question | None:
            now = await self.get(number)
            return now if now is not None and now.votes == q.votes + 1 else None

        acted = await act(lambda: member.click(message, custom_id=custom_id), counted)
        if acted.found is None:
            return self.refused(f"vote for #{number}", acted.answer, acted)
        self.story.clicks += 1
        self.total += 1
        self.since_line += 1
        self.votes[number] = acted.found.votes
        self.took_effect(step, acted, f"a vote for #{number}")
        if self.since_line >= VOTE_LINE_EVERY:
            self.flush_votes()

    async def vote_message(self, number: int, step: Step) -> Question | None:
        """The question, once its public message (with the vote button) is posted; None (and
        the reason recorded) if nobody can vote for it."""
        after = self.posts.next_after(self.timeline.to_real(step.at))
        give_up = time.monotonic() + ANSWER_LIMIT
        while True:
            q = await self.get(number)
            if q is None or q.state not in VOTABLE:
                self.story.vote_not_cast("voting on its question had ended")
                return None
            if q.vote_message_id is not None:
                return q
            if time.monotonic() > give_up or (after is not None and utcnow() >= after):
                self.story.vote_not_cast("its question's message was not posted in time")
                return None
            await asyncio.sleep(POLL)

    async def do_queue(self, step: Step) -> None:
        self.flush_votes()
        core, run_id = self.bot.questions, self.run_id
        acted = await act(lambda: self.mod("qa queue"), lambda: core.queue(run_id))
        top = " · ".join(f"#{q.number} 👍{q.votes}" for q in acted.found.top[:5]) or "empty"
        self.event("📋", f"{self.moderator} opens the queue: {top}")
        self.took_effect(step, acted, "the queue opened")

    async def do_next(self, step: Step) -> None:
        self.flush_votes()
        core, run_id = self.bot.questions, self.run_id
        before: Question | None = await core.live(run_id)
        options: dict[str, Any] = {"speaker": step.speaker} if step.speaker else {}

        async def on_screen() -> Question | None:
            now: Question | None = await core.live(run_id)
            return now if now is not None and (before is None or now.id != before.id) else None

        acted = await act(lambda: self.mod("qa next", **options), on_screen)
        speaker = self.session.speaker(step.speaker)
        whom = f" for {speaker.name}" if speaker else ""
        if acted.found is None:
            self.refused(f"/qa next{whom}", acted.answer, acted)
            return
        q: Question = acted.found
        done = ""
        if before is not None:
            previous = await core.get_by_id(before.id)
            if previous is not None and previous.state == State.ANSWERED:
                done = f"; #{before.number} is marked answered"
        self.event("🎙", f"{self.moderator}: /qa next{whom} → #{q.number} on screen{done}")
        for_whom = self.session.speaker(q.speaker_id)
        asker = "Anonymous" if q.anonymous else (q.author_name or "?")
        self.event(
            "📺",
            f"On screen: #{q.number} · for {for_whom.name if for_whom else 'Anyone'} · "
            f"👍 {q.votes} · asked by {asker}: {q.text}",
        )
        self.took_effect(step, acted, f"#{q.number} on screen")

    async def do_answered(self, step: Step) -> None:
        core, run_id = self.bot.questions, self.run_id
        live: Question | None = await core.live(run_id)

        async def answered() -> Question | None:
            if live is None:
                return None
            q: Question | None = await core.get_by_id(live.id)
            return q if q is not None and q.state == State.ANSWERED else None

        acted = await act(lambda: self.mod("qa answered"), answered)
        if acted.found is None or live is None:
            return self.refused("/qa answered", acted.answer, acted)
        self.event("✔", f"#{live.number} marked answered by {self.moderator}")
        self.took_effect(step, acted, f"#{live.number} answered")

    # -- what people see

    def event(self, icon: str, text: str) -> None:
        self.out.event(self.clock(), icon, text)

    def note(self, text: str) -> None:
        self.out.event(self.clock(), "⚠", text)

    def refused(self, what: str, answer: str, acted: Acted | None) -> None:
        self.story.was_refused(what, one_line(answer), acted.seconds if acted else 0.0)
        self.note(f"{what}: refused: {one_line(answer)}" if answer else f"{what}: refused")

    def skipped(self, step: Step) -> None:
        self.story.skipped.append(f"{step.kind}: its question was never taken")

    def flush_votes(self) -> None:
        if not self.since_line:
            return
        ranked = sorted(self.votes.items(), key=lambda item: (-item[1], item[0]))[:3]
        top = " · ".join(f"#{n} ({v})" for n, v in ranked)
        votes = plural(self.since_line, "vote")
        self.event("👍", f"{votes} (total {self.total}); most voted: {top}")
        self.since_line = 0


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
