"""Benchmark 1: an intake burst — N participants submitting at once through the /ask core path.

Measures throughput and latency from submission to the confirmation that follows the commit,
side by side in one run with two references on the same schema and pragmas:
- the floor: the same rows inserted by plain sqlite3 in one transaction;
- the naive design: one aiosqlite transaction and commit per question.
Targets at 5,000 at once: p99 < 100 ms, throughput >= 1/2 of the floor and >= 5x the naive design,
and nothing lost (rows counted after, numbers gapless).

    python benchmarks/bench_intake.py            # N = 1,000, 5,000, 20,000
    python benchmarks/bench_intake.py --small    # N = 200, 1,000
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import as_the_bot_runs, machine_description, percentile
from bot.questions import QuestionService
from bot.sessions import load_session
from bot.storage import repository as repo
from bot.storage.database import Database, migrations, split_statements
from bot.timeutil import to_db

SESSION_FILE = (
    Path(__file__).resolve().parent.parent / "config/sessions/gsef2021-inclusive-society.toml"
)
NOW = datetime(2021, 10, 4, 10, 15, tzinfo=UTC)  # in the GSEF Q&A segment: intake open
TEXT = "How can local governments keep domestic workers in housing co-operatives? #{i}"
NAIVE_CAP = 2000  # the naive design commits once per question; past this, a sample is timed


def question_text(i: int) -> str:
    return TEXT.format(i=i)


async def product(n: int, folder: Path) -> dict[str, float]:
    """Submit n questions at once through QuestionService.ask, as /ask does."""
    session = load_session(SESSION_FILE)
    db = Database(folder / "product.sqlite3")
    await db.open()
    try:

        async def prepare(conn: aiosqlite.Connection) -> repo.Run:
            await repo.upsert_session(conn, session, NOW)
            return await repo.real_run(conn, session.id, NOW)

        run = await db.write(prepare)
        service = QuestionService(db, lambda: NOW)
        latencies: list[float] = []

        async def participant(i: int) -> None:
            start = time.perf_counter()
            await service.ask(session, run, 10_000 + i, f"participant {i}", question_text(i))
            latencies.append(time.perf_counter() - start)

        commits_before = db.commits
        began = time.perf_counter()
        await asyncio.gather(*(participant(i) for i in range(n)))
        elapsed = time.perf_counter() - began
        commits = db.commits - commits_before

        async def check(conn: aiosqlite.Connection) -> tuple[int, int, int, int]:
            rows = await conn.execute_fetchall(
                "SELECT COUNT(*), MIN(number), MAX(number), COUNT(DISTINCT number) "
                "FROM questions WHERE run_id = ?",
                (run.id,),
            )
            row = next(iter(rows))
            return int(row[0]), int(row[1] or 0), int(row[2] or 0), int(row[3])

        count, low, high, distinct = await db.read(check)
    finally:
        await db.close()
    lost = n - count
    gapless = (low, high, distinct) == (1, n, n)
    latencies.sort()
    return {
        "throughput": n / elapsed,
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "max": latencies[-1] * 1000,
        "commits": commits,
        "lost": lost,
        "gapless": float(gapless),
        "elapsed": elapsed,
    }


def schema(path: Path) -> sqlite3.Connection:
    """A database with the product's schema and pragmas, for the references."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    for _, _, sql in migrations():
        for statement in split_statements(sql):
            conn.execute(statement)
    conn.execute(
        "INSERT INTO sessions (id, title, timezone, spec, first_seen) "
        "VALUES ('s', 't', 'UTC', '{}', ?)",
        (to_db(NOW),),
    )
    conn.execute(
        "INSERT INTO runs (id, session_id, kind, created_at) VALUES (1, 's', 'real', ?)",
        (to_db(NOW),),
    )
    conn.execute("COMMIT")
    return conn


def rows(i: int) -> tuple[tuple[object, ...], tuple[object, ...]]:
    stamp = to_db(NOW)
    question = (
        i + 1,
        1,
        i + 1,
        10_000 + i,
        f"participant {i}",
        0,
        question_text(i),
        None,
        "pending",
        "slash",
        stamp,
        stamp,
        None,
    )
    event = (i + 1, "asked", 10_000 + i, f"participant {i}", stamp, None, "pending", None, None)
    return question, event


INSERT_Q = (
    "INSERT INTO questions (id, run_id, number, author_id, author_name, anonymous, text, "
    "speaker_id, state, source, asked_at, updated_at, source_message_id) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
INSERT_E = (
    "INSERT INTO question_events (question_id, action, actor_id, actor_name, at, from_state, "
    "to_state, reason, detail) VALUES (?,?,?,?,?,?,?,?,?)"
)


def floor(n: int, folder: Path) -> dict[str, float]:
    """The same rows inserted by plain sqlite3 in one transaction (rows built in the timing)."""
    conn = schema(folder / "floor.sqlite3")
    began = time.perf_counter()
    built = [rows(i) for i in range(n)]
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(INSERT_Q, [q for q, _ in built])
    conn.executemany(INSERT_E, [e for _, e in built])
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    count = conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
    conn.close()
    return {"throughput": n / elapsed, "elapsed": elapsed, "lost": n - count}


async def naive(n: int, folder: Path) -> dict[str, float]:
    """One aiosqlite transaction and commit per question, the submitters taking turns."""
    schema(folder / "naive.sqlite3").close()
    conn = await aiosqlite.connect(folder / "naive.sqlite3", isolation_level=None)
    await conn.execute_fetchall("PRAGMA synchronous = FULL")
    lock = asyncio.Lock()
    timed = min(n, NAIVE_CAP)
    latencies: list[float] = []

    async def participant(i: int) -> None:
        start = time.perf_counter()
        question, event = rows(i)
        async with lock:
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute(INSERT_Q, question)
            await conn.execute(INSERT_E, event)
            await conn.execute("COMMIT")
        latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*(participant(i) for i in range(timed)))
    elapsed = time.perf_counter() - began
    count = next(iter(await conn.execute_fetchall("SELECT COUNT(*) FROM questions")))[0]
    await conn.close()
    latencies.sort()
    return {
        "throughput": timed / elapsed,
        "timed": timed,
        "p99": percentile(latencies, 99) * 1000,
        "lost": timed - int(count),
    }


async def measure(n: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        folder = Path(tmp)
        # Warm up the code path once (imports, caches) on a throwaway database.
        warm = folder / "warm"
        warm.mkdir()
        await product(50, warm)
        return {
            "product": await product(n, folder),
            "floor": floor(n, folder),
            "naive": await naive(n, folder),
        }


def report(n: int, result: dict[str, dict[str, float]]) -> bool:
    p, f, nv = result["product"], result["floor"], result["naive"]
    vs_floor = p["throughput"] / f["throughput"]
    vs_naive = p["throughput"] / nv["throughput"]
    print(f"\nN = {n:,} participants submitting at once")
    print(
        f"  product (group commit): {p['throughput']:>10,.0f} q/s  "
        f"p50 {p['p50']:6.1f} ms  p99 {p['p99']:6.1f} ms  max {p['max']:6.1f} ms  "
        f"commits {int(p['commits'])}  lost {int(p['lost'])}  numbers gapless {bool(p['gapless'])}"
    )
    print(f"  floor (plain sqlite3, one transaction): {f['throughput']:>10,.0f} q/s")
    sample = "" if nv["timed"] == n else f" (timed on the first {int(nv['timed']):,})"
    print(
        f"  naive (one aiosqlite commit each){sample}: {nv['throughput']:>10,.0f} q/s  "
        f"p99 {nv['p99']:.1f} ms"
    )
    print(
        f"  ratio to floor {vs_floor:.2f} (target >= 0.50), to naive {vs_naive:.1f}x (target >= 5)"
    )
    ok = p["lost"] == 0 and bool(p["gapless"])
    if n == 5000:
        ok = ok and p["p99"] < 100 and vs_floor >= 0.5 and vs_naive >= 5
    print(f"  {'PASS' if ok else 'FAIL'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="small sizes, for CI")
    parser.add_argument("--sizes", type=int, nargs="*", help="override the burst sizes")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([200, 1000] if args.small else [1000, 5000, 20000])
    print("Benchmark 1: intake burst through the /ask core path")
    print(machine_description())
    print(as_the_bot_runs())
    ok = True
    for n in sizes:
        ok = report(n, asyncio.run(measure(n))) and ok
    return 0 if ok or args.small else 1


if __name__ == "__main__":
    raise SystemExit(main())
