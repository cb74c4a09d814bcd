"""Discord faults: a refused post keeps the question, the asker's answer, and a retry.

Posts fail with 500, 403 Missing Permissions and 429; channels and roles go missing or are
renamed. The question is always stored and its asker answered; moderators are told once; the
periodic delivery job posts what is missing once the channel works; the bot keeps serving.
"""

from __future__ import annotations

import logging

import discord
import pytest
import simcord

from cogs.posting import JOB_ID, Posting
from tests.q_world import QA, button_labels, said, said_embed


def cog(qa: QA) -> Posting:
    found = qa.world.bot.get_cog("Posting")
    assert isinstance(found, Posting)
    return found


async def retry_job(qa: QA) -> None:
    """Run the periodic delivery job now, as the scheduler would every RETRY_SECONDS."""
    scheduler = qa.world.bot.scheduler
    assert scheduler is not None
    job = scheduler.get_job(JOB_ID)
    assert job is not None, "the periodic delivery job is not scheduled"
    assert job.trigger.interval.total_seconds() >= 10  # parked beyond SimCord's settle deadline
    await job.func()
    await qa.env.settle()


def notices(qa: QA) -> list[str]:
    bot_id = qa.env.backend.bot_user.id
    history = qa.world.moderation.history()
    return [
        m.content
        for m in history
        if m.content and m.author.id == bot_id and m.type == discord.MessageType.default
    ]


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], "a fault was logged with a traceback"


@pytest.mark.parametrize(
    ("status", "code", "message", "shown"),
    [
        (500, 0, "Internal Server Error", "Discord error 500 Internal Server Error"),
        (403, 50013, "Missing Permissions", "Discord error 403 Missing Permissions"),
        (429, 0, "You are being rate limited.", "Discord error 429 You are being rate limited."),
    ],
)
async def test_a_failed_card_is_posted_by_the_retry_and_moderators_hear_once(
    qa: QA,
    caplog: pytest.LogCaptureFixture,
    status: int,
    code: int,
    message: str,
    shown: str,
) -> None:
    w = qa.world
    caplog.set_level(logging.INFO)
    w.env.inject_error(
        "POST", f"/channels/{w.moderation.id}/messages", status=status, code=code,
        message=message, times=None,
    )  # fmt: skip
    first = await qa.ask(w.alice, "Does this survive a Discord hiccup?")
    second = await qa.ask(w.bob, "And this one?")
    # the askers are told the truth: received, numbered, waiting for review
    assert "Your question is #1" in said(first) and "moderator will review" in said(first)
    assert "Your question is #2" in said(second)
    assert qa.rows("SELECT number, state, card_message_id FROM questions ORDER BY number") == [
        (1, "pending", None),
        (2, "pending", None),
    ]
    assert any(shown in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    # a failing channel is not hammered: the second ask did not try again
    posts = [r for r in w.env.http_requests if r.method == "POST" and r.path.endswith(
        f"/channels/{w.moderation.id}/messages")]  # fmt: skip
    assert len(posts) == 1
    # the bot keeps serving
    assert "No approved questions yet" in said_embed(await w.mod.slash(w.moderation, "qa queue"))

    await retry_job(qa)  # still failing: nothing posted, nothing said twice
    assert notices(qa) == []
    w.env.backend.faults.clear()
    await retry_job(qa)
    assert qa.card(1) and qa.card(2)
    assert button_labels(qa.card(1)) == ["Approve", "Reject", "Block author"]
    assert notices(qa) == [
        f"2 questions could not be posted earlier in the moderation channel ({shown}); "
        "they are posted now."
    ]
    assert qa.rows("SELECT number FROM questions WHERE card_message_id IS NULL") == []
    # and once more: nothing is posted twice
    before = len(w.moderation.history())
    await retry_job(qa)
    assert len(w.moderation.history()) == before
    no_traceback(caplog)


async def test_a_missing_permission_in_the_questions_channel_is_reported_and_retried(
    qa: QA, caplog: pytest.LogCaptureFixture
) -> None:
    w = qa.world
    await qa.ask(w.alice, "One?")
    await qa.ask(w.bob, "Two?")
    w.env.inject_error(
        "POST", f"/channels/{w.questions.id}/messages", status=403, code=50013,
        message="Missing Permissions", times=None,
    )  # fmt: skip
    approved = await w.mod.slash(w.moderation, "qa approve", number=1)
    assert "#1 approved" in said(approved)
    await w.mod.click(qa.card(2), label="Approve")
    assert qa.state(1) == qa.state(2) == "approved"
    assert not qa.has_vote_message(1) and not qa.has_vote_message(2)
    # moderators are told once, in their channel, with the reason and what happens next
    told = notices(qa)
    assert len(told) == 1
    assert "Could not post in #questions (Discord error 403 Missing Permissions)" in told[0]
    assert "retries every 15 s" in told[0]

    w.env.backend.faults.clear()
    await retry_job(qa)
    assert qa.has_vote_message(1) and qa.has_vote_message(2)
    assert button_labels(qa.vote_message(2)) == ["👍 0"]
    assert notices(qa)[-1] == (
        "2 questions could not be posted earlier in the questions channel "
        "(Discord error 403 Missing Permissions); they are posted now."
    )
    # people can vote on them
    await w.carol.click(qa.vote_message(1), label="👍 0")
    assert qa.rows("SELECT number, votes FROM questions ORDER BY number") == [(1, 1), (2, 0)]
    no_traceback(caplog)


async def test_a_failed_live_announcement_is_told_to_the_moderator_and_retried(
    qa: QA, caplog: pytest.LogCaptureFixture
) -> None:
    w = qa.world
    await qa.ask(w.alice, "On screen?")
    await w.mod.slash(w.moderation, "qa approve", number=1)
    w.env.inject_error("POST", f"/channels/{w.live.id}/messages", status=500, times=None)
    picked = await w.mod.slash(w.moderation, "qa next")
    assert "Now answering #1" in said(picked)
    followups = [m.content for m in picked.followups]
    assert any("live channel announcement of #1 could not be posted" in f for f in followups)
    assert qa.state(1) == "live"
    assert not [m for m in w.live.history() if "Now answering #1" in m.content]

    w.env.backend.faults.clear()
    await retry_job(qa)
    assert len([m for m in w.live.history() if "Now answering #1" in m.content]) == 1
    await retry_job(qa)  # posted once only
    assert len([m for m in w.live.history() if "Now answering #1" in m.content]) == 1
    no_traceback(caplog)


async def test_a_renamed_moderation_channel_is_logged_and_its_cards_come_when_it_is_back(
    qa: QA, caplog: pytest.LogCaptureFixture
) -> None:
    w = qa.world
    backend = w.env.backend
    backend.edit_channel(w.moderation.id, {"name": "mods-only"})
    await w.env.settle()
    result = await qa.ask(w.alice, "Anyone reading?")
    assert "Your question is #1" in said(result)
    assert qa.rows("SELECT card_message_id FROM questions") == [(None,)]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("moderation channel (channel not found)" in m for m in warnings)
    # everything else keeps working: the next ask, and /myquestions
    assert "#2" in said(await qa.ask(w.bob, "Me too?"))
    assert "#1" in said_embed(await w.alice.slash(w.questions, "myquestions"))

    backend.edit_channel(w.moderation.id, {"name": "qa-moderation"})
    await w.env.settle()
    await retry_job(qa)
    assert qa.card(1) and qa.card(2)
    assert notices(qa) == [
        "2 questions could not be posted earlier in the moderation channel "
        "(channel not found); they are posted now."
    ]
    no_traceback(caplog)


async def test_a_missing_live_channel_is_named_to_moderators(
    qa: QA, caplog: pytest.LogCaptureFixture
) -> None:
    w = qa.world
    w.env.backend.delete_channel(w.live.id)
    await w.env.settle()
    await qa.ask(w.alice, "Where is the screen?")
    await w.mod.slash(w.moderation, "qa approve", number=1)
    picked = await w.mod.slash(w.moderation, "qa next")
    assert "Now answering #1" in said(picked)
    assert any("channel not found" in m.content for m in picked.followups)
    told = notices(qa)
    assert len(told) == 1
    assert "live channel of session gsef2021-inclusive-society (session-live)" in told[0]
    assert "`live_channel`" in told[0] and "[discord]" in told[0]
    assert any(
        "live channel (channel not found)" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
    )
    # the rest keeps working
    assert "#1 is answered" in said(await w.mod.slash(w.moderation, "qa answered"))
    no_traceback(caplog)


async def test_a_missing_moderator_role_is_named_when_someone_is_refused(
    qa: QA, caplog: pytest.LogCaptureFixture
) -> None:
    w = qa.world
    w.env.backend.edit_role(w.guild.id, w.moderator_role.id, {"name": "Mods"})
    await w.env.settle()
    refused = await w.mod.slash(w.moderation, "qa queue")
    text = said(refused)
    assert "Only moderators can do this" in text
    assert "The role Moderator does not exist in this server" in text
    assert "`moderator_role`" in text
    assert any(
        "'Moderator'" in r.getMessage() and "does not exist" in r.getMessage()
        for r in caplog.records
    )
    # organizers still moderate, participants still ask
    assert "No approved questions yet" in said_embed(await w.org.slash(w.moderation, "qa queue"))
    assert "#1" in said(await qa.ask(w.alice, "Still open?"))
    no_traceback(caplog)


async def test_a_program_post_that_failed_is_sent_by_the_retry_job(env: simcord.Env) -> None:
    from cogs.schedule import RETRY_JOB
    from tests.test_schedule import build_world

    world = build_world(env)
    env.inject_error("POST", f"/channels/{world.live.id}/messages", status=500, times=None)
    await env.start()  # 10:15: the Q&A segment is running; its post is sent late, and fails
    run_id = world.bot.runs["gsef2021-inclusive-society"].id
    qa = QA(world, world.bot.database_path)
    failed = qa.rows("SELECT key FROM posts WHERE run_id = ? AND status = 'failed'", run_id)
    assert ("segment:participant-qa",) in failed
    assert [m for m in world.live.history() if m.author.bot] == []

    scheduler = world.bot.scheduler
    assert scheduler is not None
    job = scheduler.get_job(RETRY_JOB)
    assert job is not None and job.trigger.interval.total_seconds() >= 10
    await job.func()  # still failing: stays failed, nothing sent
    await env.settle()
    assert qa.rows("SELECT COUNT(*) FROM posts WHERE status = 'failed'") == [(len(failed),)]

    env.backend.faults.clear()
    await job.func()
    await env.settle()
    assert qa.rows("SELECT COUNT(*) FROM posts WHERE status = 'failed'") == [(0,)]
    posted = [m.content for m in world.live.history() if m.author.bot]
    assert len(posted) == len(failed)
    assert any("Q&A" in text or "Questions" in text for text in posted)
    await job.func()  # and never twice
    await env.settle()
    assert len([m for m in world.live.history() if m.author.bot]) == len(failed)
