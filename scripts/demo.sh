#!/usr/bin/env bash
# Set up (first time only) and play the GSEF 2021 workshop offline: no token, no network.
source "$(dirname "$0")/_venv.sh"
exec python run_bot.py demo "$@"
