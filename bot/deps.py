"""What every handler, job and CLI command is given: settings, reference data and the clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.config import Settings
from bot.domain import District, load_district
from bot.domain.clock import Clock, SystemClock

#: A role's command menu per language: ((command, description), …); see Features.menus.
Menus = Mapping[str, Mapping[str, tuple[tuple[str, str], ...]]]


@dataclass(frozen=True)
class Deps:
    settings: Settings
    district: District
    bot_username: str = ""
    clock: Clock = field(default_factory=SystemClock)
    menus: Menus = field(default_factory=dict)


def build_deps(
    settings: Settings,
    bot_username: str = "",
    clock: Clock | None = None,
    menus: Menus | None = None,
) -> Deps:
    return Deps(
        settings=settings,
        district=load_district(),
        bot_username=bot_username,
        clock=clock or SystemClock(),
        menus=menus or {},
    )
