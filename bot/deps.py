"""What every handler, job and CLI command is given: settings and reference data."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.domain import District, load_district


@dataclass(frozen=True)
class Deps:
    settings: Settings
    district: District
    bot_username: str = ""


def build_deps(settings: Settings, bot_username: str = "") -> Deps:
    return Deps(settings=settings, district=load_district(), bot_username=bot_username)
