"""Every command the bot registers, in every language Discord has: localized names that Discord
accepts, descriptions and choices within its limits, no two commands or options of one level
under the same name, and messages that name a command name it as the catalog translates it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import discord
import pytest
import regex

from bot.i18n import languages, localize
from bot.i18n.catalogs import TEMPLATE
from cogs._translator import (
    NAME_CONTEXT,
    CatalogTranslator,
    command_texts,
    translated,
    valid_name,
)
from tests.conftest import World

#: Discord's rule for a command's, group's or option's name (CHAT_INPUT).
NAME = regex.compile(r"^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$")


async def payloads(world: World) -> list[dict[str, Any]]:
    tree = world.bot.tree
    translator = tree.translator
    assert isinstance(translator, CatalogTranslator)
    return [await cmd.get_translated_payload(tree, translator) for cmd in tree.get_commands()]


def levels(items: list[dict[str, Any]], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every command, group and option with its path."""
    for item in items:
        here = f"{path} {item['name']}".strip()
        yield here, item
        yield from levels(item.get("options") or [], here)


async def test_every_localized_name_and_text_is_one_discord_accepts(world: World) -> None:
    found = await payloads(world)
    names = 0
    for path, item in levels(found):
        for locale, name in (item.get("name_localizations") or {}).items():
            assert NAME.match(name) and name == name.lower(), (path, locale, name)
            assert valid_name(name), (path, locale, name)
            names += 1
        if "description" in item:
            for locale, text in (item.get("description_localizations") or {}).items():
                assert 1 <= len(text) <= 100, (path, locale, text)
        for choice in item.get("choices") or []:
            for locale, text in (choice.get("name_localizations") or {}).items():
                assert 1 <= len(text) <= 100, (path, locale, text)
    spoken = len(languages()) - 1 + 1  # es serves two Discord locales
    assert names >= 30 * spoken  # every language names the commands, not a few of them


async def test_no_two_siblings_share_a_name_in_any_language(world: World) -> None:
    found = await payloads(world)

    def siblings(items: list[dict[str, Any]], where: str) -> None:
        for locale in discord.Locale:
            seen: dict[str, str] = {}
            for item in items:
                name = (item.get("name_localizations") or {}).get(locale.value, item["name"])
                assert name not in seen, (where, locale.value, name, seen[name], item["name"])
                seen[name] = item["name"]
        for item in items:
            siblings(item.get("options") or [], f"{where} {item['name']}")

    siblings(found, "")


async def test_each_language_names_every_command(world: World) -> None:
    """A name left in English in one language would be a translation forgotten."""
    for text in command_texts(world.bot.tree):
        if text.context != NAME_CONTEXT or text.message == "qa":
            continue
        for code in languages()[1:]:
            assert translated(text.message, code, text.where) is not None, (code, text.path)


def test_a_name_that_breaks_discords_rules_is_dropped() -> None:
    assert valid_name("질문하기") and valid_name("mis-preguntas") and valid_name("नमस्ते")
    assert not valid_name("Preguntar") and not valid_name("two words") and not valid_name("")
    assert not valid_name("x" * 33) and not valid_name("¿qué?")


# Commands as messages write them: "/ask", "/qa queue", "/qa approve number:N".
COMMAND = re.compile(r"/(qa [a-z]+|[a-z]+)( [a-z]+:)?")
COMMANDS = {"ask", "myquestions", "withdraw", "program", "qa", "schedule", "notify", "edit"}


@pytest.mark.parametrize("code", languages()[1:])
def test_messages_name_commands_as_the_catalog_translates_them(code: str) -> None:
    """A message telling people to use /qa queue says it with the name they see in Discord."""
    from babel.messages.pofile import read_po

    with TEMPLATE.open("rb") as file:
        template = read_po(file)
    _ = localize(code)

    def name(word: str) -> str:
        return _.template(word, context=NAME_CONTEXT)

    checked = 0
    for message in template:
        if not message.id or message.context is not None:
            continue
        ids = (message.id,) if isinstance(message.id, str) else message.id[:1]
        for english in ids:
            for match in COMMAND.finditer(english):
                words = match.group(1).split()
                if words[0] not in COMMANDS:
                    continue
                expected = "/" + " ".join(name(w) for w in words)
                said = _.template(english) if isinstance(message.id, str) else None
                if said is None:
                    said = _.template(message.id[0], message.id[1], 2)
                assert expected in said, (english, expected, said)
                if match.group(2):
                    option = name(match.group(2).strip(" :"))
                    assert f"{option}:" in said, (english, option, said)
                checked += 1
    assert checked >= 20
