"""The `yushi` command as a newcomer runs it: migrate, demo, run (and stopping it)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.migrate import head_revision
from tgemu import EmulatorClient, EmulatorServer

pytestmark = pytest.mark.slow


def yushi(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_", "LOG_"))
    }
    return {**env, **extra}


def test_migrate(tmp_path: Path) -> None:
    db = tmp_path / "data" / "x.sqlite3"
    result = yushi("migrate", env=clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{db}"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"revision {head_revision()}" in result.stdout  # the newest migration
    assert db.exists()


def test_demo_plays_a_whole_session(tmp_path: Path) -> None:
    result = yushi("demo", "--pace", "0", env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "隐私说明" in out and "YZ-000001" in out
    assert "Stored in" in out and "南纪门街道" in out
    assert (tmp_path / "data" / "demo.sqlite3").exists()
    # The member's digest: shown in the terminal, its chart and sheet written to open.
    assert "居民意见汇总" in out and "相似意见" in out
    files = sorted(p.suffix for p in (tmp_path / "data" / "demo").iterdir())
    assert files == [".png", ".xlsx"]
    again = yushi("demo", "--pace", "0", env=clean_env(), cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr  # re-runnable


async def test_run_stops_cleanly_and_never_logs_the_token(
    emulator: EmulatorServer, client: EmulatorClient, tmp_path: Path
) -> None:
    token = "912345678:SECRET-token-never-in-logs-abcdef"
    registered = await client.register_bot(token, username="yushi_cli_bot")
    client.bot_id = registered.id
    env = clean_env(
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE_URL=emulator.api_base_url,
        TELEGRAM_API_FILE_URL=emulator.file_base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        LOG_LEVEL="DEBUG",
        POLL_TIMEOUT="1",
    )
    log = tmp_path / "bot.log"
    with log.open("w") as sink:  # a file, not a pipe: DEBUG output would fill a pipe
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path, stdout=sink, stderr=sink
        )
        try:
            await client.send_text(9_100_001, "未同意前发的私密内容 13800001111")
            sent = await client.start(9_100_001)
            reply = await client.wait_for_bot_message(9_100_001, after=sent.cursor, timeout=30)
            assert "隐私说明" in (reply.text or "")
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), timeout=30)
    out = log.read_text()
    assert proc.returncode == 0, out[-3000:]
    assert "is running" in out
    assert token not in out
    assert token.split(":")[1] not in out
    assert "私密内容" not in out  # not even at DEBUG: a text before consent is kept nowhere


def test_rejected_token_is_one_clear_line(emulator: EmulatorServer, tmp_path: Path) -> None:
    env = clean_env(
        TELEGRAM_BOT_TOKEN="123456789:this-token-is-not-registered-xx",
        TELEGRAM_API_BASE_URL=f"{emulator.url}/nowhere/bot",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    result = yushi("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(("TELEGRAM_BOT_TOKEN", "TELEGRAM_API"))


def test_unreachable_api_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = clean_env(
        TELEGRAM_BOT_TOKEN="123456789:" + "a" * 30,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    started = time.monotonic()
    result = yushi("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "TELEGRAM_API_BASE_URL: cannot reach" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 60


async def test_outbox_lists_uncertain_rows_and_a_person_decides(tmp_path: Path) -> None:
    from storage import create_engine, session_factory, unit_of_work, upgrade
    from storage.models import OutboxMessage, utcnow
    from storage.repositories import OutboxRepository

    url = f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}"
    engine = create_engine(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    async with unit_of_work(sessions) as s:
        out = OutboxRepository(s)
        for text in ("本周汇总", "另一条"):
            await out.add(42, "sendMessage", {"text": text}, now=utcnow())
    async with unit_of_work(sessions) as s:
        for row_id in (1, 2):
            await OutboxRepository(s).uncertain(row_id, "no answer: Timed out")
    env = clean_env(DATABASE_URL=url)
    listed = yushi("outbox", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "uncertain 2" in listed.stdout and "uncertain #1 chat 42 sendMessage" in listed.stdout
    decided = yushi("outbox", "--resend", "1", "--drop", "2", env=env, cwd=tmp_path)
    assert "1 uncertain rows queued again" in decided.stdout
    assert "1 uncertain rows dropped" in decided.stdout
    async with unit_of_work(sessions) as s:
        rows = {r.id: r for r in await s.scalars(select(OutboxMessage))}
    await engine.dispose()
    assert rows[1].status == "pending" and rows[1].payload == {"text": "本周汇总"}
    assert rows[2].status == "failed" and rows[2].payload is None


async def test_digest_shows_what_is_due_and_runs_it_once(tmp_path: Path) -> None:
    from tests.test_crash import _prepare_digest_round

    url = f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}"
    await _prepare_digest_round(url, [7_300_001, 7_300_002])
    env = clean_env(DATABASE_URL=url)
    shown = yushi("digest", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.count("DUE: digest for") == 2 and "12 items waiting" in shown.stdout
    ran = yushi("digest", "--run", env=env, cwd=tmp_path)
    assert "2 digests built and queued (24 items)" in ran.stdout, ran.stdout + ran.stderr
    again = yushi("digest", "--run", env=env, cwd=tmp_path)
    assert "0 digests built" in again.stdout and "DUE" not in again.stdout
    assert "0 items waiting" in again.stdout
