"""Flow fixtures: the emulator on 127.0.0.1 and the real bot runtime against it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.assembly import Runtime
from bot.config import Settings, load_settings
from bot.domain.clock import Clock
from storage import unit_of_work
from storage.repositories import InboxRepository, OutboxRepository
from tgemu import EmulatorClient, EmulatorServer
from tgemu.client_types import ChatMessage

_bot_ids = itertools.count(800_000_001)


@pytest.fixture
def make_settings(emulator: EmulatorServer, sqlite_url: str) -> Callable[..., Settings]:
    """Settings for a fresh bot (its own token) on the emulator; override what a test needs."""
    token = f"{next(_bot_ids)}:TEST-token-{'x' * 24}"

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": SecretStr(token),
            "telegram_api_base_url": emulator.api_base_url,
            "telegram_api_file_url": emulator.file_base_url,
            "database_url": sqlite_url,
            "poll_timeout": 1,
            **overrides,
        }
        return load_settings(env_file=None, **values)

    return build


@dataclass
class BotUnderTest:
    client: EmulatorClient
    runtime: Runtime
    settings: Settings
    clock: Clock | None = None

    async def restart(self) -> None:
        """Stop the bot and start a new process-like runtime on the same database."""
        await self.runtime.stop()
        self.runtime = await Runtime.open(self.settings, self.clock)
        self.runtime.start()

    async def settle(self, timeout: float = 10.0) -> None:
        """Until every update sent so far is fetched, handled, and its replies delivered.

        The emulator only sees HTTP; an update that sends nothing is "idle" there before the
        bot has handled it, so look at the bot's own inbox and outbox too.
        """
        await self.client.wait_until_confirmed(timeout=timeout)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            inbox = await self.query(lambda s: InboxRepository(s).counts())
            outbox = await self.query(lambda s: OutboxRepository(s).pending_count())
            if not inbox.get("pending") and not outbox:
                break
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"bot not settled: inbox {inbox}, outbox {outbox}")
            await asyncio.sleep(0.02)
        await self.client.wait_until_idle(timeout=timeout, quiet=0.05)

    async def count(self, model: type, *where: Any) -> int:
        """Rows of `model` (matching `where`) in the bot's database."""
        stmt = select(func.count()).select_from(model)
        if where:
            stmt = stmt.where(*where)
        return int(await self.query(lambda s: s.scalar(stmt)))

    async def query(self, fn: Callable[[Any], Awaitable[Any]]) -> Any:
        async with unit_of_work(self.runtime.sessions) as session:
            return await fn(session)


@pytest.fixture
async def start_bot(
    client: EmulatorClient, make_settings: Callable[..., Settings]
) -> AsyncIterator[Callable[..., Awaitable[BotUnderTest]]]:
    started: list[BotUnderTest] = []

    async def start(clock: Clock | None = None, **overrides: Any) -> BotUnderTest:
        settings = make_settings(**overrides)
        registered = await client.register_bot(
            settings.token(), first_name="渝事好商量", username="yushi_test_bot"
        )
        client.bot_id = registered.id  # every test has its own bot on the shared emulator
        runtime = await Runtime.open(settings, clock)
        runtime.start()
        b = BotUnderTest(client, runtime, settings, clock)
        started.append(b)
        return b

    yield start
    for b in started:
        await b.runtime.stop()


@pytest.fixture
async def bot(start_bot: Callable[..., Awaitable[BotUnderTest]]) -> BotUnderTest:
    return await start_bot()


_user_ids = itertools.count(5_000_001)


class Resident:
    """A simulated person in a private chat with the bot under test."""

    def __init__(self, b: BotUnderTest, user_id: int, lang: str = "zh-hans") -> None:
        self.b = b
        self.c = b.client
        self.id = user_id
        self.lang = lang

    async def replies(self, act: Awaitable[Any], *, timeout: float = 10) -> list[ChatMessage]:
        """Do something, wait for the bot's answer, return what it sent or edited since."""
        before = await self.c.cursor()
        await act
        await self.c.wait_for_bot_activity(self.id, after=before, timeout=timeout)
        # Everything it brought: a second message to one chat leaves a second after the
        # first (Telegram's pace), so wait for the bot's queues, not for a quiet moment.
        await self.b.settle(timeout=timeout)
        return [m for m in await self.c.bot_messages(self.id) if m.cursor > before]

    async def say(self, text: str) -> list[ChatMessage]:
        return await self.replies(self.c.send_text(self.id, text))

    async def command(self, name: str) -> list[ChatMessage]:
        return await self.replies(self.c.send_command(self.id, name))

    async def press(self, label: str) -> list[ChatMessage]:
        return await self.replies(self.c.press_button(self.id, label))

    async def press_prefix(self, prefix: str) -> list[ChatMessage]:
        """Press the button whose label starts with `prefix` on the newest bot message."""
        for m in reversed(await self.c.bot_messages(self.id)):
            for row in m.buttons:
                for button in row:
                    if button.text.startswith(prefix) and button.callback_data:
                        return await self.replies(
                            self.c.press(self.id, m.message_id, callback_data=button.callback_data)
                        )
        raise AssertionError(f"no button starting with {prefix!r}")

    async def consent(self) -> None:
        await self.command("start")
        await self.press("✅ 同意" if not self.lang.startswith("en") else "✅ Agree")

    async def submit(self, text: str) -> list[ChatMessage]:
        """Write an opinion and accept what the bot offers, to the receipt: the card's
        提交, a suggested (👉) sub-district or topic, "yes" to "is this a problem?", one
        opinion rather than a split, Yuzhong when asked, else 不确定 or the first topic."""
        return await self.submit_current(await self.say(text))

    async def submit_current(self, replies: list[ChatMessage] | None = None) -> list[ChatMessage]:
        """Accept the question the bot asked last, and the ones after it, to the receipt."""
        replies = replies or []
        for _ in range(8):
            if any(_is_receipt(m) for m in replies):
                return replies
            last = await self.c.last_bot_message(self.id)
            assert last is not None and last.buttons, [m.text for m in replies]
            buttons = [b for row in last.buttons for b in row if b.callback_data]
            accept = _ACCEPT
            if "可能在" in (last.text or "") or "may be in" in (last.text or ""):
                accept = _ACCEPT[:-1]  # a place asked about: its likeliest answer, not 不确定
            choice = next(
                (b for prefix in accept for b in buttons if b.text.startswith(prefix)),
                buttons[0],
            )
            assert choice.callback_data is not None
            replies = await self.replies(
                self.c.press(self.id, last.message_id, callback_data=choice.callback_data)
            )
        raise AssertionError(f"no receipt after {[m.text for m in replies]!r}")


#: What `Resident.submit` presses, in order of preference.
_ACCEPT = (
    "单独提交",
    "Send mine separately",
    "✅",
    "👉",
    "是，要反映",
    "Yes, raise it",
    "作为一条",
    "Keep as one",
    "问题就在渝中区",
    "It is in Yuzhong",
    "🤷",
)


def _is_receipt(m: ChatMessage) -> bool:
    text = m.text or ""
    return text.startswith(("✅ 已收到您的意见", "✅ Your opinion is in"))


@pytest.fixture
def resident(bot: BotUnderTest) -> Callable[..., Awaitable[Resident]]:
    async def make(lang: str = "zh-hans", *, consent: bool = True) -> Resident:
        uid = next(_user_ids)
        await bot.client.create_user(uid, first_name="居民", language_code=lang)
        r = Resident(bot, uid, lang)
        if consent:
            await r.consent()
        return r

    return make


async def admin_who_started(b: BotUnderTest, user_id: int) -> Resident:
    """An admin (named in ADMIN_IDS) who opened the chat: the bot may only write to people
    who started it."""
    await b.client.create_user(user_id, first_name="管理员")
    admin = Resident(b, user_id)
    await admin.command("start")
    return admin


async def consented_resident(b: BotUnderTest, user_id: int) -> Resident:
    """A resident of the bot under test who pressed 同意."""
    await b.client.create_user(user_id, first_name="居民")
    r = Resident(b, user_id)
    await r.consent()
    return r
