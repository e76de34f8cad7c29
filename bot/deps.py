"""What every handler, job and CLI command is given: settings, reference data and the clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.domain import District, load_district
from bot.domain.clock import Clock, SystemClock


@dataclass(frozen=True)
class Deps:
    settings: Settings
    district: District
    bot_username: str = ""
    clock: Clock = field(default_factory=SystemClock)


def build_deps(settings: Settings, bot_username: str = "", clock: Clock | None = None) -> Deps:
    return Deps(
        settings=settings,
        district=load_district(),
        bot_username=bot_username,
        clock=clock or SystemClock(),
    )
