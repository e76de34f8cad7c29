"""Logging set-up: the bot token never reaches a log line."""

from __future__ import annotations

import logging

#: Loggers that would print message contents or SQL parameters.
PAYLOAD_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot", "aiosqlite", "sqlalchemy.engine")


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then replaces the token, tracebacks included."""

    def __init__(self, fmt: str, token: str | None) -> None:
        super().__init__(fmt)
        self.token = token

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace(self.token, "<token>") if self.token else text


def setup_logging(level: str, token: str | None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", token)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # At DEBUG these log payloads and SQL parameters: residents' texts, even ones sent before
    # consent, which must be kept nowhere. They stay quiet whatever LOG_LEVEL says.
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(root.level, logging.WARNING))
