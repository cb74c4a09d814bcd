"""How questions look in Discord: embeds, views and the buttons on them.

Every message about a question is built here from the stored question alone: the moderators'
card (or a digest card for many at once), the public message people vote on, and the live
announcement.

Each builder takes `say` (bot.i18n.Say), how the message words its short texts: a public
message (a card, a vote message, the live announcement, a digest) in the session's languages,
the default; a private one (the /qa queue, /myquestions, buttons under a private answer) in the
reader's (`say_in([language_of(interaction.locale)])`). User text is shown once, whatever the
languages. Buttons are `DynamicItem`s whose custom_id carries the action and the question id,
so buttons on messages posted before a restart keep working. A click is handed to whichever cog
handles it as a bot event (`on_qa_card_button`, `on_qa_vote_button`): this module imports no cog.
"""

from __future__ import annotations

import discord

from bot.answers import MyQuestions
from bot.answers_text import ANSWER_BUTTON, one_line
from bot.delivery import DIGEST_TEXT
from bot.i18n import DEFAULT, ENGLISH, Localizer, Message, Say, Text, msg, nmsg, pmsg, say_in
from bot.limits import (
    BUTTON_LABEL,
    CONTENT,
    EMBED_DESCRIPTION,
    EMBED_TITLE,
    FIELD_NAME,
    FIELD_VALUE,
    FOOTER,
    cut,
    fit_lines,
)
from bot.questions import Question, QueueView
from bot.sessions import Session
from bot.similarity_text import duplicate_note, merge_label, vote_instead_label
from bot.states import VOTABLE, State, wording
from cogs._buttons import (
    AnswerButton,
    EditButton,
    MergeButton,
    ModerationButton,
    VoteButton,
    VoteInsteadButton,
)
from cogs._common import public_say, shown

ANONYMOUS = msg("Anonymous")
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
#: A private message's words when the builder is not told the reader's language.
IN_ENGLISH = say_in((DEFAULT,))
#: The states as the /qa queue counts them ("pending 3 · approved 12").
COUNTED: dict[str, Message] = {
    State.PENDING: pmsg("state-count", "pending"),
    State.APPROVED: pmsg("state-count", "approved"),
    State.REJECTED: pmsg("state-count", "rejected"),
    State.WITHDRAWN: pmsg("state-count", "withdrawn"),
    State.LIVE: pmsg("state-count", "live"),
    State.ANSWERED: pmsg("state-count", "answered"),
    State.DISMISSED: pmsg("state-count", "dismissed"),
    State.MERGED: pmsg("state-count", "merged"),
}

#: The words of the public messages about a question (field names, values, footers).
SPEAKER = msg("Speaker")
ANYONE = msg("Anyone")
LABEL = msg("Label")
NO_LABEL = pmsg("no label", "None")
ASKED_BY = msg("Asked by")
DUPLICATES = msg("Duplicates")
POSSIBLE_DUPLICATE = msg("Possible duplicate")
STATE = msg("State")
CHAT_MESSAGE = msg("Chat message")
SLASH_ASK = msg("/ask")
FOR = msg("For")
WRITTEN_ANSWERS = msg("Written answers")
BEING_ANSWERED = msg("Being answered now.")
VOTES = msg("Votes")

# ------------------------------------------------------------------------ text


def asker(q: Question, say: Say = IN_ENGLISH) -> str:
    """Who asked, as shown to people: a display name, or Anonymous."""
    if q.anonymous or not q.author_name:
        return say(ANONYMOUS, FIELD_VALUE)
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


EMBED_TOTAL = 6000  # all of an embed's text together (Discord's limit)


def within_total(embed: discord.Embed, text: str) -> discord.Embed:
    """Cut the question's text further when the embed's words (in several languages, say)
    would take it past Discord's 6,000 characters in all."""
    over = len(embed) - EMBED_TOTAL
    if over > 0:
        embed.description = cut(text, max(1, len(embed.description or "") - over))
    return embed


def also_asked(q: Question, say: Say = IN_ENGLISH) -> str | None:
    if not q.co_askers:
        return None
    return say(
        nmsg("Also asked by {count} person", "Also asked by {count} people", q.co_askers),
        FIELD_VALUE,
    )


def outcome(q: Question, actor_name: str, verb: Text | None = None) -> Message:
    """What a moderator did, for a card's State field: "Approved by mona" (a message, said in
    the card's languages)."""
    return msg(
        "{outcome} by {name}", outcome=verb or wording(q.state).outcome, name=shown(actor_name)
    )


# ---------------------------------------------------------------------- embeds


def card_embed(
    session: Session,
    q: Question,
    outcome: Text | None = None,
    duplicate: Question | None = None,
    say: Say | None = None,
) -> discord.Embed:
    """The moderators' card: number, text, speaker, label, asker, state, and the open question
    it may duplicate (while it is still in review or in the queue)."""
    say = say or public_say(session)
    embed = discord.Embed(
        title=say(msg("Question #{number}", number=q.number), EMBED_TITLE),
        description=body(q.text),
        colour=STATE_COLOURS.get(State(q.state)),
    )
    embed.add_field(
        name=say(SPEAKER, FIELD_NAME),
        value=speaker_name(session, q.speaker_id) or say(ANYONE, FIELD_VALUE),
    )
    embed.add_field(
        name=say(LABEL, FIELD_NAME),
        value=label_name(session, q.label_id) or say(NO_LABEL, FIELD_VALUE),
    )
    embed.add_field(name=say(ASKED_BY, FIELD_NAME), value=asker(q, say))
    if extra := also_asked(q, say):
        embed.add_field(name=say(DUPLICATES, FIELD_NAME), value=extra, inline=False)
    if duplicate is not None and q.state in CARD_ACTIONS:
        number, text = duplicate.number, duplicate.text

        def note(_: Localizer) -> str:
            return duplicate_note(number, text, shown, _)

        embed.add_field(
            name=say(POSSIBLE_DUPLICATE, FIELD_NAME),
            value=say(note, FIELD_VALUE),
            inline=False,
        )
    embed.add_field(
        name=say(STATE, FIELD_NAME),
        value=say(outcome or wording(q.state).card, FIELD_VALUE),
        inline=False,
    )
    embed.set_footer(text=say(CHAT_MESSAGE if q.source == "chat" else SLASH_ASK, FOOTER))
    return within_total(embed, q.text)


def vote_embed(
    session: Session, q: Question, marker: Text | None = None, say: Say | None = None
) -> discord.Embed:
    """The public message people vote on (`marker`: that it has written answers)."""
    say = say or public_say(session)
    embed = discord.Embed(
        title=f"#{q.number}", description=body(q.text), colour=STATE_COLOURS.get(State(q.state))
    )
    if name := speaker_name(session, q.speaker_id):
        embed.add_field(name=say(FOR, FIELD_NAME), value=name)
    if label := label_name(session, q.label_id):
        embed.add_field(name=say(LABEL, FIELD_NAME), value=label)
    embed.add_field(name=say(ASKED_BY, FIELD_NAME), value=asker(q, say))
    if extra := also_asked(q, say):
        embed.add_field(name=say(DUPLICATES, FIELD_NAME), value=extra, inline=False)
    if marker:
        embed.add_field(
            name=say(WRITTEN_ANSWERS, FIELD_NAME),
            value=say(marker, FIELD_VALUE),
            inline=False,
        )
    if q.state not in VOTABLE:
        ended = msg("{state}. Voting has ended.", state=wording(q.state).card)
        embed.set_footer(text=say(ended, FOOTER))
    elif q.state == State.LIVE:
        embed.set_footer(text=say(BEING_ANSWERED, FOOTER))
    return within_total(embed, q.text)


def live_embed(session: Session, q: Question, say: Say | None = None) -> discord.Embed:
    """The live channel's announcement of the question being answered."""
    say = say or public_say(session)
    embed = discord.Embed(description=body(q.text), colour=STATE_COLOURS[State.LIVE])
    embed.add_field(
        name=say(FOR, FIELD_NAME),
        value=speaker_name(session, q.speaker_id) or say(ANYONE, FIELD_VALUE),
    )
    embed.add_field(name=say(VOTES, FIELD_NAME), value=str(q.votes))
    embed.add_field(name=say(ASKED_BY, FIELD_NAME), value=asker(q, say))
    if extra := also_asked(q, say):
        embed.add_field(name=say(DUPLICATES, FIELD_NAME), value=extra, inline=False)
    return within_total(embed, q.text)


def live_content(q: Question, say: Say = IN_ENGLISH) -> str:
    return say(msg("**Now answering #{number}**", number=q.number), CONTENT)


def digest_embed(questions: list[Question], say: Say = IN_ENGLISH) -> discord.Embed:
    """One card for several new questions, when there are too many to post one card each."""
    lines = [f"**#{q.number}** · {cut(q.text, DIGEST_TEXT, one_line=True)}" for q in questions]
    review = "\n" + say(
        msg("Review them with `/qa approve number:N`, `/qa reject number:N` or `/qa queue`."),
        EMBED_DESCRIPTION // 4,
    )
    first, last = questions[0].number, questions[-1].number
    title = msg(
        "New questions #{first}–#{last} ({count})", first=first, last=last, count=len(questions)
    )
    embed = discord.Embed(
        title=say(title, EMBED_TITLE),
        description=fit_lines(lines, EMBED_DESCRIPTION, review),
        colour=STATE_COLOURS[State.PENDING],
    )
    embed.set_footer(
        text=say(
            msg(
                "Many questions arrived at once: their cards are combined to stay within "
                "Discord's rate limits."
            ),
            FOOTER,
        )
    )
    return embed


def queue_line(session: Session, q: Question, _: Localizer = ENGLISH) -> str:
    speaker = session.speaker(q.speaker_id)
    who = ""
    if speaker:
        who = " · " + _("for {speaker}", speaker=cut(speaker.name, 100, one_line=True))
    return f"**#{q.number}** · 👍 {q.votes}{who} · {cut(q.text, 90, one_line=True)}"


def queue_embed(session: Session, view: QueueView, _: Localizer = ENGLISH) -> discord.Embed:
    """The answer to /qa queue: the top approved questions, one line each, and the counts."""
    counts = " · ".join(
        _("{state} {count}", state=COUNTED.get(state, state), count=n)
        for state, n in view.counts.items()
    )
    lines = [queue_line(session, q, _) for q in view.top] or [_("No approved questions yet.")]
    embed = discord.Embed(
        title=_("Queue: top {count} by votes", count=len(view.top)),
        description=fit_lines(lines, EMBED_DESCRIPTION),
    )
    embed.set_footer(text=cut(counts, FOOTER, escape=False))
    return embed


def myquestions_embed(mine: MyQuestions, session: Session, _: Localizer = ENGLISH) -> discord.Embed:
    """The answer to /myquestions: the asker's last 20 questions, one line each, with their
    answers and the notices about them beneath; then the questions they follow."""
    lines = []
    for item in mine.own[-20:]:
        q = item.question
        votes = f" · 👍 {q.votes}" if q.state in VOTABLE else ""
        text = cut(q.text, 80, one_line=True)
        lines.append(f"**#{q.number}** · {_.render(wording(q.state).mine)}{votes} · {text}")
        lines += [f"  ↳ {one_line(line)}" for line in item.lines(session, shown, _)]
    for item in mine.others[-10:]:
        q = item.question
        followed = _("**#{number}** (followed)", number=q.number)
        lines.append(f"{followed} · {cut(q.text, 80, one_line=True)}")
        lines += [f"  ↳ {one_line(line)}" for line in item.lines(session, shown, _)]
    embed = discord.Embed(
        title=_("Your questions"), description=fit_lines(lines, EMBED_DESCRIPTION)
    )
    if mine.undelivered:
        embed.set_footer(
            text=_("Some notices could not reach you by direct message: they are shown here.")
        )
    return embed


# ----------------------------------------------------------------------- views

CARD_ACTIONS = {
    State.PENDING: (("approve", msg("Approve"), discord.ButtonStyle.success),
                    ("reject", msg("Reject"), discord.ButtonStyle.danger),
                    ("block", msg("Block author"), discord.ButtonStyle.secondary)),
    State.APPROVED: (("dismiss", msg("Dismiss"), discord.ButtonStyle.secondary),
                     ("block", msg("Block author"), discord.ButtonStyle.secondary)),
}  # fmt: skip
UNBLOCK = (("unblock", msg("Unblock author"), discord.ButtonStyle.secondary),)
#: Questions a moderator (or a speaker) may answer in writing from the card.
ANSWERABLE = frozenset({State.APPROVED, State.LIVE, State.ANSWERED})


def card_view(
    q: Question,
    *,
    author_blocked: bool = False,
    duplicate: Question | None = None,
    say: Say = IN_ENGLISH,
) -> discord.ui.View | None:
    """The buttons a card shows in the question's state (none once it is settled), and
    "Merge into #N" when it may duplicate an open question; labelled in the card's languages
    (`say`: the session's).

    Right after "Block author", the card offers "Unblock author": the only way to undo a block
    of an anonymous asker, whom moderators cannot name in /qa unblock.
    """
    actions = UNBLOCK if author_blocked else CARD_ACTIONS.get(State(q.state), ())
    answerable = q.state in ANSWERABLE and not author_blocked
    if not actions and not answerable:
        return None
    view = discord.ui.View(timeout=None)
    for action, label, style in actions:
        view.add_item(ModerationButton(action, q.id, say(label, BUTTON_LABEL), style))
    if answerable:
        view.add_item(AnswerButton(q.id, say(ANSWER_BUTTON, BUTTON_LABEL)))
    if duplicate is not None and not author_blocked and q.state in CARD_ACTIONS:
        number = duplicate.number

        def merge(_: Localizer) -> str:
            return merge_label(number, _)

        view.add_item(MergeButton(q.id, duplicate.id, number, say(merge, BUTTON_LABEL)))
    return view


def confirmation_view(
    q: Question, instead: Question | None, _: Localizer = ENGLISH
) -> discord.ui.View | None:
    """Under the asker's private confirmation: "Vote for #N instead", when a public open
    question is very like theirs (in the asker's language)."""
    if instead is None:
        return None
    view = discord.ui.View(timeout=None)
    label = vote_instead_label(instead.number, _)
    view.add_item(VoteInsteadButton(q.id, instead.id, instead.number, label))
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


def edit_view(questions: list[Question], _: Localizer = ENGLISH) -> discord.ui.View | None:
    """ "Edit #N" for each of an asker's questions still waiting for review (at most 25), in
    the asker's language."""
    waiting = [q for q in questions if q.state == State.PENDING][-25:]
    if not waiting:
        return None
    view = discord.ui.View(timeout=None)
    for q in waiting:
        label = _("Edit #{number}", number=q.number)[:BUTTON_LABEL]
        view.add_item(EditButton(q.id, q.number, label))
    return view
