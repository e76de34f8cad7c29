"""Persistence: models, repositories, migrations and sessions. Never imports `bot`."""

from storage.db import create_engine, session_factory, unit_of_work
from storage.migrate import upgrade

__all__ = ["create_engine", "session_factory", "unit_of_work", "upgrade"]
