"""The presenter screen while the bot runs under SimCord, in a real browser: moderators only use
slash commands (the bot pushes every change to the page by itself), and `/qa screen` gives them
the address."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import simcord

from bot.app import QABot
from tests.browser import CHROMIUM, NO_CHROMIUM
from tests.conftest import build_world, finish
from tests.q_world import grant_bot_moderation_access, said
from tests.test_screen_browser import VIEWPORT, Watch, open_page

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)


async def test_moderators_run_the_screen_with_slash_commands_only(
    make_bot: Callable[..., QABot], browser: Any
) -> None:
    env = simcord.Env(make_bot(screen="127.0.0.1:0"))
    w = build_world(env)
    await env.start()
    try:
        await grant_bot_moderation_access(w)
        answer = said(await w.mod.slash(w.questions, "qa screen"))
        full, overlay = re.findall(r"<(http://127\.0\.0\.1:\d+/\S+)>", answer)
        assert "overlay=1" in overlay and "overlay" not in full
        refused = said(await w.alice.slash(w.questions, "qa screen"))
        assert refused.startswith("Only moderators")

        await w.alice.slash(w.questions, "ask", question="How do co-operatives fund housing?")
        await w.bob.slash(w.questions, "ask", question="<script>window.pwned=1</script> ok?")
        for number in (1, 2):
            await w.mod.slash(w.moderation, "qa approve", number=number)
        watch: Watch = await open_page(browser, full, pinned=True)
        page = watch.page
        await watch.number(None)
        before = await watch.text("countdown")

        await w.mod.slash(w.moderation, "qa next")  # the top question: #1 (oldest of two)
        await watch.number(1)
        assert await watch.text("asker") == "alice"
        await w.mod.slash(w.moderation, "qa pick", number=2)
        await watch.number(2)
        assert await watch.text("text") == "<script>window.pwned=1</script> ok?"
        assert await page.evaluate("window.pwned") is None
        await w.mod.slash(w.moderation, "schedule delay", minutes=5)
        await watch.until(f"document.getElementById('countdown').textContent !== '{before}'")
        assert await watch.text("delay") == "5 min late"
        await w.mod.slash(w.moderation, "qa answered")
        await watch.number(None)
        assert watch.problems == []

        wrong = re.sub(r"/s/([^/]+)/[^/?]+", r"/s/\1/not-the-key", full)
        response = await (await browser.new_page(viewport=VIEWPORT)).goto(wrong)
        assert response is not None and response.status == 404
    finally:
        await finish(env)
