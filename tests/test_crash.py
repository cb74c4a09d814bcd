"""A crash in the middle of a burst loses no confirmed question and leaves a sound database.

A separate process runs intake bursts and prints each question number as soon as `ask` returns
(when the asker would be told "Your question is #N"); the test kills it with SIGKILL while it
is busy, then checks the database file it left behind.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KILL_AFTER = 400  # confirmations read before the kill


def worker(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.crash_intake_worker", str(db), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_sigkill_mid_burst_keeps_every_confirmed_question(tmp_path: Path) -> None:
    db = tmp_path / "crash.sqlite3"
    proc = worker(db, "--burst-size", "64")
    confirmed: list[int] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            confirmed.append(int(line))
            if len(confirmed) >= KILL_AFTER:
                os.kill(proc.pid, signal.SIGKILL)  # in the middle of a burst: no clean-up runs
                break
        else:
            pytest.fail(f"the worker stopped early: {proc.stderr.read() if proc.stderr else ''}")
        rest, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # lines already in the pipe were confirmed before the kill too
    confirmed.extend(int(line) for line in rest.split())
    assert len(confirmed) == len(set(confirmed))

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        numbers = [n for (n,) in conn.execute("SELECT number FROM questions ORDER BY number")]
        events = conn.execute("SELECT COUNT(*) FROM question_events WHERE action = 'asked'")
        assert events.fetchone() == (len(numbers),)  # every question with its audit event
    conn.close()
    assert set(confirmed) <= set(numbers), "a confirmed question is missing after the crash"
    assert numbers == list(range(1, len(numbers) + 1)), "numbers have gaps or repeats"
    print(f"{len(confirmed)} confirmed before SIGKILL; {len(numbers)} in the database")

    # the bot starts again on the same file, and numbering carries on
    again = worker(db, "--bursts", "1", "--burst-size", "20", "--first-author", "900000")
    out, err = again.communicate(timeout=30)
    assert again.returncode == 0, err
    after = sorted(int(line) for line in out.split())
    assert after == list(range(len(numbers) + 1, len(numbers) + 21))
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        total = conn.execute("SELECT COUNT(*), MAX(number) FROM questions").fetchone()
    conn.close()
    assert total == (len(numbers) + 20, len(numbers) + 20)
