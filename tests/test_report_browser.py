"""The HTML report in a real browser: headless Chromium opens the file, lays out the chart and the
tables, and takes a screenshot that must show them (not a blank page).

Skips only when no Chromium binary exists (CI installs Debian's `chromium`).
"""

from __future__ import annotations

import asyncio
import re
import struct
import zlib
from operator import add
from pathlib import Path

import pytest

from bot.reports import renderer
from tests.browser import CHROMIUM, NO_CHROMIUM, chromium
from tests.report_fixture import build_log, fixed_report

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)

BAR_BLUE = (0x2F, 0x5D, 0x9B)  # the chart's bars (bot/reports/chart.py)
ANSWERED_GREEN = (0x1B, 0x7F, 0x3B)  # the answered marks
WHITE = (255, 255, 255)


@pytest.fixture(scope="module")
def html_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    database = folder / "qa.sqlite3"
    asyncio.run(build_log(database))
    report = asyncio.run(fixed_report(database))
    path = folder / "report.html"
    path.write_bytes(renderer("html")(report))
    return path


def decode_png(path: Path) -> tuple[int, int, list[bytes], int]:
    """Return (width, height, unfiltered rows, bytes per pixel) of an 8-bit PNG (stdlib only)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    pos, chunks = 8, []
    width = height = bpp = 0
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0, "unexpected PNG layout"
            bpp = {0: 1, 2: 3, 4: 2, 6: 4}[color]
        elif kind == b"IDAT":
            chunks.append(body)
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        cur = bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:  # Sub
            for i in range(bpp, stride):
                cur[i] = (cur[i] + cur[i - bpp]) & 255
        elif kind == 2:  # Up
            cur = bytearray(v & 255 for v in map(add, cur, prev))
        elif kind == 3:  # Average
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(cur))
        prev = cur
    return width, height, rows, bpp


def test_html_is_self_contained(html_file: Path) -> None:
    html = html_file.read_text("utf-8")
    assert "<svg" in html and "</svg>" in html
    for table in ("program", "unanswered", "answers", "questions", "log"):
        assert f'<table class="{table}">' in html
    loads = re.findall(r"""(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:https?:)?//""", html)
    assert loads == [], f"the report loads from the network: {loads}"
    assert re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", html) is None
    assert "@import" not in html and "<link" not in html and "<script" not in html
    assert "http://" not in html and "https://" not in html


def test_chromium_lays_out_the_chart_and_tables(html_file: Path, tmp_path: Path) -> None:
    done = chromium(tmp_path, "--dump-dom", html_file.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    dom = done.stdout.decode("utf-8")
    assert "<svg" in dom and dom.count('class="bar"') == 11
    # program, follow-up, written answers, 5 speaker groups (4 speakers + the panel), 6 label
    # groups, log
    assert dom.count("<table") == 1 + 1 + 1 + 5 + 6 + 1
    assert "Answered privately to the asker" in dom
    assert "사회주택 입주자 참여는 어떻게 이루어지나요?" in dom
    assert "<script>alert" not in dom  # the question's markup stayed text


def test_screenshot_shows_the_report(html_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", html_file.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr.decode(errors="replace")[-2000:]
    width, height, rows, bpp = decode_png(shot)
    assert (width, height) == (1280, 2000)
    colors: set[bytes] = set()
    inked = 0
    for row in rows:
        pixels = [row[i : i + 3] for i in range(0, len(row), bpp)]
        colors.update(pixels)
        inked += sum(1 for p in pixels if p != bytes(WHITE))
    assert len(colors) > 50, f"only {len(colors)} colours: the page looks blank"
    assert inked > 0.05 * width * height, "almost nothing is drawn"
    assert bytes(BAR_BLUE) in colors, "the chart's bars are not on the screenshot"
    assert bytes(ANSWERED_GREEN) in colors, "the answered marks are not on the screenshot"
