"""Fixtures for the chat page: the emulator with a python-telegram-bot Bot for the API tests,
and the whole web demo (emulator, real bot, page) in a thread of its own for the browser."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from telegram import Bot

from bot.config import Settings
from bot.demo_web import WebDemo, web_demo
from tgemu import EmulatorClient, EmulatorServer, make_token
from tgemu.web import WebUser, create_web_app

BOT_ID = 7_000_000_002
TOKEN = make_token(BOT_ID)
RESIDENT, ADMIN = 3001, 3002
PEOPLE = (WebUser(RESIDENT, "王阿姨", "居民"), WebUser(ADMIN, "区政协办公室", "管理员"))


@pytest.fixture(scope="session")
def emu_server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
async def emu(emu_server: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(emu_server.url) as client:
        await client.reset(config=True, bots=True)
        await client.register_bot(TOKEN, first_name="渝事好商量", username="yushi_web_bot")
        for person in PEOPLE:
            await client.create_user(person.id, first_name=person.name)
        yield client


@pytest.fixture
async def bot(emu_server: EmulatorServer, emu: EmulatorClient) -> AsyncIterator[Bot]:
    async with Bot(
        TOKEN, base_url=emu_server.api_base_url, base_file_url=emu_server.file_base_url
    ) as ptb_bot:
        yield ptb_bot


@pytest.fixture
async def page(emu: EmulatorClient) -> AsyncIterator[httpx.AsyncClient]:
    """The page's web app, in process (its API still talks HTTP to the emulator)."""
    transport = httpx.ASGITransport(app=create_web_app(emu, PEOPLE))
    async with httpx.AsyncClient(transport=transport, base_url="http://page") as client:
        yield client


class DemoThread:
    """``yushi demo --web`` as a test runs it: its own event loop in a thread, so that a
    blocking Selenium driver can use the page meanwhile."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.demo: WebDemo | None = None
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="web-demo", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with web_demo(self.settings) as demo:
                self.demo = demo
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:  # reported by start()
            self.error = exc
        finally:
            self._ready.set()

    def start(self, timeout: float = 60) -> WebDemo:
        self._thread.start()
        if not self._ready.wait(timeout) or self.demo is None:
            raise RuntimeError(f"the web demo did not start: {self.error!r}")
        return self.demo

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)


@pytest.fixture(scope="module")
def web_demo_running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDemo]:
    folder: Path = tmp_path_factory.mktemp("web-demo")
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{folder / 'demo.db'}")
    runner = DemoThread(settings)
    try:
        yield runner.start()
    finally:
        runner.stop()
