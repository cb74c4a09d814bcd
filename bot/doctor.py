"""The set-up check (`/qa doctor` and the start-up log block): what the bot needs in Discord,
what it finds there, and for every problem the exact sentence that fixes it.

Pure: it takes a `Snapshot`, plain data about what the bot sees (built from discord.py objects
by cogs/_doctor_snapshot.py), and returns `Finding`s, whose words are messages (bot.i18n);
`render_log` turns them into plain log lines, in English, and `render_discord` into one Discord
message in the reader's language.

What the bot needs, per session, in its pinned server:
- each of its three channels (questions, moderation, live), found by the name or id the session
  file gives, with the bot's permissions View Channel, Send Messages, Embed Links and Read
  Message History; in the questions channel also Create Public Threads and Send Messages in
  Threads (written answers go in a thread under the question), and Add Reactions when chat
  capture is on (the bot reacts ✅ to a captured message). Manage Events is not needed.
- its two roles (moderator, organizer), each matching exactly one role (by id, or by exact name).
- the Message Content intent when it captures chat.
The moderation channel should be hidden from @everyone (it holds the review queue).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.i18n import ENGLISH, N_, Localizer, Message, Text, listed, msg, pmsg
from bot.limits import CONTENT

Severity = Literal["ok", "info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info", "ok")

# discord.py's attribute names, Discord's bit for each, and the name Discord's settings show
# (in each language, as the Discord client names it).
PERMISSIONS: dict[str, tuple[int, Message]] = {
    "administrator": (1 << 3, pmsg("permission", "Administrator")),
    "manage_channels": (1 << 4, pmsg("permission", "Manage Channels")),
    "add_reactions": (1 << 6, pmsg("permission", "Add Reactions")),
    "view_channel": (1 << 10, pmsg("permission", "View Channel")),
    "send_messages": (1 << 11, pmsg("permission", "Send Messages")),
    "manage_messages": (1 << 13, pmsg("permission", "Manage Messages")),
    "embed_links": (1 << 14, pmsg("permission", "Embed Links")),
    "read_message_history": (1 << 16, pmsg("permission", "Read Message History")),
    "manage_roles": (1 << 28, pmsg("permission", "Manage Roles")),
    "use_application_commands": (1 << 31, pmsg("permission", "Use Application Commands")),
    "attach_files": (1 << 15, pmsg("permission", "Attach Files")),
    "manage_threads": (1 << 34, pmsg("permission", "Manage Threads")),
    "create_public_threads": (1 << 35, pmsg("permission", "Create Public Threads")),
    "send_messages_in_threads": (1 << 38, pmsg("permission", "Send Messages in Threads")),
}
BASIC = ("view_channel", "send_messages", "embed_links", "read_message_history")
THREADS = ("create_public_threads", "send_messages_in_threads")
CHANNEL_KINDS = ("questions", "moderation", "live")
CHANNEL_KEYS = {
    "questions": "questions_channel",
    "moderation": "moderation_channel",
    "live": "live_channel",
}
CHANNEL_ROLES = {
    "questions": msg("participants ask and vote there"),
    "moderation": msg("moderators review questions there"),
    "live": msg("the program and the question on screen are posted there"),
}
ROLE_KEYS = ("moderator_role", "organizer_role")
GUILD_KEY = "guild_id"  # the [discord] key that pins a session to its server


def needed_permissions(kind: str, chat_capture: bool) -> tuple[str, ...]:
    """Return the permissions the bot needs in a channel of this kind, most basic first."""
    if kind == "moderation":
        return (*BASIC, "attach_files")  # the report is uploaded there when the program ends
    if kind != "questions":
        return BASIC
    return BASIC + THREADS + (("add_reactions",) if chat_capture else ())


def permission_names(value: int | Iterable[str]) -> frozenset[str]:
    """Return permissions as a set of names, from names or from Discord's bitfield; with
    Administrator every permission."""
    if isinstance(value, int):
        names = {name for name, (bit, _) in PERMISSIONS.items() if value & bit}
    else:
        names = set(value)
    if "administrator" in names:
        names |= set(PERMISSIONS)
    return frozenset(names)


def shown_permissions(names: Iterable[str]) -> Text:
    """Return permissions as Discord's settings name them: "View Channel and Embed Links"."""
    return listed(*(PERMISSIONS[n][1] if n in PERMISSIONS else n for n in names))


def in_file(source: str) -> Message:
    """Where a fix goes: "the [discord] table of <the session file>"."""
    return msg("the [discord] table of {file}", file=source)


#: What the bot needs in a server for /qa setup to create what is missing.
SETUP_NEEDS = ("manage_channels", "manage_roles")


# ------------------------------------------------------------------------ the snapshot


@dataclass(frozen=True)
class ChannelSeen:
    """One of a session's channels as the bot sees it."""

    kind: str  # questions, moderation or live
    ref: str | int  # as the session file names it
    found: bool
    name: str | None = None  # the channel's name, when found
    id: int | None = None
    permissions: frozenset[str] | int = frozenset()  # the bot's effective permissions there
    matches: int = -1  # text channels the reference matches (-1: 1 if found, else 0)
    everyone_can_view: bool | None = None  # whether @everyone may see it (None: unknown)

    @property
    def by_id(self) -> bool:
        """Whether the session file names this channel by its id."""
        return isinstance(self.ref, int) or str(self.ref).isdigit()

    @property
    def label(self) -> Text:
        if self.name is not None:
            return f"#{self.name}"
        if self.by_id:
            return msg("the channel with id {id}", id=self.ref)
        return f"#{str(self.ref).lstrip('#')}"


@dataclass(frozen=True)
class RoleSeen:
    """One of a session's roles as the bot sees it."""

    key: str  # moderator_role or organizer_role
    ref: str | int
    matches: int  # roles with that id or exact name: 0 missing, 1 found, more ambiguous

    @property
    def by_id(self) -> bool:
        """Whether the session file names this role by its id."""
        return isinstance(self.ref, int) or str(self.ref).isdigit()

    @property
    def label(self) -> Message:
        if self.by_id:
            return msg("the role with id {id}", id=self.ref)
        return msg("the role {role}", role=self.ref)


@dataclass(frozen=True)
class SessionSeen:
    """What the bot sees of one session's server."""

    session_id: str
    source: str  # the session file, for fix sentences
    pinned_guild_id: int | None  # [discord] guild_id, or the pin recorded in the log
    guild_found: bool  # the server to check: the pinned one, or the only one the bot is in
    guild_id: int | None = None
    guild_name: str | None = None
    guilds_joined: int = 1  # how many servers the bot is in
    channels: tuple[ChannelSeen, ...] = ()
    roles: tuple[RoleSeen, ...] = ()
    chat_capture: bool = False
    bot_role: str | None = None  # the bot's own role, named in fix sentences
    guild_permissions: frozenset[str] | int = frozenset()  # the bot's, server-wide


@dataclass(frozen=True)
class Snapshot:
    """Everything the set-up check looks at."""

    sessions: tuple[SessionSeen, ...]
    message_content: bool  # the bot asks Discord for the Message Content intent
    bot_name: str = ""


@dataclass(frozen=True)
class Finding:
    """One thing checked: fine, or a problem with the sentence that fixes it. `subject`,
    `message` and `fix` are in English (the log's); `said` keeps them as messages, to say in
    the reader's language (`words`)."""

    severity: Severity
    session_id: str | None  # None: the whole bot (intents)
    subject: str  # "server", "#qa-moderation", "the role Moderator", "intents"
    message: str
    fix: str | None = None
    said: tuple[Text, Text, Text | None] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(
        cls,
        severity: Severity,
        session_id: str | None,
        subject: Text,
        message: Text,
        fix: Text | None = None,
    ) -> Finding:
        """A finding from its messages."""
        english = str(fix) if fix is not None else None
        return cls(
            severity, session_id, str(subject), str(message), english, (subject, message, fix)
        )

    def words(self, _: Localizer) -> tuple[str, str, str | None]:
        """The subject, message and fix in this language."""
        subject, message, fix = self.said or (self.subject, self.message, self.fix)
        return _.render(subject), _.render(message), _.render(fix) if fix is not None else None

    @property
    def problem(self) -> bool:
        return self.severity in ("warning", "error")


SERVER = pmsg("set-up check", "server")
INTENTS = pmsg("set-up check", "intents")


# ------------------------------------------------------------------------ the check


def diagnose(snapshot: Snapshot) -> list[Finding]:
    """Check everything; return the findings, session by session, problems and all."""
    findings: list[Finding] = []
    for seen in snapshot.sessions:
        findings += _server(seen)
        if not seen.guild_found:
            continue
        for channel in seen.channels:
            findings += _channel(seen, channel)
        for role in seen.roles:
            findings.append(_role(seen, role))
    findings.append(_intents(snapshot))
    return findings


def problems(findings: Iterable[Finding]) -> list[Finding]:
    """Return only the findings that need a fix, errors first."""
    return sorted((f for f in findings if f.problem), key=lambda f: SEVERITIES.index(f.severity))


def _bot_role(seen: SessionSeen) -> Message:
    if seen.bot_role:
        return msg("the bot's role ({role})", role=seen.bot_role)
    return msg("the bot's role")


def _server(seen: SessionSeen) -> list[Finding]:
    sid, where = seen.session_id, in_file(seen.source)
    server = f"{seen.guild_name} ({seen.guild_id})" if seen.guild_name else f"{seen.guild_id}"
    if seen.pinned_guild_id is not None:
        if seen.guild_found:
            return [
                Finding.of(
                    "ok",
                    sid,
                    SERVER,
                    msg("pinned to {server}, and the bot is in it", server=server),
                )
            ]
        return [
            Finding.of(
                "error",
                sid,
                SERVER,
                msg(
                    "pinned to the server {server}, which the bot is not in: the session is "
                    "served nowhere",
                    server=seen.pinned_guild_id,
                ),
                msg(
                    "invite the bot to the server {server} (OAuth2 URL with the scopes bot and "
                    "applications.commands), or correct {key} in {where}",
                    server=seen.pinned_guild_id,
                    key=GUILD_KEY,
                    where=where,
                ),
            )
        ]
    if seen.guilds_joined == 0:
        return [
            Finding.of(
                "error",
                sid,
                SERVER,
                msg("the bot is in no server"),
                msg(
                    "invite the bot to the session's server (OAuth2 URL with the scopes bot and "
                    "applications.commands), and set {key} in {where}",
                    key=GUILD_KEY,
                    where=where,
                ),
            )
        ]
    if not seen.guild_found:
        return [
            Finding.of(
                "error",
                sid,
                SERVER,
                msg(
                    "not pinned to a server, and the bot is in {count} servers: the session is "
                    "served nowhere",
                    count=seen.guilds_joined,
                ),
                msg(
                    "set {key} = <the server's id> in {where} (with Developer Mode on, "
                    "right-click the server and Copy Server ID)",
                    key=GUILD_KEY,
                    where=where,
                ),
            )
        ]
    return [
        Finding.of(
            "info",
            sid,
            SERVER,
            msg(
                "not pinned in its file; served in {server}, the only server the bot is in",
                server=server,
            ),
            msg(
                "set {key} = {id} in {where}, so a server the bot joins later is never served",
                key=GUILD_KEY,
                id=seen.guild_id,
                where=where,
            ),
        )
    ]


_NOT_FOUND = {
    "questions": msg("not found (the session's questions channel)"),
    "moderation": msg("not found (the session's moderation channel)"),
    "live": msg("not found (the session's live channel)"),
}
_FINE = {
    "questions": N_("the questions channel: found, with {permissions}"),
    "moderation": N_("the moderation channel: found, with {permissions}"),
    "live": N_("the live channel: found, with {permissions}"),
}


def _channel(seen: SessionSeen, channel: ChannelSeen) -> list[Finding]:
    sid, label, key = seen.session_id, channel.label, CHANNEL_KEYS.get(channel.kind, channel.kind)
    where = in_file(seen.source)
    matches = channel.matches if channel.matches >= 0 else int(channel.found)
    if not channel.found:
        can_setup = set(SETUP_NEEDS) <= permission_names(seen.guild_permissions)
        setup = (
            msg("run /qa setup")
            if can_setup
            else msg("give the bot Manage Channels and Manage Roles and run /qa setup")
        )
        by_id = channel.by_id
        create = (
            msg(
                "set {key} in {where} to an existing text channel's name or id",
                key=key,
                where=where,
            )
            if by_id
            else msg(
                "create the text channel {channel} ({role}), or {setup}, or set {key} in "
                "{where} to an existing channel",
                channel=label,
                role=CHANNEL_ROLES[channel.kind],
                setup=setup,
                key=key,
                where=where,
            )
        )
        said = _NOT_FOUND.get(channel.kind) or msg("not found")
        return [Finding.of("error", sid, label, said, create)]
    out: list[Finding] = []
    if matches > 1:
        out.append(
            Finding.of(
                "warning",
                sid,
                label,
                msg(
                    "{count} text channels are named {channel}: the bot uses the first",
                    count=matches,
                    channel=label,
                ),
                msg(
                    "rename the others, or set {key} in {where} to the id of the right one",
                    key=key,
                    where=where,
                ),
            )
        )
    have = permission_names(channel.permissions)
    need = needed_permissions(channel.kind, seen.chat_capture)
    missing = [p for p in need if p not in have]
    if missing:
        severe = any(p in BASIC for p in missing)
        out.append(
            Finding.of(
                "error" if severe else "warning",
                sid,
                label,
                _lacks(missing, severe),
                msg(
                    "give {role} {permissions} in {channel} (Edit Channel > Permissions)",
                    role=_bot_role(seen),
                    permissions=shown_permissions(missing),
                    channel=label,
                ),
            )
        )
    if channel.kind == "moderation" and channel.everyone_can_view:
        out.append(
            Finding.of(
                "warning",
                sid,
                label,
                msg("@everyone can see the moderation channel and its review queue"),
                msg(
                    "deny View Channel to @everyone in {channel}, and allow it to the moderator "
                    "and organizer roles and {role}",
                    channel=label,
                    role=_bot_role(seen),
                ),
            )
        )
    if not out:
        fine = _FINE.get(channel.kind, N_("the {kind} channel: found, with {permissions}"))
        out.append(
            Finding.of(
                "ok",
                sid,
                label,
                msg(fine, permissions=shown_permissions(need), kind=channel.kind),
            )
        )
    return out


def _lacks(missing: Sequence[str], severe: bool) -> Message:
    """The bot lacks these permissions, and why they matter when it is not obvious."""
    shown = shown_permissions(missing)
    if severe:
        return msg("the bot lacks {permissions}", permissions=shown)
    if list(missing) == ["attach_files"]:
        return msg(
            "the bot lacks {permissions} (the report is uploaded there when the program ends)",
            permissions=shown,
        )
    if "add_reactions" in missing and not set(missing) & set(THREADS):
        return msg(
            "the bot lacks {permissions} (chat capture confirms a captured message with a "
            "reaction)",
            permissions=shown,
        )
    return msg(
        "the bot lacks {permissions} (written answers go in a thread under the question)",
        permissions=shown,
    )


def _role(seen: SessionSeen, role: RoleSeen) -> Finding:
    sid, key, where = seen.session_id, role.key, in_file(seen.source)
    label = role.label
    organize = key == "organizer_role"
    if role.matches == 1:
        return Finding.of("ok", sid, label, msg("found"))
    if role.matches == 0:
        by_id = role.by_id
        create = (
            msg("set {key} in {where} to an existing role's name or id", key=key, where=where)
            if by_id
            else msg(
                "create a role named {role} (Server Settings > Roles) or run /qa setup, or set "
                "{key} in {where} to an existing role",
                role=role.ref,
                key=key,
                where=where,
            )
        )
        said = (
            msg("not found: only members with Manage Server can organize")
            if organize
            else msg("not found: only members with Manage Server can moderate")
        )
        return Finding.of("warning", sid, label, said, create)
    said = (
        msg(
            "{count} roles have this exact name: none of them counts, so only members with "
            "Manage Server can organize",
            count=role.matches,
        )
        if organize
        else msg(
            "{count} roles have this exact name: none of them counts, so only members with "
            "Manage Server can moderate",
            count=role.matches,
        )
    )
    return Finding.of(
        "warning",
        sid,
        label,
        said,
        msg(
            "rename all but one, or set {key} in {where} to the id of the right one",
            key=key,
            where=where,
        ),
    )


def _intents(snapshot: Snapshot) -> Finding:
    capturing = [s.session_id for s in snapshot.sessions if s.chat_capture]
    if capturing and not snapshot.message_content:
        return Finding.of(
            "error",
            None,
            INTENTS,
            msg(
                "{sessions} captures chat, but the bot does not receive message text",
                sessions=", ".join(capturing),
            ),
            msg(
                "turn on Message Content Intent in the Developer Portal (Bot > Privileged "
                "Gateway Intents) and restart the bot"
            ),
        )
    if capturing:
        return Finding.of("ok", None, INTENTS, msg("Message Content is on, for chat capture"))
    return Finding.of("ok", None, INTENTS, msg("no privileged intent is needed"))


# ------------------------------------------------------------------------ renderings

_LOG_TAGS = {"ok": "ok", "info": "note", "warning": "WARNING", "error": "ERROR"}
_ICONS = {"ok": "✅", "info": "ℹ️", "warning": "⚠️", "error": "❌"}
_STOPS = (".", "!", "?", "。", "！", "？")


def _sentence(text: str, _: Localizer = ENGLISH) -> str:
    """A text as a sentence: its first letter capitalized (in a script that has capitals: not
    a Korean or Chinese sentence that starts with a file name), ended by the language's full
    stop."""
    if not any(unicodedata.category(c) == "Lo" for c in text):
        text = text[:1].upper() + text[1:]
    return text if text.endswith(_STOPS) else _stop(text, _)


def _stop(text: str, _: Localizer) -> str:
    # Translators: a sentence ended by the language's full stop.
    return _("{sentence}.", sentence=text)


def summary(findings: Sequence[Finding], _: Localizer = ENGLISH) -> str:
    """Return one line: how many problems, or that everything needed is there."""
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity == "warning")
    if not errors and not warnings:
        return _("Set-up check: everything the bot needs is in place.")
    parts = []
    if errors:
        parts.append(_.ngettext("{count} problem", "{count} problems", errors))
    if warnings:
        parts.append(_.ngettext("{count} warning", "{count} warnings", warnings))
    return _("Set-up check: {found}.", found=_.listing(parts))


def render_log(findings: Sequence[Finding], snapshot: Snapshot | None = None) -> list[str]:
    """Return the start-up log block (in English, as the whole log): a summary, then one plain
    line per finding, grouped by session, each problem with its fix."""
    lines = [summary(findings)]
    servers = {s.session_id: s for s in snapshot.sessions} if snapshot else {}
    current: object = object()
    for f in findings:
        if f.session_id != current:
            current = f.session_id
            seen = servers.get(f.session_id or "")
            where = f" in {seen.guild_name}" if seen and seen.guild_name else ""
            lines.append(f"session {f.session_id}{where}:" if f.session_id else "bot:")
        line = f"  {_LOG_TAGS[f.severity]:<7} {f.subject}: {f.message}"
        if f.fix:
            line += f". Fix: {_sentence(f.fix)}"
        lines.append(line)
    return lines


def escape(text: str) -> str:
    """Escape Discord markdown (and mention-like text) in a name from a server or a file."""
    out = []
    for ch in text:
        if ch in "\\*_~`|<[":
            out.append("\\" + ch)
        elif ch == "@":
            out.append("@\u200b")
        else:
            out.append(ch)
    return "".join(out)


def render_discord(
    findings: Sequence[Finding], limit: int = CONTENT, _: Localizer = ENGLISH
) -> str:
    """Return the check as one Discord message of at most `limit` characters, in the reader's
    language: the summary, then the problems (errors first) and notes with their fixes, then
    what is fine; what does not fit is counted, never cut mid-sentence. Names are escaped; send
    it ephemerally with no mentions allowed."""
    head = f"**{summary(findings, _)}**"
    problem_lines = []
    notes = sorted(
        (f for f in findings if f.severity != "ok"), key=lambda f: SEVERITIES.index(f.severity)
    )
    for f in notes:
        subject, message, fix = f.words(_)
        scope = f"{escape(f.session_id)} · " if f.session_id else ""
        text = f"{_ICONS[f.severity]} {scope}{escape(subject)}: {_stop(escape(message), _)}"
        if fix:
            text += f"\n    → {escape(_sentence(fix, _))}"
        problem_lines.append(text)
    fine: dict[str | None, list[str]] = {}
    for f in findings:
        if f.severity == "ok":
            fine.setdefault(f.session_id, []).append(f.words(_)[0])
    ok_lines = [
        f"✅ {escape(sid) + ': ' if sid else ''}{escape(', '.join(subjects))}"
        for sid, subjects in fine.items()
    ]
    lines = [head]
    budget = limit
    hidden = 0
    for i, line in enumerate(problem_lines):
        more = len(problem_lines) - i - 1
        reserve = len(_more(more + 1, _)) + 1 if more else 0
        if len("\n".join([*lines, line])) + reserve > budget:
            hidden = len(problem_lines) - i
            break
        lines.append(line)
    if hidden:
        lines.append(_more(hidden, _))
        return "\n".join(lines)[:limit]
    for line in ok_lines:
        if len("\n".join([*lines, line])) > budget:
            break
        lines.append(line)
    return "\n".join(lines)


def _more(n: int, _: Localizer) -> str:
    return _.ngettext(
        "… and {count} more: the bot's start-up log lists every one.",
        "… and {count} more: the bot's start-up log lists every one.",
        n,
    )


@dataclass(frozen=True)
class Report:
    """The check's result, ready to show."""

    findings: tuple[Finding, ...]
    log_lines: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not any(f.problem for f in self.findings)


def check(snapshot: Snapshot) -> Report:
    """Diagnose a snapshot and render its log block."""
    findings = tuple(diagnose(snapshot))
    return Report(findings, tuple(render_log(findings, snapshot)))
