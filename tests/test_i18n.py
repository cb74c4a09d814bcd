"""The bot's languages: messages rendered in each, the catalogs complete and compiled, public
texts in a session's languages within Discord's limits, reports and the screen in a chosen
language, and no English left outside the catalogs in the modules that speak through them."""

from __future__ import annotations

import ast
import asyncio
import gettext
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
from babel.messages.pofile import read_po

from bot.errors import Refusal
from bot.i18n import (
    DEFAULT,
    ENGLISH,
    Localizer,
    in_languages,
    joined,
    known_language,
    language_of,
    languages,
    localize,
    msg,
    nmsg,
    pmsg,
    say_in,
)
from bot.i18n import catalogs as cat
from bot.limits import CONTENT
from bot.reports import renderer
from bot.sessions import SessionFileError, load_session
from bot.states import State, wording
from cogs._translator import command_texts
from tests.conftest import GSEF, World
from tests.report_fixture import build_log, fixed_report

ROOT = Path(__file__).resolve().parent.parent
OTHERS = languages()[1:]


# ------------------------------------------------------------------------------ languages


def test_the_bot_speaks_english_spanish_korean_and_traditional_chinese() -> None:
    assert languages() == ("en", "es", "ko", "zh-TW")


@pytest.mark.parametrize(
    ("locale", "code"),
    [
        ("en-US", "en"),
        ("en-GB", "en"),
        ("es-ES", "es"),
        ("es-419", "es"),
        ("ko", "ko"),
        ("zh-TW", "zh-TW"),
        ("zh_tw", "zh-TW"),
        ("zh-CN", "en"),  # Simplified Chinese has no catalog: English, not Traditional
        ("fr", "en"),
        ("", "en"),
        (None, "en"),
        (discord.Locale.korean, "ko"),
        (discord.Locale.latin_american_spanish, "es"),
        (discord.Locale.taiwan_chinese, "zh-TW"),
    ],
)
def test_each_discord_locale_is_served_by_a_language(locale: object, code: str) -> None:
    assert language_of(locale) == code
    assert localize(locale).code == code


def test_a_language_is_made_once() -> None:
    assert localize("ko") is localize(discord.Locale.korean) is localize("ko")
    assert localize("es-ES") is localize("es-419")


def test_session_files_may_name_a_language_by_code_or_by_name() -> None:
    assert known_language("English") == known_language("en") == "en"
    assert known_language("Spanish") == known_language("español") == "es"
    assert known_language("한국어") == known_language("Korean") == "ko"
    assert known_language("zh-TW") == known_language("ZH_tw") == "zh-TW"
    assert known_language("Klingon") is None and known_language("fr") is None


# ------------------------------------------------------------------------------- messages


def test_a_message_is_its_english_until_rendered_in_another_language() -> None:
    said = msg("There is no question #{number} in this session; /qa queue lists them.", number=7)
    assert (
        str(said) == f"{said}" == ("There is no question #7 in this session; /qa queue lists them.")
    )
    assert (
        said.render("ko")
        == "이 세션에 #7 질문이 없습니다. /qa 대기열에서 질문을 확인할 수 있습니다."
    )
    assert said.render("es-419").startswith("No hay ninguna pregunta #7")
    assert said.render("fr") == str(said)


def test_a_value_that_is_a_message_is_rendered_in_the_same_language() -> None:
    said = msg(
        "#{number} is {state}; voting on it has ended.",
        number=3,
        state=wording(State.ANSWERED).past,
    )
    assert str(said) == "#3 is answered; voting on it has ended."
    assert said.render("zh-TW") == "#3 目前為「標記為已回答」，投票已結束。"


def test_plural_forms_follow_each_language() -> None:
    one = nmsg("{count} vote", "{count} votes", 1)
    two = nmsg("{count} vote", "{count} votes", 2)
    assert (str(one), str(two)) == ("1 vote", "2 votes")
    assert (one.render("es"), two.render("es")) == ("1 voto", "2 votos")
    assert (one.render("ko"), two.render("ko")) == ("1표", "2표")
    assert localize("es").ngettext("{count} question", "{count} questions", 0) == "0 preguntas"


def test_a_context_tells_apart_the_same_english() -> None:
    past = pmsg("state-past", "answered")
    report = pmsg("state-report", "answered")
    assert str(past) == str(report) == "answered"
    assert past.render("zh-TW") != report.render("zh-TW")


def test_a_plain_string_is_translated_only_if_it_is_a_message_of_the_catalog() -> None:
    korean = localize("ko")
    assert (
        korean.render("This question no longer exists.") == "이 질문은 더 이상 존재하지 않습니다."
    )
    assert korean.render("What about youth?") == "What about youth?"  # user text: as typed
    assert korean.render("") == ""


def test_a_translation_with_an_unknown_placeholder_falls_back_to_english(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return "{nombre} y {number}"

    broken = Localizer("xx", Broken())
    assert broken("#{number} rejected.", number=4) == "#4 rejected."
    assert "does not fit" in caplog.text
    with pytest.raises(KeyError):
        ENGLISH("#{number} rejected.")  # a message of the code missing its value is a bug


def test_a_refusal_keeps_its_english_and_renders_in_the_readers_language() -> None:
    refusal = Refusal(msg("Your question is empty; write the question you want to ask."))
    assert (
        refusal.message
        == str(refusal)
        == ("Your question is empty; write the question you want to ask.")
    )
    assert refusal.render(discord.Locale.taiwan_chinese) == "問題是空的，請寫下你想問的問題。"
    assert Refusal("This question no longer exists.").render("es") == "Esta pregunta ya no existe."
    assert Refusal("Some words of a cog.").render("ko") == "Some words of a cog."


# ----------------------------------------------------------------------- public texts


def test_a_public_text_in_two_languages_says_each_once_within_the_limit() -> None:
    said = msg("🔒 **Questions are closed.** Thank you for your questions!")
    both = in_languages(("en", "es"), said)
    assert both == (
        "🔒 **Questions are closed.** Thank you for your questions!\n\n"
        "🔒 **Las preguntas están cerradas.** ¡Gracias por tus preguntas!"
    )
    assert in_languages(("en", "en"), said) == str(said)
    assert in_languages((), said) == str(said)
    numbers = msg("#{number}", number=5)  # the same in every language: said once
    assert in_languages(("en", "ko", "zh-TW"), numbers) == "#5"


def test_languages_that_do_not_fit_together_share_the_room_line_by_line() -> None:
    def words(_: Localizer) -> str:
        line = _("Questions will appear here.")
        return "\n".join(f"{i}. {line}" for i in range(200))

    text = in_languages(("en", "ko", "es"), words, limit=CONTENT)
    assert len(text) <= CONTENT
    english, korean, spanish = text.split("\n\n")
    for part, first in ((english, "0. Questions"), (korean, "0. 질문이"), (spanish, "0. Las")):
        assert part.startswith(first) and part.endswith("…")
        assert len(part) >= CONTENT // 3 - 60  # an equal share, give or take a line
    short = in_languages(("en", "ko"), lambda _: _("Up next") if _.code == "en" else words(_))
    assert short.startswith("Up next\n\n") and len(short) <= CONTENT


def test_sentences_joined_are_each_said_in_the_readers_language() -> None:
    refusal = Refusal(
        joined(
            msg("Only moderators can do this (the {role} role or Manage Server).", role="Mod"),
            "",
            msg(
                "The role {role} does not exist in this server: create it, or set `{key}` in "
                "the session file's [discord] table.",
                role="Mod",
                key="moderator_role",
            ),
        )
    )
    assert refusal.message.startswith("Only moderators can do this (the Mod role or Manage")
    assert ". The role Mod does not exist" in refusal.message  # the empty part left out
    korean = refusal.render("ko")
    assert korean.startswith(
        "모더레이터만 할 수 있습니다(Mod 역할 또는 서버 관리하기 권한). 이 서버에"
    )
    nested = msg("{done}; announced in the live channel.", done=joined(msg("Up next"), "!", sep=""))
    assert nested.render("es") == "A continuación!; anunciado en el canal en directo."


def test_a_public_message_says_its_short_texts_in_each_language_within_the_limit() -> None:
    say = say_in(("en", "es"))
    assert say(msg("Asked by"), 256) == "Asked by · Preguntó"
    assert say(msg("Approve"), 80) == "Approve · Aprobar"
    assert say("#12", 80) == "#12"
    assert len(say(msg("Block author"), 12)) <= 12
    assert say_in(("ko",))(msg("Asked by"), 256) == "질문자"


def test_a_short_limit_cuts_a_single_line_text() -> None:
    text = in_languages(("en", "es"), msg("Questions will appear here."), limit=30, sep=" · ")
    assert len(text) <= 30 and " · " in text


# ------------------------------------------------------------------------ session files


def _session_file(tmp_path: Path, line: str) -> Path:
    text = GSEF.read_text("utf-8").replace('language = "English"', line)
    path = tmp_path / "session.toml"
    path.write_text(text, "utf-8")
    return path


def test_the_shipped_session_file_names_english() -> None:
    assert load_session(GSEF).languages == ("en",)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('language = "es"', ("es",)),
        ('language = "한국어"', ("ko",)),
        ('languages = ["en", "es"]', ("en", "es")),
        ('languages = ["zh-TW", "English", "en"]', ("zh-TW", "en")),
        ("", ("en",)),
    ],
)
def test_a_session_names_its_languages(
    tmp_path: Path, line: str, expected: tuple[str, ...]
) -> None:
    assert load_session(_session_file(tmp_path, line)).languages == expected


def test_a_language_the_bot_does_not_speak_is_refused_with_the_ones_it_does(
    tmp_path: Path,
) -> None:
    with pytest.raises(SessionFileError) as info:
        load_session(_session_file(tmp_path, 'languages = ["en", "fr"]'))
    assert "languages[1]" in str(info.value) and "en, es, ko, zh-TW" in str(info.value)
    with pytest.raises(SessionFileError) as info:
        load_session(_session_file(tmp_path, 'language = "en"\nlanguages = ["es"]'))
    assert "not both" in str(info.value)


# ------------------------------------------------------------------------------ catalogs


def _template_of(world: World) -> Any:
    extra = [
        cat.Extra(text.message, text.context, f"/{text.path}")
        for text in command_texts(world.bot.tree)
    ]
    return cat.extract(extra)


async def test_every_message_has_a_translation_in_every_language_with_its_placeholders(
    world: World,
) -> None:
    """Every message of the code and of the commands; reviewed, with the same named
    placeholders as the English (each plural form with those of its English forms)."""
    template = _template_of(world)
    assert len(template) > 400
    problems = [p for code in cat.catalog_codes() for p in cat.problems(template, code)]
    assert not problems, "\n".join(problems[:20]) + "\n(scripts/catalogs.sh, then translate)"


async def test_the_committed_template_is_the_one_the_code_makes(world: World) -> None:
    made = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in _template_of(world)}
    with cat.TEMPLATE.open("rb") as file:
        committed = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(file)}
    assert made == committed, "run scripts/catalogs.sh"


@pytest.mark.parametrize("code", OTHERS)
def test_the_compiled_catalogs_are_those_of_the_po_files(code: str) -> None:
    compiled = cat.mo_path(code).read_bytes()
    assert cat.mo_entries(compiled) == cat.mo_entries(cat.compiled(cat.read(code)))
    assert len(cat.mo_entries(compiled)) > 400


def test_the_placeholder_check_sees_a_missing_or_unknown_name() -> None:
    assert cat.placeholders("#{number} by {name}") == {"number", "name"}
    assert cat.placeholders("{minutes:02d} min {a.b} {c[0]}") == {"minutes", "a", "c"}
    assert cat.placeholders("{{literal}}") == set()
    assert cat.placeholders("{broken") == {"<unbalanced braces>"}


def test_a_new_language_starts_from_the_template(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(cat, "LOCALES", tmp_path)
    with cat.TEMPLATE.open("rb") as file:
        template = read_po(file)
    path = cat.init("fr", template)
    assert path == tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    assert cat.catalog_codes() == ["fr"]
    problems = list(cat.problems(template, "fr"))
    assert any("not translated" in p for p in problems) and any(".mo" in p for p in problems)
    cat.compile_all()
    assert cat.mo_path("fr").exists()


# ------------------------------------------------------------------------------- reports


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("report") / "qa.sqlite3"
    asyncio.run(build_log(path))
    return asyncio.run(fixed_report(path))


def test_a_report_in_korean_has_korean_headings_figures_and_states(report: Any) -> None:
    html = renderer("html", "ko")(report).decode("utf-8")
    md = renderer("md", "ko")(report).decode("utf-8")
    assert '<html lang="ko">' in html
    for text in (html, md):
        for korean in (
            "숫자로 보기",
            "발표자별 질문",
            "모더레이션 기록",
            "질문한 참가자",
            "답변 완료",
        ):
            assert korean in text, korean
        assert "2021년 10월 4일 월요일" in text  # the day, written in Korean
    for english in ("In numbers", "Questions by speaker", "Moderation log", "Participants who"):
        assert english not in html and english not in md
    assert "## 숫자로 보기" in md and "| 항목 | 값 | 참고 |" in md
    assert "시간대별 질문" in html  # the chart's title
    assert '<span class="anon">익명</span>' in html


@pytest.mark.parametrize("code", ["es", "zh-TW"])
def test_reports_render_in_each_language_and_stay_data_in_csv_and_json(
    report: Any, code: str
) -> None:
    html = renderer("html", code)(report)
    english = renderer("html")(report)
    assert html != english and f'lang="{code}"'.encode() in html
    assert renderer("csv", code)(report) == renderer("csv")(report)
    assert renderer("json", code)(report) == renderer("json")(report)


def test_the_report_command_takes_a_language(tmp_path: Path, capsys: Any) -> None:
    from bot.cli import EXIT_OK, EXIT_USAGE, main

    database = tmp_path / "qa.sqlite3"
    asyncio.run(build_log(database))
    out = tmp_path / "report.md"
    status = main(
        ["report", "--database", str(database), "--format", "md", "--lang", "ko", "--out", str(out)]
    )
    assert status == EXIT_OK and "## 숫자로 보기" in out.read_text("utf-8")
    assert main(["report", "--database", str(database), "--lang", "xx"]) == EXIT_USAGE
    assert "en, es, ko, zh-TW" in capsys.readouterr().err


# --------------------------------------------------------------------------------- screen


def test_the_screen_speaks_the_sessions_main_language() -> None:
    from bot.screen.state import ScreenQuestion, page_words, state_texts

    korean = localize("ko")
    words = page_words(korean)
    assert words["up_next"] == "다음 질문" and words["until"] == "{time}까지"
    assert page_words(korean) is words  # made once per language
    question = ScreenQuestion(7, "…", 2, None, "익명", co_askers=3)
    texts = state_texts(question, 5, 9, -4, korean)
    assert texts == {
        "votes": "2표",
        "asker": "익명 외 3명",
        "waiting": "외 4개 대기 중",
        "delay": "4분 앞당김",
    }
    english = state_texts(question, 5, 5, 0, ENGLISH)
    assert english == {"votes": "2 votes", "asker": "익명 and 3 others", "waiting": "", "delay": ""}


# ---------------------------------------------- no English outside the catalogs (a scan)

#: The modules that speak through the catalogs, and the English each keeps on purpose: what
#: the log stores (event details and reasons, post keys) and what the operator's log says.
SCANNED: dict[str, set[str]] = {
    "bot/errors.py": set(),
    "bot/questions.py": {"asked by ", "author of #", "author blocked", "duplicate of #"},
    "bot/program.py": {"intake:open", "intake:close", "missed by ", " and already over"},
    "bot/routing.py": {
        "only server",
        "no server",
        "several servers",
        ": pinned to server ",
        ": served nowhere. ",
        " (the bot is not in it)",
        ": not in any server yet",
        "set by guild_id in the session file",
        "recorded at its first start",
        "the only server the bot is in",
    },
    "bot/states.py": set(),
    "bot/similarity_text.py": set(),
    "bot/delivery.py": set(),
    "bot/reports/view.py": set(),
    "bot/reports/markdown.py": set(),
    "bot/reports/chart.py": set(),
    "bot/reports/html.py": set(),
    "bot/reports/synthesis.py": {"Other questions"},  # the JSON export's theme title
    "bot/screen/state.py": set(),
    "bot/answers.py": set(),
    "bot/followups.py": set(),
    "bot/doctor.py": set(),
    "bot/setup_plan.py": set(),
    **{f"bot/{path.name}": set() for path in sorted((ROOT / "bot").glob("*_text.py"))},
    **{f"cogs/{path.name}": set() for path in sorted((ROOT / "cogs").glob("*.py"))},
}
SCANNED["cogs/_translator.py"] = {"command name"}  # the catalogs' context of command names
SCANNED["cogs/_common.py"] = {"it does not exist"}  # a log line's words (_warn_once)
# the names of the scheduler's jobs, for the operator's log
SCANNED["cogs/posting.py"] = {"retry missing question messages"}
SCANNED["cogs/schedule.py"] = {"retry failed program posts"}
SCANNED["cogs/notices.py"] = {
    "send notices to askers",
    "session no longer served",  # a notice's failure reason, stored in the log
}
# the descriptions of /qa doctor, /qa setup, /qa screen: slash command texts, read from the
# command tree and translated by cogs/_translator.py
SCANNED["cogs/organizers.py"] = {"Check the session's", "Create the session's", "The presenter"}
MARKERS = {"msg", "nmsg", "pmsg", "N_", "_", "gettext", "ngettext", "pgettext", "template"}
#: Slash commands' names, descriptions and choices: cogs/_translator.py reads them from the
#: command tree and translates them with the catalogs.
COMMAND_TEXTS = {"command", "describe", "Command", "Group", "Choice", "choices"}
WORDS = re.compile(r"[A-Za-z]{2,}[,;:.!?'’]* +[A-Za-z]{2,}")
CODE = re.compile(r"[<>=/\\{}]|^[A-Z ]+\b|charset")


def english_strings(path: Path) -> Iterator[tuple[int, str]]:
    """String constants that read as English words, outside messages, docstrings, log lines
    and exceptions for developers."""
    tree = ast.parse(path.read_text("utf-8"))
    ignored: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            ignored.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Call):
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", "")
            owner = getattr(getattr(func, "value", None), "id", "")
            if name in MARKERS or name in COMMAND_TEXTS or owner in ("log", "logging"):
                ignored.update(id(sub) for sub in ast.walk(node))
        if isinstance(node, ast.ClassDef):  # a command group's description
            ignored.update(id(sub) for keyword in node.keywords for sub in ast.walk(keyword))
        if isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if getattr(raised, "id", None) != "Refusal":
                ignored.update(id(sub) for sub in ast.walk(node))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in ignored
            and WORDS.search(node.value)
            and not CODE.search(node.value)
        ):
            yield node.lineno, node.value


@pytest.mark.parametrize("module", sorted(SCANNED))
def test_no_english_is_left_outside_the_catalogs(module: str) -> None:
    kept = SCANNED[module]
    found = [
        f"{module}:{line}: {text!r}"
        for line, text in english_strings(ROOT / module)
        if not any(allowed in text for allowed in kept)
    ]
    assert not found, "English outside the catalogs (mark it with msg() or _()):\n" + "\n".join(
        found
    )


def test_the_scan_finds_english_it_is_shown(tmp_path: Path) -> None:
    path = tmp_path / "sample.py"
    path.write_text(
        'TEXT = "Your question is empty."\nOK = msg("Your question is empty.")\n'
        'log.info("asked by %s", 3)\nFILE = "report.html.j2"\n',
        "utf-8",
    )
    assert [text for _, text in english_strings(path)] == ["Your question is empty."]


def test_the_report_template_and_the_screen_page_hold_no_english_of_their_own() -> None:
    template = (ROOT / "bot" / "reports" / "templates" / "report.html.j2").read_text("utf-8")
    text = re.sub(r"<style>.*?</style>", "", template, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]+>|&[a-z]+;", " ", text, flags=re.S)
    assert not WORDS.search(text), WORDS.search(text)
    page = (ROOT / "bot" / "screen" / "static" / "screen.html").read_text("utf-8")
    page = re.sub(r"<[^>]+>|\$\w+", " ", page)
    assert not re.search(r"[A-Za-z]{2,}", page), page
    script = (ROOT / "bot" / "screen" / "static" / "screen.js").read_text("utf-8")
    script = re.sub(r"//.*", "", script)
    literals = re.findall(r'"([^"\n]*)"', script)
    assert not [s for s in literals if WORDS.search(s) and s != "use strict"], literals


def test_default_is_english() -> None:
    assert DEFAULT == "en" and ENGLISH.code == "en"
