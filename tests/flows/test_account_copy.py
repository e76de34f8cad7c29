"""The consent step, /help, /my, /mydata and /delete_me as a resident reads them on a phone,
and the hostile inputs around them (a second erase prompt, channels, commands meant for
another bot). Flows go through the real stack; the plain logic has unit tests at the end."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Chat, Message, MessageEntity

from bot.config import ConfigError, load_settings
from bot.domain.clock import ManualClock
from bot.features.account.service import erase_decision
from bot.features.consent.pacing import NoticePacer
from bot.features.fallbacks.handlers import addressee
from storage.models import Resident as ResidentRow
from storage.records import DraftPart, ResidentRecord
from storage.repositories import DraftRepository, OpinionRepository, ResidentRepository
from tests.flows.conftest import BotUnderTest, Resident

NewResident = Callable[..., Awaitable[Resident]]
StartBot = Callable[..., Awaitable[BotUnderTest]]

NOTICE_BUTTONS = ["✅ 同意", "📄 完整说明", "不同意", "English"]
#: 2026-11-30 17:30 UTC is already 1 December in Chongqing (UTC+8).
LATE_EVENING_UTC = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)


def labels(message: object) -> list[str]:
    buttons = getattr(message, "buttons", [])
    return [b.text for row in buttons for b in row]


async def seed(
    b: BotUnderTest,
    r: Resident,
    *,
    opinions: Sequence[tuple[str, datetime]] = (),
    draft: str | None = None,
) -> None:
    """Opinions (text, when) and an open draft for a consented resident, written straight
    to the database: these tests are about reading them back, not about writing them."""
    latest = max((when for _, when in opinions), default=datetime.now(UTC))

    async def write(session: AsyncSession) -> None:
        drafts = DraftRepository(session)
        resident = await ResidentRepository(session).by_telegram_id(r.id)
        assert resident is not None
        for i, (text, when) in enumerate(opinions):
            made = await drafts.create(
                resident.id, stage="category", parts=[DraftPart(1000 + i, text)], now=when
            )
            await OpinionRepository(session).create_from_draft(
                replace(made, subdistrict="500103008"), "parking_traffic", when
            )
            await drafts.delete(made.id)
        if draft is not None:
            await drafts.create(
                resident.id, stage="subdistrict", parts=[DraftPart(999, draft)], now=latest
            )

    await b.query(write)


# --- 1. the consent step ---------------------------------------------------------------


async def test_first_screen_is_short_and_the_full_notice_is_one_press_away(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident(consent=False)
    [screen] = await r.command("start")
    text = screen.text or ""
    assert "隐私说明" in text and "/mydata" in text and "/delete_me" in text
    assert "730 天" in text and "政协办公室" in text
    assert len(text.splitlines()) <= 6 and len(text) < 200, text
    assert labels(screen) == NOTICE_BUTTONS

    [full] = await r.press("📄 完整说明")
    assert full.message_id == screen.message_id  # in place, not a second message
    body = full.text or ""
    assert "语音" in body and "Telegram 文件编号" in body and "听到语音" in body
    assert labels(full) == ["✅ 同意", "📄 简要说明", "不同意", "English"]
    [english] = await r.press("English")
    assert "Privacy notice (full)" in (english.text or "")
    assert "voice messages are kept as Telegram file ids" in (english.text or "")
    assert labels(english) == ["✅ Agree", "📄 Short version", "Decline", "中文"]
    [short] = await r.press("📄 Short version")
    assert "Privacy notice" in (short.text or "") and "(full)" not in (short.text or "")
    assert await bot.count(ResidentRow) == 0  # reading the notice stores nothing

    await r.press("✅ Agree")
    assert await bot.count(ResidentRow) == 1


async def test_decline_says_what_follows_and_stores_nothing(start_bot: StartBot) -> None:
    b = await start_bot(office_phone="023-60001234")
    await b.client.create_user(6_100_001, first_name="居民")
    r = Resident(b, 6_100_001)
    await r.command("start")
    [answer] = await r.press("不同意")
    text = answer.text or ""
    assert "没有保存" in text and "无法在这里提交意见" in text
    assert "拨打 023-60001234，或 12345 市民热线" in text and "/start" in text
    assert not answer.buttons
    assert await b.count(ResidentRow) == 0
    # changing one's mind
    again = await r.command("start")
    assert labels(again[-1]) == NOTICE_BUTTONS
    await r.press("✅ 同意")
    assert await b.count(ResidentRow) == 1


async def test_messages_before_consent_get_a_one_line_reminder(start_bot: StartBot) -> None:
    clock = ManualClock(LATE_EVENING_UTC)
    b = await start_bot(clock)
    await b.client.create_user(6_100_002, first_name="居民")
    r = Resident(b, 6_100_002)
    [first] = await r.say("凯旋路停车太乱")
    assert "没有被保存" in (first.text or "") and "隐私说明" in (first.text or "")
    assert labels(first) == NOTICE_BUTTONS
    for text in ("还有十八梯", "听到了吗"):
        [reminder] = await r.say(text)
        assert "没有被保存" in (reminder.text or "")
        assert "\n" not in (reminder.text or "") and "隐私说明" not in (reminder.text or "")
        assert labels(reminder) == NOTICE_BUTTONS
    clock.advance(timedelta(minutes=11))  # past the pacing period: the screen once more
    [again] = await r.say("还在吗")
    assert "隐私说明" in (again.text or "")
    assert await b.count(ResidentRow) == 0
    # the reminder's own button agrees
    await r.press("✅ 同意")
    assert await b.count(ResidentRow) == 1


# --- 2, 3. /help and the office phone -------------------------------------------------------


async def test_help_fits_a_phone_and_names_a_person_to_call(start_bot: StartBot) -> None:
    b = await start_bot(office_phone="023-60001234")
    await b.client.create_user(6_100_003, first_name="居民")
    r = Resident(b, 6_100_003)
    [helped] = await r.command("help")  # before consent too
    text = helped.text or ""
    assert "找人工：拨打 023-60001234，或 12345 市民热线" in text
    for word in ("照片", "语音", "位置", "编号", "/my", "/mydata", "/delete_me", "/privacy"):
        assert word in text, word
    assert "08:00" in text and "7 天" in text  # when: digest time and follow-up days
    assert len(text.splitlines()) <= 12 and len(text) < 400, (len(text), text)


# --- 4. /my --------------------------------------------------------------------------------


async def test_my_with_only_a_draft_does_not_contradict_itself(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    await seed(bot, r, draft="楼道灯坏了")
    [mine] = await r.command("my")
    text = mine.text or ""
    assert "还没有提交过意见" in text and "楼道灯坏了" in text
    assert "/start" in text and "/cancel" in text and "上面" not in text


async def test_my_with_opinions_and_a_draft_in_local_dates(start_bot: StartBot) -> None:
    b = await start_bot(ManualClock(LATE_EVENING_UTC + timedelta(hours=1)))
    await b.client.create_user(6_100_004, first_name="居民")
    r = Resident(b, 6_100_004)
    await r.consent()
    await seed(b, r, opinions=[("凯旋路停车太乱", LATE_EVENING_UTC)], draft="十八梯路灯坏了")
    [mine] = await r.command("my")
    text = mine.text or ""
    assert "共 1 条" in text and "YZ-000001" in text and "2026-12-01" in text
    assert "还没有提交过意见" not in text and "上面" not in text
    assert "另有一条草稿" in text and "十八梯路灯坏了" in text


# --- 5. /mydata ----------------------------------------------------------------------------


async def test_mydata_sends_a_summary_and_the_file_in_local_time(start_bot: StartBot) -> None:
    b = await start_bot(ManualClock(LATE_EVENING_UTC + timedelta(hours=1)))
    await b.client.create_user(6_100_005, first_name="居民")
    r = Resident(b, 6_100_005)
    await r.consent()
    await seed(b, r, opinions=[("凯旋路停车太乱", LATE_EVENING_UTC)], draft="还没写完")
    sent = await r.command("mydata")
    summary = next(m for m in sent if m.document is None)
    text = summary.text or ""
    assert "同意隐私说明" in text and "语言：中文" in text
    assert "意见 1 条" in text and "YZ-000001 · 已收到 · 2026-12-01 · 南纪门街道" in text
    assert "草稿 1 条" in text and "还没写完" in text
    assert "2028-11-30" in text  # 730 days after 2026-12-01 local
    doc = next(m for m in sent if m.document is not None)
    assert doc.document is not None and doc.document.file_name is not None
    assert doc.document.file_name.endswith("-20261201.json")
    data = json.loads(await r.c.file_content(doc.document.file_id))
    assert data["opinions"][0]["created_at"] == "2026-12-01T01:30:00+08:00"
    assert data["draft"]["text"] == "还没写完" and data["timezone"] == "Asia/Shanghai"


async def test_mydata_after_delete_me_says_it_was_erased(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    await r.command("delete_me")
    await r.press("🗑 确认删除")
    [told] = await r.command("mydata")
    text = told.text or ""
    assert "没有保存任何能对应到您的数据" in text and "/delete_me 删除" in text
    assert not text.startswith("我们没有保存任何关于您的数据（您还没有同意")


# --- 6. two erase prompts ------------------------------------------------------------------


async def test_erase_on_one_prompt_then_cancel_on_the_other(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    [first] = await r.command("delete_me")
    [second] = await r.command("delete_me")
    await r.replies(r.c.press(r.id, first.message_id, text="🗑 确认删除"))
    assert await bot.count(ResidentRow) == 0
    [after] = await r.replies(r.c.press(r.id, second.message_id, text="取消"))
    assert "已经删除" in (after.text or "") and "什么都没有删除" not in (after.text or "")
    assert not after.buttons
    # and pressing the spent erase button again changes nothing either
    await r.consent()
    old_erase = first.buttons[0][0].callback_data
    assert old_erase is not None and old_erase.startswith("del:yes:")
    pressed = await r.c.press_raw(r.id, old_erase, message_id=first.message_id)
    answer = await r.c.wait_for_callback_answer(pressed.callback_query_id, timeout=10)
    assert "失效" in (answer.text or "")
    assert await bot.count(ResidentRow) == 1


async def test_cancel_on_one_prompt_then_erase_on_the_latest(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    [first] = await r.command("delete_me")
    [second] = await r.command("delete_me")
    [kept] = await r.replies(r.c.press(r.id, first.message_id, text="取消"))
    assert "什么都没有删除" in (kept.text or "")
    assert await bot.count(ResidentRow) == 1
    [erased] = await r.replies(r.c.press(r.id, second.message_id, text="🗑 确认删除"))
    assert "已删除" in (erased.text or "")
    assert await bot.count(ResidentRow) == 0


# --- 7. channels -----------------------------------------------------------------------------


async def test_channels_never_hear_from_the_bot(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    bot_id = bot.runtime.app.bot.id
    channel = await r.c.create_channel("渝中发布", admin_ids=[r.id, bot_id], creator_id=r.id)
    for text in ("凯旋路今晚交通管制", "/start", "/help"):
        await r.c.send_text(r.id, text, chat_id=channel.id)
    await bot.settle()
    assert await r.c.bot_messages(channel.id) == []


# --- 8. commands addressed to another bot ------------------------------------------------


async def test_a_command_for_another_bot_gets_no_answer(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    before = await r.c.cursor()
    await r.c.send_text(r.id, "/my@OtherBot")
    await r.c.send_text(r.id, "/nosuch@SomeoneElseBot")
    await bot.settle()
    assert [m for m in await r.c.bot_messages(r.id) if m.cursor > before] == []
    [mine] = await r.say("/my@yushi_test_bot")
    assert "还没有提交过意见" in (mine.text or "")
    [mine] = await r.say("/my@YUSHI_test_BOT")
    assert "还没有提交过意见" in (mine.text or "")
    [unknown] = await r.say("/nosuch@yushi_test_bot")
    assert "没有这个命令" in (unknown.text or "")


# --- unit tests of the plain logic ---------------------------------------------------------

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_pacer_shows_once_per_period_and_forgets() -> None:
    pacer = NoticePacer(timedelta(minutes=10))
    assert pacer.due(1, T0)
    assert not pacer.due(1, T0 + timedelta(minutes=9))
    assert pacer.due(2, T0 + timedelta(minutes=9))  # someone else
    assert pacer.due(1, T0 + timedelta(minutes=10))
    pacer.forget(1)
    assert pacer.due(1, T0 + timedelta(minutes=11))
    assert len(pacer) == 2
    # a clock moved back does not silence the notice for the length of the jump: what was
    # shown "later" than now counts as stale
    assert pacer.due(1, T0 - timedelta(hours=1))
    assert len(pacer) == 1
    # expired entries go: nothing is kept longer than the period
    assert pacer.due(3, T0 + timedelta(hours=2))
    assert len(pacer) == 1


def test_pacer_memory_is_bounded_and_holds_no_plain_ids() -> None:
    pacer = NoticePacer(timedelta(minutes=10), max_tracked=3)
    for uid in range(5):
        pacer.shown(uid, T0)
    assert len(pacer) == 3
    assert pacer.due(0, T0)  # the oldest was forgotten first
    assert not pacer.due(4, T0)
    assert all(isinstance(k, bytes) and k != b"4" for k in pacer._shown)


def _resident(rid: int) -> ResidentRecord:
    return ResidentRecord(rid, 42, "K7Q2M9", "zh", "2026-11", T0, None)


@pytest.mark.parametrize(
    ("answer", "shown_for", "resident", "decision"),
    [
        ("yes", 7, _resident(7), "erase"),
        ("no", 7, _resident(7), "keep"),
        ("no", None, _resident(7), "keep"),  # a keep button from before it named the account
        ("yes", 7, None, "gone"),  # erased by the other prompt
        ("no", 7, None, "gone"),  # never "nothing was erased" after an erasure
        ("yes", 7, _resident(8), "stale"),  # erased, then 同意 again: a new account
        ("no", 7, _resident(8), "stale"),
        ("yes", 0, _resident(8), "stale"),  # a forged number
    ],
)
def test_erase_decision(
    answer: str, shown_for: int | None, resident: ResidentRecord | None, decision: str
) -> None:
    assert erase_decision(answer, shown_for, resident) == decision  # type: ignore[arg-type]


def _command(text: str, length: int) -> Message:
    return Message(
        1,
        T0,
        Chat(1, Chat.PRIVATE),
        text=text,
        entities=[MessageEntity(MessageEntity.BOT_COMMAND, 0, length)],
    )


def test_addressee_of_a_command() -> None:
    assert addressee(_command("/my@OtherBot", 12)) == "OtherBot"
    assert addressee(_command("/my@OtherBot now", 12)) == "OtherBot"
    assert addressee(_command("/my", 3)) is None
    assert addressee(Message(1, T0, Chat(1, Chat.PRIVATE), text="hi @OtherBot")) is None


def test_office_phone_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(env_file=None).office_phone == "023-63891234"
    monkeypatch.setenv("OFFICE_PHONE", "+86 23 6000-1234")
    assert load_settings(env_file=None).office_phone == "+86 23 6000-1234"
    monkeypatch.setenv("OFFICE_PHONE", "call the office")
    with pytest.raises(ConfigError, match="OFFICE_PHONE"):
        load_settings(env_file=None)
