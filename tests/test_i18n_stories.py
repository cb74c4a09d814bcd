"""People who use Discord in Korean, Spanish and Traditional Chinese, through SimCord.

Discord tells the bot each person's language with every interaction; what the bot says to one
person alone (a refusal here) is in that language, and the commands each sees are named in it.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import World
from tests.locales import KOREAN, LATIN_AMERICAN_SPANISH, SPAIN_SPANISH, TAIWAN_CHINESE, speaking
from tests.q_world import said

EMPTY = {
    "en": "Your question is empty; write the question you want to ask.",
    KOREAN: "질문이 비어 있습니다. 묻고 싶은 내용을 입력해 주세요.",
    SPAIN_SPANISH: "Tu pregunta está vacía; escribe la pregunta que quieres hacer.",
    TAIWAN_CHINESE: "問題是空的，請寫下你想問的問題。",
}


async def test_a_korean_participant_is_refused_in_korean_and_others_in_their_own_language(
    world: World,
) -> None:
    ji_woo, lucia, mei = (world.participant(name) for name in ("ji-woo", "lucia", "mei"))
    with speaking({ji_woo: KOREAN, lucia: SPAIN_SPANISH, mei: TAIWAN_CHINESE}):
        answers = {
            "en": await world.alice.slash(world.questions, "ask", question="   "),
            KOREAN: await ji_woo.slash(world.questions, "ask", question="\u200b "),
            SPAIN_SPANISH: await lucia.slash(world.questions, "ask", question=" "),
            TAIWAN_CHINESE: await mei.slash(world.questions, "ask", question=" "),
        }
    for language, result in answers.items():
        assert result.response is not None and result.response.ephemeral
        assert said(result) == EMPTY[language], language
    assert world.bot.db.is_open  # and nothing was stored: the refusal changed nothing
    assert not await world.bot.questions.mine(world.bot.runs[_session(world)].id, ji_woo.id)


async def test_a_refusal_with_a_number_names_it_in_the_readers_language(world: World) -> None:
    carlos, mei = world.participant("carlos"), world.participant("mei")
    await world.alice.slash(world.questions, "ask", question="How are co-operatives funded?")
    with speaking({carlos: LATIN_AMERICAN_SPANISH, mei: TAIWAN_CHINESE}):
        spanish = await carlos.slash(world.questions, "withdraw", number=1)
        chinese = await mei.slash(world.questions, "withdraw", number=1)
    assert said(spanish) == (
        "No tienes ninguna pregunta #1 en esta sesión; /mispreguntas muestra las tuyas."
    )
    assert said(chinese) == "你在這個場次沒有 #1 號問題；用 /我的問題 可以查看你的問題。"


async def test_the_locale_follows_the_person_not_the_server(world: World) -> None:
    """The same person in English once the block is over: only chosen people are changed."""
    ji_woo = world.participant("ji-woo")
    with speaking({ji_woo: KOREAN}):
        korean = await ji_woo.slash(world.questions, "ask", question=" ")
        english = await world.bob.slash(world.questions, "ask", question=" ")
    after = await ji_woo.slash(world.questions, "ask", question=" ")
    assert said(korean) == EMPTY[KOREAN]
    assert said(english) == said(after) == EMPTY["en"]


async def test_commands_are_registered_with_names_in_each_language(world: World) -> None:
    ask = _command(world, "ask")
    assert ask["name_localizations"]["ko"] == "질문하기"
    assert ask["name_localizations"]["es-ES"] == ask["name_localizations"]["es-419"] == "preguntar"
    assert ask["name_localizations"]["zh-TW"] == "提問"
    assert "en-US" not in ask["name_localizations"] and "zh-CN" not in ask["name_localizations"]
    assert ask["description_localizations"]["ko"] == "발표자에게 질문합니다."
    question = next(o for o in ask["options"] if o["name"] == "question")
    assert question["name_localizations"]["es-ES"] == "pregunta"
    qa = _command(world, "qa")
    assert "name_localizations" not in qa or "ko" not in (qa["name_localizations"] or {})
    queue = next(o for o in qa["options"] if o["name"] == "queue")
    assert queue["name_localizations"]["zh-TW"] == "待答清單"


def _session(world: World) -> str:
    return next(iter(world.bot.sessions))


def _command(world: World, name: str) -> dict[str, Any]:
    found = world.env.backend.find_command(name, None) or world.env.backend.find_command(
        name, world.guild.id
    )
    assert found is not None, name
    return found
