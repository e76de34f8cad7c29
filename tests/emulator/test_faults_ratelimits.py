"""Fault injection and flood limits, seen through python-telegram-bot's exceptions."""

from __future__ import annotations

import asyncio
import datetime as dtm

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from tgemu import EmulatorClient

USER = 1001
# PTB 22 warns (even inside RetryAfter.__init__) that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def _seconds(error: RetryAfter) -> float:
    value: object = error.retry_after
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    assert isinstance(value, int | float)
    return float(value)


async def test_injected_429_raises_retry_after(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    fault = await emu.inject_fault("sendMessage", error_code=429, retry_after=7)
    assert fault.remaining == 1
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "x")
    assert _seconds(info.value) == 7
    await bot.send_message(USER, "second call goes through")
    assert await emu.faults() == []
    assert (await emu.stats()).errors == {429: 1}


async def test_injected_errors_by_code(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    await emu.inject_fault("sendmessage", error_code=403)
    await emu.inject_fault("sendMessage", error_code=400, description="chat not found")
    await emu.inject_fault("sendMessage", error_code=500)
    await emu.inject_fault("sendMessage", error_code=502)
    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(USER, "x")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(USER, "x")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(USER, "x")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(USER, "x")
    assert (await emu.stats()).faults_triggered == 4


async def test_fault_for_one_chat_and_count(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    await emu.start(1002)
    await emu.inject_fault("*", error_code=403, chat_id=1002, count=2)
    await bot.send_message(USER, "unaffected")
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_chat_action(1002, "typing")
    await bot.send_message(1002, "third call succeeds")
    assert await bot.get_updates()  # getUpdates is never hit by "*"


async def test_delay_fault_times_out_client_but_still_sends(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    await emu.inject_fault("sendMessage", delay=1.0)
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "slow", read_timeout=0.3)
    message = await emu.wait_for_bot_message(USER, timeout=3)
    assert message.text == "slow"  # like Telegram: the request was processed anyway
    await emu.clear_faults()


async def test_rate_limits_counted_not_enforced_by_default(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    for index in range(5):
        await bot.send_message(USER, f"burst {index}")
    stats = await emu.stats()
    assert stats.rate_limit_violations == {"private": 2}
    assert stats.rate_limited == 0 and not stats.rate_limit_enforced


async def test_rate_limit_enforced_private_chat(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    await emu.set_rate_limit_enforcement(True)
    for index in range(3):
        await bot.send_message(USER, f"burst {index}")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "one too many")
    assert 1 <= _seconds(info.value) <= 2
    stats = await emu.stats()
    assert stats.rate_limited == 1 and stats.bot_messages_sent == 3
    assert stats.errors == {429: 1}


async def test_rate_limit_group_per_minute(bot: Bot, emu: EmulatorClient) -> None:
    group = await emu.create_group("议事群", member_ids=[USER, 7_000_000_001])
    await emu.set_rate_limit_enforcement(True)
    for index in range(20):
        await bot.send_message(group.id, f"通知 {index}")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(group.id, "第21条")
    assert 55 <= _seconds(info.value) <= 60
    assert (await emu.stats()).rate_limit_violations == {"group": 1}


async def test_rate_limit_global_thirty_per_second(bot: Bot, emu: EmulatorClient) -> None:
    users = list(range(3001, 3032))
    for user in users:
        await emu.start(user)
    await asyncio.gather(*(bot.send_message(user, "广播") for user in users))
    violations = (await emu.stats()).rate_limit_violations
    assert violations.get("global", 0) >= 1
