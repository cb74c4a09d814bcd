"""The set-up check (`/qa doctor` and the start-up log block): what the bot needs in Discord,
what it finds there, and for every problem the exact sentence that fixes it.

Pure: it takes a `Snapshot`, plain data about what the bot sees (built from discord.py objects
by cogs/_doctor_snapshot.py), and returns `Finding`s; `render_log` and `render_discord` turn
them into plain log lines and one Discord message.

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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["ok", "info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info", "ok")

# discord.py's attribute names, Discord's bit for each, and the name Discord's settings show.
PERMISSIONS: dict[str, tuple[int, str]] = {
    "administrator": (1 << 3, "Administrator"),
    "manage_channels": (1 << 4, "Manage Channels"),
    "add_reactions": (1 << 6, "Add Reactions"),
    "view_channel": (1 << 10, "View Channel"),
    "send_messages": (1 << 11, "Send Messages"),
    "manage_messages": (1 << 13, "Manage Messages"),
    "embed_links": (1 << 14, "Embed Links"),
    "read_message_history": (1 << 16, "Read Message History"),
    "manage_roles": (1 << 28, "Manage Roles"),
    "use_application_commands": (1 << 31, "Use Application Commands"),
    "attach_files": (1 << 15, "Attach Files"),
    "manage_threads": (1 << 34, "Manage Threads"),
    "create_public_threads": (1 << 35, "Create Public Threads"),
    "send_messages_in_threads": (1 << 38, "Send Messages in Threads"),
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
    "questions": "participants ask and vote there",
    "moderation": "moderators review questions there",
    "live": "the program and the question on screen are posted there",
}
ROLE_KEYS = ("moderator_role", "organizer_role")
ROLE_WORDS = {"moderator_role": "moderate", "organizer_role": "organize"}
GUILD_KEY = "guild_id"  # the [discord] key that pins a session to its server
DISCORD_LIMIT = 2000  # a message's content; an embed's description takes 4096


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


def shown_permissions(names: Iterable[str]) -> str:
    """Return permissions as Discord's settings name them: "View Channel and Embed Links"."""
    titles = [PERMISSIONS[n][1] if n in PERMISSIONS else n for n in names]
    if len(titles) <= 1:
        return "".join(titles)
    return ", ".join(titles[:-1]) + " and " + titles[-1]


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
    def label(self) -> str:
        if self.name is not None:
            return f"#{self.name}"
        if isinstance(self.ref, int) or str(self.ref).isdigit():
            return f"the channel with id {self.ref}"
        return f"#{str(self.ref).lstrip('#')}"


@dataclass(frozen=True)
class RoleSeen:
    """One of a session's roles as the bot sees it."""

    key: str  # moderator_role or organizer_role
    ref: str | int
    matches: int  # roles with that id or exact name: 0 missing, 1 found, more ambiguous

    @property
    def label(self) -> str:
        if isinstance(self.ref, int) or str(self.ref).isdigit():
            return f"the role with id {self.ref}"
        return f"the role {self.ref}"


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
    bot_name: str = "the bot"


@dataclass(frozen=True)
class Finding:
    """One thing checked: fine, or a problem with the sentence that fixes it."""

    severity: Severity
    session_id: str | None  # None: the whole bot (intents)
    subject: str  # "server", "#qa-moderation", "the role Moderator", "intents"
    message: str
    fix: str | None = None

    @property
    def problem(self) -> bool:
        return self.severity in ("warning", "error")


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


def _bot_role(seen: SessionSeen) -> str:
    return f"the bot's role ({seen.bot_role})" if seen.bot_role else "the bot's role"


def _server(seen: SessionSeen) -> list[Finding]:
    sid, where = seen.session_id, f"the [discord] table of {seen.source}"
    server = f"{seen.guild_name} ({seen.guild_id})" if seen.guild_name else f"{seen.guild_id}"
    if seen.pinned_guild_id is not None:
        if seen.guild_found:
            return [Finding("ok", sid, "server", f"pinned to {server}, and the bot is in it")]
        return [
            Finding(
                "error",
                sid,
                "server",
                f"pinned to the server {seen.pinned_guild_id}, which the bot is not in: the "
                "session is served nowhere",
                f"invite the bot to the server {seen.pinned_guild_id} (OAuth2 URL with the "
                f"scopes bot and applications.commands), or correct {GUILD_KEY} in {where}",
            )
        ]
    if seen.guilds_joined == 0:
        return [
            Finding(
                "error",
                sid,
                "server",
                "the bot is in no server",
                "invite the bot to the session's server (OAuth2 URL with the scopes bot and "
                f"applications.commands), and set {GUILD_KEY} in {where}",
            )
        ]
    if not seen.guild_found:
        return [
            Finding(
                "error",
                sid,
                "server",
                f"not pinned to a server, and the bot is in {seen.guilds_joined} servers: the "
                "session is served nowhere",
                f"set {GUILD_KEY} = <the server's id> in {where} (with Developer Mode on, "
                "right-click the server and Copy Server ID)",
            )
        ]
    return [
        Finding(
            "info",
            sid,
            "server",
            f"not pinned in its file; served in {server}, the only server the bot is in",
            f"set {GUILD_KEY} = {seen.guild_id} in {where}, so a server the bot joins later "
            "is never served",
        )
    ]


def _channel(seen: SessionSeen, channel: ChannelSeen) -> list[Finding]:
    sid, label, key = seen.session_id, channel.label, CHANNEL_KEYS.get(channel.kind, channel.kind)
    where = f"the [discord] table of {seen.source}"
    matches = channel.matches if channel.matches >= 0 else int(channel.found)
    if not channel.found:
        can_setup = {"manage_channels", "manage_roles"} <= permission_names(seen.guild_permissions)
        setup = (
            "run /qa setup"
            if can_setup
            else "give the bot Manage Channels and Manage Roles and run /qa setup"
        )
        by_id = isinstance(channel.ref, int) or str(channel.ref).isdigit()
        create = (
            f"set {key} in {where} to an existing text channel's name or id"
            if by_id
            else f"create the text channel {label} ({CHANNEL_ROLES[channel.kind]}), or "
            f"{setup}, or set {key} in {where} to an existing channel"
        )
        return [
            Finding(
                "error", sid, label, f"not found (the session's {channel.kind} channel)", create
            )
        ]
    out: list[Finding] = []
    if matches > 1:
        out.append(
            Finding(
                "warning",
                sid,
                label,
                f"{matches} text channels are named {label}: the bot uses the first",
                f"rename the others, or set {key} in {where} to the id of the right one",
            )
        )
    have = permission_names(channel.permissions)
    need = needed_permissions(channel.kind, seen.chat_capture)
    missing = [p for p in need if p not in have]
    if missing:
        severe = any(p in BASIC for p in missing)
        why = "" if severe else _why(missing)
        out.append(
            Finding(
                "error" if severe else "warning",
                sid,
                label,
                f"the bot lacks {shown_permissions(missing)}{why}",
                f"give {_bot_role(seen)} {shown_permissions(missing)} in {label} "
                "(Edit Channel > Permissions)",
            )
        )
    if channel.kind == "moderation" and channel.everyone_can_view:
        out.append(
            Finding(
                "warning",
                sid,
                label,
                "@everyone can see the moderation channel and its review queue",
                f"deny View Channel to @everyone in {label}, and allow it to the moderator "
                f"and organizer roles and {_bot_role(seen)}",
            )
        )
    if not out:
        out.append(
            Finding(
                "ok",
                sid,
                label,
                f"the {channel.kind} channel: found, with {shown_permissions(need)}",
            )
        )
    return out


def _why(missing: Sequence[str]) -> str:
    if missing == ["attach_files"]:
        return " (the report is uploaded there when the program ends)"
    if "add_reactions" in missing and not set(missing) & set(THREADS):
        return " (chat capture confirms a captured message with a reaction)"
    return " (written answers go in a thread under the question)"


def _role(seen: SessionSeen, role: RoleSeen) -> Finding:
    sid, key, where = seen.session_id, role.key, f"the [discord] table of {seen.source}"
    label = role.label
    word = ROLE_WORDS.get(key, "act")
    if role.matches == 1:
        return Finding("ok", sid, label, "found")
    if role.matches == 0:
        by_id = isinstance(role.ref, int) or str(role.ref).isdigit()
        create = (
            f"set {key} in {where} to an existing role's name or id"
            if by_id
            else f"create a role named {role.ref} (Server Settings > Roles) or run /qa setup, "
            f"or set {key} in {where} to an existing role"
        )
        return Finding(
            "warning",
            sid,
            label,
            f"not found: only members with Manage Server can {word}",
            create,
        )
    return Finding(
        "warning",
        sid,
        label,
        f"{role.matches} roles have this exact name: none of them counts, so only members "
        f"with Manage Server can {word}",
        f"rename all but one, or set {key} in {where} to the id of the right one",
    )


def _intents(snapshot: Snapshot) -> Finding:
    capturing = [s.session_id for s in snapshot.sessions if s.chat_capture]
    if capturing and not snapshot.message_content:
        return Finding(
            "error",
            None,
            "intents",
            f"{', '.join(capturing)} captures chat, but the bot does not receive message text",
            "turn on Message Content Intent in the Developer Portal (Bot > Privileged Gateway "
            "Intents) and restart the bot",
        )
    if capturing:
        return Finding("ok", None, "intents", "Message Content is on, for chat capture")
    return Finding("ok", None, "intents", "no privileged intent is needed")


# ------------------------------------------------------------------------ renderings

_LOG_TAGS = {"ok": "ok", "info": "note", "warning": "WARNING", "error": "ERROR"}
_ICONS = {"ok": "✅", "info": "ℹ️", "warning": "⚠️", "error": "❌"}


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def summary(findings: Sequence[Finding]) -> str:
    """Return one line: how many problems, or that everything needed is there."""
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity == "warning")
    if not errors and not warnings:
        return "Set-up check: everything the bot needs is in place."
    parts = []
    if errors:
        parts.append(f"{errors} problem{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"Set-up check: {' and '.join(parts)}."


def render_log(findings: Sequence[Finding], snapshot: Snapshot | None = None) -> list[str]:
    """Return the start-up log block: a summary, then one plain line per finding, grouped by
    session, each problem with its fix."""
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


def render_discord(findings: Sequence[Finding], limit: int = DISCORD_LIMIT) -> str:
    """Return the check as one Discord message of at most `limit` characters: the summary,
    then the problems (errors first) and notes with their fixes, then what is fine; what does
    not fit is counted, never cut mid-sentence. Names are escaped; send it ephemerally with
    no mentions allowed."""
    head = f"**{summary(findings)}**"
    problem_lines = []
    notes = sorted(
        (f for f in findings if f.severity != "ok"), key=lambda f: SEVERITIES.index(f.severity)
    )
    for f in notes:
        scope = f"{escape(f.session_id)} · " if f.session_id else ""
        text = f"{_ICONS[f.severity]} {scope}{escape(f.subject)}: {escape(f.message)}."
        if f.fix:
            text += f"\n    → {escape(_sentence(f.fix))}"
        problem_lines.append(text)
    fine: dict[str | None, list[str]] = {}
    for f in findings:
        if f.severity == "ok":
            fine.setdefault(f.session_id, []).append(f.subject)
    ok_lines = [
        f"✅ {escape(sid) + ': ' if sid else ''}{escape(', '.join(subjects))}"
        for sid, subjects in fine.items()
    ]
    lines = [head]
    budget = limit
    hidden = 0
    for i, line in enumerate(problem_lines):
        more = len(problem_lines) - i - 1
        reserve = len(_more(more + 1)) + 1 if more else 0
        if len("\n".join([*lines, line])) + reserve > budget:
            hidden = len(problem_lines) - i
            break
        lines.append(line)
    if hidden:
        lines.append(_more(hidden))
        return "\n".join(lines)[:limit]
    for line in ok_lines:
        if len("\n".join([*lines, line])) > budget:
            break
        lines.append(line)
    return "\n".join(lines)


def _more(n: int) -> str:
    return f"… and {n} more: the bot's start-up log lists every one."


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
