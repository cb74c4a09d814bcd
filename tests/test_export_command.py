"""/qa export in Discord: organizers (and Manage Server) get the report as a file only they see;
everyone else is refused and gets no file."""

from __future__ import annotations

import csv
import io
import json

import discord
import pytest

from bot.questions import QuestionService
from tests.conftest import World


async def seed(world: World) -> None:
    """Two questions through the questions core: one named, one anonymous, one approved."""
    bot = world.bot
    session = bot.sessions["gsef2021-inclusive-society"]
    run = bot.runs[session.id]
    qs = QuestionService.for_db(bot.db, bot.clock)
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


FAKE_MODERATION = """
import discord
from discord import app_commands
from discord.ext import commands


class Moderation(commands.Cog):
    qa = app_commands.Group(name="qa", description="Moderate the Q&A.")

    @qa.command(name="next", description="Pick the next question.")
    async def next_question(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("next!", ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Moderation())
"""


@pytest.fixture
def fake_moderation(monkeypatch: pytest.MonkeyPatch, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A stand-in for the moderation cog that owns /qa, importable as an extension."""
    name = "fake_qa_moderation"
    (tmp_path / f"{name}.py").write_text(FAKE_MODERATION, "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


async def test_export_loads_the_moderation_cog_first_and_joins_its_group(
    fake_moderation: str, make_bot, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import cogs.exports as exports

    monkeypatch.setattr(exports, "MODERATION", fake_moderation)
    bot = make_bot()
    group, own = await exports._qa_group(bot)
    assert not own
    assert fake_moderation in bot.extensions  # loaded by exports, so the bot skips it later
    assert bot.tree.get_command("qa") is group
    assert [c.name for c in group.commands] == ["next"]
    await bot.unload_extension(fake_moderation)


async def test_without_a_moderation_cog_export_gets_a_qa_group_of_its_own(
    make_bot, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import cogs.exports as exports

    monkeypatch.setattr(exports, "MODERATION", "no_moderation_cog_here")
    bot = make_bot()
    group, own = await exports._qa_group(bot)
    assert own and bot.tree.get_command("qa") is group


async def test_export_joins_the_moderation_cogs_qa_group(world: World) -> None:
    bot = world.bot
    assert "cogs.moderation" in bot.extensions
    qa = bot.tree.get_command("qa")
    assert isinstance(qa, discord.app_commands.Group)
    names = {c.name for c in qa.commands}
    assert "export" in names and len(names) > 1  # beside the moderation commands
    await bot.unload_extension("cogs.exports")
    assert bot.tree.get_command("qa") is qa  # the group stays, without export
    assert "export" not in {c.name for c in qa.commands}
    await bot.load_extension("cogs.exports")
    await bot.tree.sync()
    name, _, ephemeral = await file_of(await world.org.slash(world.questions, "qa export"))
    assert ephemeral and name.endswith(".html")


async def test_export_can_be_reloaded(world: World) -> None:
    await world.bot.reload_extension("cogs.exports")
    await world.bot.tree.sync()
    name, _, _ = await file_of(await world.org.slash(world.questions, "qa export", format="md"))
    assert name.endswith(".md")
