"""Reports show written and follow-up answers with who answered and when; a private answer's text
and an anonymous asker's identity appear in none of them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from bot.answers import AnswerService
from bot.questions import QuestionService
from bot.reports import FORMATS, build_report, render_report, renderer
from bot.sessions import load_session
from bot.storage import repository as repo
from bot.storage.database import Database
from tests.conftest import GSEF, Clock
from tests.report_fixture import PRIVATE_ANSWER, WRITTEN_ANSWER, build_log, fixed_report

MOD = (900, "mona")
SECRET = (4_242_424_242_424_242, "Zelda Quux")  # an anonymous asker
OPEN = (1001, "Oscar Open")
PRIVATE_TEXT = "For you only: call 555-0199 and ask for Ana."


@pytest.fixture(scope="module")
def fixture_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    path = tmp_path_factory.mktemp("answers-report") / "qa.sqlite3"
    asyncio.run(build_log(path))
    report = asyncio.run(fixed_report(path))
    return {fmt: renderer(fmt)(report) for fmt in FORMATS}


def test_json_gains_answers_and_keeps_every_field(fixture_outputs: dict[str, bytes]) -> None:
    questions = json.loads(fixture_outputs["json"])["sessions"][0]["questions"]
    old = {
        "number", "text", "state", "votes", "anonymous", "author_id", "speaker", "label",
        "asked_at", "answered_at", "merged_into", "events",
    }  # fmt: skip
    assert all(set(q) == old | {"answers"} for q in questions)
    by_number = {q["number"]: q for q in questions}
    assert by_number[2]["answers"] == [
        {
            "text": WRITTEN_ANSWER,
            "by": "Li-Li Chang",
            "role": "speaker",
            "at": "2021-10-04T10:26:00Z",
            "private": False,
            "source": "written",
        }
    ]
    assert by_number[11]["answers"] == [
        {
            "text": None,
            "by": "Mateo",
            "role": "moderator",
            "at": "2021-10-04T10:27:00Z",
            "private": True,
            "source": "written",
        }
    ]


def test_a_private_answer_text_is_in_no_report(fixture_outputs: dict[str, bytes]) -> None:
    for fmt, data in fixture_outputs.items():
        text = data.decode("utf-8-sig")
        assert PRIVATE_ANSWER not in text and "supply chain study" not in text, fmt
        assert "Jane" not in text, fmt  # the anonymous asker it went to


def test_csv_gains_an_answers_column_at_the_end(fixture_outputs: dict[str, bytes]) -> None:
    rows = list(csv.reader(io.StringIO(fixture_outputs["csv"].decode("utf-8-sig"), newline="")))
    assert rows[0][-1] == "answers" and rows[0][:-1][-2:] == ["session", "run"]
    body = {int(r[0]): r[-1] for r in rows[1:]}
    assert body[2] == f"Li-Li Chang (speaker), 2021-10-04T10:26:00Z: {WRITTEN_ANSWER}"
    assert body[11] == "Mateo (moderator), 2021-10-04T10:27:00Z: answered privately to the asker"
    assert body[1] == ""


async def make_log(path: Path, clock: Clock) -> None:
    """A session with an anonymous asker who edits their question, gets a private answer, and
    a follow-up answer after the session; and an open asker who edits too."""
    db = Database(path)
    await db.open()
    try:
        session = load_session(GSEF)
        now = clock()

        async def prepare(conn: Any) -> repo.Run:
            await repo.upsert_session(conn, session, now)
            return await repo.real_run(conn, session.id, now)

        run = await db.write(prepare)
        qs = QuestionService(db, clock)
        answers = AnswerService(db, clock, qs)
        await answers.set_notify(session.id, SECRET[0], True)
        secret = await qs.ask(session, run, *SECRET, "Draft by a secret asker", anonymous=True)
        await answers.set_question_notify(secret.id, SECRET[0], True)
        await answers.edit_own(run.id, secret.number, SECRET[0], "Is my data safe?", 1000)
        clock.advance(seconds=31)
        other = await qs.ask(session, run, *OPEN, "Oscar's draft", speaker_id="seon-hee-choi")
        await answers.edit_own(run.id, other.number, OPEN[0], "Oscar's question", 1000)
        later = await qs.ask(session, run, 1002, "Bob", "Left for after the session")
        for q in (secret, other, later):
            await qs.approve(run.id, q.number, *MOD)
        await qs.edit(run.id, other.number, "Oscar's question, tidied", *MOD)
        await qs.toggle_vote(later.id, SECRET[0])
        clock.advance(minutes=1)
        await answers.answer(run.id, secret.number, PRIVATE_TEXT, *MOD, "moderator", private=True)
        # after the session: #3 gets a follow-up post, answered by its speaker
        clock.advance(minutes=30)
        await answers.claim_followup(later.id)
        await answers.record_followup_post(later.id, 777)
        await answers.followup_answered(
            777, 778, 31337, "choi.sh", "speaker", "Answered later, in the forum."
        )
        await answers.drain()
        outbox = await answers.pending_notices()
        assert {o.recipient_id for o in outbox} == {SECRET[0]}
    finally:
        await db.close()


async def test_follow_up_answers_and_askers_edits_in_reports(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "qa.sqlite3"
    await make_log(path, clock)
    report = await build_report(path)
    run = report.runs[0]
    by_number = {q.number: q for q in run.questions}
    assert [(a.source, a.by, a.role, a.text) for a in by_number[3].answers] == [
        ("followup", "choi.sh", "speaker", "Answered later, in the forum.")
    ]
    assert by_number[3].state == "answered" and run.stats.answered == 2
    assert by_number[1].answers[0].text is None and by_number[1].answers[0].private
    # an asker's own edits are not moderation, and their drafts are not "first asked as"
    assert by_number[2].original_text == "Oscar's question"
    assert by_number[1].original_text is None
    assert [e.action for _, e in run.moderation_log()].count("edited") == 1
    md = (await render_report(path, "md")).decode("utf-8")
    assert "Answered later, in the forum. | choi.sh (speaker), in the follow-up post" in md
    assert "answered in the follow-up post of" in md
    assert "Written answers | 2 | 1 after the session; 1 to the asker only |" in md


async def test_an_anonymous_asker_is_in_no_report_or_export(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "qa.sqlite3"
    await make_log(path, clock)
    for fmt in FORMATS:
        text = (await render_report(path, fmt)).decode("utf-8-sig")
        assert str(SECRET[0]) not in text, fmt
        assert SECRET[1] not in text and "Zelda" not in text, fmt
        assert "Draft by a secret asker" not in text, fmt  # their draft either
        assert "555-0199" not in text, fmt
        assert "Oscar's draft" not in text, fmt  # drafts stay in the log, not in reports
