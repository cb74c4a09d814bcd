"""Helpers every cog shares: find the session, its channels and roles, check who may act."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Refusal
from bot.routing import pick_session, ref_matches
from bot.sessions import Label, Session, Speaker

if TYPE_CHECKING:
    from bot.app import QABot

log = logging.getLogger(__name__)

ChannelKind = str  # "questions" | "moderation" | "live"


def qabot(interaction: discord.Interaction) -> QABot:
    """Return the bot behind an interaction, typed."""
    return interaction.client  # type: ignore[return-value]


def shown(text: str) -> str:
    """Return user text so that Discord shows it as typed and it cannot break the layout."""
    return discord.utils.escape_markdown(text)


def session_of(interaction: discord.Interaction) -> Session:
    """Return the session of the interaction's channel, or refuse."""
    bot = qabot(interaction)
    channel = interaction.channel
    if interaction.guild is None or channel is None:
        raise Refusal("Use this command in the session's server, not in direct messages.")
    name = getattr(channel, "name", None)
    # a thread belongs to its parent channel's session
    parent = getattr(channel, "parent", None)
    if parent is not None:
        channel, name = parent, parent.name
    timelines = [bot.timeline(sid) for sid in bot.sessions]
    return pick_session(timelines, channel.id, name, bot.clock())


def find_channel(
    guild: discord.Guild, session: Session, kind: ChannelKind
) -> discord.TextChannel | None:
    """Look up one of the session's channels now (channels may appear after start-up)."""
    ref = {
        "questions": session.spec.discord.questions_channel,
        "moderation": session.spec.discord.moderation_channel,
        "live": session.spec.discord.live_channel,
    }[kind]
    for channel in guild.text_channels:
        if ref_matches(ref, channel.id, channel.name):
            return channel
    return None


def session_channel(
    bot: commands.Bot, session: Session, kind: ChannelKind
) -> discord.TextChannel | None:
    """The session's channel of this kind, looked up now (channels may appear after start-up)."""
    for guild in bot.guilds:
        channel = find_channel(guild, session, kind)
        if channel is not None:
            return channel
    return None


def channel_mention(bot: commands.Bot, session: Session, kind: ChannelKind) -> str:
    """A mention of the session's channel, or its name as written in the session file."""
    channel = session_channel(bot, session, kind)
    if channel is not None:
        return channel.mention
    ref = session.spec.discord.questions_channel
    return f"#{ref}" if isinstance(ref, str) and not ref.isdigit() else "the questions channel"


def find_role(guild: discord.Guild, ref: str | int) -> discord.Role | None:
    """Look up a role by the name or id a session file gives."""
    for role in guild.roles:
        if ref_matches(ref, role.id, role.name):
            return role
    return None


def _has_role(member: discord.Member, ref: str | int) -> bool:
    return any(ref_matches(ref, role.id, role.name) for role in member.roles)


def is_organizer(member: discord.abc.User, session: Session) -> bool:
    """Organizers: the session's organizer role, or Manage Server."""
    if not isinstance(member, discord.Member):
        return False
    return member.guild_permissions.manage_guild or _has_role(
        member, session.spec.discord.organizer_role
    )


def is_moderator(member: discord.abc.User, session: Session) -> bool:
    """Moderators: the session's moderator role; organizers can moderate too."""
    if not isinstance(member, discord.Member):
        return False
    return _has_role(member, session.spec.discord.moderator_role) or is_organizer(member, session)


def _missing_role(interaction: discord.Interaction, session: Session, key: str) -> str:
    """Say so (and log it, once) when the session's role is not in the server at all."""
    ref = getattr(session.spec.discord, key)
    guild = interaction.guild
    if guild is None or find_role(guild, ref) is not None:
        return ""
    if (session.id, key) not in _missing_logged:
        _missing_logged.add((session.id, key))
        log.warning(
            "session %s: the role %r ([discord] %s) does not exist in the server %s",
            session.id,
            ref,
            key,
            guild.name,
        )
    return (
        f" The role {ref} does not exist in this server: create it, or set `{key}` in the "
        "session file's [discord] table."
    )


_missing_logged: set[tuple[str, str]] = set()


def require_moderator(interaction: discord.Interaction, session: Session) -> None:
    """Refuse unless the user may moderate this session (checked on every call)."""
    if not is_moderator(interaction.user, session):
        role = session.spec.discord.moderator_role
        missing = _missing_role(interaction, session, "moderator_role")
        raise Refusal(f"Only moderators can do this (the {role} role or Manage Server).{missing}")


def require_organizer(interaction: discord.Interaction, session: Session) -> None:
    """Refuse unless the user is an organizer of this session (checked on every call)."""
    if not is_organizer(interaction.user, session):
        role = session.spec.discord.organizer_role
        missing = _missing_role(interaction, session, "organizer_role")
        raise Refusal(f"Only organizers can do this (the {role} role or Manage Server).{missing}")


async def reply(
    interaction: discord.Interaction,
    content: str,
    *,
    embed: discord.Embed | None = None,
    ephemeral: bool = True,
) -> None:
    """Answer (ephemerally by default), whether or not the interaction was already acknowledged."""
    embeds = [embed] if embed is not None else []
    if interaction.response.is_done():
        await interaction.followup.send(content, embeds=embeds, ephemeral=ephemeral)
    else:
        await interaction.response.send_message(content, embeds=embeds, ephemeral=ephemeral)


Named = Speaker | Label


def _choices(
    interaction: discord.Interaction, current: str, pick: Callable[[Session], Iterable[Named]]
) -> list[app_commands.Choice[str]]:
    """Offer the session's speakers or labels whose name or id contains what was typed."""
    try:
        session = session_of(interaction)
    except Refusal:
        return []
    needle = current.casefold()
    return [
        app_commands.Choice(name=item.name[:100], value=item.id)
        for item in pick(session)
        if needle in item.name.casefold() or needle in item.id
    ][:25]


async def speaker_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete: the session's speakers."""
    return _choices(interaction, current, lambda session: session.spec.speakers)


async def label_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete: the session's labels."""
    return _choices(interaction, current, lambda session: session.spec.labels)
