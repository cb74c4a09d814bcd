"""Who may do what: every command and button × participant, moderator, organizer, Manage Server.

The documented rules (README, "For participants" / "For moderators" / "For organizers"):
participants may /ask, /myquestions, /withdraw their own questions, vote and see /program;
moderators (the Moderator role, the Organizer role, or Manage Server) may also use every /qa
command except export, /schedule delay and /schedule status, and the card buttons; organizers
(the Organizer role or Manage Server) may also /qa export.

Each case starts from the same staged session, lets one person try one thing, and checks that
an allowed action did what it says and that a refused one answered with one short ephemeral
message and changed nothing: the whole database and every channel's public history are the
same before and after.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
import pytest
import simcord
from simcord.backend.models.channel import Overwrite
from simcord.enums import OverwriteType

from tests.conftest import Clock
from tests.q_world import QA, said

PARTICIPANT, MODERATOR, ORGANIZER, MANAGER = "participant", "moderator", "organizer", "manager"
ROLES = (PARTICIPANT, MODERATOR, ORGANIZER, MANAGER)
# Manage Server counts as an organizer, and alone may run /qa setup
RANK = {PARTICIPANT: 0, MODERATOR: 1, ORGANIZER: 2, MANAGER: 3}
NEEDS = {
    0: None,
    1: "Only moderators can do this",
    2: "Only organizers can do this",
    3: "Only members with Manage Server can run /qa setup",
}


@dataclass
class Stage:
    """The staged session every case starts from.

    #1 bob, pending · #2 carol, approved (vote message) · #3 dave, approved · #4 erin, live ·
    #5 the actor's own, pending; frank is blocked, gina is not.
    """

    qa: QA
    actor: simcord.MemberActor
    people: dict[str, simcord.MemberActor]

    @property
    def w(self) -> Any:
        return self.qa.world

    def qid(self, number: int) -> int:
        return int(self.qa.rows("SELECT id FROM questions WHERE number = ?", number)[0][0])


def _actor(qa: QA, role: str) -> simcord.MemberActor:
    w = qa.world
    if role == PARTICIPANT:
        return w.alice
    if role == MODERATOR:
        return w.mod
    if role == ORGANIZER:
        return w.org
    admin = w.guild.create_role("Server admin", permissions=discord.Permissions(manage_guild=True))
    return w.guild.add_member(w.env.create_user("sam"), roles=[admin])


def _let_see_moderation(qa: QA, who: simcord.MemberActor) -> None:
    """As if the server were misconfigured: the actor can see the moderation channel (so a
    participant can reach the card buttons; roles alone must not be what protects them)."""
    backend = qa.env.backend
    channel = backend.get_channel(qa.world.moderation.id)
    allow = discord.Permissions(view_channel=True, read_message_history=True)
    overwrite = Overwrite(target_id=who.id, type=OverwriteType.MEMBER, allow=allow.value, deny=0)
    backend.edit_channel(channel.id, {}, overwrites=[*channel.overwrites, overwrite])


async def stage(qa: QA, clock: Clock, role: str) -> Stage:
    w = qa.world
    people = {name: w.participant(name) for name in ("dave", "erin", "frank", "gina")}
    actor = _actor(qa, role)
    _let_see_moderation(qa, actor)
    await w.env.settle()
    for who, text in (
        (w.bob, "Who funds the housing?"),
        (w.carol, "How are women included?"),
        (people["dave"], "How are women included?"),  # a duplicate of #2: its card can merge
        (people["erin"], "Is the data open?"),
        (actor, "My own question?"),
    ):
        assert "Thanks!" in said(await qa.ask(who, text))
    for number in (2, 3, 4):
        await w.mod2.slash(w.moderation, "qa approve", number=number)
    await w.mod2.slash(w.moderation, "qa pick", number=4)
    await w.mod2.slash(w.moderation, "qa block", user=people["frank"])
    assert [qa.state(n) for n in range(1, 6)] == [
        "pending",
        "approved",
        "approved",
        "live",
        "pending",
    ]
    clock.advance(seconds=31)  # past the actor's cooldown, so /ask is not refused for it
    await w.env.settle()
    return Stage(qa, actor, people)


# ---------------------------------------------------------------- what each action does

Do = Callable[[Stage], Awaitable[Any]]
Check = Callable[[Stage, Any], None]


def _q(s: Stage, number: int, column: str) -> Any:
    return s.qa.rows(f"SELECT {column} FROM questions WHERE number = ?", number)[0][0]


def _run(s: Stage, column: str) -> Any:
    return s.qa.rows(f"SELECT {column} FROM runs WHERE kind = 'real'")[0][0]


def _blocked(s: Stage, who: simcord.MemberActor) -> bool:
    return bool(s.qa.rows("SELECT 1 FROM blocks WHERE user_id = ?", who.id))


def _replies(result: Any) -> list[Any]:
    return [m for m in [result.response, *result.followups] if m is not None]


def _click(label: str, number: int) -> Do:
    async def do(s: Stage) -> Any:
        return await s.actor.click(s.qa.card(number), custom_id=_card_id(s, label, number))

    return do


def _card_id(s: Stage, label: str, number: int) -> str:
    action = {"Approve": "approve", "Reject": "reject", "Block author": "block"}.get(
        label, "dismiss"
    )
    return f"qa:mod:{action}:{s.qid(number)}"


def _slash(name: str, **options: Any) -> Do:
    async def do(s: Stage) -> Any:
        resolved = {k: (s.people[v[1:]] if isinstance(v, str) and v[:1] == "@" else v)
                    for k, v in options.items()}  # fmt: skip
        return await s.actor.slash(s.w.questions, name, **resolved)

    return do


async def _instead(s: Stage) -> Any:
    asked = await s.actor.slash(s.w.questions, "ask", question="How are women included?")
    return await s.actor.click(asked.response, label="Vote for #2 instead")


async def _answer_card(s: Stage) -> Any:
    return await s.actor.click(s.qa.card(2), custom_id=f"qa:answer:{s.qid(2)}")


async def _edit_button(s: Stage) -> Any:
    mine = await s.actor.slash(s.w.questions, "myquestions")
    return await s.actor.click(mine.response, custom_id=f"qa:edit:{s.qid(5)}")


async def _merge(s: Stage) -> Any:
    return await s.actor.click(s.qa.card(3), custom_id=f"qa:merge:{s.qid(3)}:{s.qid(2)}")


async def _vote(s: Stage) -> Any:
    return await s.actor.click(s.qa.vote_message(2), custom_id=f"qa:vote:{s.qid(2)}")


ACTIONS: dict[str, tuple[int, Do, Check]] = {
    # participants
    "ask": (
        0,
        _slash("ask", question="From the matrix?"),
        lambda s, r: _expect(
            s.qa.rows("SELECT author_id FROM questions WHERE text = 'From the matrix?'")
            == [(s.actor.id,)]
        ),
    ),
    "myquestions": (
        0,
        _slash("myquestions"),
        lambda s, r: _expect("My own question?" in (r.response.embeds[0].description or "")),
    ),
    "withdraw": (
        0,
        _slash("withdraw", number=5),
        lambda s, r: _expect(s.qa.state(5) == "withdrawn"),
    ),
    "program": (0, _slash("program"), lambda s, r: _expect("Q&A" in said(r))),
    "vote": (
        0,
        _vote,
        lambda s, r: _expect(
            s.qa.rows("SELECT voter_id FROM votes WHERE question_id = ?", s.qid(2))
            == [(s.actor.id,)]
        ),
    ),
    "instead": (
        0,
        _instead,
        lambda s, r: _expect(
            s.qa.state(6) == "withdrawn"
            and (s.actor.id,)
            in s.qa.rows("SELECT voter_id FROM votes WHERE question_id = ?", s.qid(2))
        ),
    ),
    "edit": (0, _slash("edit", number=5), lambda s, r: _expect(r.modal is not None)),
    "edit button": (0, _edit_button, lambda s, r: _expect(r.modal is not None)),
    "notify": (
        0,
        _slash("notify", choice="on"),
        lambda s, r: _expect(
            s.qa.rows("SELECT own FROM notify_prefs WHERE user_id = ?", s.actor.id) == [(1,)]
        ),
    ),
    # moderators
    "qa reply": (1, _slash("qa reply", number=2), lambda s, r: _expect(r.modal is not None)),
    "card answer": (1, _answer_card, lambda s, r: _expect(r.modal is not None)),
    "qa themes": (
        1,
        _slash("qa themes"),
        lambda s, r: _expect(r.response.embeds[0].title == "Themes of the open questions"),
    ),
    "card merge": (1, _merge, lambda s, r: _state(s, 3, "merged")),
    "qa approve": (1, _slash("qa approve", number=1), lambda s, r: _state(s, 1, "approved")),
    "qa reject": (
        1,
        _slash("qa reject", number=1, reason="off topic"),
        lambda s, r: _state(s, 1, "rejected"),
    ),
    "qa edit": (
        1,
        _slash("qa edit", number=2, text="How are women and girls included?"),
        lambda s, r: _expect(_q(s, 2, "text") == "How are women and girls included?"),
    ),
    "qa merge": (1, _slash("qa merge", number=3, into=2), lambda s, r: _state(s, 3, "merged")),
    "qa label": (
        1,
        _slash("qa label", number=2, label="women"),
        lambda s, r: _expect(_q(s, 2, "label_id") == "women"),
    ),
    "qa queue": (
        1,
        _slash("qa queue"),
        lambda s, r: _expect((r.response.embeds[0].title or "").startswith("Queue")),
    ),
    "qa next": (
        1,
        _slash("qa next"),
        lambda s, r: _expect(s.qa.state(4) == "answered" and s.qa.state(2) == "live"),
    ),
    "qa pick": (1, _slash("qa pick", number=3), lambda s, r: _state(s, 3, "live")),
    "qa answered": (1, _slash("qa answered"), lambda s, r: _state(s, 4, "answered")),
    "qa dismiss": (
        1,
        _slash("qa dismiss", number=2, reason="covered"),
        lambda s, r: _state(s, 2, "dismissed"),
    ),
    "qa open": (1, _slash("qa open"), lambda s, r: _expect(_run(s, "intake_override") == "open")),
    "qa close": (
        1,
        _slash("qa close"),
        lambda s, r: _expect(_run(s, "intake_override") == "closed"),
    ),
    "qa block": (
        1,
        _slash("qa block", user="@gina"),
        lambda s, r: _expect(_blocked(s, s.people["gina"])),
    ),
    "qa unblock": (
        1,
        _slash("qa unblock", user="@frank"),
        lambda s, r: _expect(not _blocked(s, s.people["frank"])),
    ),
    "schedule delay": (
        1,
        _slash("schedule delay", minutes=5),
        lambda s, r: _expect(_run(s, "delay_seconds") == 300),
    ),
    "schedule status": (1, _slash("schedule status"), lambda s, r: _expect("Delay" in said(r))),
    "card approve": (1, _click("Approve", 1), lambda s, r: _state(s, 1, "approved")),
    "card reject": (1, _click("Reject", 1), lambda s, r: _state(s, 1, "rejected")),
    "card block": (
        1,
        _click("Block author", 1),
        lambda s, r: _expect(_blocked(s, s.w.bob) and s.qa.state(1) == "rejected"),
    ),
    "card dismiss": (1, _click("Dismiss", 2), lambda s, r: _state(s, 2, "dismissed")),
    "qa screen": (
        1,
        _slash("qa screen"),
        lambda s, r: _expect("presenter screen is off" in said(r)),  # no --screen in tests
    ),
    # organizers
    "qa doctor": (2, _slash("qa doctor"), lambda s, r: _expect("Set-up check" in said(r))),
    "qa setup": (3, _slash("qa setup"), lambda s, r: _expect("Nothing to create" in said(r))),
    "qa export": (
        2,
        _slash("qa export", format="json"),
        lambda s, r: _expect(
            [len(m.attachments) for m in _replies(r)] == [1] and _replies(r)[0].ephemeral
        ),
    ),
}


# speakers named in the session file may answer in writing too: the refusal says so
SPEAKERS_TOO = "Only moderators and the session's speakers can answer questions."
REFUSALS = {"qa reply": SPEAKERS_TOO, "card answer": SPEAKERS_TOO}

READ_ONLY = {
    "edit",
    "edit button",
    "qa reply",
    "card answer",
    "myquestions",
    "program",
    "qa queue",
    "schedule status",
    "qa export",
    "qa themes",
    "qa screen",
    "qa doctor",
    "qa setup",
}


def _expect(condition: bool) -> None:
    assert condition


def _state(s: Stage, number: int, state: str) -> None:
    assert s.qa.state(number) == state


# ------------------------------------------------------------------------ snapshots


def database(qa: QA) -> list[str]:
    """Every row of every table (SQL text), as another process would read the file."""
    with sqlite3.connect(qa.db_path) as conn:
        return list(conn.iterdump())


def histories(qa: QA) -> dict[str, list[Any]]:
    """What everyone can see in every channel: content, embeds and buttons of each message."""
    seen: dict[str, list[Any]] = {}
    for channel in qa.world.guild.channels.values():
        seen[str(channel.name)] = [
            (
                m.id,
                m.content,
                [e.to_dict() for e in m.embeds],
                json.dumps([c.to_dict() for c in m.components], sort_keys=True),
            )
            for m in channel.history()
        ]
    return seen


# documented: participants may not see /schedule status (a moderator command in the README);
# the schedule cog answers everyone, and tests/test_schedule.py relies on that
UNDOCUMENTED_ACCESS: set[tuple[str, str]] = set()


def _cases() -> list[Any]:
    cases = []
    for role in ROLES:
        for action in ACTIONS:
            marks = []
            if (role, action) in UNDOCUMENTED_ACCESS:
                marks.append(
                    pytest.mark.xfail(
                        strict=True,
                        reason="the README lists /schedule status for moderators; "
                        "cogs/schedule.py lets everyone use it",
                    )
                )
            cases.append(pytest.param(role, action, marks=marks, id=f"{role}-{action}"))
    return cases


@pytest.mark.parametrize(("role", "action"), _cases())
async def test_allowed_or_refused_as_documented(
    qa: QA, clock: Clock, role: str, action: str
) -> None:
    s = await stage(qa, clock, role)
    needed, do, check = ACTIONS[action]
    allowed = RANK[role] >= needed
    before_db, before_seen = database(qa), histories(qa)

    result = await do(s)
    await qa.env.settle()

    replies = _replies(result)
    words = " ".join(m.content for m in replies)
    if allowed:
        assert "Only moderators" not in words and "Only organizers" not in words, words
        check(s, result)
        after = (database(qa), histories(qa))
        if action in READ_ONLY:
            assert after == (before_db, before_seen), "a read changed something"
        else:
            assert after != (before_db, before_seen), "nothing happened"
    else:
        assert len(replies) == 1 and replies[0].ephemeral, replies
        refusal = REFUSALS.get(action, NEEDS[needed])
        assert refusal is not None and refusal in replies[0].content, replies[0].content
        assert len(replies[0].content) < 200
        assert database(qa) == before_db
        assert histories(qa) == before_seen
    qa.env.raise_errors()


def test_the_matrix_covers_every_command_and_button(qa_commands: set[str]) -> None:
    """Every slash command the bot registers, and every card button, is in the matrix."""
    buttons = {
        "card approve",
        "card reject",
        "card block",
        "card dismiss",
        "card merge",
        "card answer",
        "edit button",
        "vote",
        "instead",
    }
    assert set(ACTIONS) == qa_commands | buttons


@pytest.fixture
def qa_commands(qa: QA) -> set[str]:
    names: set[str] = set()
    for command in qa.world.bot.tree.get_commands():
        if isinstance(command, discord.app_commands.Group):
            names.update(f"{command.name} {sub.name}" for sub in command.commands)
        else:
            names.add(command.name)
    return names
