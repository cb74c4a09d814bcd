"""The script of the offline demo: who is in the room, who asks what and when, what moderators do.

Everything here is pure and seeded: the same seed, speed and number of participants give the same
script. Times are *session times* (the program as written, in UTC); the demo converts them to
real times with the bot's Timeline when it plays them.

The script follows the session file: questions are asked during the segment the data file names,
the moderator reviews each one a little later (approves it, rejects it, merges a duplicate into
the question it repeats, labels it), participants vote for approved questions (a few questions
become popular), one participant withdraws a question, and during the Q&A segment the moderator
puts questions on screen with `/qa next`.

Intake rules are respected by construction: nobody asks more questions than the pending limit
allows, and someone asks again only once the cooldown (real time) has surely passed. When there
are too few participants for that at this speed, the script still names the person whose
cooldown ends first and counts such asks in `cooldown_waits`; the demo refuses to play such a
script, since waiting for a cooldown would put everyone after it behind the program.

No step falls in the *blind spot* just before a program post (`BLIND_SPOT` of real time): a step
there is moved back to the start of the blind spot (never before the post preceding it), so every
action is done and settled before the post after it is due, and the posts always see the same
log. The blind spot depends on the speed, like the cooldown: the same arguments still give the
same script.
"""

from __future__ import annotations

import bisect
import math
import random
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from bot.program import REMINDED_KINDS
from bot.sessions import Session
from demo.people import Person, make_people

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS_FILE = ROOT / "data" / "demo_questions.toml"
SESSION_FILE = ROOT / "config" / "sessions" / "gsef2021-inclusive-society.toml"

#: Real seconds added to the session's cooldown before the script lets someone ask again.
COOLDOWN_MARGIN = 5.0
#: Real time before each program post in which no step is played (see the module docstring).
BLIND_SPOT = timedelta(seconds=0.5)

StepKind = Literal[
    "ask", "approve", "reject", "merge", "label", "withdraw", "vote", "queue", "next", "answered"
]


class ScriptError(Exception):
    """The demo cannot be scripted as asked; the message says why in one sentence."""


# ------------------------------------------------------------------------------ questions


@dataclass(frozen=True, slots=True)
class DemoQuestion:
    """One question of the data file (`index` is its 0-based position, as duplicate_of uses)."""

    index: int
    text: str
    segment: str
    lang: str
    speaker: str | None = None
    label: str | None = None
    anonymous: bool = False
    duplicate_of: int | None = None
    reject: bool = False


_KEYS = {"text", "segment", "lang", "speaker", "label", "anonymous", "duplicate_of", "reject"}


def load_questions(session: Session, path: Path = QUESTIONS_FILE) -> list[DemoQuestion]:
    """Read and check the demo's questions against the session they are asked in."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScriptError(f"{path}: cannot read the demo questions ({exc})") from None
    items = raw.get("questions")
    if not isinstance(items, list) or not items:
        raise ScriptError(f"{path}: no [[questions]] found")
    segments = {slot.id for slot in session.slots}
    out: list[DemoQuestion] = []
    for i, item in enumerate(items):
        where = f"{path}: questions[{i}]"
        unknown = set(item) - _KEYS
        if unknown:
            raise ScriptError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        try:
            q = DemoQuestion(
                index=i,
                text=str(item["text"]).strip(),
                segment=str(item["segment"]),
                lang=str(item["lang"]),
                speaker=item.get("speaker"),
                label=item.get("label"),
                anonymous=bool(item.get("anonymous", False)),
                duplicate_of=item.get("duplicate_of"),
                reject=bool(item.get("reject", False)),
            )
        except KeyError as exc:
            raise ScriptError(f"{where}: missing key {exc.args[0]!r}") from None
        if not q.text:
            raise ScriptError(f"{where}: empty text")
        if q.segment not in segments:
            raise ScriptError(f"{where}: segment {q.segment!r} is not in {session.id}")
        if q.speaker is not None and session.speaker(q.speaker) is None:
            raise ScriptError(f"{where}: speaker {q.speaker!r} is not in {session.id}")
        if q.label is not None and session.label(q.label) is None:
            raise ScriptError(f"{where}: label {q.label!r} is not in {session.id}")
        if q.duplicate_of is not None and not 0 <= q.duplicate_of < i:
            raise ScriptError(f"{where}: duplicate_of must name an earlier question")
        out.append(q)
    for q in out:
        if q.duplicate_of is not None:
            original = out[q.duplicate_of]
            if original.reject or original.duplicate_of is not None:
                raise ScriptError(
                    f"{path}: questions[{q.index}] repeats questions[{original.index}], "
                    "which is itself rejected or a duplicate"
                )
    return out


# ------------------------------------------------------------------------------ the script


@dataclass(frozen=True, slots=True)
class Step:
    """One thing someone does, at a session time. `question` is a data-file index."""

    at: datetime
    seq: int
    kind: StepKind
    question: int | None = None
    person: int | None = None  # participant index (askers, voters, the one who withdraws)
    into: int | None = None  # merge: the data-file index of the question kept
    speaker: str | None = None  # next: only questions for this speaker
    label: str | None = None
    reason: str | None = None

    @property
    def sort_key(self) -> tuple[datetime, int]:
        return (self.at, self.seq)


@dataclass
class Script:
    """The whole demo: people, questions, and every step in the order they happen."""

    people: list[Person]
    questions: list[DemoQuestion]
    steps: list[Step]
    askers: dict[int, int] = field(default_factory=dict)  # question index -> person index
    withdrawn: int | None = None  # the data-file index of the withdrawn question
    cooldown_waits: int = 0  # asks where someone would wait for their cooldown (refused)
    cooldown_delay: float = 0.0  # about how many real seconds those waits would add

    def count(self, kind: StepKind) -> int:
        return sum(1 for s in self.steps if s.kind == kind)


def min_participants(questions: list[DemoQuestion], max_pending: int) -> int:
    """The fewest participants that can ask every question without hitting the pending limit."""
    return max(2, math.ceil(len(questions) / max(1, max_pending)))


def _reject_reason(text: str) -> str:
    lowered = text.lower()
    if "@" in text or "email" in lowered:
        return "personal contact details; not a question for the panel"
    if "platform" in lowered or "our company" in lowered:
        return "advertising"
    if "audio" in lowered or "too slow" in lowered:
        return "technical complaint, passed to the organizers"
    return "off-topic for the panel"


def _seconds(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=round(rng.uniform(low, high)))


def build_script(
    session: Session,
    questions: list[DemoQuestion],
    *,
    participants: int,
    seed: int,
    speed: float,
) -> Script:
    """Write the demo's script: the same arguments always give the same script."""
    rules = session.spec.questions
    if participants < min_participants(questions, rules.max_pending_per_user):
        need = min_participants(questions, rules.max_pending_per_user)
        raise ScriptError(
            f"{len(questions)} questions need at least {need} participants (each may have at "
            f"most {rules.max_pending_per_user} questions waiting); got {participants}."
        )
    if speed <= 0:
        raise ScriptError("The speed must be positive.")
    rng = random.Random(seed)
    people = make_people(participants, random.Random(f"{seed}:people"))
    slots = {slot.id: slot for slot in session.slots}
    steps: list[Step] = []
    seq = 0

    def add(at: datetime, kind: StepKind, **kw: object) -> Step:
        nonlocal seq
        seq += 1
        step = Step(at, seq, kind, **kw)  # type: ignore[arg-type]
        steps.append(step)
        return step

    # --- when each question is asked: a seeded moment within its segment
    asked_at: dict[int, datetime] = {}
    for q in questions:
        slot = slots[q.segment]
        length = (slot.end - slot.start).total_seconds()
        kind = slot.segment.kind
        if kind == "qa":  # leave time to pick them
            low, high = 15.0, max(30.0, length - 150.0)
        elif kind == "discussion":
            low, high = 30.0, length - 60.0
        else:  # during the talk, once the speaker is under way
            low, high = min(60.0, length / 4), length - 20.0
        asked_at[q.index] = slot.start + _seconds(rng, low, high)
    for q in questions:  # a duplicate comes after the question it repeats
        first = q.duplicate_of
        if first is None or asked_at[q.index] > asked_at[first]:
            continue
        if questions[first].segment == q.segment:  # the same segment: the other way round
            asked_at[q.index], asked_at[first] = asked_at[first], asked_at[q.index]
        if asked_at[q.index] <= asked_at[first]:
            asked_at[q.index] = asked_at[first] + timedelta(seconds=20)

    # --- who asks: cooldown and pending limit respected, language matched when possible
    order = sorted(questions, key=lambda q: (asked_at[q.index], q.index))
    askers: dict[int, int] = {}
    last: dict[int, datetime] = {}
    asked: dict[int, int] = {}
    gap = timedelta(seconds=(rules.cooldown_seconds + COOLDOWN_MARGIN) * speed)
    waits = 0
    for q in order:
        at = asked_at[q.index]
        room = [p for p in people if asked.get(p.index, 0) < rules.max_pending_per_user]
        free = [p for p in room if p.index not in last or at - last[p.index] >= gap]
        if free:
            fluent = [p for p in free if q.lang in p.langs] or free
            weights = [p.talkative * 0.25 ** asked.get(p.index, 0) for p in fluent]
            person = rng.choices(fluent, weights)[0]
        else:  # too few people for this speed: the one whose cooldown ends first
            person = min(room, key=lambda p: (last.get(p.index, at), p.index))
            waits += 1
        askers[q.index] = person.index
        last[person.index] = at
        asked[person.index] = asked.get(person.index, 0) + 1

    # --- the one question withdrawn by its asker (before anyone reviews it)
    originals = {q.duplicate_of for q in questions if q.duplicate_of is not None}
    candidates = [
        q
        for q in questions
        if slots[q.segment].segment.kind in ("talk", "discussion")
        and not q.reject
        and q.duplicate_of is None
        and q.index not in originals
    ]
    withdrawn = rng.choice(candidates).index if candidates else None

    for q in order:
        add(asked_at[q.index], "ask", question=q.index, person=askers[q.index])

    # --- moderation: each question reviewed a little after it is asked
    approved_at: dict[int, datetime] = {}
    for q in order:
        at = asked_at[q.index]
        if q.index == withdrawn:
            add(at + _seconds(rng, 15, 35), "withdraw", question=q.index, person=askers[q.index])
            continue
        in_qa = slots[q.segment].segment.kind == "qa"
        review = at + (_seconds(rng, 20, 50) if in_qa else _seconds(rng, 45, 150))
        if q.reject:
            add(review, "reject", question=q.index, reason=_reject_reason(q.text))
        elif q.duplicate_of is not None:
            add(review, "merge", question=q.index, into=q.duplicate_of)
        else:
            add(review, "approve", question=q.index)
            approved_at[q.index] = review
            if q.label is not None:
                add(review + timedelta(seconds=5), "label", question=q.index, label=q.label)

    # --- votes: after approval, skewed so that a few questions are popular
    closes = session.intake_window[1] or session.ends_at
    assert closes is not None
    last_vote = closes - timedelta(seconds=60)
    co_askers: dict[int, set[int]] = {}
    for q in questions:
        if q.duplicate_of is not None:
            co_askers.setdefault(q.duplicate_of, set()).add(askers[q.index])
    cap = max(1, int(0.45 * (len(people) - 1)))
    for index in sorted(approved_at, key=lambda i: (approved_at[i], i)):
        q = questions[index]
        excluded = {askers[index], *co_askers.get(index, set())}
        pool = [p.index for p in people if p.index not in excluded]
        wanted = min(cap, len(pool), int(rng.paretovariate(1.3) * 2.2))
        in_qa = slots[q.segment].segment.kind == "qa"
        mean = 45.0 if in_qa else 240.0
        for voter in rng.sample(pool, wanted):
            at = approved_at[index] + timedelta(seconds=round(5 + rng.expovariate(1 / mean)))
            if at < last_vote:
                add(at, "vote", question=index, person=voter)

    # --- the Q&A segment: the queue, then questions on screen one after another
    qa = next((s for s in session.slots if s.segment.kind == "qa"), None)
    if qa is not None:
        length = (qa.end - qa.start).total_seconds()
        add(qa.start + timedelta(seconds=20), "queue")
        picks = 8
        spacing = (length - 90) / picks
        panel = [s.id for s in session.spec.speakers]
        targeted = set(rng.sample(range(1, picks), 2)) if panel and picks > 2 else set()
        for n in range(picks):
            at = qa.start + timedelta(seconds=round(60 + n * spacing))
            speaker = rng.choice(panel) if n in targeted else None
            add(at, "next", speaker=speaker)
        add(qa.end - timedelta(seconds=30), "answered")

    steps.sort(key=lambda s: s.sort_key)
    steps = _away_from_posts(steps, post_times(session), BLIND_SPOT * speed)
    delay = _cooldown_delay(steps, rules.cooldown_seconds, speed) if waits else 0.0
    return Script(people, questions, steps, askers, withdrawn, waits, delay)


def post_times(session: Session) -> list[datetime]:
    """The session times at which the bot posts something on its own, in order: each segment's
    start, the reminders before Q&A and discussion segments, intake opening and closing."""
    times = {slot.start for slot in session.slots}
    ahead = timedelta(minutes=session.spec.schedule.reminder_minutes)
    if ahead:
        times |= {s.start - ahead for s in session.slots if s.segment.kind in REMINDED_KINDS}
    times |= {t for t in session.intake_window if t is not None}
    return sorted(times)


def _away_from_posts(steps: list[Step], posts: list[datetime], blind: timedelta) -> list[Step]:
    """Move the steps out of the blind spot before each post, keeping their order.

    Between two posts at `before` and `after`, the stretch [after - 2·blind, after) is squeezed
    into [after - 2·blind, after - blind): strictly increasing, so steps keep their order and
    stay between the same two posts. A stretch shorter than the blind spot holds its steps at
    its start.
    """
    out: list[Step] = []
    for step in steps:
        i = bisect.bisect_right(posts, step.at)
        if i == 0 or i == len(posts):
            out.append(step)  # before the first post or after the last: nothing to keep clear
            continue
        before, after = posts[i - 1], posts[i]
        start = max(before, after - 2 * blind)
        if step.at < start:
            out.append(step)
            continue
        room = after - blind - start
        at = start + (step.at - start) * (room / (after - start)) if room > timedelta(0) else start
        out.append(replace(step, at=at))
    return out


def _cooldown_delay(steps: list[Step], cooldown: float, speed: float) -> float:
    """Estimate the real seconds the player spends waiting for cooldowns (everyone keeps order,
    so a wait delays every later step)."""
    asks = [s for s in steps if s.kind == "ask"]
    if not asks:
        return 0.0
    origin, shift = asks[0].at, 0.0
    last: dict[int, float] = {}
    for step in asks:
        assert step.person is not None
        planned = (step.at - origin).total_seconds() / speed + shift
        ready = last.get(step.person, -math.inf) + cooldown
        if ready > planned:
            shift += ready - planned
            planned = ready
        last[step.person] = planned
    return shift


def fewest_participants(
    session: Session, questions: list[DemoQuestion], *, seed: int, speed: float
) -> int:
    """The fewest participants for whom the script at this speed needs no cooldown waits."""
    rules = session.spec.questions
    for count in range(min_participants(questions, rules.max_pending_per_user), len(questions)):
        script = build_script(session, questions, participants=count, seed=seed, speed=speed)
        if not script.cooldown_waits:
            return count
    return len(questions)  # everyone asks at most once: nobody ever waits
