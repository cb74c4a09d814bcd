"""Benchmark 6: the presenter screen, from `/qa next` to the question in the page's DOM.

The bot's side runs in this process as the bot runs it: a `Database` on a file (WAL,
synchronous=FULL), `QuestionService` and a `ScreenServer` on a free port of 127.0.0.1. One sample
is `/qa next` as the cog will make it: `next_question(...)` (one commit) and then
`server.notify(session_id)`; the clock starts before the call. It ends when the question's number
is in the DOM of a real page in headless Chromium (Debian's, driven by Playwright): a
MutationObserver on the page stamps the moment `render()` has put it there
(`performance.timeOrigin + performance.now()`, the same wall clock as `time.time()` here).

Two sizes of audience:

- 1 viewer: the browser page alone;
- 200 viewers: the browser page and 199 raw Server-Sent-Events clients (aiohttp), all in one
  separate process so they load the server without sharing its event loop. They stamp each
  question's arrival too; those figures are printed as delivery to every viewer.

Samples are 0.25 s apart (a moderator never picks questions faster), so no sample waits for the
previous one's push. Memory per viewer: the bot process's resident memory with the 199 streams
connected and served, minus without them, divided by 199.

Without Chromium or Playwright the page is replaced by one more raw client, and the output says
so. Target: p99 < 250 ms with 200 viewers on 2 cores.

    python benchmarks/bench_screen.py            # 200 samples per audience, 200 viewers
    python benchmarks/bench_screen.py --small    # 12 samples, 20 viewers
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import GSEF_CONFIG, Verdicts, fmt_ms, header, parser, summary_ms

TARGET_P99_MS = 250.0
QA_TIME = datetime(2021, 10, 4, 10, 15, tzinfo=UTC)  # 19:15 KST: intake open, the Q&A running
SPACING = 0.25  # seconds between two samples
NUMBER = re.compile(rb'"question":\{"number":(\d+)')
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OBSERVE = """() => {
    window.arrivals = {};
    const root = document.getElementById('screen');
    new MutationObserver(() => {
        const n = root.dataset.number;
        if (n && !(n in window.arrivals)) {
            window.arrivals[n] = performance.timeOrigin + performance.now();
        }
    }).observe(root, {attributes: true, attributeFilter: ['data-number']});
}"""


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ------------------------------------------------------------------ the viewers' process


async def viewers_process(url: str, count: int) -> None:
    """Hold `count` streams open; say "ready" once each has its first state; on stdin's end,
    print {number: [arrival times]} and exit."""
    import aiohttp

    arrivals: dict[int, list[float]] = {}
    ready = asyncio.Event()
    started = 0

    async def viewer(session: aiohttp.ClientSession) -> None:
        nonlocal started
        seen: int | None = None
        first = True
        async with session.get(url + "events") as response:
            async for line in response.content:
                if not line.startswith(b"data: {"):
                    continue
                match = NUMBER.search(line)  # the question on screen comes before the queue
                number = int(match[1]) if match else None
                if number is not None and number != seen:
                    arrivals.setdefault(number, []).append(time.time())
                seen = number
                if first:
                    first = False
                    started += 1
                    if started == count:
                        ready.set()

    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        tasks = [asyncio.create_task(viewer(session)) for _ in range(count)]
        await ready.wait()
        print("ready", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes it
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps(arrivals), flush=True)


class Viewers:
    """The separate process of raw SSE clients."""

    def __init__(self, url: str, count: int) -> None:
        self.url, self.count = url, count
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Viewers:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(Path(__file__).resolve()),
            "--viewers-of",
            self.url,
            "--count",
            str(self.count),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 26,  # the arrivals come back as one JSON line
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 120)
        if line.strip() != b"ready":
            raise SystemExit(f"the viewers' process did not start: {line!r}")
        return self

    async def arrivals(self) -> dict[int, list[float]]:
        assert self.proc is not None and self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.close()
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        await self.proc.wait()
        return {int(k): v for k, v in json.loads(line).items()}

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


# ------------------------------------------------------------------ the page


class Page:
    """The real page (Chromium), or a stand-in raw client when there is no browser here."""

    def __init__(self) -> None:
        self.kind = "none"
        self._pw: Any = None
        self._browser: Any = None
        self.page: Any = None
        self._stand_in: Viewers | None = None
        self._seen: dict[int, float] = {}

    async def open(self, url: str) -> None:
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            chromium = None
        if chromium is None:
            self.kind = "raw SSE client (no Chromium or Playwright here)"
            self._stand_in = Viewers(url, 1)
            await self._stand_in.__aenter__()
            return
        self._pw = await async_playwright().start()
        self._browser = await self._pw.chromium.launch(executable_path=chromium, args=FLAGS)
        self.page = await self._browser.new_page(viewport={"width": 1280, "height": 720})
        await self.page.goto(url)
        await self.page.wait_for_function(
            "() => document.getElementById('screen').dataset.connected === '1'"
        )
        await self.page.evaluate(OBSERVE)
        self.kind = f"Chromium {self._browser.version} page (Playwright)"

    async def arrival(self, number: int, within: float = 30) -> float | None:
        """When `number` reached the page's DOM (wall clock, s); None for the stand-in."""
        if self.page is None:
            return None
        await self.page.wait_for_function(
            "n => window.arrivals[n] !== undefined", arg=str(number), timeout=within * 1000
        )
        stamp = await self.page.evaluate("n => window.arrivals[n]", str(number))
        return float(stamp) / 1000

    async def stand_in_arrivals(self) -> dict[int, list[float]]:
        if self._stand_in is None:
            return {}
        found = await self._stand_in.arrivals()
        self._stand_in = None
        return found

    async def close(self) -> None:
        if self._stand_in is not None:
            await self._stand_in.__aexit__()
        if self._browser is not None:
            await self._browser.close()
        if self._pw is not None:
            await self._pw.stop()


# ------------------------------------------------------------------ the bot's side


async def bench(samples: int, viewers: int, warmup: int, small: bool) -> int:
    from bot.questions import QuestionService
    from bot.screen import ScreenServer
    from bot.sessions import load_session
    from bot.storage import repository as repo
    from bot.storage.database import Database

    def clock() -> datetime:
        return QA_TIME

    session = load_session(GSEF_CONFIG)
    with tempfile.TemporaryDirectory(prefix="bench-screen-") as tmp:
        db = Database(Path(tmp) / "qa.sqlite3")
        await db.open()
        now = clock()

        async def prepare(conn: Any) -> Any:
            await repo.upsert_session(conn, session, now)
            return await repo.real_run(conn, session.id, now)

        run = await db.write(prepare)
        core = QuestionService(db, clock)
        total = 2 * samples + warmup + 10
        for author in range(total):  # distinct askers: no cooldown, no limit in the way
            text = f"Question {author + 1}: how does the co-operative share its costs? " * 3
            q = await core.ask(session, run, 10_000 + author, f"asker {author}", text.strip())
            await core.approve(run.id, q.number, 900, "mona")
        server = ScreenServer(db, {session.id: session}, clock=clock, run_of=lambda _: run.id)
        await server.start("127.0.0.1", 0)
        url = await server.url_for(session.id)
        page = Page()
        results: dict[str, list[float]] = {}
        commits: dict[str, list[float]] = {}  # of each sample, the next_question call itself
        delivery: list[float] = []
        last_viewer: list[float] = []
        memory = float("nan")
        try:
            await page.open(url)
            print(f"page: {page.kind}")

            async def sample_run(label: str, count: int) -> dict[int, float]:
                starts: dict[int, float] = {}
                latencies: list[float] = []
                for _ in range(count):
                    await asyncio.sleep(SPACING)
                    t0 = time.time()
                    live, _ = await core.next_question(run.id, 900, "mona")
                    commits.setdefault(label, []).append(time.time() - t0)
                    server.notify(session.id)
                    starts[live.number] = t0
                    arrived = await page.arrival(live.number)
                    if arrived is not None:
                        latencies.append(arrived - t0)
                if page.page is None:  # the stand-in's arrivals come at the end
                    await asyncio.sleep(1.0)  # the last push is on its way
                    found = await page.stand_in_arrivals()
                    latencies = [found[n][0] - t for n, t in starts.items() if n in found]
                    await page.open(url)
                results[label] = latencies
                return starts

            await sample_run("warm-up", warmup)
            await sample_run("1 viewer", samples)
            gc.collect()
            before = rss_mb()
            others = viewers - 1
            async with Viewers(url, others) as crowd:
                await asyncio.sleep(1.0)
                gc.collect()
                with_crowd = rss_mb()
                memory = (with_crowd - before) * 1024 / others
                print(
                    f"bot process RSS: {before:.1f} MB with 1 viewer, {with_crowd:.1f} MB with "
                    f"{viewers}: {memory:.1f} KiB per viewer"
                )
                starts = await sample_run(f"{viewers} viewers", samples)
                await asyncio.sleep(1.0)  # the last push reaches every raw client
                found = await crowd.arrivals()
            for number, t0 in starts.items():
                stamps = found.get(number, [])
                delivery.extend(stamp - t0 for stamp in stamps)
                if len(stamps) == others:
                    last_viewer.append(max(stamps) - t0)
            print(f"state reads by the hub: {server.hub.reads}; commits: {db.commits}")
        finally:
            await page.close()
            await server.stop()
            await db.close()

    verdicts = Verdicts(small)
    print("-- figures (from the call to next_question to the question in the page's DOM)")
    for label, values in results.items():
        if label == "warm-up":
            continue
        print(f"{label:12s} {fmt_ms(summary_ms(values))}")
        print(f"  of which next_question (its commit): {fmt_ms(summary_ms(commits[label]))}")
    if delivery:
        print(f"every stream, {viewers - 1} raw clients: {fmt_ms(summary_ms(delivery))}")
    if last_viewer:
        print(f"the last of the {viewers - 1} raw clients: {fmt_ms(summary_ms(last_viewer))}")
    print(f"memory per connected viewer: {memory:.1f} KiB")
    crowd_label = f"{viewers} viewers"
    if results.get(crowd_label):
        stats = summary_ms(results[crowd_label])
        verdicts.check(f"p99 with {viewers} viewers", stats["p99"], TARGET_P99_MS, unit=" ms")
    return verdicts.report()


async def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, help="/qa next per audience (200; small 12)")
    p.add_argument("--viewers", type=int, help="the larger audience (200; small 20)")
    p.add_argument("--warmup", type=int, default=10, help="untimed samples first (10)")
    p.add_argument("--viewers-of", help=argparse_hidden())
    p.add_argument("--count", type=int, default=1, help=argparse_hidden())
    args = p.parse_args()
    if args.viewers_of:
        await viewers_process(args.viewers_of, args.count)
        return 0
    samples = args.samples or (12 if args.small else 200)
    viewers = args.viewers or (20 if args.small else 200)
    header("Benchmark 6: the presenter screen, /qa next to the page's DOM", args)
    print(
        f"samples: {samples} per audience, {SPACING} s apart; audiences: 1 and {viewers} viewers "
        f"(1 browser page + {viewers - 1} raw SSE clients in another process)"
    )
    return await bench(samples, viewers, args.warmup, args.small)


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
