"""What a newcomer meets first: installing, the license, the program's name, the first report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

from bot.sessions import load_session
from bot.storage import repository as repo
from bot.storage.database import Database
from tests.conftest import GSEF, ROOT, Clock
from tests.test_cli import run_cli

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_license_is_an_spdx_expression_with_its_file() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "the session-qa-bot authors" in text
    # SPDX license strings need setuptools 77
    assert PYPROJECT["build-system"]["requires"] == ["setuptools>=77"]
    assert not any("License ::" in c for c in project.get("classifiers", []))


def test_every_folder_with_files_is_a_package_and_every_data_file_is_shipped() -> None:
    """setuptools warns about a folder the package list leaves out, and silently drops a data
    file no package-data pattern names."""
    find = PYPROJECT["tool"]["setuptools"]["packages"]["find"]
    data = PYPROJECT["tool"]["setuptools"]["package-data"]
    for top in ("bot", "cogs"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts or path.suffix in (".py", ".pyc"):
                continue
            package = ".".join(path.parent.relative_to(ROOT).parts)
            assert any(fnmatch(package, pattern) for pattern in find["include"]), package
            # a package's patterns name files below it, subfolders included ("locales/*/x")
            parts = path.relative_to(ROOT).parts
            shipped = any(
                fnmatch("/".join(parts[depth:]), pattern)
                for depth in range(1, len(parts))
                for pattern in data.get(".".join(parts[:depth]), [])
            )
            assert shipped, f"{path} is not shipped"


def test_help_uses_the_name_it_was_called_by() -> None:
    assert run_cli("--help").stdout.startswith("usage: run_bot.py ")
    script = Path(sys.executable).with_name("session-qa")
    if script.exists():  # installed with pip install -e .
        env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
        result = subprocess.run(
            [str(script), "--help"], capture_output=True, text=True, timeout=60, env=env
        )
        assert result.stdout.startswith("usage: session-qa "), result.stdout[:80]
        sub = subprocess.run(
            [str(script), "report", "--help"], capture_output=True, text=True, timeout=60, env=env
        )
        assert sub.stdout.startswith("usage: session-qa report ")


async def test_a_log_without_a_real_run_reports_its_latest_run_and_says_so(
    tmp_path: Path, clock: Clock
) -> None:
    path = tmp_path / "demo.sqlite3"
    db = Database(path)
    await db.open()
    session = load_session(GSEF)

    async def rehearse(conn):  # type: ignore[no-untyped-def]
        await repo.upsert_session(conn, session, clock())
        first = await repo.rehearsal_run(conn, session.id, 60.0, clock())
        await repo.end_run(conn, first.id, clock())
        clock.advance(minutes=5)
        return await repo.rehearsal_run(conn, session.id, 600.0, clock())

    latest = await db.write(rehearse)
    await db.close()

    result = run_cli("report", "--database", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "The log holds no real run" in result.stderr
    assert f"rehearsal run {latest.id} of {session.id}" in result.stderr
    assert "--run real or --run rehearsal" in result.stderr
    runs = [s["run"] for s in json.loads(result.stdout)["sessions"]]
    assert runs == [{"id": str(latest.id), "kind": "rehearsal"}]

    every = run_cli("report", "--database", str(path), "--format", "json", "--run", "rehearsal")
    assert len(json.loads(every.stdout)["sessions"]) == 2 and every.stderr == ""
    real = run_cli("report", "--database", str(path), "--format", "md", "--run", "real")
    assert "The log holds no real run." in real.stdout and real.stderr == ""
