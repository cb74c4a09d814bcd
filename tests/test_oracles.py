"""No anonymity oracles: nothing a moderator does gets an answer, a count, a button or a log line
that depends on who an anonymous asker is.

Each test plays the same story twice: once with the real anonymous asker as the subject, once
with someone else, and compares what moderators see.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from tests.conftest import Clock
from tests.q_world import QA, button_labels, field, said


def visible(qa: QA) -> list[tuple[str, str, list[str]]]:
    """What moderators and participants can see: every message's text, embeds and buttons."""
    out = []
    for channel in (qa.world.questions, qa.world.moderation, qa.world.live):
        for m in channel.history():
            embeds = " | ".join(str(e.to_dict()) for e in m.embeds)
            out.append((m.content, embeds, button_labels(m)))
    return out


def normal(text: str, *people: Any) -> str:
    """An answer with the people it names replaced by a placeholder."""
    for person in people:
        text = text.replace(person.mention, "@someone").replace(person.name, "someone")
        text = text.replace(str(person.id), "<id>")
    return re.sub(r"<@!?\d+>", "@someone", text)


@pytest.mark.parametrize("subject", ["asker", "someone else"])
async def test_block_and_unblock_answer_the_same_whoever_is_named(qa: QA, subject: str) -> None:
    w = qa.world
    await qa.ask(w.alice, "Why are the care centres closing?", anonymous=True)
    await w.mod.click(qa.card(1), label="Block author")  # alice, unnamed, is blocked
    person = w.alice if subject == "asker" else w.bob
    answers = []
    for command in ("qa block", "qa block", "qa unblock", "qa unblock"):
        result = await w.mod.slash(w.moderation, command, user=person)
        answers.append(normal(said(result), person))
    assert answers == [
        "@someone can no longer ask questions here.",
        "That person is already blocked with /qa block in this session.",
        "The block of @someone made with /qa block is lifted.",
        "That person has no block from /qa block in this session (a block made with a card's "
        "Block author is lifted on that card).",
    ]
    assert normal(str(visible(qa)), w.alice, w.bob).count("someone") == 0
    assert button_labels(qa.card(1)) == ["Unblock author"]
    # the card's own block is lifted on the card, the same for everyone
    await w.mod.click(qa.card(1), label="Unblock author")
    assert button_labels(qa.card(1)) == []


@pytest.mark.parametrize("duplicate_by", ["the kept question's asker", "someone else"])
async def test_merging_an_anonymous_duplicate_shows_the_same_counts(
    qa: QA, clock: Clock, duplicate_by: str
) -> None:
    w = qa.world
    await qa.ask(w.bob, "Who pays for the community kitchens?")
    clock.advance(minutes=1)  # past the asking cooldown, whoever asks next
    asker = w.bob if duplicate_by == "the kept question's asker" else w.carol
    await qa.ask(asker, "Who finances the community kitchens?", anonymous=True)
    await w.mod.slash(w.moderation, "qa approve", number=1)
    await w.mod.slash(w.moderation, "qa approve", number=2)
    await w.alice.click(qa.vote_message(2), label="👍 0")
    merged = said(await w.mod.slash(w.moderation, "qa merge", number=2, into=1))
    assert merged == "#2 merged into #1: 1 vote, also asked by 1."
    kept = qa.vote_message(1)
    assert button_labels(kept) == ["👍 1"]
    assert field(kept, "Duplicates") == "Also asked by 1 person"
    assert field(qa.card(1), "Duplicates") == "Also asked by 1 person"


async def test_no_log_line_holds_an_anonymous_askers_id_or_name_even_at_debug(
    qa: QA, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    qa_clock = clock
    caplog.set_level(logging.DEBUG)
    w = qa.world
    await qa.ask(w.alice, "¿Quién financia las cocinas comunitarias?", anonymous=True)
    await w.mod.slash(w.moderation, "qa approve", number=1)
    await w.bob.click(qa.vote_message(1), label="👍 0")
    await w.mod.slash(w.moderation, "qa next")
    await w.mod.slash(w.moderation, "qa answered")
    qa_clock.advance(minutes=1)
    await qa.ask(w.alice, "Y los mercados?", anonymous=True)
    await w.mod.click(qa.card(2), label="Block author")
    await w.alice.slash(w.questions, "myquestions")
    await w.alice.slash(w.questions, "ask", question="Blocked?", anonymous=True)
    ours = [r for r in caplog.records if not r.name.startswith("simcord")]
    assert logging.getLogger("cogs.posting").isEnabledFor(logging.DEBUG)  # DEBUG was on
    assert ours  # and lines were logged
    for record in ours:
        line = record.getMessage()
        assert str(w.alice.id) not in line, (record.name, line)
        assert "alice" not in line.casefold(), (record.name, line)
