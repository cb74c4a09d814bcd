"""Benchmark 8: what speaking the reader's language costs, per message and per `/ask`.

The catalogs are loaded once per language (the first `localize` of it) and each `Localizer` is
kept, so a message costs a dictionary lookup and a `str.format`. Timed here, one call after
another after a warm-up:

- the first `localize` of a language in this process (reading and parsing its `.mo`);
- `localize(discord.Locale.korean)` afterwards (the cog's first step on every interaction);
- what `/ask` says to a Korean asker: the confirmation (three messages, cogs/asking.py
  `confirmation`) and the hint of a similar question with its button's label;
- the moderation card /ask posts (its embed and buttons, cogs/_views.py), in a session in
  English and in one in English and Spanish: the public words each `/ask` adds;
- a refusal made by the core and rendered in Korean (`Refusal(msg(...)).render`);
- a program post in two languages for a bilingual session (`in_languages`, five messages each).

Target: the words of one `/ask` (localize + confirmation + hint) take under 5% of `/ask` end to
end (benchmark 2: p50 about 3.2 ms on the machine of benchmarks/RESULTS.md), so under 160 µs.

    python benchmarks/bench_i18n.py            # 20,000 of each
    python benchmarks/bench_i18n.py --small    # 2,000 of each
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dataclasses
from datetime import UTC, datetime

import discord

from benchmarks._common import GSEF_CONFIG, Verdicts, header, parser, summary_ms
from bot import i18n
from bot.errors import Refusal
from bot.i18n import Localizer, in_languages, localize, msg
from bot.questions import Question
from bot.sessions import Session, load_session
from bot.similarity_text import hint_text
from cogs._common import public_say
from cogs._views import card_embed, card_view
from cogs.asking import confirmation

TARGET_ASK_US = 160.0
QUESTION = "사회주택 입주자 참여는 어떻게 이루어지나요? 공공과 민간의 역할 분담이 궁금합니다."


MOMENT = datetime(2021, 10, 4, 10, 15, tzinfo=UTC)
ASKED = Question(
    id=1, run_id=1, number=1, text=QUESTION, state="pending", votes=0, anonymous=True,
    author_id=7, author_name="ji-woo", speaker_id=None, label_id=None, asked_at=MOMENT,
    updated_at=MOMENT,
)  # fmt: skip


def ask_words(i: int) -> str:
    _ = localize(discord.Locale.korean)
    text = confirmation(dataclasses.replace(ASKED, number=i), _)
    return f"{text}\n\n{hint_text(i + 1, QUESTION, str, _)}"


def card_words(session: Session) -> Callable[[int], object]:
    """The moderation card of a new question, as Posting builds it for this session."""

    def card(i: int) -> object:
        q = dataclasses.replace(ASKED, number=i)
        say = public_say(session)
        return card_embed(session, q, say=say).to_dict(), card_view(q, say=say)

    return card


def refusal(i: int) -> str:
    said = Refusal(
        msg("There is no question #{number} in this session; /qa queue lists them.", number=i)
    )
    return said.render(discord.Locale.korean)


def program_post(i: int) -> str:
    def words(_: Localizer) -> str:
        return "\n".join(
            (
                _("▶️ **Now: {title}**", title="Q&A: from participants via chat"),
                _("Talk: *{title}*", title="Community-based healthcare service"),
                _("**Guiding questions**"),
                _("*Round {number}*", number=1),
                _.ngettext(
                    "💬 Ask your question with `/ask` in {channel}. {count} approved question "
                    "waiting.",
                    "💬 Ask your question with `/ask` in {channel}. {count} approved questions "
                    "waiting.",
                    i % 7,
                    channel="#questions",
                ),
            )
        )

    return in_languages(("en", "es"), words)


def timed(op: Callable[[int], object], n: int, warmup: int) -> list[float]:
    for i in range(warmup):
        op(i)
    samples = []
    for i in range(n):
        start = time.perf_counter()
        op(warmup + i)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> int:
    args = parser(__doc__.splitlines()[0]).parse_args()
    header("Benchmark 8: the reader's language", args)
    n = 2_000 if args.small else 20_000
    warmup = n // 10
    print(f"timed: {n:,} of each after {warmup:,} warm-up, one after another")
    print(f"languages: {', '.join(i18n.languages())}")

    loads = []
    for code in i18n.languages()[1:]:
        i18n.localize.cache_clear()
        i18n._localizer.cache_clear()
        start = time.perf_counter()
        localize(code)
        loads.append((code, time.perf_counter() - start))

    english = load_session(GSEF_CONFIG)
    spec = english.spec.model_copy(update={"language": None, "languages": ("en", "es")})
    bilingual = Session(spec, english.source)
    results = {
        "localize(discord.Locale.korean)": timed(
            lambda i: localize(discord.Locale.korean), n, warmup
        ),
        "/ask words in Korean (localize, confirmation, hint)": timed(ask_words, n, warmup),
        "refusal rendered in Korean": timed(refusal, n, warmup),
        "program post in en + es": timed(program_post, n, warmup),
        "moderation card, English session": timed(card_words(english), n, warmup),
        "moderation card, en + es session": timed(card_words(bilingual), n, warmup),
    }
    print("-- figures")
    for code, seconds in loads:
        print(f"first localize({code!r}), reading its catalog: {seconds * 1000:.3f} ms")
    for name, samples in results.items():
        stats = summary_ms(samples)
        print(
            f"{name}: n={int(stats['n'])}  p50 {stats['p50'] * 1000:.2f} µs  "
            f"p99 {stats['p99'] * 1000:.2f} µs  max {stats['max'] * 1000:.1f} µs"
        )
    verdicts = Verdicts(args.small)
    ask = summary_ms(results["/ask words in Korean (localize, confirmation, hint)"])
    verdicts.check("/ask words p99 (µs)", ask["p99"] * 1000, TARGET_ASK_US, unit=" µs")
    return verdicts.report()


if __name__ == "__main__":
    raise SystemExit(main())
