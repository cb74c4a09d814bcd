"""Slash commands in each person's language: names, descriptions, options and choices.

discord.py hands every text of every command to the tree's translator once per Discord locale
when it syncs (`await bot.tree.set_translator(CatalogTranslator())` first). The English text in
the code is the message id; names are looked up in the context "command name" (the same English
word may be a name and a word in a sentence), descriptions and choices without one. A locale the
bot does not speak keeps the English.

Discord refuses a whole sync for one bad name, so a translated name that breaks its rules
(lowercase; letters, digits, `-` and `_`; 1 to 32 characters) is dropped here, with a warning,
and the English name stays; tests/test_i18n_commands.py keeps every catalog clear of them.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n import DEFAULT, language_of, localize

log = logging.getLogger(__name__)

#: The context of a command's, group's or option's name in the catalogs.
NAME_CONTEXT = "command name"
NAMES = frozenset({Where.command_name, Where.group_name, Where.parameter_name})
NAME_MAX = 32
DESCRIPTION_MAX = 100
CHOICE_NAME_MAX = 100


def valid_name(name: str) -> bool:
    """Discord's rule for a slash command's, group's or option's name: 1 to 32 characters,
    each a letter, a digit (any script), `-` or `_`, or of the Devanagari or Thai script, and
    lowercase where the letter has a lowercase form."""
    return (
        0 < len(name) <= NAME_MAX
        and name == name.lower()
        and all(c.isalnum() or c in "-_" or _devanagari_or_thai(c) for c in name)
    )


def _devanagari_or_thai(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("DEVANAGARI", "THAI"))


class CatalogTranslator(app_commands.Translator):
    """Translates the bot's commands from the gettext catalogs (bot.i18n)."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        return translated(string.message, locale, context.location)


def translated(message: str, locale: object, where: Where) -> str | None:
    """The text of a command in the language serving `locale`, or None to keep the English."""
    code = language_of(locale)
    if code == DEFAULT:
        return None
    catalog = localize(code)
    if where in NAMES:
        text = catalog.template(message, context=NAME_CONTEXT)
        if text != message and not valid_name(text):
            log.warning(
                "the %s name %r of %r breaks Discord's rules; kept English", code, text, message
            )
            return None
    else:
        text = catalog.template(message)
        limit = CHOICE_NAME_MAX if where == Where.choice_name else DESCRIPTION_MAX
        if not 0 < len(text) <= limit:
            log.warning("the %s text %r is over %d characters; kept English", code, text, limit)
            return None
    return text if text != message else None


# ------------------------------------------------------------------ the texts of a tree


@dataclass(frozen=True, slots=True)
class CommandText:
    """One text of a command as discord.py holds it: what it is, where, and its English."""

    where: Where
    path: str  # "qa next", "qa next speaker"
    message: str

    @property
    def context(self) -> str | None:
        """Its context in the catalogs."""
        return NAME_CONTEXT if self.where in NAMES else None


def command_texts(tree: app_commands.CommandTree) -> Iterator[CommandText]:
    """Every text of every slash command in the tree, as the translator is asked for it."""
    for command in tree.get_commands():
        yield from _texts(command, "")


def _texts(
    command: app_commands.Command | app_commands.Group | app_commands.ContextMenu, parent: str
) -> Iterator[CommandText]:
    path = f"{parent} {command.name}".strip()
    if isinstance(command, app_commands.ContextMenu):
        yield CommandText(Where.command_name, path, command.name)
        return
    group = isinstance(command, app_commands.Group)
    yield CommandText(Where.group_name if group else Where.command_name, path, command.name)
    where = Where.group_description if group else Where.command_description
    yield CommandText(where, path, command.description)
    if isinstance(command, app_commands.Group):
        for child in command.commands:
            yield from _texts(child, path)
        return
    for param in command.parameters:
        option = f"{path} {param.display_name}"
        yield CommandText(Where.parameter_name, option, param.display_name)
        yield CommandText(Where.parameter_description, option, param.description)
        for choice in param.choices:
            yield CommandText(Where.choice_name, option, choice.name)
