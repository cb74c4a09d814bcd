"""The presenter screen without a browser: keys, 404s, headers, the state it shows after each
moderator action, the live stream, coalesced pushes, and the command line's screen-url.

The core is driven directly (a Database in tmp_path, a QuestionService, the GSEF session and its
real run); the server runs on a free port of 127.0.0.1 and is spoken to with aiohttp's client.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import simcord

from bot import create_bot
from bot.app import QABot
from bot.cli import main as cli_main
from bot.program import plan_posts
from bot.screen import CSP, AddressError, ScreenHub, ScreenServer, Snapshot, parse_address
from bot.screen.cli import ScreenUrlError, screen_url
from bot.screen.state import invite_line
from bot.sessions import Session
from bot.storage import posts_repo, screen_repo
from bot.storage import repository as repo
from tests.conftest import GSEF, Clock, build_world
from tests.screen_world import MOD, SESSION, Screen, open_core

WAIT = 5.0  # seconds any single expected event may take before the test fails


# ------------------------------------------------------------------ helpers


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


class Stream:
    """One viewer of the live stream, as a browser's EventSource reads it."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.retry: int | None = None
        self.clock: str | None = None

    async def event(self) -> tuple[str, str]:
        """The next event (type, data); keep-alive comments and the retry hint are noted."""
        while True:
            raw = await asyncio.wait_for(self.response.content.readuntil(b"\n\n"), WAIT)
            if not raw:
                raise EOFError("the stream ended")
            kind, data = "message", []
            for line in raw.decode().splitlines():
                field, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if field == "event":
                    kind = value
                elif field == "data":
                    data.append(value)
                elif field == "retry":
                    self.retry = int(value)
            if data:
                if kind == "clock":
                    self.clock = json.loads("\n".join(data))
                    continue
                return kind, "\n".join(data)

    async def state(self, until: Callable[[dict[str, Any]], bool] = lambda s: True) -> Any:
        """Read states until one satisfies `until`; return it."""
        while True:
            kind, data = await self.event()
            assert kind == "state"
            state = json.loads(data)
            if until(state):
                return state


async def stream(http: aiohttp.ClientSession, url: str) -> Stream:
    response = await http.get(url + "events")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    return Stream(response)


def on_screen(state: dict[str, Any]) -> int | None:
    q = state["question"]
    return None if q is None else int(q["number"])


# ------------------------------------------------------------------ addresses and start-up


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8080", ("127.0.0.1", 8080)),
        (":8080", ("127.0.0.1", 8080)),
        ("127.0.0.1:0", ("127.0.0.1", 0)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),
        ("localhost:9000", ("localhost", 9000)),
        ("[::1]:8080", ("::1", 8080)),
    ],
)
def test_addresses_default_to_loopback(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["", "host", "host:", ":99999", "::1:80", "a b:80", "[::1]"])
def test_bad_addresses_are_refused_with_a_sentence(text: str) -> None:
    with pytest.raises(AddressError, match="screen address"):
        parse_address(text)


def test_the_screen_is_off_unless_asked_for() -> None:
    bot = create_bot(GSEF, ":memory:")
    assert bot.screen_address is None and bot.screen is None
    bot.notify_screen(SESSION)  # harmless when off
    with pytest.raises(ValueError, match="screen address"):
        create_bot(GSEF, ":memory:", screen="not an address")


async def test_key_is_long_random_kept_in_the_log_and_survives_a_restart(
    screen: Screen, clock: Clock
) -> None:
    [(key, created)] = screen.rows("SELECT key, created_at FROM session_screen")
    assert len(key) >= 40 and screen.url.endswith(f"/s/{SESSION}/{key}/")
    assert created.startswith("2021-10-04T10:15")
    again = ScreenServer(screen.db, {SESSION: screen.session}, clock=clock)
    await again.start("127.0.0.1", 0)
    try:
        assert (await again.url_for(SESSION)).endswith(f"/s/{SESSION}/{key}/")
    finally:
        await again.stop()
    other = await screen.db.write(lambda c: screen_repo.screen_key(c, "another-session", clock()))
    assert other != key


async def test_a_busy_port_is_refused_with_a_sentence(screen: Screen, clock: Clock) -> None:
    second = ScreenServer(screen.db, {SESSION: screen.session}, clock=clock)
    with pytest.raises(AddressError, match=r"Cannot serve the screen on 127\.0\.0\.1:\d+: "):
        await second.start("127.0.0.1", screen.server.port or 0)
    assert not second.running


# ------------------------------------------------------------------ 404s and headers


async def test_without_the_key_everything_is_a_bare_404(
    screen: Screen, http: aiohttp.ClientSession
) -> None:
    base = screen.server.url
    key = screen.url.rstrip("/").rsplit("/", 1)[1]
    wrong = key[:-1] + ("A" if key[-1] != "A" else "B")
    for path in (
        "/",
        "/favicon.ico",
        f"/s/{SESSION}",
        f"/s/{SESSION}/",
        f"/s/{SESSION}/{wrong}/",
        f"/s/{SESSION}/{wrong}/events",
        f"/s/{SESSION}/{wrong}/state.json",
        f"/s/{SESSION}/{wrong}/screen.js",
        f"/s/{SESSION}/{key[:10]}/",
        f"/s/another-session/{key}/",
        f"/s/{SESSION}/{key}/nothing-here",
        "/screen.js",
    ):
        async with http.get(base + path) as response:
            assert response.status == 404, path
            assert await response.read() == b"Not found\n", path
            assert response.headers["Content-Security-Policy"] == CSP
            assert "aiohttp" not in response.headers.get("Server", "")
    async with http.post(base + f"/s/{SESSION}/{wrong}/") as response:
        assert response.status == 404
    async with http.post(screen.url) as response:  # the key is right: read-only all the same
        assert response.status == 405 and response.headers["Allow"] == "GET, HEAD"
    async with http.delete(screen.url + "events") as response:
        assert response.status == 405


async def test_every_answer_has_the_strict_policy(
    screen: Screen, http: aiohttp.ClientSession
) -> None:
    expected = {
        "": "text/html; charset=utf-8",
        "screen.js": "text/javascript; charset=utf-8",
        "screen.css": "text/css; charset=utf-8",
        "state.json": "application/json",
    }
    for name, content_type in expected.items():
        async with http.get(screen.url + name) as response:
            assert response.status == 200, name
            assert response.headers["Content-Type"] == content_type
            headers = response.headers
            assert headers["Content-Security-Policy"] == CSP
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert headers["Referrer-Policy"] == "no-referrer"
            assert headers["Cache-Control"] == "no-store"
            assert headers["X-Frame-Options"] == "DENY"
    for part in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"):
        assert part in CSP
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    async with http.head(screen.url) as response:
        assert response.status == 200 and await response.read() == b""
    async with http.head(screen.url + "events") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")


async def test_the_page_carries_no_inline_code_and_escapes_the_state(
    screen: Screen, http: aiohttp.ClientSession
) -> None:
    await screen.asked(1, "</script><script>alert(1)</script> & <b>bold</b>?")
    await screen.service.next_question(screen.run.id, *MOD)
    async with http.get(screen.url) as response:
        page = await response.text()
    assert "<script>alert" not in page and "<b>bold" not in page
    assert page.count("<script") == 2  # the script file, and the JSON data block
    assert '<script type="application/json" id="screen-state">' in page
    assert " style=" not in page and " on" + "load=" not in page
    data = page.split('id="screen-state">', 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["question"]["text"].startswith("</script><script>alert(1)")


async def test_a_replaced_key_shuts_the_old_address_at_once(
    screen: Screen, http: aiohttp.ClientSession, clock: Clock
) -> None:
    new = await screen.db.write(lambda c: screen_repo.replace_screen_key(c, SESSION, clock()))
    async with http.get(screen.url) as response:
        assert response.status == 404
    async with http.get(screen.server.url + f"/s/{SESSION}/{new}/") as response:
        assert response.status == 200
    assert await screen.server.url_for(SESSION) == screen.server.url + f"/s/{SESSION}/{new}/"


# ------------------------------------------------------------------ what the screen shows


async def test_state_follows_next_pick_edit_vote_and_answered(
    screen: Screen, http: aiohttp.ClientSession
) -> None:
    s, run = screen.service, screen.run.id
    one = await screen.asked(1, "How do co-operatives fund housing?", speaker_id="joyce-mundara")
    two = await screen.asked(2, "What about youth?")
    three = await screen.asked(3, "사회주택 입주자 참여는 어떻게 이루어지나요?")
    await s.toggle_vote(await _id(screen, two), 50)

    viewer = await stream(http, screen.url)
    first = await viewer.state()
    assert first["question"] is None
    assert [q["number"] for q in first["queue"]] == [two, one, three]  # votes, then age
    assert first["waiting"] == 3 and first["intake"] == {
        "open": True,
        "invite": "/ask in #questions",
    }
    assert viewer.retry == 2000 and viewer.clock == "2021-10-04T10:15:00Z"

    await s.next_question(run, *MOD)
    screen.notify()
    state = await viewer.state(lambda st: on_screen(st) == two)
    assert state["question"] == {
        "number": two,
        "text": "What about youth?",
        "votes": 1,
        "speaker": None,
        "asker": "user2",
        "label": None,
        "co_askers": 0,
    }
    assert [q["number"] for q in state["queue"]] == [one, three]

    await s.pick(run, one, *MOD)
    screen.notify()
    state = await viewer.state(lambda st: on_screen(st) == one)
    assert state["question"]["speaker"] == "Ms. Joyce N. Mundara"
    assert [q["number"] for q in state["queue"]] == [three]

    await s.edit(run, one, "How do housing co-operatives raise funds?", *MOD)
    screen.notify()
    state = await viewer.state(lambda st: "raise funds" in st["question"]["text"])

    await s.toggle_vote(await _id(screen, one), 51)
    screen.notify()
    state = await viewer.state(lambda st: st["question"]["votes"] == 1)
    assert on_screen(state) == one

    await s.answered(run, *MOD)
    screen.notify()
    state = await viewer.state(lambda st: st["question"] is None)
    assert [q["number"] for q in state["queue"]] == [three]
    assert state["queue"][0]["text"] == "사회주택 입주자 참여는 어떻게 이루어지나요?"
    async with http.get(screen.url + "state.json") as response:
        assert (await response.json())["question"] is None
    viewer.response.close()


async def _id(screen: Screen, number: int) -> int:
    q = await screen.service.get(screen.run.id, number)
    assert q is not None
    return q.id


async def test_an_anonymous_asker_is_never_shown(
    screen: Screen, http: aiohttp.ClientSession
) -> None:
    await screen.service.ask(
        screen.session, screen.run, 4242, "Secret Sam", "Who pays for this?", anonymous=True
    )
    await screen.service.approve(screen.run.id, 1, *MOD)
    viewer = await stream(http, screen.url)
    await viewer.state()
    await screen.service.next_question(screen.run.id, *MOD)
    screen.notify()
    state = await viewer.state(lambda st: on_screen(st) == 1)
    assert state["question"]["asker"] == "Anonymous"
    async with http.get(screen.url) as response:
        page = await response.text()
    async with http.get(screen.url + "state.json") as response:
        data = await response.text()
    for shown in (page, data, json.dumps(state, ensure_ascii=False)):
        assert "Anonymous" in shown
        assert "Secret Sam" not in shown and "4242" not in shown and "user4242" not in shown
    viewer.response.close()


async def test_the_countdown_follows_a_delay(screen: Screen, http: aiohttp.ClientSession) -> None:
    # the scheduler has posted every segment whose time has come (19:15 KST: the Q&A runs)
    timeline_posts = plan_posts(_timeline(screen))
    now = screen.clock()

    async def posted(conn: Any) -> None:
        for post in timeline_posts:
            if post.kind == "segment" and post.due <= now:
                await posts_repo.claim_post(
                    conn, screen.run.id, post.key, post.due, now, late=False
                )

    await screen.db.write(posted)
    viewer = await stream(http, screen.url)
    before = await viewer.state()
    assert before["segment"]["id"] == "participant-qa"
    assert before["segment"]["ends_at"] == "2021-10-04T10:25:00Z"
    assert before["segment"]["local_end"] == "19:25"
    assert before["segment"]["seconds_left"] == 600
    assert before["next_segment"]["id"] == "closing-remarks"
    assert before["delay_minutes"] == 0

    await screen.db.write(lambda c: repo.add_delay(c, screen.run.id, 5 * 60, 900, now))
    screen.notify()
    after = await viewer.state(lambda st: st["delay_minutes"] == 5)
    assert after["segment"]["id"] == "participant-qa"  # it started: it runs on, 5 minutes longer
    assert after["segment"]["ends_at"] == "2021-10-04T10:30:00Z"
    assert after["segment"]["seconds_left"] == 900
    assert after["next_segment"]["local_start"] == "19:30"
    viewer.response.close()


def _timeline(screen: Screen) -> Any:
    from bot.program import Timeline

    return Timeline(screen.session, screen.run)


async def test_intake_invitation_follows_the_run_and_the_session_file(
    screen: Screen, http: aiohttp.ClientSession
) -> None:
    viewer = await stream(http, screen.url)
    assert (await viewer.state())["intake"]["open"] is True
    now = screen.clock()
    await screen.db.write(lambda c: repo.set_intake_override(c, screen.run.id, "closed", 900, now))
    screen.notify()
    await viewer.state(lambda st: st["intake"]["open"] is False)
    viewer.response.close()

    def with_channel(channel: str | int) -> Session:
        spec = screen.session.spec
        discord = spec.discord.model_copy(update={"questions_channel": channel})
        return Session(spec.model_copy(update={"discord": discord}), screen.session.source)

    assert invite_line(with_channel("fragen")) == "/ask in #fragen"
    assert invite_line(with_channel(1234567890)) == "/ask in the questions channel"


async def test_the_screen_moves_by_itself_when_a_segment_ends(
    screen: Screen, http: aiohttp.ClientSession
) -> None:
    screen.clock.now = screen.clock.now.replace(minute=24, second=59)  # 19:24:59 KST
    viewer = await stream(http, screen.url)
    before = await viewer.state()
    assert before["segment"]["id"] == "participant-qa" and before["segment"]["seconds_left"] == 1
    screen.clock.advance(seconds=2)  # the hub's own timer reads again at the segment's end
    after = await viewer.state(lambda st: st["segment"]["id"] == "closing-remarks")
    assert after["intake"]["open"] is True
    viewer.response.close()


# ------------------------------------------------------------------ pushing


async def test_every_viewer_gets_each_change_and_bursts_are_read_once_per_interval(
    screen: Screen, http: aiohttp.ClientSession
) -> None:
    number = await screen.asked(1, "Which question wins?")
    question_id = await _id(screen, number)
    viewers = [await stream(http, screen.url) for _ in range(5)]
    for viewer in viewers:
        await viewer.state()
    hub = screen.server.hub
    assert hub.viewers(SESSION) == 5
    reads = hub.reads

    loop = asyncio.get_running_loop()
    started = loop.time()
    for voter in range(1000, 1100):  # 100 votes, one after the other, each pushed
        await screen.service.toggle_vote(question_id, voter)
        screen.notify()
    elapsed = loop.time() - started
    for viewer in viewers:
        final = await viewer.state(lambda st: st["queue"][0]["votes"] == 100)
        assert final["queue"][0]["number"] == number
    # one read per interval at most, shared by the five viewers: never one per vote, and never
    # one per viewer
    read = hub.reads - reads
    assert 1 <= read <= elapsed / max(hub.min_interval, 1e-9) + 2 and read < 100, (read, elapsed)
    for viewer in viewers:
        viewer.response.close()


async def test_a_reconnecting_page_gets_the_whole_state_at_once(
    screen: Screen, http: aiohttp.ClientSession
) -> None:
    await screen.asked(1, "Still there after a restart?")
    await screen.service.next_question(screen.run.id, *MOD)
    viewer = await stream(http, screen.url)
    assert on_screen(await viewer.state()) == 1
    port = screen.server.port
    assert port is not None
    await screen.server.stop()  # the bot stops: the stream ends and the page will reconnect
    with pytest.raises((EOFError, asyncio.IncompleteReadError, aiohttp.ClientPayloadError)):
        await viewer.event()
    restarted = ScreenServer(
        screen.db, {SESSION: screen.session}, clock=screen.clock, run_of=lambda _: screen.run.id
    )
    await restarted.start("127.0.0.1", port)
    screen.server = restarted  # the fixture stops this one
    again = await stream(http, screen.url)
    first = await again.state()  # no change needed: the full state comes first
    assert on_screen(first) == 1 and first["question"]["text"] == "Still there after a restart?"
    again.response.close()


async def test_hub_reads_nothing_without_viewers_and_slow_viewers_skip_states() -> None:
    loads: list[str] = []

    async def load(session_id: str) -> Snapshot:
        loads.append(session_id)
        return Snapshot(json.dumps({"n": len(loads)}))

    hub = ScreenHub(load, min_interval=0.05)
    for _ in range(10):
        hub.notify("s")
    await asyncio.sleep(0.1)
    assert loads == []  # nobody watches: nothing is read
    viewer = hub.subscribe("s")
    first = await asyncio.wait_for(viewer.next(), WAIT)
    assert first is not None and b'data: {"n": 1}' in first
    for _ in range(50):
        hub.notify("s")
        await asyncio.sleep(0.002)
    await asyncio.sleep(0.3)
    latest = await asyncio.wait_for(viewer.next(), WAIT)
    assert latest is not None and f'"n": {len(loads)}'.encode() in latest  # only the latest
    assert 2 <= len(loads) <= 10
    assert await viewer.next(0.05) is None  # nothing new: a keep-alive turn
    hub.unsubscribe(viewer)
    await hub.close()


# ------------------------------------------------------------------ the command line


def test_screen_url_prints_the_address_and_refuses_politely(
    tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cli.sqlite3"

    async def prepare() -> None:
        db, _, _ = await open_core(path, clock)
        await db.close()

    asyncio.run(prepare())
    url = screen_url(path, SESSION, ":8080")
    [(key,)] = sqlite3.connect(path).execute("SELECT key FROM session_screen").fetchall()
    assert url == f"http://127.0.0.1:8080/s/{SESSION}/{key}/"
    assert screen_url(path, SESSION, "http://screen.example/") == (
        f"http://screen.example/s/{SESSION}/{key}/"
    )
    assert cli_main(["screen-url", "--database", str(path), "--session", SESSION]) == 0
    out = capsys.readouterr().out.strip()
    assert out == f"http://127.0.0.1:8080/s/{SESSION}/{key}/"
    assert cli_main(
        ["screen-url", "--database", str(path), "--session", SESSION, "--overlay",
         "--screen", "0.0.0.0:9000"]
    ) == 0  # fmt: skip
    assert capsys.readouterr().out.strip().endswith(f"/{key}/?overlay=1")

    assert cli_main(["screen-url", "--database", str(path), "--session", SESSION, "--new-key"]) == 0
    fresh = capsys.readouterr().out.strip()
    assert key not in fresh and fresh == screen_url(path, SESSION, ":8080")

    assert cli_main(["screen-url", "--database", str(path), "--session", "nope"]) == 2
    assert "No session 'nope'" in capsys.readouterr().err
    assert cli_main(["screen-url", "--database", str(tmp_path / "x.db"), "--session", "a"]) == 2
    assert "No database" in capsys.readouterr().err
    with pytest.raises(ScreenUrlError):
        screen_url(tmp_path / "missing.sqlite3", SESSION)


# ------------------------------------------------------------------ inside the bot


async def test_the_bot_serves_its_screen_and_stops_it(
    make_bot: Callable[..., QABot], http: aiohttp.ClientSession, clock: Clock
) -> None:
    bot = make_bot(screen="127.0.0.1:0")
    env = simcord.Env(bot)
    world = build_world(env)
    await env.start()
    try:
        assert bot.screen is not None and bot.screen.running
        url = await bot.screen.url_for(SESSION)
        assert url.startswith("http://127.0.0.1:")
        viewer = await stream(http, url)
        assert (await viewer.state())["question"] is None
        await world.alice.slash(world.questions, "ask", question="Can the bot show me?")
        await world.mod.slash(world.moderation, "qa approve", number=1)
        await world.mod.slash(world.moderation, "qa next")
        bot.notify_screen(SESSION)  # what the moderation commands call after each change
        state = await viewer.state(lambda st: on_screen(st) == 1)
        assert state["question"]["asker"] == "alice"
        viewer.response.close()
    finally:
        await env.shutdown()
        await bot.close()
    assert bot.screen is None
    async with aiohttp.ClientSession() as fresh:
        with pytest.raises(aiohttp.ClientConnectionError):
            await fresh.get(url, timeout=aiohttp.ClientTimeout(total=2))
