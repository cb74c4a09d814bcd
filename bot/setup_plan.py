"""What `/qa setup` must create in a session's server: the channels and roles the set-up check
did not find, with the permission overwrites each channel needs. Pure: it takes the check's
`SessionSeen` (bot.doctor) and returns a `SetupPlan`, plain data that cogs/_setup_apply.py
carries out with discord.py and that `/qa setup` reports.

The channels' overwrites:
- questions: @everyone may view it, read its history and use application commands (to `/ask`
  and vote); the bot may do all it needs there (bot.doctor.needed_permissions).
- moderation: hidden from @everyone; visible to the moderator and organizer roles and the bot.
- live: @everyone may read it but not write in it (nor start threads); the bot may post.

Roles are made with no permissions of their own: the bot checks them itself. Nothing that
exists is changed, and nothing ambiguous is touched (two roles with one name). What it says is
made of messages, said in the organizer's language; the channels' topics, which everyone in
the channel reads, are in the session's languages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.doctor import (
    CHANNEL_KEYS,
    ROLE_KEYS,
    SETUP_NEEDS,
    SessionSeen,
    in_file,
    needed_permissions,
    permission_names,
    shown_permissions,
)
from bot.i18n import DEFAULT, ENGLISH, Localizer, Message, Text, in_languages, joined, listed, msg

Target = str  # "@everyone", "bot", or a role key: "moderator_role", "organizer_role"

TOPICS = {
    "questions": msg("Ask with /ask, vote with 👍. Q&A of {title}."),
    "moderation": msg("Moderators review the questions of {title} here."),
    "live": msg("The program of {title} and the question on screen."),
}
TOPIC = 1024  # a channel topic's limit
# What Discord keeps of a text channel's name as written: lowercase, no spaces.
_CHANNEL_NAME = re.compile(r"[^\sA-Z#@:`]{1,100}")


@dataclass(frozen=True)
class Overwrite:
    """A channel permission overwrite for one target."""

    target: Target
    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CreateRole:
    """A role to make."""

    key: str  # moderator_role or organizer_role
    name: str


@dataclass(frozen=True)
class CreateChannel:
    """A text channel to make, with its overwrites."""

    kind: str  # questions, moderation or live
    name: str
    topic: str
    overwrites: tuple[Overwrite, ...]


@dataclass(frozen=True)
class SetupPlan:
    """What `/qa setup` makes, and what it leaves and why."""

    session_id: str
    roles: tuple[CreateRole, ...]
    channels: tuple[CreateChannel, ...]
    notes: tuple[Text, ...] = ()  # sentences: what it cannot make, and what to do
    missing_permissions: tuple[str, ...] = ()  # the bot's server-wide permissions it lacks

    @property
    def skipped(self) -> tuple[str, ...]:
        """The notes in English."""
        return tuple(str(note) for note in self.notes)

    @property
    def empty(self) -> bool:
        return not self.roles and not self.channels

    @property
    def possible(self) -> bool:
        return not self.missing_permissions

    def describe(self, _: Localizer = ENGLISH) -> str:
        """Say what the plan makes (before), in one or two sentences."""
        if self.empty:
            return _("Nothing to create: the session's channels and roles exist.")
        made: list[Text] = [f"#{c.name}" for c in self.channels]
        made += [msg("the role {role}", role=r.name) for r in self.roles]
        return _("To create: {items}.", items=listed(*made))


def channel_overwrites(kind: str, chat_capture: bool) -> tuple[Overwrite, ...]:
    """Return the overwrites a new channel of this kind gets."""
    bot = Overwrite("bot", allow=frozenset(needed_permissions(kind, chat_capture)))
    if kind == "questions":
        everyone = Overwrite(
            "@everyone",
            allow=frozenset({"view_channel", "read_message_history", "use_application_commands"}),
        )
        return (everyone, bot)
    if kind == "moderation":
        staff = frozenset(
            {"view_channel", "send_messages", "read_message_history", "use_application_commands"}
        )
        return (
            Overwrite("@everyone", deny=frozenset({"view_channel"})),
            Overwrite("moderator_role", allow=staff),
            Overwrite("organizer_role", allow=staff),
            bot,
        )
    if kind == "live":
        return (
            Overwrite(
                "@everyone",
                allow=frozenset({"view_channel", "read_message_history"}),
                deny=frozenset(
                    {
                        "send_messages",
                        "send_messages_in_threads",
                        "create_public_threads",
                        "add_reactions",
                    }
                ),
            ),
            bot,
        )
    raise ValueError(f"unknown channel kind {kind!r}")


def plan_setup(
    seen: SessionSeen, title: Text = "", languages: Sequence[str] = (DEFAULT,)
) -> SetupPlan:
    """Return what to create for a session, from what the set-up check saw in its server; the
    channels' topics name `title` and are in the session's `languages`."""
    where = in_file(seen.source)
    title = title or msg("the session")
    skipped: list[Text] = []
    if not seen.guild_found:
        return SetupPlan(
            seen.session_id,
            (),
            (),
            (msg("The session's server was not found: fix that first (see /qa doctor)."),),
        )
    roles: list[CreateRole] = []
    for role in seen.roles:
        if role.matches == 1:
            continue
        if role.matches > 1:
            skipped.append(
                msg(
                    "{count} roles are named {role}: rename all but one, or set {key} in "
                    "{where} to the id of the right one.",
                    count=role.matches,
                    role=role.ref,
                    key=role.key,
                    where=where,
                )
            )
        elif role.by_id:
            skipped.append(
                msg(
                    "No role has the id {id} that {key} names: set it in {where} to a role's "
                    "name, and run /qa setup again to create it.",
                    id=role.ref,
                    key=role.key,
                    where=where,
                )
            )
        else:
            roles.append(CreateRole(role.key, str(role.ref)))
    channels: list[CreateChannel] = []
    for channel in seen.channels:
        if channel.found:
            continue
        key = CHANNEL_KEYS.get(channel.kind, channel.kind)
        name = str(channel.ref).lstrip("#")
        if isinstance(channel.ref, int) or name.isdigit():
            skipped.append(
                msg(
                    "No channel has the id {id} that {key} names: set it in {where} to a "
                    "channel's name, and run /qa setup again to create it.",
                    id=channel.ref,
                    key=key,
                    where=where,
                )
            )
            continue
        if not _CHANNEL_NAME.fullmatch(name):
            suggestion = re.sub(r"[\s#@:`]+", "-", name.lower()).strip("-") or "qa"
            skipped.append(
                msg(
                    "Discord would not keep the channel name {name} as written: set {key} in "
                    "{where} to a lowercase name without spaces, such as {suggestion}.",
                    name=repr(name),
                    key=key,
                    where=where,
                    suggestion=repr(suggestion),
                )
            )
            continue
        topic = _topic(TOPICS[channel.kind], title, languages)
        channels.append(
            CreateChannel(
                channel.kind, name, topic, channel_overwrites(channel.kind, seen.chat_capture)
            )
        )
    have = permission_names(seen.guild_permissions)
    missing = tuple(p for p in SETUP_NEEDS if p not in have) if roles or channels else ()
    if missing:
        skipped.append(
            msg(
                "The bot needs {permissions} in the server to create them: give them to the "
                "bot's role (Server Settings > Roles), and run /qa setup again.",
                permissions=shown_permissions(missing),
            )
        )
    order = {kind: i for i, kind in enumerate(CHANNEL_KEYS)}
    channels.sort(key=lambda c: order.get(c.kind, 99))
    roles.sort(key=lambda r: ROLE_KEYS.index(r.key) if r.key in ROLE_KEYS else 99)
    return SetupPlan(seen.session_id, tuple(roles), tuple(channels), tuple(skipped), missing)


def _topic(topic: Message, title: Text, languages: Sequence[str]) -> str:
    def said(_: Localizer) -> str:
        return _(topic.msgid, title=title)

    return in_languages(languages, said, limit=TOPIC, sep=" · ")


def report(
    plan: SetupPlan, made: Sequence[Text], failed: Sequence[Text], _: Localizer = ENGLISH
) -> str:
    """Say what `/qa setup` made (`made`: "#questions", "the role Moderator"), what failed
    (sentences) and what it left (the plan's skipped), in a few sentences."""
    parts: list[Text] = []
    if made:
        parts.append(msg("Created {items}.", items=listed(*made)))
    elif plan.empty and not plan.notes:
        parts.append(msg("Nothing to create: the session's channels and roles exist."))
    parts += failed
    parts += plan.notes
    if made:
        parts.append(msg("Run /qa doctor to check the set-up."))
    if not parts:
        return _("Nothing was created.")
    return _.render(joined(*parts))
