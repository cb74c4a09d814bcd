"""Keep the language catalogs in step with the code: extract, update, compile, check.

    python scripts/catalogs.py            # extract, update every .po, compile every .mo
    python scripts/catalogs.py check      # say what is missing or stale (exit 1 if anything)
    python scripts/catalogs.py init fr    # start the catalog of a new language

The messages are those the code marks (bot.i18n) and the texts of the slash commands, read
from the command tree of a bot built as `run` builds it (nothing connects to Discord).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import create_bot  # noqa: E402
from bot.i18n import catalogs  # noqa: E402
from cogs._translator import command_texts  # noqa: E402


async def command_extras() -> list[catalogs.Extra]:
    """The texts of every slash command the bot registers."""
    with tempfile.TemporaryDirectory() as folder:
        bot = create_bot(
            ROOT / "config" / "sessions", Path(folder) / "qa.sqlite3", sync_commands=False
        )
        try:
            await bot.setup_hook()
            return [
                catalogs.Extra(text.message, text.context, f"/{text.path}")
                for text in command_texts(bot.tree)
            ]
        finally:
            await bot.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", nargs="?", default="all", choices=["all", "check", "init"])
    parser.add_argument("language", nargs="?", help="for init: the new language's code")
    args = parser.parse_args()
    template = catalogs.extract(asyncio.run(command_extras()))
    if args.action == "check":
        found = [p for code in catalogs.catalog_codes() for p in catalogs.problems(template, code)]
        for problem in found:
            print(problem)
        print(f"{len(template)} messages; {len(found)} problem(s)")
        return 1 if found else 0
    catalogs.write_template(template)
    if args.action == "init":
        if not args.language:
            parser.error("init needs the new language's code, e.g. init fr")
        print(f"wrote {catalogs.init(args.language, template)}")
    for path in catalogs.update(template):
        print(f"updated {path.relative_to(ROOT)}")
    for path in catalogs.compile_all():
        print(f"compiled {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
