"""The systemd units in deploy/ are valid (systemd-analyze verify) and sandboxed, and start the
commands this version has."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
UNITS = ("session-qa.service", "session-qa-backup.service", "session-qa-backup.timer")
INSTALLED = "/opt/session-qa/.venv/bin/session-qa"
ANALYZE = shutil.which("systemd-analyze")
needs_systemd = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")


def render(tmp_path: Path) -> list[Path]:
    """The units as installed, with the program path of this machine (verify checks that it
    exists and is executable)."""
    program = Path(sys.executable).with_name("session-qa")
    if not program.exists():
        program = Path(sys.executable)
    out = []
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        path = tmp_path / name
        path.write_text(text.replace(INSTALLED, str(program)), encoding="utf-8")
        out.append(path)
    return out


def analyze(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    env = {**os.environ, "SYSTEMD_LOG_LEVEL": "notice", "SYSTEMD_PAGER": "", "NO_COLOR": "1"}
    return subprocess.run(
        [ANALYZE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


@needs_systemd
def test_the_units_verify(tmp_path: Path) -> None:
    units = render(tmp_path)
    result = analyze("verify", "--man=no", *[f"./{u.name}" for u in units], cwd=tmp_path)
    ours = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if any(name in line for name in UNITS)
    ]
    assert result.returncode == 0, result.stderr
    assert ours == []  # no unknown key, bad value or missing program in our units


@needs_systemd
def test_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    """The check above can fail: a wrong key and a missing program are reported."""
    broken = tmp_path / "session-qa.service"
    text = (DEPLOY / "session-qa.service").read_text(encoding="utf-8")
    broken.write_text(text.replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"))
    result = analyze("verify", "--man=no", "./session-qa.service", cwd=tmp_path)
    assert result.returncode != 0 and "not executable" in result.stderr
    assert "Unknown key" in result.stderr


@needs_systemd
def test_the_bot_runs_sandboxed(tmp_path: Path) -> None:
    units = render(tmp_path)
    for unit in units[:2]:
        result = analyze("security", "--offline=true", "--no-pager", f"./{unit.name}", cwd=tmp_path)
        if "--offline" in result.stderr and result.returncode != 0:
            pytest.skip("this systemd-analyze cannot judge a unit offline")
        level = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
        assert level is not None, result.stdout[-500:]
        assert float(level.group(1)) <= 2.0, unit.name  # "OK" or "SAFE" on systemd's scale


def test_the_units_run_commands_this_version_has() -> None:
    parser = build_parser()
    for name in ("session-qa.service", "session-qa-backup.service"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        line = next(x for x in text.splitlines() if x.startswith("ExecStart="))
        argv = line.removeprefix("ExecStart=").split()
        assert argv[0] == INSTALLED
        parser.parse_args(argv[1:])  # exits (fails the test) on an unknown option
    service = (DEPLOY / "session-qa.service").read_text(encoding="utf-8")
    assert "--database /var/lib/session-qa/qa.sqlite3" in service
    assert "StateDirectory=session-qa" in service and "User=session-qa" in service
    assert "EnvironmentFile=/etc/session-qa/env" in service
    assert "Restart=on-failure" in service and "RestartPreventExitStatus=2" in service
    timer = (DEPLOY / "session-qa-backup.timer").read_text(encoding="utf-8")
    assert "OnCalendar=hourly" in timer and "Persistent=true" in timer
