"""Build the set-up check's snapshot (bot.doctor) from what discord.py sees.

`session_seen` looks at one session in one server; `build_snapshot` at every session of a bot.
Channels are found as cogs._common.find_channel finds them (by id, or by name, case-folded) and
the bot's permissions in each are `channel.permissions_for(guild.me)`, which applies the
server's roles, the channel's overwrites and Administrator as Discord does. Roles match by id
or by their exact name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import discord

from bot.doctor import (
    CHANNEL_KEYS,
    ROLE_KEYS,
    ChannelSeen,
    RoleSeen,
    SessionSeen,
    Snapshot,
)
from bot.routing import ref_matches
from bot.sessions import Session
from cogs._common import find_roles


def pinned_guild_id(session: Session, pins: Mapping[str, int] | None = None) -> int | None:
    """The server a session is pinned to: its file's [discord] guild_id, else a pin the log
    recorded (`pins`: session id -> server id), else None."""
    pinned = getattr(session.spec.discord, "guild_id", None)
    if pinned is None and pins:
        pinned = pins.get(session.id)
    return int(pinned) if pinned is not None else None


def session_seen(
    guild: discord.Guild | None,
    session: Session,
    *,
    pinned: int | None = None,
    guilds_joined: int = 1,
) -> SessionSeen:
    """What the bot sees of `session` in `guild` (None: the server was not found)."""
    d = session.spec.discord
    chat_capture = session.spec.questions.chat_capture
    source = session.source.name
    if guild is None:
        return SessionSeen(
            session.id,
            source,
            pinned,
            guild_found=False,
            guilds_joined=guilds_joined,
            chat_capture=chat_capture,
        )
    me = guild.me
    channels = []
    for kind, key in CHANNEL_KEYS.items():
        ref = getattr(d, key)
        found = [c for c in guild.text_channels if ref_matches(ref, c.id, c.name)]
        if not found:
            channels.append(ChannelSeen(kind, ref, found=False, matches=0))
            continue
        channel = found[0]
        channels.append(
            ChannelSeen(
                kind,
                ref,
                found=True,
                name=channel.name,
                id=channel.id,
                permissions=channel.permissions_for(me).value,
                matches=len(found),
                everyone_can_view=channel.permissions_for(guild.default_role).view_channel,
            )
        )
    roles = tuple(
        RoleSeen(key, getattr(d, key), len(find_roles(guild, getattr(d, key)))) for key in ROLE_KEYS
    )
    own = guild.self_role or (me.top_role if not me.top_role.is_default() else None)
    return SessionSeen(
        session.id,
        source,
        pinned,
        guild_found=True,
        guild_id=guild.id,
        guild_name=guild.name,
        guilds_joined=guilds_joined,
        channels=tuple(channels),
        roles=tuple(roles),
        chat_capture=chat_capture,
        bot_role=own.name if own is not None else None,
        guild_permissions=me.guild_permissions.value,
    )


def guild_of(
    client: discord.Client, session: Session, pins: Mapping[str, int] | None = None
) -> discord.Guild | None:
    """The server to check for a session: the pinned one, or the only one the bot is in."""
    pinned = pinned_guild_id(session, pins)
    if pinned is not None:
        return client.get_guild(pinned)
    guilds = list(client.guilds)
    return guilds[0] if len(guilds) == 1 else None


def build_snapshot(
    client: discord.Client, sessions: Iterable[Session], pins: Mapping[str, int] | None = None
) -> Snapshot:
    """What the bot sees of every session, for bot.doctor.diagnose."""
    joined = len(client.guilds)
    seen = tuple(
        session_seen(
            guild_of(client, s, pins), s, pinned=pinned_guild_id(s, pins), guilds_joined=joined
        )
        for s in sessions
    )
    user = client.user
    return Snapshot(
        seen,
        message_content=client.intents.message_content,
        bot_name=user.name if user is not None else "",
    )
