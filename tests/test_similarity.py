"""The similarity index, themes and the labelled pairs (bot/similarity.py, data/*.toml).

Quality and speed figures live in benchmarks/bench_similarity.py; these tests check behaviour.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks._labelled import LABELS as PAIR_LABELS
from benchmarks._labelled import LANGUAGES, choose_threshold, load_pairs, scored
from bot import similarity
from bot.sessions import Label
from bot.similarity import (
    CARD_THRESHOLD,
    HINT_THRESHOLD,
    OPEN_STATES,
    VOTABLE_STATES,
    SimilarityIndex,
    normalize,
    swaps_content,
    themes,
)

FUNDING = "How is the Hongseong public-private partnership funded?"
FUNDING_AGAIN = "how is the hongseong public private partnership funded??"
SCHOOL_MEALS = "What share of the food in Hongseong's school meals is produced locally?"
HOUSING_KO = "타이베이시는 싱룽 사회주택을 설계할 때 주민들을 어떻게 참여시켰나요?"
HOUSING_KO_AGAIN = "타이베이시는 싱룽 사회주택을 설계할때 주민들을 어떻게 참여시켰나요"
HOUSING_ZH = "臺北市在設計興隆社會住宅時，怎麼讓居民參與？"
HOUSING_ZH_AGAIN = "台北市在設計興隆社會住宅時 怎麼讓居民參與"


def index_of(*texts: str, run_id: int = 1, state: str = "approved") -> SimilarityIndex:
    index = SimilarityIndex()
    index.rebuild((i, run_id, i, text, state) for i, text in enumerate(texts, start=1))
    return index


# ------------------------------------------------------------------- normalizing


def test_normalize_folds_case_accents_width_and_punctuation() -> None:
    assert normalize("¿Cómo se FINANCIA?") == "como se financia"
    assert normalize("ＣＯＶＩＤ－１９ 😷 !!") == "covid 19"
    assert normalize("사회주택은?") == "사회주택은"
    assert normalize("臺北市？") == normalize("台北市")  # Hangul kept whole (not split into jamo)
    assert normalize("  \u200b\t ") == ""


# ------------------------------------------------------------------------ the index


def test_a_near_copy_is_found_with_its_number_and_score() -> None:
    index = index_of(FUNDING, SCHOOL_MEALS)
    match = index.similar(1, FUNDING_AGAIN)
    assert match is not None
    assert (match.question_id, match.number, match.state) == (1, 1, "approved")
    assert HINT_THRESHOLD <= match.score <= 1.0
    assert index.similar(1, "How do forest communities protect biodiversity?") is None


def test_update_adds_retexts_and_moves_between_open_states() -> None:
    index = SimilarityIndex()
    index.update(7, 1, 7, SCHOOL_MEALS, "pending")
    assert 7 in index and len(index) == 1
    assert index.similar(1, FUNDING_AGAIN) is None
    index.update(7, 1, 7, FUNDING, "approved")  # a moderator's edit gives it new text
    match = index.similar(1, FUNDING_AGAIN)
    assert match is not None and match.question_id == 7 and match.state == "approved"
    assert index.similar(1, SCHOOL_MEALS) is None
    index.update(7, 1, 7, FUNDING, "live")
    match = index.similar(1, FUNDING_AGAIN)
    assert match is not None and match.state == "live"


@pytest.mark.parametrize("state", ["answered", "merged", "withdrawn", "rejected", "dismissed"])
def test_a_question_that_leaves_the_open_states_is_dropped(state: str) -> None:
    index = index_of(FUNDING, SCHOOL_MEALS)
    index.update(1, 1, 1, FUNDING, state)
    assert 1 not in index
    assert index.similar(1, FUNDING_AGAIN) is None
    index.update(1, 1, 1, FUNDING, "approved")  # requeued or reopened: back again
    assert index.similar(1, FUNDING_AGAIN) is not None


def test_remove_forgets_and_ignores_unknown_ids() -> None:
    index = index_of(FUNDING)
    index.remove(1)
    index.remove(1)
    index.remove(12345)
    assert len(index) == 0
    assert index.similar(1, FUNDING_AGAIN) is None


def test_rebuild_keeps_only_open_questions() -> None:
    index = SimilarityIndex()
    index.rebuild(
        [
            (1, 1, 1, FUNDING, "answered"),
            (2, 1, 2, SCHOOL_MEALS, "pending"),
            (3, 1, 3, FUNDING, "merged"),
        ]
    )
    assert set(index.open_ids(1)) == {2}
    assert index.similar(1, FUNDING_AGAIN) is None


def test_runs_never_see_each_others_questions() -> None:
    index = SimilarityIndex()
    index.update(1, 10, 1, FUNDING, "approved")
    index.update(2, 20, 1, SCHOOL_MEALS, "approved")
    match = index.similar(10, FUNDING_AGAIN)
    assert match is not None and match.question_id == 1
    assert index.similar(20, FUNDING_AGAIN) is None
    assert index.similar(30, FUNDING_AGAIN) is None
    assert index.open_ids(20) == [2]


def test_the_hint_at_ask_never_points_to_a_pending_question() -> None:
    index = index_of(FUNDING, state="pending")
    assert index.similar(1, FUNDING_AGAIN, states=VOTABLE_STATES) is None
    card = index.similar(1, FUNDING_AGAIN, states=OPEN_STATES, threshold=CARD_THRESHOLD)
    assert card is not None and card.state == "pending"


def test_a_question_is_not_its_own_duplicate() -> None:
    index = index_of(FUNDING, SCHOOL_MEALS, FUNDING_AGAIN)
    match = index.similar(1, FUNDING_AGAIN, exclude_id=3)
    assert match is not None and match.question_id == 1
    assert index.similar(1, SCHOOL_MEALS, exclude_id=2) is None


def test_korean_and_chinese_copies_match_within_their_language_only() -> None:
    index = index_of(HOUSING_KO, HOUSING_ZH, FUNDING)
    ko = index.similar(1, HOUSING_KO_AGAIN)
    zh = index.similar(1, HOUSING_ZH_AGAIN)
    assert ko is not None and ko.question_id == 1
    assert zh is not None and zh.question_id == 2
    assert index.score(1, HOUSING_KO_AGAIN, 2) < 0.05  # Korean against Chinese
    assert index.score(1, HOUSING_ZH_AGAIN, 3) < 0.05  # Chinese against English


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200b", "😀😀🙏", "?!¿¡...", "\x00"])
def test_empty_whitespace_and_emoji_text_matches_nothing(text: str) -> None:
    index = index_of(FUNDING, "🙏 " + SCHOOL_MEALS)
    assert index.similar(1, text, threshold=0.0) is None
    index.update(9, 1, 9, text, "approved")  # held, harmless
    assert index.similar(1, FUNDING_AGAIN) is not None
    assert index.similar(1, text, threshold=0.0) is None


def test_threshold_decides_and_the_best_match_wins() -> None:
    index = index_of(FUNDING, SCHOOL_MEALS)
    score = index.score(1, FUNDING_AGAIN, 1)
    assert 0 < score <= 1
    assert index.similar(1, FUNDING_AGAIN, threshold=score) is not None
    assert index.similar(1, FUNDING_AGAIN, threshold=min(1.0, score + 0.001)) is None
    middling = "How is the Hongseong partnership governed?"
    low = index.score(1, middling, 1)
    assert index.score(1, middling, 2) < low
    match = index.similar(1, middling, threshold=low)
    assert match is not None and match.question_id == 1


def test_a_swapped_content_word_is_a_different_question() -> None:
    local = "What role should local governments play in the social and solidarity economy?"
    national = "What role should national governments play in the social and solidarity economy?"
    assert swaps_content(normalize(local), normalize(national))
    assert not swaps_content(normalize(FUNDING), normalize(FUNDING_AGAIN))  # punctuation only
    typo = "What role should local goverments play in the social and solidarity economy?"
    assert not swaps_content(normalize(local), normalize(typo))  # a typo is no swap
    assert swaps_content(
        normalize("地方政府應該扮演什麼角色？"), normalize("中央政府應該扮演什麼角色？")
    )
    index = index_of(local)
    assert index.similar(1, national) is None
    assert index.similar(1, typo) is not None


def test_scores_hold_across_buffer_merges_and_epochs() -> None:
    rng = random.Random(3)
    words = [
        "cooperative",
        "housing",
        "county",
        "farmers",
        "water",
        "coaches",
        "youth",
        "women",
        "data",
        "fund",
    ]
    index = SimilarityIndex()
    texts = {}
    for qid in range(1, 700):  # past BUFFER_DOCS and several epochs
        text = " ".join(rng.sample(words, 5)) + f" number {qid}"
        texts[qid] = text
        index.update(qid, 1, qid, text, "approved")
        if qid % 7 == 0:
            index.update(qid - 3, 1, qid - 3, texts[qid - 3], "answered")
    held = set(index.open_ids(1))
    assert len(held) == 699 - 99
    fresh = SimilarityIndex()
    fresh.rebuild((qid, 1, qid, texts[qid], "approved") for qid in held)
    for qid in rng.sample(sorted(held), 25):
        got = index.similar(1, texts[qid], threshold=0.99)
        assert got is not None and got.question_id == qid
        assert abs(index.score(1, texts[qid], qid) - 1.0) < 1e-3
    for qid in sorted(set(texts) - held)[:10]:
        match = index.similar(1, texts[qid], threshold=0.99)
        assert match is None or match.question_id != qid


# ---------------------------------------------------------------------------- themes


@dataclass(frozen=True)
class Q:
    id: int
    number: int
    text: str
    votes: int = 0
    label_id: str | None = None


HOUSING = [
    "How did Taipei involve residents in designing the Xinglong social housing?",
    "How many units does the Xinglong social housing in Taipei have?",
    "Is the green building label required for all social housing in Taipei?",
    "Who decides who gets a social housing flat in Taipei?",
]
HEALTH = [
    "Does the community health centre charge fees to older residents?",
    "How do health coaches reach people who don't use smartphones?",
    "Who funds the health coaches at the community health centre?",
    "What training do the health coaches receive?",
]
SESSION_LABELS = [
    Label(id="housing", name="Social housing", description="Social housing in Taipei"),
    Label(id="health", name="Health care", description="Community health coaches and centres"),
]


def theme_questions() -> list[Q]:
    texts = HOUSING + HEALTH
    return [Q(i, i, t, votes=(i * 7) % 5) for i, t in enumerate(texts, start=1)]


def test_themes_group_by_topic_with_top_representatives_label_and_terms() -> None:
    found = themes(theme_questions(), SESSION_LABELS, k=2, seed=1)
    assert sorted(t.size for t in found) == [4, 4]
    by_label = {t.label_id: t for t in found}
    assert set(by_label) == {"housing", "health"}
    housing = by_label["housing"]
    assert {q.text for q in housing.questions} == set(HOUSING)
    assert housing.top == max(housing.questions, key=lambda q: (q.votes, -q.number))
    assert len(housing.representatives) == 3
    assert set(housing.representatives) <= set(housing.questions)
    assert "housing" in housing.terms or "taipei" in [t.lower() for t in housing.terms]
    assert any(t.lower().startswith("health") or t == "coaches" for t in by_label["health"].terms)


def test_themes_are_the_same_for_a_seed_in_any_order() -> None:
    questions = theme_questions()
    first = themes(questions, SESSION_LABELS, seed=4)
    shuffled = questions[:]
    random.Random(9).shuffle(shuffled)
    again = themes(shuffled, SESSION_LABELS, seed=4)
    assert [[q.id for q in t.questions] for t in first] == [
        [q.id for q in t.questions] for t in again
    ]
    assert [t.terms for t in first] == [t.terms for t in again]


def test_moderators_labels_outweigh_words() -> None:
    questions = [
        Q(q.id, q.number, q.text, q.votes, "health" if q.text in HOUSING else None)
        for q in theme_questions()
    ]
    found = themes(questions, SESSION_LABELS, k=2, seed=1)
    housing = next(t for t in found if {q.text for q in t.questions} == set(HOUSING))
    assert (housing.label_id, housing.label_source) == ("health", "moderators")


def test_themes_of_nothing_one_question_and_emoji_only() -> None:
    assert themes([], SESSION_LABELS) == []
    one = themes([Q(1, 1, "How are the health coaches paid?")], SESSION_LABELS)
    assert len(one) == 1 and one[0].size == 1 and one[0].top.number == 1
    assert themes([Q(1, 1, "🙏🙏"), Q(2, 2, "   ")], SESSION_LABELS) == []
    same = themes([Q(i, i, "Same text?") for i in range(1, 6)], k=3)
    assert sum(t.size for t in same) == 5


def test_default_theme_count_is_a_handful() -> None:
    assert similarity.default_theme_count(0) == 0
    assert similarity.default_theme_count(1) == 1
    assert similarity.default_theme_count(7) == 2
    assert similarity.default_theme_count(100) == 6
    assert similarity.default_theme_count(100_000) == similarity.MAX_THEMES


# ---------------------------------------------------------------------- labelled set


def test_the_labelled_set_has_300_pairs_in_four_languages() -> None:
    pairs = load_pairs()
    assert len(pairs) >= 300
    assert len({p.id for p in pairs}) == len(pairs)
    for lang in LANGUAGES:
        mine = [p for p in pairs if p.lang == lang]
        assert len(mine) >= 75, lang
        for label in PAIR_LABELS:
            assert any(p.label == label for p in mine), (lang, label)
        for part in ("tune", "test"):
            assert sum(p.part == part and p.label == "same" for p in mine) >= 15
    assert all(p.a.strip() and p.b.strip() and p.a != p.b for p in pairs)
    assert any("\uac00" <= ch <= "\ud7af" for p in pairs if p.lang == "ko" for ch in p.a)
    assert any("\u4e00" <= ch <= "\u9fff" for p in pairs if p.lang == "zh-Hant" for ch in p.a)


@pytest.mark.timeout(30)
def test_the_thresholds_are_the_ones_the_tuning_part_gives() -> None:
    tune = scored(load_pairs(), "tune")
    assert choose_threshold(tune, 0.9) == HINT_THRESHOLD
    assert choose_threshold(tune, 0.75) == CARD_THRESHOLD


# ------------------------------------------------------------- what the bot says


def test_texts_for_discord_stay_within_its_limits_and_escape_user_text() -> None:
    import discord

    from bot import similarity_text as st

    escape = discord.utils.escape_markdown
    long = "**bold** _x_ " + "palabra " * 800
    hint = st.hint_text(7, long, escape)
    assert len(hint) <= 2000 and "#7" in hint and "\\*\\*bold\\*\\*" in hint
    assert st.vote_instead_label(7) == "Vote for #7 instead"
    assert st.merge_label(12345) == "Merge into #12345"
    note = st.duplicate_note(7, long, escape)
    assert len(note) <= 1024 and note.startswith("Possible duplicate of #7")
    many = [
        Q(i, i, f"{long} {i}", votes=i, label_id="housing" if i % 2 else None)
        for i in range(1, 200)
    ]
    found = themes(many, SESSION_LABELS, k=8, seed=2)
    text = st.themes_description(found, {lab.id: lab.name for lab in SESSION_LABELS}, escape)
    assert len(text) <= 4096
    assert text.startswith("199 open questions in")
    assert st.themes_description([], {}, escape) == "No open questions to group yet."
    tight = st.themes_description(found, {}, escape, limit=600)
    assert len(tight) <= 600 and "more theme" in tight


async def test_load_open_reads_a_runs_open_questions(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bot.questions import QuestionService
    from bot.sessions import load_session
    from bot.storage import repository as repo
    from bot.storage import similarity_repo
    from bot.storage.database import Database
    from tests.report_fixture import GSEF

    session = load_session(GSEF)
    now = datetime(2021, 10, 4, 9, 30, tzinfo=UTC)
    db = Database(tmp_path / "qa.sqlite3")
    await db.open()
    try:

        async def prepare(conn):  # type: ignore[no-untyped-def]
            await repo.upsert_session(conn, session, now)
            run = await repo.real_run(conn, session.id, now)
            await repo.set_intake_override(conn, run.id, "open", None, now)
            return run

        run = await db.write(prepare)
        run = await db.read(lambda conn: repo.get_run(conn, run.id))
        qs = QuestionService(db, lambda: now)
        a = await qs.ask(session, run, 1, "Ana", FUNDING)
        b = await qs.ask(session, run, 2, "Bo", SCHOOL_MEALS)
        c = await qs.ask(session, run, 3, "Cy", HOUSING_KO)
        await qs.approve(run.id, b.number, 9, "mod")
        await qs.reject(run.id, c.number, 9, "mod")
        rows = await db.read(lambda conn: similarity_repo.load_open(conn, run.id))
        assert rows == [
            (a.id, run.id, a.number, FUNDING, "pending"),
            (b.id, run.id, b.number, SCHOOL_MEALS, "approved"),
        ]
        assert await db.read(similarity_repo.load_all_open) == rows
        index = SimilarityIndex()
        index.rebuild(rows)
        match = index.similar(run.id, FUNDING_AGAIN, states=VOTABLE_STATES)
        assert match is None  # #1 is still pending: not shown to an asker
        assert index.similar(run.id, FUNDING_AGAIN) is not None
        themed = await db.read(lambda conn: similarity_repo.theme_rows(conn, run.id))
        assert [(t.number, t.state) for t in themed] == [(b.number, "approved")]
    finally:
        await db.close()
