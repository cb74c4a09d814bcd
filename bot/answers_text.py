"""Every sentence people read about answers, notices, follow-ups and an asker's own edits.

Plain functions of plain values; each takes the caller's `escape` (Discord's markdown escaping
in the cogs) for text people typed, and the language to say it in: `_`, the reader's
`Localizer`, for what one person reads (a reply, a form, /myquestions), or `languages`, the
session's, for what is posted or sent by direct message (no interaction tells the bot the
language of a direct message's reader). A text in several languages says its words in each,
and the text people typed once. User text is cut raw first, then escaped, then the total is
checked against Discord's limits: a message 2,000 characters, a thread or forum post title 100,
a forum tag 20. Answers by moderators and speakers are shown as they wrote them (their markdown
works; mentions never ping, as every message the bot sends allows none). An anonymous asker is
never named: the only name a notice carries is the answerer's.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.i18n import (
    DEFAULT,
    ENGLISH,
    N_,
    Localizer,
    Message,
    Text,
    in_languages,
    msg,
    nmsg,
    sentences,
)
from bot.limits import CONTENT, ELLIPSIS, THREAD_NAME, cut_rendered, ends_in_stray_backslash
from bot.states import wording
from bot.timeutil import discord_timestamp

Escape = Callable[[str], str]

#: A written answer: posted under a one-line heading in one message, and sent in one DM.
ANSWER_MAX = 1800
#: A forum tag's name.
TAG_NAME = 20
#: What a question is quoted with in a notice.
QUOTE = 300
#: A line of /myquestions.
LINE = 300


def plain(text: str) -> str:
    """No escaping: for titles and tags, where Discord shows no markdown."""
    return text


# ------------------------------------------------------------------ fitting


_INVISIBLE = frozenset("\u200b\u2060\ufeff\u00ad")


def one_line(text: str) -> str:
    """Line breaks and runs of spaces as single spaces; control characters and characters that
    show nothing (zero-width spaces, soft hyphens) dropped."""
    kept = "".join(
        " " if c.isspace() else c
        for c in text
        if c.isspace() or (unicodedata.category(c) != "Cc" and c not in _INVISIBLE)
    )
    return " ".join(kept.split())


def _extends(c: str) -> bool:
    """A character that belongs with the one before it (an accent, a joiner, a variant or skin
    tone selector): a cut must not fall just before it."""
    code = ord(c)
    return (
        unicodedata.combining(c) != 0
        or unicodedata.category(c) in ("Mn", "Me", "Mc")
        or c == "\u200d"
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or 0xE0100 <= code <= 0xE01EF
    )


def _regional(c: str) -> bool:
    return 0x1F1E6 <= ord(c) <= 0x1F1FF


def _clean_end(text: str, n: int) -> int:
    """The largest cut point <= n that keeps characters whole: never inside an accented letter,
    a joined emoji or a flag."""
    while 0 < n < len(text) and (_extends(text[n]) or text[n - 1] == "\u200d"):
        n -= 1
    if 0 < n < len(text) and _regional(text[n]) and _regional(text[n - 1]):
        run = 0
        while n - run > 0 and _regional(text[n - run - 1]):
            run += 1
        if run % 2:  # the cut splits a flag's pair
            n -= 1
    return n


def clean_cut(text: str, limit: int) -> str:
    """Plain one-line text in at most `limit` characters: whole if it fits, else cut at a word
    boundary when one is near the end (else anywhere, as for Chinese), never inside a character
    made of several code points, with an ellipsis."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    room = limit - len(ELLIPSIS)
    n = _clean_end(text, room)
    space = text.rfind(" ", 0, n + 1)
    if space >= room * 2 // 3:
        n = space
    head = text[:n].rstrip(" -–—,;:")
    return (head or text[: _clean_end(text, room)]) + ELLIPSIS


def fit(text: str, limit: int, escape: Escape, *, single_line: bool = False) -> str:
    """User text in at most `limit` characters once escaped: the raw text is cut (cleanly, with
    an ellipsis), then escaped; never a stray backslash at the end."""
    if single_line:
        text = one_line(text)
    whole = escape(text)
    if len(whole) <= limit and not ends_in_stray_backslash(whole):
        return whole
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    room = limit - len(ELLIPSIS)
    low, high = 0, min(len(text), room)  # escaping never shortens text
    while low < high:  # the longest prefix whose escaping fits
        mid = (low + high + 1) // 2
        if len(escape(text[: _clean_end(text, mid)].rstrip())) <= room:
            low = mid
        else:
            high = mid - 1
    shown = escape(text[: _clean_end(text, low)].rstrip())
    while ends_in_stray_backslash(shown):
        shown = shown[:-1]
    return shown + ELLIPSIS


# --------------------------------------------------------------- who, where


def answerer(name: str | None, role: str, speaker_name: str | None = None) -> Message:
    """Who answered, as people read it (plain, to escape once rendered): the speaker's name from
    the session file when known, else their display name; then their role."""
    who: Text = (
        speaker_name or name or (msg("a speaker") if role == "speaker" else msg("a moderator"))
    )
    if role == "speaker":
        return msg("{name} (speaker)", name=who)
    return msg("{name} (moderator)", name=who)


def thread_title(number: int, text: str) -> str:
    """A question's thread or forum post title: "#N question…", at most 100 characters."""
    prefix = f"#{number} "
    return prefix + clean_cut(text, THREAD_NAME - len(prefix))


def tag_name(name: str) -> str:
    """A forum tag's name: at most 20 characters."""
    return clean_cut(name, TAG_NAME)


def _named(by: Text, escape: Escape, _: Localizer) -> str:
    """A name (or `answerer`'s message) in this language, escaped."""
    return escape(_.render(by))


# ------------------------------------------------------------- written answers

ANSWER_INPUT_LABEL = msg("Your answer")
ANSWER_INPUT_PLACEHOLDER = msg("Posted in the question's thread, under your name.")
PRIVATE_INPUT_PLACEHOLDER = msg("Sent to the asker only (anonymous askers stay anonymous).")
ANSWER_BUTTON = msg("Answer in writing")
EDIT_BUTTON = msg("Edit")
EDIT_INPUT_LABEL = msg("Your question")


def modal_title(number: int, *, edit: bool = False, _: Localizer = ENGLISH) -> str:
    """A form's title (at most 45 characters with any number, in every language)."""
    if edit:
        return _("Edit your question #{number}", number=number)
    return _("Answer #{number} in writing", number=number)


def answer_post(by: Text, text: str, escape: Escape, languages: Sequence[str] = (DEFAULT,)) -> str:
    """An answer as posted in the question's thread: a heading naming who answered (in each of
    the session's languages), then the answer as written."""
    head = in_languages(
        languages,
        lambda _: _("**Answer from {name}:**", name=_named(by, escape, _)),
        sep="\n",
        limit=CONTENT // 4,
    )
    head += "\n"
    return head + cut_rendered(text, CONTENT - len(head))


def answered_marker(public: int, private: int) -> Message | None:
    """The line a question's public message shows once it has written answers."""
    if public and private:
        return msg("✍️ Answered in writing (see the thread), and privately to the asker.")
    if public:
        return nmsg(
            "✍️ Answered in writing: see the thread.",
            "✍️ {count} written answers: see the thread.",
            public,
        )
    if private:
        return msg("✍️ Answered privately to the asker.")
    return None


def answer_saved(number: int, private: bool, _: Localizer = ENGLISH) -> str:
    """What the answerer is told. It never depends on whether the asker can be reached: that
    would say something about an anonymous asker."""
    if private:
        return _(
            "Your answer to #{number} is saved and will reach its asker only, by direct "
            "message or in their /myquestions. It counts as answered.",
            number=number,
        )
    return _(
        "Your answer to #{number} is saved; it is posted in the question's thread and its "
        "asker is told if they asked to be.",
        number=number,
    )


# -------------------------------------------------------------------- refusals


def refuse_empty_answer() -> Message:
    return msg("The answer is empty; write what you want the asker to read.")


def refuse_long_answer(length: int, limit: int = ANSWER_MAX) -> Message:
    return msg(
        "The answer is {length} characters long; the limit is {limit}. Shorten it, or answer "
        "in two parts.",
        length=length,
        limit=limit,
    )


def refuse_not_addressed(number: int) -> Message:
    return msg(
        "#{number} is addressed to another speaker; speakers answer the questions addressed "
        "to them or to the whole panel.",
        number=number,
    )


def refuse_unknown_role() -> Message:
    return msg("Only moderators and the session's speakers can answer questions.")


def refuse_answer_state(number: int, state: str, into: int | None = None) -> Message:
    """Why a question in this state takes no answer."""
    if state == "pending":
        return msg(
            "#{number} is still waiting for review; approve it before answering it.", number=number
        )
    if state == "merged" and into is not None:
        return msg(
            "#{number} was merged into #{into}; answer #{into} instead.", number=number, into=into
        )
    if state == "withdrawn":
        return msg("#{number} was withdrawn by its asker, so it takes no answer.", number=number)
    return msg(
        "#{number} was {state}, so it takes no answer.", number=number, state=wording(state).past
    )


def refuse_changed(number: int) -> Message:
    return msg("#{number} changed just now; look at it again and retry.", number=number)


def refuse_not_own(number: int) -> Message:
    return msg(
        "You have no question #{number} in this session; /myquestions lists yours.", number=number
    )


def refuse_edit_state(number: int, state: str) -> Message:
    return msg(
        "#{number} is already {state}, so it can no longer be edited; a moderator can still "
        "correct it.",
        number=number,
        state=wording(state).past,
    )


def refuse_empty_edit() -> Message:
    return msg("The new text is empty; write your question as it should read.")


def refuse_long_edit(length: int, limit: int) -> Message:
    return msg(
        "The new text is {length} characters long; the limit is {limit}. Shorten it and try again.",
        length=length,
        limit=limit,
    )


def refuse_same_edit(number: int) -> Message:
    return msg("#{number} already reads exactly like that; nothing changed.", number=number)


def edit_saved(number: int, _: Localizer = ENGLISH) -> str:
    return _("#{number} now reads as you wrote it; the moderators review this text.", number=number)


# ---------------------------------------------------------------- preferences


def notify_set(own: bool, voted: bool | None = None, _: Localizer = ENGLISH) -> str:
    """The answer to /notify."""
    if own:
        said = [
            _(
                "You will get a direct message when a moderator approves, rejects or merges one "
                "of your questions, when it is on screen and when it is answered."
            )
        ]
    else:
        said = [
            _(
                "You will get no direct messages about your questions (unless an answer is sent "
                "to you only)."
            )
        ]
    if voted:
        said.append(
            _("You will also hear when a question you voted for is answered after the session.")
        )
    elif voted is False:
        said.append(_("Nor about the questions you voted for."))
    said.append(_("If your direct messages are closed, /myquestions shows the same."))
    return sentences(*said)


def ask_notify_note(on: bool, _: Localizer = ENGLISH) -> str:
    """A line added to /ask's confirmation when the asker set `notify`."""
    if on:
        return _("You will get a direct message about what happens to it.")
    return _("You will get no direct messages about it.")


def follow_set(number: int, on: bool, _: Localizer = ENGLISH) -> str:
    if on:
        return _(
            "You will get a direct message when #{number} is answered after the session.",
            number=number,
        )
    return _("You will no longer hear about #{number}.", number=number)


# --------------------------------------------------------------------- notices

# Translators: the subject of a notice's sentence ("{subject} in {session} was approved").
_SUBJECT = {
    "asker": N_("Your question #{number}"),
    "co-asker": N_("#{number}, the question yours was merged into,"),
    "follower": N_("A question you follow, #{number},"),
}

_HEAD = {
    "approved": N_("{subject} in {session} was approved: it is in the queue, where people vote."),
    "rejected": N_("{subject} in {session} was not accepted."),
    "merged": N_(
        "{subject} in {session} was merged into #{into}, which asks the same; its answer is "
        "yours too."
    ),
    "merged-elsewhere": N_(
        "{subject} in {session} was merged into another question, which asks the same; its "
        "answer is yours too."
    ),
    "live": N_("{subject} in {session} is on screen now: the speakers are answering it."),
    "answered": N_("{subject} in {session} was answered live."),
    "written": N_("{subject} in {session} has a written answer from {by}:"),
    "private": N_("{subject} in {session} has an answer from {by}, for you only:"),
    "followup": N_("{subject} from {session} got an answer from {by} in its follow-up post:"),
}


def notice_headline(
    kind: str,
    detail: dict[str, Any],
    number: int,
    session_title: str,
    by: Text,
    escape: Escape,
    _: Localizer = ENGLISH,
) -> str:
    """The first line of a notice (a DM), or of its entry in /myquestions."""
    variant = kind
    if kind == "answered" and detail.get("answer") is not None:
        variant = "private" if detail.get("private") else "written"
    into = detail.get("into")
    if variant == "merged" and into is None:
        variant = "merged-elsewhere"
    subject = _SUBJECT.get(str(detail.get("as", "asker")), _SUBJECT["asker"])
    return _(
        _HEAD[variant],
        subject=_(subject, number=number),
        session=f"**{fit(session_title, 200, escape, single_line=True)}**",
        into=into,
        by=_named(by, escape, _),
    )


def notice_content(
    kind: str,
    detail: dict[str, Any],
    *,
    number: int,
    session_title: str,
    question_text: str,
    escape: Escape,
    by: Text = "",
    answer_text: str | None = None,
    link: str | None = None,
    languages: Sequence[str] = (DEFAULT,),
) -> str:
    """A notice as sent by direct message: the headline, the question quoted, the moderator's
    reason or the answer, and where to read more; at most 2,000 characters. Its words are in
    each of the session's languages; the question and the answer are quoted once."""
    head = in_languages(
        languages,
        lambda _: notice_headline(kind, detail, number, session_title, by, escape, _),
        sep="\n",
    )
    quote = "> " + fit(question_text, QUOTE, escape, single_line=True)
    tail: list[str] = []
    reason = detail.get("reason")
    if kind == "rejected" and isinstance(reason, str) and reason:
        shown = fit(reason, 300, escape, single_line=True)
        tail.append(
            in_languages(
                languages, lambda _: _("The moderator's reason: {reason}", reason=shown), sep="\n"
            )
        )
    if link:
        tail.append(
            in_languages(languages, lambda _: _("Read it here: <{link}>", link=link), sep="\n")
        )
    tail.append(
        in_languages(
            languages,
            lambda _: (
                "-# "
                + _("/myquestions lists your questions and these messages. /notify off stops them.")
            ),
            sep="\n",
        )
    )
    fixed = [head, quote]
    if answer_text:
        room = CONTENT - sum(len(p) + 2 for p in (*fixed, *tail))
        if room > 20:
            fixed.append(cut_rendered(answer_text, room))
    content = "\n\n".join([*fixed, *tail])
    return content if len(content) <= CONTENT else cut_rendered(content, CONTENT)


_STATUS = {
    "pending": msg("to be sent"),
    "sending": msg("being sent"),
    "sent": msg("sent by direct message"),
    "failed": msg("not delivered yet, tried again soon"),
    "fallback": msg("shown here (direct messages could not reach you)"),
}


def notice_line(
    kind: str,
    detail: dict[str, Any],
    status: str,
    created_at: datetime,
    *,
    number: int,
    session_title: str,
    escape: Escape,
    by: Text = "",
    _: Localizer = ENGLISH,
) -> str:
    """A notice as /myquestions lists it: when, what, and whether it reached the member."""
    head = notice_headline(kind, detail, number, session_title, by, escape, _)
    reason = detail.get("reason")
    if kind == "rejected" and isinstance(reason, str) and reason:
        head += " " + _("Reason: {reason}", reason=fit(reason, 120, escape, single_line=True))
    said = _.render(_STATUS[status]) if status in _STATUS else status
    line = f"{discord_timestamp(created_at, 'R')} · " + _(
        "{notice} ({status})", notice=head, status=said
    )
    return cut_rendered(line, LINE)


def answer_line(
    by: Text,
    text: str | None,
    private: bool,
    at: datetime,
    escape: Escape,
    _: Localizer = ENGLISH,
) -> str:
    """An answer as /myquestions shows it to the asker."""
    body = cut_rendered(one_line(text or ""), 200)
    name = _named(by, escape, _)
    if private:
        said = _("{name} (for you only): {answer}", name=name, answer=body)
    else:
        said = _("{name}: {answer}", name=name, answer=body)
    return cut_rendered(f"{discord_timestamp(at, 'R')} · {said}", LINE)


# ------------------------------------------------------------------- follow-ups


def followup_body(
    *,
    number: int,
    text: str,
    asker: Text,
    votes: int,
    speaker: str | None,
    label: str | None,
    session_title: str,
    escape: Escape,
    languages: Sequence[str] = (DEFAULT,),
) -> str:
    """The first message of a follow-up forum post: the question, who asked (or Anonymous),
    its votes and speaker, in each of the session's languages, then the question once; at most
    2,000 characters."""
    session = fit(session_title, 200, escape, single_line=True)

    def facts(_: Localizer) -> str:
        said = _(
            "**#{number}** · asked by {asker} · {votes} · to {speaker}",
            number=number,
            asker=escape(_.render(asker)),
            votes=_.ngettext("{count} vote", "{count} votes", votes),
            speaker=escape(speaker) if speaker else _("the whole panel"),
        )
        return f"{said} · {escape(label)}" if label else said

    def note(_: Localizer) -> str:
        return "-# " + _(
            "Asked during **{session}** and not answered there. Speakers: reply in this post to "
            "answer; the asker is told, and so is everyone following it.",
            session=session,
        )

    said_facts = in_languages(languages, facts, sep="\n", limit=CONTENT // 3)
    said_note = in_languages(languages, note, sep="\n", limit=CONTENT // 3)
    room = CONTENT - len(said_facts) - len(said_note) - 4
    return f"{said_facts}\n\n{fit(text, room, escape)}\n\n{said_note}"


def followup_intro(count: int, forum: str, _: Localizer = ENGLISH) -> str:
    """What the questions channel is told when the follow-up posts are made."""
    if count == 0:
        return _("Every approved question was answered. Thank you all!")
    return _.ngettext(
        "The session is over; {count} question still open continues in {forum}, where the "
        "speakers can answer it.",
        "The session is over; {count} questions still open continue in {forum}, where the "
        "speakers can answer them.",
        count,
        forum=forum,
    )
