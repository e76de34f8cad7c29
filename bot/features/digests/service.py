"""Members' digests: what is due, and building one exactly once.

A digest is made in one transaction per member: the unique (member, slot) row, the items it
takes (every item queued for the member and not yet taken, see storage.repositories.digests),
and its messages and files as outbox rows. Two processes racing for one member meet on the
unique key and the member's row lock; the loser rolls back and sends nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from typing import Self

from bot.config import Settings
from bot.domain import District
from bot.domain.clock import Clock
from bot.domain.digest import DigestContent, DigestItem, compose, counts_by_subdistrict, masked
from bot.features.digests.texts import t
from bot.features.digests.views import DigestView, pack
from bot.features.staff.schedule import Schedule
from bot.telegram.outbox import Outbox
from bot.telegram.texts import Lang, as_lang
from bot.telegram.work import Work
from storage.records import DigestEntry, StaffRecord
from storage.repositories import DigestRepository, StaffRepository
from storage.statuses import DigestKind, Frequency, Priority

AWAITING_SHOWN = 10


class SlotTaken(Exception):
    """Another process delivered this member's digest for the slot first."""


@dataclass(frozen=True)
class Delivered:
    member_id: int
    digest_id: int
    slot: datetime
    items: int
    catch_up: bool
    messages: int


def as_items(entries: Sequence[DigestEntry]) -> list[DigestItem]:
    """What members may see of each entry: the text masked, no resident identity."""
    return [
        DigestItem(
            opinion_id=e.opinion_id,
            subdistrict=e.subdistrict,
            category=e.category,
            status=e.status,
            text=masked(e.text),
            created_at=e.created_at,
            visible_at=e.visible_at,
            moved_from=e.moved_from,
            photo_count=e.photo_count,
            has_location=e.has_location,
            supporters=e.supporters,
        )
        for e in entries
    ]


@dataclass(frozen=True)
class Due:
    member: StaffRecord
    slot: datetime | None  # due now for this slot (None: not due)
    catch_up: bool
    next_slot: datetime | None
    waiting: int  # items queued for the member's next digest


@dataclass
class DigestService:
    staff: StaffRepository
    digests: DigestRepository
    out: Outbox
    _: KW_ONLY
    clock: Clock
    settings: Settings
    district: District

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(
            work.repo(StaffRepository),
            work.repo(DigestRepository),
            work.out,
            clock=work.clock,
            settings=work.settings,
            district=work.district,
        )

    async def due(self, now: datetime, limit: int = 200) -> list[int]:
        """Members whose digest time has come."""
        return await self.staff.due(now, limit)

    async def deliver_due(self, member_id: int, now: datetime) -> Delivered | None:
        """The member's digest for their latest due slot, if one is due; None otherwise.

        Raises SlotTaken (or IntegrityError) when another process got there first: the
        caller rolls back."""
        member = await self.staff.lock(member_id)
        if member is None or member.frequency == Frequency.OFF or member.unreachable_at:
            return None
        schedule = Schedule.of(member, self.settings.tz)
        slot = schedule.due_slot(member, now)
        if slot is None:
            # Looked at early (the clock moved back, or settings changed): look again then.
            await self.staff.update(member_id, next_due=schedule.next_after(now))
            return None
        catch_up = schedule.missed_slots(member, slot)
        previous = await self.digests.last(member_id)
        period_start = previous.period_end if previous else member.granted_at
        kind = DigestKind.CATCH_UP if catch_up else DigestKind.SCHEDULED
        digest = await self.digests.start_digest(member_id, slot, kind, period_start, now)
        if not await self.staff.advance(
            member_id, member.last_slot, slot, schedule.next_after(now)
        ):
            raise SlotTaken(member_id)
        items = as_items(await self.digests.take(member_id, digest.id))
        # Clustering and drawing are CPU work: in a thread, so residents' updates keep
        # flowing on the event loop while a digest round is built.
        # Clustering and drawing are CPU work: in a thread, so residents' updates keep
        # flowing on the event loop while a digest round is built.
        content = await asyncio.to_thread(
            self._compose, member, items, period_start, now, previous.counts if previous else None
        )
        await self.digests.finish(digest.id, len(items), counts_by_subdistrict(items))
        messages = await self._send(member, content, catch_up=catch_up, preview=False, named=slot)
        return Delivered(member_id, digest.id, slot, len(items), catch_up, messages)

    async def overview(self, now: datetime) -> list[Due]:
        """Every member's digest state now: for `yushi digest`."""
        out = []
        for member in await self.staff.all():
            schedule = Schedule.of(member, self.settings.tz)
            slot = schedule.due_slot(member, now)
            out.append(
                Due(
                    member=member,
                    slot=slot,
                    catch_up=slot is not None and schedule.missed_slots(member, slot),
                    next_slot=schedule.next_after(now),
                    waiting=await self.digests.pending_count(member.telegram_id),
                )
            )
        return out

    async def preview(self, member: StaffRecord) -> int:
        """/digest: the items the next digest would take, shown now; nothing is taken."""
        now = self.clock.now()
        previous = await self.digests.last(member.telegram_id)
        period_start = previous.period_end if previous else member.granted_at
        items = as_items(await self.digests.pending(member.telegram_id))
        content = await asyncio.to_thread(
            self._compose, member, items, period_start, now, previous.counts if previous else None
        )
        return await self._send(
            member, content, catch_up=False, preview=True, named=now, priority=Priority.REPLY
        )

    def _compose(
        self,
        member: StaffRecord,
        items: list[DigestItem],
        start: datetime,
        end: datetime,
        previous_counts: dict[str, int] | None,
    ) -> DigestContent:
        return compose(
            items,
            period_start=start,
            period_end=end,
            followed=member.subdistricts,
            subdistrict_order=[s.code for s in self.district.subdistricts],
            previous_counts=previous_counts,
        )

    async def _send(
        self,
        member: StaffRecord,
        content: DigestContent,
        *,
        catch_up: bool,
        preview: bool,
        named: datetime,
        priority: Priority = Priority.BULK,
    ) -> int:
        """Queue the digest's messages, chart and sheet (files named after `named`, the
        digest time, in local time); returns how many rows."""
        lang: Lang = as_lang(member.lang)
        view = DigestView(
            content, self.district, lang, self.settings.tz, self.district.reference_prefix
        )
        chat = member.telegram_id
        if not content.items:
            if preview:
                await self.out.text(
                    chat, t(lang, "preview_empty", period=view.period()), priority=priority
                )
                return 1
            if member.empty_note:
                await self.out.text(
                    chat, t(lang, "empty_period", period=view.period()), priority=priority
                )
                return 1
            return 0
        # Items of earlier periods nobody has answered yet (this period's are listed above).
        total, oldest = await self.digests.awaiting(
            member.subdistricts, content.period_start, AWAITING_SHOWN
        )
        blocks = view.blocks(
            preview=preview, catch_up=catch_up, awaiting=(total, as_items(oldest)), with_files=True
        )
        messages = pack(blocks)
        for text in messages:
            await self.out.text(chat, text, priority=priority)
        chart, sheet = await asyncio.to_thread(lambda: (view.chart(), view.sheet()))
        stamp = named.astimezone(self.settings.tz).strftime("%Y%m%d-%H%M")
        await self.out.photo(
            chat, f"yushi-digest-{stamp}.png", chart, view.chart_caption(), priority=priority
        )
        await self.out.document(
            chat,
            f"yushi-digest-{stamp}.xlsx",
            sheet,
            t(lang, "sheet_caption"),
            priority=priority,
        )
        return len(messages) + 2
