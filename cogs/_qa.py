"""What the question cogs share: the service, how questions look, and keeping messages in step.

Messages follow the stored question: a moderation card for every question (or a line in a digest
card when many arrive at once), a public vote message while it is approved or live. New messages
are posted by the delivery cog (cogs/delivery.py): if Discord refuses a post, the question stays
stored with its message id NULL and the periodic delivery pass posts it once the channel works.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.limits import cut
from bot.questions import Question, QuestionService
from bot.sessions import Session
from cogs._common import find_channel, shown

if TYPE_CHECKING:
    from bot.app import QABot

log = logging.getLogger(__name__)

ANONYMOUS = "Anonymous"
EMBED_TEXT = 4000
STATE_COLOURS = {
    "pending": discord.Colour.gold(),
    "approved": discord.Colour.green(),
    "live": discord.Colour.blurple(),
    "answered": discord.Colour.dark_green(),
    "rejected": discord.Colour.red(),
    "dismissed": discord.Colour.dark_grey(),
    "merged": discord.Colour.dark_grey(),
    "withdrawn": discord.Colour.light_grey(),
}
STATE_WORDS = {
    "pending": "Waiting for review",
    "approved": "Approved: in the queue",
    "live": "Live: being answered",
    "answered": "Answered",
    "rejected": "Rejected",
    "dismissed": "Set aside",
    "merged": "Merged",
    "withdrawn": "Withdrawn by the asker",
}


OUTCOMES = {
    "pending": "Waiting for review",
    "approved": "Approved",
    "live": "Picked to be answered",
    "answered": "Answered",
    "rejected": "Rejected",
    "dismissed": "Set aside",
    "merged": "Merged",
    "withdrawn": "Withdrawn",
}


def service(bot: QABot) -> QuestionService:
    """Return the bot's question service (one per database, so all asks share one batcher)."""
    return QuestionService.for_db(bot.db, bot.clock)


def asker(q: Question) -> str:
    """Who asked, as shown to people: a display name, or Anonymous."""
    if q.anonymous or not q.author_name:
        return ANONYMOUS
    return shown(q.author_name)


def speaker_name(session: Session, speaker_id: str | None) -> str | None:
    speaker = session.speaker(speaker_id)
    return shown(speaker.name) if speaker else None


def label_name(session: Session, label_id: str | None) -> str | None:
    label = session.label(label_id)
    return shown(label.name) if label else None


def body(text: str) -> str:
    """User text for an embed description: cut, then escaped, to fit."""
    return cut(text, EMBED_TEXT)


def also_asked(q: Question) -> str | None:
    if not q.co_askers:
        return None
    people = "person" if q.co_askers == 1 else "people"
    return f"Also asked by {q.co_askers} {people}"


def card_embed(session: Session, q: Question, outcome: str | None = None) -> discord.Embed:
    """The moderators' card: number, text, speaker, label, asker, state."""
    embed = discord.Embed(
        title=f"Question #{q.number}",
        description=body(q.text),
        colour=STATE_COLOURS.get(q.state),
    )
    embed.add_field(name="Speaker", value=speaker_name(session, q.speaker_id) or "Anyone")
    embed.add_field(name="Label", value=label_name(session, q.label_id) or "None")
    embed.add_field(name="Asked by", value=asker(q))
    if extra := also_asked(q):
        embed.add_field(name="Duplicates", value=extra, inline=False)
    embed.add_field(name="State", value=outcome or STATE_WORDS.get(q.state, q.state), inline=False)
    embed.set_footer(text="Chat message" if q.source == "chat" else "/ask")
    return embed


def vote_embed(session: Session, q: Question) -> discord.Embed:
    """The public message people vote on."""
    embed = discord.Embed(
        title=f"#{q.number}", description=body(q.text), colour=STATE_COLOURS.get(q.state)
    )
    if name := speaker_name(session, q.speaker_id):
        embed.add_field(name="For", value=name)
    if label := label_name(session, q.label_id):
        embed.add_field(name="Label", value=label)
    embed.add_field(name="Asked by", value=asker(q))
    if extra := also_asked(q):
        embed.add_field(name="Duplicates", value=extra, inline=False)
    if q.state not in ("approved", "live"):
        embed.set_footer(text=f"{STATE_WORDS.get(q.state, q.state)}. Voting has ended.")
    elif q.state == "live":
        embed.set_footer(text="Being answered now.")
    return embed


def live_embed(session: Session, q: Question) -> discord.Embed:
    embed = discord.Embed(description=body(q.text), colour=STATE_COLOURS["live"])
    embed.add_field(name="For", value=speaker_name(session, q.speaker_id) or "Anyone")
    embed.add_field(name="Votes", value=str(q.votes))
    embed.add_field(name="Asked by", value=asker(q))
    if extra := also_asked(q):
        embed.add_field(name="Duplicates", value=extra, inline=False)
    return embed


def card_view(q: Question) -> discord.ui.View | None:
    from cogs.moderation import card_view as make

    return make(q)


def vote_view(q: Question) -> discord.ui.View | None:
    from cogs.voting import vote_view as make

    return make(q)


async def deliver(bot: QABot, session: Session, *question_ids: int) -> None:
    """Post what these questions still lack (card, vote message), paced; failures are kept for
    the periodic retry (cogs/delivery.py)."""
    from cogs._delivery import delivery

    cog = delivery(bot)
    if cog is None:
        log.warning("session %s: delivery is not loaded; messages wait", session.id)
        return
    cog.note(session.id, *question_ids)
    await cog.deliver(session)


async def _edit(
    channel: discord.TextChannel | None,
    message_id: int | None,
    embed: discord.Embed,
    view: discord.ui.View | None,
) -> None:
    if channel is None or message_id is None:
        return
    try:
        await channel.get_partial_message(message_id).edit(embed=embed, view=view)
    except discord.HTTPException:
        log.warning("editing message %s failed", message_id, exc_info=True)


async def refresh(
    bot: QABot,
    guild: discord.Guild,
    session: Session,
    q: Question,
    *,
    card: bool = True,
    outcome: str | None = None,
) -> None:
    """Bring a question's card and vote message in line with its stored state.

    An approved question without a vote message gets one now.
    """
    if card and q.card_message_id is not None and not await service(bot).card_is_shared(q):
        # a digest card (shared by several questions) stays as posted
        await _edit(
            find_channel(guild, session, "moderation"),
            q.card_message_id,
            card_embed(session, q, outcome),
            card_view(q),
        )
    if q.vote_message_id is not None:
        await _edit(
            find_channel(guild, session, "questions"),
            q.vote_message_id,
            vote_embed(session, q),
            vote_view(q),
        )
    elif q.state in ("approved", "live"):
        await deliver(bot, session, q.id)


async def announce_new(bot: QABot, guild: discord.Guild, session: Session, q: Question) -> None:
    """After a question is stored: its card, and its vote message if it starts approved."""
    await deliver(bot, session, q.id)
