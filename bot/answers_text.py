"""Every sentence people read about answers, notices, follow-ups and an asker's own edits.

Plain functions of plain values; each takes the caller's `escape` (Discord's markdown escaping
in the cogs) for text people typed. User text is cut raw first, then escaped, then the total is
checked against Discord's limits: a message 2,000 characters, a thread or forum post title 100,
a forum tag 20. Answers by moderators and speakers are shown as they wrote them (their markdown
works; mentions never ping, as every message the bot sends allows none). An anonymous asker is
never named: the only name a notice carries is the answerer's.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any

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


def role_word(role: str) -> str:
    return "speaker" if role == "speaker" else "moderator"


def answerer(name: str | None, role: str, speaker_name: str | None = None) -> str:
    """Who answered, as people read it (plain): the speaker's name from the session file when
    known, else their display name; then their role."""
    who = speaker_name or name or f"a {role_word(role)}"
    return f"{who} ({role_word(role)})"


def thread_title(number: int, text: str) -> str:
    """A question's thread or forum post title: "#N question…", at most 100 characters."""
    prefix = f"#{number} "
    return prefix + clean_cut(text, THREAD_NAME - len(prefix))


def tag_name(name: str) -> str:
    """A forum tag's name: at most 20 characters."""
    return clean_cut(name, TAG_NAME)


# ------------------------------------------------------------- written answers

ANSWER_MODAL_TITLE = "Answer #{number} in writing"  # <= 45 with any number
ANSWER_INPUT_LABEL = "Your answer"
ANSWER_INPUT_PLACEHOLDER = "Posted in the question's thread, under your name."
PRIVATE_INPUT_PLACEHOLDER = "Sent to the asker only (anonymous askers stay anonymous)."
ANSWER_BUTTON = "Answer in writing"
EDIT_BUTTON = "Edit"
EDIT_MODAL_TITLE = "Edit your question #{number}"
EDIT_INPUT_LABEL = "Your question"


def modal_title(number: int, *, edit: bool = False) -> str:
    return (EDIT_MODAL_TITLE if edit else ANSWER_MODAL_TITLE).format(number=number)


def answer_post(by: str, text: str, escape: Escape) -> str:
    """An answer as posted in the question's thread: a heading naming who answered, then the
    answer as written."""
    head = f"**Answer from {escape(by)}:**\n"
    return head + cut_rendered(text, CONTENT - len(head))


def answered_marker(public: int, private: int) -> str | None:
    """The line a question's public message shows once it has written answers."""
    if public and private:
        return "✍️ Answered in writing (see the thread), and privately to the asker."
    if public:
        return (
            "✍️ Answered in writing: see the thread."
            if public == 1
            else (f"✍️ {public} written answers: see the thread.")
        )
    if private:
        return "✍️ Answered privately to the asker."
    return None


def answer_saved(number: int, private: bool) -> str:
    """What the answerer is told. It never depends on whether the asker can be reached: that
    would say something about an anonymous asker."""
    if private:
        return (
            f"Your answer to #{number} is saved and will reach its asker only, by direct "
            "message or in their /myquestions. It counts as answered."
        )
    return (
        f"Your answer to #{number} is saved; it is posted in the question's thread and its "
        "asker is told if they asked to be."
    )


# -------------------------------------------------------------------- refusals


def refuse_empty_answer() -> str:
    return "The answer is empty; write what you want the asker to read."


def refuse_long_answer(length: int, limit: int = ANSWER_MAX) -> str:
    return (
        f"The answer is {length} characters long; the limit is {limit}. Shorten it, or answer "
        "in two parts."
    )


def refuse_no_question(number: int) -> str:
    return f"There is no question #{number} in this session; /qa queue lists them."


def refuse_not_addressed(number: int) -> str:
    return (
        f"#{number} is addressed to another speaker; speakers answer the questions addressed "
        "to them or to the whole panel."
    )


def refuse_unknown_role() -> str:
    return "Only moderators and the session's speakers can answer questions."


def refuse_answer_state(number: int, state: str, into: int | None = None) -> str:
    """Why a question in this state takes no answer."""
    if state == "pending":
        return f"#{number} is still waiting for review; approve it before answering it."
    if state == "merged" and into is not None:
        return f"#{number} was merged into #{into}; answer #{into} instead."
    if state == "withdrawn":
        return f"#{number} was withdrawn by its asker, so it takes no answer."
    return f"#{number} was {wording(state).past}, so it takes no answer."


def refuse_changed(number: int) -> str:
    return f"#{number} changed just now; look at it again and retry."


def refuse_not_own(number: int) -> str:
    return f"You have no question #{number} in this session; /myquestions lists yours."


def refuse_edit_state(number: int, state: str) -> str:
    return (
        f"#{number} is already {wording(state).past}, so it can no longer be edited; a "
        "moderator can still correct it."
    )


def refuse_empty_edit() -> str:
    return "The new text is empty; write your question as it should read."


def refuse_long_edit(length: int, limit: int) -> str:
    return (
        f"The new text is {length} characters long; the limit is {limit}. Shorten it and try again."
    )


def refuse_same_edit(number: int) -> str:
    return f"#{number} already reads exactly like that; nothing changed."


def edit_saved(number: int) -> str:
    return f"#{number} now reads as you wrote it; the moderators review this text."


# ---------------------------------------------------------------- preferences


def notify_set(own: bool, voted: bool | None = None) -> str:
    """The answer to /notify."""
    if own:
        text = (
            "You will get a direct message when a moderator approves, rejects or merges one of "
            "your questions, when it is on screen and when it is answered."
        )
    else:
        text = "You will get no direct messages about your questions (unless an answer is "
        text += "sent to you only)."
    if voted:
        text += " You will also hear when a question you voted for is answered after the session."
    elif voted is False:
        text += " Nor about the questions you voted for."
    return text + " If your direct messages are closed, /myquestions shows the same."


def ask_notify_note(on: bool) -> str:
    """A line added to /ask's confirmation when the asker set `notify`."""
    if on:
        return "You will get a direct message about what happens to it."
    return "You will get no direct messages about it."


def follow_set(number: int, on: bool) -> str:
    if on:
        return f"You will get a direct message when #{number} is answered after the session."
    return f"You will no longer hear about #{number}."


# --------------------------------------------------------------------- notices

_SUBJECT = {
    "asker": "Your question #{n}",
    "co-asker": "#{n}, the question yours was merged into,",
    "follower": "A question you follow, #{n},",
}

_HEAD = {
    "approved": "{subject} in {session} was approved: it is in the queue, where people vote.",
    "rejected": "{subject} in {session} was not accepted.",
    "merged": "{subject} in {session} was merged into #{into}, which asks the same; "
    "its answer is yours too.",
    "live": "{subject} in {session} is on screen now: the speakers are answering it.",
    "answered": "{subject} in {session} was answered live.",
    "written": "{subject} in {session} has a written answer from {by}:",
    "private": "{subject} in {session} has an answer from {by}, for you only:",
    "followup": "{subject} from {session} got an answer from {by} in its follow-up post:",
}


def notice_headline(
    kind: str, detail: dict[str, Any], number: int, session_title: str, by: str, escape: Escape
) -> str:
    """The first line of a notice (a DM), or of its entry in /myquestions."""
    variant = kind
    if kind == "answered" and detail.get("answer") is not None:
        variant = "private" if detail.get("private") else "written"
    subject = _SUBJECT.get(str(detail.get("as", "asker")), _SUBJECT["asker"]).format(n=number)
    into = detail.get("into")
    return _HEAD[variant].format(
        subject=subject,
        session=f"**{fit(session_title, 200, escape, single_line=True)}**",
        into=into if into is not None else "another question",
        by=escape(by),
    )


def notice_content(
    kind: str,
    detail: dict[str, Any],
    *,
    number: int,
    session_title: str,
    question_text: str,
    escape: Escape,
    by: str = "",
    answer_text: str | None = None,
    link: str | None = None,
) -> str:
    """A notice as sent by direct message: the headline, the question quoted, the moderator's
    reason or the answer, and where to read more; at most 2,000 characters."""
    head = notice_headline(kind, detail, number, session_title, by, escape)
    quote = "> " + fit(question_text, QUOTE, escape, single_line=True)
    tail: list[str] = []
    reason = detail.get("reason")
    if kind == "rejected" and isinstance(reason, str) and reason:
        tail.append("The moderator's reason: " + fit(reason, 300, escape, single_line=True))
    if link:
        tail.append(f"Read it here: <{link}>")
    tail.append("-# /myquestions lists your questions and these messages. /notify off stops them.")
    fixed = [head, quote]
    if answer_text:
        room = CONTENT - sum(len(p) + 2 for p in (*fixed, *tail))
        if room > 20:
            fixed.append(cut_rendered(answer_text, room))
    content = "\n\n".join([*fixed, *tail])
    return content if len(content) <= CONTENT else cut_rendered(content, CONTENT)


_STATUS = {
    "pending": "to be sent",
    "sending": "being sent",
    "sent": "sent by direct message",
    "failed": "not delivered yet, tried again soon",
    "fallback": "shown here (direct messages could not reach you)",
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
    by: str = "",
) -> str:
    """A notice as /myquestions lists it: when, what, and whether it reached the member."""
    head = notice_headline(kind, detail, number, session_title, by, escape)
    reason = detail.get("reason")
    if kind == "rejected" and isinstance(reason, str) and reason:
        head += " Reason: " + fit(reason, 120, escape, single_line=True)
    line = f"{discord_timestamp(created_at, 'R')} · {head} ({_STATUS.get(status, status)})"
    return cut_rendered(line, LINE)


def answer_line(by: str, text: str | None, private: bool, at: datetime, escape: Escape) -> str:
    """An answer as /myquestions shows it to the asker."""
    whose = " (for you only)" if private else ""
    body = cut_rendered(one_line(text or ""), 200)
    return cut_rendered(f"{discord_timestamp(at, 'R')} · {escape(by)}{whose}: {body}", LINE)


# ------------------------------------------------------------------- follow-ups


def followup_body(
    *,
    number: int,
    text: str,
    asker: str,
    votes: int,
    speaker: str | None,
    label: str | None,
    session_title: str,
    escape: Escape,
) -> str:
    """The first message of a follow-up forum post: the question, who asked (or Anonymous),
    its votes and speaker; at most 2,000 characters."""
    votes_text = f"{votes} vote{'s' if votes != 1 else ''}"
    to = escape(speaker) if speaker else "the whole panel"
    facts = f"**#{number}** · asked by {escape(asker)} · {votes_text} · to {to}"
    if label:
        facts += f" · {escape(label)}"
    session = fit(session_title, 200, escape, single_line=True)
    note = (
        f"-# Asked during **{session}** and not answered there. Speakers: reply in this post "
        "to answer; the asker is told, and so is everyone following it."
    )
    room = CONTENT - len(facts) - len(note) - 4
    return f"{facts}\n\n{fit(text, room, escape)}\n\n{note}"


def followup_intro(count: int, forum: str) -> str:
    """What the questions channel is told when the follow-up posts are made."""
    if count == 0:
        return "Every approved question was answered. Thank you all!"
    plural = "s" if count != 1 else ""
    return (
        f"The session is over; {count} question{plural} still open continue in {forum}, "
        "where the speakers can answer them."
    )
