"""The labelled question pairs (data/similar_questions.toml) and how the hint is judged on them.

Scoring follows the bot: for each part (tune, test) and language, one run's index holds the
distinct `a` questions of that part's pairs as open questions; each `b` is then scored against
its own `a` by `SimilarityIndex.score`, as a new question at /ask would be (inverse document
frequencies from that run's open questions). A pair counts as a hit when its score reaches the
threshold; "same" pairs are the positives, "related" and "unrelated" the negatives.

A threshold is chosen on the tuning part only: the lowest value on a 0.01 grid whose precision
on the tuning part reaches the target.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.similarity import SimilarityIndex

PAIRS_FILE = Path(__file__).resolve().parent.parent / "data" / "similar_questions.toml"
LANGUAGES = ("en", "es", "ko", "zh-Hant")
LABELS = ("same", "related", "unrelated")


@dataclass(frozen=True, slots=True)
class Pair:
    id: str
    lang: str
    label: str
    part: str
    theme: str
    a: str
    b: str


@dataclass(frozen=True, slots=True)
class Measure:
    threshold: float
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    def text(self) -> str:
        return (
            f"precision {self.precision:.2f} ({self.tp} of {self.tp + self.fp} hints right), "
            f"recall {self.recall:.2f} ({self.tp} of {self.tp + self.fn} same pairs)"
        )


def number_of(pair_id: str) -> str:
    """The pair's number, shared by its four languages: "zh-Hant-043" -> "043"."""
    return pair_id.rsplit("-", 1)[1]


def split(numbers_by_label: dict[str, set[str]]) -> dict[str, str]:
    """The part of each pair number: within each label, numbers ranked by the SHA-256 of
    "similar-questions/<number>", the first half "tune", the rest "test". Fixed before any
    pair was scored; it depends on nothing but the numbers."""
    part: dict[str, str] = {}
    for numbers in numbers_by_label.values():
        ranked = sorted(
            numbers,
            key=lambda n: hashlib.sha256(f"similar-questions/{n}".encode()).hexdigest(),
        )
        half = len(ranked) // 2
        for i, number in enumerate(ranked):
            part[number] = "tune" if i < half else "test"
    return part


def load_pairs(path: Path = PAIRS_FILE) -> list[Pair]:
    rows = tomllib.loads(path.read_text("utf-8"))["pairs"]
    numbers: dict[str, set[str]] = {}
    for row in rows:
        numbers.setdefault(row["label"], set()).add(number_of(row["id"]))
    part = split(numbers)
    return [Pair(**row, part=part[number_of(row["id"])]) for row in rows]


def scored(pairs: list[Pair], part: str) -> list[tuple[float, Pair]]:
    """Score each pair of a part as the bot's index would (see the module docstring)."""
    out: list[tuple[float, Pair]] = []
    for run_id, lang in enumerate(LANGUAGES, start=1):
        chosen = [p for p in pairs if p.part == part and p.lang == lang]
        texts = list(dict.fromkeys(p.a for p in chosen))
        ids = {text: i for i, text in enumerate(texts, start=1)}
        index = SimilarityIndex()
        index.rebuild((ids[t], run_id, ids[t], t, "approved") for t in texts)
        out.extend((index.score(run_id, p.b, ids[p.a]), p) for p in chosen)
    return out


def measure(scores: list[tuple[float, Pair]], threshold: float) -> Measure:
    tp = sum(1 for s, p in scores if s >= threshold and p.label == "same")
    fp = sum(1 for s, p in scores if s >= threshold and p.label != "same")
    fn = sum(1 for s, p in scores if s < threshold and p.label == "same")
    return Measure(threshold, tp, fp, fn)


def choose_threshold(scores: list[tuple[float, Pair]], precision: float) -> float:
    """The lowest threshold on a 0.01 grid whose precision reaches `precision` (and that gives
    at least one hint)."""
    for step in range(1, 101):
        threshold = step / 100
        m = measure(scores, threshold)
        if m.tp and m.precision >= precision:
            return threshold
    return 1.0
