"""The resident conversation as people write: questions answered, one card, typed answers,
one live question, honest routing, voice, forwarded texts and long texts, through the real
python-telegram-bot stack and the emulator."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Draft, Opinion, OpinionSupporter, OutboxMessage
from tests.flows.conftest import BotUnderTest, Resident

NewResident = Callable[..., Awaitable[Resident]]


def _texts(messages: list[Any]) -> str:
    return "\n".join(m.text or "" for m in messages)


def _receipts(messages: list[Any]) -> int:
    return sum((m.text or "").startswith("✅ 已收到您的意见") for m in messages)


def _labels(message: Any) -> list[str]:
    return [b.text for row in message.buttons for b in row]


async def _opinions(bot: BotUnderTest) -> list[Opinion]:
    return list(await bot.query(lambda s: s.scalars(select(Opinion).order_by(Opinion.id))))


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("你们是谁？", "政协"),
        ("在吗", "您好"),
        ("谢谢你们了", "不客气"),
        ("怎么投诉", "直接把遇到的问题写下来"),
        ("我不会打字", "语音"),
        ("多久能处理？", "天内"),
        ("人工", "023-63891234"),
    ],
)
async def test_what_is_not_a_problem_is_answered_and_opens_no_draft(
    bot: BotUnderTest, resident: NewResident, said: str, expected: str
) -> None:
    r = await resident()
    answer = await r.say(said)
    assert expected in _texts(answer)
    assert not any(m.buttons for m in answer), "no question, no draft"
    assert await bot.count(Draft) == 0


async def test_a_clear_problem_is_one_card_and_one_tap_to_a_receipt(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    asked = await r.say("七星岗通远门旁边的路灯晚上不亮，走路看不清")
    card = asked[-1]
    text = card.text or ""
    assert "七星岗街道" in text and "路灯晚上不亮" in text
    assert _labels(card) == ["✅ 提交", "📍 改街道", "🏷 改类别"]
    receipt = await r.press("✅ 提交")
    assert "YZ-000001" in _texts(receipt)
    [op] = await _opinions(bot)
    assert op.subdistrict == "500103001" and op.category == "municipal_facilities"


async def test_a_road_across_borders_asks_the_place_and_one_tap_submits(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    asked = (await r.say("凯旋路晚上停车太乱了，车都停到消防通道上"))[-1]
    text = asked.text or ""
    assert "南纪门街道" in text and "停车/交通" in text, "the topic is shown, not asked"
    # 凯旋路 crosses sub-districts: a question, its likeliest answer first but not marked.
    assert _labels(asked)[0] == "南纪门街道" and "🏷 改类别" in _labels(asked)
    receipt = await r.press("南纪门街道")
    assert _receipts(receipt) == 1
    [op] = await _opinions(bot)
    assert op.subdistrict == "500103008" and op.category == "parking_traffic"


async def test_typed_confirmation_submits_and_is_not_added_to_the_text(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    await r.say("七星岗通远门旁边的路灯晚上不亮，走路看不清")
    receipt = await r.say("对的")
    assert "YZ-000001" in _texts(receipt)
    [op] = await _opinions(bot)
    assert op.text == "七星岗通远门旁边的路灯晚上不亮，走路看不清"


async def test_a_question_mid_draft_is_answered_and_the_old_keyboard_goes(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    first = (await r.say("七星岗通远门旁边的路灯晚上不亮，走路看不清"))[-1]
    again = await r.say("多久能处理？")
    assert "天内" in _texts(again)
    assert again[-1].buttons and again[-1].message_id != first.message_id
    old = next(m for m in await r.c.bot_messages(r.id) if m.message_id == first.message_id)
    assert not old.buttons, "the superseded card lost its buttons"
    # A press on the old card (as a slow client might still send) changes nothing.
    submit = cb_data(first, "✅ 提交")
    await r.c.press_raw(r.id, submit, message_id=first.message_id)
    await bot.settle()
    answers = await r.c.callback_answers(user_id=r.id)
    assert any("已经回答过" in (a.text or "") for a in answers)
    assert await bot.count(Opinion) == 0
    assert await bot.count(Draft) == 1


def cb_data(message: Any, label: str) -> str:
    for row in message.buttons:
        for b in row:
            if b.text == label and b.callback_data:
                return str(b.callback_data)
    raise AssertionError(f"no {label!r} on {message.text!r}")


async def test_a_double_tap_on_a_sub_district_acts_once(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    asked = (await r.say("我们这边晚上总有人大声喧哗，吵得睡不着"))[-1]
    data = cb_data(asked, "七星岗街道")
    # Both taps leave the phone before the first answer arrives.
    await r.c.press(r.id, asked.message_id, callback_data=data)
    await r.c.press_raw(r.id, data, message_id=asked.message_id)
    await bot.settle()
    # The press turned the question into what came next (the receipt, or the topic
    # question) in place; the second tap added nothing.
    after = await r.c.bot_messages(r.id)
    assert [m for m in after if m.message_id > asked.message_id] == []
    [answered] = [m for m in after if m.message_id == asked.message_id]
    assert len(answered.edits) == 1, answered.edits
    assert await bot.count(Opinion) + await bot.count(Draft) == 1
    answers = [a for a in await r.c.callback_answers(user_id=r.id) if a.data == data]
    assert len(answers) == 2 and all(a.answered for a in answers), "each tap answered once"
    refused = await bot.query(
        lambda s: s.scalars(select(OutboxMessage.error).where(OutboxMessage.error.is_not(None)))
    )
    assert not [e for e in refused if "not modified" in (e or "")]


async def test_cancel_removes_the_live_question(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    card = (await r.say("七星岗通远门旁边的路灯晚上不亮，走路看不清"))[-1]
    await r.command("cancel")
    old = next(m for m in await r.c.bot_messages(r.id) if m.message_id == card.message_id)
    assert not old.buttons
    assert await bot.count(Draft) == 0
    answer = await r.say("取消")
    assert "不需要取消" in _texts(answer)


async def test_outside_the_district_points_to_12345_and_submits_nothing(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    asked = (await r.say("观音桥步行街的垃圾桶满了好几天没人收"))[-1]
    text = asked.text or ""
    assert "江北区" in text and "12345" in text and "编号" not in text
    dropped = await r.press("好的，不提交")
    assert "没有提交" in _texts(dropped)
    assert await bot.count(Opinion) == 0 and await bot.count(Draft) == 0


async def test_outside_but_the_resident_insists(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    await r.say("观音桥步行街的垃圾桶满了好几天没人收")
    asked = (await r.press("问题就在渝中区，继续提交"))[-1]
    assert "哪个街道" in (asked.text or "")
    assert not any(b.startswith("👉") for b in _labels(asked)), "no pre-marked guess"


async def test_two_problems_in_two_places_become_two_opinions(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    offer = (await r.say("一是七星岗通远门没有电梯；二是菜园坝火车站旁边晚上有人拉客"))[-1]
    assert "2 件事" in (offer.text or "")
    done = await r.press_prefix("✂️")
    assert _receipts(done) == 2
    ops = await _opinions(bot)
    assert {o.subdistrict for o in ops} == {"500103001", "500103007"}


async def test_a_bare_place_asks_what_the_problem_is(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    asked = await r.say("解放碑")
    assert "什么问题" in _texts(asked)
    card = (await r.say("八一路的路灯坏了好几盏，晚上走路看不清"))[-1]
    assert "解放碑街道" in (card.text or "") and card.buttons


async def test_a_voice_message_is_an_opinion(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    asked = await r.replies(r.c.send_voice(r.id, duration=4))
    assert "语音" in _texts(asked) and asked[-1].buttons
    await r.press("解放碑街道")
    topic = await r.c.last_bot_message(r.id)
    assert topic is not None
    first = topic.buttons[0][0]
    assert first.callback_data
    receipt = await r.replies(r.c.press(r.id, topic.message_id, callback_data=first.callback_data))
    assert _receipts(receipt) == 1
    [op] = await _opinions(bot)
    assert len(op.voice_file_ids) == 1 and op.subdistrict == "500103003"


async def test_an_impossible_location_is_refused_politely(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    told = await r.replies(r.c.send_location(r.id, 91.0, 181.0))
    assert "坐标不对" in _texts(told)
    assert await bot.count(Draft) == 0


async def test_a_forwarded_text_is_asked_about_and_third_party_numbers_masked(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    other = {"id": 8_123_456, "is_bot": False, "first_name": "邻居"}
    raw = {
        "message_id": 880_001,
        "date": int(time.time()),
        "chat": {"id": r.id, "type": "private", "first_name": "居民"},
        "from": {"id": r.id, "is_bot": False, "first_name": "居民", "language_code": "zh-hans"},
        "forward_origin": {"type": "user", "date": int(time.time()) - 60, "sender_user": other},
        "text": "凯旋路12号楼道堆满杂物，联系人王师傅13812345678",
    }
    await r.replies(r.c.raw_update("message", raw, chat_id=r.id))
    asked = await r.c.last_bot_message(r.id)
    assert asked is not None and "转发" in (asked.text or "")
    await r.press("是，我要反映")
    receipt = await r.submit_current()
    assert _receipts(receipt) == 1
    [op] = await _opinions(bot)
    assert "13812345678" not in (op.text or "") and "138" in (op.text or "")


async def test_a_long_text_split_by_the_client_stays_one_opinion(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    body = "凯旋路晚上停车太乱了，车都停到消防通道上。" * 500  # 10,500 characters
    pieces = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    for piece in pieces:
        await r.c.send_text(r.id, piece)
    await bot.settle(timeout=20)
    receipt = await r.submit_current()
    assert _receipts(receipt) == 1
    [op] = await _opinions(bot)
    assert op.text == "\n".join(pieces)


async def test_english_questions_get_english_answers(resident: NewResident) -> None:
    r = await resident("en")
    answer = await r.say("who are you?")
    text = _texts(answer)
    assert "committee members" in text and "政协" not in text


async def test_a_typed_answer_that_ends_the_draft_withdraws_its_keyboard(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    card = (await r.say("七星岗通远门旁边的路灯晚上不亮，走路看不清"))[-1]
    receipt = await r.say("要得")
    assert _receipts(receipt) == 1
    old = next(m for m in await r.c.bot_messages(r.id) if m.message_id == card.message_id)
    assert not old.buttons, "no dead keyboard left behind"


async def test_yes_after_a_bare_place_asks_for_the_problem_again(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    await r.say("上清寺")
    again = await r.say("好的")
    text = _texts(again)
    assert "上清寺" in text and "什么问题" in text
    assert "按钮" not in text and "照片" not in text


async def test_a_district_named_outside_is_not_quoted_as_a_place_in_itself(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident("en")
    asked = (await r.say("Cars park everywhere in Guanyinqiao, the pavement is blocked"))[-1]
    text = asked.text or ""
    assert "Jiangbei District" in text and "江北区" not in text


async def test_me_too_joins_the_open_opinion_instead_of_a_duplicate(
    bot: BotUnderTest, resident: NewResident
) -> None:
    first, second = await resident(), await resident()
    await first.submit("七星岗通远门旁边的路灯晚上不亮，走路看不清")
    offer = (await second.say("七星岗通远门那里路灯坏了，晚上不亮"))[-1]
    text = offer.text or ""
    assert "1 位居民" in text and "YZ-000001" in text
    assert _labels(offer) == ["➕ 我也是，加上我", "单独提交我的"]
    joined = await second.press("➕ 我也是，加上我")
    assert "共有 2 位居民" in _texts(joined)
    assert await bot.count(Opinion) == 1
    assert await bot.count(OpinionSupporter) == 1
