"""Plan the follow-up forum posts of a session that has ended: pure, no database, no Discord.

Each approved question still unanswered (approved, or live and never marked answered) becomes
one post in the session's follow-up forum: its title "#N question…" (at most 100 characters), a
first message with the question, who asked it (or Anonymous), its votes and speaker (in each of
the session's languages), and tags for
its speaker and label. Discord allows a forum at most 20 tags of at most 20 characters each,
and a post at most 5 of them: `forum_tags` works out the tags the forum needs, keeping the ones
it has, and each post uses at most two (its speaker's and its label's).

Posts are planned least voted first: a forum lists the newest post first, so the most voted
question is made last and shows at the top.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.answers_text import TAG_NAME, Escape, followup_body, tag_name, thread_title
from bot.i18n import Text, msg
from bot.sessions import Session
from bot.states import UNANSWERED
from bot.storage.questions_repo import Question

#: Tags a forum channel holds at most, and a post carries at most.
FORUM_TAGS = 20
POST_TAGS = 5


@dataclass(frozen=True, slots=True)
class ForumTags:
    """The tags a follow-up forum should have: the ones it has first, then the session's labels
    and speakers, at most 20 in all; `new` are those to add."""

    names: tuple[str, ...]
    new: tuple[str, ...]
    by_speaker: dict[str, str] = field(default_factory=dict)
    by_label: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FollowupPost:
    """One forum post to make."""

    question_id: int
    number: int
    title: str
    body: str
    tags: tuple[str, ...]


def _unique(name: str, taken: set[str]) -> str | None:
    """A tag name for `name` that no other tag has (a number added when two cut alike)."""
    candidate = tag_name(name)
    if not candidate:
        return None  # nothing visible to name it by
    if candidate.casefold() not in taken:
        return candidate
    for n in range(2, 100):
        suffix = f" {n}"
        candidate = tag_name(name)[: TAG_NAME - len(suffix)].rstrip() + suffix
        if candidate.casefold() not in taken:
            return candidate
    return None


def forum_tags(session: Session, existing: Sequence[str] = (), *, add: bool = True) -> ForumTags:
    """The tags the follow-up forum needs: the forum's own first (reused when a label or a
    speaker has the same name), then one per label, then one per speaker, while there is room
    for 20. `add=False`: the forum's own only (the bot may not change the forum's tags)."""
    names = list(dict.fromkeys(existing))[:FORUM_TAGS]
    have = {n.casefold(): n for n in names}
    taken = set(have)
    new: list[str] = []
    by_label: dict[str, str] = {}
    by_speaker: dict[str, str] = {}
    wanted: list[tuple[str, str, str]] = [
        ("label", lab.id, lab.name) for lab in session.spec.labels
    ]
    wanted += [("speaker", s.id, s.name) for s in session.spec.speakers]
    for kind, key, name in wanted:
        target = by_label if kind == "label" else by_speaker
        same = have.get(tag_name(name).casefold())
        if same is not None:  # the forum has this tag already
            target[key] = same
            continue
        if not add or len(names) >= FORUM_TAGS:
            continue
        made = _unique(name, taken)
        if made is None:
            continue
        taken.add(made.casefold())
        names.append(made)
        new.append(made)
        target[key] = made
    return ForumTags(tuple(names), tuple(new), by_speaker, by_label)


def followups(
    questions: Iterable[Question],
    session: Session,
    escape: Escape,
    *,
    existing_tags: Sequence[str] = (),
    tags: ForumTags | None = None,
) -> list[FollowupPost]:
    """The forum posts to make for these questions: each one still unanswered, least voted
    first (so the most voted shows first in the forum)."""
    tags = tags or forum_tags(session, existing_tags)
    speakers = {s.id: s.name for s in session.spec.speakers}
    labels = {lab.id: lab.name for lab in session.spec.labels}
    owed = sorted(
        (q for q in questions if q.state in UNANSWERED), key=lambda q: (q.votes, -q.number)
    )
    posts = []
    for q in owed:
        post_tags = [
            name
            for name in (
                tags.by_speaker.get(q.speaker_id or ""),
                tags.by_label.get(q.label_id or ""),
            )
            if name is not None
        ][:POST_TAGS]
        asker: Text = msg("Anonymous") if q.anonymous else (q.author_name or msg("a participant"))
        posts.append(
            FollowupPost(
                question_id=q.id,
                number=q.number,
                title=thread_title(q.number, q.text),
                body=followup_body(
                    number=q.number,
                    text=q.text,
                    asker=asker,
                    votes=q.votes,
                    speaker=speakers.get(q.speaker_id or "", q.speaker_id),
                    label=labels.get(q.label_id or "", q.label_id),
                    session_title=session.title,
                    escape=escape,
                    languages=session.languages,
                ),
                tags=tuple(dict.fromkeys(post_tags)),
            )
        )
    return posts
