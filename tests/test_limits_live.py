"""Every request the bot sends, in a whole session at the limits, passes Discord's limits.

A session file whose every name is as long as the schema allows and full of markdown; questions
as long as intake allows, of characters that all need escaping; a burst that makes digest cards;
then what moderators and participants do. SimCord does not enforce Discord's limits, so the test
runs the body of every request the bot sent through `bot.limits.request_problems`: a message
built anywhere (a reply, an edit, an autocomplete answer, a program post) is checked, wherever
its code lives.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.delivery import RATE_WINDOW
from bot.limits import request_problems
from cogs.posting import WAKE_MARGIN
from tests.q_world import QA, said

MARKDOWN = "_*~|>`\\"
MAX_TEXT = 4000


def hostile(n: int, salt: int = 0) -> str:
    """n characters that each need escaping, made distinct by `salt`."""
    head = f"{salt}-"
    return head + (MARKDOWN * (n // len(MARKDOWN) + 1))[: n - len(head)]


def _toml(text: str) -> str:
    """A TOML literal string (no escapes to worry about), multi-line safe."""
    assert "'''" not in text
    return f"'''{text}'''"


def session_at_the_limits() -> str:
    parts = [
        'id = "limits"',
        f"title = {_toml(hostile(256))}",
        "date = 2021-10-04",
        'timezone = "UTC"',
        "",
        "[questions]",
        f"max_length = {MAX_TEXT}",
        "cooldown_seconds = 0",
        "max_pending_per_user = 1000",
    ]
    for i in range(30):
        parts += [
            "",
            "[[speakers]]",
            f'id = "s{i:02}-{"x" * 60}"',
            f"name = {_toml(hostile(256, i))}",
            f"honorific = {_toml(hostile(100, i))}",
            f"organization = {_toml(hostile(256, i))}",
            f"country = {_toml(hostile(100, i))}",
            f"talk_title = {_toml(hostile(256, i))}",
        ]
    for i in range(30):
        parts += [
            "",
            "[[labels]]",
            f'id = "l{i:02}-{"y" * 60}"',
            f"name = {_toml(hostile(100, i))}",
        ]
    segments = [
        ("opening", "09:00", "10:00", "opening"),
        ("talk", "10:00", "10:10", "talk"),
        ("qa", "10:10", "10:50", "qa"),
        ("discussion", "10:50", "11:00", "discussion"),
    ]
    for n, (seg_id, start, end, kind) in enumerate(segments):
        parts += [
            "",
            "[[program]]",
            f'id = "{seg_id}-{"z" * 50}"',
            f'start = "{start}"',
            f'end = "{end}"',
            f"title = {_toml(hostile(256, n))}",
            f'kind = "{kind}"',
            f'speaker = "s{n:02}-{"x" * 60}"',
        ]
        if kind == "discussion":
            for j in range(12):
                parts += ["[[program.guiding_questions]]", f"text = {_toml(hostile(1024, j))}"]
    return "\n".join(parts) + "\n"


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "limits.toml"
    path.write_text(session_at_the_limits(), encoding="utf-8")
    return path


async def test_every_request_of_a_session_at_the_limits_fits(qa: QA) -> None:
    w = qa.world
    speaker = f"s00-{'x' * 60}"
    label = f"l00-{'y' * 60}"

    await w.alice.autocomplete(w.questions, "ask", "speaker", "")
    await w.alice.autocomplete(w.questions, "ask", "speaker", "_" * 100)
    await qa.ask(w.alice, hostile(MAX_TEXT, 1), speaker=speaker)
    # a burst: more cards than the channel's window allows, so some go in digest cards
    for n in range(2, 48):
        await qa.ask(w.participant(f"p{n}"), hostile(MAX_TEXT, n), anonymous=n % 2 == 0)
    await w.env.advance_time(RATE_WINDOW + WAKE_MARGIN)  # the window reopens: digests follow
    await w.env.settle()
    titles = [m.embeds[0].title or "" for m in w.moderation.history() if m.embeds]
    assert any(t.startswith("New questions #") for t in titles), titles

    await w.mod.click(qa.card(1), label="Approve")
    for number in (2, 3, 4):
        await w.mod.slash(w.moderation, "qa approve", number=number)
    await w.mod.autocomplete(w.moderation, "qa label", "label", "", number=1)
    await w.mod.slash(w.moderation, "qa label", number=1, label=label)
    refused = await w.mod.slash(w.moderation, "qa label", number=1, label="x" * 2100)
    assert "There is no label" in said(refused)
    await w.mod.slash(w.moderation, "qa edit", number=2, text=hostile(MAX_TEXT, 99))
    await w.mod.slash(w.moderation, "qa merge", number=4, into=3)
    await w.carol.click(qa.vote_message(1), label="👍 0")
    await w.mod.slash(w.moderation, "qa queue")
    await w.alice.slash(w.questions, "myquestions")
    await w.mod.slash(w.moderation, "qa next", speaker=speaker)
    await w.mod.slash(w.moderation, "qa next")
    await w.mod.slash(w.moderation, "qa answered")
    await w.alice.slash(w.questions, "program")
    await w.mod.slash(w.moderation, "schedule status")
    await w.mod.slash(w.moderation, "schedule delay", minutes=10)
    await w.env.settle()

    checked, problems = 0, []
    for request in w.env.http_requests:
        found = request_problems(request.json)
        if request.json is not None and request.method in ("POST", "PATCH"):
            checked += 1
        problems += [f"{request.method} {request.path}: {p}" for p in found]
    assert not problems, "\n".join(problems[:20])
    assert checked > 60  # the requests were there to check
    assert w.live.history(), "no program post or live announcement was made"
