"""Settings from the environment and `.env`, built once in `main()` and passed down.

Nothing here reads the environment at import time: tests build `Settings(...)` directly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

#: Ids Telegram uses for "anonymous group admin" and "sent on behalf of a channel".
RESERVED_USER_IDS = frozenset({1087968824, 136817688})

_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/yushi.sqlite3"
#: `yushi demo` plays a newcomer on a database of its own, emptied each time.
DEMO_DATABASE_URL = "sqlite+aiosqlite:///./data/demo.sqlite3"


class Settings(BaseSettings):
    """Everything the bot can be told from outside."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        use_attribute_docstrings=True,
    )

    telegram_bot_token: SecretStr | None = None
    """Bot token from @BotFather. Required by `yushi run`; the demo makes its own."""

    telegram_api_base_url: str = "https://api.telegram.org/bot"
    """Bot API address; the token is appended (python-telegram-bot's base_url)."""

    telegram_api_file_url: str = "https://api.telegram.org/file/bot"
    """File download address; the token is appended."""

    database_url: str = DEFAULT_DATABASE_URL
    """SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://..."""

    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    """Comma-separated Telegram user ids of the first admins (never usernames)."""

    timezone: str = "Asia/Shanghai"
    """IANA time zone for everything shown to people and for schedules."""

    log_level: str = "INFO"
    """Python logging level name."""

    opinion_max_chars: int = Field(default=12000, ge=50, le=20000)
    """Longest opinion text accepted, in characters: a text the client split into several
    of Telegram's 4096-character messages is kept whole, as one opinion."""

    response_days: int = Field(default=7, ge=1, le=90)
    """The follow-up time residents are told to expect (the receipt, "how long?"), and the
    response rate's bound: an item counts as responded to if a member acted within it."""

    reopen_days: int = Field(default=14, ge=1, le=365)
    """Days after "resolved" in which the resident may reopen an opinion."""

    rating_reminder_days: int = Field(default=3, ge=1, le=30)
    """Days after asking a resident to rate a resolved opinion before asking once more."""

    opinions_per_hour: int = Field(default=10, ge=1, le=1000)
    """How many opinions one resident may send within an hour before being slowed down."""

    send_rate_per_second: int = Field(default=30, ge=0, le=1000)
    """Messages per second the bot sends at most, all chats together (Telegram allows about
    30); 0 turns the limiter off."""

    poll_timeout: int = Field(default=25, ge=0, le=50)
    """Long-polling timeout for getUpdates, seconds."""

    privacy_contact: str = "渝中区政协办公室 023-63891234"
    """Contact shown in the privacy notice."""

    office_phone: str = Field(default="023-63891234", pattern=r"^\+?[0-9][0-9 ()-]{2,30}$")
    """Phone number where residents reach a person at the office (told in /help, to those
    who decline the privacy notice, and wherever the bot cannot help)."""

    retention_days: int = Field(default=730, ge=30)
    """How long opinions are kept, stated in the privacy notice."""

    moderation_mode: Literal["pre", "post"] = "post"
    """pre: every opinion waits for an admin's approval before members see it; post: visible
    at once unless an auto-hold rule matches."""

    moderation_words_file: Path | None = None
    """A UTF-8 file of words (one a line, # comments) that hold an opinion for review; read
    again when it changes and on SIGHUP."""

    digest_time: str = "08:00"
    """Members' default digest time (HH:MM, wall clock in TIMEZONE); each can change theirs."""

    invite_hours: int = Field(default=72, ge=1, le=24 * 30)
    """How long a /invite link stays valid, in hours (it works once)."""

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> frozenset[int]:
        if isinstance(value, (set, frozenset, list, tuple)):
            items = [str(v) for v in value]
        elif isinstance(value, (str, int)):
            items = [p for p in re.split(r"[,\s]+", str(value)) if p]
        else:
            raise ValueError("expected comma-separated user ids")
        ids: set[int] = set()
        for item in items:
            if not re.fullmatch(r"\d{1,20}", item):
                raise ValueError(f"{item!r} is not a numeric Telegram user id")
            uid = int(item)
            if uid in RESERVED_USER_IDS:
                raise ValueError(f"{uid} is a special Telegram id and cannot be an admin")
            ids.add(uid)
        return frozenset(ids)

    @field_validator("telegram_bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("does not look like a bot token (digits:secret)")
        return value

    @field_validator("telegram_api_base_url", "telegram_api_file_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_db(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///file or postgresql+asyncpg://…")
        try:
            make_url(value).port  # noqa: B018 (parsing is the check: a bad port raises)
        except (ArgumentError, ValueError):
            raise ValueError("not a valid database URL") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("digest_time")
    @classmethod
    def _check_digest_time(cls, value: str) -> str:
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
        if match is None:
            raise ValueError("expected HH:MM, e.g. 08:00")
        return f"{int(match[1]):02d}:{match[2]}"

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def token(self) -> str:
        """The token, or a clear error when a command that talks to Telegram lacks it."""
        if self.telegram_bot_token is None:
            raise ConfigError("TELEGRAM_BOT_TOKEN: not set (get one from @BotFather)")
        return self.telegram_bot_token.get_secret_value()

    def sqlite_path(self) -> Path | None:
        """The SQLite file behind database_url, if it is SQLite."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            return Path(self.database_url[len(prefix) :].split("?", 1)[0])
        return None


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


def load_settings(env_file: str | None = ".env", **overrides: Any) -> Settings:
    """Build settings or raise ConfigError with one line per bad setting, no traceback."""
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]).upper() or "SETTINGS"
            msg = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}: {msg}")
        raise ConfigError("; ".join(problems)) from None
