"""Hostile and unusual input: each gets a clear, friendly answer and loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select

from storage.models import Draft, Opinion, OpinionRevision
from tests.flows.conftest import BotUnderTest, Resident

NewResident = Callable[..., Awaitable[Resident]]


async def test_oversized_text_states_the_limit(
    start_bot: Callable[..., Awaitable[BotUnderTest]],
) -> None:
    b = await start_bot(opinion_max_chars=2000)
    await b.client.create_user(6_000_101, first_name="居民")
    r = Resident(b, 6_000_101)
    await r.consent()
    told = await r.say("凯旋路停车太乱了" * 300)
    assert "2400" in (told[-1].text or "") and "2000" in (told[-1].text or "")
    assert await b.count(Draft) == 0


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("\u200b\u200b\u2060", "空的"),
        ("\u202e\u2066\u200f", "空的"),
        ("👍👍🙏", "表情"),
        ("。。。！！", "表情"),
    ],
)
async def test_empty_and_wordless_text(
    bot: BotUnderTest, resident: NewResident, text: str, needle: str
) -> None:
    r = await resident()
    told = await r.say(text)
    assert needle in (told[-1].text or "")
    assert await bot.count(Draft) == 0


async def test_control_characters_are_stripped(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    await r.submit("\u202e凯旋路\u200b停车\u2066太乱\u2069")
    [op] = list(await bot.query(lambda s: s.scalars(select(Opinion))))
    assert op.text == "凯旋路停车太乱"


async def test_html_in_opinions_never_breaks_a_reply(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    nasty = '<b>凯旋路</b> & <script>alert("x")</script> 停车 &amp; 乱 <a href="x">'
    receipt = await r.submit(nasty)
    assert "YZ-" in (receipt[-1].text or "")
    mine = await r.command("my")
    assert "<b>凯旋路</b> & <script>" in (mine[-1].text or "")
    [op] = list(await bot.query(lambda s: s.scalars(select(Opinion))))
    assert op.text == nasty
    stats = await r.c.stats()
    assert not any("parse entities" in d for d in stats.error_descriptions), (
        stats.error_descriptions
    )


@pytest.mark.parametrize("kind", ["sticker", "video", "contact", "document"])
async def test_unsupported_media_is_answered(
    bot: BotUnderTest, resident: NewResident, kind: str
) -> None:
    r = await resident()
    c = r.c
    acts = {
        "sticker": lambda: c.send_sticker(r.id),
        "video": lambda: c.send_video(r.id),
        "contact": lambda: c.send_contact(r.id, "+8613800000000", "张三"),
        "document": lambda: c.send_document(r.id, file_name="a.pdf", content=b"%PDF"),
    }
    told = await r.replies(acts[kind]())
    assert "暂时还不能处理" in (told[-1].text or "")
    assert await bot.count(Draft) == 0


async def test_groups_are_told_once_and_nothing_is_stored(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    before = await r.c.cursor()
    group = await r.c.create_group("凯旋路居民群", member_ids=[r.id, bot.runtime.app.bot.id])
    notice = await r.c.wait_for_bot_message(group.id, after=before, timeout=10)
    assert "私聊" in (notice.text or "")
    assert any(b.url for row in notice.buttons for b in row)
    await r.c.send_text(r.id, "凯旋路停车太乱", chat_id=group.id)
    await r.c.send_text(r.id, "还有十八梯", chat_id=group.id)
    await r.c.send_command(r.id, "start", chat_id=group.id)
    await bot.settle()
    said = [m for m in await r.c.bot_messages(group.id)]
    assert len(said) == 1
    assert await bot.count(Draft) == 0 and await bot.count(Opinion) == 0


async def test_edits_update_the_draft_or_become_revisions(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    sent = await r.c.send_text(r.id, "凯旋路停车乱")
    await bot.settle()
    edited = await r.replies(r.c.edit_text(r.id, sent.message_id, "凯旋路晚上停车很乱"))
    assert "更新草稿" in (edited[-1].text or "")
    await r.submit_current()
    [op] = list(await bot.query(lambda s: s.scalars(select(Opinion))))
    assert op.text == "凯旋路晚上停车很乱"

    revised = await r.replies(r.c.edit_text(r.id, sent.message_id, "凯旋路停车已经好多了"))
    assert "YZ-000001" in (revised[-1].text or "")
    assert await bot.count(Opinion) == 1
    assert await bot.count(OpinionRevision) == 1


async def test_forged_and_stale_buttons(bot: BotUnderTest, resident: NewResident) -> None:
    alice, mallory = await resident(), await resident()
    asked = await alice.say("凯旋路停车乱")
    draft_id = asked[-1].buttons[0][0].callback_data.split(":")[1]  # type: ignore[union-attr]
    for who, data, said in [
        (mallory, f"sd:{draft_id}:1:3", "失效"),  # someone else's draft
        (alice, "sd:99999999:1:1", "失效"),  # no such draft
        (alice, f"cat:{draft_id}:1:other", "已经回答过"),  # out of order: changes nothing
        (alice, f"sd:{draft_id}:7:1", "已经回答过"),  # another question's number
        (alice, f"sd:{draft_id}:1:42", "失效"),  # no such sub-district
        (alice, f"sd:{draft_id}:3", "失效"),  # the shape before questions were numbered
        (alice, "drop table;", "失效"),  # garbage
        (alice, "x" * 64, "失效"),
    ]:
        pressed = await who.c.press_raw(who.id, data, message_id=asked[-1].message_id)
        answer = await who.c.wait_for_callback_answer(pressed.callback_query_id, timeout=10)
        assert answer.text and said in answer.text, (data, answer)
    assert await bot.count(Opinion) == 0
    # the real button still works afterwards
    await alice.submit_current()
    assert await bot.count(Opinion) == 1


async def test_burst_from_one_resident_loses_nothing(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    lines = [f"第{i}点：凯旋路停车问题补充说明" for i in range(15)]
    await asyncio.gather(*(r.c.send_text(r.id, line) for line in lines))
    await bot.settle(timeout=60)  # 15 answers to one chat leave one a second
    await r.submit_current()
    [op] = list(await bot.query(lambda s: s.scalars(select(Opinion))))
    assert sorted(op.text.split("\n")) == sorted(lines)


async def test_rate_limit_slows_down_with_a_clear_message(
    start_bot: Callable[..., Awaitable[BotUnderTest]],
) -> None:
    b = await start_bot(opinions_per_hour=2)
    await b.client.create_user(6_000_001, first_name="居民")
    r = Resident(b, 6_000_001)
    await r.consent()
    await r.submit("凯旋路停车乱")
    await r.submit("十八梯路灯坏了")
    told = await r.say("洪崖洞垃圾很多")
    assert "一小时内已提交了 2 条" in (told[-1].text or "")
    assert await b.count(Opinion) == 2 and await b.count(Draft) == 0


async def test_channel_posts_are_not_opinions(bot: BotUnderTest, resident: NewResident) -> None:
    r = await resident()
    bot_id = bot.runtime.app.bot.id
    channel = await r.c.create_channel("渝中发布", admin_ids=[r.id, bot_id], creator_id=r.id)
    await r.c.send_text(r.id, "凯旋路今晚交通管制", chat_id=channel.id)
    await r.c.send_text(r.id, "十八梯步道开放", chat_id=channel.id)
    await bot.settle()
    # Silence: anything the bot posted would reach every subscriber of the channel.
    assert await r.c.bot_messages(channel.id) == []
    assert await bot.count(Draft) == 0 and await bot.count(Opinion) == 0
