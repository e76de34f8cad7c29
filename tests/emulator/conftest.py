"""Fixtures: one emulator server per test session, reset before every test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot

from tgemu import EmulatorClient, EmulatorServer, make_token

BOT_ID = 7_000_000_001
TOKEN = make_token(BOT_ID)


@pytest.fixture(scope="session")
def emu_server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
async def emu(emu_server: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(emu_server.url) as client:
        await client.reset(config=True, bots=True)
        await client.set_config(conflict_delay=0.2)
        await client.register_bot(TOKEN, first_name="渝事好商量", username="yushi_test_bot")
        yield client


@pytest.fixture
async def bot(emu_server: EmulatorServer, emu: EmulatorClient) -> AsyncIterator[Bot]:
    async with Bot(
        TOKEN, base_url=emu_server.api_base_url, base_file_url=emu_server.file_base_url
    ) as ptb_bot:
        yield ptb_bot
