"""The offline demo: the GSEF 2021 workshop played end to end against a simulated Discord.

`python run_bot.py demo` (or `./scripts/demo.sh`) builds the real bot in rehearsal at `--speed`
and runs it against SimCord's simulated Discord: a server with the session's channels and
roles, a moderator, an organizer and `--participants` people who follow a seeded script
(demo.script, questions from data/demo_questions.toml). They act through slash commands and
buttons, as people do; what their actions did is read from the bot's core and its SQLite log.

- demo.script, demo.people: the pure, seeded script (who asks what, when; what moderators do).
- demo.world: the simulated server.
- demo.player: plays the script in program order; demo.actions: what each step does and what
  the log shows of it (demo.effects: one action and its effect); demo.posts: the program posts,
  from the posts table.
- demo.story: the ledger of what happened, from which the final claims are computed.
- demo.transcript: the live transcript; demo.summary: the reports and the summary.
- demo.command: the command's entry point, and what the demo refuses to play.

SimCord is needed only here: it is the `demo` extra (`pip install -e ".[demo]"`), and nothing in
`bot` or `cogs` imports this package.
"""

from __future__ import annotations

from demo.command import MAX_SPEED, Options, main, run
from demo.summary import Outcome

__all__ = ["MAX_SPEED", "Options", "Outcome", "main", "run"]
