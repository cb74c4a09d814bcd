"""/qa export in Discord: organizers (and Manage Server) get the report as a file only they see;
everyone else is refused and gets no file."""

from __future__ import annotations

import csv
import io
import json

import discord
import pytest

from tests.conftest import World


async def seed(world: World) -> None:
    """Two questions through the questions core: one named, one anonymous, one approved."""
    bot = world.bot
    session = bot.sessions["gsef2021-inclusive-society"]
    run = bot.runs[session.id]
    qs = bot.questions
    first = await qs.ask(
        session, run, world.alice.id, "alice", "¿Qué papel tienen las cooperativas? <b>hi</b>"
    )
    await qs.ask(session, run, world.bob.id, "bob", "匿名的问题：如何评估？", anonymous=True)
    await qs.approve(run.id, first.number, world.mod.id, "mona")


def replies(result: object) -> list:  # type: ignore[type-arg]
    """What the member saw: the (deferred) response and any follow-ups."""
    return [m for m in [result.response, *result.followups] if m is not None]  # type: ignore[attr-defined]


async def file_of(result: object) -> tuple[str, bytes, bool]:
    seen = replies(result)
    assert len(seen) == 1, result
    message = seen[0]
    assert len(message.attachments) == 1, message
    attachment = message.attachments[0]
    return attachment.filename, await attachment.read(), message.ephemeral


async def test_organizer_gets_the_html_report_only_they_see(world: World) -> None:
    await seed(world)
    result = await world.org.slash(world.questions, "qa export")
    name, data, ephemeral = await file_of(result)
    assert ephemeral
    assert name == "gsef2021-inclusive-society-qa-report.html"
    html = data.decode("utf-8")
    assert "<svg" in html and "Follow-up" in html
    assert "¿Qué papel tienen las cooperativas? &lt;b&gt;hi&lt;/b&gt;" in html
    assert "匿名的问题：如何评估？" in html
    assert "bob" not in html  # the anonymous asker
    assert "2 questions" in replies(result)[0].content
    # the file is the organizer's alone: others in the channel never see it
    assert [m.attachments[0].filename for m in world.questions.history(viewer=world.org)] == [name]
    assert all(not m.attachments for m in world.questions.history(viewer=world.alice))


@pytest.mark.parametrize("fmt", ["csv", "md", "json"])
async def test_organizer_can_choose_the_format(world: World, fmt: str) -> None:
    await seed(world)
    result = await world.org.slash(world.moderation, "qa export", format=fmt)
    name, data, ephemeral = await file_of(result)
    assert ephemeral and name.endswith(f".{fmt}")
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert [(r["number"], r["asker"], r["state"]) for r in rows] == [
            ("1", "alice", "approved"),
            ("2", "Anonymous", "pending"),
        ]
    elif fmt == "json":
        questions = json.loads(data)["sessions"][0]["questions"]
        assert [q["author_id"] for q in questions] == [str(world.alice.id), None]
    else:
        assert "\\<b\\>hi\\</b\\>" in data.decode("utf-8")


async def test_manage_server_may_export(world: World) -> None:
    admin_role = world.guild.create_role(
        "Server admin", permissions=discord.Permissions(manage_guild=True)
    )
    admin = world.guild.add_member(world.env.create_user("sam"), roles=[admin_role])
    result = await admin.slash(world.questions, "qa export", format="csv")
    name, data, ephemeral = await file_of(result)
    assert ephemeral and name.endswith(".csv") and data.startswith(b"\xef\xbb\xbfnumber,")


@pytest.mark.parametrize("who", ["alice", "mod"])
async def test_participants_and_moderators_are_refused(world: World, who: str) -> None:
    await seed(world)
    member = getattr(world, who)
    result = await member.slash(world.questions, "qa export", format="csv")
    seen = replies(result)
    assert len(seen) == 1
    assert seen[0].ephemeral
    assert "Only organizers" in seen[0].content
    assert seen[0].attachments == []


async def test_export_survives_a_restart(world: World, make_bot) -> None:  # type: ignore[no-untyped-def]
    await seed(world)
    await world.env.restart_bot(make_bot())
    result = await world.org.slash(world.questions, "qa export", format="json")
    _, data, _ = await file_of(result)
    assert len(json.loads(data)["sessions"][0]["questions"]) == 2


async def test_export_joins_the_moderation_cogs_qa_group(world: World) -> None:
    bot = world.bot
    qa = bot.tree.get_command("qa")
    assert isinstance(qa, discord.app_commands.Group)
    names = {c.name for c in qa.commands}
    assert "export" in names and len(names) > 1  # beside the moderation commands
    await bot.remove_cog("Exports")
    assert bot.tree.get_command("qa") is qa  # the group stays, without export
    assert "export" not in {c.name for c in qa.commands}


async def test_export_after_its_cog_is_added_again(world: World) -> None:
    from cogs.exports import Exports

    bot = world.bot
    cog = bot.get_cog("Exports")
    assert isinstance(cog, Exports)
    await bot.remove_cog("Exports")
    await bot.add_cog(Exports(bot, cog.reports, cog.runs, cog.group))
    await bot.tree.sync()
    name, _, _ = await file_of(await world.org.slash(world.questions, "qa export", format="md"))
    assert name.endswith(".md")
