"""Benchmark 3: moderator commands in the core on a big log.

A database of 100,000 questions and 1,000,000 votes (see benchmarks/_dataset.py: built through
the product's schema and writer, states mostly approved), then, through
`bot.questions.QuestionService` exactly as the cogs call it, one operation at a time:

- `/qa next` -> `next_question(run_id, ...)`: the top approved question goes live, the one live
  before becomes answered (a thousand of ~70,000 approved: the queue keeps its shape);
- `/qa queue` -> `queue(run_id)`: the top 15 approved and the counts per state;
- vote toggle -> `toggle_vote(question_id, voter_id)`: a random voter on a random approved
  question.

Every write is a real commit (WAL, synchronous=FULL) on a file in the temporary folder.
Target: p99 under 5 ms for each.

    python benchmarks/bench_moderation.py            # 100,000 questions, 1,000,000 votes
    python benchmarks/bench_moderation.py --small    # 5,000 questions, 50,000 votes
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import Verdicts, as_the_bot_runs, fmt_ms, header, parser, summary_ms
from benchmarks._dataset import MODERATORS, PARTICIPANT_BASE, Dataset, build_or_reuse
from bot.errors import Refusal
from bot.questions import QuestionService
from bot.storage.database import Database
from bot.timeutil import utcnow

TARGET_P99_MS = 5.0


async def timed(
    name: str, op: Callable[[int], Awaitable[object]], warmup: int, ops: int
) -> list[float]:
    """Run `op(i)` `warmup` times untimed, then `ops` times timed, one after another."""
    for i in range(warmup):
        await op(i)
    samples: list[float] = []
    for i in range(ops):
        start = time.perf_counter()
        await op(warmup + i)
        samples.append(time.perf_counter() - start)
    return samples


async def bench(data: Dataset, ops: int, warmup: int, seed: int) -> dict[str, list[float]]:
    rng = random.Random(seed)
    db = Database(data.path)
    await db.open()
    try:
        core = QuestionService(db, utcnow)
        run_id = data.run_id
        mod_id, mod_name = MODERATORS[0]
        results: dict[str, list[float]] = {}

        async def qa_next(i: int) -> object:
            live, _answered = await core.next_question(run_id, mod_id, mod_name)
            return live

        async def qa_queue(i: int) -> object:
            view = await core.queue(run_id)
            assert view.top and view.counts["approved"] > 0
            return view

        targets = [(qid, author) for qid, author in data.approved]
        refused = 0

        async def vote(i: int) -> object:
            nonlocal refused
            qid, author = rng.choice(targets)
            voter = PARTICIPANT_BASE + rng.randrange(data.voters)
            if voter == author:
                voter = PARTICIPANT_BASE + data.voters  # someone else entirely
            try:
                return await core.toggle_vote(qid, voter)
            except Refusal:  # the question went live/answered through /qa next: it happens
                refused += 1
                return None

        before = await core.queue(run_id)
        results["/qa next"] = await timed("/qa next", qa_next, warmup, ops)
        results["/qa queue"] = await timed("/qa queue", qa_queue, warmup, ops)
        results["vote toggle"] = await timed("vote toggle", vote, warmup, ops)
        after = await core.queue(run_id)
        print(
            f"queue before: {before.counts['approved']} approved, top #{before.top[0].number} "
            f"({before.top[0].votes} votes); after: {after.counts['approved']} approved, "
            f"{after.counts['answered']} answered, {after.counts['live']} live"
        )
        if refused:
            print(f"vote toggles refused (question no longer approved): {refused}")

        async def consistent(conn: object) -> int:
            rows = await conn.execute_fetchall(  # type: ignore[attr-defined]
                "SELECT COUNT(*) FROM questions q WHERE q.run_id = ? AND q.votes != "
                "(SELECT COUNT(*) FROM votes v WHERE v.question_id = q.id)",
                (run_id,),
            )
            return int(next(iter(rows))[0])

        mismatched = await db.read(consistent)
        if mismatched:
            raise SystemExit(f"BUG: {mismatched} questions' vote counts differ from their votes")
        print(f"commits: {db.commits}; vote counts consistent after the run")
        return results
    finally:
        await db.close()


async def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--questions", type=int, help="questions in the log (100000; small 5000)")
    p.add_argument("--votes", type=int, help="votes in the log (1000000; small 50000)")
    p.add_argument("--ops", type=int, help="timed operations per command (1000; small 200)")
    p.add_argument("--warmup", type=int, default=None, help="untimed operations first (100)")
    p.add_argument("--seed", type=int, default=6)
    p.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="optional folder keeping a pristine copy of the built database between runs "
        "(each run works on a fresh copy of it); default: build anew in a temporary folder",
    )
    args = p.parse_args()
    questions = args.questions or (5_000 if args.small else 100_000)
    votes = args.votes if args.votes is not None else (50_000 if args.small else 1_000_000)
    ops = args.ops or (200 if args.small else 1_000)
    warmup = args.warmup if args.warmup is not None else (20 if args.small else 100)
    header("Benchmark 3: moderator commands in the core", args)
    print(as_the_bot_runs())

    with tempfile.TemporaryDirectory(prefix="bench-moderation-") as tmp:
        data = await build_or_reuse(Path(tmp) / "qa.sqlite3", questions, votes, args.cache)
        size = data.path.stat().st_size / 1e6
        built = f"built in {data.seconds:.1f} s" if data.seconds else "copied from the cache"
        print(
            f"log: {data.questions} questions, {data.votes} votes, {data.events} events, "
            f"{size:.0f} MB ({built}); states {dict(sorted(data.states.items()))}"
        )
        print(f"timed: {ops} operations each after {warmup} warm-up, one at a time")
        results = await bench(data, ops, warmup, args.seed)

    verdicts = Verdicts(args.small)
    print("-- figures")
    for name, samples in results.items():
        stats = summary_ms(samples)
        print(f"{name:12s} {fmt_ms(stats)}  ({len(samples) / sum(samples):.0f} ops/s)")
        verdicts.check(f"{name} p99", stats["p99"], TARGET_P99_MS, unit=" ms", fmt=_ms)
    return verdicts.report()


def _ms(v: float) -> str:
    return f"{v:.2f}"


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
