"""The similarity index, themes and the labelled pairs (bot/similarity.py, data/*.toml).

Quality and speed figures live in benchmarks/bench_similarity.py; these tests check behaviour.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks._labelled import LABELS as PAIR_LABELS
from benchmarks._labelled import (
    LANGUAGES,
    choose_knobs,
    choose_threshold,
    load_pairs,
    number_of,
    parts_of,
    scored,
    split,
    wilson,
    with_knobs,
)
from bot import similarity
from bot.sessions import Label
from bot.similarity import (
    CARD_THRESHOLD,
    CONTRAST_FACTOR,
    HINT_THRESHOLD,
    LEFTOVER_POWER,
    OPEN_STATES,
    VOTABLE_STATES,
    SimilarityIndex,
    discount,
    left_over,
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


def left(a: str, b: str) -> tuple[float, float]:
    return left_over(normalize(a), normalize(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # another order, another ending, a typo, words split or joined, greetings and framing
        (
            "What happens to a member's savings if she loses her job?",
            "If a member loses her job, what happens to her savings?",
        ),
        (
            "How are migrant workers exploited by recruitment agencies?",
            "in what ways do recruitment agencies exploit migrant workers?",
        ),
        (
            "What is the repayment rate of the microcredit programmes?",
            "whats the repayment rate for these micro credit programs",
        ),
        (
            "How can governments make public procurement open to cooperatives?",
            "Thank you! How can goverments make public procurment open to cooperatives?",
        ),
        (
            "¿Los coaches de salud también dan consejos sobre alimentación?",
            "los coach de salud dan consejos de alimentacion tambien?",
        ),
        (
            "지역사회 헬스케어 서비스는 농촌 지역에서도 이용할 수 있나요?",
            "좋은 발표 감사합니다. 지역사회 헬스케어 서비스를 농촌 지역에서도 이용할 수 있나요?",
        ),
        (
            "臺北市在設計興隆社會住宅時，怎麼讓居民參與？",
            "請問台北市在設計興隆社會住宅時怎麼讓居民參與",
        ),
    ],
)
def test_rewordings_with_the_same_content_leave_nothing_over(a: str, b: str) -> None:
    assert left(a, b) == (0.0, 0.0)
    assert discount(normalize(a), normalize(b)) == 1.0
    assert not swaps_content(normalize(a), normalize(b))


@pytest.mark.parametrize(
    ("a", "b", "both"),
    [
        (
            "How is the Hongseong public-private partnership funded?",
            "How is the Hongseong public-private partnership governed?",
            True,
        ),
        ("農村婦女如何參與食物合作社？", "農村青年如何參與食物合作社？", True),
        (
            "농촌 여성은 먹거리 협동조합에 어떻게 참여하나요?",
            "농촌 청년은 먹거리 협동조합에 어떻게 참여하나요?",
            True,
        ),
        ("Will session 2 be recorded?", "Will session 3 be recorded?", True),
        (
            "How are migrant workers exploited by recruitment agencies?",
            "How can migrant workers report recruitment agencies that exploit them?",
            False,
        ),
    ],
)
def test_content_one_text_lacks_lowers_the_score(a: str, b: str, both: bool) -> None:
    left_a, left_b = left(a, b)
    assert max(left_a, left_b) > 0
    assert (left_a > 0 and left_b > 0) == both
    assert swaps_content(normalize(a), normalize(b)) == both
    factor = discount(normalize(a), normalize(b))
    expected = (1 - max(left_a, left_b)) ** LEFTOVER_POWER * (CONTRAST_FACTOR if both else 1.0)
    assert factor == pytest.approx(expected)
    assert factor < 1.0


def test_left_over_counts_the_share_of_content_in_characters() -> None:
    a = "Do the health coaches give advice about food?"
    b = "Do the health coaches give advice about food and exercise?"
    left_a, left_b = left(a, b)
    assert left_a == 0
    # content of b: health coaches give advice food exercise (6+7+4+6+4+8 characters)
    assert left_b == pytest.approx(8 / 35)
    assert left(a, a) == (0.0, 0.0)
    assert left("", a) == (0.0, 1.0)
    assert left("🙏", "the and of") == (0.0, 0.0)  # nothing of content on either side


def test_the_score_is_the_cosine_lowered_by_the_discount() -> None:
    swapped = "How is the Hongseong public-private partnership governed?"
    index = index_of(FUNDING, SCHOOL_MEALS)
    for text in (FUNDING_AGAIN, swapped, SCHOOL_MEALS):
        cosine = index.cosine(1, text, 1)
        assert index.score(1, text, 1) == pytest.approx(
            cosine * discount(normalize(text), normalize(FUNDING))
        )
        assert index.score(1, text, 1) <= cosine
    assert index.cosine(1, swapped, 1) > HINT_THRESHOLD  # close by its words...
    assert index.similar(1, swapped) is None  # ...but asks something else
    assert index.cosine(1, FUNDING, 99) == 0.0 and index.cosine(2, FUNDING, 1) == 0.0


def test_the_best_match_is_the_best_after_the_discount() -> None:
    # the swapped question shares more of its n-grams with the new one (a higher cosine), but
    # the misspelt one asks the same thing
    new = "How does the county fund the consumer cooperatives in Hongseong today?"
    swapped = "How does the county tax the consumer cooperatives in Hongseong today?"
    reworded = "how does the countyy fund the consumer cooperativs in hongsong todya"
    index = index_of(swapped, reworded, "What do the health coaches do?")
    assert index.cosine(1, new, 1) > index.cosine(1, new, 2)
    match = index.similar(1, new)
    assert match is not None and match.question_id == 2
    assert match.score == pytest.approx(index.score(1, new, 2), abs=1e-4)


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


def test_the_labelled_set_has_600_pairs_balanced_over_four_languages() -> None:
    pairs = load_pairs()
    assert len(pairs) >= 600
    assert len({p.id for p in pairs}) == len(pairs)
    for lang in LANGUAGES:
        mine = [p for p in pairs if p.lang == lang]
        assert len(mine) == len(pairs) // len(LANGUAGES), lang
        for label in PAIR_LABELS:
            assert any(p.label == label for p in mine), (lang, label)
        for part in ("tune", "test"):
            assert sum(p.part == part and p.label == "same" for p in mine) >= 30
            assert sum(p.part == part and p.label == "related" for p in mine) >= 30
    assert all(p.a.strip() and p.b.strip() and p.a != p.b for p in pairs)
    assert all(p.id.startswith(p.lang + "-") for p in pairs)
    assert any("\uac00" <= ch <= "\ud7af" for p in pairs if p.lang == "ko" for ch in p.a)
    assert any("\u4e00" <= ch <= "\u9fff" for p in pairs if p.lang == "zh-Hant" for ch in p.a)


def test_a_pair_number_is_one_question_in_four_languages_in_one_part() -> None:
    pairs = load_pairs()
    by_number: dict[str, list] = {}
    for p in pairs:
        by_number.setdefault(number_of(p.id), []).append(p)
    for number, group in by_number.items():
        assert sorted(p.lang for p in group) == sorted(LANGUAGES), number
        assert len({p.label for p in group}) == 1, number
        assert len({p.part for p in group}) == 1, number
    for label in PAIR_LABELS:
        mine = [n for n, g in by_number.items() if g[0].label == label]
        tune = sum(by_number[n][0].part == "tune" for n in mine)
        assert tune == len(mine) // 2, label


def test_the_split_depends_on_the_numbers_alone() -> None:
    numbers = {"same": {f"{n:03d}" for n in range(1, 41)}, "related": {"041", "042", "043"}}
    first = split(numbers)
    assert first == split({k: set(sorted(v, reverse=True)) for k, v in numbers.items()})
    assert sum(first[n] == "tune" for n in numbers["same"]) == 20
    assert sum(first[n] == "tune" for n in numbers["related"]) == 1
    # adding pairs under another label moves nothing
    more = split({**numbers, "unrelated": {"900", "901"}})
    assert all(more[n] == first[n] for n in first)


def test_wilson_interval() -> None:
    low, high = wilson(6, 6)
    assert round(low, 2) == 0.61 and high == pytest.approx(1.0)
    low, high = wilson(7, 8)
    assert (round(low, 2), round(high, 2)) == (0.53, 0.98)
    assert wilson(0, 0) == (0.0, 1.0)


def test_choose_threshold_falls_back_to_the_highest_precision() -> None:
    pairs = [p for p in load_pairs() if p.part == "tune"]
    same = [p for p in pairs if p.label == "same"][:3]
    other = [p for p in pairs if p.label == "related"][:2]
    scores = [(0.95, other[0]), (0.9, same[0]), (0.8, same[1]), (0.7, other[1]), (0.6, same[2])]
    assert choose_threshold(scores, 0.6) == 0.01  # 3 of 5 at the lowest
    assert choose_threshold(scores, 0.65) == 0.71  # 2 of 3
    assert choose_threshold(scores, 0.9) == 0.71  # never reached: the highest (2 of 3), lowest
    assert choose_threshold([(0.9, other[0])], 0.9) == 1.0  # no right hint at all


@pytest.mark.timeout(60)
def test_the_knobs_and_thresholds_are_the_ones_the_tuning_part_gives() -> None:
    pairs = load_pairs()
    rows = parts_of(pairs, "tune")
    assert {r.pair.part for r in rows} == {"tune"}
    kept, tried = choose_knobs(rows, 0.9)
    assert (kept.contrast, kept.power) == (CONTRAST_FACTOR, LEFTOVER_POWER)
    assert len(tried) == 20
    tune = with_knobs(rows, CONTRAST_FACTOR, LEFTOVER_POWER)
    assert choose_threshold(tune, 0.9) == HINT_THRESHOLD
    assert choose_threshold(tune, 0.75) == CARD_THRESHOLD
    # the parts give exactly what the index gives
    by_id = {p.id: s for s, p in scored(pairs, "tune")}
    assert all(abs(by_id[p.id] - s) < 1e-9 for s, p in tune)


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
