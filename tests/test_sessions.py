"""Session files: the shipped ones validate, and every kind of mistake is named precisely."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.sessions import SessionFileError, load_session, load_sessions
from tests.conftest import ASEC, GSEF, SESSIONS

MINIMAL = """
id = "demo-session"
title = "Demo"
date = 2021-10-04
timezone = "Asia/Seoul"

[[speakers]]
id = "ana"
name = "Ana"

[[labels]]
id = "topic"
name = "Topic"

[[program]]
id = "talk"
start = "18:00"
end = "18:30"
title = "Talk"
kind = "talk"
speaker = "ana"

[[program]]
id = "qa"
start = "18:30"
end = "19:00"
title = "Q&A"
kind = "qa"
"""


def write(tmp_path: Path, text: str, name: str = "session.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(SessionFileError) as info:
        load_session(path)
    assert info.value.file == path
    return [(p.path, p.message) for p in info.value.problems]


def test_both_shipped_sessions_validate() -> None:
    sessions = {s.id: s for s in load_sessions(SESSIONS)}
    assert set(sessions) == {"gsef2021-inclusive-society", "asec-open-space-2021"}


def test_gsef_program_is_transcribed_whole_in_seoul_time() -> None:
    gsef = load_session(GSEF)
    spec = gsef.spec
    assert spec.timezone == "Asia/Seoul"
    assert str(spec.date) == "2021-10-04"
    assert len(spec.speakers) == 4
    assert {s.theme for s in spec.speakers} >= {"WOMEN", "YOUTH", "TECHNOLOGY"}
    assert spec.moderator is not None and "Yao" in spec.moderator.name
    # The seed's program table: ten rows from 18:00 to 19:30 KST.
    assert spec.program[0].start == "18:00"
    assert spec.program[-1].end == "19:30"
    assert len(spec.program) == 10
    # 18:00 KST is 09:00 UTC; 19:30 KST is 10:30 UTC.
    assert gsef.starts_at == datetime(2021, 10, 4, 9, 0, tzinfo=UTC)
    assert gsef.ends_at == datetime(2021, 10, 4, 10, 30, tzinfo=UTC)
    talks = [s for s in spec.program if s.kind == "talk"]
    assert [t.speaker for t in talks] == [s.id for s in spec.speakers]
    discussion = next(s for s in spec.program if s.kind == "discussion")
    assert (discussion.start, discussion.end) == ("18:50", "19:10")
    assert {q.round for q in discussion.guiding_questions} == {1, 2}
    qa = [s for s in spec.program if s.kind == "qa"]
    assert [(s.start, s.end) for s in qa] == [("19:10", "19:25")]


def test_asec_has_labels_and_no_invented_program() -> None:
    asec = load_session(ASEC)
    assert len(asec.spec.labels) == 5
    assert asec.spec.program == ()
    assert asec.intake_window == (None, None)
    assert "no program" in ASEC.read_text(encoding="utf-8").lower() or "no times" in (
        ASEC.read_text(encoding="utf-8").lower()
    )


def test_defaults_for_discord_and_questions(tmp_path: Path) -> None:
    session = load_session(write(tmp_path, MINIMAL))
    d, q = session.spec.discord, session.spec.questions
    assert (d.questions_channel, d.moderation_channel, d.live_channel) == (
        "questions",
        "qa-moderation",
        "session-live",
    )
    assert (d.moderator_role, d.organizer_role) == ("Moderator", "Organizer")
    assert q.moderation == "pre" and q.max_length == 1000 and q.anonymous_allowed
    assert not q.chat_capture


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        (('timezone = "Asia/Seoul"', 'timezone = "Mars/Olympus"'), "timezone", "unknown time zone"),
        (('end = "18:30"', 'end = "17:30"'), "program[0].end", "ends"),
        (('start = "18:30"', 'start = "18:20"'), "program[1].start", "overlap"),
        (('speaker = "ana"', 'speaker = "bob"'), "program[0].speaker", "no speaker"),
        (('id = "qa"', 'id = "talk"'), "program[1].id", "duplicate id"),
        (("date = 2021-10-04", 'date = "soon"'), "date", "date"),
        (('start = "18:00"', "start = 1800"), "program[0].start", "string"),
        (('title = "Demo"', 'title = "Demo"\ncolour = "red"'), "colour", "unknown key"),
        (('start = "18:00"', 'start = "6pm"'), "program[0].start", "HH:MM"),
        (('id = "demo-session"', 'id = "Demo Session"'), "id", "lowercase"),
    ],
)
def test_invalid_file_names_file_key_and_problem(
    tmp_path: Path, change: tuple[str, str], path: str, fragment: str
) -> None:
    assert change[0] in MINIMAL
    broken = write(tmp_path, MINIMAL.replace(change[0], change[1], 1))
    found = problems_of(broken)
    assert any(p == path and fragment.lower() in m.lower() for p, m in found), found
    with pytest.raises(SessionFileError) as info:
        load_session(broken)
    assert str(broken) in info.value.render()
    assert path in info.value.render()


def test_duplicate_speaker_and_label_ids(tmp_path: Path) -> None:
    text = MINIMAL + '\n[[speakers]]\nid = "ana"\nname = "Ana again"\n'
    text += '\n[[labels]]\nid = "topic"\nname = "Again"\n'
    found = problems_of(write(tmp_path, text))
    assert ("speakers[1].id", "duplicate id 'ana'") in found
    assert ("labels[1].id", "duplicate id 'topic'") in found


def test_time_skipped_by_daylight_saving_is_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace('timezone = "Asia/Seoul"', 'timezone = "America/New_York"')
    text = text.replace("date = 2021-10-04", "date = 2021-03-14")
    text = text.replace('start = "18:00"', 'start = "02:30"', 1)
    found = problems_of(write(tmp_path, text))
    assert any(p == "program[0].start" and "daylight saving" in m for p, m in found), found


def test_session_across_a_dst_change_gets_the_right_utc_times(tmp_path: Path) -> None:
    # New York falls back at 02:00 on 2021-11-07: 01:30 EDT is 05:30 UTC, 03:30 EST is 08:30 UTC.
    text = MINIMAL.replace('timezone = "Asia/Seoul"', 'timezone = "America/New_York"')
    text = text.replace("date = 2021-10-04", "date = 2021-11-07")
    text = text.replace('start = "18:00"', 'start = "00:30"').replace(
        'end = "18:30"', 'end = "01:30"'
    )
    text = text.replace('start = "18:30"', 'start = "01:30"').replace(
        'end = "19:00"', 'end = "03:30"'
    )
    session = load_session(write(tmp_path, text))
    assert [(s.start.hour, s.end.hour) for s in session.slots] == [(4, 5), (5, 8)]


def test_malformed_toml_and_missing_file(tmp_path: Path) -> None:
    found = problems_of(write(tmp_path, "id = [unclosed"))
    assert found[0][1].startswith("not valid TOML")
    assert problems_of(tmp_path / "absent.toml") == [("", "file not found")]


def test_duplicate_session_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL, "a.toml")
    write(tmp_path, MINIMAL, "b.toml")
    with pytest.raises(Exception, match="duplicate session id 'demo-session'"):
        load_sessions(tmp_path)


def test_sessions_are_immutable() -> None:
    session = load_session(GSEF)
    with pytest.raises(Exception, match="frozen"):
        session.spec.title = "changed"  # type: ignore[misc]
