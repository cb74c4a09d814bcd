"""The delivery cog: posts missing cards and vote messages, paced, and retries failed posts.

The implementation lives in cogs/_delivery.py (not reloaded with the extension, so the other
question cogs can find it by type).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs._delivery import Delivery

if TYPE_CHECKING:
    from bot.app import QABot


async def setup(bot: QABot) -> None:
    await bot.add_cog(Delivery(bot))
