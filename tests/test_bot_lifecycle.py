"""The bot starts and closes cleanly under a simulated Discord, as built by create_bot."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import discord
import pytest
import simcord

from bot.app import QABot
from bot.storage.database import latest_version
from tests.conftest import World


async def test_bot_starts_opens_storage_and_scheduler(world: World, db_path: Path) -> None:
    bot = world.bot
    assert bot.is_ready()
    assert bot.db.is_open
    assert bot.scheduler is not None and bot.scheduler.running
    assert set(bot.runs) == {"gsef2021-inclusive-society"}
    assert bot.runs["gsef2021-inclusive-society"].kind == "real"
    assert {"Errors", "Posting", "Moderation", "Exports", "Schedule"} <= set(bot.cogs)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        ids = [r[0] for r in conn.execute("SELECT id FROM sessions")]
    assert ids == ["gsef2021-inclusive-society"]


async def test_client_never_pings_and_asks_no_privileged_intent(world: World) -> None:
    bot = world.bot
    mentions = bot.allowed_mentions
    assert mentions is not None
    assert mentions.to_dict() == discord.AllowedMentions.none().to_dict()
    assert not bot.intents.message_content
    assert not bot.intents.members
    assert not bot.intents.presences


async def test_close_releases_everything(make_bot) -> None:  # type: ignore[no-untyped-def]
    bot: QABot = make_bot()
    before = {t.name for t in threading.enumerate()}
    async with simcord.run(bot) as env:
        env.create_guild("empty")
        assert bot.db.is_open
        scheduler = bot.scheduler
        assert scheduler is not None
    await bot.close()
    assert not bot.db.is_open
    assert bot.scheduler is None and not scheduler.running
    # a database thread told to stop may take a moment to end after its last answer
    until = time.perf_counter() + 2
    while (leftover := {t.name for t in threading.enumerate() if t.is_alive()} - before) and (
        time.perf_counter() < until
    ):
        await asyncio.to_thread(time.sleep, 0.01)
    assert not leftover, f"threads left running: {leftover}"


async def test_restart_with_a_fresh_bot_reuses_the_run(world: World, make_bot) -> None:  # type: ignore[no-untyped-def]
    first_run = world.bot.runs["gsef2021-inclusive-society"]
    await world.env.restart_bot(make_bot())
    assert world.bot.runs["gsef2021-inclusive-society"].id == first_run.id
    assert world.bot.db.is_open


@pytest.mark.parametrize("speed", [60.0])
async def test_rehearsal_is_a_separate_run(make_bot, speed: float) -> None:  # type: ignore[no-untyped-def]
    real = make_bot()
    async with simcord.run(real):
        real_run = real.runs["gsef2021-inclusive-society"]
    rehearsal = make_bot(rehearse=speed)
    async with simcord.run(rehearsal):
        run = rehearsal.runs["gsef2021-inclusive-society"]
    assert run.kind == "rehearsal" and run.speed == speed
    assert run.id != real_run.id
