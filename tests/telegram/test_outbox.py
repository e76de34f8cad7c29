"""The one sending path: Telegram's limits are enforced before anything is queued."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.clock import SystemClock
from bot.telegram.html import visible_length
from bot.telegram.keyboards import Button, keyboard_markup
from bot.telegram.outbox import Outbox
from storage import unit_of_work
from storage.models import OutboxMessage


def test_callback_data_over_64_bytes_is_refused() -> None:
    assert keyboard_markup([[Button("ok", "sd:1:2")]])["inline_keyboard"][0][0]["text"] == "ok"
    with pytest.raises(ValueError, match="1–64 bytes"):
        keyboard_markup([[Button("太长", "街" * 22)]])  # 66 bytes in UTF-8
    with pytest.raises(ValueError):
        keyboard_markup([[Button("empty", "")]])


async def test_long_texts_are_split_with_the_keyboard_on_the_last_part(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    body = "\n".join(f"<b>第{i}条</b> 凯旋路 &amp; 十八梯" for i in range(600))
    async with unit_of_work(sessions) as s:
        await Outbox(s, SystemClock()).text(1, body, [[Button("👉 南纪门街道", "sd:1:5")]])
    async with unit_of_work(sessions) as s:
        rows = await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        queued = [r.payload or {} for r in rows]
    assert len(queued) > 1
    assert all(visible_length(q["text"]) <= 4096 for q in queued)
    assert [("reply_markup" in q) for q in queued] == [False] * (len(queued) - 1) + [True]
