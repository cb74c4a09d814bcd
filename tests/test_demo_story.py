"""The demo tells the truth: it reads outcomes from the log, keeps its story or says it did not,
tells slow from refused, explains its vote totals, fits the terminal, and plays the same twice.

Also: it is a package of its own that a production install of the bot does without.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import io
import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from rich.cells import cell_len
from rich.console import Console

import demo.command
import demo.effects
from bot.program import Timeline, plan_posts
from bot.sessions import Session, load_sessions
from bot.storage.repository import Run
from demo.command import MAX_SPEED, Options, main, run
from demo.effects import act
from demo.player import Player
from demo.script import (
    BLIND_SPOT,
    QUESTIONS_FILE,
    build_script,
    fewest_participants,
    load_questions,
    post_times,
)
from demo.story import SLOW, Story
from demo.summary import Outcome, print_summary, report_command
from demo.transcript import TIMING
from tests.conftest import GSEF
from tests.test_demo import transcript, without_times

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def session() -> Session:
    return load_sessions(GSEF)[0]


# ------------------------------------------------------------------------------ the package


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def test_nothing_in_the_bot_imports_simcord_or_the_demo() -> None:
    files = [*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")]
    assert len(files) > 20
    for path in files:
        for name in _imports(path):
            assert name.split(".")[0] not in {"simcord", "demo"}, f"{path}: imports {name}"
    # the one way in is the command line's `demo`, by name, once SimCord is known to be there
    cli = (ROOT / "bot" / "cli.py").read_text(encoding="utf-8")
    assert 'find_spec("simcord")' in cli and 'import_module("demo")' in cli


def test_simcord_is_the_demo_extra_and_the_demo_is_packaged() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    dependencies = project["project"]["dependencies"]
    extras = project["project"]["optional-dependencies"]
    assert not any(d.startswith("simcord") for d in dependencies)
    assert any(d.startswith("simcord") for d in extras["demo"])
    assert "session-qa-bot[demo]" in extras["dev"]  # ./scripts/demo.sh installs .[dev]
    assert "demo" in project["tool"]["setuptools"]["packages"]["find"]["include"]


def test_the_bot_starts_without_simcord(tmp_path: Path) -> None:
    """A production install: SimCord cannot be imported, the bot and its cogs still load."""
    code = (
        "import sys; sys.modules['simcord'] = None\n"
        "from bot import create_bot\n"
        "import bot.app, bot.cli\n"
        f"bot = create_bot({str(GSEF)!r}, {str(tmp_path / 'qa.sqlite3')!r})\n"
        "print('ok', bot.__class__.__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok QABot"


def test_without_simcord_the_demo_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot import cli

    monkeypatch.setitem(sys.modules, "simcord", None)  # importlib finds no such module
    assert cli.main(["demo"]) == 2
    err = capsys.readouterr().err
    assert 'pip install -e ".[demo]"' in " ".join(err.split())
    assert err.strip().count(".") <= 3 and "Traceback" not in err


# ------------------------------------------------------------------------------ refusals


def _args(tmp: Path, **overrides: Any) -> argparse.Namespace:
    values: dict[str, Any] = {
        "speed": 90.0,
        "participants": 90,
        "database": tmp / "demo.sqlite3",
        "out": tmp / "out",
        "seed": 2021,
    }
    values.update(overrides)
    return argparse.Namespace(**values)


@pytest.mark.parametrize("speed", [MAX_SPEED + 1, 1200.0, 5400.0])
def test_a_speed_the_demo_cannot_keep_is_refused_in_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], speed: float
) -> None:
    assert main(_args(tmp_path, speed=speed)) == 2
    captured = capsys.readouterr()
    err = " ".join(captured.err.split())
    assert f"--speed {MAX_SPEED:g} or less" in err
    assert err.count(". ") == 0 and err.endswith(".")  # one sentence
    assert captured.out == "" and not (tmp_path / "demo.sqlite3").exists()


def test_the_readme_gives_the_same_fastest_speed() -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"`--speed` (at most {MAX_SPEED:g})" in readme


def test_a_speed_of_zero_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_args(tmp_path, speed=0)) == 2
    assert "--speed must be a positive number" in capsys.readouterr().err


def test_too_few_participants_for_the_speed_are_refused_with_the_number_needed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], session: Session
) -> None:
    assert main(_args(tmp_path, participants=40)) == 2
    err = " ".join(capsys.readouterr().err.split())
    need = fewest_participants(session, load_questions(session), seed=2021, speed=90.0)
    assert f"use at least {need} participants" in err
    assert (
        build_script(
            session, load_questions(session), participants=need, seed=2021, speed=90.0
        ).cooldown_waits
        == 0
    )


# ------------------------------------------------------------------------------ the script


def test_post_times_are_the_bots_own_plan(session: Session) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    run = Run(1, session.id, "rehearsal", now, now, 90.0, 0, None, None)
    timeline = Timeline(session, run)
    half = timedelta(microseconds=500_000)  # to the second: the mapping is in floating point
    planned = {
        (timeline.to_session(p.due) + half).replace(microsecond=0) for p in plan_posts(timeline)
    }
    assert planned == set(post_times(session))


@pytest.mark.parametrize("speed", [30.0, 90.0, MAX_SPEED])
def test_no_step_falls_in_the_blind_spot_before_a_post(session: Session, speed: float) -> None:
    questions = load_questions(session)
    participants = max(90, fewest_participants(session, questions, seed=2021, speed=speed))
    s = build_script(session, questions, participants=participants, seed=2021, speed=speed)
    posts, blind = post_times(session), BLIND_SPOT * speed
    for step in s.steps:
        after = next((p for p in posts if p > step.at), None)
        assert after is None or after - step.at >= blind - timedelta(microseconds=1), step
    assert [st.sort_key for st in s.steps] == sorted(st.sort_key for st in s.steps)
    # moved steps stay between the same two posts: asks within their segment, reviews after
    asked = {st.question: st.at for st in s.steps if st.kind == "ask"}
    slots = {slot.id: slot for slot in session.slots}
    for q in s.questions:
        assert slots[q.segment].start <= asked[q.index] < slots[q.segment].end
    for st in s.steps:
        if st.kind in ("approve", "reject", "merge", "withdraw", "vote"):
            assert st.at > asked[st.question]


# ------------------------------------------------------------------------------ slow is not refused


async def test_an_answer_the_log_shows_late_is_slow_not_refused() -> None:
    effect_at = asyncio.get_running_loop().time() + 0.2

    async def busy_bot() -> None:
        raise TimeoutError  # SimCord could not settle: the bot was still busy

    async def effect() -> str | None:
        return "stored" if asyncio.get_running_loop().time() >= effect_at else None

    acted = await act(busy_bot, effect, limit=2.0)
    assert acted.found == "stored" and acted.seconds >= 0.2 and acted.answer == ""

    async def refused() -> Any:
        return SimpleNamespace(response=SimpleNamespace(content="No: #3 is rejected.", embeds=[]))

    async def nothing() -> None:
        return None

    acted = await act(refused, nothing, limit=2.0)
    assert acted.found is None and acted.answer == "No: #3 is rejected."
    acted = await act(busy_bot, nothing, limit=0.1)
    assert acted.found is None and acted.answer == "no answer within 0.1 s"


# ------------------------------------------------------------------------------ the summary


def _stats(**overrides: int) -> SimpleNamespace:
    values = {
        "questions": 78,
        "approved": 74,
        "merged": 4,
        "answered": 8,
        "rejected": 3,
        "withdrawn": 1,
        "unanswered": 62,
        "votes_cast": 394,
        "voters": 88,
        "participants_who_asked": 76,
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def _outcome(story: Story, folder: Path = Path("data/out"), **stats: int) -> Outcome:
    return Outcome(
        database=Path("data/demo.sqlite3"),
        html=folder / "gsef2021-report.html",
        json=folder / "gsef2021-report.json",
        stats=_stats(**stats),
        speed=90.0,
        participants=90,
        seconds=61.23,
        posts_sent=15,
        posts_late=0,
        posts_other=0,
        story=story,
    )


def _kept_story() -> Story:
    story = Story(planned=594, played=594, clicks=390, carried=4, merges_carrying=4)
    story.answers = [0.01] * 594
    return story


def _printed(outcome: Outcome, width: int) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=True, color_system=None)
    print_summary(console, outcome, 90.0)
    return out.getvalue().splitlines()


def _messy_story() -> Story:
    story = _kept_story()
    story.out_of_order = ["#12 approved", "a vote for #3"]
    story.refused = [
        "approve #7: #7 was already rejected by Chingyu Yao, so it cannot be approved now; "
        "ask them or look at /qa queue for what is waiting",
        "vote for #9: voting has ended on #9",
        "withdraw #11: only the asker can withdraw a question",
        "a participant's question was not taken: no answer within 5 s",
    ]
    story.not_cast.update({"voting on its question had ended": 12})
    story.answers += [1.4, 2.25]
    return story


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("story", [_kept_story, _messy_story])
def test_the_summary_fits_the_terminal_without_a_cut(width: int, story: Any) -> None:
    outcome = _outcome(story(), Path("data/out/a-longer-folder-for-the-reports-of-the-demo"))
    lines = _printed(outcome, width)
    assert all(cell_len(line) <= width for line in lines), [
        line for line in lines if cell_len(line) > width
    ]
    text = "\n".join(lines)
    assert "…" not in text
    # the report command is whole: its lines joined give back the command
    start = next(i for i, line in enumerate(lines) if line.startswith("  python run_bot.py"))
    joined = " ".join(line.strip().removesuffix("\\").strip() for line in lines[start:])
    assert joined == " ".join(report_command(outcome))
    assert "--run rehearsal --format html" in joined.replace("\\", "")


def test_the_summary_claims_only_what_happened() -> None:
    kept = "\n".join(_printed(_outcome(_kept_story()), 100))
    assert "The story held" in kept and "did not hold" not in kept
    assert "No action was refused" in kept
    messy = " ".join(" ".join(_printed(_outcome(_messy_story()), 100)).split())
    assert "The story did not hold: 2 of 594 actions" in messy and "The story held" not in messy
    assert "(the first: #12 approved)" in messy and "try a lower --speed" in messy
    assert "4 actions refused by the bot" in messy and "No action was refused" not in messy
    assert "; and 1 more" in messy
    assert "12 votes not cast: voting on its question had ended (12)" in messy
    # slow answers are counted apart from refusals, on the wall-clock lines
    assert f"{TIMING} 2 answers took over {SLOW:g} s." in messy
    assert "slow is not refused" in messy


def test_the_vote_totals_agree_or_the_difference_is_explained() -> None:
    text = " ".join(" ".join(_printed(_outcome(_kept_story()), 100)).split())
    assert "Votes 394 by 88 people: 390 clicks shown above, plus 4 carried over by 4 merges" in text
    assert "counts as a vote for the question kept" in text
    only_clicks = Story(planned=1, played=1, clicks=394)
    text = " ".join(" ".join(_printed(_outcome(only_clicks), 100)).split())
    assert "Votes 394 by 88 people, every one a click shown above." in text
    unexplained = " ".join(" ".join(_printed(_outcome(_kept_story(), votes_cast=400), 100)).split())
    assert "the log holds 6 more than it counted" in unexplained


# ------------------------------------------------------------------------------ whole runs

SMALL_SPEED = MAX_SPEED


def _small_questions(folder: Path, session: Session) -> Path:
    """A smaller data file: every fourth question, the rejected ones, one duplicate pair."""
    questions = load_questions(session)
    keep = sorted({q.index for q in questions if q.index % 4 == 0 or q.reject} | {0, 5})
    keep = [i for i in keep if questions[i].duplicate_of in (None, *keep)]
    position = {index: n for n, index in enumerate(keep)}
    raw = tomllib.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))["questions"]
    lines = []
    for index in keep:
        item = dict(raw[index])
        if "duplicate_of" in item:
            item["duplicate_of"] = position[item["duplicate_of"]]
        lines.append("[[questions]]")
        for key, value in item.items():
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else value
            lines.append(f"{key} = {str(shown).lower() if isinstance(value, bool) else shown}")
        lines.append("")
    path = folder / "questions.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _play(options: Options) -> tuple[Outcome, str]:
    out = io.StringIO()
    outcome = asyncio.run(run(options, Console(file=out, width=200, highlight=False)))
    return outcome, out.getvalue()


def _reword_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every text the bot sends, to a person or a channel, says something else."""

    def embeds(kwargs: dict[str, Any]) -> dict[str, Any]:
        for key in ("embed", "embeds"):
            value = kwargs.get(key)
            if isinstance(value, discord.Embed):
                kwargs[key] = _reworded_embed(value)
            elif isinstance(value, list):
                kwargs[key] = [_reworded_embed(e) for e in value]
        return kwargs

    def wrap(cls: Any, name: str) -> None:
        original = getattr(cls, name)

        async def reworded(self: Any, content: Any = None, *args: Any, **kwargs: Any) -> Any:
            if isinstance(content, str) and content:
                content = "🆗 (reworded)"
            return await original(self, content, *args, **embeds(kwargs))

        monkeypatch.setattr(cls, name, reworded)

    def wrap_edit(cls: Any, name: str) -> None:
        original = getattr(cls, name)

        async def reworded(self: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(kwargs.get("content"), str) and kwargs["content"]:
                kwargs["content"] = "🆗 (reworded)"
            return await original(self, *args, **embeds(kwargs))

        monkeypatch.setattr(cls, name, reworded)

    wrap(discord.InteractionResponse, "send_message")
    wrap(discord.Webhook, "send")
    wrap(discord.abc.Messageable, "send")
    wrap_edit(discord.InteractionResponse, "edit_message")
    wrap_edit(discord.Message, "edit")
    wrap_edit(discord.PartialMessage, "edit")


def _reworded_embed(embed: discord.Embed) -> discord.Embed:
    copy = embed.copy()
    if copy.title:
        copy.title = "🆗"
    if copy.description:
        copy.description = "(reworded)"
    copy.clear_fields()
    return copy


@pytest.mark.timeout(150)
def test_reworded_messages_change_nothing_and_a_small_demo_plays_the_same_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    questions = _small_questions(tmp_path, session)
    count = len(load_questions(session, questions))
    participants = fewest_participants(
        session, load_questions(session, questions), seed=2021, speed=SMALL_SPEED
    )
    assert participants <= count < 30  # a small demo
    options = Options(
        speed=SMALL_SPEED,
        participants=participants,
        database=tmp_path / "a.sqlite3",
        out=tmp_path / "a",
        questions=questions,
    )
    first, first_out = _play(options)
    assert first.story.kept and not first.story.refused
    assert set(first.story.not_cast) <= {"voting on its question had ended"}  # answered first
    assert first.stats.questions == count and first.stats.merged == 1
    assert first.stats.rejected == 3 and first.stats.withdrawn == 1
    assert first.stats.votes_cast == first.story.clicks + first.story.carried > 0

    # every wording of the bot changed: the demo reads the same outcome from the log
    _reword_everything(monkeypatch)
    answers: list[str] = []
    answer_text = demo.effects.answer_text

    def seen(result: Any) -> str:
        answers.append(answer_text(result))
        return answers[-1]

    monkeypatch.setattr(demo.effects, "answer_text", seen)
    other = Options(
        speed=SMALL_SPEED,
        participants=participants,
        database=tmp_path / "b.sqlite3",
        out=tmp_path / "b",
        questions=questions,
    )
    second, second_out = _play(other)
    assert "(reworded)" in second_out  # the program posts show what the bot sent
    assert answers.count("🆗 (reworded)") >= count  # what people were answered said nothing
    assert set(answers) <= {"🆗 (reworded)", "🆗", ""}
    assert second.story.kept and not second.story.refused
    assert second.story.not_cast == first.story.not_cast
    for figure in ("questions", "approved", "answered", "rejected", "withdrawn", "votes_cast"):
        assert getattr(second.stats, figure) == getattr(first.stats, figure), figure
    assert without_times(json.loads(second.json.read_bytes())) == without_times(
        json.loads(first.json.read_bytes())
    )

    # and, the posts' text and the files' names aside, the transcript is the same, line by line
    def steps(out: str) -> list[str]:
        return [
            line.replace("b.sqlite3", "a.sqlite3").replace(f"{tmp_path}/b/", f"{tmp_path}/a/")
            for line in transcript(out)
            if "📣" not in line
        ]

    assert steps(second_out) == steps(first_out)
    assert sum(1 for line in steps(first_out) if "❓" in line) == count


@pytest.mark.timeout(60)
def test_a_story_the_machine_cannot_keep_is_reported_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    """People far slower than the program: the demo says its story broke and claims nothing
    else; it never opens intake by hand behind the program's back."""
    monkeypatch.setattr(demo.command, "MAX_SPEED", float("inf"))
    play_step = Player.play_step

    async def slow_step(self: Player, step: Any) -> None:
        await asyncio.sleep(0.05)
        await play_step(self, step)

    monkeypatch.setattr(Player, "play_step", slow_step)
    questions = _small_questions(tmp_path, session)
    count = len(load_questions(session, questions))
    options = Options(
        speed=5400.0,
        participants=count,
        database=tmp_path / "demo.sqlite3",
        out=tmp_path / "out",
        questions=questions,
    )
    outcome, out = _play(options)
    text = " ".join(out.split())
    assert not outcome.story.kept and outcome.story.out_of_order
    assert "The story did not hold" in text and "The story held" not in text
    assert "try a lower --speed" in text
    assert "by hand" not in text
    refused_asks = [r for r in outcome.story.refused if r.startswith("a participant's question")]
    assert outcome.stats.questions == count - len(refused_asks)
