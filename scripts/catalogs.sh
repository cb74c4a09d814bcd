#!/usr/bin/env bash
# Keep the language catalogs in step with the code: extract the messages, update each
# bot/locales/<code>/LC_MESSAGES/messages.po, compile the .mo files (docs/languages.md).
#   scripts/catalogs.sh            extract, update, compile
#   scripts/catalogs.sh check      what is missing or stale
#   scripts/catalogs.sh init fr    start a new language's catalog
source "$(dirname "$0")/_venv.sh"
exec python scripts/catalogs.py "$@"
