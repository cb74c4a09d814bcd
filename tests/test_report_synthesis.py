"""The report's synthesis section (bot/reports/synthesis.py) in HTML, Markdown and JSON, and in a
real browser. The golden files in tests/data hold the whole section for the fixed log."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from bot.reports import renderer
from bot.reports import synthesis as synthesis_module
from bot.reports.model import Report
from bot.reports.synthesis import TAKEN_UP, synthesis
from tests.report_fixture import build_log, fixed_report, synthetic_report
from tests.test_report_browser import CHROMIUM, chromium

ANONYMOUS_NAMES = ("Dave", "Jane")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    path = tmp_path_factory.mktemp("synthesis") / "qa.sqlite3"
    asyncio.run(build_log(path))
    return asyncio.run(fixed_report(path))


def test_every_taken_up_question_is_in_exactly_one_theme(report: Report) -> None:
    run = report.runs[0]
    found = synthesis(run)
    taken = {q.number for q in run.questions if q.state in TAKEN_UP}
    assert taken == {1, 2, 3, 4, 5, 8, 11}  # not the rejected, withdrawn, dismissed or merged
    grouped = [q.number for t in found.themes for q in t.questions]
    assert sorted(grouped) == sorted(taken)
    assert (found.considered, found.grouped, found.ungrouped, found.sampled) == (7, 7, 0, False)
    owed = sorted(q.number for t in found.themes for q in t.owed)
    assert owed == sorted(q.number for q in run.unanswered)  # the follow-up list, by theme
    for t in found.themes:
        assert t.answered + t.unanswered == t.size
        assert [q.votes for q in t.owed] == sorted((q.votes for q in t.owed), reverse=True)
        assert t.top.votes == max(q.votes for q in t.questions)
        assert {q.number for q in t.representatives} <= {q.number for q in t.questions}
    merged_into = next(t for t in found.themes if any(q.number == 2 for q in t.questions))
    assert merged_into.also_asked == 1  # #7 merged into #2


def test_json_holds_the_synthesis_by_number_only(report: Report) -> None:
    data = json.loads(renderer("json")(report))
    session = data["sessions"][0]
    assert len(session["questions"]) == 11  # the existing fields are untouched
    syn = session["synthesis"]
    assert (syn["considered"], syn["grouped"], syn["ungrouped"]) == (7, 7, 0)
    keys = {
        "title",
        "label",
        "label_source",
        "terms",
        "size",
        "answered",
        "unanswered",
        "votes",
        "top_voted",
        "representatives",
        "owed",
        "questions",
    }
    for theme in syn["themes"]:
        assert set(theme) == keys
        assert theme["size"] == len(theme["questions"]) == theme["answered"] + theme["unanswered"]
        assert all(isinstance(n, int) for n in theme["questions"] + theme["owed"])
    text = json.dumps(syn, ensure_ascii=False)
    assert "author" not in text and "asker" not in text
    for name in ANONYMOUS_NAMES:
        assert name not in text


def test_html_and_markdown_show_each_theme_before_the_follow_up_list(report: Report) -> None:
    found = synthesis(report.runs[0])
    html = renderer("html")(report).decode("utf-8")
    md = renderer("md")(report).decode("utf-8")
    for text in (html, md):
        start = text.index("Synthesis: a draft by theme")
        assert start < text.index("Follow-up: approved questions still unanswered")
        for t in found.themes:
            assert f"{t.index}. " in text[start:]
            assert f"{t.answered} answered, {t.unanswered} still owed" in text[start:]
        for name in ANONYMOUS_NAMES:
            assert name not in text
    section = html.split("Synthesis: a draft by theme", 1)[1].split("Follow-up", 1)[0]
    assert section.count('<section class="theme">') == len(found.themes)
    assert "<script" not in section
    if '<span class="qn">#5</span>' in section:  # the question with markup in it, escaped
        assert "&lt;script&gt;" in section
    assert "<table" not in section  # lists, not tables: the report's tables are unchanged


def test_a_huge_run_is_grouped_on_its_most_voted_questions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = synthetic_report(3000)
    run = report.runs[0]
    taken = [q for q in run.questions if q.state in TAKEN_UP]
    monkeypatch.setattr(synthesis_module, "SYNTHESIS_QUESTIONS", 400)
    found = synthesis(run)
    assert (found.considered, found.grouped, found.sampled) == (len(taken), 400, True)
    grouped = {q.number for t in found.themes for q in t.questions}
    least = min(q.votes for q in taken if q.number in grouped)
    assert all(q.votes <= least for q in taken if q.number not in grouped)
    html = renderer("html")(report).decode("utf-8")
    assert "of which the 400 most voted" in html
    md = renderer("md")(report).decode("utf-8")
    assert "of which the 400 most voted" in md
    assert "more still owed: see the JSON export" in md


def test_a_run_with_nothing_taken_up_says_so(report: Report) -> None:
    from dataclasses import replace

    run = report.runs[0]
    empty = replace(report, runs=(replace(run, questions=()),))
    assert b"nothing to group" in renderer("html")(empty)
    assert b"nothing to group" in renderer("md")(empty)
    syn = json.loads(renderer("json")(empty))["sessions"][0]["synthesis"]
    assert syn == {"considered": 0, "grouped": 0, "ungrouped": 0, "themes": []}


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary on this machine")
def test_chromium_lays_out_the_synthesis(report: Report, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_bytes(renderer("html")(report))
    done = chromium(tmp_path, "--dump-dom", path.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    dom = done.stdout.decode("utf-8")
    section = dom.split("Synthesis: a draft by theme", 1)[1].split("Follow-up", 1)[0]
    found = synthesis(report.runs[0])
    assert section.count('<section class="theme">') == len(found.themes)
    numbers = [int(n) for n in re.findall(r'<span class="qn">#(\d+)</span>', section)]
    shown = {q.number for t in found.themes for q in (*t.representatives, *t.owed)}
    assert set(numbers) == shown
    assert "<script>alert" not in section
    shot = tmp_path / "shot.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,3000", path.as_uri())
    assert done.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000
