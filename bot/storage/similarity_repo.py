"""SQL that reads what the similarity index and `/qa themes` need: a run's open questions.

    index = SimilarityIndex()
    index.rebuild(await db.read(lambda conn: load_open(conn, run_id)))    # at start, per run
    index.rebuild(await db.read(load_all_open))                           # or every run at once

Rows are (question_id, run_id, number, text, state), as `SimilarityIndex.rebuild` takes them.
The `questions_rank` index (run_id, state, ...) serves both queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.similarity import OPEN_STATES
from bot.states import VOTABLE

OpenRow = tuple[int, int, int, str, str]

_OPEN = tuple(sorted(OPEN_STATES))
_MARKS = ", ".join("?" * len(_OPEN))


async def load_open(conn: aiosqlite.Connection, run_id: int) -> list[OpenRow]:
    """Return the run's open questions (pending, approved, live) by number."""
    rows = await conn.execute_fetchall(
        "SELECT id, run_id, number, text, state FROM questions "
        f"WHERE run_id = ? AND state IN ({_MARKS}) ORDER BY number",
        (run_id, *_OPEN),
    )
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


async def load_all_open(
    conn: aiosqlite.Connection, run_ids: Sequence[int] | None = None
) -> list[OpenRow]:
    """Return the open questions of these runs (default: of every run not ended), by run and
    number."""
    if run_ids is None:
        rows = await conn.execute_fetchall(
            "SELECT q.id, q.run_id, q.number, q.text, q.state FROM questions q "
            "JOIN runs r ON r.id = q.run_id "
            f"WHERE r.ended_at IS NULL AND q.state IN ({_MARKS}) ORDER BY q.run_id, q.number",
            _OPEN,
        )
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
    out: list[OpenRow] = []
    for run_id in run_ids:
        out.extend(await load_open(conn, run_id))
    return out


@dataclass(frozen=True, slots=True)
class ThemeRow:
    """An open question as `/qa themes` groups it (bot.similarity.ThemeQuestion)."""

    id: int
    number: int
    text: str
    votes: int
    label_id: str | None
    state: str


async def theme_rows(
    conn: aiosqlite.Connection, run_id: int, states: Sequence[str] = tuple(sorted(VOTABLE))
) -> list[ThemeRow]:
    """Return the run's questions in `states` (default: those open to votes) for themes."""
    marks = ", ".join("?" * len(states))
    rows = await conn.execute_fetchall(
        "SELECT id, number, text, votes, label_id, state FROM questions "
        f"WHERE run_id = ? AND state IN ({marks}) ORDER BY number",
        (run_id, *states),
    )
    return [ThemeRow(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]
