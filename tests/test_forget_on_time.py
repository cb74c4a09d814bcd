"""Forgetting on time: a session's `[privacy] forget_after_days` is applied by the bot itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import QABot
from tests.conftest import GSEF, Clock
from tests.q_world import QA


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    text = GSEF.read_text("utf-8") + "\n[privacy]\nforget_after_days = 1\n"
    path = tmp_path / "forget.toml"
    path.write_text(text, "utf-8")
    return path


async def test_the_bot_forgets_participants_once_the_days_have_passed(
    qa: QA, clock: Clock, make_bot: Callable[..., QABot], db_path: Path
) -> None:
    w = qa.world
    await qa.ask(w.alice, "Who keeps the registry?")
    assert qa.rows("SELECT author_id FROM questions") == [(w.alice.id,)]  # not due yet
    clock.advance(days=2)  # the session ended more than a day ago
    await w.env.restart_bot(make_bot())
    await w.env.settle()
    task = w.bot.forgetting
    assert task is not None
    await task
    with sqlite3.connect(db_path) as conn:
        author, name = conn.execute("SELECT author_id, author_name FROM questions").fetchone()
    assert author < 0 and name.startswith("participant")
