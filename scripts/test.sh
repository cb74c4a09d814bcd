#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite.
source "$(dirname "$0")/_venv.sh"
exec python -m pytest -q "$@"
