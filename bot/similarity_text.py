"""What the bot says about similar questions and themes: plain strings within Discord's limits.

Every function takes `escape`, the cog's escaper for user text (`cogs._common.shown`), so this
module needs no Discord import, and `_`, the reader's `Localizer` (English when not given). User
text is cut first, then escaped, then the total is checked against the limit (Discord counts
code points, as `len` does). Nothing here names an asker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.i18n import ENGLISH, Localizer
from bot.limits import BUTTON_LABEL, CONTENT, EMBED_DESCRIPTION, FIELD_VALUE, cut_line
from bot.similarity import Theme, ThemeQuestion

Escape = Callable[[str], str]

QUOTE = 120  # characters of a question quoted in a hint or a card


def vote_instead_label(number: int, _: Localizer = ENGLISH) -> str:
    """The hint's button: withdraw the new question and vote for #number."""
    return _("Vote for #{number} instead", number=number)[:BUTTON_LABEL]


def merge_label(number: int, _: Localizer = ENGLISH) -> str:
    """The moderation card's button: merge this question into #number."""
    return _("Merge into #{number}", number=number)[:BUTTON_LABEL]


def hint_text(number: int, kept_text: str, escape: Escape, _: Localizer = ENGLISH) -> str:
    """The line added to the asker's private confirmation when an open question is similar."""
    quoted = escape(cut_line(kept_text, QUOTE))
    text = _(
        "A similar question is already open: **#{number}** “{text}”\n"
        "If it asks what you wanted to ask, **{button}** withdraws your question and gives "
        "#{number} your vote. If not, do nothing: your question stays as it is.",
        number=number,
        text=quoted,
        button=vote_instead_label(number, _),
    )
    return text[:CONTENT]


def duplicate_note(number: int, kept_text: str, escape: Escape, _: Localizer = ENGLISH) -> str:
    """The moderation card's field value: "Possible duplicate of #7: …"."""
    quoted = escape(cut_line(kept_text, QUOTE))
    return _("Possible duplicate of #{number}: “{text}”", number=number, text=quoted)[:FIELD_VALUE]


def theme_title(
    theme: Theme[ThemeQuestion], label_names: Mapping[str, str], _: Localizer = ENGLISH
) -> str:
    """A theme's name: its label's name, else its key terms (plain text, not escaped)."""
    if theme.label_id is not None and theme.label_id in label_names:
        return label_names[theme.label_id]
    if theme.terms:
        return " · ".join(theme.terms[:3])
    return _("Other questions")


def themes_description(
    found: Sequence[Theme[ThemeQuestion]],
    label_names: Mapping[str, str],
    escape: Escape,
    *,
    limit: int = EMBED_DESCRIPTION,
    _: Localizer = ENGLISH,
) -> str:
    """The answer to `/qa themes`: one block per theme (size, label, top-voted question, key
    terms), largest first, within `limit` characters; themes that do not fit are counted."""
    if not found:
        return _("No open questions to group yet.")
    total = sum(t.size for t in found)
    out = _(
        "{questions} in {themes}, largest first.",
        questions=_.ngettext("{count} open question", "{count} open questions", total),
        themes=_.ngettext("{count} theme", "{count} themes", len(found)),
    )
    blocks = [_theme_block(i, t, label_names, escape, _) for i, t in enumerate(found, start=1)]
    for shown, block in enumerate(blocks):
        rest = len(blocks) - shown
        more = "\n\n" + _more(rest - 1, _)
        room = limit - len(out) - (len(more) if rest > 1 else 0)
        if len(block) + 2 > room:
            return (out + "\n\n" + _more(rest, _))[:limit]
        out += "\n\n" + block
    return out[:limit]


def _more(themes: int, _: Localizer) -> str:
    return _.ngettext("… and {count} more theme.", "… and {count} more themes.", themes)


def _theme_block(
    index: int,
    theme: Theme[ThemeQuestion],
    label_names: Mapping[str, str],
    escape: Escape,
    _: Localizer,
) -> str:
    title = escape(cut_line(theme_title(theme, label_names, _), 100))
    top = theme.top
    lines = [
        _(
            "**{index}. {title}** · {questions}",
            index=index,
            title=title,
            questions=_.ngettext("{count} question", "{count} questions", theme.size),
        ),
        _(
            "Top: **#{number}** ({votes}) {text}",
            number=top.number,
            votes=_.ngettext("{count} vote", "{count} votes", top.votes),
            text=escape(cut_line(top.text, QUOTE)),
        ),
    ]
    others = [q for q in theme.representatives if q.number != top.number][:2]
    if others:
        lines.append(_("Also: {numbers}", numbers=", ".join(f"#{q.number}" for q in others)))
    if theme.terms and theme.label_id is not None:
        lines.append(_("Words: {words}", words=escape(", ".join(theme.terms))))
    return "\n".join(lines)
