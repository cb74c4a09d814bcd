"""A bilingual session (`languages = ["en", "es"]`), through SimCord: what everyone sees (the
moderation card and its buttons, the vote message, the live announcement, program posts) says
it in English and in Spanish, within Discord's limits; what one person reads stays in theirs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest

from bot.i18n import localize
from bot.limits import message_payload_problems
from bot.questions import QuestionService
from bot.screen.state import ANONYMOUS, load_state
from tests.conftest import GSEF, Clock, World
from tests.locales import KOREAN, speaking
from tests.q_world import QA, button_labels, said
from tests.screen_world import MOD, open_core


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """The GSEF session, its public posts in English and Spanish."""
    text = GSEF.read_text("utf-8")
    assert 'language = "English"' in text
    path = tmp_path / "gsef-bilingual.toml"
    path.write_text(text.replace('language = "English"', 'languages = ["en", "es"]'), "utf-8")
    return path


def payload(message: discord.Message) -> dict[str, Any]:
    """A message as Discord holds it."""
    return {
        "content": message.content,
        "embeds": [embed.to_dict() for embed in message.embeds],
        "components": [row.to_dict() for row in message.components],  # type: ignore[attr-defined]
    }


def fields(message: discord.Message) -> dict[str, str]:
    return {str(f.name): str(f.value) for f in message.embeds[0].fields}


def card(world: World, number: int) -> discord.Message:
    title = f"Question #{number} · Pregunta #{number}"
    found = [m for m in world.moderation.history() if m.embeds and m.embeds[0].title == title]
    assert found, f"no card titled {title!r}"
    return found[-1]


def vote_message(world: World, number: int) -> discord.Message:
    found = [m for m in world.questions.history() if m.embeds and m.embeds[0].title == f"#{number}"]
    assert found, f"no vote message of #{number}"
    return found[-1]


async def test_the_card_and_its_buttons_speak_english_and_spanish(qa: QA) -> None:
    w = qa.world
    asked = await qa.ask(w.alice, "How are co-operatives funded?", anonymous=True)
    # the asker's own confirmation is in the asker's language only
    assert said(asked).startswith("Thanks! Your question is #1.") and "Gracias" not in said(asked)
    shown = card(w, 1)
    assert message_payload_problems(payload(shown)) == []
    assert fields(shown) == {
        "Speaker · Ponente": "Anyone · Cualquiera",
        "Label · Etiqueta": "None · Ninguna",
        "Asked by · Preguntó": "Anonymous · Anónimo",
        "State · Estado": "Waiting for review · En espera de revisión",
    }
    assert shown.embeds[0].footer.text == "/ask · /preguntar"
    assert shown.embeds[0].description == "How are co-operatives funded?"  # said once, as typed
    assert button_labels(shown) == [
        "Approve · Aprobar",
        "Reject · Rechazar",
        "Block author · Bloquear autor",
    ]


async def test_approving_in_korean_answers_in_korean_and_posts_in_english_and_spanish(
    qa: QA,
) -> None:
    w = qa.world
    await qa.ask(w.alice, "How are co-operatives funded?")
    await qa.ask(w.bob, "Who pays for the land?")
    with speaking({w.mod: KOREAN}):
        approved = await w.mod.click(card(w, 1), label="Approve · Aprobar")
        await w.mod.slash(w.moderation, "qa approve", number=2)
        merged = await w.mod.slash(w.moderation, "qa merge", number=2, into=1)
        live = await w.mod.slash(w.moderation, "qa next")
    assert approved.acknowledged
    assert said(merged).startswith("#2을(를) #1에 병합했습니다")
    assert said(live) == "지금 #1 질문에 답변합니다."
    outcome = fields(card(w, 1))["State · Estado"]
    assert outcome == "Picked to be answered by mona · Elegida para responder por mona"
    assert fields(card(w, 2))["State · Estado"] == (
        "Merged into #1 by mona · Fusionada en la #1 por mona"
    )
    vote = vote_message(w, 1)
    assert message_payload_problems(payload(vote)) == []
    assert fields(vote)["Asked by · Preguntó"] == "alice"
    assert fields(vote)["Duplicates · Duplicados"] == (
        "Also asked by 1 person · También la hizo 1 persona"
    )
    assert vote.embeds[0].footer.text == "Being answered now. · Se está respondiendo ahora."
    announced = [m for m in w.live.history() if m.embeds]
    assert announced[-1].content == "**Now answering #1** · **Ahora se responde la #1**"
    assert message_payload_problems(payload(announced[-1])) == []


async def test_program_posts_say_each_line_in_english_then_in_spanish(world: World) -> None:
    posts = [m.content for m in world.live.history() if m.content]
    assert posts, "the program's posts so far"
    for text in posts:
        assert len(text) <= 2000
    opened = next(p for p in posts if "Questions are open" in p)
    english, spanish = opened.splitlines()
    assert english.startswith("✅ **Questions are open.** Ask with `/ask` in <#")
    assert spanish.startswith("✅ **Las preguntas están abiertas.**") and "/preguntar" in spanish
    segment = next(p for p in posts if p.startswith("▶️ **Now: "))
    lines = segment.splitlines()
    assert lines[1].startswith("▶️ **Ahora: ")  # each line in English, then in Spanish
    assert lines[2].startswith("<t:") and lines.count(lines[2]) == 1  # the times, once
    # /program, private, is in the reader's language alone
    with speaking({world.bob: KOREAN}):
        program = await world.bob.slash(world.general, "program")
    assert "← 지금" in said(program) and "ahora" not in said(program)


def test_a_discussion_post_in_two_languages_keeps_every_guiding_question(
    config_path: Path,
) -> None:
    from datetime import UTC, datetime

    from bot.i18n import in_languages
    from bot.program import Timeline, agenda
    from bot.sessions import load_session
    from bot.storage.repository import Run
    from cogs._schedule_text import segment_message

    session = load_session(config_path)
    now = datetime(2021, 10, 4, 10, 15, tzinfo=UTC)
    timeline = Timeline(session, Run(1, session.id, "real", now, None, 1.0, 0, None, None))
    row = next(r for r in agenda(timeline, {}, now) if r.slot.segment.kind == "discussion")
    guiding = row.slot.segment.guiding_questions

    def post(_: Any) -> str:
        return segment_message(
            timeline, row, late=False, approved_waiting=2, questions_channel="#q", _=_
        )

    text = in_languages(session.languages, post, by_line=True)
    assert len(text) <= 2000 and "**Guiding questions**\n**Preguntas guía**" in text
    for question in guiding:
        assert text.count(question.text[:60]) == 1  # said once, not cut


async def test_a_refused_vote_is_told_to_the_voter_alone_in_their_language(qa: QA) -> None:
    w = qa.world
    await qa.ask(w.alice, "How are co-operatives funded?")
    await w.mod.slash(w.moderation, "qa approve", number=1)
    with speaking({w.alice: KOREAN}):
        own = await w.alice.click(vote_message(w, 1), custom_id="qa:vote:1")
    assert own.ephemeral and said(own) == localize(KOREAN)("You cannot vote for your own question.")
    assert "투표" in said(own)
    await w.bob.click(vote_message(w, 1), custom_id="qa:vote:1")
    assert button_labels(vote_message(w, 1)) == ["👍 1"]
    await w.mod.slash(w.moderation, "qa next")
    await w.mod.slash(w.moderation, "qa answered")
    assert vote_message(w, 1).embeds[0].footer.text == (
        "Answered. Voting has ended. · Respondida. La votación terminó."
    )


async def test_the_presenter_screen_says_its_words_in_both_languages(
    config_path: Path, tmp_path: Path, clock: Clock
) -> None:
    db, session, run = await open_core(tmp_path / "screen.sqlite3", clock, config_path)
    try:
        service = QuestionService(db, clock)
        q = await service.ask(session, run, 7, "ana", "¿Quién paga los centros?", anonymous=True)
        await service.approve(run.id, q.number, *MOD)
        await service.next_question(run.id, *MOD)
        state = await db.read(lambda conn: load_state(conn, session, run.id, clock()))
    finally:
        await db.close()
    es = localize("es")
    assert state.language == "en"  # the page's lang: the main language
    assert state.words["up_next"] == f"Up next · {es('Up next')}"
    assert state.words["at"] == f"at {{time}} · {es.template('at {time}')}"
    assert state.question is not None
    assert state.question.asker == f"Anonymous · {es.render(ANONYMOUS)}"
    assert state.texts["votes"] == f"0 votes · {es.ngettext('{count} vote', '{count} votes', 0)}"
    assert state.question.text == "¿Quién paga los centros?"  # the question as asked, once
