"""Bad files: one sentence naming the file and the problem, exit status 2, nothing touched.

Each case runs the real command line in a scratch folder: `check --config BAD`, and the bot
itself (`run_bot.py --config ... --database ...`) with a dummy token. Both must exit with status
2 before any connection to Discord is tried (a proxy that refuses everything stands in for the
network: nothing would wait on it), print no traceback, and leave the bad file byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.sessions import SessionFileError, load_session
from bot.storage.database import latest_version
from tests.conftest import GSEF, ROOT

QUICK = 15.0  # seconds: start-up and imports; far below any network timeout

GOOD = """\
id = "demo"
title = "Demo"
date = 2021-10-04
timezone = "UTC"

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
"""


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DISCORD_TOKEN": "dummy-token-never-used",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "COLUMNS": "300",
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "run_bot.py"), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def fingerprint(path: Path) -> tuple[object, ...]:
    """What must not change: a regular file's bytes, or another kind of file's kind and inode."""
    info = path.stat()
    if stat.S_ISREG(info.st_mode):
        return ("file", hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mtime_ns)
    if stat.S_ISDIR(info.st_mode):
        return ("dir", info.st_ino, sorted(p.name for p in path.iterdir()))
    return (stat.S_IFMT(info.st_mode), info.st_ino)


def lines_of(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, done.stderr
    return [line for line in done.stderr.splitlines() if line.strip()]


# ------------------------------------------------------------------ bad session files


def not_utf8(folder: Path) -> tuple[Path, Path, str]:
    bad = folder / "latin1.toml"
    bad.write_bytes(GOOD.replace('title = "Demo"', 'title = "Caf\xe9"').encode("latin-1"))
    return bad, bad, "not UTF-8"


def deeply_nested(folder: Path) -> tuple[Path, Path, str]:
    bad = folder / "nested.toml"
    bad.write_text(GOOD + "deep = " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    return bad, bad, "nested too deeply"


def date_overflowing_its_zone(folder: Path) -> tuple[Path, Path, str]:
    bad = folder / "overflow.toml"
    text = GOOD.replace("date = 2021-10-04", "date = 9999-12-31")
    bad.write_text(text.replace('"UTC"', '"Etc/GMT+12"'), encoding="utf-8")
    return bad, bad, "out of range"


def local_time_overflowing_its_zone(folder: Path) -> tuple[Path, Path, str]:
    bad = folder / "overflow-time.toml"
    text = GOOD.replace('start = "18:00"', 'start = "9999-12-31T18:00"')
    bad.write_text(text.replace('"UTC"', '"Etc/GMT+12"'), encoding="utf-8")
    return bad, bad, "out of range"


def folder_named_toml(folder: Path) -> tuple[Path, Path, str]:
    config = folder / "sessions"
    config.mkdir()
    (config / "good.toml").write_text(GOOD, encoding="utf-8")
    (config / "x.toml").mkdir()
    return config, config / "x.toml", "is a folder"


def fifo_session(folder: Path) -> tuple[Path, Path, str]:
    bad = folder / "pipe.toml"
    os.mkfifo(bad)
    return bad, bad, "not a regular file"


SESSION_CASES: list[Callable[[Path], tuple[Path, Path, str]]] = [
    not_utf8,
    deeply_nested,
    date_overflowing_its_zone,
    local_time_overflowing_its_zone,
    folder_named_toml,
    fifo_session,
]


@pytest.mark.parametrize("make", SESSION_CASES, ids=lambda f: f.__name__)
def test_check_refuses_a_bad_session_file_in_one_sentence(
    tmp_path: Path, make: Callable[[Path], tuple[Path, Path, str]]
) -> None:
    config, bad, words = make(tmp_path)
    before = fingerprint(bad)
    done = cli("check", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = lines_of(done)
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"{bad}: ") and words in lines[0], lines[0]
    assert fingerprint(bad) == before


@pytest.mark.parametrize("make", SESSION_CASES, ids=lambda f: f.__name__)
def test_the_bot_refuses_a_bad_session_file_before_connecting(
    tmp_path: Path, make: Callable[[Path], tuple[Path, Path, str]]
) -> None:
    config, bad, words = make(tmp_path)
    before = fingerprint(bad)
    database = tmp_path / "qa.sqlite3"
    done = cli("--config", str(config), "--database", str(database), cwd=tmp_path)
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = lines_of(done)
    # the problem in one sentence, then the bot's closing word
    assert len(lines) == 2, done.stderr
    assert lines[0].startswith(f"{bad}: ") and words in lines[0], lines[0]
    assert lines[1] == "The bot did not start: fix the session file(s) above."
    assert fingerprint(bad) == before
    assert not database.exists()


def test_check_reports_every_problem_of_a_file(tmp_path: Path) -> None:
    """A wrong kind (the model) and an unknown speaker (a check across keys) together, with a
    name too long for Discord and a duplicate label: all four at once."""
    text = GOOD.replace('kind = "talk"', 'kind = "keynote"').replace(
        'speaker = "ana"', 'speaker = "bob"'
    )
    text = text.replace('name = "Ana"', f'name = "{"A" * 1170}"')
    text += '\n[[labels]]\nid = "topic"\nname = "Again"\n'
    bad = tmp_path / "many.toml"
    bad.write_text(text, encoding="utf-8")
    done = cli("check", "--config", str(bad), cwd=tmp_path)
    assert done.returncode == 2
    lines = lines_of(done)
    assert len(lines) == 4, done.stderr
    assert all(line.startswith(f"{bad}: ") for line in lines)
    joined = "\n".join(lines)
    assert "program[0].kind: Input should be" in joined
    assert "program[0].speaker: no speaker with id 'bob'" in joined
    assert "speakers[0].name: too long: 1,170 characters, at most 256" in joined
    assert "labels[1].id: duplicate id 'topic'" in joined


def test_a_byte_order_mark_is_not_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert load_session(path).title == "Demo"


def test_check_shows_titles_as_written_even_when_they_look_like_markup(tmp_path: Path) -> None:
    text = GOOD.replace('title = "Demo"', 'title = "Demo [/] [bold]x"')
    text = text.replace('title = "Talk"', 'title = "Talk [/x] y"')
    path = _write(tmp_path / "markup.toml", text)
    done = cli("check", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Demo [/] [bold]x" in done.stdout and "Talk [/x] y" in done.stdout


def test_problems_of_the_model_and_across_keys_come_together(tmp_path: Path) -> None:
    text = GOOD.replace('start = "18:00"', 'start = "6pm"').replace('id = "ana"', 'id = "Ana"')
    bad = tmp_path / "s.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(SessionFileError) as info:
        load_session(bad)
    paths = [p.path for p in info.value.problems]
    # the bad id is the model's; the segment then names a speaker that does not exist
    assert paths == ["speakers[0].id", "program[0].start", "program[0].speaker"]


# ------------------------------------------------------------ what Discord cannot show

LIMITED = [
    # (where in GOOD, what to write there, the longest value allowed)
    ('title = "Demo"', "title = {!r}", 256),
    ('name = "Ana"', "name = {!r}", 256),
    ('name = "Topic"', "name = {!r}", 100),
    ('title = "Talk"', "title = {!r}", 256),
    ('speaker = "ana"', 'speaker = "ana"\ndescription = {!r}', 4096),
    ('name = "Ana"', 'name = "Ana"\norganization = {!r}', 256),
    ('name = "Ana"', 'name = "Ana"\nhonorific = {!r}', 100),
    ('name = "Ana"', 'name = "Ana"\ntalk_title = {!r}', 256),
    ('name = "Topic"', 'name = "Topic"\ndescription = {!r}', 1024),
    ('speaker = "ana"', 'speaker = "ana"\nguiding_questions = [{{ text = {!r} }}]', 1024),
]


@pytest.mark.parametrize(("anchor", "template", "limit"), LIMITED)
def test_texts_discord_shows_have_a_maximum(
    tmp_path: Path, anchor: str, template: str, limit: int
) -> None:
    def file_with(n: int) -> Path:
        value = "é" * n  # code points, not bytes
        path = tmp_path / f"s{n}.toml"
        path.write_text(GOOD.replace(anchor, template.format(value), 1), encoding="utf-8")
        return path

    load_session(file_with(limit))
    with pytest.raises(SessionFileError) as info:
        load_session(file_with(limit + 1))
    (problem,) = info.value.problems
    assert problem.message == (
        f"too long: {limit + 1:,} characters, at most {limit:,} (Discord cannot show more)"
    )


def test_channel_and_role_references_are_bounded(tmp_path: Path) -> None:
    ok = GOOD + f'\n[discord]\nquestions_channel = "{"q" * 100}"\nmoderator_role = 1234\n'
    load_session(_write(tmp_path / "ok.toml", ok))
    bad = GOOD + f'\n[discord]\nquestions_channel = "{"q" * 101}"\nmoderator_role = -1\n'
    with pytest.raises(SessionFileError) as info:
        load_session(_write(tmp_path / "bad.toml", bad))
    assert {p.path.split(".")[1] for p in info.value.problems} == {
        "questions_channel",
        "moderator_role",
    }


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------ bad databases


def another_applications_database(folder: Path) -> tuple[Path, str]:
    path = folder / "notes.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE questions (id INTEGER PRIMARY KEY, body TEXT, author TEXT)")
        conn.execute("INSERT INTO questions (body, author) VALUES ('Is this mine?', 'someone')")
    conn.close()
    return path, "belongs to another application"


def another_application_claiming_our_version(folder: Path) -> tuple[Path, str]:
    path = folder / "claims.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE questions (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute(f"PRAGMA user_version = {latest_version()}")
    conn.close()
    return path, "lacks"


def current_version_without_tables(folder: Path) -> tuple[Path, str]:
    path = folder / "empty.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version()}")
    conn.close()
    return path, f"says schema {latest_version()} but lacks"


def fifo_database(folder: Path) -> tuple[Path, str]:
    path = folder / "pipe.sqlite3"
    os.mkfifo(path)
    return path, "not a regular file"


def device_database(folder: Path) -> tuple[Path, str]:
    return Path("/dev/null"), "not a regular file"


DATABASE_CASES: list[Callable[[Path], tuple[Path, str]]] = [
    another_applications_database,
    another_application_claiming_our_version,
    current_version_without_tables,
    fifo_database,
    device_database,
]


@pytest.mark.parametrize("make", DATABASE_CASES, ids=lambda f: f.__name__)
def test_the_bot_refuses_a_bad_database_before_connecting(
    tmp_path: Path, make: Callable[[Path], tuple[Path, str]]
) -> None:
    database, words = make(tmp_path)
    before = fingerprint(database)
    sidecars = [Path(f"{database}{suffix}") for suffix in ("-wal", "-shm", "-journal")]
    existed = [s.exists() for s in sidecars]
    done = cli("--config", str(GSEF), "--database", str(database), cwd=tmp_path)
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = lines_of(done)
    assert len(lines) == 1, done.stderr
    assert str(database) in lines[0] and words in lines[0], lines[0]
    assert fingerprint(database) == before
    assert [s.exists() for s in sidecars] == existed
    assert "dummy-token" not in done.stderr
