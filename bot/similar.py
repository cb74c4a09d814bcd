"""Similar questions as a service: the index of the runs the bot plays, kept in step with the log.

`bot.similarity` holds the pure index and themes; this service rebuilds the index from the log
at start, follows every committed change (it listens to `QuestionService`), and answers the
three questions the bot asks of it: is a new question like an open one (the hint at /ask, only
public questions), is a card like another open question (moderators' "possible duplicate"), and
what themes do the open questions fall into (`/qa themes`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from bot.questions import Question
from bot.runs import Runs
from bot.sessions import Session
from bot.similarity import CARD_THRESHOLD, Match, SimilarityIndex, Theme, themes
from bot.states import VOTABLE
from bot.storage import questions_repo as qrepo
from bot.storage import similarity_repo
from bot.storage.database import Database
from bot.storage.similarity_repo import ThemeRow

__all__ = ["Match", "SimilarQuestions", "Theme", "ThemeRow"]

log = logging.getLogger(__name__)


class SimilarQuestions:
    """What is like what, among the open questions of each run the bot plays."""

    def __init__(self, db: Database, runs: Runs) -> None:
        self.db = db
        self.runs = runs
        self.index = SimilarityIndex()

    async def start(self) -> None:
        """Rebuild the index from the log: the open questions of every current run."""
        run_ids = [self.runs[s].id for s in self.runs]
        rows = await self.db.read(lambda conn: similarity_repo.load_all_open(conn, run_ids))
        self.index.rebuild(rows)
        log.info("similarity index: %d open questions", len(self.index))

    def changed(self, run_id: int, questions: Sequence[Question]) -> None:
        """Follow a committed change (a `QuestionService` listener)."""
        for q in questions:
            self.index.update(q.id, q.run_id, q.number, q.text, q.state)

    async def hint(self, q: Question) -> tuple[Match, Question] | None:
        """A public open question very like the new question `q` (not the asker's own), with
        that question as stored, for the asker's private confirmation; or None."""
        match = self.index.similar(q.run_id, q.text, exclude_id=q.id, states=VOTABLE)
        if match is None:
            return None
        kept = await self.db.read(lambda conn: qrepo.get_question(conn, match.question_id))
        if kept is None or kept.author_id == q.author_id or kept.state not in VOTABLE:
            return None
        return match, kept

    def duplicate(self, q: Question) -> Match | None:
        """The open question a card's question may duplicate, for moderators; or None."""
        return self.index.similar(q.run_id, q.text, exclude_id=q.id, threshold=CARD_THRESHOLD)

    async def themes(self, session: Session, run_id: int) -> list[Theme[Any]]:
        """The run's questions open to votes, grouped into a handful of themes (computed in a
        worker thread: 5,000 questions take about a second)."""
        rows = await self.db.read(lambda conn: similarity_repo.theme_rows(conn, run_id))
        return await asyncio.to_thread(themes, rows, session.spec.labels)
