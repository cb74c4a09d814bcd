"""The labelled question pairs (data/similar_questions.toml) and how the hint is judged on them.

Scoring follows the bot: for each part (tune, test) and language, one run's index holds the
distinct `a` questions of that part's pairs as open questions; each `b` is then scored against
its own `a` by `SimilarityIndex.score`, as a new question at /ask would be (inverse document
frequencies from that run's open questions). A pair counts as a hit when its score reaches the
threshold; "same" pairs are the positives, "related" and "unrelated" the negatives.

Everything is chosen on the tuning part only:

- The two knobs of the score (`CONTRAST_FACTOR`, `LEFTOVER_POWER` in bot/similarity.py) by
  cross-validation inside the tuning part (`choose_knobs`): for each pair of values on a small
  grid, 5 folds of pair numbers (so a pair's four languages stay together), repeated with 10
  shuffles; in each fold the threshold is chosen on the other four folds and the hints counted
  on the fold itself. The knobs kept are those with the highest pooled recall among those whose
  pooled precision reaches the aim, or failing that those with the highest pooled precision.
- Then each threshold on the whole tuning part (`choose_threshold`): the lowest value on a 0.01
  grid whose precision reaches the aim, or failing that the lowest of those with the highest
  precision.

The held-out part is only measured, with the module's knobs and thresholds.
"""

from __future__ import annotations

import hashlib
import math
import random
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.similarity import SimilarityIndex, left_over, normalize

PAIRS_FILE = Path(__file__).resolve().parent.parent / "data" / "similar_questions.toml"
LANGUAGES = ("en", "es", "ko", "zh-Hant")
LABELS = ("same", "related", "unrelated")

# the grid the knobs are chosen from (fixed before any choice was made on it)
CONTRAST_GRID = (0.25, 0.5, 0.75, 1.0)
POWER_GRID = (0.0, 1.0, 2.0, 4.0, 8.0)
FOLDS = 5
SHUFFLES = 10


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

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """Wilson's 95% interval of the precision (0..1 when no hint was given)."""
        return wilson(self.tp, self.tp + self.fp, z)

    def text(self) -> str:
        low, high = self.interval()
        return (
            f"precision {self.precision:.2f} ({self.tp} of {self.tp + self.fp} hints right; "
            f"95% {low:.2f}-{high:.2f}), "
            f"recall {self.recall:.2f} ({self.tp} of {self.tp + self.fn} same pairs)"
        )


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson's score interval of a proportion."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    half /= 1 + z * z / trials
    return max(0.0, centre - half), min(1.0, centre + half)


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


def _indexes(pairs: list[Pair], part: str) -> list[tuple[SimilarityIndex, int, dict, list]]:
    out = []
    for run_id, lang in enumerate(LANGUAGES, start=1):
        chosen = [p for p in pairs if p.part == part and p.lang == lang]
        texts = list(dict.fromkeys(p.a for p in chosen))
        ids = {text: i for i, text in enumerate(texts, start=1)}
        index = SimilarityIndex()
        index.rebuild((ids[t], run_id, ids[t], t, "approved") for t in texts)
        out.append((index, run_id, ids, chosen))
    return out


def scored(pairs: list[Pair], part: str) -> list[tuple[float, Pair]]:
    """Score each pair of a part as the bot's index would (see the module docstring)."""
    out: list[tuple[float, Pair]] = []
    for index, run_id, ids, chosen in _indexes(pairs, part):
        out.extend((index.score(run_id, p.b, ids[p.a]), p) for p in chosen)
    return out


@dataclass(frozen=True, slots=True)
class Parts:
    """What the score of a pair is made of: the cosine and the share of each text's content
    the other lacks."""

    pair: Pair
    cosine: float
    left_b: float
    left_a: float

    def score(self, contrast: float, power: float) -> float:
        factor = (1.0 - max(self.left_a, self.left_b)) ** power
        if self.left_a > 0 and self.left_b > 0:
            factor *= contrast
        return self.cosine * factor


def parts_of(pairs: list[Pair], part: str) -> list[Parts]:
    """The parts of each pair's score (the index's cosine, before any discount)."""
    out: list[Parts] = []
    for index, run_id, ids, chosen in _indexes(pairs, part):
        for p in chosen:
            cosine = index.cosine(run_id, p.b, ids[p.a])
            left_b, left_a = left_over(normalize(p.b), normalize(p.a))
            out.append(Parts(p, cosine, left_b, left_a))
    return out


def with_knobs(rows: Sequence[Parts], contrast: float, power: float) -> list[tuple[float, Pair]]:
    return [(row.score(contrast, power), row.pair) for row in rows]


def measure(scores: Sequence[tuple[float, Pair]], threshold: float) -> Measure:
    tp = sum(1 for s, p in scores if s >= threshold and p.label == "same")
    fp = sum(1 for s, p in scores if s >= threshold and p.label != "same")
    fn = sum(1 for s, p in scores if s < threshold and p.label == "same")
    return Measure(threshold, tp, fp, fn)


def choose_threshold(scores: Sequence[tuple[float, Pair]], precision: float) -> float:
    """The lowest threshold on a 0.01 grid whose precision reaches `precision` (and that gives
    at least one right hint); if none does, the lowest of those with the highest precision."""
    ranked = sorted(((s, p.label == "same") for s, p in scores), reverse=True)
    best: tuple[float, float] | None = None  # (precision, threshold)
    for step in range(1, 101):
        threshold = step / 100
        tp = sum(1 for s, same in ranked if same and s >= threshold)
        hits = sum(1 for s, _ in ranked if s >= threshold)
        if not tp:
            continue
        if tp / hits >= precision:
            return threshold
        if best is None or tp / hits > best[0] + 1e-12:
            best = (tp / hits, threshold)
    return best[1] if best is not None else 1.0


@dataclass(frozen=True, slots=True)
class Knobs:
    contrast: float
    power: float
    precision: float  # pooled over the held folds of the cross-validation
    recall: float
    hints: int


def cross_validate(rows: Sequence[Parts], contrast: float, power: float, aim: float) -> Knobs:
    """Pooled precision and recall of the hint on held folds of the tuning part, each fold's
    threshold chosen on the other folds (see the module docstring)."""
    numbers = sorted({number_of(r.pair.id) for r in rows})
    scores = with_knobs(rows, contrast, power)
    tp = fp = positives = 0
    for shuffle in range(SHUFFLES):
        order = numbers[:]
        random.Random(shuffle).shuffle(order)
        fold_of = {n: i % FOLDS for i, n in enumerate(order)}
        for fold in range(FOLDS):
            train = [sp for sp in scores if fold_of[number_of(sp[1].id)] != fold]
            held = [sp for sp in scores if fold_of[number_of(sp[1].id)] == fold]
            m = measure(held, choose_threshold(train, aim))
            tp, fp, positives = tp + m.tp, fp + m.fp, positives + m.tp + m.fn
    return Knobs(
        contrast,
        power,
        tp / (tp + fp) if tp + fp else 0.0,
        tp / positives if positives else 0.0,
        tp + fp,
    )


def choose_knobs(rows: Sequence[Parts], aim: float) -> tuple[Knobs, list[Knobs]]:
    """The knobs kept (see the module docstring), and every candidate's figures."""
    tried = [cross_validate(rows, c, p, aim) for c in CONTRAST_GRID for p in POWER_GRID]
    reaching = [k for k in tried if k.precision >= aim]
    if reaching:
        kept = max(reaching, key=lambda k: (k.recall, k.precision))
    else:
        kept = max(tried, key=lambda k: (round(k.precision, 9), k.recall))
    return kept, tried
