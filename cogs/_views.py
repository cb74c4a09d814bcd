"""How questions look in Discord: embeds, views and the buttons on them.

Every message about a question is built here from the stored question alone: the moderators'
card (or a digest card for many at once), the public message people vote on, and the live
announcement. Buttons are `DynamicItem`s whose custom_id carries the action and the question id,
so buttons on messages posted before a restart keep working. A click is handed to whichever cog
handles it as a bot event (`on_qa_card_button`, `on_qa_vote_button`): this module imports no cog.
"""

from __future__ import annotations

import discord

from bot.answers import MyQuestions
from bot.answers_text import one_line
from bot.delivery import DIGEST_TEXT
from bot.limits import EMBED_DESCRIPTION, cut, fit_lines
from bot.questions import Question, QueueView
from bot.sessions import Session
from bot.similarity_text import duplicate_note
from bot.states import VOTABLE, State, wording
from cogs._buttons import (
    AnswerButton,
    EditButton,
    MergeButton,
    ModerationButton,
    VoteButton,
    VoteInsteadButton,
)
from cogs._common import shown

ANONYMOUS = "Anonymous"
EMBED_TEXT = 4000
STATE_COLOURS = {
    State.PENDING: discord.Colour.gold(),
    State.APPROVED: discord.Colour.green(),
    State.LIVE: discord.Colour.blurple(),
    State.ANSWERED: discord.Colour.dark_green(),
    State.REJECTED: discord.Colour.red(),
    State.DISMISSED: discord.Colour.dark_grey(),
    State.MERGED: discord.Colour.dark_grey(),
    State.WITHDRAWN: discord.Colour.light_grey(),
}

# ------------------------------------------------------------------------ text


def asker(q: Question) -> str:
    """Who asked, as shown to people: a display name, or Anonymous."""
    if q.anonymous or not q.author_name:
        return ANONYMOUS
    if not q.author_name.strip():
        return "—"  # a name of blanks only would leave the field empty, which Discord refuses
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


def outcome(q: Question, actor_name: str, verb: str | None = None) -> str:
    """What a moderator did, for a card's State field: "Approved by mona"."""
    return f"{verb or wording(q.state).outcome} by {shown(actor_name)}"


# ---------------------------------------------------------------------- embeds


def card_embed(
    session: Session,
    q: Question,
    outcome: str | None = None,
    duplicate: Question | None = None,
) -> discord.Embed:
    """The moderators' card: number, text, speaker, label, asker, state, and the open question
    it may duplicate (while it is still in review or in the queue)."""
    embed = discord.Embed(
        title=f"Question #{q.number}",
        description=body(q.text),
        colour=STATE_COLOURS.get(State(q.state)),
    )
    embed.add_field(name="Speaker", value=speaker_name(session, q.speaker_id) or "Anyone")
    embed.add_field(name="Label", value=label_name(session, q.label_id) or "None")
    embed.add_field(name="Asked by", value=asker(q))
    if extra := also_asked(q):
        embed.add_field(name="Duplicates", value=extra, inline=False)
    if duplicate is not None and q.state in CARD_ACTIONS:
        note = duplicate_note(duplicate.number, duplicate.text, shown)
        embed.add_field(name="Possible duplicate", value=note, inline=False)
    embed.add_field(name="State", value=outcome or wording(q.state).card, inline=False)
    embed.set_footer(text="Chat message" if q.source == "chat" else "/ask")
    return embed


def vote_embed(session: Session, q: Question, marker: str | None = None) -> discord.Embed:
    """The public message people vote on (`marker`: that it has written answers)."""
    embed = discord.Embed(
        title=f"#{q.number}", description=body(q.text), colour=STATE_COLOURS.get(State(q.state))
    )
    if name := speaker_name(session, q.speaker_id):
        embed.add_field(name="For", value=name)
    if label := label_name(session, q.label_id):
        embed.add_field(name="Label", value=label)
    embed.add_field(name="Asked by", value=asker(q))
    if extra := also_asked(q):
        embed.add_field(name="Duplicates", value=extra, inline=False)
    if marker:
        embed.add_field(name="Written answers", value=marker, inline=False)
    if q.state not in VOTABLE:
        embed.set_footer(text=f"{wording(q.state).card}. Voting has ended.")
    elif q.state == State.LIVE:
        embed.set_footer(text="Being answered now.")
    return embed


def live_embed(session: Session, q: Question) -> discord.Embed:
    """The live channel's announcement of the question being answered."""
    embed = discord.Embed(description=body(q.text), colour=STATE_COLOURS[State.LIVE])
    embed.add_field(name="For", value=speaker_name(session, q.speaker_id) or "Anyone")
    embed.add_field(name="Votes", value=str(q.votes))
    embed.add_field(name="Asked by", value=asker(q))
    if extra := also_asked(q):
        embed.add_field(name="Duplicates", value=extra, inline=False)
    return embed


def live_content(q: Question) -> str:
    return f"**Now answering #{q.number}**"


def digest_embed(questions: list[Question]) -> discord.Embed:
    """One card for several new questions, when there are too many to post one card each."""
    lines = [f"**#{q.number}** · {cut(q.text, DIGEST_TEXT, one_line=True)}" for q in questions]
    review = "\nReview them with `/qa approve number:N`, `/qa reject number:N` or `/qa queue`."
    first, last = questions[0].number, questions[-1].number
    embed = discord.Embed(
        title=f"New questions #{first}–#{last} ({len(questions)})",
        description=fit_lines(lines, EMBED_DESCRIPTION, review),
        colour=STATE_COLOURS[State.PENDING],
    )
    embed.set_footer(
        text="Many questions arrived at once: their cards are combined to stay within "
        "Discord's rate limits."
    )
    return embed


def queue_line(session: Session, q: Question) -> str:
    speaker = session.speaker(q.speaker_id)
    who = f" · for {cut(speaker.name, 100, one_line=True)}" if speaker else ""
    return f"**#{q.number}** · 👍 {q.votes}{who} · {cut(q.text, 90, one_line=True)}"


def queue_embed(session: Session, view: QueueView) -> discord.Embed:
    """The answer to /qa queue: the top approved questions, one line each, and the counts."""
    counts = " · ".join(f"{state} {n}" for state, n in view.counts.items())
    lines = [queue_line(session, q) for q in view.top] or ["No approved questions yet."]
    embed = discord.Embed(
        title=f"Queue: top {len(view.top)} by votes",
        description=fit_lines(lines, EMBED_DESCRIPTION),
    )
    embed.set_footer(text=counts)
    return embed


def myquestions_embed(mine: MyQuestions, session: Session) -> discord.Embed:
    """The answer to /myquestions: the asker's last 20 questions, one line each, with their
    answers and the notices about them beneath; then the questions they follow."""
    lines = []
    for item in mine.own[-20:]:
        q = item.question
        votes = f" · 👍 {q.votes}" if q.state in VOTABLE else ""
        text = cut(q.text, 80, one_line=True)
        lines.append(f"**#{q.number}** · {wording(q.state).mine}{votes} · {text}")
        lines += [f"  ↳ {one_line(line)}" for line in item.lines(session, shown)]
    for item in mine.others[-10:]:
        q = item.question
        lines.append(f"**#{q.number}** (followed) · {cut(q.text, 80, one_line=True)}")
        lines += [f"  ↳ {one_line(line)}" for line in item.lines(session, shown)]
    embed = discord.Embed(title="Your questions", description=fit_lines(lines, EMBED_DESCRIPTION))
    if mine.undelivered:
        embed.set_footer(
            text="Some notices could not reach you by direct message: they are shown here."
        )
    return embed


# ----------------------------------------------------------------------- views

CARD_ACTIONS = {
    State.PENDING: (("approve", "Approve", discord.ButtonStyle.success),
                    ("reject", "Reject", discord.ButtonStyle.danger),
                    ("block", "Block author", discord.ButtonStyle.secondary)),
    State.APPROVED: (("dismiss", "Dismiss", discord.ButtonStyle.secondary),
                     ("block", "Block author", discord.ButtonStyle.secondary)),
}  # fmt: skip
UNBLOCK = (("unblock", "Unblock author", discord.ButtonStyle.secondary),)
#: Questions a moderator (or a speaker) may answer in writing from the card.
ANSWERABLE = frozenset({State.APPROVED, State.LIVE, State.ANSWERED})


def card_view(
    q: Question, *, author_blocked: bool = False, duplicate: Question | None = None
) -> discord.ui.View | None:
    """The buttons a card shows in the question's state (none once it is settled), and
    "Merge into #N" when it may duplicate an open question.

    Right after "Block author", the card offers "Unblock author": the only way to undo a block
    of an anonymous asker, whom moderators cannot name in /qa unblock.
    """
    actions = UNBLOCK if author_blocked else CARD_ACTIONS.get(State(q.state), ())
    answerable = q.state in ANSWERABLE and not author_blocked
    if not actions and not answerable:
        return None
    view = discord.ui.View(timeout=None)
    for action, label, style in actions:
        view.add_item(ModerationButton(action, q.id, label, style))
    if answerable:
        view.add_item(AnswerButton(q.id))
    if duplicate is not None and not author_blocked and q.state in CARD_ACTIONS:
        view.add_item(MergeButton(q.id, duplicate.id, duplicate.number))
    return view


def confirmation_view(q: Question, instead: Question | None) -> discord.ui.View | None:
    """Under the asker's private confirmation: "Vote for #N instead", when a public open
    question is very like theirs."""
    if instead is None:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(VoteInsteadButton(q.id, instead.id, instead.number))
    return view


def vote_view(q: Question) -> discord.ui.View | None:
    """The button under a question's public message, while people can vote."""
    if q.state not in VOTABLE:
        return None
    return vote_count_view(q.id, q.votes)


def vote_count_view(question_id: int, votes: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(question_id, votes))
    return view


def edit_view(questions: list[Question]) -> discord.ui.View | None:
    """ "Edit #N" for each of an asker's questions still waiting for review (at most 25)."""
    waiting = [q for q in questions if q.state == State.PENDING][-25:]
    if not waiting:
        return None
    view = discord.ui.View(timeout=None)
    for q in waiting:
        view.add_item(EditButton(q.id, q.number))
    return view
