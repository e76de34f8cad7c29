"""What the 三率 are computed from: a few columns of the visible opinions of a period, and
the reopenings in it. The rates themselves are defined once, in bot.domain.stats.

Only the needed columns are read (a year of a district is some ten thousand rows); the
median cannot be aggregated portably in SQL, and one definition in plain code is easier to
trust than two.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Opinion, OpinionAction
from storage.records import StatsRow
from storage.statuses import ALL_SUBDISTRICTS, ActionKind, OpinionStatus


def scope(codes: Sequence[str] | None) -> list[Any]:
    """Conditions for opinions of `codes` (None or "*": every one, unplaced included)."""
    if codes is None or ALL_SUBDISTRICTS in codes:
        return []
    return [Opinion.subdistrict.in_(sorted(set(codes)))]


class StatsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def facts(
        self, since: datetime, before: datetime, codes: Sequence[str] | None = None
    ) -> list[StatsRow]:
        """Opinions visible to members now whose `visible_at` is in [since, before)."""
        rows = await self.session.execute(
            select(
                Opinion.id,
                Opinion.subdistrict,
                Opinion.visible_at,
                Opinion.first_response_at,
                Opinion.progress,
                Opinion.rating,
            )
            .where(
                Opinion.status == OpinionStatus.RECEIVED,
                Opinion.visible_at >= since,
                Opinion.visible_at < before,
                *scope(codes),
            )
            .order_by(Opinion.id)
        )
        return [
            StatsRow(int(i), code, visible_at, first, progress, rating)
            for i, code, visible_at, first, progress, rating in rows
            if visible_at is not None
        ]

    async def reopens(
        self, since: datetime, before: datetime, codes: Sequence[str] | None = None
    ) -> list[tuple[str | None, datetime]]:
        """Each reopen action in [since, before) on opinions visible now: the sub-district
        of its opinion, and when."""
        rows = await self.session.execute(
            select(Opinion.subdistrict, OpinionAction.at)
            .join(OpinionAction, OpinionAction.opinion_id == Opinion.id)
            .where(
                OpinionAction.kind == ActionKind.REOPENED,
                OpinionAction.at >= since,
                OpinionAction.at < before,
                Opinion.status == OpinionStatus.RECEIVED,
                *scope(codes),
            )
        )
        return [(code, at) for code, at in rows]
