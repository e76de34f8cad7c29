"""The chat page's HTTP API without a browser: the emulator, a python-telegram-bot Bot playing
the bot, and the page's web app in process (which itself talks HTTP to the emulator)."""

from __future__ import annotations

import asyncio
import base64
import struct
import zlib

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode

from tgemu import EmulatorClient
from tgemu.oggopus import silent_voice
from tgemu.web import entities_to_html

from .conftest import ADMIN, RESIDENT

Json = dict[str, object]


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))


async def _chat(page: httpx.AsyncClient, user: int = RESIDENT, **query: object) -> Json:
    response = await page.get(f"/api/chat/{user}", params=query)
    assert response.status_code == 200, response.text
    data: Json = response.json()
    return data


def _last(chat: Json) -> dict[str, object]:
    messages = chat["messages"]
    assert isinstance(messages, list) and messages
    last: dict[str, object] = messages[-1]
    return last


def _span(text: str, fragment: str, kind: str, **extra: str) -> dict[str, object]:
    """An entity over ``fragment``, with Telegram's UTF-16 offsets."""
    start = len(text[: text.index(fragment)].encode("utf-16-le")) // 2
    length = len(fragment.encode("utf-16-le")) // 2
    return {"type": kind, "offset": start, "length": length, **extra}


def test_html_is_built_from_entities_and_everything_else_is_escaped() -> None:
    text = "粗体 <script>alert(1)</script> 链接 😀秘密 /help x"
    entities = [
        _span(text, "粗体", "bold"),
        _span(text, "链接", "text_link", url='https://e.org/?a=1&b="2"'),
        _span(text, "😀秘密", "spoiler"),  # the emoji counts two UTF-16 units
        _span(text, "秘密", "italic"),
        _span(text, "/help", "bot_command"),
        _span(text, "x", "text_link", url="javascript:alert(1)"),
    ]
    assert entities_to_html(text, entities) == (
        "<b>粗体</b> &lt;script&gt;alert(1)&lt;/script&gt; "
        '<a href="https://e.org/?a=1&amp;b=&quot;2&quot;" target="_blank" '
        'rel="noopener noreferrer">链接</a> <tg-spoiler>😀<i>秘密</i></tg-spoiler> '
        '<a href="#" class="cmd">/help</a> x'
    )
    # Overlapping entities are closed and reopened, never left crossed.
    crossed = [
        {"type": "bold", "offset": 0, "length": 3},
        {"type": "italic", "offset": 2, "length": 3},
    ]
    assert entities_to_html("abcde", crossed) == "<b>ab<i>c</i></b><i>de</i>"
    assert entities_to_html("x", [{"type": "pre", "offset": 0, "length": 9}]) == "<pre>x</pre>"


async def test_page_and_its_files_with_a_strict_policy(page: httpx.AsyncClient) -> None:
    index = await page.get("/")
    assert index.status_code == 200 and "/static/chat.js" in index.text
    policy = index.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    files = (("chat.js", "javascript"), ("bubbles.js", "javascript"), ("chat.css", "text/css"))
    for name, kind in (*files, ("icon.svg", "svg")):
        response = await page.get(f"/static/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"]


async def test_session_lists_the_bot_and_people_and_adds_new_ones(
    page: httpx.AsyncClient, emu: EmulatorClient
) -> None:
    session = (await page.get("/api/session")).json()
    assert session["bot"]["username"] == "yushi_web_bot"
    assert [u["role"] for u in session["users"]] == ["居民", "管理员"]
    added = await page.post("/api/users", json={"id": "4242", "name": "赵师傅"})
    assert added.json() == {"id": 4242, "name": "赵师傅", "role": ""}
    assert (await emu.get_user(4242)).first_name == "赵师傅"
    assert (await page.get("/api/session")).json()["users"][-1]["id"] == 4242
    for bad in ({"name": ""}, {"id": "abc", "name": "x"}, {"id": -5, "name": "x"}):
        assert (await page.post("/api/users", json=bad)).status_code == 400


async def test_chat_shows_sends_edits_and_deletes(page: httpx.AsyncClient, bot: Bot) -> None:
    sent = (await page.post("/api/send", json={"user_id": RESIDENT, "text": " 你好 "})).json()
    update = (await bot.get_updates())[0]
    assert update.message is not None and update.message.text == "你好"
    assert update.message.message_id == sent["message_id"]
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("同意", callback_data="ok")],
            [InlineKeyboardButton("说明", url="https://example.org/privacy")],
        ]
    )
    reply = await bot.send_message(
        RESIDENT, "<b>隐私</b> &lt;b&gt;", parse_mode=ParseMode.HTML, reply_markup=keyboard
    )
    chat = await _chat(page)
    mine, theirs = chat["messages"]  # type: ignore[misc]
    assert mine["mine"] and mine["html"] == "你好"
    assert theirs["html"] == "<b>隐私</b> &lt;b&gt;" and not theirs["edited"]
    assert theirs["buttons"] == [
        [{"text": "同意", "data": "ok", "url": None}],
        [{"text": "说明", "data": None, "url": "https://example.org/privacy"}],
    ]
    await bot.edit_message_text("已同意", RESIDENT, reply.message_id)
    edited = _last(await _chat(page))
    assert edited["html"] == "已同意" and edited["edited"] and edited["buttons"] == []
    await bot.delete_message(RESIDENT, reply.message_id)
    assert [m["id"] for m in (await _chat(page))["messages"]] == [sent["message_id"]]  # type: ignore[attr-defined]


async def test_a_poll_waits_for_the_bot_and_no_longer(page: httpx.AsyncClient, bot: Bot) -> None:
    await page.post("/api/send", json={"user_id": RESIDENT, "text": "/start"})
    cursor = (await _chat(page))["cursor"]

    async def reply_later() -> None:
        await asyncio.sleep(0.3)
        await bot.send_message(RESIDENT, "欢迎")

    loop = asyncio.get_running_loop()
    started = loop.time()
    chat, _ = await asyncio.gather(_chat(page, after=cursor, wait=10), reply_later())
    assert 0.25 < loop.time() - started < 5
    assert _last(chat)["html"] == "欢迎" and chat["cursor"] > cursor  # type: ignore[operator]
    quiet = await _chat(page, after=chat["cursor"], wait=0.3)  # nothing new: back empty-handed
    assert quiet["cursor"] == chat["cursor"]


async def test_pressing_a_button_returns_the_bots_answer(page: httpx.AsyncClient, bot: Bot) -> None:
    await page.post("/api/send", json={"user_id": RESIDENT, "text": "/start"})
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("同意", callback_data="ok")]])
    message = await bot.send_message(RESIDENT, "请确认", reply_markup=markup)

    async def answer() -> None:
        for _ in range(50):
            for update in await bot.get_updates(timeout=0):
                if update.callback_query is not None:
                    assert update.callback_query.data == "ok"
                    await update.callback_query.answer("已记录", show_alert=True)
                    return
            await asyncio.sleep(0.05)

    body = {"user_id": RESIDENT, "message_id": message.message_id, "data": "ok"}
    pressed, _ = await asyncio.gather(page.post("/api/press", json=body), answer())
    assert pressed.json()["answer"] == {"text": "已记录", "show_alert": True, "url": None}
    missing = await page.post("/api/press", json={**body, "data": "never offered"})
    assert missing.status_code == 400


async def test_location_photo_and_voice_reach_the_bot_and_files_come_back(
    page: httpx.AsyncClient, bot: Bot
) -> None:
    location = {"user_id": RESIDENT, "location": {"latitude": 29.557, "longitude": 106.577}}
    assert (await page.post("/api/send", json=location)).status_code == 200
    bad = {"user_id": RESIDENT, "location": {"latitude": 91, "longitude": 0}}
    assert (await page.post("/api/send", json=bad)).status_code == 400
    png = base64.b64encode(_png(40, 30)).decode()
    photo = {"user_id": RESIDENT, "photo": {"data_b64": png, "caption": "井盖"}}
    assert (await page.post("/api/send", json=photo)).status_code == 200
    voice = base64.b64encode(silent_voice(2)).decode()
    sent = await page.post("/api/send", json={"user_id": RESIDENT, "voice": {"data_b64": voice}})
    assert sent.status_code == 200
    junk = {"user_id": RESIDENT, "voice": {"data_b64": "%%%"}}
    assert (await page.post("/api/send", json=junk)).status_code == 400
    updates = [u.message for u in await bot.get_updates()]
    assert updates[0] is not None and updates[0].location is not None
    assert updates[1] is not None and updates[1].caption == "井盖"
    assert (updates[1].photo[-1].width, updates[1].photo[-1].height) == (40, 30)
    assert updates[2] is not None and updates[2].voice is not None
    assert updates[2].voice.duration.total_seconds() == 2  # type: ignore[union-attr]
    await bot.send_voice(RESIDENT, updates[2].voice.file_id, caption="回放")
    await bot.send_document(RESIDENT, b"a,b\n1,2\n", filename="表.csv")
    views = (await _chat(page))["messages"]
    kinds = [m["kind"] for m in views]  # type: ignore[attr-defined]
    assert kinds == ["location", "photo", "voice", "voice", "document"]
    assert views[0]["location"] == {"latitude": 29.557, "longitude": 106.577}  # type: ignore[index]
    played = views[3]["voice"]  # type: ignore[index]
    assert played["duration"] == 2 and played["mime_type"] == "audio/ogg"
    audio = await page.get(f"/api/files/{played['file_id']}")
    assert audio.headers["content-type"] == "audio/ogg" and audio.content == silent_voice(2)
    document = views[4]["document"]  # type: ignore[index]
    assert document["file_name"] == "表.csv"
    assert (await page.get(f"/api/files/{document['file_id']}")).content == b"a,b\n1,2\n"
    assert (await page.get("/api/files/AgNoSuchFile")).status_code == 404


async def test_command_menu_follows_scope_and_language(
    page: httpx.AsyncClient, bot: Bot, emu: EmulatorClient
) -> None:
    await bot.set_my_commands([BotCommand("start", "开始")])
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await emu.start(ADMIN)
    await bot.set_my_commands(
        [BotCommand("start", "开始"), BotCommand("grant", "授予身份")],
        scope=BotCommandScopeChat(ADMIN),
    )
    await emu.create_user(5005, first_name="Ann", language_code="en")

    async def menu(user: int) -> list[str]:
        return [
            c["command"] + ":" + c["description"]
            for c in (await page.get(f"/api/commands/{user}")).json()
        ]

    assert await menu(RESIDENT) == ["start:开始"]
    assert await menu(ADMIN) == ["start:开始", "grant:授予身份"]
    assert await menu(5005) == ["start:Start"]
    assert (await page.get("/api/commands/999999")).status_code == 404


async def test_reply_keyboard_until_answered_or_removed(page: httpx.AsyncClient, bot: Bot) -> None:
    await page.post("/api/send", json={"user_id": RESIDENT, "text": "/start"})
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("📍 发送位置", request_location=True), "跳过"]],
        one_time_keyboard=True,
        input_field_placeholder="选一个",
    )
    await bot.send_message(RESIDENT, "在哪里？", reply_markup=keyboard)
    shown = (await _chat(page))["keyboard"]
    assert shown == {
        "rows": [
            [
                {"text": "📍 发送位置", "request_location": True, "request_contact": False},
                {"text": "跳过", "request_location": False, "request_contact": False},
            ]
        ],
        "placeholder": "选一个",
    }
    await page.post("/api/send", json={"user_id": RESIDENT, "text": "跳过"})
    assert (await _chat(page))["keyboard"] is None  # one-time: gone once answered
    await bot.send_message(RESIDENT, "再选", reply_markup=ReplyKeyboardMarkup([["好"]]))
    assert (await _chat(page))["keyboard"] is not None
    await bot.send_message(RESIDENT, "好的", reply_markup=ReplyKeyboardRemove())
    assert (await _chat(page))["keyboard"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": RESIDENT},
        {"user_id": RESIDENT, "text": "   "},
        {"user_id": "x", "text": "hi"},
        {"user_id": RESIDENT, "photo": "not an object"},
        {"user_id": RESIDENT, "location": {"latitude": "north", "longitude": 1}},
    ],
)
async def test_send_refuses_what_a_phone_could_not_send(
    page: httpx.AsyncClient, body: Json
) -> None:
    response = await page.post("/api/send", json=body)
    assert response.status_code == 400 and response.json()["error"]
