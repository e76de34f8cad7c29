"""The 三率 (response, resolution, satisfaction), time to first response and reopenings: /stats
for admins and members, and the block every digest carries (`StatsService.for_digests`,
`digest_block`). Definitions: bot.domain.stats."""

from bot.features.stats import handlers
from bot.features.stats.service import (
    Scope,
    ScopeRefused,
    StatsService,
    scope_for,
    sees_everything,
)
from bot.features.stats.texts import t
from bot.features.stats.views import digest_block, period_refusal, scope_refusal
from bot.telegram.application import Features

__all__ = [
    "Scope",
    "ScopeRefused",
    "StatsService",
    "digest_block",
    "period_refusal",
    "register",
    "scope_for",
    "scope_refusal",
    "sees_everything",
]


def register(features: Features) -> None:
    features.command("stats", handlers.stats, menu=t, rank=240, scope="member")
