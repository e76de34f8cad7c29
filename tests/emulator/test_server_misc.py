"""Server lifecycle, several bots, in-process ASGI use and the smaller send methods."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from tgemu import (
    EmulatorClient,
    EmulatorConfig,
    EmulatorError,
    EmulatorServer,
    EmulatorState,
    create_app,
    make_token,
)

from .conftest import BOT_ID, TOKEN

USER = 1001


def test_server_picks_a_free_port_and_stops() -> None:
    with EmulatorServer(config=EmulatorConfig(rate_limit_enforced=True)) as server:
        assert server.port and server.url == f"http://127.0.0.1:{server.port}"
        assert server.api_base_url.endswith("/bot") and server.file_base_url.endswith("/file/bot")
        response = httpx.get(f"{server.url}/_emu/config")
        assert response.json()["result"]["rate_limit_enforced"] is True
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/_emu/health", timeout=1)
    with pytest.raises(RuntimeError, match="not running"):
        EmulatorServer().url  # noqa: B018 - property access raises


def test_serve_prints_its_address() -> None:
    code = "from tgemu import serve; serve('127.0.0.1', 0)"
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Telegram Bot API emulator ready on http://127.0.0.1:")
        url = line.split()[6]
        assert httpx.get(f"{url}/_emu/health").json()["ok"] is True
    finally:
        process.terminate()
        process.wait(10)


async def test_in_process_asgi_app() -> None:
    state = EmulatorState(seed=1)
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://emu") as http:
        response = await http.get(f"/bot{TOKEN}/getMe")
        assert response.json()["result"]["id"] == BOT_ID
    assert BOT_ID in state.bots


async def test_two_bots_have_separate_worlds(
    emu_server: EmulatorServer, emu: EmulatorClient
) -> None:
    other_token = make_token(7_000_000_002)
    await emu.register_bot(other_token, first_name="第二个机器人")
    with pytest.raises(EmulatorError, match="pass bot_id"):
        await emu.send_text(USER, "which bot?")
    first = await emu.send_text(USER, "给一号", bot_id=BOT_ID)
    second = await emu.send_text(USER, "给二号", bot_id=7_000_000_002)
    assert first.message_id == second.message_id == 1
    async with Bot(other_token, base_url=emu_server.api_base_url) as other:
        updates = await other.get_updates()
        assert [u.message.text for u in updates if u.message] == ["给二号"]
        await other.send_message(USER, "二号回复")
        await other.get_updates(offset=updates[-1].update_id + 1)  # confirm
    async with EmulatorClient(emu_server.url, bot_id=7_000_000_002) as scoped:
        assert [m.text for m in await scoped.messages(USER)] == ["给二号", "二号回复"]
        await scoped.wait_until_idle(timeout=2, quiet=0.05)  # bot 1 still has a pending update
    with pytest.raises(EmulatorError, match="not idle"):
        await emu.wait_until_idle(timeout=0.2, quiet=0.05)
    assert len(await emu.bots()) == 2


async def test_location_contact_and_caption_edit(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    location = await bot.send_location(USER, 29.5577, 106.5776)
    assert location.location is not None and location.location.latitude == 29.5577
    contact = await bot.send_contact(USER, phone_number="023-12345", first_name="社区")
    assert contact.contact is not None and contact.contact.first_name == "社区"
    document = await bot.send_document(USER, b"x", filename="a.txt", caption="旧")
    edited = await bot.edit_message_caption(USER, document.message_id, caption="新")
    assert not isinstance(edited, bool) and edited.caption == "新"
    with pytest.raises(Exception, match="There is no caption in the message to edit"):
        await bot.edit_message_caption(USER, location.message_id, caption="x")
    with pytest.raises(Exception, match="There is no text in the message to edit"):
        await bot.edit_message_text("x", USER, document.message_id)


async def test_pending_updates_and_idle(bot: Bot, emu: EmulatorClient) -> None:
    await emu.send_text(USER, "等待处理")
    pending = await emu.pending_updates()
    assert pending[0]["message"]["text"] == "等待处理"
    with pytest.raises(EmulatorError, match="not idle"):
        await emu.wait_until_idle(timeout=0.3)
    updates = await bot.get_updates()
    await bot.get_updates(offset=updates[-1].update_id + 1)
    await emu.wait_until_idle(timeout=2, quiet=0.05)


async def test_callback_answer_wait_and_unknown_query(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="ok")]])
    await bot.send_message(USER, "?", reply_markup=markup)
    pressed = await emu.press_button(USER, "好")

    async def answer_later() -> None:
        await asyncio.sleep(0.1)
        await bot.answer_callback_query(pressed.callback_query_id, text="👌")

    task = asyncio.create_task(answer_later())
    answer = await emu.wait_for_callback_answer(pressed.callback_query_id, timeout=3)
    await task
    assert answer.answered and answer.text == "👌"
    with pytest.raises(EmulatorError, match="unknown callback query"):
        await emu.wait_for_callback_answer("123", timeout=0.1)
