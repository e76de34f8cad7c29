"""A real python-telegram-bot Bot against the emulator: identity, updates, webhook, commands."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import Conflict, InvalidToken

from tgemu import EmulatorClient, EmulatorServer, make_token

from .conftest import BOT_ID, TOKEN


def _bot(server: EmulatorServer, token: str = TOKEN) -> Bot:
    return Bot(token, base_url=server.api_base_url, base_file_url=server.file_base_url)


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == BOT_ID and me.is_bot
    assert me.first_name == "渝事好商量" and me.username == "yushi_test_bot"
    assert me.can_join_groups is True and me.can_read_all_group_messages is False
    assert me.supports_inline_queries is False


async def test_bad_token_and_unknown_method(emu_server: EmulatorServer) -> None:
    async with httpx.AsyncClient(base_url=emu_server.url) as http:
        response = await http.get("/bot123:short/getMe")
        assert response.status_code == 401
        assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        response = await http.post(f"/bot{TOKEN}/sendTelepathy")
        assert response.status_code == 404
        assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        response = await http.get(f"/bot{TOKEN}/GETME")  # method names are case-insensitive
        assert response.json()["result"]["id"] == BOT_ID
        response = await http.get(f"/bot{TOKEN}/")
        assert response.status_code == 404 and response.json()["description"] == "Not Found"
    with pytest.raises(InvalidToken):
        async with _bot(emu_server, "123:short") as bad:
            await bad.get_me()


async def test_wrong_secret_for_known_bot_is_unauthorized(emu_server: EmulatorServer) -> None:
    async with httpx.AsyncClient(base_url=emu_server.url) as http:
        response = await http.get(f"/bot{make_token(BOT_ID, 'other')}/getMe")
    assert response.status_code == 401


async def test_get_updates_offset_semantics(bot: Bot, emu: EmulatorClient) -> None:
    for text in ("一", "二", "三"):
        await emu.send_text(1001, text)
    updates = await bot.get_updates()
    ids = [update.update_id for update in updates]
    assert [u.message.text for u in updates if u.message] == ["一", "二", "三"]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]
    assert [u.update_id for u in await bot.get_updates()] == ids  # kept until confirmed
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert (await emu.stats()).pending_updates == 2
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [ids[1]]
    await emu.send_text(1001, "四")
    assert [u.message.text for u in await bot.get_updates(offset=-1) if u.message] == ["四"]
    assert [u.update_id for u in await bot.get_updates()] == [ids[2] + 1]  # older forgotten
    assert await bot.get_updates(offset=ids[2] + 2) == ()
    await emu.wait_until_confirmed(timeout=1)


async def test_long_poll_returns_when_an_update_arrives(bot: Bot, emu: EmulatorClient) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    assert not poll.done()
    started = asyncio.get_running_loop().time()
    await emu.send_text(1001, "在吗")
    updates = await asyncio.wait_for(poll, 5)
    assert asyncio.get_running_loop().time() - started < 2
    assert updates[0].message is not None and updates[0].message.text == "在吗"


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    assert await bot.get_updates(timeout=1) == ()


async def test_two_concurrent_long_polls_conflict(
    emu_server: EmulatorServer, emu: EmulatorClient
) -> None:
    async with _bot(emu_server) as first, _bot(emu_server) as second:
        earlier = asyncio.create_task(first.get_updates(timeout=5))
        await asyncio.sleep(0.2)
        later = asyncio.create_task(second.get_updates(timeout=5))
        with pytest.raises(Conflict) as info:
            await asyncio.wait_for(earlier, 5)
        assert info.value.message == (
            "Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running"
        )
        await emu.send_text(1001, "hello")
        updates = await asyncio.wait_for(later, 5)
        assert updates[0].message is not None


async def test_allowed_updates_filter_at_creation(bot: Bot, emu: EmulatorClient) -> None:
    await bot.get_updates(allowed_updates=["callback_query"])
    await emu.send_text(1001, "dropped")
    assert await bot.get_updates() == ()
    assert (await emu.stats()).updates_dropped == 1
    await bot.get_updates(allowed_updates=[])  # empty list: back to the default set
    await emu.send_text(1001, "kept")
    assert len(await bot.get_updates()) == 1


async def test_webhook_store_and_conflict(bot: Bot, emu: EmulatorClient) -> None:
    info = await bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 0
    await emu.send_text(1001, "queued")
    assert await bot.set_webhook("https://example.com/hook", secret_token="s3cr3t")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.com/hook" and info.pending_update_count == 1
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0
    assert await bot.get_updates() == ()


async def test_webhook_validation(emu_server: EmulatorServer, emu: EmulatorClient) -> None:
    async with httpx.AsyncClient(base_url=emu_server.url) as http:
        response = await http.post(f"/bot{TOKEN}/setWebhook", data={"url": "http://insecure.io"})
        assert response.json()["description"] == (
            "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
        )
        response = await http.post(f"/bot{TOKEN}/deleteWebhook")
        assert response.json() == {
            "ok": True,
            "result": True,
            "description": "Webhook is already deleted",
        }


async def test_set_webhook_aborts_long_poll(
    emu_server: EmulatorServer, emu: EmulatorClient
) -> None:
    async with _bot(emu_server) as poller, _bot(emu_server) as admin:
        poll = asyncio.create_task(poller.get_updates(timeout=5))
        await asyncio.sleep(0.2)
        await admin.set_webhook("https://example.com/hook")
        with pytest.raises(Conflict, match="terminated by setWebhook request"):
            await asyncio.wait_for(poll, 5)


async def test_commands_per_scope_and_language(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(1001)
    default = [BotCommand("start", "开始"), BotCommand("help", "帮助")]
    assert await bot.set_my_commands(default)
    assert await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    chat_scope = BotCommandScopeChat(1001)
    assert await bot.set_my_commands([BotCommand("admin", "管理")], scope=chat_scope)
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await bot.get_my_commands(language_code="en")] == ["Start"]
    assert [c.command for c in await bot.get_my_commands(scope=chat_scope)] == ["admin"]
    assert await bot.delete_my_commands(scope=BotCommandScopeDefault())
    assert await bot.get_my_commands() == ()
    bots = await emu.bots()
    assert len(bots[0].commands) == 2


async def test_command_validation(emu_server: EmulatorServer, emu: EmulatorClient) -> None:
    async with httpx.AsyncClient(base_url=emu_server.url) as http:

        async def set_commands(commands: str, **extra: str) -> str:
            data = {"commands": commands, **extra}
            response = await http.post(f"/bot{TOKEN}/setMyCommands", data=data)
            description: str = response.json().get("description", "ok")
            return description

        assert await set_commands('[{"command": "Start", "description": "x"}]') == (
            "Bad Request: BOT_COMMAND_INVALID"
        )
        assert await set_commands('[{"command": "start"}]') == (
            "Bad Request: can't parse BotCommand: Can't find field \"description\""
        )
        assert await set_commands("[]", language_code="zh-hans") == (
            "Bad Request: invalid language code specified"
        )
        scope = '{"type": "chat", "chat_id": 424242}'
        assert await set_commands("[]", scope=scope) == "Bad Request: chat not found"


async def test_log_out_makes_token_unauthorized(bot: Bot, emu: EmulatorClient) -> None:
    assert await bot.log_out()
    with pytest.raises(InvalidToken):
        await bot.get_me()
    await emu.register_bot(TOKEN)  # logging in again
    assert (await bot.get_me()).id == BOT_ID
