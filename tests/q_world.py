"""Helpers for the question user stories: find question messages, read the log.

The shared `world` fixture hides qa-moderation from everyone but the Moderator and Organizer
roles, the bot included; a real server gives the bot access, so the `qa` fixture (conftest.py)
adds that overwrite (as an admin would) before the story starts.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
import simcord
from simcord.backend.models.channel import Overwrite
from simcord.enums import OverwriteType

if TYPE_CHECKING:
    from tests.conftest import World

BOT_CAN = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    read_message_history=True,
    add_reactions=True,
)


@dataclass
class QA:
    """The world, plus ways to find question messages and read the log."""

    world: World
    db_path: Any

    @property
    def env(self) -> simcord.Env:
        return self.world.env

    async def ask(self, who: simcord.MemberActor, text: str, **options: Any) -> Any:
        return await who.slash(self.world.questions, "ask", question=text, **options)

    def card(self, number: int) -> discord.Message:
        """The moderation card of #number."""
        return _find(self.world.moderation.history(), f"Question #{number}")

    def vote_message(self, number: int) -> discord.Message:
        """The public message of #number in the questions channel."""
        return _find(self.world.questions.history(), f"#{number}")

    def has_vote_message(self, number: int) -> bool:
        try:
            self.vote_message(number)
        except LookupError:
            return False
        return True

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(sql, params).fetchall()

    def state(self, number: int) -> str:
        return str(self.rows("SELECT state FROM questions WHERE number = ?", number)[0][0])

    def everything_shown(self) -> str:
        """Every message's content and embeds, in every channel, as one text."""
        parts = []
        for channel in self.world.guild.channels.values():
            for message in channel.history():
                parts.append(message.content)
                parts.extend(json.dumps(e.to_dict(), ensure_ascii=False) for e in message.embeds)
        return "\n".join(parts)


def said(result: Any) -> str:
    """The text of an interaction's response (an ephemeral answer, usually)."""
    assert result.response is not None, "the bot did not answer"
    return str(result.response.content)


def said_embed(result: Any) -> str:
    """The description of the first embed of an interaction's response."""
    assert result.response is not None and result.response.embeds, "no embed in the answer"
    return str(result.response.embeds[0].description or "")


def _find(messages: list[discord.Message], title: str) -> discord.Message:
    found = [m for m in messages if m.embeds and m.embeds[0].title == title]
    if not found:
        raise LookupError(f"no message titled {title!r}")
    return found[-1]


def button_labels(message: discord.Message) -> list[str]:
    labels: list[str] = []
    for row in message.components:
        for child in getattr(row, "children", [row]):
            label = getattr(child, "label", None)
            if label is not None:
                labels.append(label)
    return labels


def field(message: discord.Message, name: str) -> str | None:
    for f in message.embeds[0].fields:
        if f.name == name:
            return f.value
    return None


async def grant_bot_moderation_access(world: World) -> None:
    backend = world.env.backend
    channel = backend.get_channel(world.moderation.id)
    overwrites = [
        *channel.overwrites,
        Overwrite(
            target_id=backend.bot_user.id, type=OverwriteType.MEMBER, allow=BOT_CAN.value, deny=0
        ),
    ]
    backend.edit_channel(channel.id, {}, overwrites=overwrites)
    await world.env.settle()
