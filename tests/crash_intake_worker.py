"""Run question intake bursts against a database and print each confirmed number at once.

Used by tests/test_crash.py, which kills this process with SIGKILL in the middle of a burst:

    python -m tests.crash_intake_worker DB [--bursts N] [--burst-size M] [--first-author K]

Every line on stdout is the number of a question whose `ask` has returned, that is, whose
commit is done: what a participant would have been told ("Your question is #N"). Bursts go on
until --bursts is reached (0: forever).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.questions import QuestionService
from bot.sessions import Session, load_session
from bot.storage import repository as repo
from bot.storage.database import Database

ROOT = Path(__file__).resolve().parent.parent
GSEF = ROOT / "config" / "sessions" / "gsef2021-inclusive-society.toml"
IN_THE_QA = datetime(2021, 10, 4, 10, 15, tzinfo=UTC)  # intake open


def open_rules(session: Session) -> Session:
    """The GSEF session with no cooldown: every ask of a burst is accepted."""
    spec = session.spec.model_copy(
        update={
            "questions": session.spec.questions.model_copy(
                update={"cooldown_seconds": 0, "max_pending_per_user": 1_000_000}
            )
        }
    )
    return Session(spec, session.source)


async def main(path: Path, bursts: int, size: int, first_author: int) -> None:
    db = Database(path)
    await db.open()
    session = open_rules(load_session(GSEF))

    def clock() -> datetime:
        return IN_THE_QA

    async def prepare(conn):  # type: ignore[no-untyped-def]
        await repo.upsert_session(conn, session, IN_THE_QA)
        return await repo.real_run(conn, session.id, IN_THE_QA)

    run = await db.write(prepare)
    core = QuestionService(db, clock)
    out = sys.stdout

    async def ask(author: int, text: str) -> None:
        q = await core.ask(session, run, author, f"user{author}", text)
        out.write(f"{q.number}\n")
        out.flush()

    author = first_author
    done = 0
    try:
        while bursts == 0 or done < bursts:
            asks = []
            for _ in range(size):
                author += 1
                asks.append(ask(author, f"Question from {author}: what comes next?"))
            await asyncio.gather(*asks)
            done += 1
    finally:
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("database", type=Path)
    parser.add_argument("--bursts", type=int, default=0)
    parser.add_argument("--burst-size", type=int, default=50)
    parser.add_argument("--first-author", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main(args.database, args.bursts, args.burst_size, args.first_author))
