"""The sender: Telegram's pace, replies first, one claim per row, a final state for each."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.delivery.methods import EDIT_MESSAGE_TEXT, SEND_MESSAGE
from bot.delivery.pacing import ChatPacer, SlidingWindow
from bot.delivery.sender import Sender
from bot.domain.clock import SystemClock, utcnow
from storage import create_engine, session_factory, unit_of_work
from storage.models import OutboxMessage
from storage.repositories import OutboxRepository
from storage.statuses import OutboxStatus, Priority
from tgemu import EmulatorClient, EmulatorServer, make_token

_bot_ids = itertools.count(7_300_000_001)
_user_ids = itertools.count(8_300_000_001)


class FakeTime:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_the_sliding_window_spreads_calls_and_never_holds_more_than_its_limit() -> None:
    now = FakeTime()
    window = SlidingWindow(30, 1.0, now)
    delays = [window.reserve(within=1.0) for _ in range(30)]
    # booked one every 1/30 s, not in a burst
    assert delays == pytest.approx([i / 30 for i in range(30)])
    assert window.reserve(within=1.0) is None  # 30 booked: the window is full
    now.t += 1.0
    for _ in range(30):
        window.answered()  # a call counts until a second after its answer
    assert window.reserve(within=0.5) is None  # the first place opens in a second
    assert window.wait() == pytest.approx(1.0)
    assert window.reserve(within=1.0) == pytest.approx(1.0)  # booked for when it opens
    now.t += 2.0
    assert window.reserve(within=0.1) == 0.0
    # a booking further ahead than asked for is not made
    assert window.reserve(within=0.01) is None


def test_one_message_a_second_per_chat_with_a_short_burst_for_replies() -> None:
    now = FakeTime()
    pacer = ChatPacer(now)
    pacer.answered(42)
    pacer.answered(-100)
    # bulk: a full gap after the previous answer (1 s a private chat, 3 s a group)
    assert pacer.wait(42, bulk=True) == pytest.approx(1.0)
    assert pacer.wait(-100, bulk=True) == pytest.approx(3.0)
    assert pacer.wait(43, bulk=True) == 0
    # replies: up to 3 at once, then one a second
    assert pacer.wait(42, bulk=False) == 0
    pacer.answered(42)
    assert pacer.wait(42, bulk=False) == 0
    pacer.answered(42)
    assert pacer.wait(42, bulk=False) == pytest.approx(1.0)
    now.t += 1.0
    assert pacer.wait(42, bulk=False) == 0


class Harness:
    """A bot on the emulator with people who started it, and the outbox it sends from."""

    def __init__(
        self, client: EmulatorClient, bot: Bot, sessions: async_sessionmaker[AsyncSession]
    ):
        self.client = client
        self.bot = bot
        self.sessions = sessions
        self.senders: list[Sender] = []

    async def people(self, n: int) -> list[int]:
        ids = [next(_user_ids) for _ in range(n)]
        await asyncio.gather(*(self.client.start(uid) for uid in ids))
        return ids

    async def queue(
        self,
        chat_id: int,
        text_: str,
        priority: Priority = Priority.REPLY,
        method: str = SEND_MESSAGE,
        **extra: Any,
    ) -> None:
        async with unit_of_work(self.sessions) as s:
            await OutboxRepository(s).add(
                chat_id, method, {"text": text_, **extra}, priority=priority, now=utcnow()
            )

    async def rows(self) -> list[OutboxMessage]:
        async with unit_of_work(self.sessions) as s:
            return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def sender(self, sessions: async_sessionmaker[AsyncSession] | None = None, **kw: Any) -> Sender:
        sender = Sender(self.bot, sessions or self.sessions, SystemClock(), **kw)
        self.senders.append(sender)
        return sender


@pytest.fixture
async def h(
    emulator: EmulatorServer, client: EmulatorClient, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Harness]:
    token = make_token(next(_bot_ids))
    registered = await client.register_bot(token, username="sender_test_bot")
    client.bot_id = registered.id
    request = HTTPXRequest(connection_pool_size=32, read_timeout=0.5)
    async with Bot(token, base_url=emulator.api_base_url, request=request) as bot:
        harness = Harness(client, bot, sessions)
        yield harness
        for sender in harness.senders:
            await sender.close()


async def violations(client: EmulatorClient) -> dict[str, int]:
    return dict((await client.stats()).rate_limit_violations)


async def test_a_fan_out_keeps_telegram_pace_and_records_message_ids(h: Harness) -> None:
    people = await h.people(75)
    for uid in people:
        await h.queue(uid, "本周汇总", Priority.BULK)
    before = await violations(h.client)
    started = time.monotonic()
    await h.sender().flush(timeout=30)
    elapsed = time.monotonic() - started
    assert await violations(h.client) == before  # nothing over 30 in any second
    assert elapsed >= 2.0  # 75 messages at 30 a second need three windows
    rows = await h.rows()
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert all(r.telegram_message_id and r.payload is None for r in rows)


async def test_a_reply_goes_ahead_of_queued_bulk(h: Harness) -> None:
    members = await h.people(150)
    [resident] = await h.people(1)
    for uid in members:
        await h.queue(uid, "本周汇总", Priority.BULK)
    sender = h.sender()
    wake, stopping = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(sender.run(wake, stopping))
    try:
        await asyncio.sleep(1.0)  # the fan-out is under way
        before = await h.client.cursor()
        asked = time.monotonic()
        await h.queue(resident, "收到，请确认街道")
        wake.set()
        await h.client.wait_for_bot_message(resident, after=before, timeout=10)
        latency = time.monotonic() - asked
        left = sum(r.status == OutboxStatus.PENDING for r in await h.rows())
    finally:
        stopping.set()
        wake.set()
        await task
    assert latency < 1.0
    assert left > 0  # the bulk was still queued when the reply went


async def test_one_chat_gets_at_most_one_bulk_message_a_second(h: Harness) -> None:
    [uid] = await h.people(1)
    for i in range(3):
        await h.queue(uid, f"第{i}条", Priority.BULK)
    await h.sender().flush(timeout=20)
    times = [
        m["at"]
        for m in (await h.client.timeline()).bot_messages
        if m["chat_id"] == uid and m["action"] == "sent"
    ]
    assert len(times) == 3
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(times))


async def test_every_row_ends_in_a_final_state(h: Harness) -> None:
    ok, refused, slow_bulk, slow_reply, slow_edit = await h.people(5)
    await h.queue(ok, "好的")
    await h.client.inject_fault(
        "sendMessage", error_code=400, description="Bad Request: chat not found", chat_id=refused
    )
    await h.queue(refused, "拒绝")
    for uid in (slow_bulk, slow_reply):
        await h.client.inject_fault("sendMessage", delay=1.5, chat_id=uid)
    await h.queue(slow_bulk, "汇总超时", Priority.BULK)
    await h.queue(slow_reply, "回复超时")
    first = await h.bot.send_message(slow_edit, "原文")
    await h.client.inject_fault("editMessageText", delay=1.5, chat_id=slow_edit)
    await h.queue(slow_edit, "改过", method=EDIT_MESSAGE_TEXT, message_id=first.message_id)
    await h.sender().flush(timeout=20)
    by_chat = {r.chat_id: r for r in await h.rows()}
    assert by_chat[ok].status == OutboxStatus.SENT and by_chat[ok].telegram_message_id
    assert by_chat[refused].status == OutboxStatus.FAILED
    assert "chat not found" in (by_chat[refused].error or "").lower()
    # The request went out and no answer came. A bulk message is never resent blindly…
    assert by_chat[slow_bulk].status == OutboxStatus.UNCERTAIN
    # …a reply to a person goes again once, and an edit is safe to repeat.
    assert by_chat[slow_reply].status == OutboxStatus.SENT and by_chat[slow_reply].attempts == 2
    assert by_chat[slow_edit].status == OutboxStatus.SENT and by_chat[slow_edit].attempts == 2
    await asyncio.sleep(1.6)  # let the slow requests land in the emulator
    assert [m.text for m in await h.client.bot_messages(slow_bulk)] == ["汇总超时"]
    assert [m.text for m in await h.client.bot_messages(slow_reply)] == ["回复超时"] * 2


async def _claim_as(sessions: async_sessionmaker[AsyncSession], owner: str) -> None:
    async with unit_of_work(sessions) as s:
        await s.execute(update(OutboxMessage).values(status=OutboxStatus.SENDING, claimed_by=owner))


async def test_claims_of_a_sender_that_is_gone_are_settled(h: Harness) -> None:
    member, resident, edited = await h.people(3)
    first = await h.bot.send_message(edited, "原文")
    await h.queue(member, "本周汇总", Priority.BULK)
    await h.queue(resident, "请确认街道")
    await h.queue(edited, "改过", method=EDIT_MESSAGE_TEXT, message_id=first.message_id)
    await _claim_as(h.sessions, "s12345")  # a sender killed with all three in flight
    await h.sender().flush(timeout=10)
    bulk, reply, edit = await h.rows()
    assert bulk.status == OutboxStatus.UNCERTAIN  # may have arrived: not sent again
    assert reply.status == OutboxStatus.SENT  # a person waits for it: sent again, once
    assert edit.status == OutboxStatus.SENT  # safe to repeat: sent


@pytest.mark.postgres
async def test_a_live_senders_claims_are_left_alone(
    h: Harness, engine: AsyncEngine, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("advisory locks are PostgreSQL's")
    [uid] = await h.people(1)
    await h.queue(uid, "别人正在发", Priority.BULK)
    other = await engine.connect()  # another process's sender, alive
    await other.execute(text("SELECT pg_advisory_lock(777)"))
    await other.commit()
    await _claim_as(h.sessions, "s777")
    sender = h.sender()
    await sender.recover()
    [row] = await h.rows()
    assert row.status == OutboxStatus.SENDING
    await other.invalidate()  # that process died: its connection and lock are gone
    await sender.recover()
    [row] = await h.rows()
    assert row.status == OutboxStatus.UNCERTAIN


@pytest.mark.postgres
async def test_two_senders_on_one_database_send_each_row_once(
    h: Harness, database_url: str, engine: AsyncEngine
) -> None:
    """Two processes' senders (each on its own engine, each holding its liveness lock) share
    one outbox. SQLite is one process by design: a second sender there would take the
    first one's claims for a dead sender's."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several senders share a PostgreSQL outbox, not a SQLite file")
    people = await h.people(40)
    for uid in people:
        await h.queue(uid, "只发一次")  # replies: a wrongly settled claim would send twice
    other = create_engine(database_url)
    try:
        one = h.sender(per_second=0)
        two = h.sender(session_factory(other), per_second=0)
        await asyncio.gather(one.flush(timeout=20), two.flush(timeout=20))
    finally:
        await other.dispose()
    for uid in people:
        got = [m for m in await h.client.bot_messages(uid) if m.text == "只发一次"]
        assert len(got) == 1, uid
    assert {r.status for r in await h.rows()} == {OutboxStatus.SENT}


async def test_erasing_a_person_drops_what_uncertain_rows_would_have_said(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as s:
        out = OutboxRepository(s)
        await out.add(42, SEND_MESSAGE, {"text": "您的意见 YZ-000001"}, now=utcnow())
        await out.add(43, SEND_MESSAGE, {"text": "别人的"}, now=utcnow())
    async with unit_of_work(sessions) as s:
        for row_id in (1, 2):
            await OutboxRepository(s).uncertain(row_id, "no answer")
    async with unit_of_work(sessions) as s:
        assert await OutboxRepository(s).forget_chat(42) == 1
        rows = {r.chat_id: r for r in await s.scalars(select(OutboxMessage))}
    assert rows[42].payload is None and rows[42].status == OutboxStatus.FAILED
    assert rows[43].payload == {"text": "别人的"}


def test_a_place_booked_for_a_row_not_claimed_goes_back() -> None:
    now = FakeTime()
    window = SlidingWindow(2, 1.0, now)
    assert window.reserve(within=1.0) == 0.0
    assert window.reserve(within=1.0) is not None
    assert window.reserve(within=1.0) is None  # both places booked
    window.release()
    window.release()
    assert window.reserve(within=1.0) is not None  # free again, nothing held for a second


async def test_a_long_queue_in_one_chat_neither_slows_nor_crowds_out_the_others(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as s:
        out = OutboxRepository(s)
        for i in range(300):
            await out.add(1, SEND_MESSAGE, {"text": f"第{i}条"}, now=utcnow())
        await out.add(2, SEND_MESSAGE, {"text": "乙"}, now=utcnow())
        await out.add(3, SEND_MESSAGE, {"text": "丙"}, priority=Priority.BULK, now=utcnow())
    async with unit_of_work(sessions) as s:
        due = await OutboxRepository(s).due(utcnow(), limit=50)
    # the head of each chat only, replies first
    assert [(r.chat_id, r.payload["text"]) for r in due] == [(1, "第0条"), (2, "乙"), (3, "丙")]


async def test_files_travel_through_the_outbox(h: Harness) -> None:
    import base64

    from bot.telegram.outbox import Outbox

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )
    [uid] = await h.people(1)
    async with unit_of_work(h.sessions) as s:
        out = Outbox(s, SystemClock())
        await out.photo(uid, "chart.png", png, "<b>本周</b>统计")
        await out.document(uid, "items.xlsx", b"PK\x03\x04 sheet", "本周意见")
    await h.sender().flush(timeout=10)
    rows = await h.rows()
    assert [r.status for r in rows] == [OutboxStatus.SENT] * 2
    assert all(r.file_content is None and r.telegram_message_id for r in rows)
    got = await h.client.bot_messages(uid)
    assert [m.caption for m in got] == ["本周统计", "本周意见"]


async def test_never_more_rows_claimed_than_requests_in_flight(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outcomes are recorded in the transaction that claims more, before it claims: a crash
    can repeat at most `chats_at_once` requests, however far ahead rows are claimed."""
    people = await h.people(30)
    for uid in people:
        for i in range(2):
            await h.queue(uid, f"第{i}条", Priority.BULK)
    claimed_at_once: list[int] = []
    claim = OutboxRepository.claim

    async def counted(
        self: OutboxRepository, ids: Sequence[int], owner: str, now: datetime
    ) -> list[int]:
        got = await claim(self, ids, owner, now)
        sending = await self.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENDING)
        )
        claimed_at_once.append(int(sending or 0))
        return got

    monkeypatch.setattr(OutboxRepository, "claim", counted)
    await h.sender(chats_at_once=4).flush(timeout=30)
    assert {r.status for r in await h.rows()} == {OutboxStatus.SENT}
    assert 1 < max(claimed_at_once) <= 4  # claims overlapped answers, and never went past it


async def test_a_fan_out_at_full_pace_takes_a_few_transactions_a_second(
    h: Harness, engine: AsyncEngine
) -> None:
    """On SQLite each transaction takes the write lock: the sender records answers and
    claims rows several at a time, not one transaction per message."""
    people = await h.people(90)
    for uid in people:
        await h.queue(uid, "本周汇总", Priority.BULK)
    began: list[float] = []

    def counted(_conn: Any) -> None:
        began.append(time.monotonic())

    event.listen(engine.sync_engine, "begin", counted)
    try:
        started = time.monotonic()
        await h.sender().flush(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        event.remove(engine.sync_engine, "begin", counted)
    assert {r.status for r in await h.rows()} == {OutboxStatus.SENT}
    assert elapsed < 4.5  # 90 at 30 a second: three seconds and the last answers
    assert len(began) <= 90 / 3, len(began)
