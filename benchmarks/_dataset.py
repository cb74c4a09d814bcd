"""A large, realistic log of the GSEF session, built through the product's own schema.

The database is opened with `bot.storage.database.Database` (which runs the migrations), the
session and its real run are recorded with the product's repository functions, and then the
questions, their audit events, votes and co-askers are BULK-LOADED WITH SQL (`executemany` inside
`db.write`). That SQL is benchmark set-up only: it writes exactly the rows the product writes
(questions.votes equal to the rows in votes, one event per state change, merged questions carrying
their co-askers), far faster than asking 100,000 questions one by one would.

The mix of states is what a big session ends with: most questions approved, some answered, some
pending, rejected, dismissed, withdrawn and merged; a few edited. Votes follow a heavy tail: most
questions have a few, a handful have thousands.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import aiosqlite

from benchmarks._common import GSEF_CONFIG, GSEF_ID
from bot.sessions import load_sessions
from bot.storage import repository as repo
from bot.storage.database import Database
from bot.timeutil import to_db

# How a big session's questions end up (fractions of all questions).
STATE_MIX = (
    ("approved", 0.70),
    ("answered", 0.08),
    ("pending", 0.08),
    ("rejected", 0.05),
    ("dismissed", 0.04),
    ("merged", 0.03),
    ("withdrawn", 0.02),
)
VOTABLE = ("approved", "answered", "dismissed")  # merged questions hand their votes over
EDITED_SHARE = 0.03
ANONYMOUS_SHARE = 0.12
MODERATORS = ((9001, "mona"), (9002, "mateo"), (9003, "olga"))
PARTICIPANT_BASE = 1_000_000
CHUNK = 50_000

_PHRASE = (
    "how can public private partnerships keep basic services affordable for low income families "
    "cooperatives women youth technology food security supply chain housing city government "
    "inclusion social economy solidarity local communities policy funding evaluation risk "
    "what would you change first which lessons from covid-19 apply to rural areas and who pays"
)
WORDS = tuple(_PHRASE.split(" "))


@dataclass
class Dataset:
    """What was built, for the benchmarks that use it."""

    path: Path
    run_id: int
    questions: int
    votes: int
    events: int
    states: dict[str, int]
    participants: int
    voters: int
    # (question id, author id) of every approved question, for vote toggles
    approved: list[tuple[int, int]] = field(default_factory=list)
    seconds: float = 0.0


def _text(rng: random.Random, number: int) -> str:
    n = rng.randint(12, 45)
    body = " ".join(rng.choice(WORDS) for _ in range(n))
    return f"{body[0].upper()}{body[1:]} (question {number})?"


def _state(rng: random.Random) -> str:
    x = rng.random()
    acc = 0.0
    for state, share in STATE_MIX:
        acc += share
        if x < acc:
            return state
    return STATE_MIX[0][0]


def _vote_counts(rng: random.Random, votable: list[int], total: int, cap: int) -> dict[int, int]:
    """Spread `total` votes over the votable questions with a heavy tail (Pareto weights)."""
    if not votable or total <= 0:
        return {}
    weights = [rng.paretovariate(1.5) for _ in votable]
    scale = total / sum(weights)
    counts = {qid: min(cap, int(w * scale)) for qid, w in zip(votable, weights, strict=True)}
    missing = total - sum(counts.values())
    while missing > 0:
        qid = rng.choice(votable)
        if counts[qid] < cap:
            counts[qid] += 1
            missing -= 1
    return counts


async def build(
    path: Path,
    questions: int,
    votes: int,
    *,
    seed: int = 6,
    participants: int | None = None,
    voters: int | None = None,
) -> Dataset:
    """Create a fresh database at `path` holding `questions` questions and `votes` votes."""
    import time

    started = time.perf_counter()
    rng = random.Random(seed)
    participants = participants or max(100, questions // 3)
    voters = voters or max(1000, questions // 2)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    session = next(s for s in load_sessions(GSEF_CONFIG) if s.id == GSEF_ID)
    opens = session.starts_at or datetime.fromisoformat("2021-10-04T09:00:00+00:00")
    span = timedelta(minutes=90)

    db = Database(path)
    await db.open()
    try:

        async def prepare(conn: aiosqlite.Connection) -> repo.Run:
            await repo.upsert_session(
                conn,
                session,
                opens - timedelta(days=1),
            )
            return await repo.real_run(conn, session.id, opens - timedelta(days=1))

        run = await db.write(prepare)
        speakers = [s.id for s in session.spec.speakers]
        labels = [lab.id for lab in session.spec.labels]

        # ---- questions (in memory first: states decide events, votes, merges)
        q_rows: list[list[object]] = []
        e_rows: list[tuple[object, ...]] = []
        co_rows: list[tuple[object, ...]] = []
        states: dict[str, int] = {}
        authors: dict[int, int] = {}
        approved_ids: list[int] = []
        votable: list[int] = []
        number_of: dict[int, int] = {}
        for number in range(1, questions + 1):
            qid = number
            author = PARTICIPANT_BASE + rng.randrange(participants)
            anonymous = rng.random() < ANONYMOUS_SHARE
            name = None if anonymous else f"participant-{author - PARTICIPANT_BASE}"
            asked = opens + span * (number - 1) / questions
            state = _state(rng)
            if state == "merged" and not approved_ids:
                state = "approved"
            reviewed = asked + timedelta(seconds=rng.uniform(5, 120))
            done = reviewed + timedelta(seconds=rng.uniform(30, 600))
            text = _text(rng, number)
            mod_id, mod_name = rng.choice(MODERATORS)
            actor: tuple[object, object] = (None, None) if anonymous else (author, name)
            asker_detail = '{"actor": "asker"}' if anonymous else None
            states[state] = states.get(state, 0) + 1
            authors[qid] = author
            number_of[qid] = number

            e_rows.append((qid, "asked", *actor, to_db(asked), None, "pending", None, asker_detail))
            merged_into = None
            answered_at = None
            updated = reviewed
            if state == "withdrawn":
                e_rows.append(
                    (qid, "withdrawn", *actor, to_db(reviewed), "pending", "withdrawn", None,
                     asker_detail)
                )  # fmt: skip
            elif state == "rejected":
                e_rows.append(
                    (qid, "rejected", mod_id, mod_name, to_db(reviewed), "pending", "rejected",
                     "off topic", None)
                )  # fmt: skip
            elif state != "pending":
                e_rows.append(
                    (qid, "approved", mod_id, mod_name, to_db(reviewed), "pending", "approved",
                     None, None)
                )  # fmt: skip
                if rng.random() < EDITED_SHARE:
                    before = text.replace("?", " please?")
                    detail = json.dumps({"before": before, "after": text})
                    e_rows.append(
                        (qid, "edited", mod_id, mod_name, to_db(reviewed), None, None, None,
                         detail)
                    )  # fmt: skip
                if state == "answered":
                    e_rows.append(
                        (qid, "live", mod_id, mod_name, to_db(done), "approved", "live", None,
                         None)
                    )  # fmt: skip
                    answered_at = done + timedelta(seconds=rng.uniform(30, 300))
                    e_rows.append(
                        (qid, "answered", mod_id, mod_name, to_db(answered_at), "live",
                         "answered", None, None)
                    )  # fmt: skip
                    updated = answered_at
                elif state == "dismissed":
                    e_rows.append(
                        (qid, "dismissed", mod_id, mod_name, to_db(done), "approved",
                         "dismissed", "covered already", None)
                    )  # fmt: skip
                    updated = done
                elif state == "merged":
                    kept = rng.choice(approved_ids)
                    merged_into = kept
                    e_rows.append(
                        (qid, "merged", mod_id, mod_name, to_db(done), "approved", "merged",
                         None, json.dumps({"into": number_of[kept], "votes": 0}))
                    )  # fmt: skip
                    e_rows.append(
                        (kept, "merged_in", mod_id, mod_name, to_db(done), None, None, None,
                         json.dumps({"from": number, "votes": 0}))
                    )  # fmt: skip
                    co_rows.append((kept, author, int(anonymous), qid))
                    updated = done
                if state == "approved":
                    approved_ids.append(qid)
                if state in VOTABLE:
                    votable.append(qid)
            q_rows.append(
                [qid, run.id, number, author, name, int(anonymous), text,
                 rng.choice(speakers) if rng.random() < 0.6 else None,
                 rng.choice(labels) if rng.random() < 0.3 else None,
                 state, "slash", to_db(asked), to_db(updated),
                 to_db(answered_at) if answered_at else None, merged_into, 0]
            )  # fmt: skip

        # ---- votes: a heavy tail over the votable questions, never by the question's author
        counts = _vote_counts(rng, votable, votes, cap=voters - 1)
        v_rows: list[tuple[object, ...]] = []
        for qid in sorted(counts):
            k = counts[qid]
            if k == 0:
                continue
            stamp = str(q_rows[qid - 1][12])  # the question's updated_at text
            chosen = rng.sample(range(voters), k + 1)
            author = authors[qid]
            picked = [PARTICIPANT_BASE + v for v in chosen if PARTICIPANT_BASE + v != author][:k]
            v_rows.extend((qid, voter, stamp) for voter in sorted(picked))
            q_rows[qid - 1][15] = k

        # ---- load, in chunks, through the product's writer (BENCHMARK SET-UP SQL)
        async def insert(sql: str, rows: list[tuple[object, ...]]) -> None:
            for start in range(0, len(rows), CHUNK):
                part = rows[start : start + CHUNK]

                async def load(
                    conn: aiosqlite.Connection, part: list[tuple[object, ...]] = part
                ) -> None:
                    await conn.executemany(sql, part)

                await db.write(load)

        await insert(
            "INSERT INTO questions (id, run_id, number, author_id, author_name, anonymous, text, "
            "speaker_id, label_id, state, source, asked_at, updated_at, answered_at, "
            "merged_into, votes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [tuple(r) for r in q_rows],
        )
        await insert(
            "INSERT INTO question_events (question_id, action, actor_id, actor_name, at, "
            "from_state, to_state, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            e_rows,
        )
        await insert(
            "INSERT INTO votes (question_id, voter_id, at) VALUES (?, ?, ?)",
            v_rows,
        )
        await insert(
            "INSERT OR IGNORE INTO co_askers (question_id, user_id, anonymous, from_question_id) "
            "VALUES (?, ?, ?, ?)",
            co_rows,
        )

        async def check(conn: aiosqlite.Connection) -> None:
            rows = await conn.execute_fetchall(
                "SELECT COUNT(*) FROM questions q WHERE q.votes != "
                "(SELECT COUNT(*) FROM votes v WHERE v.question_id = q.id)"
            )
            assert next(iter(rows))[0] == 0, "questions.votes must equal the rows in votes"

        await db.write(check)
    finally:
        await db.close()

    return Dataset(
        path=path,
        run_id=run.id,
        questions=questions,
        votes=len(v_rows),
        events=len(e_rows),
        states=states,
        participants=participants,
        voters=voters,
        approved=[(qid, authors[qid]) for qid in approved_ids],
        seconds=time.perf_counter() - started,
    )


async def build_or_reuse(
    work: Path, questions: int, votes: int, cache: Path | None, *, seed: int = 6
) -> Dataset:
    """Build the dataset at `work`; with `cache` (optional), keep a pristine copy there and start
    later runs from a copy of it instead of rebuilding (the benchmark may change its copy)."""
    if cache is None:
        return await build(work, questions, votes, seed=seed)
    cache.mkdir(parents=True, exist_ok=True)
    stem = f"gsef-{questions}q-{votes}v-seed{seed}"
    pristine = cache / f"{stem}.sqlite3"
    meta = cache / f"{stem}.json"
    if pristine.exists() and meta.exists():
        info = json.loads(meta.read_text())
        shutil.copyfile(pristine, work)
        return Dataset(
            path=work,
            run_id=info["run_id"],
            questions=info["questions"],
            votes=info["votes"],
            events=info["events"],
            states=info["states"],
            participants=info["participants"],
            voters=info["voters"],
            approved=[(int(a), int(b)) for a, b in info["approved"]],
            seconds=0.0,
        )
    data = await build(pristine, questions, votes, seed=seed)
    meta.write_text(
        json.dumps(
            {
                "run_id": data.run_id,
                "questions": data.questions,
                "votes": data.votes,
                "events": data.events,
                "states": data.states,
                "participants": data.participants,
                "voters": data.voters,
                "approved": data.approved,
            }
        )
    )
    shutil.copyfile(pristine, work)
    data.path = work
    return data
