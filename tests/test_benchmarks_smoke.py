"""The benchmarks run at their small size (as CI runs them), so none can rot unnoticed.

Each runs in its own process, exactly as `python benchmarks/bench_x.py --small`; together they
take about 15 s. Small sizes say nothing about the targets, so only a crash or missing figures
fail here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# script -> a line every complete run prints among its figures
BENCHMARKS = {
    "bench_answers.py": "one sweep turning",
    "bench_e2e.py": "questions stored:",
    "bench_i18n.py": "/ask words in Korean",
    "bench_maintenance.py": "forget: ",
    "bench_moderation.py": "/qa queue",
    "bench_report.py": "html ",
    "bench_schedule.py": "posts sent:",
    "bench_similarity.py": "hint + update per /ask",
    "bench_screen.py": "memory per connected viewer:",
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("script", sorted(BENCHMARKS))
def test_benchmark_runs_small(script: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--small"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=55,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    out = proc.stdout
    assert "machine: " in out and "Python 3." in out
    assert BENCHMARKS[script] in out, out[-2000:]
    assert "PASS  " in out or "FAIL  " in out, out[-2000:]
