"""One session, one server: a stranger's server with the same channel names reaches nothing.

The bot is in the session's real server and in a stranger's server that has channels named
`questions`, `qa-moderation` and `session-live`, the two roles, and an owner with Manage Server.
The stranger's server is created before the bot starts (listed first) or after; the session is
pinned by `[discord] guild_id`, by the only server at the first start, or not at all.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord
from discord import app_commands

from bot.app import QABot
from bot.routing import UNPINNED
from tests.conftest import GSEF, World, build_world
from tests.q_world import grant_bot_moderation_access, said

REAL_ID = 1_300_000_000_000_000_001
SESSION = "gsef2021-inclusive-society"


def pinned_copy(tmp_path: Path, guild_id: int, source: Path = GSEF) -> Path:
    """The GSEF session file with `[discord] guild_id` set."""
    text = source.read_text("utf-8").replace("[discord]\n", f"[discord]\nguild_id = {guild_id}\n")
    path = tmp_path / source.name
    path.write_text(text, "utf-8")
    return path


@dataclass
class Stranger:
    guild: simcord.GuildHandle
    questions: simcord.ChannelHandle
    moderation: simcord.ChannelHandle
    live: simcord.ChannelHandle
    owner: simcord.MemberActor  # Manage Server and both roles
    member: simcord.MemberActor
    env: simcord.Env

    def messages(self) -> list[discord.Message]:
        return [m for c in (self.questions, self.moderation, self.live) for m in c.history()]


def build_stranger(env: simcord.Env) -> Stranger:
    guild = env.create_guild("A stranger's server")
    moderator = guild.create_role("Moderator")
    organizer = guild.create_role("Organizer")
    admin = guild.create_role("Admin", permissions=discord.Permissions(manage_guild=True))
    questions = guild.create_text_channel("questions")
    moderation = guild.create_text_channel("qa-moderation")
    live = guild.create_text_channel("session-live")
    owner = guild.add_member(env.create_user("mallory"), roles=[moderator, organizer, admin])
    member = guild.add_member(env.create_user("trent"))
    return Stranger(guild, questions, moderation, live, owner, member, env)


def count(db_path: Path, sql: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute(sql).fetchone()[0])


def log_state(db_path: Path) -> tuple[object, ...]:
    """Everything a stranger might try to change."""
    with sqlite3.connect(db_path) as conn:
        return (
            conn.execute("SELECT id, state, text FROM questions ORDER BY id").fetchall(),
            conn.execute("SELECT * FROM blocks").fetchall(),
            conn.execute("SELECT intake_override, delay_seconds FROM runs").fetchall(),
            conn.execute("SELECT COUNT(*) FROM question_events").fetchone(),
        )


def every_command(bot: discord.Client, stranger: Stranger) -> list[tuple[str, dict[str, Any]]]:
    """Every slash command the bot has, with a value for each required option (the first
    choice, 1, "1", False, a stranger's member or channel): commands added later are tried too."""
    assert isinstance(bot, QABot)
    values: dict[discord.AppCommandOptionType, Any] = {
        discord.AppCommandOptionType.integer: 1,
        discord.AppCommandOptionType.number: 1.0,
        discord.AppCommandOptionType.string: "1",
        discord.AppCommandOptionType.boolean: False,
        discord.AppCommandOptionType.user: stranger.member,
        discord.AppCommandOptionType.channel: stranger.questions,
    }
    tried = []
    for command in bot.tree.walk_commands():
        if not isinstance(command, app_commands.Command):
            continue
        options = {
            p.name: p.choices[0].value if p.choices else values[p.type]
            for p in command.parameters
            if p.required
        }
        tried.append((command.qualified_name, options))
    return tried


async def stranger_attacks(stranger: Stranger, db_path: Path) -> None:
    """Every command the stranger's owner and member try is refused; nothing is stored or
    posted, nothing is made in their server."""
    before = log_state(db_path)
    posted = len(stranger.messages())
    channels = len(stranger.guild.channels)
    commands = every_command(stranger.env.bot, stranger)
    assert len(commands) >= 25 and ("qa screen", {}) in commands
    for actor in (stranger.owner, stranger.member):
        for command, options in commands:
            result = await actor.slash(stranger.questions, command, **options)
            seen = [m for m in (result.response, *result.followups) if m is not None]
            assert seen, f"{command}: no answer"
            assert result.modal is None, f"{command}: a form"
            assert all(m.ephemeral for m in seen), f"{command}: a public answer"
            assert all(not m.attachments and not m.embeds for m in seen), f"{command}: {seen}"
            assert "belongs to no Q&A session" in seen[0].content, (command, seen[0].content)
    assert log_state(db_path) == before
    assert len(stranger.messages()) == posted
    assert len(stranger.guild.channels) == channels


# ----------------------------------------------------------------------- pinned by the file


@pytest.fixture
def config_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return pinned_copy(tmp_path, REAL_ID) if getattr(request, "param", False) else GSEF


@pytest.mark.parametrize("config_path", [True], indirect=True)
async def test_pinned_by_guild_id_with_a_stranger_listed_first(
    env: simcord.Env, db_path: Path
) -> None:
    stranger = build_stranger(env)  # created first: the bot sees it first
    world = build_world(env, guild_id=REAL_ID)
    await env.start()
    await grant_bot_moderation_access(world)
    assert [g.id for g in env.bot.guilds][-1] == REAL_ID
    # the program's catch-up posts went to the real live channel only
    assert any("Questions are open" in m.content for m in world.live.history())
    assert stranger.messages() == []
    # a real question: its card ("Asked by alice") in the real moderation channel only
    await world.alice.slash(world.questions, "ask", question="Who funds the care centres?")
    assert any(m.embeds and m.embeds[0].title == "Question #1" for m in world.moderation.history())
    assert stranger.messages() == []
    await stranger_attacks(stranger, db_path)
    assert count(db_path, "SELECT COUNT(*) FROM questions") == 1


# --------------------------------------------------------------- pinned at the first start


@pytest.mark.parametrize("config_path", [False], indirect=True)
async def test_the_only_server_at_start_is_pinned_and_a_later_server_is_never_served(
    env: simcord.Env,
    db_path: Path,
    make_bot: Callable[..., QABot],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    world = build_world(env)
    await env.start()
    await grant_bot_moderation_access(world)
    assert count(db_path, "SELECT guild_id FROM runs") == world.guild.id  # recorded
    assert any("pinned to server" in r.getMessage() for r in caplog.records)
    await world.alice.slash(world.questions, "ask", question="How is the registry kept?")

    stranger = build_stranger(env)  # the bot is invited to a second server after start
    await env.settle()
    joined = [r for r in caplog.records if "no session is served there" in r.getMessage()]
    assert len(joined) == 1
    await stranger_attacks(stranger, db_path)

    # a restart finds two servers: the pin recorded in the log holds
    await env.restart_bot(make_bot())
    await env.settle()
    await grant_bot_moderation_access(world)
    await world.bob.slash(world.questions, "ask", question="Who trains the volunteers?")
    titles = [m.embeds[0].title for m in world.moderation.history() if m.embeds]
    assert "Question #2" in titles
    await stranger_attacks(stranger, db_path)
    assert count(db_path, "SELECT COUNT(*) FROM questions") == 2


@pytest.mark.parametrize("config_path", [False], indirect=True)
async def test_several_servers_and_no_guild_id_serve_the_session_nowhere(
    env: simcord.Env, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    world = build_world(env)
    stranger = build_stranger(env)
    await env.start()
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("guild_id" in r.getMessage() and SESSION in r.getMessage() for r in warned)
    for actor, channel in ((world.alice, world.questions), (stranger.member, stranger.questions)):
        result = await actor.slash(channel, "ask", question="Is anyone there?")
        assert said(result) == str(UNPINNED)
    assert said(await world.mod.slash(world.moderation, "qa queue")) == str(UNPINNED)
    assert count(db_path, "SELECT COUNT(*) FROM questions") == 0
    assert count(db_path, "SELECT COUNT(*) FROM runs WHERE guild_id IS NOT NULL") == 0
    # nothing of the session was posted in either server
    everything = [m for c in world.guild.channels.values() for m in c.history()]
    assert everything == [] and stranger.messages() == []


# ------------------------------------------------------------------------ roles by identity


async def test_a_role_counts_by_its_exact_name_only(world: World) -> None:
    w = world
    w.env.backend.edit_role(w.guild.id, w.moderator_role.id, {"name": "moderator"})
    await w.env.settle()
    refused = said(await w.mod.slash(w.moderation, "qa queue"))
    assert refused.startswith("Only moderators can do this")
    assert "does not exist" in refused


async def test_two_roles_with_the_same_name_are_ambiguous_and_neither_counts(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    w = world
    w.guild.create_role("Moderator")  # a second role with the exact same name
    await w.env.settle()
    for _ in range(2):
        refused = said(await w.mod.slash(w.moderation, "qa queue"))
        assert refused.startswith("Only moderators can do this")
        assert "2 roles are named Moderator" in refused and "role's id" in refused
    told = [r for r in caplog.records if "2 roles have that exact name" in r.getMessage()]
    assert len(told) == 1  # organizers are told once, in the log
    # organizers (their own role) still moderate
    assert "Queue" in str(
        (await w.org.slash(w.moderation, "qa queue")).response.embeds[0].title  # type: ignore[union-attr]
    )


# ------------------------------------------------------- components belong to their run


@pytest.mark.parametrize("config_path", [False], indirect=True)
async def test_a_rehearsal_card_refuses_once_the_real_run_plays(
    db_path: Path, make_bot: Callable[..., QABot]
) -> None:
    from bot.timeutil import utcnow
    from tests.conftest import finish

    env = simcord.Env(make_bot(rehearse=1.0, clock=utcnow))
    world = build_world(env)
    await env.start()
    try:
        await grant_bot_moderation_access(world)
        await asyncio.sleep(1.2)  # the rehearsal's first segment, and intake, start
        asked = await world.alice.slash(world.questions, "ask", question="Rehearsal question?")
        assert "#1" in said(asked)
        card = next(m for m in world.moderation.history() if m.embeds)
        await env.restart_bot(make_bot())  # the real session starts
        await env.settle()
        before = log_state(db_path)
        posted = len(world.questions.history())
        result = await world.mod.click(card, label="Approve")
        assert "rehearsal or an earlier run that has ended" in said(result)
        assert log_state(db_path) == before
        assert len(world.questions.history()) == posted  # no "#1 REHEARSAL question" posted
    finally:
        await finish(env)


def two_sessions(tmp_path: Path) -> Path:
    """Two sessions in one server, each with its own questions channel and moderator role,
    sharing the moderation and live channels."""
    folder = tmp_path / "sessions"
    folder.mkdir()
    base = GSEF.read_text("utf-8")
    for letter in ("a", "b"):
        text = base.replace('id = "gsef2021-inclusive-society"', f'id = "session-{letter}"', 1)
        text = text.replace(
            'questions_channel = "questions"', f'questions_channel = "questions-{letter}"'
        )
        text = text.replace(
            'moderator_role = "Moderator"', f'moderator_role = "Moderator {letter.upper()}"'
        )
        (folder / f"session-{letter}.toml").write_text(text, "utf-8")
    return folder


async def test_a_moderator_of_another_session_cannot_act_on_a_card(
    db_path: Path, make_bot: Callable[..., QABot], tmp_path: Path
) -> None:
    from tests.conftest import finish

    env = simcord.Env(make_bot(config=two_sessions(tmp_path)))
    guild = env.create_guild("Two sessions")
    role_a, role_b = guild.create_role("Moderator A"), guild.create_role("Moderator B")
    bot_role = guild.roles[env.backend.bot_user.name]
    hidden = discord.PermissionOverwrite(view_channel=False)
    seen = discord.PermissionOverwrite(view_channel=True)
    moderation = guild.create_text_channel(
        "qa-moderation",
        overwrites={guild.default_role: hidden, role_a: seen, role_b: seen, bot_role: seen},
    )
    questions_a = guild.create_text_channel("questions-a")
    guild.create_text_channel("questions-b")
    guild.create_text_channel("session-live")
    asker = guild.add_member(env.create_user("ana"))
    mod_a = guild.add_member(env.create_user("moda"), roles=[role_a])
    mod_b = guild.add_member(env.create_user("modb"), roles=[role_b])
    await env.start()
    try:
        assert "#1" in said(await asker.slash(questions_a, "ask", question="For session A?"))
        card = next(m for m in moderation.history() if m.embeds)
        before = log_state(db_path)
        refused = said(await mod_b.click(card, label="Approve"))
        assert refused.startswith("Only moderators can do this (the Moderator A role")
        assert log_state(db_path) == before
        await mod_a.click(card, label="Approve")  # the session's own moderator may
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("SELECT state FROM questions").fetchall() == [("approved",)]
    finally:
        await finish(env)


async def test_the_question_on_screen_cannot_be_approved_again(world: World, db_path: Path) -> None:
    from tests.q_world import QA

    qa = QA(world, db_path)
    await grant_bot_moderation_access(world)
    w = world
    await qa.ask(w.alice, "What happens to the markets?")
    await w.mod.slash(w.moderation, "qa approve", number=1)
    await w.mod.slash(w.moderation, "qa next")
    live_before = [m.content for m in w.live.history()]
    refused = said(await w.mod.slash(w.moderation, "qa approve", number=1))
    assert refused == "#1 was already picked to be answered by mona, so it cannot be approved now."
    assert qa.state(1) == "live"
    assert [m.content for m in w.live.history()] == live_before
    assert any(c.startswith("**Now answering #1**") for c in live_before)
