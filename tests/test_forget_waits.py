"""Forgetting on time waits while another session of the bot is on: compacting the log holds
its write lock, which a live session's questions and votes would wait behind."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.maintenance import ON_MARGIN, sessions_on
from bot.sessions import load_session
from tests.conftest import GSEF, Clock
from tests.q_world import QA

ASEC = GSEF.parent / "asec-open-space-2021.toml"
# the copy of the ASEC open space used here takes place two days after the GSEF workshop
ASEC_DAY = "2021-10-06"


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    folder = tmp_path / "sessions"
    folder.mkdir()
    gsef = GSEF.read_text("utf-8") + "\n[privacy]\nforget_after_days = 1\n"
    (folder / GSEF.name).write_text(gsef, "utf-8")
    asec = ASEC.read_text("utf-8").replace("date = 2021-05-19", f"date = {ASEC_DAY}")
    (folder / ASEC.name).write_text(asec, "utf-8")
    return folder


def test_a_session_is_on_from_an_hour_before_it_starts_to_an_hour_after_it_ends() -> None:
    gsef = load_session(GSEF)
    assert gsef.starts_at is not None and gsef.ends_at is not None
    opens = gsef.intake_window[0]
    assert opens is not None
    assert sessions_on([gsef], opens - ON_MARGIN) == [gsef.id]
    assert sessions_on([gsef], opens - ON_MARGIN * 1.5) == []
    assert sessions_on([gsef], gsef.ends_at + ON_MARGIN) == [gsef.id]
    assert sessions_on([gsef], gsef.ends_at + ON_MARGIN * 1.5) == []


async def test_forgetting_waits_until_no_session_is_on(
    qa: QA, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    w = qa.world
    await qa.ask(w.alice, "Who keeps the registry?")
    asked = "SELECT author_id FROM questions"
    # the GSEF workshop ended two days ago: due; the ASEC open space is on today
    clock.now = datetime(2021, 10, 6, 12, 0, tzinfo=UTC)
    with caplog.at_level(logging.INFO, logger="bot.app"):
        await w.bot.forget_due()
    assert qa.rows(asked) == [(w.alice.id,)]  # nothing forgotten, nothing compacted
    assert "waits while asec-open-space-2021 is on" in caplog.text
    scheduler = w.bot.scheduler
    assert scheduler is not None and scheduler.get_job("privacy:forget-again") is not None
    # the open space is over (its day, and the hour after it)
    clock.now = datetime(2021, 10, 7, 1, 30, tzinfo=UTC)
    await w.bot.forget_due()
    [(author,)] = qa.rows(asked)
    assert author < 0
