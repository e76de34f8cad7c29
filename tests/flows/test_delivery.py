"""Sending under faults: blocked users, 429 retry_after, 5xx; and the flow on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select

from storage.models import Opinion, OutboxMessage
from storage.models import Resident as ResidentRow
from storage.repositories import OutboxRepository
from tests.flows.conftest import BotUnderTest, Resident, consented_resident

NewResident = Callable[..., Awaitable[Resident]]


async def resident_row(b: BotUnderTest, telegram_id: int) -> ResidentRow | None:
    row: ResidentRow | None = await b.query(
        lambda s: s.scalar(select(ResidentRow).where(ResidentRow.telegram_id == telegram_id))
    )
    return row


async def test_blocking_is_recorded_and_unblocking_clears_it(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    await r.c.block(r.id)
    await bot.settle()
    row = await resident_row(bot, r.id)
    assert row is not None and row.blocked_at is not None
    await r.c.unblock(r.id)
    await bot.settle()
    row = await resident_row(bot, r.id)
    assert row is not None and row.blocked_at is None


async def test_a_403_on_send_marks_blocked_and_others_carry_on(
    bot: BotUnderTest, resident: NewResident
) -> None:
    gone, other = await resident(), await resident()
    await gone.c.inject_fault("sendMessage", error_code=403, chat_id=gone.id, count=5)
    await gone.c.send_text(gone.id, "凯旋路停车乱")
    receipt = await other.submit("十八梯路灯坏了")
    assert "YZ-" in (receipt[-1].text or "")
    await bot.settle()
    row = await resident_row(bot, gone.id)
    assert row is not None and row.blocked_at is not None
    failed = await bot.query(
        lambda s: s.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed"))
    )
    assert [f.chat_id for f in failed] == [gone.id]
    assert all(f.payload is None for f in failed)  # what it would have said is not kept


async def test_429_is_waited_out(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    await r.c.inject_fault("sendMessage", error_code=429, retry_after=1, chat_id=r.id, count=3)
    started = time.monotonic()
    asked = await r.say("凯旋路停车乱")
    assert "南纪门街道" in (asked[-1].text or "")
    assert time.monotonic() - started >= 1.0  # it did wait, it did not give up


async def test_server_errors_are_retried(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    await r.c.inject_fault("sendMessage", error_code=502, chat_id=r.id, count=1)
    asked = await r.say("凯旋路停车乱")
    assert "南纪门街道" in (asked[-1].text or "")
    pending = await bot.query(lambda s: OutboxRepository(s).pending_count())
    assert pending == 0


@pytest.mark.postgres
async def test_whole_flow_on_postgres(
    start_bot: Callable[..., Awaitable[BotUnderTest]], postgres_server: str
) -> None:
    from tests.conftest import _reset_postgres

    await _reset_postgres(postgres_server)
    b = await start_bot(database_url=postgres_server)
    r = await consented_resident(b, 7_000_001)
    receipt = await r.submit("洪崖洞周边周末垃圾没人收")
    assert "YZ-000001" in (receipt[-1].text or "") and "解放碑街道" in (receipt[-1].text or "")
    await b.restart()
    mine = await r.command("my")
    assert "YZ-000001" in (mine[-1].text or "")
    n = await b.query(lambda s: s.scalar(select(func.count()).select_from(Opinion)))
    assert n == 1
