"""The moment an opinion becomes visible to members, as a first-class event.

Moderation decides when (at submission in post mode, on approval otherwise) and calls
`make_visible`; a retag calls `moved`. Everything members receive flows from these events:
each queues the opinion for the members who follow its sub-district, in the same
transaction."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Self

from bot.domain import District, reference_number
from bot.domain.clock import Clock
from bot.domain.digest import masked
from bot.features.digests.texts import t
from bot.features.digests.views import short
from bot.telegram.labels import category_name, subdistrict_name
from bot.telegram.outbox import Outbox
from bot.telegram.texts import as_lang
from bot.telegram.work import Work
from storage.records import OpinionRecord
from storage.repositories import DigestRepository, OpinionRepository, StaffRepository
from storage.statuses import Priority, VisibilityKind

#: Members who chose "urgent items at once" hear of these as soon as they are visible.
URGENT_CATEGORIES = frozenset({"fire_safety", "electrical_safety"})


@dataclass
class Visibility:
    digests: DigestRepository
    opinions: OpinionRepository
    staff: StaffRepository
    out: Outbox
    _: KW_ONLY
    clock: Clock
    district: District

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(
            work.repo(DigestRepository),
            work.repo(OpinionRepository),
            work.repo(StaffRepository),
            work.out,
            clock=work.clock,
            district=work.district,
        )

    async def make_visible(self, opinion: OpinionRecord) -> int:
        """Record the moment, queue it for its sub-district's members; alert those who want
        safety items at once. Returns how many members it was queued for."""
        queued = await self.digests.make_visible(opinion.id, opinion.subdistrict, self.clock.now())
        if opinion.category in URGENT_CATEGORIES:
            await self._alert(opinion)
        return queued

    async def moved(self, opinion_id: int, subdistrict: str | None) -> int:
        """Retagged to another sub-district: its members get it in their next digest,
        marked as moved (nobody gets it twice; members who no longer follow where it is
        lose it from their unsent queue)."""
        opinion = await self.opinions.get(opinion_id)
        if opinion is None or opinion.subdistrict == subdistrict:
            return 0
        now = self.clock.now()
        await self.opinions.retag(opinion_id, subdistrict, now)
        return await self.digests.make_visible(
            opinion_id,
            subdistrict,
            now,
            moved_from=opinion.subdistrict,
            kind=VisibilityKind.MOVED,
        )

    async def _alert(self, opinion: OpinionRecord) -> None:
        ref = reference_number(self.district.reference_prefix, opinion.id)
        for member in await self.staff.urgent_followers(opinion.subdistrict):
            lang = as_lang(member.lang)
            text = t(
                lang,
                "urgent_alert",
                ref=ref,
                where=subdistrict_name(self.district, opinion.subdistrict, lang),
                category=category_name(opinion.category, lang),
                text=short(masked(opinion.text), 200),
            )
            # Not a reply to anyone: behind residents' replies, like digests.
            await self.out.text(member.telegram_id, text, priority=Priority.BULK)
