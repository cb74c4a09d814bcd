"""The set-up check (`/qa doctor`, start-up log) and the `/qa setup` plan: pure rules first, then
real snapshots of SimCord servers with missing channels, hidden channels, missing permissions,
and a bare server set up from nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import discord
import pytest
import simcord
from simcord.backend.models.channel import Overwrite as SimOverwrite
from simcord.enums import OverwriteType

from bot.doctor import (
    PERMISSIONS,
    ChannelSeen,
    Finding,
    RoleSeen,
    SessionSeen,
    Snapshot,
    check,
    diagnose,
    escape,
    needed_permissions,
    permission_names,
    problems,
    render_discord,
    render_log,
)
from bot.sessions import Session
from bot.setup_plan import channel_overwrites, plan_setup, report
from cogs._doctor_snapshot import build_snapshot, session_seen
from cogs._setup_apply import apply_setup
from tests.conftest import World, build_world

ALL = frozenset(PERMISSIONS) - {"administrator"}


def channels(**overrides: Any) -> tuple[ChannelSeen, ...]:
    refs = {"questions": "questions", "moderation": "qa-moderation", "live": "session-live"}
    out = []
    for i, (kind, ref) in enumerate(refs.items()):
        base = ChannelSeen(
            kind,
            ref,
            True,
            name=ref,
            id=100 + i,
            permissions=ALL,
            everyone_can_view=kind != "moderation",
        )
        out.append(replace(base, **overrides.get(kind, {})))
    return tuple(out)


def seen(**fields: Any) -> SessionSeen:
    base = SessionSeen(
        "gsef",
        "gsef.toml",
        pinned_guild_id=42,
        guild_found=True,
        guild_id=42,
        guild_name="GSEF",
        channels=channels(),
        roles=(
            RoleSeen("moderator_role", "Moderator", 1),
            RoleSeen("organizer_role", "Organizer", 1),
        ),
        bot_role="QA Bot",
        guild_permissions=ALL,
    )
    return replace(base, **fields)


def fixes(findings: list[Finding]) -> list[str]:
    return [f.fix or "" for f in problems(findings)]


# ------------------------------------------------------------------------- pure rules


def test_permissions_needed_per_channel() -> None:
    basic = ("view_channel", "send_messages", "embed_links", "read_message_history")
    assert needed_permissions("moderation", True) == (*basic, "attach_files")  # the report
    assert needed_permissions("live", True) == basic
    assert needed_permissions("questions", False) == (
        *basic,
        "create_public_threads",
        "send_messages_in_threads",
    )
    assert needed_permissions("questions", True)[-1] == "add_reactions"
    assert not any("event" in p for k in ("questions", "live") for p in needed_permissions(k, True))


def test_permission_names_read_discords_bitfield() -> None:
    assert permission_names(discord.Permissions(view_channel=True, embed_links=True).value) == {
        "view_channel",
        "embed_links",
    }
    for name, (bit, _) in PERMISSIONS.items():  # the table agrees with discord.py
        assert getattr(discord.Permissions(bit), name) is True
    assert permission_names(discord.Permissions(administrator=True).value) >= ALL


def test_everything_in_place_means_no_problem() -> None:
    findings = diagnose(Snapshot((seen(),), message_content=False))
    assert problems(findings) == []
    assert render_discord(findings).startswith("**Set-up check: everything the bot needs")


def test_each_missing_permission_has_its_exact_fix() -> None:
    no_view = channels(moderation={"permissions": ALL - {"view_channel"}})
    findings = diagnose(Snapshot((seen(channels=no_view),), message_content=False))
    assert fixes(findings) == [
        "give the bot's role (QA Bot) View Channel in #qa-moderation (Edit Channel > Permissions)"
    ]
    assert problems(findings)[0].severity == "error"

    bits = discord.Permissions(view_channel=True, send_messages=True, read_message_history=True)
    threads = channels(questions={"permissions": bits.value})
    findings = diagnose(Snapshot((seen(channels=threads),), message_content=False))
    assert fixes(findings) == [
        "give the bot's role (QA Bot) Embed Links, Create Public Threads and Send Messages in "
        "Threads in #questions (Edit Channel > Permissions)"
    ]

    only_threads = channels(questions={"permissions": ALL - {"create_public_threads"}})
    warning = problems(diagnose(Snapshot((seen(channels=only_threads),), False)))[0]
    assert warning.severity == "warning" and "written answers go in a thread" in warning.message


def test_add_reactions_only_matters_with_chat_capture() -> None:
    no_reactions = channels(questions={"permissions": ALL - {"add_reactions"}})
    assert problems(diagnose(Snapshot((seen(channels=no_reactions),), False))) == []
    capture = seen(channels=no_reactions, chat_capture=True)
    found = problems(diagnose(Snapshot((capture,), message_content=True)))
    assert [f.fix for f in found] == [
        "give the bot's role (QA Bot) Add Reactions in #questions (Edit Channel > Permissions)"
    ]
    no_intent = problems(diagnose(Snapshot((replace(capture, channels=channels()),), False)))
    assert [(f.subject, f.severity) for f in no_intent] == [("intents", "error")]
    assert "Message Content Intent" in (no_intent[0].fix or "")


def test_missing_and_ambiguous_channels_and_roles() -> None:
    lost = channels(live={"found": False, "name": None, "id": None, "matches": 0})
    twice = (RoleSeen("moderator_role", "Moderator", 2), RoleSeen("organizer_role", 77, 0))
    findings = diagnose(Snapshot((seen(channels=lost, roles=twice),), False))
    assert fixes(findings) == [
        "create the text channel #session-live (the program and the question on screen are "
        "posted there), or run /qa setup, or set live_channel in the [discord] table of "
        "gsef.toml to an existing channel",
        "rename all but one, or set moderator_role in the [discord] table of gsef.toml to the "
        "id of the right one",
        "set organizer_role in the [discord] table of gsef.toml to an existing role's name or id",
    ]
    without_rights = seen(channels=lost, guild_permissions=frozenset({"view_channel"}))
    fix = fixes(diagnose(Snapshot((without_rights,), False)))[0]
    assert "give the bot Manage Channels and Manage Roles and run /qa setup" in fix


def test_a_visible_moderation_channel_is_a_warning() -> None:
    open_queue = channels(moderation={"everyone_can_view": True})
    found = problems(diagnose(Snapshot((seen(channels=open_queue),), False)))
    assert [f.fix for f in found] == [
        "deny View Channel to @everyone in #qa-moderation, and allow it to the moderator and "
        "organizer roles and the bot's role (QA Bot)"
    ]


def test_the_server_pin() -> None:
    lost = seen(guild_found=False, guild_id=None, guild_name=None)
    assert "invite the bot to the server 42" in fixes(diagnose(Snapshot((lost,), False)))[0]
    several = seen(pinned_guild_id=None, guild_found=False, guilds_joined=3)
    assert fixes(diagnose(Snapshot((several,), False))) == [
        "set guild_id = <the server's id> in the [discord] table of gsef.toml (with Developer "
        "Mode on, right-click the server and Copy Server ID)"
    ]
    only = [
        f for f in diagnose(Snapshot((seen(pinned_guild_id=None),), False)) if f.subject == "server"
    ]
    assert only[0].severity == "info" and only[0].fix and "guild_id = 42" in only[0].fix
    shown = render_discord(diagnose(Snapshot((seen(pinned_guild_id=None),), False)))
    assert "everything the bot needs" in shown and "ℹ️ gsef · server: not pinned" in shown


def test_the_log_block_is_plain_lines_with_every_fix() -> None:
    lost = channels(live={"found": False, "name": None, "id": None, "matches": 0})
    snap = Snapshot((seen(channels=lost),), False)
    result = check(snap)
    assert not result.ok
    lines = list(result.log_lines)
    assert lines[0] == "Set-up check: 1 problem."
    assert lines[1] == "session gsef in GSEF:"
    assert any(
        line.startswith(
            "  ERROR   #session-live: not found (the session's live channel). Fix: Create "
        )
        for line in lines
    )
    assert lines[-1] == "  ok      intents: no privileged intent is needed"
    assert render_log(result.findings) == [lines[0], "session gsef:", *lines[2:]]


def test_the_discord_message_fits_and_escapes() -> None:
    sessions = tuple(
        seen(
            session_id=f"session-{i}",
            guild_name="**Bold** @everyone",
            channels=channels(
                questions={"permissions": 0, "name": f"q_{i}*"},
                moderation={"everyone_can_view": True},
                live={"found": False, "name": None, "id": None, "matches": 0},
            ),
            roles=(RoleSeen("moderator_role", "Mod*", 0), RoleSeen("organizer_role", "Org", 3)),
        )
        for i in range(40)
    )
    findings = diagnose(Snapshot(sessions, message_content=False))
    for limit in (2000, 4096):
        text = render_discord(findings, limit)
        assert len(text) <= limit
        assert text.endswith("the bot's start-up log lists every one.")
        assert "@everyone" not in text and "q\\_0\\*" in text
    short = render_discord(diagnose(Snapshot(sessions[:1], False)))
    assert "…" not in short and short.count("→") == 5
    assert escape("<@&1> [x](y) #z") == "\\<@\u200b&1> \\[x](y) #z"


# ------------------------------------------------------------------------- the plan


def test_setup_plans_what_is_missing_with_overwrites() -> None:
    missing = channels(
        questions={"found": False, "matches": 0}, moderation={"found": False, "matches": 0}
    )
    roles = (RoleSeen("moderator_role", "Moderator", 0), RoleSeen("organizer_role", "Organizer", 2))
    plan = plan_setup(seen(channels=missing, roles=roles), title="GSEF")
    assert [(c.kind, c.name) for c in plan.channels] == [
        ("questions", "questions"),
        ("moderation", "qa-moderation"),
    ]
    assert [(r.key, r.name) for r in plan.roles] == [("moderator_role", "Moderator")]
    assert plan.skipped and "2 roles are named Organizer" in plan.skipped[0]
    assert (
        plan.possible
        and plan.describe() == "To create: #questions, #qa-moderation and the role Moderator."
    )

    moderation = {o.target: o for o in plan.channels[1].overwrites}
    assert moderation["@everyone"].deny == {"view_channel"}
    assert "view_channel" in moderation["moderator_role"].allow
    assert "view_channel" in moderation["organizer_role"].allow
    assert set(needed_permissions("moderation", False)) <= moderation["bot"].allow
    live = {o.target: o for o in channel_overwrites("live", False)}
    assert "send_messages" in live["@everyone"].deny and "view_channel" in live["@everyone"].allow
    assert "send_messages" in live["bot"].allow
    questions = {o.target: o for o in channel_overwrites("questions", True)}
    assert "use_application_commands" in questions["@everyone"].allow
    assert "add_reactions" in questions["bot"].allow


def test_setup_refuses_what_it_cannot_make() -> None:
    odd = channels(
        questions={"found": False, "matches": 0, "ref": "Q&A Questions"},
        live={"found": False, "matches": 0, "ref": 123456789012345678},
    )
    plan = plan_setup(seen(channels=odd, guild_permissions=frozenset({"view_channel"})))
    assert [c.name for c in plan.channels] == []
    assert any("'q&a-questions'" in s for s in plan.skipped)
    assert any("No channel has the id 123456789012345678" in s for s in plan.skipped)
    none = plan_setup(seen())
    assert none.empty and report(none, [], []) == (
        "Nothing to create: the session's channels and roles exist."
    )
    lacking = plan_setup(
        seen(channels=channels(live={"found": False, "matches": 0}), guild_permissions=0)
    )
    assert not lacking.possible and lacking.missing_permissions == (
        "manage_channels",
        "manage_roles",
    )
    assert "Manage Channels and Manage Roles" in lacking.skipped[-1]


# ------------------------------------------------------------- SimCord servers, for real


def gsef(world: World) -> Session:
    return next(iter(world.bot.sessions.values()))


def overwrite(world: World, channel: simcord.ChannelHandle, role: Any, **perms: bool) -> None:
    backend = world.env.backend
    stored = backend.get_channel(channel.id)
    p = discord.PermissionOverwrite(**perms)
    allow, deny = p.pair()
    backend.edit_channel(
        channel.id,
        {},
        overwrites=[
            *[o for o in stored.overwrites if o.target_id != role.id],
            SimOverwrite(
                target_id=role.id, type=OverwriteType.ROLE, allow=allow.value, deny=deny.value
            ),
        ],
    )


@pytest.fixture
async def server(env: simcord.Env) -> World:
    return build_world(env)


async def test_the_shared_world_passes_the_check(server: World) -> None:
    await server.env.start()
    snap = build_snapshot(server.bot, server.bot.sessions.values())
    findings = diagnose(snap)
    assert problems(findings) == []
    assert [f.subject for f in findings if f.subject.startswith("#")] == [
        "#questions",
        "#qa-moderation",
        "#session-live",
    ]


async def test_a_missing_channel_a_hidden_one_and_a_missing_permission(server: World) -> None:
    w = server
    bot_role = w.guild.roles[w.env.backend.bot_user.name]
    w.env.backend.delete_channel(w.live.id)
    overwrite(w, w.moderation, bot_role, view_channel=False)  # hidden from the bot
    overwrite(w, w.questions, bot_role, embed_links=False)
    extra = w.guild.create_role("Organizer")  # two roles with that exact name
    await w.env.start()

    findings = diagnose(build_snapshot(w.bot, w.bot.sessions.values()))
    found = {(f.subject, f.severity): f.fix for f in problems(findings)}
    role = w.env.backend.bot_user.name
    assert found == {
        ("#session-live", "error"): (
            "create the text channel #session-live (the program and the question on screen are "
            "posted there), or run /qa setup, or set live_channel in the [discord] table of "
            "gsef2021-inclusive-society.toml to an existing channel"
        ),
        ("#qa-moderation", "error"): (
            f"give the bot's role ({role}) View Channel, Send Messages, Embed Links, Read "
            "Message History and Attach Files in #qa-moderation (Edit Channel > Permissions)"
        ),
        ("#questions", "error"): (
            f"give the bot's role ({role}) Embed Links in #questions (Edit Channel > Permissions)"
        ),
        ("the role Organizer", "warning"): (
            "rename all but one, or set organizer_role in the [discord] table of "
            "gsef2021-inclusive-society.toml to the id of the right one"
        ),
    }
    text = render_discord(findings)
    assert len(text) <= 2000 and text.startswith("**Set-up check: 3 problems and 1 warning.**")
    assert extra.id


async def test_chat_capture_needs_reactions_and_the_intent(server: World) -> None:
    w = server
    bot_role = w.guild.roles[w.env.backend.bot_user.name]
    overwrite(w, w.questions, bot_role, add_reactions=False)
    await w.env.start()
    session = gsef(w)
    capturing = Session(
        session.spec.model_copy(
            update={"questions": session.spec.questions.model_copy(update={"chat_capture": True})}
        ),
        session.source,
    )
    snap = build_snapshot(w.bot, [capturing])
    assert not snap.message_content  # this bot was built for a session without chat capture
    found = [(f.subject, f.severity) for f in problems(diagnose(snap))]
    assert found == [("intents", "error"), ("#questions", "warning")]


async def test_a_visible_queue_and_a_server_the_bot_is_not_in(server: World) -> None:
    w = server
    overwrite(w, w.moderation, w.guild.default_role, view_channel=True)
    await w.env.start()
    session = gsef(w)
    guild = w.bot.get_guild(w.guild.id)
    visible = diagnose(Snapshot((session_seen(guild, session, pinned=w.guild.id),), False))
    assert [f.message for f in problems(visible)] == [
        "@everyone can see the moderation channel and its review queue"
    ]
    elsewhere = session_seen(w.bot.get_guild(1), session, pinned=1)
    assert [f.subject for f in problems(diagnose(Snapshot((elsewhere,), False)))] == ["server"]


async def test_setup_makes_a_bare_server_pass_the_check(env: simcord.Env) -> None:
    bare = env.create_guild("A bare server")
    member = bare.add_member(env.create_user("pat"))
    await env.start()
    bot = env.bot
    session = next(iter(bot.sessions.values()))
    guild = bot.get_guild(bare.id)
    assert guild is not None
    before = session_seen(guild, session)
    assert [f.subject for f in problems(diagnose(Snapshot((before,), False)))] == [
        "#questions",
        "#qa-moderation",
        "#session-live",
        "the role Moderator",
        "the role Organizer",
    ]
    plan = plan_setup(before, title=session.title)
    made, failed = await apply_setup(guild, session, plan)
    await env.settle()
    assert failed == []
    assert [str(m) for m in made] == [
        "the role Moderator",
        "the role Organizer",
        "#questions",
        "#qa-moderation",
        "#session-live",
    ]
    assert report(plan, made, failed).startswith("Created the role Moderator, the role ")

    after = session_seen(guild, session)
    assert problems(diagnose(Snapshot((after,), False))) == []
    assert plan_setup(after).empty

    # a participant sees the questions, not the queue, and cannot write in the live channel
    pat = await guild.fetch_member(member.id)  # the bot asks for no members intent
    by_name = {c.name: c for c in guild.text_channels}
    assert by_name["questions"].permissions_for(pat).view_channel
    assert not by_name["qa-moderation"].permissions_for(pat).view_channel
    assert by_name["session-live"].permissions_for(pat).view_channel
    assert not by_name["session-live"].permissions_for(pat).send_messages
    moderator = next(r for r in guild.roles if r.name == "Moderator")
    assert by_name["qa-moderation"].overwrites_for(moderator).view_channel is True


async def test_a_bot_in_two_servers_serves_an_unpinned_session_nowhere(env: simcord.Env) -> None:
    env.create_guild("Test server")
    env.create_guild("Real server")
    await env.start()
    snap = build_snapshot(env.bot, env.bot.sessions.values())
    server = next(f for f in diagnose(snap) if f.subject == "server")
    assert server.severity == "error" and "in 2 servers" in server.message
    assert server.fix is not None and server.fix.startswith("set guild_id = <the server's id>")
    plan = plan_setup(snap.sessions[0])
    assert plan.empty and "server was not found" in plan.skipped[0]
