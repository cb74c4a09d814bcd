"""Anonymous means anonymous: an anonymous asker's name, display name, id or mention appears in no
message, card, vote message, live post, export or report, whoever looks; moderators can still
block the asker from the card without learning who it is.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import simcord

from bot.reports import render_report
from tests.conftest import Clock
from tests.q_world import QA, button_labels, field, said

FORMATS = ("json", "csv", "md", "html")


@pytest.fixture
def unpaced(qa: QA) -> QA:
    """One card per question at once (no digest cards), so each card can be found by number."""
    delivery = qa.world.bot.get_cog("Posting")
    if delivery is not None:
        delivery.pacer.limit = 1_000_000  # type: ignore[attr-defined]
    return qa


NAMES = {"zebulon_q": "Zebulon Quixote", "yarrow_v": "Yara Vasquez-Lind"}


def person(w: Any, username: str) -> simcord.MemberActor:
    return w.guild.add_member(w.env.create_user(username, global_name=NAMES[username]))


def identity(who: simcord.MemberActor) -> list[re.Pattern[str]]:
    """Everything that would say who someone is: user name, display name, id, mentions."""
    words = {who.name, NAMES.get(who.name, who.name)}
    patterns = [re.compile(re.escape(word), re.IGNORECASE) for word in words]
    patterns.append(re.compile(rf"(?<!\d){who.id}(?!\d)"))  # also covers <@id> and <@!id>
    return patterns


def leaks(text: str, who: simcord.MemberActor) -> list[str]:
    return [p.pattern for p in identity(who) if p.search(text)]


def every_message(qa: QA) -> list[tuple[str, bool, str, Any]]:
    """Every message in every channel, ephemeral ones included: (channel, ephemeral, text,
    the user the message's interaction belongs to)."""
    out = []
    backend = qa.env.backend
    for channel in qa.world.guild.channels.values():
        for message in backend.messages.get(channel.id, {}).values():
            text = "\n".join(
                [
                    message.content or "",
                    json.dumps(message.embeds, ensure_ascii=False),
                    json.dumps(message.components, ensure_ascii=False),
                ]
            )
            meta = message.interaction_metadata or {}
            owner = (meta.get("user") or {}).get("id")
            out.append((str(channel.name), bool(message.is_ephemeral), text, owner))
    return out


def request_bodies(qa: QA) -> list[tuple[str, str]]:
    """Every REST request the bot made with a body: (path, body as JSON text)."""
    return [
        (e.path, json.dumps(e.json, ensure_ascii=False))
        for e in qa.env.http_requests
        if e.json is not None
    ]


async def test_anonymous_askers_stay_anonymous_through_a_whole_session(
    unpaced: QA, clock: Clock
) -> None:
    qa = unpaced
    w = qa.world
    zed, yara = person(w, "zebulon_q"), person(w, "yarrow_v")
    anonymous = (zed, yara)

    # ask: #1 zed anonymous, #2 yara anonymous (a duplicate), #3 bob by name
    first = await qa.ask(zed, "How are informal workers counted?", anonymous=True)
    assert first.ephemeral and "#1" in said(first) and "Anonymous" in said(first)
    await qa.ask(yara, "How do you count informal workers?", anonymous=True)
    await qa.ask(w.bob, "Where does the money come from?")
    assert field(qa.card(1), "Asked by") == "Anonymous"
    assert field(qa.card(3), "Asked by") == "bob"

    # approve from the card and by command; votes; the author cannot vote for their own
    await w.mod.click(qa.card(1), label="Approve")
    await w.mod2.slash(w.moderation, "qa approve", number=2)
    await w.mod.slash(w.moderation, "qa approve", number=3)
    assert field(qa.vote_message(1), "Asked by") == "Anonymous"
    await w.bob.click(qa.vote_message(1), label="👍 0")
    await yara.click(qa.vote_message(1), label="👍 1")
    own = await zed.click(qa.vote_message(1), label="👍 2")
    assert own.ephemeral and "own question" in said(own)
    await zed.click(qa.vote_message(3), label="👍 0")
    await w.carol.click(qa.vote_message(2), label="👍 0")

    # edit, merge the duplicate, put it live, answer it
    await w.mod.slash(w.moderation, "qa edit", number=1, text="How are informal workers counted?!")
    merged = await w.mod.slash(w.moderation, "qa merge", number=2, into=1)
    assert "#2 merged into #1" in said(merged)
    assert "Also asked by 1 person" in (field(qa.vote_message(1), "Duplicates") or "")
    await w.mod.slash(w.moderation, "qa next")
    live = w.live.history()[-1]
    assert live.content == "**Now answering #1**" and field(live, "Asked by") == "Anonymous"
    await w.mod.slash(w.moderation, "qa answered")
    assert qa.state(1) == "answered"

    # the author lists their questions: only they see the answer
    mine = await zed.slash(w.questions, "myquestions")
    assert mine.ephemeral and mine.response is not None
    assert "informal workers" in (mine.response.embeds[0].description or "")
    assert all(m.id != mine.response.id for m in w.questions.history(viewer=w.bob))
    assert any(m.id == mine.response.id for m in w.questions.history(viewer=zed))

    # yara withdraws an anonymous question of hers
    clock.advance(seconds=31)
    await qa.ask(yara, "Is there a gender breakdown?", anonymous=True)  # #4
    withdrawn = await yara.slash(w.questions, "withdraw", number=4)
    assert "#4 is withdrawn" in said(withdrawn)

    # zed asks something abusive, anonymously; a moderator blocks the author from the card
    await qa.ask(zed, "Buy followers cheap!!!", anonymous=True)  # #5
    blocked = await w.mod.click(qa.card(5), label="Block author")
    assert not blocked.ephemeral  # the card itself says what happened
    state = field(qa.card(5), "State") or ""
    assert "author blocked" in state and "Rejected" in state
    assert button_labels(qa.card(5)) == ["Unblock author"]
    assert field(qa.card(5), "Asked by") == "Anonymous"
    assert qa.rows("SELECT user_id FROM blocks") == [(zed.id,)]
    clock.advance(seconds=31)
    again = await qa.ask(zed, "Still here?", anonymous=True)
    assert again.ephemeral and "blocked you" in said(again)
    assert qa.rows("SELECT COUNT(*) FROM questions WHERE text = 'Still here?'") == [(0,)]

    # an organizer's export in Discord, and every report format from the log
    exported = await w.org.slash(w.questions, "qa export", format="json")
    files = [m for m in [exported.response, *exported.followups] if m is not None]
    assert len(files) == 1 and files[0].ephemeral
    discord_export = (await files[0].attachments[0].read()).decode("utf-8")
    reports = {fmt: (await render_report(qa.db_path, fmt)).decode("utf-8") for fmt in FORMATS}
    data = json.loads(reports["json"])
    questions = {q["number"]: q for q in data["sessions"][0]["questions"]}
    assert [questions[n]["author_id"] for n in (1, 2, 3, 4, 5)] == [
        None,
        None,
        str(w.bob.id),
        None,
        None,
    ]
    assert str(w.bob.id) in reports["json"]  # named askers are in the report: the check works
    assert "bob" in reports["csv"] and "bob" in reports["html"]

    # ------------------------------------------------------- nobody can tell who asked
    w.env.raise_errors()
    for who in anonymous:
        for channel, ephemeral, text, owner in every_message(qa):
            if ephemeral and str(owner) == str(who.id):
                continue  # the asker's own ephemeral answers, which only they see
            assert not leaks(text, who), (channel, text)
        for path, body in request_bodies(qa):
            assert not leaks(body, who), (path, body)
        for fmt, report in {**reports, "discord json": discord_export}.items():
            assert not leaks(report, who), fmt
        # public messages never carry an anonymous asker as the interaction's user
        for handle in w.guild.channels.values():
            for message in handle.history():
                meta = message.interaction_metadata
                assert meta is None or meta.user.id != who.id, (handle.name, message.content)
    # the bob check above proves the scan sees names when they are there
    assert any(leaks(text, w.bob) for _, _, text, _ in every_message(qa))


async def test_the_asker_sees_nothing_that_names_a_co_asker(unpaced: QA) -> None:
    """Merging a named question into an anonymous one, and the reverse, names nobody anonymous."""
    qa = unpaced
    w = qa.world
    zed = person(w, "zebulon_q")
    await qa.ask(w.alice, "What is the budget?")  # #1, named
    await qa.ask(zed, "What's the budget?", anonymous=True)  # #2, anonymous
    for n in (1, 2):
        await w.mod.slash(w.moderation, "qa approve", number=n)
    await w.mod.slash(w.moderation, "qa merge", number=2, into=1)
    await w.mod.slash(w.moderation, "qa pick", number=1)
    assert field(w.live.history()[-1], "Asked by") == "alice"
    assert "Also asked by 1 person" in (field(w.live.history()[-1], "Duplicates") or "")
    mine = await w.alice.slash(w.questions, "myquestions")
    for _, _, text, _ in every_message(qa):
        assert not leaks(text, zed), text
    assert not leaks(json.dumps(mine.response.embeds[0].to_dict()), zed)  # type: ignore[union-attr]
    for fmt in FORMATS:
        assert not leaks((await render_report(qa.db_path, fmt)).decode("utf-8"), zed), fmt
