"""Retention and erasure reach the bytes on disk, not only the rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.features.account import AccountService
from bot.features.account.service import Expired
from bot.telegram.work import services_for
from storage.models import Draft, InboxUpdate, Opinion, utcnow
from tests.flows.conftest import BotUnderTest, Resident

NewResident = Callable[..., Awaitable[Resident]]


def on_disk(b: BotUnderTest, needle: str) -> list[str]:
    """Which of the SQLite files (database, WAL, shared memory) contain `needle`."""
    path = b.settings.sqlite_path()
    assert path is not None
    found = []
    for suffix in ("", "-wal", "-shm"):
        f = Path(str(path) + suffix)
        if f.exists() and needle.encode() in f.read_bytes():
            found.append(f.name)
    return found


async def expire(b: BotUnderTest, now: datetime) -> Expired:
    """The account feature's retention, as its scheduled job runs it."""
    expired: Expired = await b.query(
        lambda s: services_for(s, b.runtime.deps).service(AccountService).purge_expired(now)
    )
    return expired


async def test_text_before_consent_and_erased_texts_leave_no_trace_on_disk(
    bot: BotUnderTest, resident: NewResident
) -> None:
    stranger = await resident(consent=False)
    await stranger.say("未同意之前的秘密内容甲乙丙")
    leaver = await resident()
    await leaver.submit("凯旋路停车太乱，我家住凯旋路丁戊己号")
    await leaver.command("delete_me")
    await leaver.press("🗑 确认删除")
    await bot.settle()
    await bot.runtime.maintenance.checkpoint()
    assert on_disk(bot, "秘密内容甲乙丙") == []
    assert on_disk(bot, "丁戊己") == []


async def test_retention_keeps_only_anonymous_facts(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    await r.submit("十八梯路灯坏了")
    await r.say("这条草稿一直没有提交")
    await bot.settle()
    later = utcnow() + timedelta(days=bot.settings.retention_days + 1)
    purged = await expire(bot, later)
    pruned = await bot.runtime.maintenance.purge(now=later)
    assert purged.opinions == 1 and purged.drafts == 1 and pruned.inbox_rows > 0
    [op] = list(await bot.query(lambda s: s.scalars(select(Opinion))))
    assert op.text is None and op.resident_id is None and op.erased_at is not None
    assert op.subdistrict is not None and op.category
    assert await bot.query(lambda s: s.scalar(select(func.count()).select_from(Draft))) == 0
    assert await bot.query(lambda s: s.scalar(select(func.count()).select_from(InboxUpdate))) == 0


async def test_recent_data_is_left_alone(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    await r.submit("十八梯路灯坏了")
    await bot.settle()
    purged = await expire(bot, utcnow())
    pruned = await bot.runtime.maintenance.purge()
    assert purged.opinions == 0 and purged.drafts == 0 and pruned.inbox_rows == 0
    [op] = list(await bot.query(lambda s: s.scalars(select(Opinion))))
    assert op.text == "十八梯路灯坏了"
