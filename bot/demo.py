"""`yushi demo`: a whole session, offline, against the built-in Bot API emulator.

The real bot (durable poller, processor, sender, SQLite) talks HTTP to the emulator on
127.0.0.1. An admin makes a committee member; a scripted resident consents, writes, confirms
and gets a receipt, and a few neighbours write too; then the clock jumps to the member's
digest time and the member's digest arrives: its messages are printed, its chart and
spreadsheet written under ./data/demo/.
"""

from __future__ import annotations

import asyncio
import textwrap
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.assembly import Runtime
from bot.config import DEMO_DATABASE_URL, Settings
from bot.domain import reference_number
from bot.domain.clock import ShiftedClock
from bot.features.staff.schedule import Schedule
from bot.telegram.labels import subdistrict_name
from storage import unit_of_work
from storage.models import Opinion
from storage.repositories import InboxRepository, OutboxRepository
from tgemu import EmulatorClient, EmulatorServer
from tgemu.client_types import ChatMessage

DEMO_TOKEN = "700000001:DEMO-offline-token-for-the-emulator"
#: A fresh resident each run, so a demo on a database that already has one still starts
#: with the privacy notice.
RESIDENT = 10_000_000 + int(time.time()) % 1_000_000
ADMIN = 20_000_001
MEMBER = 20_000_002
#: Where the member's chart and spreadsheet are written for the newcomer to open.
DEMO_FILES = Path("data/demo")
NEIGHBOURS = (
    "凯旋路停车位太少，晚上回家根本找不到地方停车",
    "凯旋路那边晚上乱停车，消防车都进不来",
    "南纪门凯旋路口晚上违停太多，堵得走不动",
    "解放碑八一路的路灯坏了好几盏，晚上走路看不清",
)


def _show_bot(message: ChatMessage) -> None:
    text = textwrap.indent(message.text or "", "      ")
    print(f"  🤖 {text.strip()}" if "\n" not in (message.text or "") else f"  🤖\n{text}")
    for row in message.buttons:
        print("      " + "  ".join(f"[{b.text}]" for b in row))


async def _settled(runtime: Runtime, timeout: float = 15) -> None:
    """Until the bot has handled every update and sent every reply. A second message to one
    chat leaves a second after the first (Telegram's pace), so a quiet moment is not enough."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        async with unit_of_work(runtime.sessions) as session:
            inbox = await InboxRepository(session).counts()
            outbox = await OutboxRepository(session).pending_count()
        if not inbox.get("pending") and not outbox:
            return
        await asyncio.sleep(0.05)


async def _exchange(
    client: EmulatorClient,
    runtime: Runtime,
    label: str,
    act: Callable[[], Awaitable[Any]],
    pace: float,
) -> None:
    """Do one resident action and print every bot message it brought."""
    print(f"\n👤 {label}")
    before = await client.cursor()
    await act()
    # The first answer, then whatever else that update brings (edits, receipts).
    await client.wait_for_bot_activity(RESIDENT, after=before, timeout=15)
    await _settled(runtime)
    await client.wait_until_idle(timeout=15, quiet=0.1)
    for message in await client.bot_messages(RESIDENT):
        if message.cursor > before:
            _show_bot(message)
    await asyncio.sleep(pace)


def fresh_demo_database(settings: Settings) -> None:
    """The demo plays a newcomer: its own database starts empty each time. Any other
    database is left as it is (the resident is then a new one, see RESIDENT)."""
    path = settings.sqlite_path()
    if settings.database_url == DEMO_DATABASE_URL and path is not None:
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)


def demo_settings(settings: Settings, emu: EmulatorServer) -> Settings:
    """The bot's settings pointed at the emulator, with the demo's admin."""
    return settings.model_copy(
        update={
            "telegram_bot_token": settings.telegram_bot_token or _secret(DEMO_TOKEN),
            "telegram_api_base_url": emu.api_base_url,
            "telegram_api_file_url": emu.file_base_url,
            "poll_timeout": 1,
            "admin_ids": frozenset({ADMIN}),
        }
    )


async def register_demo_bot(client: EmulatorClient, settings: Settings) -> None:
    await client.register_bot(settings.token(), first_name="渝事好商量", username="yushi_demo_bot")


async def run_demo(settings: Settings, *, pace: float = 0.4) -> int:
    fresh_demo_database(settings)
    with EmulatorServer() as emu:
        settings = demo_settings(settings, emu)
        print(f"Bot API emulator on {emu.url}; database {settings.database_url}")
        async with EmulatorClient(emu.url) as client:
            await register_demo_bot(client, settings)
            clock = ShiftedClock()
            runtime = await Runtime.open(settings, clock)
            try:
                runtime.start()
                await make_member(client, runtime, pace)
                await client.create_user(RESIDENT, first_name="王阿姨", language_code="zh-hans")
                await _play(client, runtime, pace)
                await _neighbours(client, runtime)
                await _digest(client, runtime, clock)
                await _follow_up(client, runtime, pace)
            finally:
                await runtime.stop()
        await _show_stored(settings)
    return 0


def _secret(token: str) -> object:
    from pydantic import SecretStr

    return SecretStr(token)


async def _play(client: EmulatorClient, runtime: Runtime, pace: float) -> None:
    opinion = "凯旋路晚上停车太乱了，车都停到消防通道上，老人出门都不方便"

    async def likeliest() -> int:
        """The first button of the bot's question: its likeliest answer (the card's 提交)."""
        last = await client.last_bot_message(RESIDENT)
        assert last is not None and last.buttons
        button = last.buttons[0][0]
        await client.press(RESIDENT, last.message_id, callback_data=button.callback_data)
        return 0

    async def receipt() -> bool:
        last = await client.last_bot_message(RESIDENT)
        return last is not None and (last.text or "").startswith("✅ 已收到")

    await _exchange(client, runtime, "/start", lambda: client.start(RESIDENT), pace)
    await _exchange(
        client, runtime, "presses [✅ 同意]", lambda: client.press_button(RESIDENT, "✅ 同意"), pace
    )
    await _exchange(client, runtime, opinion, lambda: client.send_text(RESIDENT, opinion), pace)
    # The bot asks only what it could not tell (here the place: 凯旋路 crosses sub-districts),
    # showing what it did (the topic); the first button is its likeliest answer.
    for _ in range(3):
        if await receipt():
            break
        await _exchange(client, runtime, "presses the first (likeliest) answer", likeliest, pace)
    await _exchange(client, runtime, "/my", lambda: client.send_command(RESIDENT, "my"), pace)


async def _show(client: EmulatorClient, chat_id: int, before: int, who: str) -> None:
    for message in await client.bot_messages(chat_id):
        if message.cursor > before:
            print(f"  🤖 → {who}:")
            _show_bot(message)


async def make_member(client: EmulatorClient, runtime: Runtime, pace: float) -> None:
    """The office's admin makes a committee member of 南纪门 and 解放碑."""
    print("\n── An admin of the CPPCC office makes a committee member ──")
    await client.create_user(ADMIN, first_name="区政协办公室")
    await client.create_user(MEMBER, first_name="李委员")
    for user in (ADMIN, MEMBER):  # the bot may only write to people who opened it
        await client.start(user)
    await _settled(runtime)
    before = await client.cursor()
    print(f"\n🛡 admin: /grant {MEMBER} member 南纪门 解放碑")
    await client.send_text(ADMIN, f"/grant {MEMBER} member 南纪门 解放碑")
    await client.wait_for_bot_activity(ADMIN, after=before, timeout=15)
    await _settled(runtime)
    await client.wait_until_idle(timeout=15, quiet=0.1)
    await _show(client, ADMIN, before, "admin")
    await _show(client, MEMBER, before, "member")
    await asyncio.sleep(pace)


async def _neighbours(client: EmulatorClient, runtime: Runtime) -> None:
    """A few neighbours write too (not printed step by step), so the digest has clusters."""
    print(f"\n── {len(NEIGHBOURS)} neighbours write as well ──")
    for n, text in enumerate(NEIGHBOURS, start=1):
        user = RESIDENT + n * 1_000_000
        await client.create_user(user, first_name=f"居民{n}", language_code="zh-hans")
        for step in range(3):
            before = await client.cursor()
            if step == 0:
                await client.start(user)
            elif step == 1:
                await client.press_button(user, "✅ 同意")
            else:
                await client.send_text(user, text)
            await client.wait_for_bot_activity(user, after=before, timeout=15)
            await _settled(runtime)
        for _ in range(3):  # the likeliest answer to each question, to the receipt
            last = await client.last_bot_message(user)
            assert last is not None
            if (last.text or "").startswith("✅ 已收到"):
                break
            buttons = [b for row in last.buttons for b in row if b.callback_data]
            # Offered to join the same matter (我也是), each neighbour still sends their own,
            # so the member's digest shows the cluster they make.
            button = next((b for b in buttons if b.text.startswith("单独提交")), buttons[0])
            before = await client.cursor()
            await client.press(user, last.message_id, callback_data=button.callback_data)
            await client.wait_for_bot_activity(user, after=before, timeout=15)
            await _settled(runtime)
        print(f"  👤 居民{n}: {text}")


async def _digest(client: EmulatorClient, runtime: Runtime, clock: ShiftedClock) -> None:
    """The clock jumps to the member's digest time; the scheduler's tick sends it."""
    async with unit_of_work(runtime.sessions) as session:
        from storage.repositories import StaffRepository

        member = await StaffRepository(session).get(MEMBER)
    assert member is not None
    due = Schedule.of(member, runtime.settings.tz).next_after(clock.now())
    assert due is not None
    local = due.astimezone(runtime.settings.tz)
    print(f"\n── ⏩ The clock jumps to {local:%Y-%m-%d %H:%M} ({runtime.settings.timezone}), ")
    print("   the member's digest time; the scheduler's next tick finds the digest due ──")
    clock.jump_to(due + timedelta(seconds=1))
    before = await client.cursor()
    await runtime.scheduler.tick()
    runtime.wake_sender.set()
    await client.wait_for_bot_activity(MEMBER, after=before, timeout=30)
    await _settled(runtime, timeout=30)
    await client.wait_until_idle(timeout=30, quiet=0.2)
    DEMO_FILES.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, a local folder)
    for message in await client.bot_messages(MEMBER):
        if message.cursor <= before:
            continue
        if message.kind == "text":
            _show_bot(message)
            continue
        ref = message.document or (message.photo[-1] if message.photo else None)
        if ref is None:
            continue
        name = ref.file_name or f"yushi-digest-{local:%Y%m%d-%H%M}.png"
        path = DEMO_FILES / name
        path.write_bytes(await client.file_content(ref.file_id))
        print(f"  🤖 [{message.kind}] {message.text or ''}\n      saved to {path}")


async def _member_presses(client: EmulatorClient, runtime: Runtime, label: str) -> None:
    """The member presses the newest button whose label starts with `label`; what the
    bot answers (an edited card, a new question) is printed."""
    for message in reversed(await client.bot_messages(MEMBER)):
        button = next((b for row in message.buttons for b in row if b.text.startswith(label)), None)
        if button is not None:
            break
    else:
        raise RuntimeError(f"no button {label!r} in the member's chat")
    print(f"\n🧑‍💼 member presses [{button.text}]")
    before = await client.cursor()
    await client.press(MEMBER, message.message_id, callback_data=button.callback_data)
    await client.wait_for_bot_activity(MEMBER, after=before, timeout=15)
    await _settled(runtime)
    await _show(client, MEMBER, before, "member")


async def _follow_up(client: EmulatorClient, runtime: Runtime, pace: float) -> None:
    """The loop closes: the member resolves the cluster of 凯旋路 parking from the digest's
    button with one confirmation; every resident of it hears back, and 王阿姨 rates it."""
    print("\n── The member answers from the digest: the whole cluster at once ──")
    await _member_presses(client, runtime, "📝")
    await _member_presses(client, runtime, "👥")
    await _member_presses(client, runtime, "✅ 已解决")
    words = "已请区交巡警支队在凯旋路加装禁停标志，晚间增加巡查，消防通道已清理。"
    print(f"\n🧑‍💼 member: {words}")
    before = await client.cursor()
    await client.send_text(MEMBER, words)
    await client.wait_for_bot_activity(MEMBER, after=before, timeout=15)
    await _settled(runtime)
    await _show(client, MEMBER, before, "member")
    before = await client.cursor()
    await _member_presses(client, runtime, "✅ 确定")
    await client.wait_until_idle(timeout=15, quiet=0.2)
    await _show(client, RESIDENT, before, "王阿姨")
    await asyncio.sleep(pace)
    await _exchange(
        client, runtime, "presses [5⭐]", lambda: client.press_button(RESIDENT, "5⭐"), pace
    )
    await _exchange(client, runtime, "/my", lambda: client.send_command(RESIDENT, "my"), pace)


async def _show_stored(settings: Settings) -> None:
    from bot.domain import load_district
    from storage import create_engine, session_factory

    district = load_district()
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            opinions = list(await session.scalars(select(Opinion).order_by(Opinion.id)))
            inbox = await InboxRepository(session).counts()
    finally:
        await engine.dispose()
    print(f"\nStored in {settings.database_url}:")
    for op in opinions:
        ref = reference_number(district.reference_prefix, op.id)
        where = subdistrict_name(district, op.subdistrict, "zh")
        print(f"  {ref}  {where}  {op.category}  {op.status}  “{op.text}”")
    print(f"  inbox: {inbox} (handled updates keep only their id and outcome)")
