"""Follow-up posts and every answer and notice text within Discord's limits, whatever people
typed: long texts, Chinese and Korean, markdown, emoji made of several code points."""

from __future__ import annotations

from datetime import UTC, datetime

from discord.utils import escape_markdown
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answers_text import (
    ANSWER_MAX,
    LINE,
    answer_line,
    answer_post,
    clean_cut,
    fit,
    modal_title,
    notice_content,
    notice_line,
    thread_title,
)
from bot.followups import FORUM_TAGS, POST_TAGS, followups, forum_tags
from bot.limits import (
    CONTENT,
    MODAL_TITLE,
    THREAD_NAME,
    ends_in_stray_backslash,
    message_payload_problems,
    thread_name_problems,
)
from bot.sessions import Label, Session, Speaker, load_session
from bot.storage.questions_repo import Question
from tests.conftest import GSEF

NOW = datetime(2021, 10, 4, 10, 30, tzinfo=UTC)
GSEF_SESSION = load_session(GSEF)

# what people type: any text, with the characters that make trouble over-represented
TRICKY = st.sampled_from(
    [
        "*", "_", "`", "~", "|", ">", "\\", "[x](http://a)", "# ", "-# ", "\n", "  ",
        "사회주택", "青年参与", "é", "e\u0301", "👍🏽", "👨‍👩‍👧", "🇰🇷", "\u200b", "\u0000",
        "@everyone", "<@123>", "\u202e",
    ]
)  # fmt: skip
TEXT = st.lists(st.one_of(st.text(max_size=30), TRICKY), max_size=400).map("".join)
NAME = st.lists(st.one_of(st.text(min_size=1, max_size=20), TRICKY), min_size=1, max_size=40).map(
    lambda parts: ("".join(parts).strip() or "x")[:256]
)
KINDS = st.sampled_from(["approved", "rejected", "merged", "live", "answered", "followup"])
ROLES = st.sampled_from(["asker", "co-asker", "follower"])
SLOW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def question(number: int, text: str, **kw: object) -> Question:
    fields: dict[str, object] = {
        "id": number,
        "run_id": 1,
        "number": number,
        "text": text,
        "state": "approved",
        "votes": 0,
        "anonymous": False,
        "author_id": 10_000 + number,
        "author_name": f"asker{number}",
        "speaker_id": None,
        "label_id": None,
        "asked_at": NOW,
        "updated_at": NOW,
    }
    fields.update(kw)
    return Question(**fields)  # type: ignore[arg-type]


def session_with(labels: list[str], speakers: list[str]) -> Session:
    spec = GSEF_SESSION.spec.model_copy(
        update={
            "labels": tuple(
                Label(id=f"label-{i}", name=name[:100]) for i, name in enumerate(labels)
            ),
            "speakers": tuple(Speaker(id=f"sp-{i}", name=name) for i, name in enumerate(speakers)),
        }
    )
    return Session(spec, GSEF)


# -------------------------------------------------------------------- follow-ups


@SLOW
@given(
    texts=st.lists(TEXT.filter(lambda t: t.strip()), min_size=1, max_size=6),
    numbers=st.lists(st.integers(1, 10**9), min_size=6, max_size=6, unique=True),
    labels=st.lists(NAME, max_size=30),
    speakers=st.lists(NAME, max_size=30),
    existing=st.lists(st.text(min_size=1, max_size=20), max_size=25),
    anonymous=st.booleans(),
)
def test_follow_up_posts_keep_every_limit(
    texts: list[str],
    numbers: list[int],
    labels: list[str],
    speakers: list[str],
    existing: list[str],
    anonymous: bool,
) -> None:
    session = session_with(labels, speakers)
    qs = [
        question(
            numbers[i],
            text,
            anonymous=anonymous,
            author_name=None if anonymous else "Secret Name",
            speaker_id=f"sp-{i}" if i < len(speakers) else None,
            label_id=f"label-{i}" if i < len(labels) else None,
            votes=i,
        )
        for i, text in enumerate(texts)
    ]
    tags = forum_tags(session, existing)
    assert len(tags.names) <= max(FORUM_TAGS, 0)
    assert all(len(name) <= 20 and name.strip() for name in tags.names[len(set(existing)) :])
    new = [n.casefold() for n in tags.new]
    assert len(new) == len(set(new))
    assert not set(new) & {e.casefold() for e in existing}
    posts = followups(qs, session, escape_markdown, tags=tags)
    assert len(posts) == len(qs)
    for post in posts:
        assert post.title.startswith(f"#{post.number} ")
        assert thread_name_problems(post.title) == []
        assert "\n" not in post.title
        assert message_payload_problems({"content": post.body}) == []
        assert not ends_in_stray_backslash(post.body)
        assert len(post.tags) <= POST_TAGS and set(post.tags) <= set(tags.names)
        if anonymous:
            assert "Anonymous" in post.body and "Secret Name" not in post.body


def test_a_forum_holds_twenty_tags_and_keeps_its_own() -> None:
    session = session_with([f"Label {i}" for i in range(15)], [f"Speaker {i}" for i in range(15)])
    tags = forum_tags(session, ["Label 3", "Old tag"])
    assert len(tags.names) == 20 and tags.names[:2] == ("Label 3", "Old tag")
    assert tags.by_label["label-3"] == "Label 3"  # reused, not made twice
    assert "Label 3" not in tags.new and len(tags.new) == 18
    own = forum_tags(session, ["Label 3", "Old tag"], add=False)
    assert own.names == ("Label 3", "Old tag") and own.new == ()
    assert own.by_label == {"label-3": "Label 3"} and own.by_speaker == {}
    full = forum_tags(session, [f"t{i}" for i in range(20)])
    assert full.new == () and full.by_label == {} and full.by_speaker == {}


def test_tags_cut_to_twenty_characters_stay_distinct() -> None:
    session = session_with(
        ["Public-private partnership in housing", "Public-private partnership in health"], []
    )
    tags = forum_tags(session)
    first, second = tags.by_label["label-0"], tags.by_label["label-1"]
    assert first != second and len(first) <= 20 and len(second) <= 20
    assert first == "Public-private…" and second.endswith(" 2")


def test_only_questions_still_owed_become_posts() -> None:
    qs = [
        question(1, "open", state="approved"),
        question(2, "on screen, never marked answered", state="live"),
        question(3, "done", state="answered"),
        question(4, "waiting", state="pending"),
        question(5, "gone", state="merged"),
    ]
    assert [p.number for p in followups(qs, GSEF_SESSION, escape_markdown)] == [2, 1]


def test_titles_are_cut_cleanly() -> None:
    words = "How do residents take part in designing the social housing of their own city " * 3
    title = thread_title(12, words)
    assert len(title) <= THREAD_NAME and title.endswith("…")
    assert title[:-1].split(" ")[-1] in words.split(" ")  # a whole word before the ellipsis
    chinese = thread_title(7, "青年参与社会住房的计划如何评估" * 10)
    assert len(chinese) == THREAD_NAME and chinese.startswith("#7 青年")
    family = "👨‍👩‍👧" * 40  # seven code points each, joined
    cut = clean_cut(family, 30)
    assert len(cut) <= 30 and cut[:-1].endswith("👧") and cut.count("\u200d") % 2 == 0
    flags = clean_cut("🇰🇷" * 30, 10)
    assert len(flags) <= 10 and (len(flags) - 1) % 2 == 0  # whole flags only
    accents = clean_cut("e\u0301" * 30, 9)
    assert not accents[:-1].endswith("e")  # never a letter without its accent
    assert thread_title(3, "line one\nline two\ttab") == "#3 line one line two tab"


@given(text=TEXT, limit=st.integers(1, 300))
def test_fit_keeps_escaped_text_within_its_limit(text: str, limit: int) -> None:
    shown = fit(text, limit, escape_markdown)
    assert len(shown) <= limit and not ends_in_stray_backslash(shown)


# ----------------------------------------------------------------------- notices


@SLOW
@given(
    kind=KINDS,
    role=ROLES,
    private=st.booleans(),
    text=TEXT,
    answer=st.text(max_size=4000),
    reason=TEXT,
    by=NAME,
    title=NAME,
    number=st.integers(1, 10**9),
)
def test_every_notice_fits_one_message(
    kind: str,
    role: str,
    private: bool,
    text: str,
    answer: str,
    reason: str,
    by: str,
    title: str,
    number: int,
) -> None:
    detail: dict[str, object] = {"as": role}
    if kind in ("answered", "followup"):
        detail.update(answer=1, private=private)
    if kind == "rejected":
        detail["reason"] = reason
    if kind == "merged":
        detail["into"] = number + 1
    content = notice_content(
        kind,
        detail,
        number=number,
        session_title=title,
        question_text=text * 10,
        escape=escape_markdown,
        by=by,
        answer_text=answer if kind in ("answered", "followup") else None,
        link="https://discord.com/channels/1/2/3",
    )
    assert message_payload_problems({"content": content}) == []
    assert f"#{number}" in content
    line = notice_line(
        kind,
        detail,
        "fallback",
        NOW,
        number=number,
        session_title=title,
        escape=escape_markdown,
        by=by,
    )
    assert len(line) <= LINE


@SLOW
@given(by=NAME, text=st.text(min_size=1, max_size=ANSWER_MAX))
def test_an_answer_post_fits_one_message(by: str, text: str) -> None:
    assert len(answer_post(by, text, escape_markdown)) <= CONTENT
    assert len(answer_line(by, text, True, NOW, escape_markdown)) <= LINE


def test_modal_titles_fit() -> None:
    for number in (1, 10**9):
        assert len(modal_title(number)) <= MODAL_TITLE
        assert len(modal_title(number, edit=True)) <= MODAL_TITLE
