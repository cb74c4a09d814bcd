"""People who use Discord in another language, for tests: SimCord sends every interaction with
`locale: "en-US"`; `speaking` makes it send each chosen person's own locale instead, as
Discord does. The one place tests change what SimCord sends:

    with speaking({world.alice: "ko", world.bob: "es-ES"}):
        result = await world.alice.slash(world.questions, "ask", question=" ")
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest
import simcord.interactions

#: Discord's locale codes the tests use: https://discord.com/developers/docs/reference#locales
KOREAN, SPAIN_SPANISH, LATIN_AMERICAN_SPANISH, TAIWAN_CHINESE = "ko", "es-ES", "es-419", "zh-TW"


@contextmanager
def speaking(people: Mapping[Any, str]) -> Iterator[None]:
    """Within the block, interactions by each of `people` (actors or user ids) carry that
    person's locale; everyone else's stay en-US."""
    locales = {getattr(person, "id", person): locale for person, locale in people.items()}
    original = simcord.interactions.base_payload

    def base_payload(*args: Any, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        record, payload = original(*args, **kwargs)
        locale = locales.get(kwargs.get("user_id"))
        if locale is not None:
            payload["locale"] = locale
        return record, payload

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(simcord.interactions, "base_payload", base_payload)
        yield
