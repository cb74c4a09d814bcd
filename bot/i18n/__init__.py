"""The bot's languages: messages written in English, translated by gettext catalogs.

English is the language of the code: every message is written in English where it is used, and
that English text is its id in the catalogs. The other languages are the catalogs in
`bot/locales/<code>/LC_MESSAGES/messages.mo` (compiled from the `.po` next to it): a language is
served as soon as its catalog is there (docs/languages.md).

Placeholders are named, `{number}`, never positional, so a translation may put them in any
order. Two ways to use a message:

- where the language is known (a cog answering an interaction), translate now::

      _ = localize(interaction.locale)
      text = _("Your question is #{number}.", number=q.number)
      votes = _.ngettext("{count} vote", "{count} votes", q.votes)

- where it is not (the core refusing something), make a `Message`, rendered later in the
  reader's language; `str()` of it is the English text::

      raise Refusal(msg("There is no question #{number} in this session.", number=number))

A value given for a placeholder may itself be a `Message`: it is rendered in the same language.
Text for everyone in a channel follows the session's languages (`in_languages`).
"""

from __future__ import annotations

import gettext
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.limits import CONTENT, cut_rendered, fit_lines

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT",
    "ENGLISH",
    "LOCALES",
    "N_",
    "Joined",
    "Listed",
    "Localizer",
    "Message",
    "Say",
    "Text",
    "Words",
    "in_languages",
    "joined",
    "known_language",
    "language_of",
    "languages",
    "listed",
    "localize",
    "msg",
    "nmsg",
    "pmsg",
    "render",
    "say_in",
    "sentences",
]

#: The language of the code and of the message ids, and the one served when no other fits.
DEFAULT = "en"
#: Where the catalogs are: <code>/LC_MESSAGES/messages.mo (zh_TW for zh-TW).
LOCALES = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

_EMPTY: Mapping[str, Any] = MappingProxyType({})


# ------------------------------------------------------------------------------ messages


@dataclass(frozen=True, slots=True)
class Message:
    """A message to show later, in a language not known yet: its English id, its plural id and
    count if it has one, a context if the English alone is ambiguous, and its named values.

    `str()` (and f-strings) give the English text, so code that does not translate yet keeps
    working; `render(locale)` gives it in another language."""

    msgid: str
    named: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    plural: str | None = None
    n: int = 0
    context: str | None = None

    def render(self, locale: object) -> str:
        """The message in the language serving `locale` (a code, or a `discord.Locale`)."""
        return localize(locale).render(self)

    def __str__(self) -> str:
        return localize(DEFAULT).render(self)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True, slots=True)
class Joined:
    """Texts said one after the other ("Only moderators can do this." and a second sentence
    when there is one), each rendered in the same language; empty parts are left out."""

    parts: tuple[Text, ...]
    sep: str = " "

    def render(self, locale: object) -> str:
        return localize(locale).render(self)

    def __str__(self) -> str:
        return localize(DEFAULT).render(self)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True, slots=True)
class Listed:
    """Items named one after the other as the reader's language lists them: "A, B and C",
    "A, B y C", "A, B 및 C", "A、B和C"."""

    items: tuple[Text, ...]

    def render(self, locale: object) -> str:
        return localize(locale).render(self)

    def __str__(self) -> str:
        return localize(DEFAULT).render(self)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


#: What a text to show may be: already a string, or a message (or messages) rendered on the
#: way out, in the reader's language.
Text = str | Message | Joined | Listed


#: Full stops after which a sentence follows with no space (Chinese and Japanese writing).
_WIDE_STOPS = ("。", "！", "？", "）", "」")


def sentences(*said: str) -> str:
    """Sentences already said, one after the other: a space between two, none after a
    full-width stop ("…。下一句")."""
    out = ""
    for text in said:
        if not text:
            continue
        if out and not out.endswith(_WIDE_STOPS):
            out += " "
        out += text
    return out


def joined(*parts: Text, sep: str = " ") -> Joined:
    """Sentences said one after the other, in the reader's language (see `Joined`)."""
    return Joined(parts, sep)


def listed(*items: Text) -> Listed:
    """Items named in a list, in the reader's language (see `Listed`)."""
    return Listed(items)


def msg(msgid: str, /, **named: Any) -> Message:
    """A message to render later; `named` fills its `{placeholders}`."""
    return Message(msgid, MappingProxyType(named) if named else _EMPTY)


def nmsg(singular: str, plural: str, n: int, /, **named: Any) -> Message:
    """A message with a singular and a plural form, chosen by `n` in each language's own way;
    `{count}` is `n` unless `named` says otherwise."""
    named.setdefault("count", n)
    return Message(singular, MappingProxyType(named), plural, n)


def N_(msgid: str, /) -> str:
    """A message id marked for the catalogs where its values are not known yet (a table of
    sentences): said later with `_(msgid, **values)`."""
    return msgid


def pmsg(context: str, msgid: str, /, **named: Any) -> Message:
    """A message whose English alone is ambiguous ("label": a noun or a verb), with a context
    that tells translators which it is."""
    return Message(msgid, MappingProxyType(named) if named else _EMPTY, context=context)


# ----------------------------------------------------------------------------- languages


def _code(folder: str) -> str:
    """A catalog folder's name as the bot writes the language: zh_TW -> zh-TW."""
    return folder.replace("_", "-")


@cache
def languages() -> tuple[str, ...]:
    """Every language the bot speaks: English, then each catalog found, by code."""
    found = sorted(
        _code(path.parent.parent.name) for path in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")
    )
    return (DEFAULT, *(code for code in found if code != DEFAULT))


@cache
def _lookup() -> dict[str, str]:
    """Each spelling of each language's code, case-folded, with `_` or `-`, to the code."""
    table: dict[str, str] = {}
    for code in languages():
        folded = code.casefold()
        table[folded] = code
        table[folded.replace("-", "_")] = code
    return table


def language_of(locale: object) -> str:
    """The language serving a locale: "es-419" and "es-ES" -> "es", "zh-TW" -> "zh-TW",
    "en-US" -> "en"; one the bot does not speak -> English.

    `locale` is a code ("ko", "zh_TW"), a `discord.Locale` (its value is used), or None."""
    if locale is None:
        return DEFAULT
    text = str(getattr(locale, "value", locale))
    return _resolve(text) or DEFAULT


@cache
def _resolve(text: str) -> str | None:
    table = _lookup()
    folded = text.strip().casefold().replace("_", "-")
    while folded:
        found = table.get(folded)
        if found is not None:
            return found
        folded, _, _ = folded.rpartition("-")
    return None


def known_language(text: str) -> str | None:
    """The code of the language a session file names, or None: a code ("es", "zh-TW",
    "zh_tw") or the language's name in English or in itself ("Spanish", "español", "한국어")."""
    found = _resolve(text)
    if found is not None:
        return found
    folded = text.strip().casefold()
    matches = {code for code, names in _names().items() if folded in names}
    return matches.pop() if len(matches) == 1 else None


@cache
def _names() -> dict[str, frozenset[str]]:
    from babel import Locale, UnknownLocaleError

    names: dict[str, frozenset[str]] = {}
    for code in languages():
        try:
            locale = Locale.parse(code.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            continue
        spelled = {
            locale.english_name,
            locale.display_name,
            locale.get_language_name("en"),
            locale.get_language_name(),
        }
        names[code] = frozenset(name.casefold() for name in spelled if name)
    return names


# ---------------------------------------------------------------------------- translating


class Localizer:
    """Messages in one language: call it with an English message and its named values."""

    __slots__ = ("_catalog", "code")

    def __init__(self, code: str, catalog: gettext.NullTranslations) -> None:
        self.code = code
        self._catalog = catalog

    def __repr__(self) -> str:
        return f"Localizer({self.code!r})"

    def __call__(self, msgid: str, /, **named: Any) -> str:
        """The message in this language, its `{placeholders}` filled from `named`."""
        return self._fill(self._catalog.gettext(msgid), msgid, named)

    def ngettext(self, singular: str, plural: str, n: int, /, **named: Any) -> str:
        """The form of the message for `n` in this language; `{count}` is `n` by default."""
        named.setdefault("count", n)
        english = singular if n == 1 else plural
        return self._fill(self._catalog.ngettext(singular, plural, n), english, named)

    def pgettext(self, context: str, msgid: str, /, **named: Any) -> str:
        """The message in this language, in the given context (see `pmsg`)."""
        return self._fill(self._catalog.pgettext(context, msgid), msgid, named)

    def template(
        self, msgid: str, plural: str | None = None, n: int = 1, *, context: str | None = None
    ) -> str:
        """The message in this language with its `{placeholders}` still in it (for a renderer
        that fills them itself, escaping each value, or a text that has none)."""
        catalog = self._catalog
        if plural is None:
            return catalog.gettext(msgid) if context is None else catalog.pgettext(context, msgid)
        if context is None:
            return catalog.ngettext(msgid, plural, n)
        return catalog.npgettext(context, msgid, plural, n)

    def render(self, text: Text) -> str:
        """A `Message` in this language. A plain string is shown as it is, translated only if
        it is, word for word, a message of the catalog without placeholders."""
        if isinstance(text, str):
            return self._catalog.gettext(text) if text else text
        if isinstance(text, Joined):
            said = [said for part in text.parts if (said := self.render(part))]
            return sentences(*said) if text.sep == " " else text.sep.join(said)
        if isinstance(text, Listed):
            return self.listing([self.render(item) for item in text.items])
        named = text.named
        if text.plural is not None:
            return self.ngettext(text.msgid, text.plural, text.n, **named)
        if text.context is not None:
            return self.pgettext(text.context, text.msgid, **named)
        if not named:
            return self._catalog.gettext(text.msgid).format()
        return self(text.msgid, **named)

    def listing(self, items: Sequence[str]) -> str:
        """Items as this language lists them: "A, B and C" in English."""
        if len(items) <= 1:
            return "".join(items)
        if self.code == DEFAULT:
            return ", ".join(items[:-1]) + " and " + items[-1]
        from babel.lists import format_list

        return format_list(list(items), locale=self.code.replace("-", "_"))

    def date(self, day: date) -> str:
        """A day written out in this language: "Monday 4 October 2021"."""
        if self.code == DEFAULT:
            return f"{day:%A} {day.day} {day:%B %Y}"
        from babel.dates import format_date

        return format_date(day, "full", locale=self.code.replace("-", "_"))

    def _fill(self, template: str, english: str, named: Mapping[str, Any]) -> str:
        values = {
            key: self.render(value) if isinstance(value, Message | Joined | Listed) else value
            for key, value in named.items()
        }
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            if template is english:
                raise
            # a translation that names a placeholder the message does not have: say it in
            # English rather than fail (the catalog tests keep this from happening)
            log.error("the %s translation of %r does not fit its values", self.code, english)
            return english.format(**values)


@lru_cache(maxsize=256)
def localize(locale: object) -> Localizer:
    """The `Localizer` of the language serving `locale` (see `language_of`); made once each."""
    code = language_of(locale)
    return _localizer(code)


@cache
def _localizer(code: str) -> Localizer:
    if code == DEFAULT:
        return Localizer(code, gettext.NullTranslations())
    folder = code.replace("-", "_")
    path = LOCALES / folder / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as file:
        return Localizer(code, gettext.GNUTranslations(file))


def render(text: Text, locale: object) -> str:
    """A message (or a string) in the language serving `locale`."""
    return localize(locale).render(text)


# ------------------------------------------------------------------------- several at once

Words = Text | Callable[[Localizer], str]


class Several(Localizer):
    """Each message in several languages at once, one wording after the other with `sep`, a
    wording the languages share said once: for public words too short to repeat a whole text
    per language (the presenter screen's labels). Otherwise it speaks its first language (its
    `code`, lists, dates)."""

    __slots__ = ("_each", "_sep")

    def __init__(self, localizers: Sequence[Localizer], sep: str) -> None:
        first = localizers[0]
        super().__init__(first.code, first._catalog)
        self._each = tuple(localizers)
        self._sep = sep

    def __repr__(self) -> str:
        return f"Several({[each.code for each in self._each]!r})"

    def _join(self, said: Iterable[str]) -> str:
        return self._sep.join(dict.fromkeys(said))

    def __call__(self, msgid: str, /, **named: Any) -> str:
        return self._join(each(msgid, **named) for each in self._each)

    def ngettext(self, singular: str, plural: str, n: int, /, **named: Any) -> str:
        return self._join(each.ngettext(singular, plural, n, **named) for each in self._each)

    def pgettext(self, context: str, msgid: str, /, **named: Any) -> str:
        return self._join(each.pgettext(context, msgid, **named) for each in self._each)

    def template(
        self, msgid: str, plural: str | None = None, n: int = 1, *, context: str | None = None
    ) -> str:
        return self._join(each.template(msgid, plural, n, context=context) for each in self._each)

    def render(self, text: Text) -> str:
        return self._join(each.render(text) for each in self._each)


def several(codes: Sequence[str], *, sep: str = " · ") -> Localizer:
    """The localizer of these languages at once (`Several`); of the one language, if there is
    one. Made once per languages and separator."""
    return _several(tuple(dict.fromkeys(codes or (DEFAULT,))), sep)


@lru_cache(maxsize=64)
def _several(codes: tuple[str, ...], sep: str) -> Localizer:
    if len(codes) == 1:
        return localize(codes[0])
    return Several([localize(code) for code in codes], sep)


def in_languages(
    codes: Sequence[str],
    words: Words,
    *,
    limit: int = CONTENT,
    sep: str = "\n\n",
    by_line: bool = False,
) -> str:
    """A public text in each of a session's languages, one after the other, within `limit`.

    `words` is a message, or a function that words the text with a `Localizer` (for a text
    made of several messages). Languages that say it the same way say it once. When the texts
    do not fit together, each gets an equal share of the room (a short one leaves its rest to
    the others) and loses its last lines first.

    `by_line`: texts made line by line the same way in every language (a program post) are
    said line by line instead, each line in each language in turn, and a line that reads the
    same in all of them (times, names, what the session file says) once; what does not fit
    loses its last lines.
    """
    parts: list[str] = []
    for code in codes or (DEFAULT,):
        localizer = localize(code)
        text = words(localizer) if callable(words) else localizer.render(words)
        if text not in parts:
            parts.append(text)
    if by_line and len(parts) > 1:
        rows = [part.split("\n") for part in parts]
        if len({len(lines) for lines in rows}) == 1:
            merged = [line for row in zip(*rows, strict=True) for line in dict.fromkeys(row)]
            text = "\n".join(merged)
            return text if len(text) <= limit else fit_lines(merged, limit)
    joined = sep.join(parts)
    if len(joined) <= limit:
        return joined
    room = limit - len(sep) * (len(parts) - 1)
    shares = _shares([len(p) for p in parts], room)
    return sep.join(_fit(part, share) for part, share in zip(parts, shares, strict=True))


#: How a message words a short text (a button's label, an embed field's name, a footer) within
#: a limit: `say(msg("Asked by"), FIELD_NAME)`; a text made of several messages is a function
#: of the `Localizer`, as for `in_languages`.
Say = Callable[[Words, int], str]


def say_in(codes: Sequence[str], *, sep: str = " · ") -> Say:
    """How a message for these languages words its short texts: each language's wording, one
    after the other with `sep`, within the limit given (`in_languages`). For a public message,
    the session's languages; for a private one, the reader's alone
    (`say_in([language_of(interaction.locale)])`). Made once per languages and separator."""
    return _say_in(tuple(codes), sep)


@lru_cache(maxsize=64)
def _say_in(codes: tuple[str, ...], sep: str) -> Say:
    if len(set(codes)) <= 1:
        localizer = localize(codes[0] if codes else DEFAULT)
        fixed: dict[tuple[str | None, str, int], str] = {}  # the messages without values

        def say_one(text: Words, limit: int) -> str:
            if type(text) is Message and not text.named:
                key = (text.context, text.msgid, limit)
                found = fixed.get(key)
                if found is None:
                    said = localizer.render(text)
                    found = fixed[key] = said if len(said) <= limit else _fit(said, limit)
                return found
            said = text(localizer) if callable(text) else localizer.render(text)
            return said if len(said) <= limit else _fit(said, limit)

        return say_one

    def say(text: Words, limit: int) -> str:
        return in_languages(codes, text, limit=limit, sep=sep)

    return say


def _shares(sizes: Sequence[int], room: int) -> list[int]:
    """Split `room` among texts of these sizes: equal shares, a text shorter than its share
    giving the rest to the others."""
    shares = [0] * len(sizes)
    left = sorted(range(len(sizes)), key=lambda i: sizes[i])
    while left:
        share = max(0, room) // len(left)
        i = left[0]
        if sizes[i] <= share:
            shares[i] = sizes[i]
            room -= sizes[i]
            left.pop(0)
            continue
        for j in left:
            shares[j] = share
        break
    return shares


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    if "\n" in text:
        return fit_lines(text.split("\n"), limit)
    return cut_rendered(text, limit)


#: English, for wording functions called without a reader's language.
ENGLISH = _localizer(DEFAULT)
