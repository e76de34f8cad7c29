"""A resident's whole flow through the real PTB stack, the emulator and a real database."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from storage.models import Draft, InboxUpdate, Opinion
from storage.models import Resident as ResidentRow
from tests.flows.conftest import BotUnderTest, Resident

NewResident = Callable[..., Awaitable[Resident]]


def _all(messages: list[Any]) -> str:
    return "\n".join(m.text or "" for m in messages)


async def test_nothing_is_stored_before_consent(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident(consent=False)
    notice = await r.command("start")
    assert "隐私说明" in (notice[-1].text or "")
    assert notice[-1].has_button("✅ 同意")
    told = await r.say("我家电话13812345678，凯旋路停车太乱")
    assert "没有被保存" in (told[0].text or "") and told[0].has_button("✅ 同意")
    assert await bot.count(ResidentRow) == 0
    assert await bot.count(Draft) == 0
    payloads = await bot.query(lambda s: s.scalars(select(InboxUpdate.payload)))
    assert all(p is None for p in payloads), "handled updates must not keep content"

    await r.press("✅ 同意")
    assert await bot.count(ResidentRow) == 1


async def test_whole_flow_to_receipt_and_my(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    asked = await r.say("凯旋路晚上停车太乱了，消防通道都堵了")
    question = asked[-1]
    assert "南纪门街道" in (question.text or "") and "凯旋路" in (question.text or "")
    labels = [b.text for row in question.buttons for b in row]
    assert labels[0] == "南纪门街道"  # likeliest first; 凯旋路 crosses borders: not marked
    assert len(labels) == 12 and labels[-1] == "🤷 不确定"  # 11 sub-districts + 不确定

    await r.press("南纪门街道")
    topic = await r.c.last_bot_message(r.id)
    assert topic is not None and "南纪门街道" in (topic.text or "")
    receipt = await r.press_prefix("👉")
    text = receipt[-1].text or ""
    assert "YZ-000001" in text and "南纪门街道" in text

    opinions = await bot.query(lambda s: s.scalars(select(Opinion)))
    [op] = list(opinions)
    assert op.text == "凯旋路晚上停车太乱了，消防通道都堵了"
    assert op.subdistrict == "500103008" and op.category in {"parking_traffic", "fire_safety"}

    mine = await r.command("my")
    assert "YZ-000001" in (mine[-1].text or "") and "已收到" in (mine[-1].text or "")


async def test_former_name_asks_among_successors(resident: NewResident) -> None:
    r = await resident()
    asked = await r.say("望龙门那边老房子电线乱拉，很危险")
    text = asked[-1].text or ""
    assert "2015" in text
    first_rows = [row[0].text for row in asked[-1].buttons[:3]]
    assert sorted(first_rows) == sorted(["朝天门街道", "解放碑街道", "南纪门街道"])


async def test_outside_place_is_not_forced(resident: NewResident) -> None:
    r = await resident()
    asked = await r.say("观音桥步行街晚上太吵了")
    assert "江北" in (asked[-1].text or "")
    assert not any(b.text.startswith("👉") for row in asked[-1].buttons for b in row)


async def test_photo_with_caption_and_location_pin(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    asked = await r.replies(r.c.send_photo(r.id, caption="十八梯这里的路灯坏了一个星期"))
    assert "南纪门街道" in (asked[-1].text or "")
    # a pin added while the sub-district question is open refines the question
    again = await r.replies(r.c.send_location(r.id, 29.5573, 106.5600))
    assert "位置" in _all(again)
    await r.submit_current()
    [op] = list(await bot.query(lambda s: s.scalars(select(Opinion))))
    assert op.photo_file_ids and op.latitude is not None


async def test_location_alone_then_words(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    first = await r.replies(r.c.send_location(r.id, 29.56049, 106.57134))
    assert "说明问题" in (first[-1].text or "")
    asked = await r.say("这里的垃圾三天没人收了")
    assert "解放碑街道" in (asked[-1].text or "")


async def test_english(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident("en", consent=False)
    notice = await r.command("start")
    assert "Privacy notice" in (notice[-1].text or "")
    await r.press("✅ Agree")
    asked = await r.say("Parking near Jiefangbei is a nightmare every evening")
    assert "Jiefangbei" in (asked[-1].text or "")
    receipt = await r.submit_current(asked)
    assert "Reference" in (receipt[-1].text or "")


async def test_switch_language_with_lang(resident: NewResident) -> None:
    r = await resident()
    await r.command("lang")
    switched = await r.press("English")
    assert "English" in (switched[-1].text or "")
    helped = await r.command("help")
    assert "To reach a person" in (helped[-1].text or "")


async def test_commands_menu_in_both_languages(bot: BotUnderTest) -> None:
    bots = {b.id: b for b in await bot.client.bots()}
    me = bots[bot.runtime.app.bot.id]
    languages = {c.get("language_code") or "" for c in me.commands}
    names = {cmd["command"] for c in me.commands for cmd in c["commands"]}
    assert {"", "en"} <= languages
    assert {"start", "my", "mydata", "delete_me", "privacy", "lang", "help", "cancel"} <= names


async def test_mydata_and_delete_me(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    await r.submit("凯旋路停车太乱")
    sent = await r.command("mydata")
    doc = next(m for m in sent if m.document is not None)
    assert doc.document is not None
    data = json.loads(await r.c.file_content(doc.document.file_id))
    assert data["resident"]["telegram_user_id"] == r.id
    assert data["opinions"][0]["text"] == "凯旋路停车太乱"

    await r.command("delete_me")
    done = await r.press("🗑 确认删除")
    assert "已删除" in (done[-1].text or "")
    assert await bot.count(ResidentRow) == 0
    [op] = list(await bot.query(lambda s: s.scalars(select(Opinion))))
    assert op.text is None and op.resident_id is None and op.subdistrict is not None
    again = await r.command("start")
    assert again[-1].has_button("✅ 同意")


async def test_cancel_drops_the_draft(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    await r.say("凯旋路停车太乱")
    dropped = await r.command("cancel")
    assert "已取消" in (dropped[-1].text or "")
    assert await bot.count(Draft) == 0
    none = await r.command("cancel")
    assert "没有" in (none[-1].text or "")


async def test_restart_mid_flow_carries_on(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    asked = await r.say("解放碑步行街的垃圾桶满了没人清")
    await bot.restart()
    # the question sent before the restart still works
    first = asked[-1].buttons[0][0]
    assert first.callback_data is not None
    pressed = await r.replies(
        r.c.press(r.id, asked[-1].message_id, callback_data=first.callback_data)
    )
    receipt = await r.submit_current(pressed)
    assert "YZ-" in (receipt[-1].text or "")
    assert await bot.count(Opinion) == 1


async def test_typed_answers_instead_of_buttons(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    asked = await r.say("楼道里电线乱拉，晚上还冒火花")
    assert "用电安全" in (asked[-1].text or ""), "the topic is shown, only the place asked"
    receipt = await r.say("上清寺")  # typed, not pressed
    text = receipt[-1].text or ""
    assert "YZ-000001" in text and "上清寺街道" in text and "用电安全" in text
    [op] = list(await bot.query(lambda s: s.scalars(select(Opinion))))
    assert op.text == "楼道里电线乱拉，晚上还冒火花" and op.category == "electrical_safety"
