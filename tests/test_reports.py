"""Reports and exports of a fixed log: golden files, escaping, anonymity, CSV for spreadsheets.

The log is made through the questions core (tests/report_fixture.py). Golden files live in
tests/data/; after a deliberate change of a report, regenerate them with
`UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_reports.py` and review the diff.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from bot.reports import FORMATS, ReportError, build_report, render_report, renderer
from bot.reports.csv_format import COLUMNS, cell
from bot.reports.markdown import md
from bot.reports.model import Report
from bot.reports.view import GROUP_ROWS, LOG_ROWS, UNANSWERED_ROWS
from tests.report_fixture import (
    GENERATED_AT,
    SCRIPT_TEXT,
    build_log,
    fixed_report,
    synthetic_report,
)

DATA = Path(__file__).resolve().parent / "data"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
# Who asked anonymously in the fixture (names and ids): never in any export.
ANONYMOUS_NAMES = ("Dave", "Jane")


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "qa.sqlite3"
    asyncio.run(build_log(path))
    return path


@pytest.fixture(scope="module")
def report(log_path: Path) -> Report:
    return asyncio.run(fixed_report(log_path))


@pytest.fixture(scope="module")
def outputs(report: Report) -> dict[str, bytes]:
    return {fmt: renderer(fmt)(report) for fmt in FORMATS}


def golden(name: str, data: bytes) -> None:
    path = DATA / name
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"no golden file {path}; run with UPDATE_GOLDEN=1 to create it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    expected = path.read_bytes()
    assert data == expected, f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept)"


# ------------------------------------------------------------------ golden files


@pytest.mark.parametrize("fmt", FORMATS)
def test_report_matches_its_golden_file(outputs: dict[str, bytes], fmt: str) -> None:
    golden(f"report.{fmt}", outputs[fmt])


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_cli_writes_the_same_export(
    log_path: Path, tmp_path: Path, outputs: dict[str, bytes], fmt: str
) -> None:
    out = tmp_path / f"out.{fmt}"
    args = ["report", "--database", str(log_path), "--format", fmt, "--out", str(out)]
    assert cli_main([*args, "--session", "gsef2021-inclusive-society"]) == 0
    assert out.read_bytes() == outputs[fmt]


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_cli_writes_every_readable_format(log_path: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "sub" / f"report.{fmt}"
    assert (
        cli_main(["report", "--database", str(log_path), "--format", fmt, "--out", str(out)]) == 0
    )
    text = out.read_text("utf-8")
    assert "사회주택 입주자 참여는 어떻게 이루어지나요?" in text
    assert "Follow-up" in text


def test_unknown_session_is_refused_in_one_sentence(log_path: Path) -> None:
    with pytest.raises(ReportError, match="No session 'nope'"):
        asyncio.run(render_report(log_path, "html", session="nope"))


def test_a_report_of_no_runs_says_so_in_every_format(log_path: Path) -> None:
    report = asyncio.run(build_report(log_path, run_kind="rehearsal"))
    assert report.runs == ()
    assert b"no rehearsal run" in renderer("html")(report)
    assert b"no rehearsal run" in renderer("md")(report)
    assert renderer("csv")(report).decode("utf-8-sig").splitlines() == [",".join(COLUMNS)]
    assert json.loads(renderer("json")(report)) == {"sessions": []}


# ---------------------------------------------------------------------- content


def test_numbers_count_what_happened(report: Report) -> None:
    stats = report.runs[0].stats
    assert (stats.questions, stats.approved, stats.answered) == (11, 9, 4)
    assert (stats.rejected, stats.withdrawn, stats.dismissed, stats.merged) == (1, 1, 1, 1)
    assert stats.unanswered == 3
    assert stats.participants_who_asked == 10
    assert stats.votes_cast == 22  # merging #7 into #2 makes its asker a co-asker, not a voter
    assert stats.median_answer_time is not None


def test_html_shows_header_numbers_chart_follow_up_groups_and_log(
    outputs: dict[str, bytes],
) -> None:
    html = outputs["html"].decode("utf-8")
    assert "Chingyu Yao" in html and "Seon-Hee Choi" in html
    assert "Monday 4 October 2021, 18:00-19:30 KST (Asia/Seoul, UTC+09:00)" in html
    assert html.count('<rect class="bar"') == 11  # each question in its own minute
    assert html.count('<path class="answered"') == 4
    assert html.count('<g class="segment">') == 10
    follow_up = html.split("Follow-up", 1)[1].split("Written and follow-up answers", 1)[0]
    assert [
        int(n) for n in re.findall(r'<td class="num">(\d+)</td><td class="text">', follow_up)
    ] == [
        4,
        8,
        3,
    ]
    log = html.split("Moderation log", 1)[1]
    assert 'Mateo</td><td>rejected</td><td class="num">9</td>' in log
    assert "reason: advertising" in log
    assert "was: what share of food is local in hongseong" in log
    assert "into #2" in log
    assert "merged into #2" in html  # the duplicate's state


def test_user_text_is_escaped_everywhere(outputs: dict[str, bytes]) -> None:
    html = outputs["html"].decode("utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<b>Admin" not in html and "Eve &lt;b&gt;Admin&lt;/b&gt;" in html
    text = outputs["md"].decode("utf-8")
    assert re.search(r"(?<!\\)<", text) is None  # no raw HTML at all
    assert "\\<script\\>" in text
    assert "\\<b\\>Admin" in text


def test_anonymous_askers_never_appear(outputs: dict[str, bytes], report: Report) -> None:
    for fmt, data in outputs.items():
        text = data.decode("utf-8-sig")
        for name in ANONYMOUS_NAMES:
            assert name not in text, f"{name} appears in the {fmt} report"
    exported = json.loads(outputs["json"])["sessions"][0]["questions"]
    anonymous = [q for q in exported if q["anonymous"]]
    assert [q["number"] for q in anonymous] == [4, 11]
    assert all(q["author_id"] is None for q in anonymous)
    assert all(e["actor_id"] not in ("104", "110") for q in anonymous for e in q["events"])
    assert {q.asker for q in report.runs[0].questions if q.anonymous} == {"Anonymous"}


def test_markdown_tables_keep_their_shape(outputs: dict[str, bytes]) -> None:
    text = outputs["md"].decode("utf-8")
    header_cells = 0
    for line in text.splitlines():
        if not line.startswith("|"):
            header_cells = 0
            continue
        cells = len(re.findall(r"(?<!\\)\|", line))
        if header_cells == 0:
            header_cells = cells
        assert cells == header_cells, line
    assert "Second line." in text  # the two-line question stays on one table row


# -------------------------------------------------------------------------- CSV


def test_csv_opens_in_spreadsheets(outputs: dict[str, bytes]) -> None:
    data = outputs["csv"]
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the file as UTF-8
    assert data.count(b"\r\n") == 12  # header and 11 rows end with CRLF (RFC 4180)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == COLUMNS
    assert COLUMNS[:10] == (
        "number",
        "asked_at",
        "state",
        "votes",
        "speaker",
        "label",
        "asker",
        "text",
        "answered_at",
        "merged_into",
    )
    body = {int(r[0]): dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]}
    assert len(body) == 11
    assert body[2]["text"] == "사회주택 입주자 참여는 어떻게 이루어지나요?"
    assert body[2]["asker"] == "김보미"
    assert body[3]["asker"] == "Carmen Núñez"
    assert body[4]["asker"] == "Anonymous" and body[4]["text"] == "青年参与社会住房的计划如何评估？"
    assert body[5]["text"] == SCRIPT_TEXT  # a line break inside a quoted cell is kept
    assert body[6]["text"].startswith("'=SUM(")  # not run as a formula
    assert body[7]["state"] == "merged" and body[7]["merged_into"] == "2"
    assert body[2]["answered_at"] == "2021-10-04T10:14:00Z"
    assert body[8]["text"] == "What share of the food eaten in Hongseong is produced locally?"
    assert body[1]["speaker"] == "Joyce N. Mundara" and body[1]["label"] == "Women"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6", "'+33 6"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=x", "'\t=x"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_cells_never_start_a_formula(text: str, expected: str) -> None:
    assert cell(text) == expected


def test_markdown_escapes_syntax() -> None:
    assert md("a|b *c* <i>x</i>\nnext") == "a\\|b \\*c\\* \\<i\\>x\\</i\\> next"
    assert md("Q&A &amp; more") == "Q&A \\&amp; more"


# ------------------------------------------------------------------ large logs


def test_long_lists_are_capped_in_readable_reports_but_exports_hold_everything() -> None:
    report = synthetic_report(3000)
    html = renderer("html")(report).decode("utf-8")
    assert "more: see the CSV or JSON export" in html
    assert html.count("<tr>") < GROUP_ROWS * 14 + UNANSWERED_ROWS + LOG_ROWS + 40
    assert html.count('<rect class="bar"') <= 150
    text = renderer("md")(report).decode("utf-8")
    assert "more actions: see the JSON export" in text
    rows = renderer("csv")(report).decode("utf-8-sig").split("\r\n")
    assert len([r for r in rows if r]) == 3001
    assert len(json.loads(renderer("json")(report))["sessions"][0]["questions"]) == 3000


def test_generated_time_is_the_reports_own(outputs: dict[str, bytes]) -> None:
    assert GENERATED_AT.year == 2021
    assert b"2021-10-04 11:00:00 UTC" in outputs["html"]
    assert b"2021-10-04 11:00:00 UTC" in outputs["md"]


def test_json_is_written_exactly_as_json_dumps_would(report: Report) -> None:
    from dataclasses import replace

    from bot.reports.json_format import render_json, report_dict

    def reference(r: Report) -> bytes:
        return (json.dumps(report_dict(r), ensure_ascii=False, indent=2) + "\n").encode("utf-8")

    run = report.runs[0]
    odd = replace(
        run.questions[0], text='quote " back \\ nl \n tab \t ctl \x01 \u2028 😀 é', events=()
    )
    tricky = replace(run, questions=(odd, *run.questions[1:]))
    empty_run = replace(run, questions=())
    for r in (
        report,
        replace(report, runs=()),
        replace(report, runs=(tricky, empty_run)),
        synthetic_report(500),
    ):
        assert render_json(r) == reference(r)
