"""Answers that reach the asker, as people use them through Discord: a written answer in a form,
a private answer to an anonymous asker, notices by direct message (closed DMs included), an
asker's own edit, the follow-up forum after the program, and a restart that loses no notice and
sends none twice."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord
from simcord.builders import ChannelHandle

from bot.app import QABot
from tests.conftest import GSEF, Clock, World, build_world, finish
from tests.q_world import QA, grant_bot_moderation_access, said

SESSION = "gsef2021-inclusive-society"


def dms(qa: QA, who: Any) -> list[str]:
    """What the bot sent this member by direct message."""
    channel = qa.env.backend.get_dm_channel(who.id)
    return [m.content for m in ChannelHandle(qa.env, None, channel).history() if m.author.bot]


def everything_public(qa: QA) -> str:
    """Every message in every channel and thread of the server, as one text."""
    parts = []
    for channel in qa.world.guild.channels.values():
        for m in channel.history():
            parts.append(m.content)
            parts.extend(json.dumps(e.to_dict(), ensure_ascii=False) for e in m.embeds)
        for thread in channel.threads:
            for m in thread.history():
                parts.append(m.content)
    return "\n".join(parts)


async def approved(qa: QA, who: Any, text: str, **options: Any) -> int:
    await qa.ask(who, text, **options)
    number = int(qa.rows("SELECT MAX(number) FROM questions")[0][0])
    await qa.world.mod.slash(qa.world.moderation, "qa approve", number=number)
    return number


async def test_a_written_answer_from_the_card_goes_into_a_thread_on_the_question(qa: QA) -> None:
    w = qa.world
    number = await approved(qa, w.alice, "How are the care centres funded?")
    shown = await w.mod.click(qa.card(number), label="Answer in writing")
    assert shown.modal is not None
    done = await w.mod.submit_modal(shown, {"answer": "By the city and the co-operatives."})
    assert "is saved" in said(done)
    assert qa.state(number) == "answered"
    message = qa.vote_message(number)
    threads = w.questions.threads
    assert len(threads) == 1 and threads[0].name.startswith(f"#{number} How are")
    posted = [m.content for m in threads[0].history()]
    assert any("By the city and the co-operatives." in p for p in posted)
    fields = {f.name: f.value for f in message.embeds[0].fields}
    assert "Answered in writing" in fields.get("Written answers", "")
    event = qa.rows("SELECT action, to_state FROM question_events ORDER BY id DESC LIMIT 1")
    assert event == [("answered_in_writing", "answered")]


async def test_a_private_answer_reaches_an_anonymous_asker_only(qa: QA) -> None:
    w = qa.world
    number = await approved(qa, w.alice, "Can I get help with my rent?", anonymous=True)
    shown = await w.mod.slash(w.moderation, "qa reply", number=number, private=True)
    text = "Yes: write to the housing office, they answer within a week."
    done = await w.mod.submit_modal(shown, {"answer": text})
    assert "asker only" in said(done)
    await qa.env.settle()
    told = dms(qa, w.alice)
    assert len(told) == 1 and text in told[0]
    assert text not in everything_public(qa)  # nowhere public, no thread either
    assert w.questions.threads == []
    # anonymity holds: nothing public names alice
    assert "alice" not in everything_public(qa)
    # the question's public message says it was answered, and how
    fields = {f.name: f.value for f in qa.vote_message(number).embeds[0].fields}
    assert fields.get("Written answers") == "✍️ Answered privately to the asker."


async def test_notices_for_an_asker_who_asked_for_them(qa: QA) -> None:
    w = qa.world
    await qa.ask(w.alice, "Who runs the kitchens?", notify=True)
    assert dms(qa, w.alice) == []  # nothing yet: asking is not news
    await w.mod.slash(w.moderation, "qa approve", number=1)
    await qa.env.settle()
    assert len(dms(qa, w.alice)) == 1 and "#1" in dms(qa, w.alice)[0]
    await w.mod.slash(w.moderation, "qa next")
    await w.mod.slash(w.moderation, "qa answered")
    await qa.env.settle()
    told = dms(qa, w.alice)
    assert len(told) == 3  # approved, on screen, answered: each once
    # bob did not ask to be told
    await qa.ask(w.bob, "And the markets?")
    await w.mod.slash(w.moderation, "qa reject", number=2, reason="off topic")
    await qa.env.settle()
    assert dms(qa, w.bob) == []


async def test_a_rejection_notice_carries_the_reason_and_closed_dms_fall_back(qa: QA) -> None:
    w = qa.world
    said(await w.alice.slash(w.questions, "notify", choice="on"))
    await qa.ask(w.alice, "Buy my product?")
    qa.env.inject_error("POST", "/users/@me/channels", status=403, code=50007, times=None)
    await w.mod.slash(w.moderation, "qa reject", number=1, reason="advertising")
    await qa.env.settle()
    assert qa.rows("SELECT status FROM notices") == [("fallback",)]
    mine = await w.alice.slash(w.questions, "myquestions")
    text = mine.response.embeds[0].description  # type: ignore[union-attr]
    assert "advertising" in text and "could not reach you" in (
        mine.response.embeds[0].footer.text or ""  # type: ignore[union-attr]
    )


async def test_an_asker_edits_their_question_while_it_waits(qa: QA) -> None:
    w = qa.world
    await qa.ask(w.alice, "Waht about youth housing?")
    mine = await w.alice.slash(w.questions, "myquestions")
    rows = mine.response.components  # type: ignore[union-attr]
    assert [b["label"] for row in rows for b in row["components"]] == ["Edit #1"]
    shown = await w.alice.click(mine.response, label="Edit #1")
    assert shown.modal is not None
    done = await w.alice.submit_modal(shown, {"question": "What about youth housing?"})
    assert "#1" in said(done)
    assert qa.rows("SELECT text FROM questions") == [("What about youth housing?",)]
    detail = json.loads(qa.rows("SELECT detail FROM question_events ORDER BY id DESC")[0][0])
    assert detail["before"] == "Waht about youth housing?" and detail["actor"] == "asker"
    refused = await w.bob.slash(w.questions, "edit", number=1)
    assert "no question #1" in said(refused)


async def test_a_restart_between_asking_and_answering_loses_no_notice_and_sends_none_twice(
    qa: QA, make_bot: Callable[..., QABot]
) -> None:
    w = qa.world
    await qa.ask(w.alice, "Will the slides be shared?", notify=True)
    await w.env.restart_bot(make_bot())
    await w.env.settle()
    await grant_bot_moderation_access(w)
    await w.mod.slash(w.moderation, "qa approve", number=1)
    await qa.env.settle()
    await w.env.restart_bot(make_bot())
    await w.env.settle()
    assert len(dms(qa, w.alice)) == 1
    assert qa.rows("SELECT status FROM notices") == [("sent",)]


# ------------------------------------------------------------------ the follow-up forum


@pytest.fixture
def forum_config(tmp_path: Path) -> Path:
    text = GSEF.read_text("utf-8").replace(
        "[discord]\n", '[discord]\nfollowup_forum = "follow-up"\n'
    )
    path = tmp_path / "forum.toml"
    path.write_text(text, "utf-8")
    return path


@asynccontextmanager
async def started(
    config: Path, make_bot: Callable[..., QABot], *, forum: bool = False
) -> AsyncIterator[QA]:
    """The bot of this session file, started in the usual server (with the follow-up forum
    channel if asked), its moderation channel open to it; stopped at the end."""
    env = simcord.Env(make_bot(config=config))
    w: World = build_world(env)
    if forum:
        w.guild.create_forum_channel("follow-up")
    await env.start()
    try:
        await grant_bot_moderation_access(w)
        yield QA(w, env.bot.db.path)
    finally:
        await finish(env)


async def end_program(qa: QA, clock: Clock) -> None:
    """Move past the program's end (19:30 KST) and fire its end."""
    clock.advance(minutes=20)
    bot = qa.env.bot
    assert isinstance(bot, QABot)
    await bot.schedule.fire(SESSION, bot.runs[SESSION].id, None)
    await qa.env.settle()


def forum_of(qa: QA) -> Any:
    [forum] = [c for c in qa.world.guild.channels.values() if c.name == "follow-up"]
    return forum


async def test_unanswered_questions_become_forum_posts_and_a_reply_answers_them(
    forum_config: Path, make_bot: Callable[..., QABot], clock: Clock
) -> None:
    async with started(forum_config, make_bot, forum=True) as qa:
        w, env = qa.world, qa.env
        await qa.ask(w.alice, "What comes after the pilot?", notify=True)
        await w.mod.slash(w.moderation, "qa approve", number=1)
        await w.bob.click(qa.vote_message(1), label="👍 0")
        await end_program(qa, clock)
        posts = forum_of(qa).threads
        assert len(posts) == 1 and posts[0].name.startswith("#1 What comes after the pilot?")
        assert any("follow-up forum" in m.content for m in w.live.history())
        before = len(dms(qa, w.alice))
        await w.mod.send(posts[0], "A second pilot in 2022, then the whole city.")
        await env.settle()
        assert qa.state(1) == "answered"
        told = dms(qa, w.alice)
        assert len(told) == before + 1 and "second pilot" in told[-1]
        await w.mod.send(posts[0], "And a report in June.")
        await env.settle()
        assert len(dms(qa, w.alice)) == before + 1  # only the first answer is news


async def test_forum_posts_of_anonymous_questions_name_nobody(
    forum_config: Path, make_bot: Callable[..., QABot], clock: Clock
) -> None:
    async with started(forum_config, make_bot, forum=True) as qa:
        w = qa.world
        await qa.ask(w.alice, "Is the budget public?", anonymous=True)
        await w.mod.slash(w.moderation, "qa approve", number=1)
        await end_program(qa, clock)
        post = forum_of(qa).threads[0].history()[0]
        assert "Anonymous" in post.content and "alice" not in post.content
        assert isinstance(post, discord.Message)


@pytest.fixture
def speaker_config(tmp_path: Path) -> Path:
    text = GSEF.read_text("utf-8").replace(
        'id = "joyce-mundara"\n', 'id = "joyce-mundara"\ndiscord_user = "carol"\n', 1
    )
    assert 'discord_user = "carol"' in text
    path = tmp_path / "speaker.toml"
    path.write_text(text, "utf-8")
    return path


async def test_a_speaker_answers_their_own_questions_only(
    speaker_config: Path, make_bot: Callable[..., QABot], clock: Clock
) -> None:
    async with started(speaker_config, make_bot) as qa:
        w = qa.world
        await qa.ask(w.alice, "Joyce, how did the co-operative start?", speaker="joyce-mundara")
        clock.advance(minutes=1)
        await qa.ask(w.alice, "Li-Li, how many homes?", speaker="li-li-chang")
        for number in (1, 2):
            await w.mod.slash(w.moderation, "qa approve", number=number)
        shown = await w.carol.slash(w.questions, "qa reply", number=1)
        assert shown.modal is not None
        done = await w.carol.submit_modal(shown, {"answer": "From a savings group in 2017."})
        assert "is saved" in said(done)
        shown = await w.carol.slash(w.questions, "qa reply", number=2)
        refused = await w.carol.submit_modal(shown, {"answer": "Not mine to answer."})
        assert "#2" in said(refused) and qa.state(2) == "approved"
        stranger = await w.bob.slash(w.questions, "qa reply", number=1)
        assert said(stranger).startswith("Only moderators and the session's speakers")
