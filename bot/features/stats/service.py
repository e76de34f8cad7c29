"""The 三率 of a period, for /stats and for digests, and whose figures a staffer may see.

The rates are defined once, in bot.domain.stats; this reads the few columns they need (one
read for a period and the previous one together) and decides the scope: admins (and members
following "*") see every sub-district, members only theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from typing import Self

from bot.config import Settings
from bot.domain import District
from bot.domain.clock import Clock
from bot.domain.stats import (
    DEFAULT_DAYS,
    Facts,
    Period,
    Reopening,
    Table,
    last_days,
    table,
)
from bot.features.staff.service import parse_subdistricts
from bot.telegram.work import Work
from storage.records import StaffRecord, StatsRow
from storage.repositories import StatsRepository
from storage.statuses import ALL_SUBDISTRICTS, Progress, Role


@dataclass(frozen=True)
class Scope:
    """Whose figures: `codes` in district order; `everywhere`: every sub-district (and items
    not yet placed), as admins see them."""

    codes: tuple[str, ...]
    everywhere: bool

    @property
    def read(self) -> tuple[str, ...] | None:
        """The codes to read (None: all)."""
        return None if self.everywhere else self.codes


class ScopeRefused(Exception):
    """The words name no sub-district (`unknown_subdistrict`) or another's (`not_yours`)."""

    def __init__(self, reason: str, word: str = "") -> None:
        super().__init__(reason, word)
        self.reason = reason
        self.word = word


def sees_everything(member: StaffRecord) -> bool:
    return member.role == Role.ADMIN or ALL_SUBDISTRICTS in member.subdistricts


def scope_for(member: StaffRecord, words: Sequence[str], district: District) -> Scope:
    """The scope `words` ask for (none: everything the staffer may see). A member naming a
    sub-district they do not follow is refused (ScopeRefused), never shown less silently."""
    order = [s.code for s in district.subdistricts]
    codes, unknown = parse_subdistricts(district, words)
    if unknown:
        raise ScopeRefused("unknown_subdistrict", unknown[0])
    everything = sees_everything(member)
    if ALL_SUBDISTRICTS in codes or not codes:
        if everything:
            return Scope(tuple(order), everywhere=True)
        if ALL_SUBDISTRICTS in codes:
            raise ScopeRefused("not_yours")
        mine = [c for c in order if c in member.subdistricts]
        return Scope(tuple(mine), everywhere=False)
    if not everything and any(c not in member.subdistricts for c in codes):
        raise ScopeRefused("not_yours")
    return Scope(tuple(c for c in order if c in codes), everywhere=False)


def facts(rows: Sequence[StatsRow]) -> list[Facts]:
    return [
        Facts(
            subdistrict=r.subdistrict,
            visible_at=r.visible_at,
            first_response_at=r.first_response_at,
            resolved=r.progress == Progress.RESOLVED,
            rating=r.rating,
            reopened=r.progress == Progress.REOPENED,
        )
        for r in rows
    ]


@dataclass
class StatsService:
    stats: StatsRepository
    _: KW_ONLY
    clock: Clock
    settings: Settings
    district: District

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(
            work.repo(StatsRepository),
            clock=work.clock,
            settings=work.settings,
            district=work.district,
        )

    async def table(self, period: Period, scope: Scope, now: datetime | None = None) -> Table:
        """The 三率 of `scope` for `period` against the period of the same length before."""
        now = now or self.clock.now()
        previous = period.previous(self.settings.tz)
        rows = await self.stats.facts(previous.start, period.end, scope.read)
        reopens = await self.stats.reopens(previous.start, period.end, scope.read)
        return table(
            period,
            previous,
            facts(rows),
            [Reopening(code, at) for code, at in reopens],
            codes=scope.codes,
            everywhere=scope.everywhere,
            now=now,
            response_days=self.settings.response_days,
        )

    async def for_digests(self, asked: Sequence[tuple[Sequence[str], datetime]]) -> list[Table]:
        """The digest block's 三率 for many members at once, each (followed sub-districts,
        the digest's period end): the last DEFAULT_DAYS days to then, against the days
        before. One read for the whole batch (two statements), sorted out here.

        A digest period itself (a day) is too short: its items have not had their
        RESPONSE_DAYS yet, so the response rate would nearly always be "—"; the same window
        as a plain /stats makes the digest and /stats agree."""
        if not asked:
            return []
        tz = self.settings.tz
        order = [s.code for s in self.district.subdistricts]
        plans = []
        for followed, end in asked:
            period = last_days(DEFAULT_DAYS, end.astimezone(tz).date(), tz)
            everywhere = ALL_SUBDISTRICTS in followed
            codes = tuple(order) if everywhere else tuple(c for c in order if c in followed)
            plans.append((period, period.previous(tz), codes, everywhere, end))
        lo = min(p[1].start for p in plans)
        hi = max(p[0].end for p in plans)
        wanted: tuple[str, ...] | None = None
        if not any(p[3] for p in plans):
            wanted = tuple(sorted({c for p in plans for c in p[2]}))
        all_facts = facts(await self.stats.facts(lo, hi, wanted))
        all_reopens = [Reopening(c, at) for c, at in await self.stats.reopens(lo, hi, wanted)]
        return [
            table(
                period,
                previous,
                all_facts,
                all_reopens,
                codes=codes,
                everywhere=everywhere,
                now=end,
                response_days=self.settings.response_days,
            )
            for period, previous, codes, everywhere, end in plans
        ]
