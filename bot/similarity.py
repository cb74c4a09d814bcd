"""Similar questions and themes: which open question a new one repeats, and what a run's questions
are about. Pure: plain values in and out, nothing here knows Discord or the database.

**How texts are compared.** A text is normalized (NFKC, case folded, Latin accents dropped,
punctuation and emoji turned into spaces) and cut into overlapping character n-grams of 1 to 3
characters, across word boundaries. Character n-grams need no word list, no stemmer and no
model: they work the same for Korean and Chinese (where one or two characters make a word and
words are not always spaced) as for Spanish and English (where they absorb typos, missing
accents and word endings). Questions in different languages share almost no n-grams and so do
not match, which is intended. Each n-gram is weighted by `1 + ln(count)` times its inverse
document frequency among the run's open questions (common words such as "how", "¿cómo",
"어떻게", "如何" count little), and the two weighted vectors are compared by cosine.

**What tells two questions apart.** Cosine alone scores "How is the Hongseong partnership
*funded*?" and "... *governed*?" as near copies, and a paraphrase with other words ("Who pays
for ...?") lower than both. So the cosine is lowered by what each text has that the other
lacks. The content of a text is its words, Han and Hangul characters one by one, leaving out
function words, greetings and ways of putting a question ("thanks", "in what ways", "de qué
manera", "궁금합니다", "請問"). A word is present in the other text when it is there written
the same, as a close variant (another ending, a typo: "measure"/"measured", "goverments") or
split or joined ("micro credit"); a Han or Hangul character when the other text has it next to
the same neighbour. With `left` the share of a text's content (in characters) that the other
lacks, the score is

    cosine * (1 - the larger left) ** LEFTOVER_POWER * (CONTRAST_FACTOR if both have some left)

It stays the cosine for rewordings of the same content (another order, other endings, typos,
a thank-you first) and falls fast for anything else. `similar` reads candidates by cosine,
best first, and compares content for at most 8 of them.

**What it finds** (benchmarks/bench_similarity.py, figures in benchmarks/RESULTS.md) on the
hand-labelled pairs of data/similar_questions.toml, split by a hash into a tuning and a
held-out part. The two knobs were chosen by cross-validation inside the tuning part, the
thresholds on the tuning part, and tests check that the constants are still the ones it gives.
`HINT_THRESHOLD` (the asker's "vote for #7 instead") aims at precision 0.9: held out it was
right 6 times of 6 (95% interval 0.61-1.00) and found 5% of the same questions; on the tuning
part no threshold reaches 0.9 (the best is 7 of 8: a question and its reverse, "does the
county give money to the co-operatives" and "do the co-operatives give money to the county",
share every word), and cross-validated inside it the precision is about 0.76.
`CARD_THRESHOLD` is lower, for the moderators' "possible duplicate of #7", where a wrong guess
costs a glance: 11 of 13 right held out, 9% found. Both find rewordings that keep the words;
a paraphrase in other words ("required"/"need", "失業"/"丟了工作") cannot be told by its
characters from a question that changes one word of focus ("cost"/"take long"), so it gets
no hint; in Korean and Chinese, where the labelled paraphrases seldom keep the same words, the
hint almost never fires. Who does what to whom is not seen.

**Libraries.** numpy, and difflib for typos. The n-grams of a whole batch of texts are hashed
with vectorized integer arithmetic, the index is a sorted inverted list searched with
`searchsorted` and summed with `bincount`, and themes are a few rounds of spherical k-means on
a hashed projection: each a handful of numpy calls. scikit-learn would give the same k-means
but adds about 0.7 s and 120 MB to a process's import (measured here), which a report of
100,000 questions cannot afford within its 250 MB, and scipy (40 MB) is not needed for one
sparse product. Nothing is downloaded and nothing leaves the process.

**The index** (`SimilarityIndex`) holds the open questions (pending, approved, live) of each
run in memory. Feature weights are fixed per "epoch": the inverse document frequencies are
recomputed, and every vector with them, when the run has changed by a quarter of its size since
the last epoch (at once for small runs), so a score is always a true cosine under one weighting.
New questions go into a small sorted buffer merged into the main postings every few hundred; a
question that leaves the open states is masked at once and its postings dropped at the next
epoch. `similar` costs one sparse product over the postings of the query's n-grams and a
comparison of content with a few candidates (about 0.1 ms each; a held question's text is read
for it once): a few milliseconds with 10,000 open questions (benchmarks/bench_similarity.py).
An epoch's rebuild of 10,000 takes about 0.7 s, once per 2,500 changes. Not thread-safe: use
it from the event loop (or one thread).
"""

from __future__ import annotations

import difflib
import functools
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from bot.states import OPEN, VOTABLE, State

__all__ = [
    "CARD_THRESHOLD",
    "CONTRAST_FACTOR",
    "HINT_THRESHOLD",
    "LEFTOVER_POWER",
    "OPEN_STATES",
    "VOTABLE_STATES",
    "Match",
    "SimilarityIndex",
    "Theme",
    "discount",
    "left_over",
    "normalize",
    "similarity",
    "swaps_content",
    "themes",
]

OPEN_STATES: frozenset[str] = OPEN
# Questions a participant may be pointed to: public and open to votes (a pending question is
# not public yet under pre-moderation, so an asker must never see it).
VOTABLE_STATES: frozenset[str] = VOTABLE

# Chosen on the tuning part of data/similar_questions.toml (benchmarks/_labelled.py says how):
# the knobs by cross-validation inside it, then the thresholds on it.
HINT_THRESHOLD = 0.54
CARD_THRESHOLD = 0.26
CONTRAST_FACTOR = 0.75  # both texts have content the other lacks
LEFTOVER_POWER = 8.0  # (1 - the larger share of content left over) ** LEFTOVER_POWER

NGRAMS = (1, 2, 3)
_STATE_CODES: dict[str, int] = {State.PENDING: 0, State.APPROVED: 1, State.LIVE: 2}

Keys = npt.NDArray[np.uint32]
Floats = npt.NDArray[np.float32]

# ------------------------------------------------------------------------- normalizing

_MARKS = re.compile("[\u0300-\u036f]")
_NON_WORD = re.compile(r"[\W_]+")
# Han characters written either way in Taiwan (臺北 and 台北 are the same city)
_HAN_VARIANTS = str.maketrans("臺裏爲衆綫峯", "台裡為眾線峰")


def normalize(text: str) -> str:
    """Return the text as it is compared: NFKC, case folded, Latin accents dropped, everything
    but letters and digits turned into single spaces ("¿Cómo?" -> "como", "ＣＯＶＩＤ－１９" ->
    "covid 19"). Hangul is kept whole; a few Han characters written two ways in Taiwan are
    written one way (臺 as 台)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        stripped = _MARKS.sub("", unicodedata.normalize("NFKD", text))
        text = unicodedata.normalize("NFC", stripped).translate(_HAN_VARIANTS)
    return " ".join(_NON_WORD.sub(" ", text).split())


# ----------------------------------------------------------------------------- hashing

_MULTIPLIER = np.uint64(0x100000001B3)
_SALTS = {n: np.uint64((0x9E3779B97F4A7C15 * n) & 0xFFFFFFFFFFFFFFFF) for n in range(1, 9)}
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S31, _S29, _S32 = np.uint64(31), np.uint64(29), np.uint64(32)
_SPACE = 32


def _mix(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finalizer: spreads every input bit over the output (wraps mod 2**64)."""
    h = h ^ (h >> _S31)
    h = h * _M1
    h = h ^ (h >> _S29)
    h = h * _M2
    return h ^ (h >> _S32)


def _grams(norms: Sequence[str]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint64]]:
    """Return (text index, 64-bit n-gram hash) of every n-gram of the normalized texts.

    The texts are joined into one code-point array and each n-gram length hashed in one pass; a
    window that would cross from one text into the next is dropped. The same n-gram gets the
    same hash in every process (no Python `hash`), so results are reproducible.
    """
    padded = [f" {t} " for t in norms]
    lengths = np.fromiter((len(p) if p != "  " else 0 for p in padded), np.intp, len(padded))
    joined = "".join(p for p in padded if p != "  ")
    if not joined:
        return np.zeros(0, np.intp), np.zeros(0, np.uint64)
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    owner = np.repeat(np.arange(len(padded), dtype=np.intp), lengths)
    docs: list[npt.NDArray[np.intp]] = []
    hashes: list[npt.NDArray[np.uint64]] = []
    for n in NGRAMS:
        m = len(cp) - n + 1
        if m <= 0:
            continue
        h = cp[:m].copy()
        for j in range(1, n):
            h = h * _MULTIPLIER + cp[j : j + m]
        keep = owner[:m] == owner[n - 1 : n - 1 + m]
        if n == 1:
            keep &= cp[:m] != _SPACE
        docs.append(owner[:m][keep])
        hashes.append(_mix(h[keep] ^ _SALTS[n]))
    return np.concatenate(docs), np.concatenate(hashes)


@dataclass(frozen=True, slots=True)
class _Counts:
    """Per text, its distinct n-gram keys (sorted) and how often each occurs: CSR-like."""

    ptr: npt.NDArray[np.intp]
    keys: Keys
    counts: Floats
    signs: Floats  # +1/-1 per key, for the hashed projection of themes
    buckets: npt.NDArray[np.intp]  # 0..PROJECTION-1 per key

    def of(self, i: int) -> tuple[Keys, Floats]:
        a, b = self.ptr[i], self.ptr[i + 1]
        return self.keys[a:b], self.counts[a:b]


PROJECTION = 512  # dimensions of the hashed projection used for themes


def _count(norms: Sequence[str], block: int = 256) -> _Counts:
    """Count the n-grams of each text, `block` texts at a time (small temporary arrays)."""
    parts = [_count_block(norms[start : start + block]) for start in range(0, len(norms), block)]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return _count_block([])
    ptr = np.zeros(len(norms) + 1, dtype=np.intp)
    at = 0
    offset = 0
    for part in parts:
        size = len(part.ptr) - 1
        ptr[at + 1 : at + size + 1] = part.ptr[1:] + offset
        at += size
        offset += int(part.ptr[-1])
    return _Counts(
        ptr,
        np.concatenate([p.keys for p in parts]),
        np.concatenate([p.counts for p in parts]),
        np.concatenate([p.signs for p in parts]),
        np.concatenate([p.buckets for p in parts]),
    )


@functools.lru_cache(maxsize=64)
def _count_one(norm: str) -> _Counts:
    """The n-grams of one text, kept for the next call: at /ask the same new text is scored
    for the hint and then added to the index. The arrays are read-only, being shared."""
    counts = _count([norm])
    for array in (counts.ptr, counts.keys, counts.counts, counts.signs, counts.buckets):
        array.flags.writeable = False
    return counts


def _count_block(norms: Sequence[str]) -> _Counts:
    owner, hashes = _grams(norms)
    keys32 = (hashes >> _S32).astype(np.uint32)
    order = np.lexsort((keys32, owner))
    owner, keys32, hashes = owner[order], keys32[order], hashes[order]
    if len(owner):
        new = np.empty(len(owner), dtype=bool)
        new[0] = True
        new[1:] = (owner[1:] != owner[:-1]) | (keys32[1:] != keys32[:-1])
        starts = np.flatnonzero(new)
        counts = np.diff(np.append(starts, len(owner))).astype(np.float32)
        owner, keys32, hashes = owner[starts], keys32[starts], hashes[starts]
    else:
        counts = np.zeros(0, np.float32)
    ptr = np.zeros(len(norms) + 1, dtype=np.intp)
    np.cumsum(np.bincount(owner, minlength=len(norms)), out=ptr[1:])
    low = hashes & np.uint64(0xFFFFFFFF)
    signs = np.where(low & np.uint64(1), 1.0, -1.0).astype(np.float32)
    buckets = ((low >> np.uint64(1)) % np.uint64(PROJECTION)).astype(np.intp)
    return _Counts(ptr, keys32, counts, signs, buckets)


def _tf(counts: Floats) -> Floats:
    return (1.0 + np.log(counts)).astype(np.float32)


@dataclass(frozen=True, slots=True)
class _Idf:
    """Inverse document frequencies of one epoch: ln((1 + N) / (1 + df)) + 1, sklearn's smooth
    form; an n-gram no open question has gets the highest value."""

    keys: Keys
    values: Floats
    unseen: float

    @classmethod
    def of(cls, counts: _Counts, texts: int) -> _Idf:
        keys, df = np.unique(counts.keys, return_counts=True)
        values = (np.log((1.0 + texts) / (1.0 + df)) + 1.0).astype(np.float32)
        return cls(keys.astype(np.uint32), values, float(math.log(1.0 + texts) + 1.0))

    def weights(self, keys: Keys) -> Floats:
        if not len(self.keys):
            return np.full(len(keys), self.unseen, np.float32)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[at] == keys, self.values[at], np.float32(self.unseen)).astype(
            np.float32
        )


def _unit(keys: Keys, counts: Floats, idf: _Idf) -> Floats:
    """The text's weights, tf-idf scaled to length 1 (all zeros for a text with no n-grams)."""
    w = _tf(counts) * idf.weights(keys)
    norm = float(np.sqrt(np.dot(w, w)))
    return w / np.float32(norm) if norm else w


# ----------------------------------------------------------------- telling questions apart

# Function words and characters of the four languages of the labelled set: words that change
# how a question is put, not what it asks. A swap of anything else is a swap of content.
_FUNCTION_WORDS_TEXT = """
    a an the of to in on for and or but is are was were be been being do does did done how what
    which who whom whose when where why can could should would will shall may might must there
    their they them it its this that these those with without from by at as about into than then
    so if not no you your we our us i me my he she her his have has had any all some many much
    more most very also just only really actually still each every other such up out over after
    before between among within please thanks thank
    el la los las un una unos unas de del al en y e o u que como cual cuales quien quienes se su
    sus es son fue ser han ha hay para por con sin sobre lo le les mas muy ya tambien desde hasta
    entre cuando donde cuanto cuanta cuantos cuantas este esta estos estas ese esa esos esas nos
    me te mi tu pueden puede deben debe deberia tienen tiene tener hace hacen gracias favor
"""
_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())
_FUNCTION_HAN = frozenset(
    "的是嗎呢了在有和與及之也都就會要怎麼什甚如何可以能請問你們我他她它哪些個一這那還吗么"
)
_FUNCTION_HANGUL = frozenset(
    "은는이가을를의에서도로으와과하해할합니까요나있없어떻게무엇인지죠며고면야되된될한다습던것들께"
)
# Greetings, thanks and ways of putting a question ("in what ways", "do you think", "de qué
# manera", "궁금합니다", "請問"): left out when the content of two questions is compared.
_COURTESY_TEXT = """
    thank thanks great hello hi dear mr ms mrs dr sir madam wondering wonder curious think ways
    way kind sort whats thats
    gracias excelente hola sr sra estimado estimada felicidades felicitaciones saber quisiera
    gustaria creen cree crees piensan opinan manera
"""
_COURTESY_WORDS = frozenset(_COURTESY_TEXT.split())
_COURTESY_CJK = (
    "감사합니다",
    "감사해요",
    "고맙습니다",
    "궁금합니다",
    "궁금해요",
    "선생님",
    "좋은 발표",
    "謝謝",
    "感謝",
    "請問",
    "精彩的分享",
    "老師",
)


_CJK = "\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff"
# a Han or Hangul character alone, or a run of anything else but spaces
_UNIT = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uf900" <= ch <= "\ufaff"


def _units(norm: str) -> list[str]:
    """The units of a normalized text in order: words, but Han and Hangul one character each
    (their words are short and not reliably spaced: 社會住宅, 사회주택 or 사회 주택)."""
    for phrase in _COURTESY_CJK:
        if phrase in norm:
            norm = norm.replace(phrase, " ")
    return _UNIT.findall(norm)


def _is_content(unit: str) -> bool:
    if len(unit) == 1 and _is_cjk(unit):
        return unit not in _FUNCTION_HAN and unit not in _FUNCTION_HANGUL
    if unit.isdigit():
        return True  # session 2 is not session 3
    return len(unit) >= 3 and unit not in _FUNCTION_WORDS and unit not in _COURTESY_WORDS


def _close(a: str, b: str) -> bool:
    """Two words that are one word written two ways: a plural, another ending, a typo
    ("measure"/"measured", "organising"/"organize", "goverments"/"governments")."""
    if a == b:
        return True
    n = min(len(a), len(b))
    if n < 4:
        return False
    keep = max(4, n - 2)
    if a[:keep] == b[:keep]:
        return True
    return (
        abs(len(a) - len(b)) <= 2
        and a[0] == b[0]
        and difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.8
    )


@dataclass(frozen=True, slots=True)
class _Text:
    """A normalized text read once for comparing content: its units, which are content, and
    the sets another text's units are looked up in."""

    units: tuple[str, ...]
    content: tuple[bool, ...]
    words: tuple[int, ...]  # positions of the units that are words (not Han or Hangul)
    chars: tuple[int, ...]  # positions of the Han and Hangul units
    exact: frozenset[str]  # every word
    stems: frozenset[str]  # every word without a final "s"
    joined: frozenset[str]  # every two neighbouring words joined, without a final "s"
    long: dict[str, tuple[str, ...]]  # the distinct words of 4 letters or more, by first letter
    pairs: frozenset[str]  # every two neighbouring Han or Hangul characters

    @classmethod
    def of(cls, norm: str) -> _Text:
        units = tuple(_units(norm))
        words = tuple(i for i, u in enumerate(units) if not _is_cjk(u[0]))
        chars = tuple(i for i, u in enumerate(units) if _is_cjk(u[0]))
        listed = [units[i] for i in words]
        cjk = "".join(units[i] for i in chars)
        long: dict[str, list[str]] = {}
        for word in sorted({w for w in listed if len(w) >= 4}):
            long.setdefault(word[0], []).append(word)
        return cls(
            units=units,
            content=tuple(_is_content(u) for u in units),
            words=words,
            chars=chars,
            exact=frozenset(listed),
            stems=frozenset(w.rstrip("s") for w in listed),
            joined=frozenset((a + b).rstrip("s") for a, b in itertools.pairwise(listed)),
            long={first: tuple(found) for first, found in long.items()},
            pairs=frozenset(cjk[i : i + 2] for i in range(len(cjk) - 1)),
        )


@functools.lru_cache(maxsize=256)
def _text(norm: str) -> _Text:
    return _Text.of(norm)


def _covered(a: _Text, b: _Text) -> list[bool | None]:
    """For each unit of `a`: None for a function word, else whether `b` has it too (a word
    written the same or a close variant, or split or joined: "microcredit"/"micro credit"; a
    Han or Hangul character that `b` has next to the same neighbour)."""
    units = a.units
    out: list[bool | None] = [None] * len(units)
    words = a.words
    for j, i in enumerate(words):
        if not a.content[i]:
            continue
        u = units[i]
        found = u in b.exact or u.rstrip("s") in b.joined
        if not found and j + 1 < len(words):
            found = (u + units[words[j + 1]]).rstrip("s") in b.stems
        if not found and j > 0:
            found = (units[words[j - 1]] + u).rstrip("s") in b.stems
        if not found and len(u) >= 4:  # a close variant starts with the same letter
            found = any(_close(u, v) for v in b.long.get(u[0], ()))
        out[i] = found
    chars = a.chars
    for j, i in enumerate(chars):
        if not a.content[i]:
            continue
        u = units[i]
        before = units[chars[j - 1]] + u if j > 0 else ""
        after = u + units[chars[j + 1]] if j + 1 < len(chars) else ""
        out[i] = before in b.pairs or after in b.pairs
    return out


def left_over(norm_a: str, norm_b: str) -> tuple[float, float]:
    """Return the share of each normalized text's content the other lacks (0 when every word
    of content of one is in the other, function words, greetings and spelling aside; counted
    in characters)."""
    return _left_over(_text(norm_a), _text(norm_b))


def _left_over(a: _Text, b: _Text) -> tuple[float, float]:
    return _share_left(a.units, _covered(a, b)), _share_left(b.units, _covered(b, a))


def _share_left(units: Sequence[str], covered: Sequence[bool | None]) -> float:
    total = left = 0
    for unit, flag in zip(units, covered, strict=True):
        if flag is None:
            continue
        total += len(unit)
        if not flag:
            left += len(unit)
    return left / total if total else 0.0


def discount(norm_a: str, norm_b: str) -> float:
    """The factor (0..1) by which the cosine of two normalized texts is lowered for what tells
    them apart: `CONTRAST_FACTOR` when each has content the other lacks (a swap: "local" for
    "national", "funded" for "governed"), times (1 - the larger share left over) **
    `LEFTOVER_POWER` (a question that asks more, or less, than the other)."""
    return _discount(_text(norm_a), _text(norm_b))


def _discount(a: _Text, b: _Text) -> float:
    left_a, left_b = _left_over(a, b)
    factor = (1.0 - max(left_a, left_b)) ** LEFTOVER_POWER
    if left_a > 0 and left_b > 0:
        factor *= CONTRAST_FACTOR
    return factor


def swaps_content(norm_a: str, norm_b: str) -> bool:
    """Say whether each of two normalized texts has content the other lacks (not a spelling
    variant of it), function words and greetings aside: "local" for "national", "지방" for
    "중앙", "婦女" for "青年"."""
    left_a, left_b = left_over(norm_a, norm_b)
    return left_a > 0 and left_b > 0


def similarity(text_a: str, text_b: str, corpus: Iterable[str] = ()) -> float:
    """Return how similar two texts are (0..1), as the index scores them, with the inverse
    document frequencies of `corpus` (the other open questions; none: plain tf weights)."""
    norms = [normalize(text_a), normalize(text_b)]
    counts = _count(norms)
    others = [normalize(t) for t in corpus]
    idf = _Idf.of(_count(others), len(others)) if others else _Idf(_EMPTY_KEYS, _EMPTY_F, 1.0)
    ka, ca = counts.of(0)
    kb, cb = counts.of(1)
    wa, wb = _unit(ka, ca, idf), _unit(kb, cb, idf)
    _, ia, ib = np.intersect1d(ka, kb, assume_unique=True, return_indices=True)
    score = min(1.0, float(np.dot(wa[ia], wb[ib])))
    if score > 0:
        score *= discount(norms[0], norms[1])
    return max(0.0, score)


_EMPTY_KEYS: Keys = np.zeros(0, np.uint32)
_EMPTY_F: Floats = np.zeros(0, np.float32)


# ------------------------------------------------------------------------------ the index


@dataclass(frozen=True, slots=True)
class Match:
    """The open question a text most resembles, above the threshold asked for."""

    question_id: int
    number: int
    score: float
    state: str


@dataclass(slots=True)
class _Doc:
    slot: int
    number: int
    state: str
    norm: str
    read: _Text | None = None  # the text read for comparing content, once it was needed

    def text(self) -> _Text:
        if self.read is None:
            self.read = _Text.of(self.norm)
        return self.read


class _Postings:
    """Sorted (key, slot, weight) triples: an inverted list searched with searchsorted."""

    __slots__ = ("keys", "slots", "weights")

    def __init__(self) -> None:
        self.keys: Keys = _EMPTY_KEYS
        self.slots: npt.NDArray[np.int32] = np.zeros(0, np.int32)
        self.weights: Floats = _EMPTY_F

    def __len__(self) -> int:
        return len(self.keys)

    def set(self, keys: Keys, slots: npt.NDArray[np.int32], weights: Floats) -> None:
        order = np.argsort(keys, kind="stable")
        self.keys, self.slots, self.weights = keys[order], slots[order], weights[order]

    def insert(self, keys: Keys, slots: npt.NDArray[np.int32], weights: Floats) -> None:
        """Insert sorted keys (with their slots and weights), keeping the order."""
        at = np.searchsorted(self.keys, keys, side="right")
        self.keys = np.insert(self.keys, at, keys)
        self.slots = np.insert(self.slots, at, slots)
        self.weights = np.insert(self.weights, at, weights)

    def add_scores(self, keys: Keys, weights: Floats, scores: npt.NDArray[np.float64]) -> None:
        """scores[slot] += weight of the query's key * weight of the slot's key, for every key
        they share."""
        if not len(self.keys) or not len(keys):
            return
        lo = np.searchsorted(self.keys, keys, side="left")
        hi = np.searchsorted(self.keys, keys, side="right")
        lengths = hi - lo
        total = int(lengths.sum())
        if not total:
            return
        ends = np.cumsum(lengths)
        index = np.arange(total) + np.repeat(lo - (ends - lengths), lengths)
        contribution = self.weights[index] * np.repeat(weights, lengths)
        scores += np.bincount(self.slots[index], contribution, minlength=len(scores))


# a buffer of new questions is merged into the main postings when it holds this many
BUFFER_DOCS = 256


class _RunIndex:
    """The open questions of one run."""

    def __init__(self) -> None:
        self.docs: dict[int, _Doc] = {}
        self.slot_ids: list[int] = []  # question id per slot
        self.alive = np.zeros(0, dtype=bool)
        self.states = np.zeros(0, dtype=np.int8)
        self.numbers = np.zeros(0, dtype=np.int64)
        self.idf = _Idf(_EMPTY_KEYS, _EMPTY_F, 1.0)
        self.main = _Postings()
        self.buffer = _Postings()
        self.buffered = 0
        self.changes = 0  # adds and removals since the epoch began
        self.epoch_size = 0

    # --------------------------------------------------------------- building

    def reset(self, items: Sequence[tuple[int, int, str, str]]) -> None:
        """Start a new epoch holding exactly these (id, number, normalized text, state)."""
        self.docs = {}
        self.slot_ids = []
        n = len(items)
        self.alive = np.ones(max(n, 16), dtype=bool)
        self.alive[n:] = False
        self.states = np.zeros(len(self.alive), dtype=np.int8)
        self.numbers = np.zeros(len(self.alive), dtype=np.int64)
        for slot, (qid, number, norm, state) in enumerate(items):
            self.docs[qid] = _Doc(slot, number, state, norm)
            self.slot_ids.append(qid)
            self.states[slot] = _STATE_CODES[state]
            self.numbers[slot] = number
        counts = _count([norm for _, _, norm, _ in items])
        self.idf = _Idf.of(counts, n)
        weights = np.empty(len(counts.keys), np.float32)
        for i in range(n):
            a, b = counts.ptr[i], counts.ptr[i + 1]
            weights[a:b] = _unit(counts.keys[a:b], counts.counts[a:b], self.idf)
        slots = np.repeat(np.arange(n, dtype=np.int32), np.diff(counts.ptr))
        self.main.set(counts.keys, slots, weights)
        self.buffer = _Postings()
        self.buffered = 0
        self.changes = 0
        self.epoch_size = n

    def _refresh(self) -> None:
        items = [(qid, d.number, d.norm, d.state) for qid, d in self.docs.items()]
        items.sort(key=lambda item: self.docs[item[0]].slot)
        self.reset(items)

    def _maybe_refresh(self) -> None:
        self.changes += 1
        if self.changes * 4 >= max(self.epoch_size, 4):
            self._refresh()

    # --------------------------------------------------------------- changes

    def add(self, qid: int, number: int, norm: str, state: str) -> None:
        slot = len(self.slot_ids)
        if slot >= len(self.alive):
            grow = max(16, len(self.alive))
            self.alive = np.concatenate([self.alive, np.zeros(grow, dtype=bool)])
            self.states = np.concatenate([self.states, np.zeros(grow, dtype=np.int8)])
            self.numbers = np.concatenate([self.numbers, np.zeros(grow, dtype=np.int64)])
        self.slot_ids.append(qid)
        self.alive[slot] = True
        self.states[slot] = _STATE_CODES[state]
        self.numbers[slot] = number
        self.docs[qid] = _Doc(slot, number, state, norm)
        counts = _count_one(norm)
        keys, c = counts.keys, counts.counts
        self.buffer.insert(keys, np.full(len(keys), slot, np.int32), _unit(keys, c, self.idf))
        self.buffered += 1
        if self.buffered >= BUFFER_DOCS:
            self.main.insert(self.buffer.keys, self.buffer.slots, self.buffer.weights)
            self.buffer = _Postings()
            self.buffered = 0
        self._maybe_refresh()

    def drop(self, qid: int) -> None:
        doc = self.docs.pop(qid)
        self.alive[doc.slot] = False
        self._maybe_refresh()

    def restate(self, qid: int, number: int, state: str) -> None:
        doc = self.docs[qid]
        doc.number, doc.state = number, state
        self.states[doc.slot] = _STATE_CODES[state]
        self.numbers[doc.slot] = number

    # --------------------------------------------------------------- queries

    def scores(self, norm: str) -> npt.NDArray[np.float64]:
        """Cosine of the text with every slot (dead slots included; mask them)."""
        scores = np.zeros(len(self.slot_ids), dtype=np.float64)
        counts = _count_one(norm)
        if not len(counts.keys) or not self.docs:
            return scores
        weights = _unit(counts.keys, counts.counts, self.idf)
        self.main.add_scores(counts.keys, weights, scores)
        self.buffer.add_scores(counts.keys, weights, scores)
        return scores

    def best(
        self,
        norm: str,
        threshold: float,
        states: frozenset[str],
        exclude: int | None,
        candidates: int = 8,
    ) -> Match | None:
        size = len(self.slot_ids)
        allowed = self.alive[:size].copy()
        if states != OPEN_STATES:
            codes = [_STATE_CODES[s] for s in states if s in _STATE_CODES]
            allowed &= np.isin(self.states[:size], codes)
        if exclude is not None and exclude in self.docs:
            allowed[self.docs[exclude].slot] = False
        if not allowed.any():  # e.g. the hint while no question is open to votes yet
            return None
        scores = self.scores(norm)
        scores[~allowed] = -1.0
        above = np.flatnonzero(scores >= threshold)
        if not len(above):
            return None
        if len(above) > candidates:
            above = above[np.argpartition(-scores[above], candidates - 1)[:candidates]]
        # the discount only lowers a cosine: candidates are read by cosine, best first, until
        # no cosine left can beat the best discounted score; ties go to the older question
        order = sorted(above.tolist(), key=lambda s: (-scores[s], self.numbers[s]))
        best: tuple[float, int, int] | None = None  # (score, number, slot)
        query = _text(norm)
        for slot in order:
            cosine = min(1.0, float(scores[slot]))
            if best is not None and cosine < best[0]:
                break
            doc = self.docs[self.slot_ids[slot]]
            score = cosine * _discount(query, doc.text())
            if score >= threshold and (best is None or (score, -doc.number) > (best[0], -best[1])):
                best = (score, doc.number, slot)
        if best is None:
            return None
        qid = self.slot_ids[best[2]]
        return Match(qid, best[1], round(best[0], 4), self.docs[qid].state)


@dataclass
class SimilarityIndex:
    """The open questions of every run, in memory, for the hint at /ask, the moderators'
    "possible duplicate", and `/qa themes`.

    Rebuilt from the log at start (`rebuild`), told of every change (`update`, `remove`); runs
    never see each other's questions.
    """

    _runs: dict[int, _RunIndex] = field(default_factory=dict)
    _run_of: dict[int, int] = field(default_factory=dict)

    def rebuild(self, items: Iterable[tuple[int, int, int, str, str]]) -> None:
        """Replace everything with these (question_id, run_id, number, text, state) rows; rows
        not in an open state are left out."""
        by_run: dict[int, list[tuple[int, int, str, str]]] = {}
        for question_id, run_id, number, text, state in items:
            if state in OPEN_STATES:
                by_run.setdefault(run_id, []).append((question_id, number, normalize(text), state))
        self._runs = {}
        self._run_of = {}
        for run_id, rows in by_run.items():
            rows.sort(key=lambda row: row[1])
            run = _RunIndex()
            run.reset(rows)
            self._runs[run_id] = run
            for row in rows:
                self._run_of[row[0]] = run_id

    def update(self, question_id: int, run_id: int, number: int, text: str, state: str) -> None:
        """Record a question as it is now: added, given new text, moved to another open state,
        or dropped when its state is no longer open (answered, merged, withdrawn...)."""
        if state not in OPEN_STATES:
            self.remove(question_id)
            return
        known_run = self._run_of.get(question_id)
        if known_run is not None and known_run != run_id:
            self.remove(question_id)
            known_run = None
        norm = normalize(text)
        run = self._runs.setdefault(run_id, _RunIndex())
        doc = run.docs.get(question_id) if known_run is not None else None
        if doc is not None and doc.norm == norm:
            run.restate(question_id, number, state)
            return
        if doc is not None:
            run.drop(question_id)
        run.add(question_id, number, norm, state)
        self._run_of[question_id] = run_id

    def remove(self, question_id: int) -> None:
        """Forget a question (nothing happens if it is not held)."""
        run_id = self._run_of.pop(question_id, None)
        if run_id is None:
            return
        run = self._runs[run_id]
        run.drop(question_id)
        if not run.docs:
            del self._runs[run_id]

    def similar(
        self,
        run_id: int,
        text: str,
        exclude_id: int | None = None,
        *,
        threshold: float = HINT_THRESHOLD,
        states: Iterable[str] = OPEN_STATES,
    ) -> Match | None:
        """Return the open question of the run most like `text`, if it scores at least
        `threshold`; `states` narrows the candidates (at /ask: VOTABLE_STATES, never a pending
        question an asker may not see); `exclude_id` leaves one question out (itself)."""
        run = self._runs.get(run_id)
        norm = normalize(text)
        if run is None or not norm:
            return None
        return run.best(norm, threshold, frozenset(states), exclude_id)

    def score(self, run_id: int, text: str, question_id: int) -> float:
        """Return how `text` scores against one held question (0 if it is not held): the
        cosine lowered by `discount`, as `similar` scores it."""
        cosine = self.cosine(run_id, text, question_id)
        if cosine <= 0:
            return 0.0
        doc = self._runs[run_id].docs[question_id]
        return cosine * _discount(_text(normalize(text)), doc.text())

    def cosine(self, run_id: int, text: str, question_id: int) -> float:
        """Return the cosine alone of `text` and one held question (0 if it is not held)."""
        run = self._runs.get(run_id)
        if run is None or question_id not in run.docs:
            return 0.0
        norm = normalize(text)
        if not norm:
            return 0.0
        return max(0.0, min(1.0, float(run.scores(norm)[run.docs[question_id].slot])))

    def open_ids(self, run_id: int) -> list[int]:
        """Return the ids of the run's open questions held, by number."""
        run = self._runs.get(run_id)
        if run is None:
            return []
        return sorted(run.docs, key=lambda qid: run.docs[qid].number)

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._run_of

    def __len__(self) -> int:
        return len(self._run_of)


# ------------------------------------------------------------------------------ themes


class ThemeQuestion(Protocol):
    """What `themes` reads of a question (bot.storage.questions_repo.Question and the report's
    Question both have it)."""

    @property
    def id(self) -> int: ...

    @property
    def number(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def votes(self) -> int: ...

    @property
    def label_id(self) -> str | None: ...


class ThemeLabel(Protocol):
    """What `themes` reads of a session label (bot.sessions.Label)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str | None: ...


Q = TypeVar("Q", bound=ThemeQuestion)

MAX_THEMES = 8
REPRESENTATIVES = 3
TERMS = 4
# a label fits a theme when this share of its questions carry it, or failing that use its words
LABEL_SHARE = 0.4


@dataclass(frozen=True, slots=True)
class Theme(Generic[Q]):
    """A group of questions about one thing."""

    questions: tuple[Q, ...]  # most voted first, then by number
    representatives: tuple[Q, ...]  # the questions closest to the theme's centre
    label_id: str | None  # the session label it fits best, if any fits
    label_source: str | None  # "moderators" (their labels) or "words" (the label's text)
    terms: tuple[str, ...]  # words that set the theme apart

    @property
    def size(self) -> int:
        return len(self.questions)

    @property
    def top(self) -> Q:
        """The most voted question (the oldest among equals)."""
        return self.questions[0]


def default_theme_count(questions: int) -> int:
    """A handful: about sqrt(n / 3), between 1 and MAX_THEMES (2 for 7 questions, 6 for 100)."""
    if questions <= 0:
        return 0
    return max(1, min(MAX_THEMES, questions, round(math.sqrt(questions / 3))))


def themes(
    questions: Sequence[Q],
    labels: Sequence[ThemeLabel] = (),
    k: int | None = None,
    *,
    seed: int = 0,
) -> list[Theme[Q]]:
    """Group questions into `k` themes (default: a handful for their number), largest first.

    Spherical k-means (k-means++ start, two restarts, all from `seed`) on the questions'
    tf-idf n-gram vectors, projected by hashing onto 512 dimensions. The same questions and
    seed give the same themes, in any input order. Questions whose text has no letters or
    digits (only emoji, say) are in no theme. Each theme names the session label its questions
    carry most (when at least 40% do), else the label whose name or description words at least
    40% of its questions use (so an English label fits English questions only), if any.
    """
    ordered = sorted(questions, key=lambda q: q.id)
    norms = [normalize(q.text) for q in ordered]
    keep = [i for i, norm in enumerate(norms) if norm]
    ordered = [ordered[i] for i in keep]
    norms = [norms[i] for i in keep]
    n = len(ordered)
    if n == 0:
        return []
    k = default_theme_count(n) if k is None else max(1, min(k, n))
    counts = _count(norms)
    x = _project(counts, _Idf.of(counts, n), n)
    assignment, centres = _spherical_kmeans(x, k, seed)
    groups = [np.flatnonzero(assignment == c) for c in range(k)]
    text_terms = [_terms_of(q.text) for q in ordered]
    terms = _theme_terms(text_terms, groups)
    word_fits = _label_word_fits([{key for key, _ in t} for t in text_terms], groups, labels)
    found: list[Theme[Q]] = []
    for c, members in enumerate(groups):
        if not len(members):
            continue
        closeness = x[members] @ centres[c]
        nearest = members[np.lexsort((members, -closeness))][:REPRESENTATIVES]
        chosen = [ordered[i] for i in members]
        label_id, source = _fit_label(chosen, labels, word_fits, c)
        found.append(
            Theme(
                questions=tuple(sorted(chosen, key=lambda q: (-q.votes, q.number))),
                representatives=tuple(ordered[i] for i in nearest),
                label_id=label_id,
                label_source=source,
                terms=terms[c],
            )
        )
    found.sort(key=lambda t: (-t.size, -t.top.votes, t.top.number))
    return found


def _project(counts: _Counts, idf: _Idf, texts: int) -> npt.NDArray[np.float32]:
    """Each text's unit tf-idf vector, hashed (with random signs) onto PROJECTION dimensions
    and scaled to length 1 again: inner products are kept up to a small noise. Built a block
    of texts at a time, so no large temporary array is ever held."""
    x = np.zeros((texts, PROJECTION), dtype=np.float32)
    weights = _tf(counts.counts) * idf.weights(counts.keys) * counts.signs
    block = 256
    for start in range(0, texts, block):
        end = min(texts, start + block)
        a, b = counts.ptr[start], counts.ptr[end]
        owner = np.repeat(
            np.arange(end - start, dtype=np.intp), np.diff(counts.ptr[start : end + 1])
        )
        flat = owner * PROJECTION + counts.buckets[a:b]
        part = np.bincount(flat, weights=weights[a:b], minlength=(end - start) * PROJECTION)
        x[start:end] = part.reshape(end - start, PROJECTION)
    norms = np.linalg.norm(x, axis=1)
    norms[norms == 0] = 1.0
    x /= norms[:, None]
    return x


def _spherical_kmeans(
    x: npt.NDArray[np.float32], k: int, seed: int, restarts: int = 2, rounds: int = 25
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """Cluster unit vectors by cosine: k-means++ starts, `restarts` tries, the tightest kept."""
    rng = np.random.default_rng(seed)
    n = len(x)
    best: tuple[float, npt.NDArray[np.intp], npt.NDArray[np.float32]] | None = None
    for _ in range(restarts if k > 1 else 1):
        centres = _kmeans_pp(x, k, rng)
        assignment = np.zeros(n, dtype=np.intp)
        for step in range(rounds):
            sims = x @ centres.T
            new = np.argmax(sims, axis=1)
            if step and np.array_equal(new, assignment):
                break
            assignment = new
            sums = np.eye(k, dtype=np.float32)[assignment].T @ x
            lengths = np.linalg.norm(sums, axis=1)
            for c in np.flatnonzero(lengths == 0):  # an empty cluster takes the worst-fitting
                far = int(np.argmin(sims[np.arange(n), assignment]))
                sums[c] = x[far]
                assignment[far] = c
                lengths[c] = 1.0
            centres = (sums / lengths[:, None]).astype(np.float32)
        fit = float((x @ centres.T)[np.arange(n), assignment].sum())
        if best is None or fit > best[0] + 1e-9:
            best = (fit, assignment.copy(), centres)
    assert best is not None
    return best[1], best[2]


def _kmeans_pp(
    x: npt.NDArray[np.float32], k: int, rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    n = len(x)
    chosen = [int(rng.integers(n))]
    distance = np.maximum(0.0, 1.0 - x @ x[chosen[0]])
    for _ in range(1, k):
        total = float(distance.sum())
        if total <= 1e-12:  # every point sits on a centre already (identical texts)
            rest = [i for i in range(n) if i not in chosen]
            chosen.append(int(rng.choice(rest)) if rest else chosen[-1])
        else:
            chosen.append(int(rng.choice(n, p=distance / total)))
        distance = np.minimum(distance, np.maximum(0.0, 1.0 - x @ x[chosen[-1]]))
    return x[chosen].copy()


def _label_word_fits(
    per_text: Sequence[set[str]],
    groups: Sequence[npt.NDArray[np.intp]],
    labels: Sequence[ThemeLabel],
) -> npt.NDArray[np.float64]:
    """Per label and theme, the share of the theme's questions that use a word of the label's
    name or description (words most questions use, such as "social", do not count)."""
    fits = np.zeros((len(labels), len(groups)))
    if not labels or not per_text:
        return fits
    df: Counter[str] = Counter()
    for keys in per_text:
        df.update(keys)
    common = {key for key, count in df.items() if count > len(per_text) / 2 and count > 1}
    for i, lab in enumerate(labels):
        words = {key for key, _ in _terms_of(f"{lab.name}. {lab.description or ''}")} - common
        if not words:
            continue
        for c, members in enumerate(groups):
            if len(members):
                fits[i, c] = sum(1 for m in members if per_text[m] & words) / len(members)
    return fits


def _fit_label(
    chosen: Sequence[ThemeQuestion],
    labels: Sequence[ThemeLabel],
    word_fits: npt.NDArray[np.float64],
    theme: int,
) -> tuple[str | None, str | None]:
    """The label the theme's questions carry most, if LABEL_SHARE of them carry it; else the
    label whose words LABEL_SHARE of them use (the most of them), if no other theme uses them
    more; else none."""
    known = {lab.id for lab in labels}
    given = Counter(q.label_id for q in chosen if q.label_id in known)
    if given:
        label_id, count = min(given.items(), key=lambda item: (-item[1], item[0]))
        if count >= LABEL_SHARE * len(chosen):
            return label_id, "moderators"
    best: tuple[float, int] | None = None
    for i in range(len(labels)):
        fit = float(word_fits[i, theme])
        if fit < LABEL_SHARE or fit < float(word_fits[i].max()):
            continue
        if best is None or fit > best[0]:
            best = (fit, i)
    if best is None:
        return None, None
    return labels[best[1]].id, "words"


# key terms: words of three letters or more (any script), or runs of Han characters cut into
# pairs; function words left out
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_HANGUL_ENDINGS = tuple("은는이가을를의에도로와과")
_HANGUL_QUESTION_WORDS = frozenset(
    ["어떤", "어떻게", "무엇", "무엇인", "얼마", "얼마나", "누가", "누구", "어디", "언제", "있나"]
)


def _terms_of(text: str) -> list[tuple[str, str]]:
    """(key, shown form) of each candidate term of a question."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    out: list[tuple[str, str]] = []
    for word in _WORD.findall(folded):
        if all("\u3400" <= ch <= "\u9fff" for ch in word):
            pairs = (word[i : i + 2] for i in range(len(word) - 1))
            out.extend((pair, pair) for pair in pairs if not set(pair) & _FUNCTION_HAN)
            continue
        if "\uac00" <= word[0] <= "\ud7af":
            if len(word) > 2 and word.endswith(_HANGUL_ENDINGS):
                word = word[:-1]
            if (
                len(word) >= 2
                and word not in _HANGUL_QUESTION_WORDS
                and not all(ch in _FUNCTION_HANGUL for ch in word)
            ):
                out.append((word, word))
            continue
        key = word if word.isascii() else normalize(word)
        if len(key) >= 3 and key not in _FUNCTION_WORDS:
            if len(key) > 4 and key.endswith("s"):
                key = key[:-1]  # one term for "cooperative" and "cooperatives"
            out.append((key, word))
    return out


def _theme_terms(
    per_text: Sequence[list[tuple[str, str]]], groups: Sequence[npt.NDArray[np.intp]]
) -> list[tuple[str, ...]]:
    """Per group, the terms that set it apart, at most TERMS: class-based tf-idf (the questions
    of the group that use a term, times log(1 + average terms per group / its uses overall)),
    times log(1 + groups / groups that use it), so a word every theme uses ranks low."""
    shown: dict[str, Counter[str]] = {}
    group_counts: list[Counter[str]] = []
    for members in groups:
        counter: Counter[str] = Counter()
        for i in members:
            seen = set()
            for key, form in per_text[i]:
                if key in seen:
                    continue
                seen.add(key)
                counter[key] += 1
                shown.setdefault(key, Counter())[form] += 1
        group_counts.append(counter)
    overall: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    for counter in group_counts:
        overall.update(counter)
        spread.update(counter.keys())
    used = [g for g in group_counts if g]
    average = sum(overall.values()) / max(1, len(used))
    out: list[tuple[str, ...]] = []
    for members, counter in zip(groups, group_counts, strict=True):
        floor = 2 if len(members) >= 3 else 1
        scored = [
            (
                count
                * math.log(1 + average / overall[key])
                * math.log(1 + len(used) / spread[key]),
                key,
            )
            for key, count in counter.items()
            # a pair of Han characters counts once two questions share it (one alone is as
            # likely to straddle two words)
            if count >= (2 if "\u3400" <= key[0] <= "\u9fff" else floor)
        ]
        scored.sort(key=lambda item: (-item[0], item[1]))
        out.append(tuple(_shown(shown[key]) for _, key in scored[:TERMS]))
    return out


def _shown(forms: Counter[str]) -> str:
    return min(forms.items(), key=lambda item: (-item[1], item[0]))[0]
