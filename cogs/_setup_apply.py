"""Carry out a `/qa setup` plan (bot.setup_plan) in a Discord server with discord.py."""

from __future__ import annotations

import discord

from bot.doctor import ROLE_KEYS
from bot.i18n import Text, msg
from bot.sessions import Session
from bot.setup_plan import SetupPlan
from cogs._common import find_roles

REASON = "/qa setup for the Q&A session {session}"  # the server's audit log


def _overwrite(allow: frozenset[str], deny: frozenset[str]) -> discord.PermissionOverwrite:
    values: dict[str, bool | None] = {name: True for name in allow}
    values.update({name: False for name in deny})
    return discord.PermissionOverwrite(**values)


async def apply_setup(
    guild: discord.Guild, session: Session, plan: SetupPlan
) -> tuple[list[Text], list[Text]]:
    """Create the plan's roles, then its channels with their overwrites; return (what was
    made, e.g. "#questions" or "the role Moderator"; sentences saying what failed), to say in
    the organizer's language. Nothing is attempted when the plan is not possible (the bot
    lacks Manage Channels or Roles)."""
    made: list[Text] = []
    failed: list[Text] = []
    if plan.empty or not plan.possible:
        return made, failed
    reason = REASON.format(session=session.id)
    roles: dict[str, discord.Role] = {}
    for key in ROLE_KEYS:
        ref = getattr(session.spec.discord, key)
        found = find_roles(guild, ref)
        if len(found) == 1:
            roles[key] = found[0]
    for wanted in plan.roles:
        try:
            role = await guild.create_role(
                name=wanted.name,
                permissions=discord.Permissions.none(),
                mentionable=False,
                reason=reason,
            )
        except discord.HTTPException as exc:
            failed.append(
                msg(
                    "Discord refused to create the role {role} ({error}).",
                    role=wanted.name,
                    error=exc.text or str(exc),
                )
            )
            continue
        roles[wanted.key] = role
        made.append(msg("the role {role}", role=role.name))
    for channel in plan.channels:
        overwrites: dict[
            discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite
        ]
        overwrites = {}
        for ow in channel.overwrites:
            target: discord.Role | discord.Member | None
            if ow.target == "@everyone":
                target = guild.default_role
            elif ow.target == "bot":
                target = guild.me
            else:
                target = roles.get(ow.target)
            if target is not None:
                overwrites[target] = _overwrite(ow.allow, ow.deny)
        try:
            created = await guild.create_text_channel(
                channel.name, topic=channel.topic, overwrites=overwrites, reason=reason
            )
        except discord.HTTPException as exc:
            failed.append(
                msg(
                    "Discord refused to create #{channel} ({error}).",
                    channel=channel.name,
                    error=exc.text or str(exc),
                )
            )
            continue
        made.append(f"#{created.name}")
    return made, failed
