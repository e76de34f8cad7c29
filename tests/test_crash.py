"""SIGKILL `yushi run` in the middle of bursts: every update stored once, every opinion once.

The bot runs as a real process against the emulator; residents go through the whole flow
in three bursts (write, pick the sub-district, pick the topic) and the process is killed in
the middle of each, then started again on the same database.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from storage import create_engine, session_factory, unit_of_work
from storage.models import Draft, InboxUpdate, Opinion, OutboxMessage
from storage.statuses import Priority
from tgemu import EmulatorClient, EmulatorServer
from tgemu.client_types import ChatMessage

pytestmark = pytest.mark.slow

RESIDENTS = 24
_tokens = itertools.count(900_000_001)


def bot_env(token: str, emulator: EmulatorServer, database_url: str) -> dict[str, str]:
    """`yushi run`'s environment: this bot on the emulator, this database, nothing inherited."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))},
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": emulator.api_base_url,
        "TELEGRAM_API_FILE_URL": emulator.file_base_url,
        "DATABASE_URL": database_url,
        "POLL_TIMEOUT": "1",
        "LOG_LEVEL": "WARNING",
    }


class BotProcess:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = cwd / "bot.log"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def until(
    check: Callable[[], Awaitable[bool]], what: str, bot: BotProcess, timeout: float = 60
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{bot.log.read_text()[-3000:]}")
        await asyncio.sleep(0.05)


def newest_with(messages: list[ChatMessage], prefix: str) -> ChatMessage | None:
    for m in reversed(messages):
        if any((b.callback_data or "").startswith(prefix) for row in m.buttons for b in row):
            return m
    return None


async def test_sigkill_mid_burst_loses_and_doubles_nothing(
    emulator: EmulatorServer, client: EmulatorClient, database_url: str, tmp_path: Path
) -> None:
    token = f"{next(_tokens)}:CRASH-test-token-{'y' * 20}"
    registered = await client.register_bot(token, username="yushi_crash_bot")
    client.bot_id = registered.id
    bot = BotProcess(bot_env(token, emulator, database_url), tmp_path)
    users = list(range(8_000_001, 8_000_001 + RESIDENTS))
    texts = {u: f"凯旋路{u % 1000}号门口晚上停车太乱，消防通道被堵" for u in users}
    for u in users:
        await client.create_user(u, first_name=f"居民{u % 100}")

    async def all_have(prefix: str) -> bool:
        for u in users:
            if newest_with(await client.bot_messages(u), prefix) is None:
                return False
        return True

    async def count_with(prefix: str) -> int:
        n = 0
        for u in users:
            n += newest_with(await client.bot_messages(u), prefix) is not None
        return n

    interrupted: list[int] = []  # how many residents had their answer when the kill came
    bot.start()
    try:
        # Consent first (not killed: it only sets the stage).
        await asyncio.gather(*(client.start(u) for u in users))
        await until(lambda: all_have("consent:"), "privacy notices", bot)
        for u in users:
            notice = newest_with(await client.bot_messages(u), "consent:")
            assert notice is not None
            await client.press(u, notice.message_id, callback_data="consent:zh")

        async def receipts() -> int:
            n = 0
            for u in users:
                n += await _has_receipt(client, u)
            return n

        async def offer_of(u: int) -> ChatMessage | None:
            """The "same matter is open: join it?" question, if the resident has it."""
            m = newest_with(await client.bot_messages(u), "dr:")
            if m is None or not any(
                (b.callback_data or "").endswith(":apart") for row in m.buttons for b in row
            ):
                return None
            return m

        async def everyone_answered() -> bool:
            for u in users:
                if not await _has_receipt(client, u) and await offer_of(u) is None:
                    return False
            return True

        # Burst 1: everyone writes; kill when some have been asked for the sub-district.
        await asyncio.gather(*(client.send_text(u, texts[u]) for u in users))
        await until(lambda: _at_least(count_with("sd:"), RESIDENTS // 3), "first answers", bot)
        interrupted.append(await count_with("sd:"))
        bot.kill()
        bot.start()
        await until(lambda: all_have("sd:"), "every sub-district question", bot)

        async def everyone_presses_first(prefix: str) -> None:
            for u in users:
                m = newest_with(await client.bot_messages(u), prefix)
                assert m is not None
                data = m.buttons[0][0].callback_data
                await client.press(u, m.message_id, callback_data=data)

        # Burst 2: everyone confirms the sub-district.
        await everyone_presses_first("sd:")
        await until(lambda: _at_least(count_with("cat:"), RESIDENTS // 3), "some topics", bot)
        interrupted.append(await count_with("cat:"))
        bot.kill()
        bot.start()
        await until(lambda: all_have("cat:"), "every topic question", bot)

        # Burst 3: everyone picks the topic. After the first, the same matter is open, so the
        # others are offered to join it (我也是): each sends their own. Kill when some receipts
        # are out.
        await everyone_presses_first("cat:")
        await until(everyone_answered, "a receipt or an offer for everyone", bot)
        for u in users:
            offer = await offer_of(u)
            if offer is not None:
                apart = next(
                    b.callback_data
                    for row in offer.buttons
                    for b in row
                    if (b.callback_data or "").endswith(":apart")
                )
                await client.press(u, offer.message_id, callback_data=apart)
        await until(lambda: _at_least(receipts(), RESIDENTS // 3), "some receipts", bot)
        interrupted.append(await receipts())
        bot.kill()
        bot.start()
        await until(lambda: _at_least(receipts(), RESIDENTS), "every receipt", bot)
        await client.wait_until_confirmed(timeout=30)
    finally:
        bot.stop()

    timeline = await client.timeline()
    sent_ids = {u["update_id"] for u in timeline.updates if u["bot_id"] == registered.id}
    engine = create_engine(database_url)
    try:
        async with unit_of_work(session_factory(engine)) as s:
            inbox = list(await s.scalars(select(InboxUpdate)))
            opinions = list(await s.scalars(select(Opinion)))
            drafts = list(await s.scalars(select(Draft)))
    finally:
        await engine.dispose()

    # The kills did land in the middle of bursts (otherwise this test proves nothing).
    assert any(n < RESIDENTS for n in interrupted), interrupted
    stored_ids = [row.update_id for row in inbox]
    assert len(stored_ids) == len(set(stored_ids))  # never twice
    assert set(stored_ids) == sent_ids  # never lost
    assert all(row.status == "done" and row.payload is None for row in inbox)
    assert sorted(op.text or "" for op in opinions) == sorted(texts.values())  # once each
    assert drafts == []


async def _has_receipt(client: EmulatorClient, u: int) -> bool:
    """A receipt, or the answer to 我也是 (which names the reference it joined)."""
    return any(
        (m.text or "").startswith(("✅ 已收到", "✅ 已加上您"))
        for m in await client.bot_messages(u)
    )


async def _at_least(count: Awaitable[int], n: int) -> bool:
    return await count >= n


async def test_repeated_kills_under_load_repeat_at_most_what_was_in_flight(
    emulator: EmulatorServer, client: EmulatorClient, sqlite_url: str, tmp_path: Path
) -> None:
    """30 residents go through the flow while the bot is SIGKILLed every three seconds.
    The sender records each row's outcome as it comes back, so a kill can repeat only the
    requests in flight then (at most 16, one per chat), never what was already delivered."""
    token = f"{next(_tokens)}:CRASH-test-token-{'z' * 20}"
    registered = await client.register_bot(token, username="yushi_kill_bot")
    client.bot_id = registered.id
    bot = BotProcess(bot_env(token, emulator, sqlite_url), tmp_path)
    users = list(range(8_100_001, 8_100_031))
    for u in users:
        await client.create_user(u, first_name=f"居民{u % 100}")

    async def newest(u: int, prefix: str) -> ChatMessage:
        while True:
            m = newest_with(await client.bot_messages(u), prefix)
            if m is not None:
                return m
            await asyncio.sleep(0.3)  # 30 residents polling: keep the emulator responsive

    async def play(u: int) -> None:
        await client.start(u)
        notice = await newest(u, "consent:")
        await client.press(u, notice.message_id, callback_data="consent:zh")
        await asyncio.sleep(0.5)
        await client.send_text(u, f"解放碑{u % 1000}号门口路灯晚上不亮")
        # Whatever the bot asks (the card, or the place and the topic), the first button,
        # until the receipt; each question pressed once. A press is answered in place (the
        # pressed message becomes the next question), so a question is its buttons' data.
        pressed: set[str] = set()
        while not await _has_receipt(client, u):
            asked = [
                (q, [b.callback_data or "" for row in q.buttons for b in row])
                for q in reversed(await client.bot_messages(u))
            ]
            m, datas = next(
                (
                    (q, datas)
                    for q, datas in asked
                    if datas
                    and datas[0] not in pressed
                    and datas[0].startswith(("sd:", "cat:", "dr:"))
                ),
                (None, []),
            )
            if m is None:
                await asyncio.sleep(0.3)
                continue
            pressed.add(datas[0])
            # Offered to join the same matter (我也是), each sends their own opinion.
            data = next((d for d in datas if d.endswith(":apart")), datas[0])
            await client.press(u, m.message_id, callback_data=data)

    kills = 0
    bot.start()
    try:
        players = asyncio.gather(*(play(u) for u in users))
        # Every 3 s: a restart takes about a second, so a kill seldom catches the very row
        # the previous kill left in flight (a reply caught twice ends uncertain, by design).
        for _ in range(5):
            await asyncio.sleep(3.0)
            if players.done():
                break
            bot.kill()
            kills += 1
            bot.start()
        try:
            await asyncio.wait_for(players, timeout=120)
        except TimeoutError:
            waiting = [u for u in users if not await _has_receipt(client, u)]
            raise AssertionError(
                f"residents without a receipt: {waiting}\n{bot.log.read_text()[-4000:]}"
            ) from None
        await client.wait_until_confirmed(timeout=30)
        await asyncio.sleep(2)  # the last replies
    finally:
        bot.stop()

    engine = create_engine(sqlite_url)
    try:
        async with unit_of_work(session_factory(engine)) as s:
            rows = list(await s.scalars(select(OutboxMessage)))
            opinions = list(await s.scalars(select(Opinion)))
    finally:
        await engine.dispose()
    assert kills >= 3, "the kills did not land while residents were active"
    assert len(opinions) == len(users)
    assert all(r.status in ("sent", "uncertain") for r in rows), {r.status for r in rows}
    repeats = 0
    for u in users:
        received = [m for m in await client.bot_messages(u) if m.outgoing]
        recorded = sum(1 for r in rows if r.chat_id == u and r.method == "sendMessage")
        repeats += max(len(received) - recorded, 0)
        texts = [m.text for m in received]
        # the same message never arrives more than twice (it arrived 46 times before)
        assert max(texts.count(t) for t in set(texts)) <= 2, (u, texts)
    assert repeats <= kills * 16, (repeats, kills)


async def _prepare_digest_round(database_url: str, members: list[int]) -> list[int]:
    """Members of 解放碑 whose digest time has just passed, and opinions queued for them."""
    from datetime import timedelta

    from bot.config import Settings
    from bot.deps import Deps
    from bot.domain import load_district
    from bot.domain.clock import SystemClock
    from bot.features.digests.visibility import Visibility
    from bot.features.staff import StaffService
    from bot.telegram.work import services_for
    from storage import upgrade
    from storage.records import OpinionRecord
    from storage.repositories import StaffRepository
    from storage.statuses import Role

    district = load_district()
    code = next(s.code for s in district.subdistricts if s.short == "解放碑")
    settings = Settings(_env_file=None)
    clock = SystemClock()
    deps = Deps(settings, district, clock=clock, menus={})
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        async with unit_of_work(sessions) as s:
            work = services_for(s, deps)
            now = clock.now()
            just_past = (now - timedelta(minutes=1)).astimezone(settings.tz).strftime("%H:%M")
            for m in members:
                await work.service(StaffService).grant(1, m, Role.MEMBER, [code])
                await work.repo(StaffRepository).update(
                    m,
                    digest_time=just_past,
                    schedule_from=now - timedelta(days=1),
                    next_due=now - timedelta(minutes=1),
                )
            ids = []
            for n in range(12):
                row = Opinion(
                    text=f"解放碑八一路{n}号门口晚上停车太乱",
                    subdistrict=code,
                    category="parking_traffic",
                    created_at=now,
                    updated_at=now,
                )
                s.add(row)
                await s.flush()
                record = OpinionRecord(row.id, None, row.text, code, row.category, "received", now)
                await work.service(Visibility).make_visible(record)
                ids.append(row.id)
        return ids
    finally:
        await engine.dispose()


async def test_sender_killed_mid_digest_fan_out_loses_nothing_and_repeats_only_uncertain(
    emulator: EmulatorServer, client: EmulatorClient, sqlite_url: str, tmp_path: Path
) -> None:
    """A digest round to 40 members, the bot SIGKILLed twice while it is being sent: every
    member ends with one digest, every row sent or uncertain, and a message arrives twice
    only where its row is uncertain."""
    from storage.models import Digest

    token = f"{next(_tokens)}:CRASH-test-token-{'d' * 20}"
    registered = await client.register_bot(token, username="yushi_fanout_bot")
    client.bot_id = registered.id
    members = list(range(8_200_001, 8_200_041))
    for m in members:
        await client.create_user(m, first_name=f"委员{m % 100}")
        await client.start(m)  # Telegram lets the bot write only to people who opened it
    await _prepare_digest_round(sqlite_url, members)
    bot = BotProcess(bot_env(token, emulator, sqlite_url), tmp_path)

    def is_digest(message: ChatMessage) -> bool:
        return message.kind in ("photo", "document") or (message.text or "").startswith("📋")

    async def delivered() -> int:
        n = 0
        for m in members:
            n += sum(1 for x in await client.bot_messages(m) if x.outgoing and is_digest(x))
        return n

    kills = 0
    bot.start()
    try:
        for _ in range(2):
            target = 10 + 40 * kills  # some messages out, the round far from done

            async def started(target: int = target) -> bool:
                return await delivered() >= target

            await until(started, "digests sending", bot)
            bot.kill()
            kills += 1
            bot.start()
        engine = create_engine(sqlite_url)
        try:

            async def all_final() -> bool:
                async with unit_of_work(session_factory(engine)) as s:
                    rows = list(await s.scalars(select(OutboxMessage.status)))
                    return bool(rows) and all(r in ("sent", "uncertain", "failed") for r in rows)

            await until(all_final, "every row final", bot, timeout=120)
            async with unit_of_work(session_factory(engine)) as s:
                rows = list(await s.scalars(select(OutboxMessage)))
                digests = list(await s.scalars(select(Digest.member_id)))
        finally:
            await engine.dispose()
    finally:
        bot.stop()
    assert kills == 2
    assert sorted(digests) == members  # one digest each, though the bot restarted twice
    assert all(r.status in ("sent", "uncertain") for r in rows), {r.status for r in rows}
    for m in members:
        # The digest's rows: bulk messages (the member's /start, answered whenever the
        # restarted bot reads it, before or after the round, is a reply).
        digest_rows = [
            r
            for r in rows
            if r.chat_id == m
            and r.priority == Priority.BULK
            and r.method in ("sendMessage", "sendPhoto", "sendDocument")
        ]
        assert len(digest_rows) == 3, m  # its text, chart and sheet
        uncertain = sum(1 for r in digest_rows if r.status == "uncertain")
        received = [x for x in await client.bot_messages(m) if x.outgoing and is_digest(x)]
        # Each digest row arrived once; a row that went out when a kill came ends uncertain
        # and may have arrived (once) or not: never resent blindly.
        assert len(digest_rows) - uncertain <= len(received) <= len(digest_rows), (
            m,
            [(r.id, r.method, r.status, r.error) for r in rows if r.chat_id == m],
            [(x.message_id, x.kind, (x.text or "")[:20]) for x in await client.bot_messages(m)],
        )
