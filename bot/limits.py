"""Discord's documented limits on what a bot sends, one validator for outgoing payloads, and the
helpers that make user text fit.

Discord refuses a message or an interaction response over any of these limits with 400 (50035
Invalid Form Body); the bot must never build one. Characters are counted as Unicode code points,
as Python's `len` does.

The validator works on plain dicts, the JSON Discord receives (`Embed.to_dict()`,
`View.to_components()`, an interaction callback body), so it needs no Discord library;
`validate_message` and `message_problems` also take objects that have those methods.

User text is fitted with `cut`: cut the raw text first, then escape its markdown, then check the
total, so an escape is never split (no stray backslash) and there is room for the ellipsis.
`fit_lines` joins rendered lines under a limit and always keeps a closing line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

# ----------------------------------------------------------------------------- the limits

CONTENT = 2000
EMBEDS = 10
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR_NAME = 256
EMBED_TOTAL = 6000  # all the embeds of one message together
ACTION_ROWS = 5
ROW_BUTTONS = 5
BUTTON_LABEL = 80
CUSTOM_ID = 100
URL = 512  # a link button's url
SELECT_OPTIONS = 25
SELECT_OPTION_TEXT = 100  # an option's label, value and description
SELECT_PLACEHOLDER = 150
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100
MODAL_TITLE = 45
MODAL_INPUTS = 5
INPUT_LABEL = 45
INPUT_VALUE = 4000
INPUT_PLACEHOLDER = 100
THREAD_NAME = 100  # a thread's name, a forum post's title

ELLIPSIS = "…"

# component types (Discord's numbers)
ACTION_ROW, BUTTON, TEXT_INPUT = 1, 2, 4
SELECTS = frozenset({3, 5, 6, 7, 8})
LINK_STYLE = 5

# interaction callback types whose data is a message
_MESSAGE_CALLBACKS = frozenset({4, 7})
_AUTOCOMPLETE_CALLBACK = 8
_MODAL_CALLBACK = 9


class PayloadProblem(NamedTuple):
    """One thing Discord would refuse: where in the payload, and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class PayloadError(ValueError):
    """A payload Discord would refuse; `problems` lists every reason."""

    def __init__(self, problems: Iterable[PayloadProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


# ------------------------------------------------------------------------ the validator


def _length(where: str, value: Any, limit: int, *, required: bool = False) -> list[PayloadProblem]:
    if value is None:
        return [PayloadProblem(where, "is required")] if required else []
    text = str(value)
    if required and not text.strip():
        return [PayloadProblem(where, "must not be empty")]
    if len(text) > limit:
        return [PayloadProblem(where, f"{len(text):,} characters, the limit is {limit:,}")]
    return []


def _count(where: str, items: Sequence[Any], limit: int, what: str) -> list[PayloadProblem]:
    if len(items) > limit:
        return [PayloadProblem(where, f"{len(items)} {what}, the limit is {limit}")]
    return []


def embed_text_length(embed: Mapping[str, Any]) -> int:
    """The characters of an embed that count toward a message's 6,000."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for field in embed.get("fields") or ():
        total += len(field.get("name") or "") + len(field.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def embed_problems(embed: Mapping[str, Any], where: str = "embed") -> list[PayloadProblem]:
    """Check one embed (as `Embed.to_dict()` gives it)."""
    found = _length(f"{where}.title", embed.get("title"), EMBED_TITLE)
    found += _length(f"{where}.description", embed.get("description"), EMBED_DESCRIPTION)
    fields = list(embed.get("fields") or ())
    found += _count(f"{where}.fields", fields, EMBED_FIELDS, "fields")
    for i, field in enumerate(fields):
        found += _length(f"{where}.fields[{i}].name", field.get("name"), FIELD_NAME, required=True)
        found += _length(
            f"{where}.fields[{i}].value", field.get("value"), FIELD_VALUE, required=True
        )
    footer = embed.get("footer")
    if footer:
        found += _length(f"{where}.footer.text", footer.get("text"), FOOTER)
    author = embed.get("author")
    if author:
        found += _length(f"{where}.author.name", author.get("name"), AUTHOR_NAME)
    return found


def _button_problems(button: Mapping[str, Any], where: str) -> list[PayloadProblem]:
    found = _length(f"{where}.label", button.get("label"), BUTTON_LABEL)
    if button.get("style") == LINK_STYLE:
        found += _length(f"{where}.url", button.get("url"), URL, required=True)
    else:
        found += _length(f"{where}.custom_id", button.get("custom_id"), CUSTOM_ID, required=True)
    if not button.get("label") and not button.get("emoji"):
        found.append(PayloadProblem(where, "a button needs a label or an emoji"))
    return found


def _select_problems(select: Mapping[str, Any], where: str) -> list[PayloadProblem]:
    found = _length(f"{where}.custom_id", select.get("custom_id"), CUSTOM_ID, required=True)
    found += _length(f"{where}.placeholder", select.get("placeholder"), SELECT_PLACEHOLDER)
    options = list(select.get("options") or ())
    found += _count(f"{where}.options", options, SELECT_OPTIONS, "options")
    for i, option in enumerate(options):
        at = f"{where}.options[{i}]"
        found += _length(f"{at}.label", option.get("label"), SELECT_OPTION_TEXT, required=True)
        found += _length(f"{at}.value", option.get("value"), SELECT_OPTION_TEXT, required=True)
        found += _length(f"{at}.description", option.get("description"), SELECT_OPTION_TEXT)
    return found


def component_problems(
    components: Sequence[Mapping[str, Any]], where: str = "components"
) -> list[PayloadProblem]:
    """Check a message's components (as `View.to_components()` gives them): at most 5 action
    rows of at most 5 buttons, or one select."""
    found = _count(where, components, ACTION_ROWS, "action rows")
    for r, row in enumerate(components):
        at = f"{where}[{r}]"
        if row.get("type") != ACTION_ROW:
            found.append(PayloadProblem(at, "a message's top-level component must be a row"))
            continue
        items = list(row.get("components") or ())
        if not items:
            found.append(PayloadProblem(at, "an action row must not be empty"))
        selects = [c for c in items if c.get("type") in SELECTS]
        if selects and len(items) > 1:
            found.append(PayloadProblem(at, "a select menu must be alone in its row"))
        found += _count(f"{at}.components", items, ROW_BUTTONS, "buttons")
        for c, item in enumerate(items):
            item_at = f"{at}.components[{c}]"
            kind = item.get("type")
            if kind == BUTTON:
                found += _button_problems(item, item_at)
            elif kind in SELECTS:
                found += _select_problems(item, item_at)
            else:
                found.append(PayloadProblem(item_at, f"component type {kind} is not for messages"))
    return found


def message_payload_problems(payload: Mapping[str, Any], where: str = "") -> list[PayloadProblem]:
    """Check a message body as sent (content, embeds, components), e.g. a channel message, an
    edit, a follow-up, or an interaction response's data."""
    prefix = f"{where}." if where else ""
    found = _length(f"{prefix}content", payload.get("content"), CONTENT)
    embeds = [e for e in payload.get("embeds") or () if e is not None]
    found += _count(f"{prefix}embeds", embeds, EMBEDS, "embeds")
    total = 0
    for i, embed in enumerate(embeds):
        found += embed_problems(embed, f"{prefix}embeds[{i}]")
        total += embed_text_length(embed)
    if total > EMBED_TOTAL:
        found.append(
            PayloadProblem(
                f"{prefix}embeds", f"{total:,} characters in all, the limit is {EMBED_TOTAL:,}"
            )
        )
    found += component_problems(list(payload.get("components") or ()), f"{prefix}components")
    return found


def choice_problems(
    choices: Sequence[Mapping[str, Any]], where: str = "choices"
) -> list[PayloadProblem]:
    """Check an autocomplete answer: at most 25 choices, name 1-100, a string value <= 100."""
    found = _count(where, choices, CHOICES, "choices")
    for i, choice in enumerate(choices):
        found += _length(f"{where}[{i}].name", choice.get("name"), CHOICE_NAME, required=True)
        value = choice.get("value")
        if isinstance(value, str):
            found += _length(f"{where}[{i}].value", value, CHOICE_VALUE)
    return found


def modal_problems(modal: Mapping[str, Any], where: str = "modal") -> list[PayloadProblem]:
    """Check a modal: title <= 45, at most 5 text inputs, label <= 45, value <= 4,000."""
    found = _length(f"{where}.title", modal.get("title"), MODAL_TITLE, required=True)
    found += _length(f"{where}.custom_id", modal.get("custom_id"), CUSTOM_ID, required=True)
    rows = list(modal.get("components") or ())
    found += _count(f"{where}.components", rows, MODAL_INPUTS, "text inputs")
    for r, row in enumerate(rows):
        # a text input sits in an action row, or (newer layouts) in a label component
        inputs = [row.get("component")] if row.get("component") else row.get("components") or ()
        for c, item in enumerate(inputs):
            at = f"{where}.components[{r}].components[{c}]"
            if item.get("type") != TEXT_INPUT:
                continue
            label = row.get("label") if row.get("component") else item.get("label")
            found += _length(f"{at}.label", label, INPUT_LABEL)
            found += _length(f"{at}.custom_id", item.get("custom_id"), CUSTOM_ID, required=True)
            found += _length(f"{at}.value", item.get("value"), INPUT_VALUE)
            found += _length(f"{at}.placeholder", item.get("placeholder"), INPUT_PLACEHOLDER)
            for key in ("min_length", "max_length"):
                bound = item.get(key)
                if bound is not None and not 0 <= int(bound) <= INPUT_VALUE:
                    found.append(PayloadProblem(f"{at}.{key}", f"must be 0 to {INPUT_VALUE}"))
    return found


def thread_name_problems(name: str, where: str = "name") -> list[PayloadProblem]:
    """Check a thread name or forum post title: 1-100 characters."""
    return _length(where, name, THREAD_NAME, required=True)


def request_problems(body: Any) -> list[PayloadProblem]:
    """Check the JSON body of any request the bot sends that carries text people see.

    Recognises an interaction callback (`{"type": 4|7|8|9, "data": ...}`), a message body (a
    channel message, an edit, a webhook follow-up) and a thread's name; other bodies pass.
    """
    if not isinstance(body, Mapping):
        return []
    kind, data = body.get("type"), body.get("data")
    if isinstance(kind, int) and isinstance(data, Mapping):
        if kind in _MESSAGE_CALLBACKS:
            return message_payload_problems(data, "data")
        if kind == _AUTOCOMPLETE_CALLBACK:
            return choice_problems(list(data.get("choices") or ()), "data.choices")
        if kind == _MODAL_CALLBACK:
            return modal_problems(data, "data")
        return []
    found: list[PayloadProblem] = []
    if "name" in body and isinstance(body.get("name"), str) and "auto_archive_duration" in body:
        found += thread_name_problems(body["name"])
    if any(key in body for key in ("content", "embeds", "components")):
        found += message_payload_problems(body)
    return found


# ------------------------------------------------------------ taking discord.py's objects


def _as_dict(item: Any) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return item
    to_dict = getattr(item, "to_dict", None)
    if to_dict is None:
        raise TypeError(f"cannot read {type(item).__name__} as a payload")
    result: Mapping[str, Any] = to_dict()
    return result


def _as_components(view: Any) -> list[Mapping[str, Any]]:
    if view is None:
        return []
    if isinstance(view, Sequence):
        return [_as_dict(row) for row in view]
    to_components = getattr(view, "to_components", None)
    if to_components is None:
        raise TypeError(f"cannot read {type(view).__name__} as components")
    return list(to_components())


def message_problems(
    content: str | None = None,
    *,
    embed: Any = None,
    embeds: Sequence[Any] | None = None,
    view: Any = None,
    components: Sequence[Any] | None = None,
) -> list[PayloadProblem]:
    """Return what Discord would refuse in this message; embeds may be `discord.Embed` or
    dicts, `view` a `discord.ui.View` or a list of component dicts."""
    all_embeds = ([embed] if embed is not None else []) + list(embeds or ())
    payload = {
        "content": content,
        "embeds": [_as_dict(e) for e in all_embeds],
        "components": _as_components(view) + _as_components(components),
    }
    return message_payload_problems(payload)


def validate_message(
    content: str | None = None,
    *,
    embed: Any = None,
    embeds: Sequence[Any] | None = None,
    view: Any = None,
    components: Sequence[Any] | None = None,
) -> None:
    """Raise `PayloadError` with every problem if Discord would refuse this message."""
    found = message_problems(content, embed=embed, embeds=embeds, view=view, components=components)
    if found:
        raise PayloadError(found)


def validate_choices(choices: Sequence[Any]) -> None:
    """Raise `PayloadError` if Discord would refuse this autocomplete answer (choices may be
    `app_commands.Choice` objects or dicts)."""
    found = choice_problems([_as_dict(c) for c in choices])
    if found:
        raise PayloadError(found)


# --------------------------------------------------------------------- fitting user text

_TRAILING_BACKSLASHES = re.compile(r"\\+\Z")  # \Z: "$" would also match before a final newline


def ends_in_stray_backslash(text: str) -> bool:
    """True if `text` ends in an odd run of backslashes: the last would escape what follows."""
    run = _TRAILING_BACKSLASHES.search(text)
    return run is not None and len(run.group()) % 2 == 1


def _settle_backslash(text: str, limit: int) -> str:
    """Make a stray final backslash literal (doubled), or drop it when there is no room."""
    if not ends_in_stray_backslash(text):
        return text
    return text + "\\" if len(text) < limit else text[:-1]


def cut_rendered(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """Cut text that is already markdown (escaped or formatted) to `limit`, never leaving a
    backslash that would escape the ellipsis or what follows."""
    if len(text) <= limit:
        return _settle_backslash(text, limit)
    if limit <= len(ellipsis):
        return ellipsis[:limit]
    head = text[: limit - len(ellipsis)].rstrip()
    if ends_in_stray_backslash(head):
        head = head[:-1]
    return head + ellipsis


def cut_line(text: str, limit: int) -> str:
    """Text on one line (runs of spaces and line breaks made single spaces), at most `limit`
    characters, an ellipsis where it was cut. For text shown as it is: titles, quotes, a
    screen's queue (no markdown; `cut` is for text that Discord renders as markdown)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: max(0, limit - 1)].rstrip() + "…"


def cut(
    text: str,
    limit: int,
    *,
    escape: bool = True,
    one_line: bool = False,
    ellipsis: str = ELLIPSIS,
) -> str:
    """Fit user text in `limit` characters as Discord will show them.

    The raw text is cut first, then its markdown escaped (`escape=False`: shown as is, for
    places without markdown such as footers, labels and choice names), then the total checked:
    the result, ellipsis included, is at most `limit` long and never ends in a stray backslash.
    `one_line` turns line breaks and runs of spaces into single spaces first.
    """
    if one_line:
        text = " ".join(text.split())
    render: Callable[[str], str] = _escape_markdown() if escape else _plain
    whole = render(text)
    if len(whole) <= limit:
        return _settle_backslash(whole, limit)
    room = limit - len(ellipsis)
    if room <= 0:
        return ellipsis[:limit]
    n, shown = _longest_fitting_prefix(text, room, render, len(whole))
    while True:  # rendering grows with the prefix, nearly: a link may stop being one when cut
        if text[:n] != text[:n].rstrip():
            shown = render(text[:n].rstrip())
        if len(shown) <= room or n == 0:
            break
        n -= 1
        shown = render(text[:n])
    if ends_in_stray_backslash(shown):
        shown = shown[:-1]
    return shown[:room] + ellipsis


def _plain(text: str) -> str:
    return text


def _escape_markdown() -> Callable[[str], str]:
    """discord.py's markdown escaping, imported when first needed: importing `discord.utils`
    loads all of discord.py (about 30 MB), which the reports and the command line never need."""
    from discord.utils import escape_markdown

    return escape_markdown


def _longest_fitting_prefix(
    text: str, room: int, render: Callable[[str], str], whole: int
) -> tuple[int, str]:
    """The longest n (to within 1% of `room`) such that render(text[:n]) fits in `room`, and
    that rendering; `whole` is the length of the whole text rendered (more than `room`).

    The rendering's length grows with n, by at least one per character, and each guess costs a
    rendering of that prefix, so guesses interpolate between the bounds (escaping adds about as
    much everywhere) and a prefix that fits bounds the answer from above too: two or three
    guesses suffice. A guess that does not halve the interval is followed by a halving one, so
    unevenly escaped text costs at most about twice a bisection.
    """
    # a prefix longer than `room` never fits: rendering never shortens text
    high = min(len(text), room + 1)
    size_high = whole if high == len(text) else max(room + 1, whole * high // len(text))
    low, size_low, shown_low = 0, 0, ""
    halve = False
    while high - low > 1:
        width = high - low
        if halve:
            guess = (low + high) // 2
        else:
            guess = low + (room - size_low) * width // max(1, size_high - size_low)
        guess = min(max(guess, low + 1), high - 1)
        shown = render(text[:guess])
        if len(shown) <= room:
            low, size_low, shown_low = guess, len(shown), shown
            if room - size_low <= room // 100:
                break  # within 1% of the room: good enough, and a long rendering saved
            # each further character adds at least one: a few more cannot fit
            if low + room - size_low + 1 < high:
                high = low + room - size_low + 1
                size_high = room + 1
        else:
            high, size_high = guess, len(shown)
        halve = high - low > width // 2
    return low, shown_low


def fit_lines(
    lines: Sequence[str],
    limit: int,
    last_line: str | None = None,
    *,
    sep: str = "\n",
    more: str | Callable[[int], str] = ELLIPSIS,
) -> str:
    """Join rendered lines in at most `limit` characters, always keeping `last_line`.

    The first lines are kept while they fit; the rest are dropped and replaced by one `more`
    line (a string, or a function of how many were dropped). A first line too long on its own
    is cut. `last_line` (e.g. what to do next) is always kept, cut only if it alone is too long.
    """
    tail = [cut_rendered(last_line, limit)] if last_line is not None else []
    budget = limit - sum(len(t) + len(sep) for t in tail)
    body = _fit_body(list(lines), budget, sep, more) if budget > 0 else []
    return sep.join(body + tail)


def _fit_body(
    lines: list[str], budget: int, sep: str, more: str | Callable[[int], str]
) -> list[str]:
    n = len(lines)
    sizes = [0]
    for line in lines:
        sizes.append(sizes[-1] + len(line) + len(sep))
    for k in range(n, 0, -1):  # keep the first k lines, and a marker for the rest
        marker = [_more(more, n - k)] if k < n else []
        if sizes[k] - len(sep) + sum(len(m) + len(sep) for m in marker) <= budget:
            return lines[:k] + marker
    if not lines:
        return []
    marker = [_more(more, n - 1)] if n > 1 else []
    room = budget - sum(len(m) + len(sep) for m in marker)
    if room > len(ELLIPSIS):
        return [cut_rendered(lines[0], room), *marker]
    alone = _more(more, n)
    return [alone] if len(alone) <= budget else []


def _more(more: str | Callable[[int], str], dropped: int) -> str:
    return more(dropped) if callable(more) else more
