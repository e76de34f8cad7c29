"""A real python-telegram-bot Bot sending, editing and deleting messages."""

from __future__ import annotations

import struct
import zlib

import httpx
import pytest
from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from tgemu import EmulatorClient, EmulatorServer

from .conftest import TOKEN

USER = 1001


def _keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in buttons]])


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


async def test_send_message_html_stored_as_text_and_entities(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    sent = await bot.send_message(
        USER, "  <b>议题</b>：&lt;老旧小区&gt; 改造\n", parse_mode=ParseMode.HTML
    )
    assert sent.text == "议题：<老旧小区> 改造"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 2)]
    assert sent.chat.id == USER and sent.from_user is not None and sent.from_user.is_bot
    message = await emu.wait_for_bot_message(USER)
    assert message.text == "议题：<老旧小区> 改造" and message.outgoing
    assert message.message_id == sent.message_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<b>x", "Can't parse entities: can't find end tag corresponding to start tag \"b\""),
        ("a <foo> b", 'Can\'t parse entities: unsupported start tag "foo" at byte offset 2'),
        ("</b>", "Can't parse entities: unexpected end tag at byte offset 0"),
        ("A & B", 'Can\'t parse entities: unescaped "&" at byte offset 2'),
        ("<b></b>", "Message text is empty"),
        ("   ", "Message text is empty"),
    ],
)
async def test_send_message_html_errors(
    bot: Bot, emu: EmulatorClient, text: str, expected: str
) -> None:
    await emu.start(USER)
    with pytest.raises(BadRequest) as info:
        await bot.send_message(USER, text, parse_mode=ParseMode.HTML)
    assert info.value.message == expected  # PTB strips "Bad Request: " and capitalizes


async def test_raw_error_bodies(emu_server: EmulatorServer, emu: EmulatorClient) -> None:
    await emu.start(USER)
    async with httpx.AsyncClient(base_url=f"{emu_server.url}/bot{TOKEN}") as http:
        response = await http.post(
            "/sendMessage", data={"chat_id": str(USER), "text": "<i>x", "parse_mode": "html"}
        )
        assert response.status_code == 400
        assert response.json() == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: can't parse entities: Can't find end tag "
            'corresponding to start tag "i"',
        }
        response = await http.post("/sendMessage", data={"text": "hi"})
        assert response.json()["description"] == "Bad Request: chat_id is empty"
        response = await http.post("/sendMessage", data={"chat_id": str(USER)})
        assert response.json()["description"] == "Bad Request: message text is empty"


async def test_length_limits_count_utf16(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    await bot.send_message(USER, "议" * 4096)
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "议" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "🏟" * 2049)  # 4098 UTF-16 units
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(USER, b"data", filename="a.txt", caption="x" * 1025)


async def test_chat_access_errors(bot: Bot, emu: EmulatorClient) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hi")
    await emu.create_user(2002, first_name="没聊过")
    with pytest.raises(Forbidden) as info:
        await bot.send_message(2002, "hi")
    assert info.value.message == "Forbidden: bot can't initiate conversation with a user"
    await emu.start(USER)
    await emu.block(USER)
    with pytest.raises(Forbidden) as info:
        await bot.send_message(USER, "hi")
    assert info.value.message == "Forbidden: bot was blocked by the user"
    await emu.unblock(USER)
    await bot.send_message(USER, "welcome back")


async def test_callback_data_over_64_bytes(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    await bot.send_message(USER, "ok", reply_markup=_keyboard(("同意", "议" * 21)))
    with pytest.raises(BadRequest) as info:
        await bot.send_message(USER, "x", reply_markup=_keyboard(("同意", "议" * 22)))
    assert info.value.message == "Button_data_invalid"  # PTB capitalizes BUTTON_DATA_INVALID
    with pytest.raises(BadRequest, match="text buttons are unallowed in the inline keyboard"):
        await bot.send_message(
            USER, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("t")]])
        )


async def test_reply_keyboards_are_recorded(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    sent = await bot.send_message(
        USER, "选择", reply_markup=ReplyKeyboardMarkup([["是", "否"]], resize_keyboard=True)
    )
    assert sent.reply_markup is None  # Telegram only echoes inline keyboards
    await bot.send_message(USER, "收起", reply_markup=ReplyKeyboardRemove())
    await bot.send_message(USER, "请回复", reply_markup=ForceReply(input_field_placeholder="…"))
    shown = [m.reply_keyboard for m in await emu.bot_messages(USER)]
    assert shown[0] == {"keyboard": [[{"text": "是"}, {"text": "否"}]], "resize_keyboard": True}
    assert shown[1] == {"remove_keyboard": True}
    assert shown[2] == {"force_reply": True, "input_field_placeholder": "…"}


async def test_edit_message_text_rules(bot: Bot, emu: EmulatorClient) -> None:
    started = await emu.start(USER)
    sent = await bot.send_message(USER, "第一版", reply_markup=_keyboard(("好", "ok")))
    with pytest.raises(BadRequest) as info:
        await bot.edit_message_text(
            "第一版", chat_id=USER, message_id=sent.message_id, reply_markup=_keyboard(("好", "ok"))
        )
    assert info.value.message.startswith("Message is not modified: specified new message content")
    edited = await bot.edit_message_text("第二版", chat_id=USER, message_id=sent.message_id)
    assert isinstance(edited, object) and getattr(edited, "reply_markup", None) is None
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=9999)
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", chat_id=USER, message_id=started.message_id)
    messages = await emu.messages(USER)
    bot_message = messages[-1]
    assert bot_message.text == "第二版" and bot_message.edited
    assert bot_message.edits[0]["text"] == "第一版" and bot_message.buttons == []


async def test_edit_reply_markup_and_delete(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    sent = await bot.send_message(USER, "投票", reply_markup=_keyboard(("赞成", "y")))
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=_keyboard(("✓", "y")))
    latest = await emu.last_bot_message(USER)
    assert latest is not None and latest.button_texts == ["✓"]
    await bot.edit_message_reply_markup(USER, sent.message_id)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id)
    assert await bot.delete_message(USER, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    history = await emu.messages(USER)
    assert history[-1].deleted
    assert await emu.bot_messages(USER) == []


async def test_answer_callback_query(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    sent = await bot.send_message(USER, "同意吗？", reply_markup=_keyboard(("同意", "agree")))
    pressed = await emu.press_button(USER, "同意")
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query is not None and query.data == "agree" and query.id == pressed.callback_query_id
    assert query.message is not None and query.message.message_id == sent.message_id
    assert query.chat_instance
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(query.id, text="长" * 201)
    assert await bot.answer_callback_query(query.id, text="已记录", show_alert=True)
    with pytest.raises(BadRequest) as info:
        await bot.answer_callback_query(query.id)
    assert info.value.message == (
        "Query is too old and response timeout expired or query id is invalid"
    )
    answers = await emu.callback_answers(user_id=USER)
    assert answers[0].text == "已记录" and answers[0].show_alert


async def test_expired_callback_query(bot: Bot, emu: EmulatorClient) -> None:
    await emu.set_config(callback_query_timeout=0.0)
    await emu.start(USER)
    await bot.send_message(USER, "x", reply_markup=_keyboard(("按", "p")))
    pressed = await emu.press(USER, 2, callback_data="p")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(pressed.callback_query_id)


async def test_send_document_upload_get_file_download(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    content = "议事记录\n第一条".encode()
    sent = await bot.send_document(
        USER, content, filename="纪要.txt", caption="<i>纪要</i>", parse_mode=ParseMode.HTML
    )
    assert sent.document is not None
    assert sent.document.file_name == "纪要.txt" and sent.document.mime_type == "text/plain"
    assert sent.caption == "纪要" and sent.caption_entities[0].type == "italic"
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None and file.file_path.endswith(".txt")
    assert bytes(await file.download_as_bytearray()) == content
    message = await emu.last_bot_message(USER)
    assert message is not None and message.document is not None
    assert await emu.file_content(message.document.file_id) == content
    again = await bot.send_document(USER, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id


async def test_send_photo_checks_the_image(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    sent = await bot.send_photo(USER, _png(40, 30), caption="现场")
    assert sent.photo[-1].width == 40 and sent.photo[-1].height == 30
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(USER, b"definitely not an image")
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await bot.send_photo(USER, "AgNoSuchFile")
    with pytest.raises(BadRequest, match="Type of file mismatch"):
        await bot.send_document(USER, sent.photo[-1].file_id)


async def test_user_photo_can_be_downloaded(bot: Bot, emu: EmulatorClient) -> None:
    await emu.send_photo(USER, caption="井盖坏了", width=800, height=600)
    update = (await bot.get_updates())[0]
    assert update.message is not None and update.message.caption == "井盖坏了"
    largest = update.message.photo[-1]
    assert (largest.width, largest.height) == (800, 600)
    assert len(update.message.photo) >= 3
    data = await (await bot.get_file(largest.file_id)).download_as_bytearray()
    assert bytes(data[:2]) == b"\xff\xd8" and len(data) == largest.file_size


async def test_chat_action_and_get_chat(bot: Bot, emu: EmulatorClient) -> None:
    await emu.create_user(USER, first_name="张", last_name="三", username="zhangsan")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat(USER)
    await emu.start(USER)
    assert await bot.send_chat_action(USER, "typing")
    chat = await bot.get_chat(USER)
    assert (chat.type, chat.first_name, chat.username) == ("private", "张", "zhangsan")
    with pytest.raises(BadRequest, match="Wrong parameter action in request"):
        await bot.send_chat_action(USER, "dancing")


async def test_form_json_and_query_encodings(
    emu_server: EmulatorServer, emu: EmulatorClient
) -> None:
    await emu.start(USER)
    async with httpx.AsyncClient(base_url=f"{emu_server.url}/bot{TOKEN}") as http:
        by_json = await http.post(
            "/sendMessage",
            json={
                "chat_id": USER,
                "text": "json",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]},
            },
        )
        assert by_json.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "a"
        by_query = await http.get("/sendMessage", params={"chat_id": str(USER), "text": "q"})
        assert by_query.json()["ok"]
        by_string_ints = await http.post(
            "/sendMessage",
            data={"chat_id": str(USER), "text": "reply", "reply_to_message_id": "1"},
        )
        assert by_string_ints.json()["result"]["reply_to_message"]["message_id"] == 1
        missing = await http.post(
            "/sendMessage", data={"chat_id": str(USER), "text": "x", "reply_to_message_id": "77"}
        )
        assert missing.json()["description"] == "Bad Request: message to be replied not found"
