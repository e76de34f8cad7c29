"""Failures inside the bot: handler errors, lost races, retries in order, restarts."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram import Bot, Update
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.assembly import Runtime
from bot.config import Settings
from storage import unit_of_work
from storage.models import Draft, InboxUpdate, Opinion, OutboxMessage, utcnow
from storage.repositories import InboxRepository, ResidentRepository
from storage.repositories.inbox import NewUpdate
from tests.flows.conftest import BotUnderTest, Resident, admin_who_started, consented_resident

NewResident = Callable[..., Awaitable[Resident]]


class Boom(RuntimeError):
    pass


def install_failure(b: BotUnderTest, times: int | None) -> MessageHandler[Any, Any]:
    """Make handlers fail for texts containing "boom": `times` times, or always (None)."""
    calls = {"n": 0}

    async def explode(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        calls["n"] += 1
        if times is None or calls["n"] <= times:
            raise Boom("handler failed")

    handler: MessageHandler[Any, Any] = MessageHandler(filters.Regex("boom"), explode, block=True)
    b.runtime.app.add_handler(handler, group=-5)
    b.runtime.processor.retry_delays = (0.3, 0.3)
    return handler


async def test_a_transient_handler_error_is_retried(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    install_failure(bot, times=1)
    asked = await r.say("凯旋路停车乱 boom")
    assert "南纪门街道" in (asked[-1].text or "")
    assert await bot.count(Draft) == 1
    rows = list(await bot.query(lambda s: s.scalars(select(InboxUpdate))))
    assert all(row.status == "done" for row in rows)


async def test_a_failing_update_is_set_aside_told_and_replayable(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r, other = await resident(), await resident()
    handler = install_failure(bot, times=None)
    told = await r.say("十八梯路灯坏了 boom")
    assert "出了问题" in (told[-1].text or "")
    # others are not held up, and nothing was stored for the failed one but its content
    asked = await other.say("洪崖洞垃圾没人收")
    assert "解放碑街道" in (asked[-1].text or "")
    failed = list(
        await bot.query(
            lambda s: s.scalars(select(InboxUpdate).where(InboxUpdate.status == "failed"))
        )
    )
    assert len(failed) == 1 and failed[0].attempts == 3
    assert failed[0].payload is not None and "十八梯" in failed[0].payload
    assert await bot.count(Draft) == 1  # only the other resident's

    bot.runtime.app.remove_handler(handler, group=-5)
    async with unit_of_work(bot.runtime.sessions) as s:
        assert await InboxRepository(s).retry_failed() == 1
    bot.runtime.wake_processor.set()
    replayed = await r.c.wait_for_bot_message(r.id, after=asked[-1].cursor, timeout=10)
    assert "南纪门街道" in (replayed.text or "")
    await bot.settle()
    assert await bot.count(InboxUpdate, InboxUpdate.status != "done") == 0


async def test_erasure_also_clears_set_aside_updates(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    install_failure(bot, times=None)
    await r.say("我的电话13800001111 boom")
    await r.command("delete_me")
    await r.press("🗑 确认删除")
    rows = list(await bot.query(lambda s: s.scalars(select(InboxUpdate))))
    assert all(row.payload is None and row.chat_id is None for row in rows)


async def test_a_late_duplicate_of_a_handled_update_changes_nothing(
    emulator: Any, client: Any, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    await client.register_bot(settings.token(), username="yushi_race_bot")
    runtime = await Runtime.open(settings)  # not started: we drive the processor by hand
    try:
        uid = 7_700_001
        async with unit_of_work(runtime.sessions) as s:
            await ResidentRepository(s).consent(uid, "zh", "v", utcnow())
        raw = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": uid, "type": "private"},
                "from": {"id": uid, "is_bot": False, "first_name": "x"},
                "text": "凯旋路停车太乱",
            },
        }
        async with unit_of_work(runtime.sessions) as s:
            await InboxRepository(s).add_many(
                [NewUpdate(1, "message", uid, json.dumps(raw))], utcnow()
            )
        async with unit_of_work(runtime.sessions) as s:
            [row] = await InboxRepository(s).next_pending(utcnow())
        assert await runtime.processor.process(row) is True
        assert await runtime.processor.process(row) is True  # a stale copy: rolled back
        async with unit_of_work(runtime.sessions) as s:
            drafts = await s.scalar(select(func.count()).select_from(Draft))
            queued = await s.scalar(select(func.count()).select_from(OutboxMessage))
        assert drafts == 1 and queued == 1
    finally:
        await runtime.stop()


async def test_replies_keep_their_order_across_a_retry(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    await r.c.inject_fault("sendMessage", error_code=502, chat_id=r.id, count=1)
    await r.c.send_text(r.id, "凯旋路停车乱")
    await r.c.send_command(r.id, "help")
    await bot.settle(timeout=20)
    texts = [m.text or "" for m in await r.c.bot_messages(r.id)]
    question = next(i for i, t in enumerate(texts) if "南纪门街道" in t)
    helped = next(i for i, t in enumerate(texts) if "找人工" in t)
    assert question < helped, texts


async def test_a_webhook_left_behind_is_removed(
    client: Any, make_settings: Callable[..., Settings], start_bot: Any, emulator: Any
) -> None:
    settings = make_settings()
    await client.register_bot(settings.token(), username="yushi_hook_bot")
    async with Bot(settings.token(), base_url=emulator.api_base_url) as plain:
        assert await plain.set_webhook("https://127.0.0.1:8443/hook")
    b = await start_bot(telegram_bot_token=settings.telegram_bot_token)
    await b.client.create_user(7_800_001, first_name="居民")
    r = Resident(b, 7_800_001)
    notice = await r.command("start")
    assert "隐私说明" in (notice[-1].text or "")


async def test_an_old_erase_button_cannot_erase_a_new_account(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    first = await r.command("delete_me")
    old = first[-1]
    await r.command("delete_me")
    await r.press("🗑 确认删除")  # presses the newest prompt
    await r.consent()
    await r.submit("凯旋路停车太乱")
    pressed = await r.c.press(r.id, old.message_id, text="🗑 确认删除")
    answer = await r.c.wait_for_callback_answer(pressed.callback_query_id, timeout=10)
    assert answer.show_alert and "失效" in (answer.text or "")
    mine = await r.command("my")
    assert "YZ-" in (mine[-1].text or "")


async def test_a_press_without_a_message_is_answered(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    pressed = await r.c.press_raw(r.id, "sd:1:1")  # as from an inline-mode message
    answer = await r.c.wait_for_callback_answer(pressed.callback_query_id, timeout=10)
    assert "失效" in (answer.text or "")


async def test_a_place_with_more_words_is_detail_not_an_answer(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    await r.say("凯旋路晚上停车太乱，消防通道被堵")
    more = await r.say("洪崖洞也有垃圾")
    assert "已补充" in (more[-1].text or "")
    draft = await bot.query(lambda s: s.scalar(select(Draft)))
    assert [p["text"] for p in draft.parts][-1] == "洪崖洞也有垃圾"
    assert draft.subdistrict is None  # nothing chosen for the resident


async def test_editing_an_answer_or_a_refused_text_never_opens_an_opinion(
    bot: BotUnderTest, resident: NewResident
) -> None:
    r = await resident()
    sent = await r.c.send_text(r.id, "👍👍🙏")
    await bot.settle()
    told = await r.replies(r.c.edit_text(r.id, sent.message_id, "凯旋路停车太乱"))
    assert "发送一条新消息" in (told[-1].text or "")
    await r.say("路灯坏了好几天")
    answer = await r.c.send_text(r.id, "南纪门")  # the place, typed: the topic was known
    await bot.settle()
    assert await bot.count(Opinion) == 1
    told = await r.replies(r.c.edit_text(r.id, answer.message_id, "南纪门街道"))
    assert "发送一条新消息" in (told[-1].text or "")
    assert await bot.count(Draft) == 0


async def test_a_photo_whose_caption_is_refused_is_not_kept(
    start_bot: Callable[..., Awaitable[BotUnderTest]],
) -> None:
    b = await start_bot(opinion_max_chars=60)
    r = await consented_resident(b, 7_900_001)
    await r.say("凯旋路停车太乱" * 5)
    told = await r.replies(r.c.send_photo(r.id, caption="补充" * 20))
    assert "没有加进去" in (told[-1].text or "")
    draft = await b.query(lambda s: s.scalar(select(Draft)))
    assert draft.photo_file_ids == []


@pytest.mark.postgres
async def test_the_bot_survives_postgres_dropping_its_connections(
    start_bot: Callable[..., Awaitable[BotUnderTest]], postgres_server: str
) -> None:
    import asyncpg

    from tests.conftest import _asyncpg_dsn, _reset_postgres

    await _reset_postgres(postgres_server)
    b = await start_bot(database_url=postgres_server)
    r = await consented_resident(b, 7_950_001)
    admin = await asyncpg.connect(_asyncpg_dsn(postgres_server, "postgres"))
    try:
        name = postgres_server.rsplit("/", 1)[1]
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await admin.close()
    receipt = await r.submit("洪崖洞周边垃圾没人收")
    assert "YZ-000001" in (receipt[-1].text or "")


async def test_admins_hear_of_a_set_aside_update_without_its_content(
    start_bot: Callable[..., Awaitable[BotUnderTest]],
) -> None:
    admin_id, resident_id = 7_990_001, 7_990_002
    b = await start_bot(admin_ids=str(admin_id))
    await admin_who_started(b, admin_id)
    r = await consented_resident(b, resident_id)
    install_failure(b, times=None)
    before = await b.client.cursor()
    await r.say("凯旋路停车乱 boom 私密")
    note = await b.client.wait_for_bot_message(admin_id, after=before, timeout=10)
    text = note.text or ""
    assert "暂存" in text and "retry-failed" in text
    assert "私密" not in text and "凯旋路" not in text


class TcpProxy:
    """127.0.0.1 proxy to PostgreSQL that can go down (refusing and cutting connections)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.server: asyncio.Server | None = None
        self.port = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in self.writers:
            w.close()
        self.writers.clear()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.mark.postgres
async def test_the_bot_waits_out_postgres_refusing_connections(
    start_bot: Callable[..., Awaitable[BotUnderTest]], postgres_server: str
) -> None:
    from sqlalchemy.engine import make_url

    from tests.conftest import _reset_postgres

    await _reset_postgres(postgres_server)
    url = make_url(postgres_server)
    proxy = TcpProxy(url.port or 5432)
    await proxy.start()
    via_proxy = url.set(port=proxy.port).render_as_string(hide_password=False)
    b = await start_bot(database_url=via_proxy)
    r = await consented_resident(b, 7_960_001)
    await proxy.down()  # the database is gone: connections cut, new ones refused
    sent = await r.c.send_text(r.id, "洪崖洞周边垃圾没人收")
    await asyncio.sleep(3)
    assert all(not t.done() for t in b.runtime.tasks), "a loop died with the database"
    await proxy.start()  # back, on the same port
    asked = await r.c.wait_for_bot_message(r.id, after=sent.cursor, timeout=60)
    assert "解放碑街道" in (asked.text or "")
