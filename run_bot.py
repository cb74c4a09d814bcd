"""Run the Q&A bot: `python run_bot.py --help`."""

from bot.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
