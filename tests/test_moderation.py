"""Moderators review, rank and pick questions; participants cannot; races have one winner."""

from __future__ import annotations

import json

import discord
import pytest
from simcord.backend.models.channel import Overwrite
from simcord.enums import OverwriteType

from tests.q_world import QA, button_labels, field, said, said_embed


async def test_from_ask_to_answered(qa: QA) -> None:
    w = qa.world
    await qa.ask(w.alice, "How do we fund social housing?", speaker="li-li-chang")
    await qa.ask(w.bob, "Where do women fit in?")
    approved = await w.mod.click(qa.card(1), label="Approve")
    assert not approved.ephemeral  # the card itself is updated
    assert field(qa.card(1), "State") == "Approved by mona"
    assert button_labels(qa.card(1)) == ["Dismiss", "Block author", "Answer in writing"]
    assert "#2" in said(await w.mod2.slash(w.moderation, "qa approve", number=2))
    await w.carol.click(qa.vote_message(2), label="👍 0")

    queue = await w.mod.slash(w.moderation, "qa queue")
    listing = said_embed(queue)
    assert queue.ephemeral
    assert listing.index("**#2**") < listing.index("**#1**")  # votes first
    assert "approved 2" in (queue.response.embeds[0].footer.text or "")  # type: ignore[union-attr]

    nxt = await w.mod.slash(w.moderation, "qa next")
    assert "Now answering #2" in said(nxt)
    live = w.live.history()[-1]
    assert live.content == "**Now answering #2**"
    assert live.embeds[0].description == "Where do women fit in?"
    assert field(live, "Votes") == "1" and field(live, "Asked by") == "bob"
    assert qa.state(2) == "live"

    picked = await w.mod.slash(w.moderation, "qa next", speaker="li-li-chang")
    assert "#2 is marked answered" in said(picked)
    assert (qa.state(1), qa.state(2)) == ("live", "answered")
    assert field(w.live.history()[-1], "For") == "Li-Li Chang"
    assert "Answered" in (field(qa.card(2), "State") or "")
    assert button_labels(qa.vote_message(2)) == []

    await w.mod.slash(w.moderation, "qa answered")
    assert qa.state(1) == "answered"
    nothing = await w.mod.slash(w.moderation, "qa answered")
    assert "No question is live" in said(nothing)
    assert [a for (a,) in qa.rows(
        "SELECT action FROM question_events e JOIN questions q ON q.id = e.question_id "
        "WHERE q.number = 1 ORDER BY e.id"
    )] == ["asked", "approved", "live", "answered"]  # fmt: skip


async def test_pick_dismiss_reject_with_reasons(qa: QA) -> None:
    w = qa.world
    for who, text in ((w.alice, "One?"), (w.bob, "Two?"), (w.carol, "Buy my course!")):
        await qa.ask(who, text)
    await w.mod.slash(w.moderation, "qa approve", number=1)
    await w.mod.slash(w.moderation, "qa approve", number=2)
    rejected = await w.mod.slash(w.moderation, "qa reject", number=3, reason="advertising")
    assert "#3 rejected" in said(rejected)
    assert "Rejected by mona" in (field(qa.card(3), "State") or "")
    assert button_labels(qa.card(3)) == []
    dismissed = await w.mod.slash(w.moderation, "qa dismiss", number=1, reason="off topic")
    assert "set aside" in said(dismissed)
    assert button_labels(qa.vote_message(1)) == []
    picked = await w.mod.slash(w.moderation, "qa pick", number=2)
    assert "Now answering #2" in said(picked)
    again = await w.mod.slash(w.moderation, "qa pick", number=1)
    assert "#1 was already dismissed by mona" in said(again)
    assert qa.rows(
        "SELECT q.number, e.reason FROM question_events e JOIN questions q ON q.id = e.question_id "
        "WHERE e.reason IS NOT NULL ORDER BY q.number"
    ) == [(1, "off topic"), (3, "advertising")]


async def test_edit_merge_and_label(qa: QA) -> None:
    w = qa.world
    await qa.ask(w.alice, "How do cooperatives reach yuoth?")
    await qa.ask(w.bob, "How can co-ops reach young people?")
    await qa.ask(w.carol, "Young people and cooperatives?", anonymous=True)
    for n in (1, 2):
        await w.mod.slash(w.moderation, "qa approve", number=n)
    await w.org.click(qa.vote_message(2), label="👍 0")

    edited = await w.mod.slash(
        w.moderation, "qa edit", number=1, text="How do cooperatives reach youth?"
    )
    assert "original stays" in said(edited)
    assert qa.card(1).embeds[0].description == "How do cooperatives reach youth?"
    assert qa.vote_message(1).embeds[0].description == "How do cooperatives reach youth?"
    detail = qa.rows("SELECT detail FROM question_events WHERE action = 'edited'")[0][0]
    assert json.loads(detail)["before"] == "How do cooperatives reach yuoth?"

    merged = await w.mod.slash(w.moderation, "qa merge", number=2, into=1)
    assert "#2 merged into #1" in said(merged)
    await w.mod.slash(w.moderation, "qa merge", number=3, into=1)  # a pending duplicate
    assert (qa.state(2), qa.state(3)) == ("merged", "merged")
    kept = qa.vote_message(1)
    assert field(kept, "Duplicates") == "Also asked by 2 people"
    # olga's vote carries over; bob and the anonymous asker are "also asked", not voters, so
    # the count is the same whoever asked the duplicates
    assert button_labels(kept) == ["👍 1"]
    assert button_labels(qa.vote_message(2)) == []
    assert "Merged into #1" in (field(qa.card(2), "State") or "")
    assert qa.rows("SELECT votes FROM questions ORDER BY number") == [(1,), (0,), (0,)]

    choices = await w.mod.autocomplete(w.moderation, "qa label", "label", "you", number=1)
    assert [c["value"] for c in choices] == ["youth"]
    labelled = await w.mod.slash(w.moderation, "qa label", number=1, label="youth")
    assert "labelled Youth" in said(labelled)
    assert field(qa.card(1), "Label") == "Youth"
    unknown = await w.mod.slash(w.moderation, "qa label", number=1, label="nope")
    assert "no label" in said(unknown)


async def test_open_and_close_intake_by_hand(qa: QA) -> None:
    w = qa.world
    closed = await w.org.slash(w.moderation, "qa close")
    assert closed.ephemeral and "closed" in said(closed)
    assert w.bot.runs["gsef2021-inclusive-society"].intake_override == "closed"
    assert "closed" in said(await qa.ask(w.alice, "Now?"))
    await w.org.slash(w.moderation, "qa open")
    assert "#1" in said(await qa.ask(w.alice, "Now?"))
    assert qa.rows("SELECT action FROM run_events WHERE action LIKE 'intake%' ORDER BY id") == [
        ("intake_closed",),
        ("intake_open",),
    ]


MODERATOR_COMMANDS = [
    ("qa approve", {"number": 1}),
    ("qa reject", {"number": 1}),
    ("qa edit", {"number": 1, "text": "Changed"}),
    ("qa merge", {"number": 1, "into": 2}),
    ("qa label", {"number": 1, "label": "youth"}),
    ("qa queue", {}),
    ("qa next", {}),
    ("qa pick", {"number": 1}),
    ("qa answered", {}),
    ("qa dismiss", {"number": 1}),
    ("qa open", {}),
    ("qa close", {}),
    ("qa block", {"user": "bob"}),
    ("qa unblock", {"user": "bob"}),
]


@pytest.mark.parametrize(("command", "options"), MODERATOR_COMMANDS)
async def test_participants_are_refused_every_moderator_command(
    qa: QA, command: str, options: dict[str, object]
) -> None:
    w = qa.world
    await qa.ask(w.alice, "First?")
    await qa.ask(w.bob, "Second?")
    before = qa.rows("SELECT * FROM questions ORDER BY id")
    events = qa.rows("SELECT COUNT(*) FROM question_events")
    if options.get("user") == "bob":
        options = {**options, "user": w.bob}
    result = await w.carol.slash(w.questions, command, **options)
    assert result.ephemeral and "Only moderators" in said(result)
    assert qa.rows("SELECT * FROM questions ORDER BY id") == before
    assert qa.rows("SELECT COUNT(*) FROM question_events") == events
    assert qa.rows("SELECT COUNT(*) FROM blocks") == [(0,)]
    assert w.bot.runs["gsef2021-inclusive-society"].intake_override is None


async def test_qa_commands_are_not_hidden_behind_default_permissions(qa: QA) -> None:
    group = qa.world.bot.tree.get_command("qa")
    assert group is not None
    assert group.default_permissions is None
    assert "qa approve" in qa.world.carol.available_commands(qa.world.questions)


async def test_a_participant_who_sees_the_card_cannot_click_it(qa: QA) -> None:
    w = qa.world
    backend = w.env.backend
    channel = backend.get_channel(w.moderation.id)
    see = discord.Permissions(view_channel=True, read_message_history=True).value
    backend.edit_channel(
        channel.id,
        {},
        overwrites=[*channel.overwrites, Overwrite(w.carol.id, OverwriteType.MEMBER, see, 0)],
    )
    await w.env.settle()
    await qa.ask(w.alice, "Hello?")
    for label in ("Approve", "Reject", "Block author"):
        refused = await w.carol.click(qa.card(1), label=label)
        assert refused.ephemeral and "Only moderators" in said(refused)
    assert qa.state(1) == "pending"
    assert qa.rows("SELECT COUNT(*) FROM blocks") == [(0,)]
    assert button_labels(qa.card(1)) == ["Approve", "Reject", "Block author"]


async def test_two_moderators_on_one_card_the_first_wins(qa: QA) -> None:
    w = qa.world
    await qa.ask(w.alice, "Who decides?")
    stale = qa.card(1)
    # mona approves by command; the card edit is lost, so mateo still sees the old buttons
    w.env.inject_error("PATCH", f"/channels/{w.moderation.id}/messages/*")
    await w.mod.slash(w.moderation, "qa approve", number=1)
    assert button_labels(qa.card(1)) == ["Approve", "Reject", "Block author"]
    late = await w.mod2.click(stale, label="Approve")
    assert late.ephemeral and said(late) == "#1 was already approved by mona."
    assert qa.state(1) == "approved"
    assert button_labels(qa.card(1)) == [
        "Dismiss",
        "Block author",
        "Answer in writing",
    ]  # the card caught up
    assert qa.rows("SELECT COUNT(*) FROM question_events WHERE action = 'approved'") == [(1,)]
    also_late = await w.mod2.slash(w.moderation, "qa reject", number=1)
    assert said(also_late) == "#1 was already approved by mona, so it cannot be rejected now."


async def test_block_author_on_an_anonymous_card_reveals_no_one(qa: QA) -> None:
    w = qa.world
    troll = w.participant("trollface")
    await qa.ask(troll, "Spam spam spam", anonymous=True)
    blocked = await w.mod.click(qa.card(1), label="Block author")
    assert not blocked.ephemeral
    assert "author blocked" in (field(qa.card(1), "State") or "")
    assert qa.state(1) == "rejected"
    assert "blocked" in said(await qa.ask(troll, "Let me back in"))
    assert "trollface" not in qa.everything_shown()
    assert str(troll.id) not in qa.everything_shown()
    assert qa.rows("SELECT user_id FROM blocks") == [(troll.id,)]


async def test_a_block_from_an_anonymous_card_can_be_undone_from_it(qa: QA, clock) -> None:  # type: ignore[no-untyped-def]
    w = qa.world
    await qa.ask(w.carol, "Buy followers cheap!!!", anonymous=True)  # #1
    await w.mod.click(qa.card(1), label="Block author")
    assert button_labels(qa.card(1)) == ["Unblock author"]
    clock.advance(seconds=31)
    refused = await qa.ask(w.carol, "A real question now?")
    assert "blocked you" in said(refused)

    # a participant who can see the card cannot undo it
    backend = w.env.backend
    channel = backend.get_channel(w.moderation.id)
    see = discord.Permissions(view_channel=True, read_message_history=True).value
    backend.edit_channel(
        channel.id,
        {},
        overwrites=[*channel.overwrites, Overwrite(w.alice.id, OverwriteType.MEMBER, see, 0)],
    )
    await w.env.settle()
    nope = await w.alice.click(qa.card(1), label="Unblock author")
    assert nope.ephemeral and "Only moderators" in said(nope)
    assert qa.rows("SELECT COUNT(*) FROM blocks") == [(1,)]

    await w.mod2.click(qa.card(1), label="Unblock author")
    state = field(qa.card(1), "State") or ""
    assert "author unblocked" in state and "Rejected" in state
    assert button_labels(qa.card(1)) == []
    assert field(qa.card(1), "Asked by") == "Anonymous"
    assert qa.rows("SELECT COUNT(*) FROM blocks") == [(0,)]
    assert qa.rows(
        "SELECT action, detail FROM run_events WHERE action LIKE '%block%' ORDER BY id"
    ) == [("blocked", "author of #1"), ("unblocked", "author of #1")]

    again = await qa.ask(w.carol, "A real question now?", anonymous=True)
    assert "#2" in said(again)
    # who it was appears nowhere anyone can see
    shown = qa.everything_shown()
    assert str(w.carol.id) not in shown and w.carol.name not in shown
