"""The presenter screen in a real browser: headless Chromium (Debian's, driven by Playwright) opens
the page the bot serves and follows the session live: a question appears after /qa next, changes
after /qa pick, leaves after /qa answered, the countdown moves by itself and after a delay, a
question holding markup shows as text, long and non-Latin questions fit, both looks render, and
the page comes back by itself after a restart. The last test writes docs/screen.png and
docs/screen-overlay.png.

Skips only when no Chromium binary (or no Playwright) exists; CI installs Debian's `chromium`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.storage import posts_repo
from bot.storage import repository as repo
from tests.browser import CHROMIUM, NO_CHROMIUM
from tests.conftest import ROOT
from tests.screen_world import MOD, SESSION, Screen
from tests.test_report_browser import decode_png

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
playwright = pytest.importorskip("playwright.async_api")

VIEWPORT = {"width": 1280, "height": 720}
WAIT_MS = 10_000  # any one expected change on the page
#: What the page's own clock reads when a test pins it (the bot's clock is the session's).
PAGE_TIME = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Watch:
    """A page, with the errors and policy violations it reports collected."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(message.text)

    async def until(self, script: str, arg: Any = None) -> None:
        """Wait until `script` (an expression, or a function of `arg`) is true on the page.

        Always as a function: the page's policy forbids evaluating strings, and Playwright
        evaluates a bare expression that way.
        """
        if "=>" not in script:
            script = f"() => ({script})"
        await self.page.wait_for_function(script, arg=arg, timeout=WAIT_MS)

    async def number(self, number: int | None) -> None:
        await self.until(
            "n => document.getElementById('screen').dataset.number === n",
            "" if number is None else str(number),
        )

    async def text(self, element: str) -> str:
        return str(await self.page.locator(f"#{element}").text_content())

    async def fits(self) -> dict[str, Any]:
        """How the question sits in its box: its sizes and the font size the fitting chose."""
        return dict(
            await self.page.evaluate(
                """() => {
                const box = document.getElementById('fit');
                const text = document.getElementById('text');
                const r = text.getBoundingClientRect();
                return {
                    scrollHeight: text.scrollHeight, boxHeight: box.clientHeight,
                    scrollWidth: text.scrollWidth, boxWidth: box.clientWidth,
                    bottom: r.bottom, right: r.right,
                    width: innerWidth, height: innerHeight,
                    font: parseFloat(getComputedStyle(text).fontSize),
                };
            }"""
            )
        )


async def open_page(browser: Any, url: str, *, pinned: bool = False) -> Watch:
    page = await browser.new_page(viewport=VIEWPORT)
    if pinned:  # the page's clock stands still: the countdown shows exactly what the bot says
        await page.clock.set_fixed_time(PAGE_TIME)
    watch = Watch(page)
    response = await page.goto(url)
    assert response is not None and response.status == 200
    await watch.until("document.getElementById('screen').dataset.connected === '1'")
    return watch


async def record_started_segments(screen: Screen) -> None:
    """Record the segment posts the scheduler would have sent by now (19:15 KST)."""
    from bot.program import Timeline, plan_posts

    now = screen.clock()
    posts = plan_posts(Timeline(screen.session, screen.run))

    async def write(conn: Any) -> None:
        for post in posts:
            if post.kind == "segment" and post.due <= now:
                await posts_repo.claim_post(
                    conn, screen.run.id, post.key, post.due, now, late=False
                )

    await screen.db.write(write)


def seconds(countdown: str) -> int:
    minutes, secs = countdown.split(":")[-2:]
    return int(minutes) * 60 + int(secs)


# ------------------------------------------------------------------ following the session


async def test_the_page_follows_next_pick_edit_vote_delay_and_answered(
    screen: Screen, browser: Any
) -> None:
    s, run = screen.service, screen.run.id
    await record_started_segments(screen)
    plain = await screen.asked(1, "How do co-operatives fund housing?", speaker_id="joyce-mundara")
    injected = "<script>window.pwned = 1</script><img src=x onerror=alert(1)>?"
    markup = await screen.asked(2, injected)
    top = await screen.asked(3, "What about youth?", name="Amina W.")
    await s.toggle_vote((await s.get(run, top)).id, 77)  # type: ignore[union-attr]

    watch = await open_page(browser, screen.url, pinned=True)
    page = watch.page
    await watch.number(None)
    assert await page.locator("#screen").get_attribute("data-state") == "idle"
    assert await watch.text("idle-line") == "Questions will appear here."
    assert await watch.text("invite-how") == "/ask in #questions"
    assert await page.locator("#queue li").count() == 3
    assert await watch.text("countdown") == "10:00"  # 19:15 KST: the Q&A ends at 19:25
    assert await watch.text("until") == "until 19:25"

    await s.next_question(run, *MOD)
    screen.notify()
    await watch.number(top)
    assert await watch.text("text") == "What about youth?"
    assert await watch.text("asker") == "Amina W."
    assert await watch.text("votes") == "1 vote"
    assert await page.locator("#queue li").count() == 2

    await s.pick(run, plain, *MOD)
    screen.notify()
    await watch.number(plain)
    assert await watch.text("speaker") == "Ms. Joyce N. Mundara"

    await s.edit(run, plain, "How do housing co-operatives raise funds?", *MOD)
    screen.notify()
    await watch.until("document.getElementById('text').textContent.includes('raise funds')")
    await s.toggle_vote((await s.get(run, plain)).id, 78)  # type: ignore[union-attr]
    screen.notify()
    await watch.until("document.getElementById('votes').textContent === '1 vote'")

    await s.pick(run, markup, *MOD)
    screen.notify()
    await watch.number(markup)
    assert (
        await watch.text("text") == "<script>window.pwned = 1</script><img src=x onerror=alert(1)>?"
    )
    assert await page.evaluate("document.querySelectorAll('#stage script, #stage img').length") == 0
    assert await page.evaluate("window.pwned") is None

    await page.clock.set_fixed_time(PAGE_TIME.replace(second=5))  # the room's clock moves on
    await watch.until("document.getElementById('countdown').textContent === '09:55'")
    now = screen.clock()
    await screen.db.write(lambda c: repo.add_delay(c, run, 5 * 60, 900, now))
    screen.notify()
    # each push sets the page's clock by the bot's, which this test holds at 19:15:00 KST
    await watch.until("document.getElementById('countdown').textContent === '15:00'")
    assert await watch.text("until") == "until 19:30"
    assert await watch.text("delay") == "5 min late"

    await s.answered(run, *MOD)
    screen.notify()
    await watch.number(None)
    assert await page.locator("#screen").get_attribute("data-state") == "idle"
    assert watch.problems == []


async def test_long_and_non_latin_questions_shrink_to_fit_in_both_looks(
    screen: Screen, browser: Any
) -> None:
    run = screen.run.id
    texts = [
        "How can " + "co-operatives and local governments work together " * 19 + "at last?",
        "포용적인 공동체를 만들기 위해 지방 정부와 사회적 경제 조직은 어떻게 협력해야 할까요? "
        * 14,
        "在社会住房中，如何让不同群体的居民真正参与社区规划并长期维持这种参与？" * 27,
        "x" * 900,
    ]
    texts = [text[:1000].strip() for text in texts]
    for round, look in enumerate(("", "?overlay=1")):
        numbers = [await screen.asked(10 * round + i, text) for i, text in enumerate(texts)]
        watch = await open_page(browser, screen.url + look)
        for number, text in zip(numbers, texts, strict=True):
            await screen.service.pick(run, number, *MOD)
            screen.notify()
            await watch.number(number)
            await watch.until("document.getElementById('text').dataset.fontSize !== undefined")
            assert await watch.text("text") == text
            sizes = await watch.fits()
            assert sizes["scrollHeight"] <= sizes["boxHeight"] + 1, (look, number, sizes)
            assert sizes["scrollWidth"] <= sizes["boxWidth"] + 1, (look, number, sizes)
            assert sizes["right"] <= sizes["width"] and sizes["bottom"] <= sizes["height"]
            assert sizes["font"] >= 10
        assert watch.problems == []
        await watch.page.close()


async def test_the_overlay_is_a_transparent_lower_third(screen: Screen, browser: Any) -> None:
    await screen.asked(1, "Is the overlay readable on top of the stream?")
    await screen.service.next_question(screen.run.id, *MOD)
    watch = await open_page(browser, screen.url + "?overlay=1")
    page = watch.page
    await watch.number(1)
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") in (
        "rgba(0, 0, 0, 0)",
        "transparent",
    )
    for hidden in ("bar", "queue-box", "idle"):
        assert await page.locator(f"#{hidden}").is_hidden(), hidden
    box = await page.locator("#stage").bounding_box()
    assert box is not None and box["y"] >= 0.55 * VIEWPORT["height"]
    assert box["y"] + box["height"] <= VIEWPORT["height"]
    shot = await page.screenshot(omit_background=True)
    path = Path(screen.path).with_name("overlay.png")
    path.write_bytes(shot)
    width, height, rows, bpp = decode_png(path)
    assert bpp == 4 and (width, height) == (VIEWPORT["width"], VIEWPORT["height"])
    assert rows[10][3] == 0, "the top of the overlay is not transparent"
    inside = int(box["y"] + box["height"] / 2)
    assert rows[inside][4 * 640 + 3] > 200, "the lower third is not drawn"

    await screen.service.answered(screen.run.id, *MOD)
    screen.notify()
    await watch.number(None)
    assert await page.locator("#stage").is_hidden()
    assert await watch.text("invite-how") == "/ask in #questions"  # intake is open
    assert await page.locator("#invite").is_visible()
    assert watch.problems == []


async def test_the_page_comes_back_by_itself_after_a_restart(screen: Screen, browser: Any) -> None:
    from bot.screen import ScreenServer

    await screen.asked(1, "First?")
    await screen.asked(2, "Second?")
    await screen.service.next_question(screen.run.id, *MOD)
    watch = await open_page(browser, screen.url)
    await watch.number(1)
    port = screen.server.port
    assert port is not None
    await screen.server.stop()
    await watch.until("document.getElementById('screen').dataset.connected === '0'")
    assert await watch.page.locator("#offline").is_visible()
    await screen.service.next_question(screen.run.id, *MOD)  # while the screen is down
    restarted = ScreenServer(
        screen.db, {SESSION: screen.session}, clock=screen.clock, run_of=lambda _: screen.run.id
    )
    await restarted.start("127.0.0.1", port)
    screen.server = restarted
    await watch.number(2)  # no notify: a reconnecting page is sent the whole state
    assert await watch.page.locator("#offline").is_hidden()


async def test_without_the_key_the_browser_gets_a_bare_404(screen: Screen, browser: Any) -> None:
    page = await browser.new_page()
    key = screen.url.rstrip("/").rsplit("/", 1)[1]
    wrong = screen.url.replace(key, key[:-1] + ("B" if key.endswith("A") else "A"))
    for url in (screen.server.url + "/", wrong, wrong + "events"):
        response = await page.goto(url)
        assert response is not None and response.status == 404
        assert (await page.locator("body").inner_text()).strip() == "Not found"


# ------------------------------------------------------------------ the pictures in docs/


async def test_screenshots_of_both_looks(screen: Screen, browser: Any) -> None:
    """docs/screen.png and docs/screen-overlay.png, from a fixed session and pinned clocks."""
    await record_started_segments(screen)
    s, run = screen.service, screen.run.id
    asked = [
        ("Daniel K.", "Which public-private partnership agreements in Hongseong outlived a "
         "change of local government?", "sung-woong-jung", 6),
        ("Amina W.", "How did the Neighbourside co-operative convince landlords to accept "
         "domestic workers as members, and could the same model work for informal workers in "
         "other cities?", "joyce-mundara", 14),
        (None, "What share of Xinglong social housing is reserved for young adults, and how "
         "are residents chosen?", "li-li-chang", 9),
        ("Lucía R.", "How do health coaches reach elderly people who live alone?",
         "seon-hee-choi", 3),
        ("Tomás P.", "What would you ask national governments to change first?", None, 1),
    ]  # fmt: skip
    voter = 5000
    for author, (name, text, speaker, votes) in enumerate(asked, 1):
        number = await screen.asked(
            author, text, name=name, anonymous=name is None, speaker_id=speaker
        )
        question = await s.get(run, number)
        assert question is not None
        for _ in range(votes):
            voter += 1
            await s.toggle_vote(question.id, voter)
    await s.pick(run, 2, *MOD)

    docs = ROOT / "docs"
    for look, name in (("", "screen.png"), ("?overlay=1", "screen-overlay.png")):
        watch = await open_page(browser, screen.url + look, pinned=True)
        await watch.number(2)
        await watch.page.evaluate("document.fonts.ready")
        path = docs / name
        path.write_bytes(await watch.page.screenshot(omit_background=bool(look)))
        width, height, rows, bpp = decode_png(path)
        assert (width, height) == (VIEWPORT["width"], VIEWPORT["height"])
        colours = {row[i : i + bpp] for row in rows[::8] for i in range(0, len(row), bpp * 8)}
        assert len(colours) > 20, f"{name} looks blank"
        assert watch.problems == []
        await watch.page.close()
