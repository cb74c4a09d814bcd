"""The command line: check, the no-token message, help, and the JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import simcord

from bot.cli import NO_TOKEN, main
from tests.conftest import ROOT


def run_cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    environment.update(env or {})
    environment["COLUMNS"] = "160"
    return subprocess.run(
        [sys.executable, str(ROOT / "run_bot.py"), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_prints_both_programs_with_local_and_utc_times() -> None:
    result = run_cli("check")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Rebuilding an inclusive society" in out
    assert "ASEC Open Space" in out
    assert "18:00-18:01" in out and "09:00-09:01" in out  # 18:00 KST is 09:00 UTC
    assert "19:10-19:25" in out and "10:10-10:25" in out
    assert "2 session file(s) valid." in out


def test_check_on_an_invalid_file_exits_2_naming_file_key_and_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'id = "x"\ntitle = "X"\ndate = 2021-10-04\ntimezone = "Nowhere/City"\n', encoding="utf-8"
    )
    result = run_cli("check", "--config", str(bad))
    assert result.returncode == 2
    assert f"{bad}: timezone: unknown time zone 'Nowhere/City'" in result.stderr


def test_run_without_a_token_exits_2_with_one_sentence(tmp_path: Path) -> None:
    # In an empty folder, so no .env file supplies a token.
    result = run_cli(
        "--config",
        str(ROOT / "config" / "sessions"),
        "--database",
        str(tmp_path / "x.sqlite3"),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.strip().replace("\n", " ") == NO_TOKEN
    assert "Traceback" not in result.stderr


def test_the_bot_refuses_to_start_on_an_invalid_session_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\ntitle = "X"\ndate = 2021-10-04\ntimezone = "UTC"\nextra = 1\n')
    result = run_cli("--config", str(bad), "--database", str(tmp_path / "x.sqlite3"), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{bad}: extra: unknown key" in result.stderr
    assert "did not start" in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["report", "--help"]])
def test_help_everywhere(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 0
    assert "usage:" in capsys.readouterr().out


async def test_report_json_of_a_fresh_log(make_bot, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    async with simcord.run(make_bot()):
        pass
    result = run_cli("report", "--database", str(db_path), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == {
        "sessions": [
            {
                "id": "gsef2021-inclusive-society",
                "title": data["sessions"][0]["title"],
                "run": {"id": "1", "kind": "real"},
                "questions": [],
                "synthesis": {"considered": 0, "grouped": 0, "ungrouped": 0, "themes": []},
            }
        ]
    }
    missing = run_cli("report", "--database", str(db_path), "--session", "nope")
    assert missing.returncode == 2 and "No session 'nope'" in missing.stderr
