"""A fixed Q&A log for report tests, made through the questions core as the bot makes it.

The GSEF 2021 workshop (Seoul time) with eleven questions asked during the talks and answered in
the participants' Q&A: Korean, Spanish and Chinese text, anonymous askers, a merged pair, an
edited question, a rejected and a withdrawn one, a question with `<script>` in it and one that
starts like a spreadsheet formula, a speaker's written answer and a private answer to an
anonymous asker. Every time is fixed, so the log is the same on every run.

Run `python -m tests.report_fixture OUT_DIR` to write the database and its reports there.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.answers import AnswerService
from bot.questions import QuestionService
from bot.reports import build_report, renderer
from bot.reports.model import Report
from bot.sessions import load_session
from bot.storage import repository as repo
from bot.storage.database import Database

ROOT = Path(__file__).resolve().parent.parent
GSEF = ROOT / "config" / "sessions" / "gsef2021-inclusive-society.toml"
START = datetime(2021, 10, 4, 9, 0, tzinfo=UTC)  # 18:00 KST, the session's first segment
GENERATED_AT = datetime(2021, 10, 4, 11, 0, tzinfo=UTC)

MONA = (9001, "Mona (moderator)")
MATEO = (9002, "Mateo")

LI_LI = (9101, "Li-Li C.")  # the speaker li-li-chang's Discord account
WRITTEN_ANSWER = "Residents sit on the *design board* from the first sketch; see <b>p. 4</b>."
PRIVATE_ANSWER = "Only for you: the supply chain study is not public yet."

SCRIPT_TEXT = '<script>alert("x")</script> Is the "inclusive" label & data safe?\nSecond line.'


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, minutes: float) -> None:
        self.now = START + timedelta(minutes=minutes)


async def build_log(path: Path) -> None:
    """Write the fixed log to a new database at `path`."""
    session = load_session(GSEF)
    clock = FixedClock(START)
    db = Database(path)
    await db.open()
    try:

        async def prepare(conn):  # type: ignore[no-untyped-def]
            await repo.upsert_session(
                conn,
                session,
                START - timedelta(days=1),
            )
            return await repo.real_run(conn, session.id, START - timedelta(days=1))

        run = await db.write(prepare)
        qs = QuestionService(db, clock)

        async def ask(minutes: float, user: int, name: str | None, text: str, **kw):  # type: ignore[no-untyped-def]
            clock.at(minutes)
            return await qs.ask(session, run, user, name, text, **kw)

        q1 = await ask(
            12, 101, "Alice Wanjiru", "How do domestic workers join the co-operative?",
            speaker_id="joyce-mundara",
        )  # fmt: skip
        q2 = await ask(
            23,
            102,
            "김보미",
            "사회주택 입주자 참여는 어떻게 이루어지나요?",
            speaker_id="li-li-chang",
        )
        q3 = await ask(
            26, 103, "Carmen Núñez",
            "¿Cómo se financian los centros de salud comunitarios?",
            speaker_id="seon-hee-choi",
        )  # fmt: skip
        q4 = await ask(
            28, 104, "Dave", "青年参与社会住房的计划如何评估？", speaker_id="li-li-chang",
            anonymous=True,
        )  # fmt: skip
        q5 = await ask(36, 105, "Eve <b>Admin</b>", SCRIPT_TEXT)
        q6 = await ask(41, 106, "Frank", "=SUM(A1:A9) how is the impact measured?")
        q7 = await ask(
            42, 107, "Gina", "How do residents take part in designing the social housing?",
            speaker_id="li-li-chang",
        )  # fmt: skip
        q8 = await ask(
            44, 101, "Alice Wanjiru", "what share of food is local in hongseong",
            speaker_id="sung-woong-jung",
        )  # fmt: skip
        q9 = await ask(45, 108, "Harry", "Buy my course!!! Link in bio")
        q10 = await ask(46, 109, "Ivan", "Never mind, found it")
        q11 = await ask(
            47, 110, "Jane", "How did COVID-19 change the food supply chain?",
            speaker_id="sung-woong-jung", anonymous=True,
        )  # fmt: skip

        run_id = run.id
        clock.at(48)
        for q in (q1, q2, q3, q4, q5, q6):
            await qs.approve(run_id, q.number, *MONA)
        clock.at(48.5)
        await qs.reject(run_id, q9.number, *MATEO, reason="advertising")
        await qs.merge(run_id, q7.number, q2.number, *MONA)
        clock.at(49)
        await qs.edit(
            run_id,
            q8.number,
            "What share of the food eaten in Hongseong is produced locally?",
            *MATEO,
        )
        await qs.approve(run_id, q8.number, *MATEO)
        await qs.approve(run_id, q11.number, *MATEO)
        await qs.label(session, run_id, q1.number, "women", *MONA)
        await qs.label(session, run_id, q2.number, "youth", *MONA)
        await qs.label(session, run_id, q4.number, "youth", *MONA)
        await qs.label(session, run_id, q3.number, "technology", *MONA)
        await qs.label(session, run_id, q8.number, "food-security", *MATEO)
        await qs.label(session, run_id, q11.number, "covid-19", *MATEO)
        clock.at(49.5)
        await qs.withdraw(run_id, q10.number, 109)

        # votes from the audience (ids 200+), a few minutes into the discussion
        votes = [(q2, 6), (q4, 4), (q1, 3), (q11, 5), (q3, 1), (q8, 2), (q6, 1)]
        minute = 50.0
        for q, count in votes:
            for voter in range(count):
                minute += 0.25
                clock.at(minute)
                await qs.toggle_vote(q.id, 200 + voter)

        # participants' Q&A from 19:10 KST (minute 70)
        clock.at(71)
        await qs.next_question(run_id, *MONA)  # #2, the most voted
        clock.at(74)
        await qs.next_question(run_id, *MONA)  # #11; #2 answered
        clock.at(77.5)
        await qs.pick(run_id, q1.number, *MATEO)  # #11 answered
        clock.at(80)
        await qs.answered(run_id, *MATEO)  # #1 answered
        clock.at(81)
        await qs.pick(run_id, q5.number, *MONA)
        clock.at(83)
        await qs.answered(run_id, *MONA)  # #5 answered
        clock.at(84)
        await qs.dismiss(run_id, q6.number, *MONA, reason="out of scope")
        answers = AnswerService(db, clock, qs)
        clock.at(86)
        await answers.answer(
            run_id, q2.number, WRITTEN_ANSWER, *LI_LI, "speaker", speaker_ids={"li-li-chang"}
        )
        clock.at(87)
        await answers.answer(run_id, q11.number, PRIVATE_ANSWER, *MATEO, "moderator", private=True)
        await answers.drain()
        # left open: #3, #4, #8 (the follow-up list)
    finally:
        await db.close()


async def fixed_report(path: Path, **options: str) -> Report:
    """Return the report of the fixed log with its fixed generation time."""
    report = await build_report(path, **options)  # type: ignore[arg-type]
    return replace(report, generated_at=GENERATED_AT)


async def write_all(out: Path) -> None:
    """Write the fixed log and its four reports into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    database = out / "report-fixture.sqlite3"
    database.unlink(missing_ok=True)
    await build_log(database)
    report = await fixed_report(database)
    for fmt in ("json", "csv", "md", "html"):
        (out / f"report.{fmt}").write_bytes(renderer(fmt)(report))


if __name__ == "__main__":
    asyncio.run(write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "data/report-fixture")))


def synthetic_report(questions: int, *, seed: int = 7) -> Report:
    """Return a report of `questions` made-up questions spread over the GSEF program (no
    database), for tests of the caps and for timing the renderers."""
    import random

    from bot.reports.model import Event, Question, RunReport, SegmentTime
    from bot.storage.repository import Run

    rng = random.Random(seed)
    session = load_session(GSEF)
    speakers = [None, *(s.id for s in session.spec.speakers)]
    labels = [None, *(lab.id for lab in session.spec.labels)]
    states = ["answered", "approved", "rejected", "withdrawn", "dismissed", "pending", "merged"]
    span = 90 * 60
    items = []
    for n in range(1, questions + 1):
        asked = START + timedelta(seconds=span * n / (questions + 1))
        state = rng.choice(states)
        answered = asked + timedelta(seconds=rng.randint(30, 1800)) if state == "answered" else None
        anonymous = n % 5 == 0
        events = [
            Event("asked", None if anonymous else str(n), None, asked, None, None, "pending", None)
        ]
        if state != "pending":
            events.append(
                Event("approved", "9001", "Mona", asked, None, "pending", "approved", None)
            )
        if answered:
            events.append(
                Event("answered", "9001", "Mona", answered, None, "live", "answered", None)
            )
        items.append(
            Question(
                id=n,
                number=n,
                text=f"Question {n}: how does the programme reach people like me? 질문 ¿qué? 问题",
                state=state,
                votes=rng.randint(0, 30),
                anonymous=anonymous,
                author_id=None if anonymous else str(100000 + n),
                author_name=None if anonymous else f"Participant {n}",
                speaker_id=rng.choice(speakers),
                label_id=rng.choice(labels),
                source="slash",
                asked_at=asked,
                answered_at=answered,
                merged_into=max(1, n - 1) if state == "merged" else None,
                also_asked_by=0,
                events=tuple(events),
            )
        )
    segments = tuple(
        SegmentTime(s.id, s.segment.title, s.segment.kind, s.segment.speaker, s.start, s.end)
        for s in session.slots
    )
    run = Run(1, session.id, "real", START, None, 1.0, 0, None, None)
    report = RunReport(
        session=session,
        run=run,
        questions=tuple(items),
        segments=segments,
        posts=(),
        run_events=(),
        votes_cast=sum(q.votes for q in items),
        voters=min(questions, 500),
        participant_ids=frozenset(str(n) for n in range(questions)),
    )
    return Report(generated_at=GENERATED_AT, runs=(report,))
