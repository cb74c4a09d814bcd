"""Flooding: one member sending 200 questions, 100 members sending 20 each.

The intake limits hold per person however many asks arrive at once; the bot answers moderators
right after the flood; the moderation channel gets at most Discord's ~5 messages per 5 seconds,
with the rest of the new questions combined in digest cards, and every question shows up in a
card or a digest.

SimCord runs one user action at a time, so the load is driven through the questions core (many
concurrent asks on the bot's own database), as many participants' /ask commands would be.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from bot.delivery import DIGEST_SIZE, RATE_LIMIT, RATE_WINDOW, Pacer, plan_cards
from bot.errors import Refusal
from bot.questions import QuestionService
from bot.sessions import Session
from cogs.posting import WAKE_MARGIN, Posting
from tests.q_world import QA, said, said_embed
from tests.test_questions_core import with_rules

SESSION = "gsef2021-inclusive-society"


# ------------------------------------------------------------------ the policy


def test_cards_fit_the_budget_and_every_question_is_somewhere() -> None:
    for n in (0, 1, 4, 5, 6, 7, 40, 41, 200, 2000):
        for budget in (0, 1, 2, 5):
            plan = plan_cards(list(range(n)), budget)
            assert plan.messages <= budget
            shown = plan.singles + [q for d in plan.digests for q in d] + plan.later
            assert sorted(shown) == list(range(n))  # nothing lost, nothing twice
            assert all(2 <= len(d) <= DIGEST_SIZE for d in plan.digests)
            if n <= budget:
                assert plan.singles == list(range(n)) and not plan.digests
            elif budget and n <= (budget - 1) + DIGEST_SIZE:
                assert not plan.later  # one burst fits in this window
    assert plan_cards(list(range(12)), 5).singles == [0, 1, 2, 3]
    assert plan_cards(list(range(12)), 5).digests == [list(range(4, 12))]


def test_the_pacer_is_a_sliding_window() -> None:
    now = [0.0]
    pacer = Pacer(limit=5, window=5.0, clock=lambda: now[0])
    assert pacer.budget("c") == 5
    for _ in range(5):
        pacer.spend("c")
    assert pacer.budget("c") == 0 and pacer.wait("c") == 5.0
    assert pacer.budget("other") == 5
    now[0] = 4.0
    assert pacer.budget("c") == 0 and pacer.wait("c") == 1.0
    now[0] = 5.0
    assert pacer.budget("c") == 5 and pacer.wait("c") == 0.0


# ----------------------------------------------------------------- the limits


def bot_core(qa: QA) -> tuple[QuestionService, Any]:
    bot = qa.world.bot
    return bot.questions, bot.runs[SESSION]


async def flood(
    core: QuestionService, session: Session, run: Any, asks: list[tuple[int, str]]
) -> tuple[list[Any], list[str]]:
    results = await asyncio.gather(
        *(core.ask(session, run, author, f"user{author}", text) for author, text in asks),
        return_exceptions=True,
    )
    accepted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r.message for r in results if isinstance(r, Refusal)]
    assert len(accepted) + len(refused) == len(asks), [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, Refusal)
    ]
    return accepted, refused


async def test_one_member_sending_200_questions_gets_one_through_the_cooldown(qa: QA) -> None:
    core, run = bot_core(qa)
    session = qa.world.bot.sessions[SESSION]
    assert session.spec.questions.cooldown_seconds == 30
    accepted, refused = await flood(core, session, run, [(4242, f"Spam {i}?") for i in range(200)])
    assert len(accepted) == 1 and len(refused) == 199
    assert all("please wait 30 seconds" in text for text in refused)
    assert qa.rows("SELECT COUNT(*) FROM questions") == [(1,)]


async def test_without_cooldown_the_waiting_limit_holds_under_200_at_once(qa: QA) -> None:
    core, run = bot_core(qa)
    session = with_rules(qa.world.bot.sessions[SESSION], cooldown_seconds=0)
    limit = session.spec.questions.max_pending_per_user
    accepted, refused = await flood(core, session, run, [(4242, f"Spam {i}?") for i in range(200)])
    assert len(accepted) == limit == 5
    assert len(refused) == 195
    assert all("You already have 5 questions waiting (the limit is 5)" in t for t in refused)
    assert sorted(q.number for q in accepted) == [1, 2, 3, 4, 5]


async def test_100_members_sending_20_each_keep_their_own_limits_and_the_bot_answers(
    qa: QA,
) -> None:
    core, run = bot_core(qa)
    session = with_rules(qa.world.bot.sessions[SESSION], cooldown_seconds=0)
    asks = [
        (10_000 + person, f"Question {i} from {person}?")
        for i in range(20)
        for person in range(100)
    ]
    started = time.perf_counter()
    accepted, refused = await flood(core, session, run, asks)
    took = time.perf_counter() - started
    assert len(accepted) == 100 * 5 and len(refused) == 100 * 15
    per_person = qa.rows("SELECT author_id, COUNT(*) FROM questions GROUP BY author_id")
    assert len(per_person) == 100 and {n for _, n in per_person} == {5}
    numbers = [n for (n,) in qa.rows("SELECT number FROM questions ORDER BY number")]
    assert numbers == list(range(1, 501))  # no gaps, no repeats
    assert took < 10, f"2,000 asks took {took:.1f} s"

    # the bot stays responsive: a moderator's /qa queue answers at once after the flood
    started = time.perf_counter()
    queue = await qa.world.mod.slash(qa.world.moderation, "qa queue")
    assert "No approved questions yet" in said_embed(queue)
    assert time.perf_counter() - started < 2.0
    assert "pending 500" in (queue.response.embeds[0].footer.text or "")


# ------------------------------------------------------------ the channel flood


def cog(qa: QA) -> Posting:
    found = qa.world.bot.get_cog("Posting")
    assert isinstance(found, Posting)
    return found


def numbers_shown(qa: QA) -> list[int]:
    """Every question number in a card title or a digest line of the moderation channel."""
    found: list[int] = []
    for message in qa.world.moderation.history():
        for embed in message.embeds:
            title = embed.title or ""
            if match := re.fullmatch(r"Question #(\d+)", title):
                found.append(int(match[1]))
            elif title.startswith("New questions"):
                found.extend(
                    int(n) for n in re.findall(r"^\*\*#(\d+)\*\*", embed.description or "", re.M)
                )
    return found


def bot_posts(qa: QA) -> int:
    return len([r for r in qa.env.http_requests if r.method == "POST" and r.path == (
        f"/channels/{qa.world.moderation.id}/messages")])  # fmt: skip


async def test_a_burst_of_new_questions_is_coalesced_within_the_rate_limit(qa: QA) -> None:
    core, run = bot_core(qa)
    session = with_rules(qa.world.bot.sessions[SESSION], cooldown_seconds=0)
    asks = [
        (10_000 + person, f"Question {i} from {person}?") for i in range(5) for person in range(60)
    ]
    accepted, _ = await flood(core, session, run, asks)
    assert len(accepted) == 300
    # the questions wait for their cards, as after many /ask commands at once; the next ask's
    # delivery pass (in the bot, like every pass) posts what the window allows
    cog(qa).note(SESSION, *(q.id for q in accepted))
    assert "#301" in said(await qa.ask(qa.world.alice, "And mine?"))

    windows = [bot_posts(qa)]
    assert windows[0] == RATE_LIMIT  # one window: at most 5 messages for 301 questions
    while len(set(numbers_shown(qa))) < 301 and len(windows) < 10:
        await qa.env.advance_time(RATE_WINDOW + WAKE_MARGIN)  # the window reopens; the rest follows
        windows.append(bot_posts(qa) - sum(windows))
    assert all(n <= RATE_LIMIT for n in windows), windows
    shown = numbers_shown(qa)
    assert sorted(shown) == list(range(1, 302))  # every question once, in a card or digest
    assert sum(windows) <= 300 // DIGEST_SIZE + 2 * RATE_LIMIT
    assert qa.rows("SELECT COUNT(*) FROM questions WHERE card_message_id IS NULL") == [(0,)]
    # moderators act on a question from a digest by number
    approved = await qa.world.mod.slash(qa.world.moderation, "qa approve", number=150)
    assert "#150 approved" in said(approved)
    assert qa.has_vote_message(150)


async def test_asks_one_after_another_stay_within_five_cards_per_window(qa: QA) -> None:
    w = qa.world
    people = [w.participant(f"p{i}") for i in range(12)]
    for i, person in enumerate(people):
        assert f"#{i + 1}" in said(await qa.ask(person, f"Question {i + 1}?"))
    assert bot_posts(qa) == RATE_LIMIT  # five cards, then the rest waits for the window
    assert sorted(numbers_shown(qa)) == [1, 2, 3, 4, 5]
    await w.env.advance_time(RATE_WINDOW + WAKE_MARGIN)
    assert bot_posts(qa) <= 2 * RATE_LIMIT
    assert sorted(numbers_shown(qa)) == list(range(1, 13))
    digests = [
        m
        for m in w.moderation.history()
        if m.embeds and (m.embeds[0].title or "").startswith("New questions")
    ]
    assert len(digests) == 1
    assert "/qa approve number:N" in (digests[0].embeds[0].description or "")


async def test_held_cards_are_not_read_again_until_the_window_reopens(
    qa: QA, monkeypatch: Any
) -> None:
    """A burst of asks one after another: each ask's pass reads its own question, not all held."""
    w = qa.world
    read_sizes: list[int] = []
    by_ids = QuestionService.by_ids

    async def counting(self: QuestionService, question_ids: list[int]) -> Any:
        read_sizes.append(len(question_ids))
        return await by_ids(self, question_ids)

    monkeypatch.setattr(QuestionService, "by_ids", counting)
    people = [w.participant(f"p{i}") for i in range(30)]
    for i, person in enumerate(people):
        assert f"#{i + 1}" in said(await qa.ask(person, f"Question {i + 1}?"))
    assert bot_posts(qa) == RATE_LIMIT
    assert max(read_sizes) == 1, read_sizes  # 25 held cards, never read again on the way
    await w.env.advance_time(RATE_WINDOW + WAKE_MARGIN)
    assert sorted(numbers_shown(qa)) == list(range(1, 31))  # the held ones follow, all of them
    assert qa.rows("SELECT COUNT(*) FROM questions WHERE card_message_id IS NULL") == [(0,)]


async def test_a_held_question_approved_gets_its_vote_message_at_once(qa: QA) -> None:
    w = qa.world
    people = [w.participant(f"p{i}") for i in range(8)]
    for i, person in enumerate(people):
        assert f"#{i + 1}" in said(await qa.ask(person, f"Question {i + 1}?"))
    assert 8 not in numbers_shown(qa)  # its card waits for the window
    approved = await w.mod.slash(w.moderation, "qa approve", number=8)
    assert "#8 approved" in said(approved)
    assert qa.has_vote_message(8)  # the vote message does not wait for the moderation window
