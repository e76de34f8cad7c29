"""Shared fixtures: real databases built with the real migrations.

PostgreSQL tests run when YUSHI_TEST_POSTGRES_URL names a server (`.ci/run` sets it) and
skip otherwise. Each run gets its own throw-away database on that server.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import create_engine, session_factory, upgrade
from tgemu import EmulatorClient, EmulatorServer

PG_ENV = "YUSHI_TEST_POSTGRES_URL"

# Opt in to PTB's coming behaviour (retry_after as timedelta); the bot handles both.
os.environ.setdefault("PTB_TIMEDELTA", "1")


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    u = make_url(url).set(drivername="postgresql")
    if database is not None:
        u = u.set(database=database)
    return u.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A fresh database on the configured server for this test run, dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    name = f"yushi_test_{uuid.uuid4().hex[:10]}"

    def admin(sql: str) -> None:
        # Session fixtures may be set up from inside a running loop: use a loop of our own.
        async def run() -> None:
            conn = await asyncpg.connect(_asyncpg_dsn(base))
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, run()).result()

    admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _reset_postgres(url: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (SQLite file, or a reset PostgreSQL schema), not yet migrated."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'yushi.sqlite3'}"
    url: str = request.getfixturevalue("postgres_server")
    await _reset_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'yushi.sqlite3'}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(database_url)
    await upgrade(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    """The project's Bot API emulator on 127.0.0.1, shared; each test uses its own bot."""
    with EmulatorServer() as emu:
        yield emu


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(emulator.url) as c:
        yield c
