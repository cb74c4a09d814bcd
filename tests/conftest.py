"""Shared fixtures: a controllable clock, a bot built by create_bot, and a server to run it in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord

from bot import create_bot
from bot.app import QABot
from tests.q_world import QA, grant_bot_moderation_access

# fixtures shared by several modules: the presenter screen (`screen`), a real browser (`browser`)
pytest_plugins = ["tests.screen_world", "tests.browser"]

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = ROOT / "config" / "sessions"
GSEF = SESSIONS / "gsef2021-inclusive-society.toml"
ASEC = SESSIONS / "asec-open-space-2021.toml"
# 19:15 KST on the day of the GSEF workshop: in its participants' Q&A, intake open.
GSEF_QA_TIME = datetime(2021, 10, 4, 10, 15, tzinfo=UTC)


class Clock:
    """A clock the test sets and moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(GSEF_QA_TIME)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "qa.sqlite3"


@pytest.fixture
def config_path() -> Path:
    """The session file the bot runs; override in a test module to use another."""
    return GSEF


@pytest.fixture
async def make_bot(
    config_path: Path, db_path: Path, clock: Clock
) -> AsyncIterator[Callable[..., QABot]]:
    """Build bots the way production does, all sharing one database and clock.

    Every bot made is closed at the end of the test (SimCord's shutdown does not call close()),
    so no database thread or scheduler outlives it.
    """
    made: list[QABot] = []

    def make(**overrides: Any) -> QABot:
        options: dict[str, Any] = {
            "config": config_path,
            "database": db_path,
            "rehearse": None,
            "clock": clock,
        }
        options.update(overrides)
        bot = create_bot(**options)
        made.append(bot)
        return bot

    yield make
    for bot in made:
        if not bot.is_closed() or bot.db.is_open:
            await bot.close()


@dataclass
class World:
    """A server with the session's channels and roles, and people in it."""

    env: simcord.Env
    guild: simcord.GuildHandle
    questions: simcord.ChannelHandle
    moderation: simcord.ChannelHandle
    live: simcord.ChannelHandle
    general: simcord.ChannelHandle
    moderator_role: simcord.RoleHandle
    organizer_role: simcord.RoleHandle
    alice: simcord.MemberActor
    bob: simcord.MemberActor
    carol: simcord.MemberActor
    mod: simcord.MemberActor
    mod2: simcord.MemberActor
    org: simcord.MemberActor

    @property
    def bot(self) -> QABot:
        return self.env.bot  # type: ignore[return-value]

    def participant(self, name: str) -> simcord.MemberActor:
        """Add one more participant to the server."""
        return self.guild.add_member(self.env.create_user(name))


@pytest.fixture
async def env(make_bot: Callable[..., QABot]) -> AsyncIterator[simcord.Env]:
    """An environment around a fresh bot, not yet started (the `world` fixture starts it)."""
    environment = simcord.Env(make_bot())
    original_restart = environment.restart_bot

    async def restart_bot(bot: discord.Client | None = None) -> None:
        """Restart as production does: the old process's resources are gone first."""
        old = environment.bot
        await original_restart(bot)
        if bot is not None and bot is not old:
            await old.close()

    environment.restart_bot = restart_bot  # type: ignore[method-assign]
    yield environment
    await finish(environment)


async def finish(environment: simcord.Env) -> None:
    """Shut an environment down (nothing happens if it never started) and fail the test if the
    bot raised anything it did not answer."""
    await environment.shutdown()
    environment.raise_errors()


def build_world(env: simcord.Env, guild_id: int | None = None) -> World:
    """Build the server in an environment not yet started, as in production.

    The bot's own role may see the moderation channel, as when an admin adds the bot.
    """
    guild = env.create_guild("GSEF 2021 workshop", id=guild_id)
    moderator_role = guild.create_role("Moderator")
    organizer_role = guild.create_role("Organizer")
    bot_role = guild.roles[env.backend.bot_user.name]
    questions = guild.create_text_channel("questions")
    moderation = guild.create_text_channel(
        "qa-moderation",
        overwrites={
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            moderator_role: discord.PermissionOverwrite(view_channel=True),
            organizer_role: discord.PermissionOverwrite(view_channel=True),
            bot_role: discord.PermissionOverwrite(view_channel=True),
        },
    )
    live = guild.create_text_channel("session-live")
    general = guild.create_text_channel("general")

    def member(name: str, *roles: simcord.RoleHandle) -> simcord.MemberActor:
        return guild.add_member(env.create_user(name), roles=list(roles))

    return World(
        env=env,
        guild=guild,
        questions=questions,
        moderation=moderation,
        live=live,
        general=general,
        moderator_role=moderator_role,
        organizer_role=organizer_role,
        alice=member("alice"),
        bob=member("bob"),
        carol=member("carol"),
        mod=member("mona", moderator_role),
        mod2=member("mateo", moderator_role),
        org=member("olga", organizer_role),
    )


@pytest.fixture
async def world(env: simcord.Env) -> World:
    """The server with the bot started in it."""
    w = build_world(env)
    await env.start()
    return w


@pytest.fixture
async def qa(world: World, db_path: Path) -> QA:
    """The world, with the bot allowed into the moderation channel (as an admin would), and
    ways to find question messages and read the log."""
    await grant_bot_moderation_access(world)
    return QA(world, db_path)
