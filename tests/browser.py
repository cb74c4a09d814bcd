"""The real browser of the tests: Debian's Chromium, headless, with the flags that work on these
machines (no network lookups of its own), run directly or driven by Playwright."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = "no Chromium binary on this machine (install Debian's `chromium`; .ci/run does)"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run headless Chromium once, with its own profile in `tmp`."""
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Chromium driven by Playwright (skips without Chromium or Playwright)."""
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    playwright = pytest.importorskip("playwright.async_api")
    async with playwright.async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()
