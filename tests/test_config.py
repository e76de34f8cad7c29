"""Settings: defaults, parsing, and one clear line for a bad setting (never a traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

TOKEN = "123456:" + "A" * 35


def test_defaults() -> None:
    s = load_settings(env_file=None)
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert s.database_url.startswith("sqlite+aiosqlite:///./data/")
    assert s.timezone == "Asia/Shanghai"
    assert s.admin_ids == frozenset()


def test_environment_and_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nADMIN_IDS=11, 22,33\nLOG_LEVEL=debug\n")
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")
    s = load_settings(env_file=str(env))
    assert s.token() == TOKEN
    assert s.admin_ids == {11, 22, 33}
    assert s.log_level == "DEBUG"
    assert s.timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("name", "value", "needle"),
    [
        ("ADMIN_IDS", "12,@alice", "ADMIN_IDS"),
        ("ADMIN_IDS", "1087968824", "special Telegram id"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("DATABASE_URL", "postgresql+asyncpg://u@host:port/db", "not a valid database URL"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN"),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "TELEGRAM_API_BASE_URL"),
        ("OPINIONS_PER_HOUR", "many", "OPINIONS_PER_HOUR"),
    ],
)
def test_bad_setting_names_itself(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, needle: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings(env_file=None)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_token_is_named() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        load_settings(env_file=None).token()


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "TELEGRAM_BOT_TOKEN: not set"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": "x"}, "ADMIN_IDS"),
    ],
)
def test_cli_reports_one_line(tmp_path: Path, env: dict[str, str], needle: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env={**clean, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr
