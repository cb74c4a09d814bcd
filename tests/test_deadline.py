"""Every interaction is acknowledged within Discord's 3 seconds, whatever the bot waits for.

SimCord accepts a first answer at any time; Discord does not (10062 Unknown interaction after
3 s). These tests hold the database's write lock from another connection for longer than that,
and check when the bot first answered each interaction.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest

from tests.q_world import QA, said

HOLD = 3.5  # seconds the other connection keeps the write lock


@pytest.fixture
def acks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """The moment of every first answer the bot gives (a message, an edit or a deferral)."""
    seen: list[tuple[str, float]] = []
    for name in ("send_message", "defer", "edit_message"):
        original = getattr(discord.InteractionResponse, name)

        def wrapped(self: Any, *args: Any, _name: str = name, _f: Any = original, **kw: Any) -> Any:
            seen.append((_name, time.perf_counter()))
            return _f(self, *args, **kw)

        monkeypatch.setattr(discord.InteractionResponse, name, wrapped)
    return seen


class Lock:
    """Another process's write transaction on the bot's database, held for HOLD seconds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.taken = threading.Event()
        self.released_at = 0.0
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            conn.execute("BEGIN IMMEDIATE")
            self.taken.set()
            time.sleep(HOLD)
            conn.execute("COMMIT")
            self.released_at = time.perf_counter()
        finally:
            conn.close()

    def __enter__(self) -> Lock:
        self.thread.start()
        assert self.taken.wait(5)
        self.started_at = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.join(10)


@pytest.fixture
def lock(db_path: Path) -> Iterator[Lock]:
    yield Lock(db_path)


async def until_released(qa: QA, lock: Lock) -> None:
    await asyncio.to_thread(lock.thread.join, 10)
    await qa.env.settle()


async def test_ask_is_acknowledged_while_the_log_is_locked(
    qa: QA, lock: Lock, acks: list[tuple[str, float]]
) -> None:
    acks.clear()
    with lock:
        result = await qa.ask(qa.world.alice, "Who pays for the care centres?")
        await until_released(qa, lock)
    first_name, first_at = acks[0]
    assert first_name == "defer"
    assert first_at - lock.started_at < 2.5  # within Discord's 3 s, with room for the network
    assert first_at < lock.released_at  # acknowledged while the lock was still held
    answers = [m.content for m in (result.response, *result.followups) if m is not None]
    assert any("Your question is #1" in a for a in answers), answers
    assert qa.rows("SELECT COUNT(*) FROM questions") == [(1,)]  # committed once


async def test_a_stale_vote_click_is_acknowledged_while_the_log_is_locked(
    qa: QA, lock: Lock, acks: list[tuple[str, float]]
) -> None:
    w = qa.world
    await qa.ask(w.alice, "Who keeps the registry?")
    await w.mod.slash(w.moderation, "qa approve", number=1)
    message = qa.vote_message(1)
    qa.env.inject_error(
        "PATCH",
        f"/channels/{message.channel.id}/messages/{message.id}",
        status=403,
        code=50013,
        message="Missing Permissions",
        times=1,
    )
    await w.mod.slash(w.moderation, "qa dismiss", number=1)  # the message keeps its button
    before = qa.rows("SELECT state, votes FROM questions")
    acks.clear()
    with lock:
        result = await w.bob.click(message, label="👍 0")
        await until_released(qa, lock)
    first_name, first_at = acks[0]
    assert first_name == "defer"
    assert first_at - lock.started_at < 2.5
    assert first_at < lock.released_at
    answers = [m.content for m in (result.response, *result.followups) if m is not None]
    assert any("voting on it has ended" in a for a in answers), answers
    assert qa.rows("SELECT state, votes FROM questions") == before


async def test_a_fast_answer_is_not_deferred(qa: QA, acks: list[tuple[str, float]]) -> None:
    acks.clear()
    result = await qa.ask(qa.world.alice, "Quick?")
    assert [name for name, _ in acks] == ["send_message"]
    assert "Your question is #1" in said(result)
