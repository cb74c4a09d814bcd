"""What the bot says about similar questions and themes: plain strings within Discord's limits.

Every function takes `escape`, the cog's escaper for user text (`cogs._common.shown`), so this
module needs no Discord import. User text is cut first, then escaped, then the total is checked
against the limit (Discord counts code points, as `len` does). Nothing here names an asker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.similarity import Theme, ThemeQuestion

Escape = Callable[[str], str]

CONTENT_LIMIT = 2000  # a message's content (the ephemeral answer to /ask)
FIELD_LIMIT = 1024  # an embed field's value (the moderation card)
DESCRIPTION_LIMIT = 4096  # an embed description (the answer to /qa themes)
BUTTON_LIMIT = 80  # a button's label
QUOTE = 120  # characters of a question quoted in a hint or a card


def cut(text: str, limit: int) -> str:
    """The text on one line, at most `limit` characters (an ellipsis where it was cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: max(0, limit - 1)].rstrip() + "…"


def vote_instead_label(number: int) -> str:
    """The hint's button: withdraw the new question and vote for #number."""
    return f"Vote for #{number} instead"[:BUTTON_LIMIT]


def merge_label(number: int) -> str:
    """The moderation card's button: merge this question into #number."""
    return f"Merge into #{number}"[:BUTTON_LIMIT]


def hint_text(number: int, kept_text: str, escape: Escape) -> str:
    """The line added to the asker's private confirmation when an open question is similar."""
    quoted = escape(cut(kept_text, QUOTE))
    text = (
        f"A similar question is already open: **#{number}** “{quoted}”\n"
        f"If it asks what you wanted to ask, **{vote_instead_label(number)}** withdraws your "
        "question and gives #"
        f"{number} your vote. If not, do nothing: your question stays as it is."
    )
    return text[:CONTENT_LIMIT]


def duplicate_note(number: int, kept_text: str, escape: Escape) -> str:
    """The moderation card's field value: "Possible duplicate of #7: …"."""
    return f"Possible duplicate of #{number}: “{escape(cut(kept_text, QUOTE))}”"[:FIELD_LIMIT]


def theme_title(theme: Theme[ThemeQuestion], label_names: Mapping[str, str]) -> str:
    """A theme's name: its label's name, else its key terms (plain text, not escaped)."""
    if theme.label_id is not None and theme.label_id in label_names:
        return label_names[theme.label_id]
    if theme.terms:
        return " · ".join(theme.terms[:3])
    return "Other questions"


def themes_description(
    found: Sequence[Theme[ThemeQuestion]],
    label_names: Mapping[str, str],
    escape: Escape,
    *,
    limit: int = DESCRIPTION_LIMIT,
) -> str:
    """The answer to `/qa themes`: one block per theme (size, label, top-voted question, key
    terms), largest first, within `limit` characters; themes that do not fit are counted."""
    if not found:
        return "No open questions to group yet."
    total = sum(t.size for t in found)
    head = f"{total} open question{'s' if total != 1 else ''} in {len(found)} theme" + (
        "s" if len(found) != 1 else ""
    )
    blocks = [_theme_block(i, t, label_names, escape) for i, t in enumerate(found, start=1)]
    out = head + ", largest first."
    for shown, block in enumerate(blocks):
        rest = len(blocks) - shown
        more = f"\n\n… and {rest - 1} more theme{'s' if rest - 1 != 1 else ''}."
        room = limit - len(out) - (len(more) if rest > 1 else 0)
        if len(block) + 2 > room:
            return (out + f"\n\n… and {rest} more theme{'s' if rest != 1 else ''}.")[:limit]
        out += "\n\n" + block
    return out[:limit]


def _theme_block(
    index: int, theme: Theme[ThemeQuestion], label_names: Mapping[str, str], escape: Escape
) -> str:
    title = escape(cut(theme_title(theme, label_names), 100))
    top = theme.top
    votes = f"{top.votes} vote{'s' if top.votes != 1 else ''}"
    lines = [
        f"**{index}. {title}** · {theme.size} question{'s' if theme.size != 1 else ''}",
        f"Top: **#{top.number}** ({votes}) {escape(cut(top.text, QUOTE))}",
    ]
    others = [q for q in theme.representatives if q.number != top.number][:2]
    if others:
        lines.append("Also: " + ", ".join(f"#{q.number}" for q in others))
    if theme.terms and theme.label_id is not None:
        lines.append("Words: " + escape(", ".join(theme.terms)))
    return "\n".join(lines)
