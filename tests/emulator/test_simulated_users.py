"""Simulated residents through the control API, checked with PTB's own Update parsing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatMemberStatus

from tgemu import EmulatorClient, EmulatorError, EmulatorTimeout

from .conftest import BOT_ID

USER = 1001


def _keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in buttons]])


async def test_user_and_private_chat_shapes(bot: Bot, emu: EmulatorClient) -> None:
    user = await emu.create_user(USER, first_name="李", last_name="四", username="lisi")
    assert user.language_code == "zh-hans"
    sent = await emu.start(USER, payload="topic_42")
    update = (await bot.get_updates())[0]
    message = update.message
    assert update.update_id == sent.update_id and message is not None
    assert message.text == "/start topic_42" and message.message_id == sent.message_id
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6
    assert message.from_user is not None and message.from_user.language_code == "zh-hans"
    assert message.chat.type == "private" and message.chat.id == USER
    assert message.chat.username == "lisi"


@pytest.mark.parametrize(
    ("kind", "details", "attribute"),
    [
        ("location", {"latitude": 29.5628, "longitude": 106.5528}, "location"),
        ("venue", {"latitude": 29.56, "longitude": 106.55, "title": "解放碑"}, "venue"),
        ("sticker", {"emoji": "🙏"}, "sticker"),
        ("voice", {"duration": 7}, "voice"),
        ("video", {"duration": 12}, "video"),
        ("video_note", {}, "video_note"),
        ("audio", {"title": "录音"}, "audio"),
        ("animation", {}, "animation"),
        ("contact", {"phone_number": "+8613800000000", "first_name": "王"}, "contact"),
        ("dice", {}, "dice"),
        ("poll", {"question": "同意吗", "options": ["是", "否"]}, "poll"),
        ("document", {"file_name": "意见.docx"}, "document"),
    ],
)
async def test_media_kinds_parse_in_ptb(
    bot: Bot, emu: EmulatorClient, kind: str, details: dict[str, Any], attribute: str
) -> None:
    await emu.send_media(USER, kind, **details)
    update = (await bot.get_updates())[0]
    assert update.message is not None
    assert getattr(update.message, attribute) is not None
    assert update.message.effective_attachment is not None


async def test_user_edit_creates_edited_message(bot: Bot, emu: EmulatorClient) -> None:
    sent = await emu.send_text(USER, "路灯坏了")
    edit = await emu.edit_text(USER, sent.message_id, "路灯坏了三天了")
    updates = await bot.get_updates()
    edited = updates[-1].edited_message
    assert edited is not None and edit.update_id == updates[-1].update_id
    assert edited.text == "路灯坏了三天了" and edited.edit_date is not None
    history = await emu.messages(USER)
    assert history[0].edited and history[0].edits[0]["text"] == "路灯坏了"
    with pytest.raises(EmulatorError, match="has no message"):
        await emu.edit_text(USER, 999, "x")


async def test_press_by_text_data_and_forged(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    sent = await bot.send_message(
        USER, "选项", reply_markup=_keyboard(("同意", "a"), ("反对", "b"))
    )
    by_text = await emu.press_button(USER, "反对")
    by_data = await emu.press(USER, sent.message_id, callback_data="a")
    forged = await emu.press_raw(USER, "admin:delete_all" + "x" * 80, message_id=sent.message_id)
    stale = await emu.press_raw(USER, "old", message_id=404)
    detached = await emu.press_raw(USER, "inline")
    queries = [u.callback_query for u in await bot.get_updates() if u.callback_query]
    assert [q.data for q in queries] == ["b", "a", forged.data, "old", "inline"]
    assert [q.id for q in queries[:3]] == [
        by_text.callback_query_id,
        by_data.callback_query_id,
        forged.callback_query_id,
    ]
    assert stale.message_id == 404
    assert queries[3].message is not None and queries[3].message.date.timestamp() == 0
    assert detached.message_id is None and queries[4].inline_message_id
    with pytest.raises(EmulatorError, match="no button"):
        await emu.press(USER, sent.message_id, text="弃权")
    with pytest.raises(EmulatorError, match="not found"):
        await emu.press(USER, 1, callback_data="a")  # the user's own /start message


async def test_block_and_unblock_send_my_chat_member(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    blocked = await emu.block(USER)
    unblocked = await emu.unblock(USER)
    updates = await bot.get_updates()
    changes = [u.my_chat_member for u in updates if u.my_chat_member]
    assert [u.update_id for u in updates[1:]] == blocked.update_ids + unblocked.update_ids
    assert changes[0].old_chat_member.status == ChatMemberStatus.MEMBER
    assert changes[0].new_chat_member.status == ChatMemberStatus.BANNED
    assert changes[0].new_chat_member.user.id == BOT_ID
    assert changes[1].new_chat_member.status == ChatMemberStatus.MEMBER
    await emu.block(USER)
    with pytest.raises(EmulatorError, match="unblock first"):
        await emu.send_text(USER, "a user who blocked the bot cannot write to it")


async def test_group_privacy_mode(bot: Bot, emu: EmulatorClient) -> None:
    group = await emu.create_group("解放碑社区议事群", member_ids=[USER, 1002, BOT_ID])
    assert group.id < 0 and group.members[BOT_ID] == "member"
    first = (await bot.get_updates())[0]
    added = first.my_chat_member
    assert added is not None and added.new_chat_member.status == ChatMemberStatus.MEMBER
    await bot.get_updates(offset=first.update_id + 1)
    chatter = await emu.send_text(USER, "大家好", chat_id=group.id)
    command = await emu.send_text(1002, "/report@yushi_test_bot 漏水", chat_id=group.id)
    other = await emu.send_text(1002, "/report@other_bot", chat_id=group.id)
    mention = await emu.send_text(USER, "@yushi_test_bot 在吗", chat_id=group.id)
    assert chatter.update_id is None and other.update_id is None
    assert command.update_id is not None and mention.update_id is not None
    reply = await bot.send_message(group.id, "收到")
    replied = await emu.send_text(
        USER, "谢谢", chat_id=group.id, reply_to_message_id=reply.message_id
    )
    assert replied.update_id is not None
    texts = [u.message.text for u in await bot.get_updates() if u.message]
    assert texts[-3:] == ["/report@yushi_test_bot 漏水", "@yushi_test_bot 在吗", "谢谢"]


async def test_group_membership_and_channel_posts(bot: Bot, emu: EmulatorClient) -> None:
    group = await emu.create_group("楼栋群", member_ids=[USER], supergroup=True)
    with pytest.raises(Exception, match="not a member of the supergroup chat"):
        await bot.send_message(group.id, "hi")
    joined = await emu.set_member(group.id, BOT_ID, "administrator", by_user_id=USER)
    updates = await bot.get_updates()
    assert len(joined.update_ids) == 2
    assert updates[0].my_chat_member is not None
    assert updates[0].my_chat_member.new_chat_member.status == ChatMemberStatus.ADMINISTRATOR
    assert updates[1].message is not None and updates[1].message.new_chat_members[0].id == BOT_ID
    await emu.send_text(USER, "管理员能看到所有消息", chat_id=group.id)
    channel = await emu.create_channel("渝中发布", admin_ids=[BOT_ID], creator_id=USER)
    post = await emu.send_text(USER, "通知：周五议事会", chat_id=channel.id)
    posts = [u.channel_post for u in await bot.get_updates() if u.channel_post]
    assert post.update_id is not None and posts[0].text == "通知：周五议事会"
    assert posts[0].sender_chat is not None and posts[0].sender_chat.id == channel.id
    sent = await bot.send_message(channel.id, "已发布")
    assert sent.sender_chat is not None and sent.from_user is None


async def test_waits(bot: Bot, emu: EmulatorClient) -> None:
    sent = await emu.send_text(USER, "你好")

    async def fake_bot() -> None:
        await asyncio.sleep(0.2)
        updates = await bot.get_updates()
        reply = await bot.send_message(USER, "您好！", reply_markup=_keyboard(("开始", "go")))
        await bot.get_updates(offset=updates[-1].update_id + 1)
        await bot.edit_message_text("您好！请选择", USER, reply.message_id)

    task = asyncio.create_task(fake_bot())
    message = await emu.wait_for_bot_message(USER, after=sent.cursor, timeout=5)
    assert message.text == "您好！" and message.button_texts == ["开始"]
    activity = await emu.wait_for_bot_activity(USER, after=message.cursor, timeout=5)
    assert activity.kind == "edited" and activity.message.text == "您好！请选择"
    await task
    await emu.wait_until_confirmed(timeout=2)
    await emu.wait_until_idle(timeout=2, quiet=0.1)
    with pytest.raises(EmulatorTimeout, match="您好！请选择"):
        await emu.wait_for_bot_message(USER, after=activity.cursor, timeout=0.3)


async def test_timeline_and_stats(bot: Bot, emu: EmulatorClient) -> None:
    for index in range(3):
        await emu.send_text(USER, f"第{index}条")
        for update in await bot.get_updates():
            await bot.send_message(USER, "收到")
            await bot.get_updates(offset=update.update_id + 1)
    timeline = await emu.timeline()
    latencies = timeline.reply_latencies()
    assert len(latencies) == 3 and all(0 <= value < 5 for value in latencies)
    assert all(u["confirmed_at"] and u["delivered_at"] for u in timeline.updates)
    stats = await emu.stats()
    assert stats.requests["sendMessage"] == 3 and stats.bot_messages_sent == 3
    assert stats.updates_created == 3 and stats.updates_confirmed == 3
    assert stats.pending_updates == 0


async def test_reset_keeps_update_ids_increasing(bot: Bot, emu: EmulatorClient) -> None:
    first = await emu.send_text(USER, "a")
    await emu.reset()
    assert await emu.messages(USER) == []
    second = await emu.send_text(USER, "b")
    assert first.update_id is not None and second.update_id == first.update_id + 1
    assert second.message_id == 1
    assert [u.update_id for u in await bot.get_updates()] == [second.update_id]


@pytest.mark.filterwarnings("ignore:Please use .Bot.getUpdates.")
async def test_raw_update_arrives_exactly_as_given(bot: Bot, emu: EmulatorClient) -> None:
    # What a Bot API server one version behind would send: a poll without members_only.
    payload = {"id": "1", "question": "?", "options": [], "total_voter_count": 0}
    update_id = await emu.raw_update("poll", payload)
    assert update_id is not None
    [raw] = await bot.do_api_request("getUpdates", api_kwargs={"allowed_updates": ["poll"]})
    assert raw == {"update_id": update_id, "poll": payload}


async def test_raw_update_needs_a_type_and_a_payload(emu: EmulatorClient) -> None:
    with pytest.raises(EmulatorError, match="type"):
        await emu.raw_update("", {"x": 1})
