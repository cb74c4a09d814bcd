"""The wording of the cogs and of the bot's text modules in each language, without Discord: lists,
a message's short texts, direct messages and posts that quote what people typed (their words in
each of the session's languages, the quote once), the set-up check and /qa setup in the
organizer's language while the log stays English."""

from __future__ import annotations

from datetime import UTC, datetime

from discord.utils import escape_markdown

from bot.answers_text import answer_post, answerer, followup_body, notice_content, notice_line
from bot.doctor import ChannelSeen, RoleSeen, SessionSeen, Snapshot, check, render_discord
from bot.i18n import ENGLISH, Localizer, in_languages, listed, localize, msg, say_in
from bot.i18n.catalogs import TEMPLATE
from bot.setup_plan import plan_setup, report
from cogs._schedule_text import delay_reply
from cogs._telling import NOT_FOUND, refused_notice
from cogs.exports import delivered

NOW = datetime(2021, 10, 4, 10, 30, tzinfo=UTC)
QUESTION = "¿Cómo se financian las cooperativas de vivienda?"


def test_items_are_listed_as_each_language_lists_them() -> None:
    items = listed("#questions", "#qa-moderation", msg("the role {role}", role="Moderator"))
    assert str(items) == "#questions, #qa-moderation and the role Moderator"
    assert items.render("es") == "#questions, #qa-moderation y el rol Moderator"
    assert items.render("ko") == "#questions, #qa-moderation 및 Moderator 역할"
    assert items.render("zh-TW") == "#questions、#qa-moderation和Moderator 身分組"
    assert str(listed("#questions")) == "#questions" and str(listed()) == ""


def test_a_messages_short_texts_in_one_language_are_said_once_and_kept() -> None:
    say = say_in(["ko"])
    assert say is say_in(("ko",))  # made once per languages
    assert say(msg("Asked by"), 256) == "질문자" == say(msg("Asked by"), 256)
    assert say(msg("Block author"), 3) == in_languages(["ko"], msg("Block author"), limit=3)
    assert len(say(msg("Block author"), 3)) <= 3
    assert say(msg("Question #{number}", number=7), 256) == "질문 #7"
    assert say(lambda _: _("Merge into #{number}", number=3), 80) == "#3에 병합"
    assert say_in(["en", "es"])(lambda _: _("Merge into #{number}", number=3), 80) == (
        "Merge into #3 · Fusionar en la #3"
    )


def test_sentences_marked_for_later_are_in_the_catalogs() -> None:
    template = TEMPLATE.read_text("utf-8")
    assert 'msgid "{subject} in {session} was not accepted."' in template
    assert 'msgid "Your question #{number}"' in template
    assert 'msgid "the questions channel: found, with {permissions}"' in template


def test_a_direct_message_says_its_words_in_each_language_and_the_question_once() -> None:
    by = answerer("Ana", "speaker", "Dr. Ana Ruiz")
    text = notice_content(
        "answered",
        {"as": "asker", "answer": 1, "private": False},
        number=4,
        session_title="GSEF 2021",
        question_text=QUESTION,
        escape=escape_markdown,
        by=by,
        answer_text="Con fondos rotatorios.",
        link="https://discord.com/channels/1/2/3",
        languages=("en", "es"),
    )
    head, quote, answer, link, footer = text.split("\n\n")
    assert head == (
        "Your question #4 in **GSEF 2021** has a written answer from Dr. Ana Ruiz (speaker):\n"
        "Tu pregunta #4 en **GSEF 2021** tiene una respuesta por escrito de Dr. Ana Ruiz "
        "(ponente):"
    )
    assert quote == f"> {QUESTION}" and answer == "Con fondos rotatorios."
    assert text.count(QUESTION) == 1 and text.count("fondos rotatorios") == 1
    assert link.splitlines() == [
        "Read it here: <https://discord.com/channels/1/2/3>",
        "Léelo aquí: <https://discord.com/channels/1/2/3>",
    ]
    assert footer.startswith("-# /myquestions lists") and "\n-# /mispreguntas muestra" in footer
    english = notice_content(
        "rejected",
        {"reason": "off topic"},
        number=4,
        session_title="GSEF",
        question_text="q",
        escape=escape_markdown,
    )
    assert english == (
        "Your question #4 in **GSEF** was not accepted.\n\n> q\n\n"
        "The moderator's reason: off topic\n\n"
        "-# /myquestions lists your questions and these messages. /notify off stops them."
    )


def test_a_notice_in_myquestions_is_in_the_readers_language() -> None:
    line = notice_line(
        "merged",
        {"as": "co-asker", "into": 9},
        "fallback",
        NOW,
        number=4,
        session_title="GSEF",
        escape=escape_markdown,
        _=localize("zh-TW"),
    )
    assert line.endswith(
        " · **GSEF**｜你的問題所併入的問題 #4已併入內容相同的 #9；它的回答也就是你的回答。"
        "（顯示在這裡（無法傳私人訊息給你））"
    )
    merged_elsewhere = notice_line(
        "merged", {}, "sent", NOW, number=4, session_title="GSEF", escape=escape_markdown
    )
    assert "was merged into another question, which asks the same" in merged_elsewhere


def test_posts_that_quote_people_say_the_quote_once() -> None:
    post = answer_post(answerer("mona", "moderator"), "Yes *really*", escape_markdown, ("en", "ko"))
    assert post == "**Answer from mona (moderator):**\n**mona (모더레이터)의 답변:**\nYes *really*"
    body = followup_body(
        number=12,
        text=QUESTION,
        asker=msg("Anonymous"),
        votes=1,
        speaker=None,
        label="Housing",
        session_title="GSEF",
        escape=escape_markdown,
        languages=("en", "es"),
    )
    facts, question, note = body.split("\n\n")
    assert facts.splitlines() == [
        "**#12** · asked by Anonymous · 1 vote · to the whole panel · Housing",
        "**#12** · preguntó Anónimo · 1 voto · para todo el panel · Housing",
    ]
    assert question == escape_markdown(QUESTION) and len(note.splitlines()) == 2


def test_the_set_up_check_speaks_to_the_organizer_and_logs_in_english() -> None:
    seen = SessionSeen(
        "gsef",
        "gsef.toml",
        42,
        guild_found=True,
        guild_id=42,
        guild_name="GSEF",
        channels=(
            ChannelSeen("questions", "questions", found=True, name="questions", permissions=0),
            ChannelSeen("moderation", "qa-moderation", found=False, matches=0),
        ),
        roles=(RoleSeen("moderator_role", "Moderator", 0),),
        bot_role="QA Bot",
        guild_permissions=frozenset({"manage_channels", "manage_roles"}),
    )
    result = check(Snapshot((seen,), message_content=False))
    korean = render_discord(result.findings, _=localize("ko"))
    assert korean.startswith("**설정 점검: 문제 2개 및 경고 1개.**")
    assert (
        "채널 보기, 메시지 보내기, 링크 첨부, 메시지 기록 보기, 공개 스레드 만들기 및 스레드에서 "
        "메시지 보내기 권한이 없습니다." in korean
    )
    assert "(채널 편집하기 > 권한)" in korean and "/qa 설정을 실행하거나" in korean
    chinese = render_discord(result.findings, _=localize("zh-TW"))
    assert "找不到（場次的審核頻道）。" in chinese  # the language's own full stop
    assert render_discord(result.findings) == render_discord(result.findings, _=ENGLISH)
    assert result.log_lines[0] == "Set-up check: 2 problems and 1 warning."
    assert any("Fix: Give the bot's role (QA Bot) View Channel" in x for x in result.log_lines)


def test_set_up_says_what_it_made_in_the_organizers_language() -> None:
    seen = SessionSeen(
        "gsef",
        "gsef.toml",
        42,
        guild_found=True,
        channels=(ChannelSeen("live", "session-live", found=False, matches=0),),
        roles=(RoleSeen("organizer_role", "Organizer", 2),),
        guild_permissions=frozenset({"manage_channels", "manage_roles"}),
    )
    plan = plan_setup(seen, "GSEF", ("en", "es"))
    assert plan.channels[0].topic == (
        "The program of GSEF and the question on screen. · "
        "El programa de GSEF y la pregunta en pantalla."
    )
    made = ["#session-live", msg("the role {role}", role="Moderator")]
    spanish = report(plan, made, [], localize("es-ES"))
    assert spanish.startswith("Creado: #session-live y el rol Moderator. 2 roles se llaman")
    assert spanish.endswith("Usa /qa revisar para comprobar la configuración.")
    assert report(plan, made, []).startswith("Created #session-live and the role Moderator. ")
    assert plan.skipped[0].startswith("2 roles are named Organizer")


def test_moderators_replies_and_notices_in_each_language() -> None:
    spanish, korean = localize("es"), localize("ko")
    assert delivered("md", True, 1, spanish) == (
        "El informe en Markdown de preguntas de este ensayo: 1 pregunta."
    )
    assert delivered("html", False, 2, ENGLISH) == "The Q&A report of this session: 2 questions."
    said = refused_notice("questions", "#4, #5", NOT_FOUND, korean)
    assert said.startswith("⚠️ Discord가 #4, #5의 투표 메시지를 거부했습니다(채널을 찾을 수 없음)")
    assert "/qa 대기열" in said
    assert str(NOT_FOUND) == "channel not found"


def test_a_delay_reply_counts_segments_in_the_readers_language() -> None:
    from bot.program import Timeline
    from bot.schedule import Delayed
    from bot.sessions import load_session
    from bot.storage.repository import Run
    from tests.conftest import GSEF

    session = load_session(GSEF)
    run = Run(1, session.id, "real", NOW, None, 1.0, 300, None, None)
    delayed = Delayed([], 300, Timeline(session, run))
    assert delay_reply(delayed, 5, None) == (
        "Delay of +5 min applied to 0 segments not yet started (total delay +5 min); "
        "announced in the live channel."
    )
    chinese = delay_reply(delayed, 5, NOT_FOUND, localize("zh-TW"))
    assert "找不到頻道" in chinese and "/議程" in chinese


def test_sentences_follow_each_other_as_each_language_writes_them() -> None:
    from bot.errors import Refusal
    from bot.i18n import joined, sentences
    from bot.questions import Question
    from cogs.asking import confirmation

    assert sentences("One.", "", "Two.") == "One. Two."
    assert sentences("第一句。", "第二句。") == "第一句。第二句。"
    q = Question(
        id=1, run_id=1, number=3, text="?", state="pending", votes=0, anonymous=True,
        author_id=1, author_name=None, speaker_id=None, label_id=None, asked_at=NOW,
        updated_at=NOW,
    )  # fmt: skip
    assert confirmation(q) == (
        "Thanks! Your question is #3. A moderator will review it; it appears in the questions "
        "channel once approved. It is shown as Anonymous."
    )
    assert confirmation(q, localize("zh-TW")) == (
        "謝謝！你的問題是 #3。主持人會先審核，核准後會出現在提問頻道。將以匿名顯示。"
    )
    refusal = Refusal(joined(msg("This question no longer exists."), msg("Nothing was created.")))
    assert refusal.render("zh-TW") == "這個問題已經不存在。沒有建立任何項目。"
    assert refusal.render("es") == "Esta pregunta ya no existe. No se creó nada."


def test_a_post_made_line_by_line_says_each_line_in_each_language_and_shared_ones_once() -> None:
    def post(_: Localizer) -> str:
        closed = _("🔒 **Questions are closed.** Thank you for your questions!")
        return "\n".join([closed, "<t:1633341000:t>", "1. What about youth?"])

    text = in_languages(("en", "es", "ko"), post, by_line=True)
    assert text.splitlines() == [
        "🔒 **Questions are closed.** Thank you for your questions!",
        "🔒 **Las preguntas están cerradas.** ¡Gracias por tus preguntas!",
        localize("ko")("🔒 **Questions are closed.** Thank you for your questions!"),
        "<t:1633341000:t>",
        "1. What about youth?",
    ]
    long = in_languages(("en", "es"), lambda _: "\n".join(["x" * 900] * 4), by_line=True)
    assert long.splitlines()[:2] == ["x" * 900, "x" * 900] and len(long) <= 2000
    blocks = in_languages(("en", "es"), lambda _: "a" if _.code == "en" else "b\nc", by_line=True)
    assert blocks == "a\n\nb\nc"  # not made line by line alike: one block after the other
