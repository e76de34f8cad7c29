"""A complete python-telegram-bot Application polling the emulator, driven by residents."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tgemu import EmulatorClient, EmulatorServer

from .conftest import TOKEN

USER = 1001
App = Application[Any, Any, Any, Any, Any, Any]


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    payload = " ".join(context.args or [])
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("同意", callback_data="vote:yes")],
            [InlineKeyboardButton("反对", callback_data="vote:no")],
        ]
    )
    await update.effective_message.reply_text(
        f"<b>欢迎</b>参加议事{html.escape(payload)}",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )


async def on_vote(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    choice = "同意" if query.data == "vote:yes" else "反对"
    await query.answer(f"已记录：{choice}")
    await query.edit_message_text(f"您的选择：{choice}")


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    await message.reply_text(f"收到：<i>{html.escape(message.text)}</i>", parse_mode=ParseMode.HTML)


@pytest.fixture
async def app(emu_server: EmulatorServer, emu: EmulatorClient) -> AsyncIterator[App]:
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emu_server.api_base_url)
        .base_file_url(emu_server.file_base_url)
        .build()
    )
    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(CallbackQueryHandler(on_vote))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=2)
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


async def test_full_flow(app: App, emu: EmulatorClient) -> None:
    started = await emu.start(USER, payload="42")
    welcome = await emu.wait_for_bot_message(USER, after=started.cursor)
    assert welcome.text == "欢迎参加议事42"
    assert welcome.entities == [{"offset": 0, "length": 2, "type": "bold"}]
    assert welcome.button_texts == ["同意", "反对"]

    pressed = await emu.press_button(USER, "反对")
    answer = await emu.wait_for_callback_answer(pressed.callback_query_id)
    assert answer.text == "已记录：反对"
    edited = await emu.wait_for_bot_activity(USER, after=pressed.cursor)
    assert edited.kind == "edited" and edited.message.text == "您的选择：反对"
    assert edited.message.buttons == []

    said = await emu.send_text(USER, "<script> & 其他")
    echo = await emu.wait_for_bot_message(USER, after=said.cursor)
    assert echo.text == "收到：<script> & 其他"
    await emu.wait_until_idle(timeout=5, quiet=0.1)
    stats = await emu.stats()
    assert stats.pending_updates == 0 and stats.errors == {}


async def test_blocked_user_error_reaches_the_bot(app: App, emu: EmulatorClient) -> None:
    errors: list[BaseException] = []

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)

    app.add_error_handler(on_error)
    await emu.start(USER)
    await emu.wait_for_bot_message(USER)
    await emu.inject_fault("sendMessage", error_code=403)
    sent = await emu.send_text(USER, "hello")
    await emu.wait_until_idle(timeout=5, quiet=0.2)
    assert [str(error) for error in errors] == ["Forbidden: bot was blocked by the user"]
    assert [m.text for m in await emu.messages(USER)][-1] == "hello"
    assert sent.update_id is not None
