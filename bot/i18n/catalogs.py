"""The catalogs' upkeep: extract the messages of the code, update each language, compile.

`scripts/catalogs.sh` runs it all (docs/languages.md); the tests use the same functions to
check that the catalogs cover the code and that the compiled `.mo` files match their `.po`.

The messages are what the code marks (the keywords below, in bot/ and cogs/ and the report's
template) plus the texts of the slash commands, which the command line gathers from the
command tree (cogs/_translator.py) and hands in as `extra`.
"""

from __future__ import annotations

import gettext
import io
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LOCALES

ROOT = LOCALES.parent.parent
TEMPLATE = LOCALES / f"{DOMAIN}.pot"
PROJECT = "session-qa-bot"
VERSION = "0.1"
_DATES = (b'"POT-Creation-Date: ', b'"PO-Revision-Date: ')

#: The functions that mark messages (bot.i18n): their arguments that are message ids, and the
#: context's, as Babel reads them.
KEYWORDS = {
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "msg": None,
    "nmsg": (1, 2),
    "pmsg": ((1, "c"), 2),
    "template": None,
}
#: Where messages are, below the project's folder.
SOURCES = (
    ("bot/**.py", "python"),
    ("cogs/**.py", "python"),
    ("bot/reports/templates/**.j2", "jinja2"),
)
JINJA = {"trim_blocks": "true", "lstrip_blocks": "true", "extensions": ""}


@dataclass(frozen=True, slots=True)
class Extra:
    """A message not marked in the code (a slash command's text): its id, context and where
    it is used."""

    msgid: str
    context: str | None
    where: str


def extract(extra: Iterable[Extra] = ()) -> Catalog:
    """The template catalog: every message of the code and every `extra` one."""
    catalog = Catalog(
        project=PROJECT,
        version=VERSION,
        charset="utf-8",
        fuzzy=False,
        header_comment=(
            "# The messages of the Q&A bot, as the code says them in English: the template of\n"
            "# every language's catalog (scripts/catalogs.sh writes it; docs/languages.md).\n#"
        ),
        msgid_bugs_address="",
        last_translator="",
        language_team="",
    )
    found = extract_from_dir(
        ROOT,
        method_map=SOURCES,
        options_map={pattern: JINJA for pattern, method in SOURCES if method == "jinja2"},
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        if "/.venv/" in f"/{filename}":
            continue
        catalog.add(
            message,
            locations=[(filename, lineno)],
            auto_comments=comments,
            context=context,
            flags=("python-brace-format",) if _fields(message) else (),
        )
    for item in extra:
        catalog.add(
            item.msgid,
            locations=[(item.where, 0)],
            context=item.context,
        )
    return catalog


def _fields(message: str | tuple[str, ...]) -> set[str]:
    texts = (message,) if isinstance(message, str) else message
    return set().union(*(placeholders(text) for text in texts if text))


def placeholders(text: str) -> set[str]:
    """The names of a message's `{placeholders}` (format specs aside)."""
    try:
        return {
            name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(text)
            if name is not None
        }
    except ValueError:
        return {"<unbalanced braces>"}


# ------------------------------------------------------------------------------ languages


def po_path(code: str) -> Path:
    return LOCALES / code.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(code: str) -> Path:
    return po_path(code).with_suffix(".mo")


def catalog_codes() -> list[str]:
    """The languages that have a catalog source (`.po`), by code."""
    return sorted(
        path.parent.parent.name.replace("_", "-")
        for path in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
    )


def read(code: str) -> Catalog:
    with po_path(code).open("rb") as file:
        return read_po(file, locale=code.replace("-", "_"))


def write_template(template: Catalog) -> None:
    _write(TEMPLATE, template, width=100)


def _write(path: Path, catalog: Catalog, **options: object) -> bool:
    """Write a catalog, unless only its dates would change; say whether it was written."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, sort_output=False, omit_header=False, **options)  # type: ignore[arg-type]
    data = buffer.getvalue()
    if path.exists() and _undated(path.read_bytes()) == _undated(data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _undated(data: bytes) -> list[bytes]:
    return [line for line in data.splitlines() if not line.startswith(_DATES)]


def init(code: str, template: Catalog) -> Path:
    """Start the catalog of a new language (every message still to translate)."""
    locale = Locale.parse(code.replace("-", "_"))
    catalog = Catalog(
        locale=locale,
        project=PROJECT,
        version=VERSION,
        charset="utf-8",
        fuzzy=False,
        header_comment=_header(code),
        msgid_bugs_address="",
        last_translator="",
        language_team=locale.english_name or code,
    )
    catalog.update(template)
    path = po_path(code)
    _write(path, catalog, width=100)
    return path


def _header(code: str) -> str:
    return (
        f"# The bot's messages in {Locale.parse(code.replace('-', '_')).english_name}.\n"
        "# Translate each msgstr for people: natural, polite and short. Keep the {names} in\n"
        "# braces as they are (they are filled in), and command and option names as the\n"
        '# "command name" entries translate them. docs/languages.md says more.\n#'
    )


def update(template: Catalog) -> list[Path]:
    """Bring every language's `.po` in line with the template: new messages to translate, a
    changed one marked fuzzy (shown in English until reviewed), gone ones kept as obsolete."""
    written = []
    for code in catalog_codes():
        catalog = read(code)
        catalog.update(template, update_header_comment=False)
        catalog.revision_date = datetime.now(UTC)
        if _write(po_path(code), catalog, width=100):
            written.append(po_path(code))
    return written


def compile_all() -> list[Path]:
    """Compile every `.po` to its `.mo` (translated, reviewed messages only)."""
    written = []
    for code in catalog_codes():
        data = compiled(read(code))
        path = mo_path(code)
        if not path.exists() or mo_entries(path.read_bytes()) != mo_entries(data):
            path.write_bytes(data)
            written.append(path)
    return written


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def mo_entries(data: bytes) -> dict[object, str]:
    """What a compiled catalog holds: each id (a context and an id, or an id and a plural
    index) with its translation, as gettext reads it."""
    translations = gettext.GNUTranslations(io.BytesIO(data))
    entries: dict[object, str] = dict(translations._catalog)  # type: ignore[attr-defined]
    entries.pop("", None)  # the header
    return entries


# --------------------------------------------------------------------------------- checks


def problems(template: Catalog, code: str) -> Iterator[str]:
    """What is wrong with a language's catalog: a message of the code missing, untranslated,
    fuzzy, or with other placeholders than the English; a `.mo` not compiled from the `.po`."""
    catalog = read(code)
    wanted = {_key(m) for m in template if m.id}
    have = {_key(m) for m in catalog if m.id}
    for key in sorted(wanted - have, key=str):
        yield f"{code}: not in the catalog: {key}"
    for message in catalog:
        if not message.id or _key(message) not in wanted:
            continue
        yield from _message_problems(code, message, catalog.num_plurals)
    if not mo_path(code).exists():
        yield f"{code}: {mo_path(code).name} is missing: run scripts/catalogs.sh"
    elif mo_entries(mo_path(code).read_bytes()) != mo_entries(compiled(catalog)):
        yield f"{code}: {mo_path(code).name} is not compiled from the .po: run scripts/catalogs.sh"


def _key(message: Message) -> tuple[str | None, str]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return (message.context, msgid)


def _message_problems(code: str, message: Message, plurals: int) -> Iterator[str]:
    label = f"{code}: {_key(message)}"
    if message.fuzzy:
        yield f"{label}: fuzzy (review the translation, then remove the flag)"
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    forms = [form or "" for form in strings]
    if not all(forms):
        yield f"{label}: not translated"
        return
    if isinstance(message.id, str):
        expected = placeholders(message.id)
        for form in forms:
            if placeholders(form) != expected:
                yield f"{label}: placeholders {sorted(placeholders(form))}, not {sorted(expected)}"
        return
    singular, plural = (placeholders(text or "") for text in message.id[:2])
    for form in forms:
        found = placeholders(form)
        if not found <= singular | plural or not singular & plural <= found:
            yield (
                f"{label}: placeholders {sorted(found)}, not those of "
                f"{sorted(singular)} / {sorted(plural)}"
            )
    if len(forms) != plurals:
        yield f"{label}: {len(forms)} plural forms, not {plurals}"
