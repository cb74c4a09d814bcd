"""What the bot says to one person, in that person's language, through SimCord: /program,
/myquestions and its buttons, a moderator's replies and refusals, /qa queue, and the form of a
written answer; and what it says to everyone stays in the session's language meanwhile."""

from __future__ import annotations

from typing import Any

from bot.limits import INPUT_LABEL, MODAL_TITLE, modal_problems, request_problems
from tests.conftest import World
from tests.locales import KOREAN, LATIN_AMERICAN_SPANISH, SPAIN_SPANISH, TAIWAN_CHINESE, speaking
from tests.q_world import QA, said, said_embed


def labels(components: list[dict[str, Any]]) -> list[str]:
    """The labels of the buttons in a message's component payloads."""
    return [b["label"] for row in components for b in row.get("components", []) if "label" in b]


async def test_program_in_korean_spanish_and_traditional_chinese(world: World) -> None:
    ji_woo, lucia, mei = (world.participant(name) for name in ("ji-woo", "lucia", "mei"))
    with speaking({ji_woo: KOREAN, lucia: SPAIN_SPANISH, mei: TAIWAN_CHINESE}):
        answers = {
            "en": await world.alice.slash(world.general, "program"),
            KOREAN: await ji_woo.slash(world.general, "program"),
            SPAIN_SPANISH: await lucia.slash(world.questions, "program"),
            TAIWAN_CHINESE: await mei.slash(world.general, "program"),
        }
    now = {"en": "← now", KOREAN: "← 지금", SPAIN_SPANISH: "← ahora", TAIWAN_CHINESE: "← 現在"}
    english = said(answers["en"])
    for language, result in answers.items():
        assert result.ephemeral, language
        text = said(result)
        assert text.count("\n") == english.count("\n"), language  # the same program, line by line
        assert now[language] in text, (language, text)
        if language != "en":
            assert "← now" not in text, language
        # the program's own words (titles from the session file) and times stay as they are
        assert text.splitlines()[0] == english.splitlines()[0]
        assert "<t:" in text and len(text) <= 2000


async def test_a_refusal_of_a_moderator_command_names_the_role_in_the_readers_language(
    world: World,
) -> None:
    carlos = world.participant("carlos")
    await world.alice.slash(world.questions, "ask", question="How are co-operatives funded?")
    with speaking({carlos: LATIN_AMERICAN_SPANISH, world.bob: KOREAN}):
        spanish = await carlos.slash(world.questions, "qa approve", number=1)
        korean = await world.bob.slash(world.questions, "qa queue")
    assert spanish.ephemeral and said(spanish) == (
        "Solo los moderadores pueden hacer esto (el rol Moderator o el permiso Gestionar servidor)."
    )
    assert said(korean) == "모더레이터만 할 수 있습니다(Moderator 역할 또는 서버 관리하기 권한)."


async def test_myquestions_and_its_edit_buttons_in_the_askers_language(world: World) -> None:
    lucia = world.participant("lucia")
    with speaking({lucia: SPAIN_SPANISH}):
        empty = await lucia.slash(world.questions, "myquestions")
        asked = await lucia.slash(
            world.questions, "ask", question="¿Cómo se financian las cooperativas?"
        )
        mine = await lucia.slash(world.questions, "myquestions")
    assert said(empty) == "Aún no has preguntado nada en esta sesión; usa /preguntar."
    assert said(asked).startswith("¡Gracias! Tu pregunta es la #1. Un moderador la revisará")
    assert mine.ephemeral and mine.response is not None
    embed = mine.response.embeds[0]
    assert embed.title == "Tus preguntas"
    assert "**#1** · en espera de revisión · ¿Cómo se financian" in said_embed(mine)
    assert labels(mine.response.components) == ["Editar #1"]


async def test_a_moderators_replies_and_the_queue_in_korean_while_the_card_stays_english(
    qa: QA,
) -> None:
    w = qa.world
    await qa.ask(w.alice, "How are co-operatives funded?")
    await qa.ask(w.bob, "What does the city pay for?")
    with speaking({w.mod: KOREAN}):
        approved = await w.mod.slash(w.moderation, "qa approve", number=1)
        merged = await w.mod.slash(w.moderation, "qa merge", number=2, into=1)
        queue = await w.mod.slash(w.moderation, "qa queue")
        live = await w.mod.slash(w.moderation, "qa next")
    assert said(approved) == "#1 질문을 승인했습니다. 투표를 받을 수 있도록 대기열에 올라갔습니다."
    assert said(merged).startswith("#2을(를) #1에 병합했습니다: 0표")
    assert said(live) == "지금 #1 질문에 답변합니다."
    embed = queue.response.embeds[0] if queue.response is not None else None
    assert embed is not None and embed.title == "대기열: 투표순 상위 1개"
    assert "검토 대기 0" in (embed.footer.text or "") and "병합 1" in (embed.footer.text or "")
    # the public messages are the session's, in English: the card of #1 and its outcome
    card = qa.card(1)
    fields = {f.name: f.value for f in card.embeds[0].fields}
    assert fields["State"] == "Picked to be answered by mona"
    assert "Now answering #1" in "\n".join(m.content for m in w.live.history())


def _input(modal: dict[str, Any]) -> dict[str, Any]:
    row = modal["components"][0]
    return row["components"][0] if "components" in row else row["component"]


async def test_a_written_answers_form_in_korean_and_its_answer_posted_in_english(qa: QA) -> None:
    w = qa.world
    await qa.ask(w.alice, "How are co-operatives funded?")
    await w.mod.slash(w.moderation, "qa approve", number=1)
    with speaking({w.mod: KOREAN}):
        shown = await w.mod.slash(w.moderation, "qa reply", number=1)
        assert shown.modal is not None
        modal = shown.modal
        assert modal["title"] == "#1에 서면으로 답변"
        text_input = _input(modal)
        assert text_input["label"] == "답변"
        assert text_input["placeholder"] == "질문의 스레드에 회원님 이름으로 게시됩니다."
        assert modal_problems(modal) == [] and request_problems({"type": 9, "data": modal}) == []
        done = await w.mod.submit_modal(
            shown, {text_input["custom_id"]: "Through a revolving fund."}
        )
    assert said(done).startswith("#1에 대한 답변이 저장되었습니다.")
    threads = [t for t in w.questions.threads if "How are co-operatives" in t.name]
    assert threads, "the answer's thread"
    posted = "\n".join(m.content for m in threads[0].history())
    assert "**Answer from mona (moderator):**\nThrough a revolving fund." in posted
    vote = qa.vote_message(1)
    assert any(f.name == "Written answers" for f in vote.embeds[0].fields)


def test_every_forms_title_and_label_fits_in_every_language() -> None:
    from bot.answers_text import (
        ANSWER_INPUT_LABEL,
        ANSWER_INPUT_PLACEHOLDER,
        EDIT_INPUT_LABEL,
        PRIVATE_INPUT_PLACEHOLDER,
        modal_title,
    )
    from bot.i18n import languages, localize

    for code in languages():
        _ = localize(code)
        for edit in (False, True):
            assert len(modal_title(10**9, edit=edit, _=_)) <= MODAL_TITLE, code
        for label in (ANSWER_INPUT_LABEL, EDIT_INPUT_LABEL):
            assert 1 <= len(_.render(label)) <= INPUT_LABEL, code
        for hint in (ANSWER_INPUT_PLACEHOLDER, PRIVATE_INPUT_PLACEHOLDER):
            assert len(_.render(hint)) <= 100, code
