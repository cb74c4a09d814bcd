"""Participants ask, list and withdraw questions; every refusal says why and stores nothing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Clock
from tests.q_world import QA, button_labels, field, said, said_embed


async def test_ask_answers_with_the_number_and_posts_a_card(qa: QA) -> None:
    w = qa.world
    first = await qa.ask(w.alice, "How can cooperatives reach youth?", speaker="joyce-mundara")
    assert first.ephemeral
    assert "#1" in said(first) and "review" in said(first)
    second = await qa.ask(w.bob, "What about food security?")
    assert "#2" in said(second)
    card = qa.card(1)
    assert card.embeds[0].description == "How can cooperatives reach youth?"
    assert field(card, "Speaker") == "Joyce N. Mundara"
    assert field(card, "Asked by") == "alice"
    assert button_labels(card) == ["Approve", "Reject", "Block author"]
    assert qa.rows("SELECT number, state, speaker_id FROM questions ORDER BY number") == [
        (1, "pending", "joyce-mundara"),
        (2, "pending", None),
    ]
    # nothing public yet: pending questions are not in the questions channel
    assert not qa.has_vote_message(1)
    assert qa.rows("SELECT card_message_id FROM questions WHERE number = 1") == [(card.id,)]


async def test_speaker_autocomplete_offers_the_sessions_speakers(qa: QA) -> None:
    choices = await qa.world.alice.autocomplete(qa.world.questions, "ask", "speaker", "chang")
    assert [c["value"] for c in choices] == ["li-li-chang"]
    everyone = await qa.world.alice.autocomplete(qa.world.questions, "ask", "speaker", "")
    assert len(everyone) == 4


def _count(qa: QA) -> tuple[int, int]:
    return (
        qa.rows("SELECT COUNT(*) FROM questions")[0][0],
        qa.rows("SELECT COUNT(*) FROM question_events")[0][0],
    )


@pytest.mark.parametrize(
    ("text", "options", "says"),
    [
        ("    ", {}, "empty"),
        ("x" * 1001, {}, "limit is 1000"),
        ("Who?", {"speaker": "someone-else"}, "not in this session"),
    ],
)
async def test_invalid_questions_are_refused(
    qa: QA, text: str, options: dict[str, object], says: str
) -> None:
    result = await qa.ask(qa.world.alice, text, **options)
    assert result.ephemeral and says in said(result)
    assert _count(qa) == (0, 0)
    assert not qa.world.moderation.history()


async def test_cooldown_and_pending_limit_refuse_with_what_to_do(qa: QA, clock: Clock) -> None:
    w = qa.world
    await qa.ask(w.alice, "First question?")
    too_soon = await qa.ask(w.alice, "Second question?")
    assert too_soon.ephemeral and "wait 30 seconds" in said(too_soon)
    for i in range(4):
        clock.advance(seconds=31)
        assert f"#{i + 2}" in said(await qa.ask(w.alice, f"Question {i}?"))
    clock.advance(seconds=31)
    over = await qa.ask(w.alice, "Sixth?")
    assert "5 questions waiting" in said(over)
    assert "/withdraw" in said(over)
    assert qa.rows("SELECT COUNT(*) FROM questions")[0][0] == 5


async def test_closed_intake_and_blocked_users_are_refused(qa: QA, clock: Clock) -> None:
    w = qa.world
    await w.mod.slash(w.moderation, "qa close")
    closed = await qa.ask(w.alice, "Anyone there?")
    assert closed.ephemeral and "closed" in said(closed)
    await w.mod.slash(w.moderation, "qa open")
    blocked = await w.mod.slash(w.moderation, "qa block", user=w.bob)
    assert blocked.ephemeral
    refused = await qa.ask(w.bob, "Let me in?")
    assert "blocked" in said(refused)
    assert _count(qa)[0] == 0
    await w.mod.slash(w.moderation, "qa unblock", user=w.bob)
    assert "#1" in said(await qa.ask(w.bob, "Thanks, may I ask now?"))


async def test_intake_follows_the_schedule(qa: QA, clock: Clock) -> None:
    clock.advance(hours=2)  # the session ended at 10:30 UTC
    after = await qa.ask(qa.world.alice, "Too late?")
    assert "closed" in said(after)
    assert _count(qa) == (0, 0)


async def test_myquestions_and_withdraw(qa: QA, clock: Clock) -> None:
    w = qa.world
    await qa.ask(w.alice, "About housing?")
    clock.advance(seconds=31)
    await qa.ask(w.alice, "About healthcare?")
    await qa.ask(w.bob, "Bob's question?")
    await w.mod.click(qa.card(2), label="Approve")
    mine = await w.alice.slash(w.questions, "myquestions")
    text = said_embed(mine)
    assert mine.ephemeral and "#1" in text and "#2" in text and "#3" not in text
    assert "waiting for review" in text and "in the queue" in text

    not_mine = await w.alice.slash(w.questions, "withdraw", number=3)
    assert "no question #3" in said(not_mine)
    assert qa.state(3) == "pending"

    assert qa.has_vote_message(2)
    done = await w.alice.slash(w.questions, "withdraw", number=2)
    assert done.ephemeral and "#2 is withdrawn" in said(done)
    assert qa.state(2) == "withdrawn"
    assert button_labels(qa.vote_message(2)) == []  # no more voting
    assert field(qa.card(2), "State") is not None
    assert "Withdrawn" in (field(qa.card(2), "State") or "")
    again = await w.alice.slash(w.questions, "withdraw", number=2)
    assert "already withdrawn" in said(again)


async def test_mentions_in_a_question_ping_nobody_and_render_intact(qa: QA) -> None:
    w = qa.world
    text = f"@everyone see {w.moderator_role.mention} and {w.carol.mention}: `code` **bold**?"
    await qa.ask(w.alice, text)
    await w.mod.click(qa.card(1), label="Approve")
    posts = [
        r
        for r in w.env.http_requests
        if r.method == "POST" and r.path.endswith("/messages") and r.json and r.json.get("embeds")
    ]
    assert len(posts) == 2  # the card and the vote message
    for request in posts:
        assert request.json is not None
        assert request.json["allowed_mentions"] == {"parse": []}
        assert "users" not in request.json["allowed_mentions"]
        assert "roles" not in request.json["allowed_mentions"]
    for message in (qa.card(1), qa.vote_message(1)):
        assert not message.mention_everyone
        shown = message.embeds[0].description or ""
        assert "@everyone" in shown and w.moderator_role.mention in shown
        assert w.carol.mention in shown
        assert "\\`code\\`" in shown and "\\*\\*bold\\*\\*" in shown


async def test_an_anonymous_question_shows_its_author_nowhere(qa: QA) -> None:
    w = qa.world
    secret = w.participant("zephyrine")
    result = await qa.ask(secret, "Is the funding transparent?", anonymous=True)
    assert result.ephemeral and "#1" in said(result)
    await w.mod.click(qa.card(1), label="Approve")
    await w.bob.click(qa.vote_message(1), label="👍 0")
    await w.mod.slash(w.moderation, "qa next")
    await w.mod.slash(w.moderation, "qa answered")
    assert field(qa.card(1), "Asked by") == "Anonymous"
    assert field(qa.vote_message(1), "Asked by") == "Anonymous"
    assert "Anonymous" in json.dumps(w.live.history()[-1].embeds[0].to_dict())

    marks = ("zephyrine", str(secret.id), secret.mention)
    shown = qa.everything_shown()
    assert not any(mark in shown for mark in marks)
    for request in w.env.http_requests:
        body = json.dumps(request.json, ensure_ascii=False) if request.json else ""
        if not any(mark in body for mark in marks):
            continue
        # only the ephemeral answer to the asker themselves may name them
        assert request.json is not None and "/interactions/" in request.path
        assert request.json["data"]["flags"] & 64
    assert qa.rows("SELECT author_name FROM questions") == [(None,)]
    assert qa.rows("SELECT actor_id, actor_name FROM question_events WHERE action = 'asked'") == [
        (None, None)
    ]


async def test_every_answer_to_an_asker_is_ephemeral(qa: QA) -> None:
    w = qa.world
    results = [
        await qa.ask(w.alice, "Visible?"),
        await qa.ask(w.bob, "Hidden?", anonymous=True),
        await qa.ask(w.carol, ""),
        await w.alice.slash(w.questions, "myquestions"),
        await w.alice.slash(w.questions, "withdraw", number=1),
    ]
    assert all(r.ephemeral for r in results)
    public = [m for m in w.questions.history() if m.interaction_metadata is not None]
    assert public == []
