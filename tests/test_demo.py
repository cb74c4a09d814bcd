"""The offline demo: its seeded script, and two whole runs that must end the same way."""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.sessions import Session, load_sessions
from demo import MAX_SPEED, main
from demo.command import SCREEN_MARK
from demo.script import (
    QUESTIONS_FILE,
    Script,
    ScriptError,
    build_script,
    load_questions,
    min_participants,
)
from demo.transcript import TIMING
from tests.conftest import GSEF

FAST = 5400.0  # the 90-minute program in one second (scripts only: too fast to play)
RUN_SPEED = MAX_SPEED  # whole runs: the fastest the demo plays
PARTICIPANTS = 90  # enough that nobody asks twice within the cooldown at FAST and RUN_SPEED


@pytest.fixture(scope="module")
def session() -> Session:
    return load_sessions(GSEF)[0]


def script(session: Session, **overrides: Any) -> Script:
    options: dict[str, Any] = {"participants": 90, "seed": 2021, "speed": 90.0}
    options.update(overrides)
    return build_script(session, load_questions(session), **options)


# ------------------------------------------------------------------------------ the data file


def test_the_data_file_has_enough_questions_in_several_languages(session: Session) -> None:
    questions = load_questions(session, QUESTIONS_FILE)
    assert len(questions) >= 60
    languages = Counter(q.lang for q in questions)
    assert len(languages) >= 3, languages
    assert any(q.anonymous for q in questions)
    assert any(q.speaker for q in questions)
    assert any(q.duplicate_of is not None for q in questions)
    assert any(q.reject for q in questions)


# ------------------------------------------------------------------------------ the script


def test_the_same_arguments_give_the_same_script(session: Session) -> None:
    first, second = script(session), script(session)
    assert first.steps == second.steps
    assert first.askers == second.askers
    assert [p.display_name for p in first.people] == [p.display_name for p in second.people]
    other = script(session, seed=7)
    assert other.steps != first.steps


def test_people_have_distinct_names(session: Session) -> None:
    people = script(session).people
    assert len({p.display_name for p in people}) == len(people) == 90
    assert len({p.username for p in people}) == len(people)
    assert all(p.username.isascii() and " " not in p.username for p in people)


def test_the_script_respects_the_cooldown_and_the_pending_limit(session: Session) -> None:
    rules = session.spec.questions
    for speed, participants in ((90.0, 90), (FAST, 90), (30.0, 40), (10.0, 20)):
        s = script(session, speed=speed, participants=participants)
        asks: dict[int, list[timedelta]] = {}
        for step in s.steps:
            if step.kind == "ask":
                assert step.person is not None
                asks.setdefault(step.person, []).append(step.at - s.steps[0].at)
        assert s.cooldown_waits == 0 and s.cooldown_delay == 0
        for times in asks.values():
            assert len(times) <= rules.max_pending_per_user
            for before, after in itertools.pairwise(times):
                real_gap = (after - before).total_seconds() / speed
                assert real_gap >= rules.cooldown_seconds
    # too few people for this speed: someone would have to wait for their cooldown
    crowded = script(session, speed=FAST, participants=30)
    assert crowded.cooldown_waits > 0
    # everyone's cooldown runs at once: about two rounds of 30 s, not one wait per question
    assert rules.cooldown_seconds <= crowded.cooldown_delay <= 4 * rules.cooldown_seconds
    assert script(session, speed=90.0, participants=40).cooldown_waits > 0


def test_too_few_participants_is_refused_with_a_reason(session: Session) -> None:
    need = min_participants(load_questions(session), session.spec.questions.max_pending_per_user)
    with pytest.raises(ScriptError, match=f"at least {need} participants"):
        script(session, participants=need - 1)


def test_the_script_covers_every_moderation_action(session: Session) -> None:
    s = script(session)
    kinds = Counter(step.kind for step in s.steps)
    assert kinds["ask"] == len(s.questions)
    assert kinds["merge"] == sum(1 for q in s.questions if q.duplicate_of is not None)
    assert kinds["reject"] == sum(1 for q in s.questions if q.reject)
    assert kinds["withdraw"] == 1 and s.withdrawn is not None
    assert kinds["next"] >= 5 and kinds["answered"] == 1 and kinds["label"] > 0
    assert kinds["vote"] > 2 * kinds["approve"]
    assert any(step.kind == "next" and step.speaker for step in s.steps)
    asked = {step.question: step.at for step in s.steps if step.kind == "ask"}
    slots = {slot.id: slot for slot in session.slots}
    for q in s.questions:
        slot = slots[q.segment]
        assert slot.start <= asked[q.index] < slot.end, q.index
        if q.duplicate_of is not None:
            assert asked[q.index] > asked[q.duplicate_of]
    qa = next(slot for slot in session.slots if slot.segment.kind == "qa")
    assert all(qa.start <= st.at < qa.end for st in s.steps if st.kind in ("next", "answered"))
    # nobody votes for their own question; a voter votes once per question
    votes = [(st.question, st.person) for st in s.steps if st.kind == "vote"]
    assert len(votes) == len(set(votes))
    assert all(s.askers[q] != person for q, person in votes)
    # some questions are far more popular than others
    per_question = Counter(q for q, _ in votes)
    assert max(per_question.values()) >= 4 * (sorted(per_question.values())[len(per_question) // 2])


# ------------------------------------------------------------------------------ whole runs


def without_times(data: Any) -> Any:
    """The JSON export without wall-clock times: what must not change between runs."""
    if isinstance(data, dict):
        times = ("at", "asked_at", "answered_at")
        return {k: without_times(v) for k, v in data.items() if k not in times}
    if isinstance(data, list):
        return [without_times(v) for v in data]
    return data


def _run(tmp: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    args = argparse.Namespace(
        speed=RUN_SPEED,
        participants=PARTICIPANTS,
        database=tmp / "demo.sqlite3",
        out=tmp / "out",
        seed=2021,
        log_level="WARNING",
    )
    status = main(args)
    return status, capsys.readouterr().out


@pytest.mark.timeout(120)
def test_two_runs_with_the_same_arguments_end_the_same_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], session: Session
) -> None:
    status, first_out = _run(tmp_path, capsys)
    assert status == 0
    report = tmp_path / "out" / "gsef2021-report.html"
    export = tmp_path / "out" / "gsef2021-report.json"
    assert report.stat().st_size > 10_000
    assert "<html" in report.read_text(encoding="utf-8")[:500].lower()
    first = json.loads(export.read_text(encoding="utf-8"))
    shutil.copy(export, tmp_path / "first.json")

    # what the terminal showed: the program, questions, moderation, the screen, the summary
    assert "Internet connection check" in first_out
    assert "On screen: #" in first_out
    assert "merged into #" in first_out and "rejected (" in first_out
    assert "withdrawn by its asker" in first_out
    assert str(tmp_path / "demo.sqlite3") in first_out and str(report) in first_out
    assert "Questions 78 · approved 74 (4 of them then merged)" in first_out

    questions = first["sessions"][0]["questions"]
    states = Counter(q["state"] for q in questions)
    assert len(questions) >= 60
    assert states["answered"] >= 5
    assert states["merged"] == 4 and states["rejected"] == 3 and states["withdrawn"] == 1
    assert states["pending"] == 0
    assert sum(q["votes"] for q in questions) > 100
    assert first["sessions"][0]["run"]["kind"] == "rehearsal"

    # anonymous askers stay anonymous, in the export and on the terminal
    s = script(session, speed=RUN_SPEED, participants=PARTICIPANTS)
    by_text = {q["text"]: q for q in questions}
    open_names = {s.people[s.askers[q.index]].display_name for q in s.questions if not q.anonymous}
    for q in s.questions:
        if q.anonymous:
            assert by_text[q.text]["anonymous"] and by_text[q.text]["author_id"] is None
            name = s.people[s.askers[q.index]].display_name
            if name not in open_names:
                assert name not in first_out

    # the same arguments again: the log starts afresh and everything ends the same way
    status, second_out = _run(tmp_path, capsys)
    assert status == 0
    assert "Removed the previous demo log" in second_out
    second = json.loads(export.read_text(encoding="utf-8"))
    assert without_times(second) == without_times(first)
    assert second_out.splitlines()[-2:] == first_out.splitlines()[-2:]  # the summary numbers
    # and the whole transcript is the same, but for the lines that measure the wall clock
    assert transcript(second_out) == transcript(first_out)
    assert "The story held" in first_out


def transcript(out: str) -> list[str]:
    """What a run printed, without its wall-clock lines (⏱) and the note of a fresh start."""
    return [
        line
        for line in out.splitlines()
        if not line.startswith((TIMING, SCREEN_MARK))
        and not line.startswith("Removed the previous demo log")
    ]
