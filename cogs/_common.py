"""Helpers every cog shares: find the session, its channels and roles, check who may act."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.errors import Refusal
from bot.i18n import ENGLISH, Localizer, Say, Text, joined, localize, msg, say_in
from bot.limits import CONTENT
from bot.questions import GONE, Question, QuestionService
from bot.routing import NO_SESSION, pick_session, ref_matches, role_ids
from bot.sessions import Label, Session, Speaker
from bot.slow import on_slow_write

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


# ------------------------------------------------------------------------ languages


def reader(interaction: discord.Interaction) -> Localizer:
    """The language of the person who acted (their Discord client's), English by default."""
    return localize(interaction.locale)


def public_say(session: Session) -> Say:
    """How a public message of the session words its short texts: in each of its languages."""
    return say_in(session.languages)


def session_of(interaction: discord.Interaction) -> Session:
    """Return the session of the interaction's channel in this server, or refuse."""
    bot = qabot(interaction)
    channel = interaction.channel
    if interaction.guild is None or channel is None:
        raise Refusal(msg("Use this command in the session's server, not in direct messages."))
    name = getattr(channel, "name", None)
    # a thread belongs to its parent channel's session
    parent = getattr(channel, "parent", None)
    if parent is not None:
        channel, name = parent, parent.name
    timelines = [bot.runs.timeline(sid) for sid in bot.sessions]
    return pick_session(
        timelines, bot.runs.pins(), interaction.guild.id, channel.id, name, bot.clock()
    )


def only_session_here(interaction: discord.Interaction) -> Session:
    """The session of this server when the bot runs exactly one (for commands that work in any
    channel of the server, like /program), else the session of the channel."""
    bot = qabot(interaction)
    try:
        return session_of(interaction)
    except Refusal:
        here = [
            session
            for session in bot.sessions.values()
            if interaction.guild_id is not None
            and bot.runs.guild_of(session.id) == interaction.guild_id
        ]
        if len(bot.sessions) != 1 or not here:
            raise
        return here[0]


async def clicked_question(
    interaction: discord.Interaction, questions: QuestionService, question_id: int
) -> tuple[Question, Session]:
    """The question a button on its message names, as stored, and its session (refused as
    `question_session` says, or when the question no longer exists)."""
    q = await questions.get_by_id(question_id)
    if q is None:
        raise Refusal(GONE)
    return q, question_session(interaction, q)


def question_session(interaction: discord.Interaction, q: Question) -> Session:
    """The session a question belongs to, for a button on its message: refuse when the
    question's run is no longer played (an ended rehearsal) or the click comes from another
    server. Rights are then checked against this session, not the channel's."""
    bot = qabot(interaction)
    session = bot.runs.session_of_run(q.run_id)
    if session is None:
        raise Refusal(
            msg(
                "This message belongs to a rehearsal or an earlier run that has ended; "
                "nothing was changed."
            )
        )
    if interaction.guild_id is None or bot.runs.guild_of(session.id) != interaction.guild_id:
        raise Refusal(NO_SESSION)
    return session


def channel_ref(session: Session, kind: ChannelKind) -> str | int:
    """The session file's reference (name or id) of its channel of this kind; the report goes
    to the moderation channel unless the file names a channel for it."""
    d = session.spec.discord
    return {
        "questions": d.questions_channel,
        "moderation": d.moderation_channel,
        "live": d.live_channel,
        "report": d.report_channel if d.report_channel is not None else d.moderation_channel,
    }[kind]


def find_channel(
    guild: discord.Guild, session: Session, kind: ChannelKind
) -> discord.TextChannel | None:
    """Look up one of the session's channels in this server now (channels may appear after
    start-up)."""
    ref = channel_ref(session, kind)
    for channel in guild.text_channels:
        if ref_matches(ref, channel.id, channel.name):
            return channel
    return None


def session_guild(bot: QABot, session: Session) -> discord.Guild | None:
    """The server the session is pinned to, if the bot is in it."""
    guild_id = bot.runs.guild_of(session.id)
    return bot.get_guild(guild_id) if guild_id is not None else None


def session_channel(bot: QABot, session: Session, kind: ChannelKind) -> discord.TextChannel | None:
    """The session's channel of this kind, looked up now in the session's own server only."""
    guild = session_guild(bot, session)
    return find_channel(guild, session, kind) if guild is not None else None


def channel_mention(bot: QABot, session: Session, kind: ChannelKind, _: Localizer = ENGLISH) -> str:
    """A mention of the session's channel, or its name as written in the session file."""
    channel = session_channel(bot, session, kind)
    if channel is not None:
        return channel.mention
    ref = channel_ref(session, kind)
    if isinstance(ref, str) and not ref.isdigit():
        return f"#{ref}"
    return _("the questions channel")


# ------------------------------------------------------------------------ roles


def find_roles(guild: discord.Guild, ref: str | int) -> list[discord.Role]:
    """The roles of this server a session file's reference names: by id, or by exact name.
    More than one means the name is ambiguous (and none of them counts)."""
    ids = set(role_ids(ref, ((role.id, role.name) for role in guild.roles)))
    return [role for role in guild.roles if role.id in ids]


def _has_role(member: discord.Member, session: Session, key: str) -> bool:
    found = find_roles(member.guild, getattr(session.spec.discord, key))
    if len(found) > 1:
        _warn_once(session, key, member.guild, f"{len(found)} roles have that exact name")
        return False
    return bool(found) and found[0] in member.roles


def is_organizer(member: discord.abc.User, session: Session, guild_id: int | None) -> bool:
    """Organizers: the session's organizer role, or Manage Server, in the session's server
    (`guild_id`, the server the session is pinned to)."""
    if not isinstance(member, discord.Member) or member.guild.id != guild_id:
        return False
    return member.guild_permissions.manage_guild or _has_role(member, session, "organizer_role")


def is_moderator(member: discord.abc.User, session: Session, guild_id: int | None) -> bool:
    """Moderators: the session's moderator role; organizers can moderate too."""
    if not isinstance(member, discord.Member) or member.guild.id != guild_id:
        return False
    return _has_role(member, session, "moderator_role") or is_organizer(member, session, guild_id)


_warned: set[tuple[str, str, str]] = set()


def _warn_once(session: Session, key: str, guild: discord.Guild, problem: str) -> None:
    if (session.id, key, problem) in _warned:
        return
    _warned.add((session.id, key, problem))
    log.warning(
        "session %s: the role %r ([discord] %s) in the server %s: %s",
        session.id,
        getattr(session.spec.discord, key),
        key,
        guild.name,
        problem,
    )


def _role_problem(interaction: discord.Interaction, session: Session, key: str) -> Text:
    """Say so (and log it, once) when the session's role is missing or ambiguous."""
    ref = getattr(session.spec.discord, key)
    guild = interaction.guild
    if guild is None:
        return ""
    found = find_roles(guild, ref)
    if len(found) == 1:
        return ""
    if found:
        _warn_once(session, key, guild, f"{len(found)} roles have that exact name")
        return msg(
            "{count} roles are named {role}, so none of them counts: rename all but one, or set "
            "`{key}` to the role's id in the session file's [discord] table.",
            count=len(found),
            role=ref,
            key=key,
        )
    _warn_once(session, key, guild, "it does not exist")
    return msg(
        "The role {role} does not exist in this server: create it, or set `{key}` in the "
        "session file's [discord] table.",
        role=ref,
        key=key,
    )


def require_moderator(interaction: discord.Interaction, session: Session) -> None:
    """Refuse unless the user may moderate this session (checked on every call)."""
    if not is_moderator(interaction.user, session, qabot(interaction).runs.guild_of(session.id)):
        role = session.spec.discord.moderator_role
        problem = _role_problem(interaction, session, "moderator_role")
        raise Refusal(
            joined(
                msg("Only moderators can do this (the {role} role or Manage Server).", role=role),
                problem,
            )
        )


def require_organizer(interaction: discord.Interaction, session: Session) -> None:
    """Refuse unless the user is an organizer of this session (checked on every call)."""
    if not is_organizer(interaction.user, session, qabot(interaction).runs.guild_of(session.id)):
        role = session.spec.discord.organizer_role
        problem = _role_problem(interaction, session, "organizer_role")
        raise Refusal(
            joined(
                msg("Only organizers can do this (the {role} role or Manage Server).", role=role),
                problem,
            )
        )


# ------------------------------------------------------------ answering in time

#: Discord refuses a first answer after 3 seconds. Work that has not finished by this time is
#: acknowledged first (deferred), and answered with a follow-up when it is done.
DEFER_AFTER = 1.5
_DEFERRING = "qa:deferring"


class Deadline:
    """Acknowledge an interaction in time: at DEFER_AFTER unless it is answered by then, or as
    soon as a write it waits for is stuck behind another program's lock. A button's click
    (`update`) is deferred as an update of its message; a command, as a private answer to come
    ("thinking"). Use it around the interaction's work; `close()` when the work is done."""

    def __init__(self, interaction: discord.Interaction, *, update: bool) -> None:
        self.interaction = interaction
        self.update = update
        self.timer = asyncio.get_running_loop().call_later(DEFER_AFTER, self.fire)
        self.token = on_slow_write.set(self.fire)

    def fire(self) -> None:
        interaction = self.interaction
        if not interaction.response.is_done() and _DEFERRING not in interaction.extras:
            interaction.extras[_DEFERRING] = asyncio.ensure_future(_defer(interaction, self.update))

    def close(self) -> None:
        self.timer.cancel()
        on_slow_write.reset(self.token)


async def _defer(interaction: discord.Interaction, update: bool) -> None:
    if interaction.response.is_done():
        return
    try:
        if update:
            await interaction.response.defer()
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
    except discord.HTTPException:
        log.warning("could not acknowledge a slow interaction in time", exc_info=True)


async def acknowledged(interaction: discord.Interaction) -> None:
    """Wait for a deferral already on its way, so an answer goes after it, never beside it."""
    task = interaction.extras.get(_DEFERRING)
    if task is not None:
        await task


async def defer(interaction: discord.Interaction) -> None:
    """Acknowledge now, ahead of slow work (a private answer to come)."""
    await acknowledged(interaction)
    await _defer(interaction, update=False)


def _said(interaction: discord.Interaction, content: Text) -> str:
    """A text for the person who acted: a message in their language, within Discord's limit."""
    if isinstance(content, str):
        return content
    return reader(interaction).render(content)[:CONTENT]


async def reply(
    interaction: discord.Interaction,
    content: Text,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
) -> None:
    """Answer (ephemerally by default), whether or not the interaction was already acknowledged;
    a message is said in the language of the person who acted."""
    content = _said(interaction, content)
    await acknowledged(interaction)
    kwargs: dict[str, Any] = {"embeds": [embed] if embed is not None else []}
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=ephemeral, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=ephemeral, **kwargs)


async def edit_clicked(
    interaction: discord.Interaction,
    *,
    content: Text | None = None,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> None:
    """Show a click's outcome on the message whose button was clicked, whether or not the
    click was acknowledged already (a message in the language of the person who clicked)."""
    await acknowledged(interaction)
    kwargs: dict[str, Any] = {"view": view}
    if embed is not None:
        kwargs["embed"] = embed
    if content is not None:
        kwargs["content"] = _said(interaction, content)
    if interaction.response.is_done():
        await interaction.edit_original_response(**kwargs)
    else:
        await interaction.response.edit_message(**kwargs)


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
