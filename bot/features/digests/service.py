"""Members' digests: what is due, and building each exactly once.

A digest is taken in one transaction (the unique (member, slot) row, the member's schedule
moved past the slot, and the items it takes: every item queued for the member and not yet
taken, see storage.repositories.digests), drawn outside any, and queued in another (its
messages and files as outbox rows, behind a conditional mark on the digest). Two processes
racing for one member meet on the member's row lock, the conditional schedule update and the
unique key; the loser rolls back and sends nothing.

A round takes and queues a batch of members per transaction (`take_batch`, `queue_batch`);
`take_due` and `queue` are the same for one member (the fallback when a batch fails).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, replace
from datetime import datetime, timedelta
from typing import Self

from bot.config import Settings
from bot.domain import District
from bot.domain.clock import Clock
from bot.domain.digest import DigestContent, DigestItem, compose, counts_by_subdistrict, masked
from bot.domain.stats import Table
from bot.features.digests.callbacks import follow_up_keyboard
from bot.features.digests.texts import t
from bot.features.digests.views import AWAITING_SHOWN, AWAITING_WINDOW, DigestView, pack
from bot.features.staff.schedule import Schedule
from bot.features.stats import StatsService
from bot.telegram.keyboards import Keyboard
from bot.telegram.outbox import Outbox
from bot.telegram.texts import Lang, as_lang
from bot.telegram.work import Work
from storage.records import DigestEntry, DigestRecord, StaffRecord
from storage.repositories import DigestRepository, FollowupRepository, StaffRepository
from storage.repositories.digests import NewDigest
from storage.statuses import DigestKind, Frequency, Priority

#: A digest taken this long ago and still not queued was left by a crash: draw it again.
RETAKE_AFTER = timedelta(minutes=2)


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


def as_items(
    entries: Sequence[DigestEntry], masks: dict[int, str] | None = None
) -> list[DigestItem]:
    """What members may see of each entry: the text masked, no resident identity. `masks`:
    texts already masked, by opinion (a batch of members shares most of its items)."""
    if masks is None:
        masks = {}
    return [
        DigestItem(
            opinion_id=e.opinion_id,
            subdistrict=e.subdistrict,
            category=e.category,
            status=e.status,
            text=masks[e.opinion_id]
            if e.opinion_id in masks
            else masks.setdefault(e.opinion_id, masked(e.text)),
            created_at=e.created_at,
            visible_at=e.visible_at,
            moved_from=e.moved_from,
            photo_count=e.photo_count,
            has_location=e.has_location,
            supporters=e.supporters,
            progress=e.progress,
        )
        for e in entries
    ]


@dataclass(frozen=True)
class Taken:
    """A digest whose items are taken (committed), to be drawn and queued."""

    member: StaffRecord
    digest_id: int
    slot: datetime
    period_start: datetime
    period_end: datetime
    catch_up: bool
    items: tuple[DigestItem, ...]
    previous_counts: dict[str, int] | None
    awaiting: tuple[int, tuple[DigestItem, ...]]
    #: The 三率 of the member's sub-districts (bot.features.stats), read when taken.
    rates: Table | None = None


@dataclass(frozen=True)
class Plan:
    """A member's digest slot, worked out from their row as it was read (`DigestService.plan`)."""

    member: StaffRecord
    slot: datetime | None  # due now for this slot (None: not due)
    catch_up: bool
    next_due: datetime | None


@dataclass(frozen=True)
class Rendered:
    """What a digest sends: its messages, and (filename, bytes, caption) of its files."""

    texts: tuple[str, ...]
    photo: tuple[str, bytes, str] | None = None
    document: tuple[str, bytes, str] | None = None
    #: What its follow-up button offers: the items in the digest's order (then those
    #: awaiting follow-up), and its clusters of several residents.
    order: tuple[int, ...] = ()
    clusters: tuple[tuple[int, ...], ...] = ()
    lang: str = "zh"


def _delivered(taken: Taken, rows: int) -> Delivered:
    return Delivered(
        taken.member.telegram_id,
        taken.digest_id,
        taken.slot,
        len(taken.items),
        taken.catch_up,
        rows,
    )


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
    followup: FollowupRepository
    _: KW_ONLY
    clock: Clock
    settings: Settings
    district: District
    stats: StatsService

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(
            work.repo(StaffRepository),
            work.repo(DigestRepository),
            work.out,
            work.repo(FollowupRepository),
            clock=work.clock,
            settings=work.settings,
            district=work.district,
            stats=work.service(StatsService),
        )

    async def due(self, now: datetime, limit: int = 200) -> list[int]:
        """Members whose digest time has come."""
        return await self.staff.due(now, limit)

    async def due_members(self, now: datetime, limit: int) -> list[StaffRecord]:
        """Members whose digest time has come, as they are now (to plan, see `plan`)."""
        ids = await self.staff.due(now, limit)
        members = await self.digests.members(ids)
        return [members[i] for i in ids if i in members]

    def plan(self, member: StaffRecord, now: datetime) -> Plan:
        """Which of the member's slots is due at `now`. Cron arithmetic, a few milliseconds
        a member: a round plans a batch in a thread, outside any transaction."""
        schedule = Schedule.of(member, self.settings.tz)
        slot = schedule.due_slot(member, now)
        catch_up = slot is not None and schedule.missed_slots(member, slot)
        return Plan(member, slot, catch_up, schedule.next_after(now))

    async def take_due(self, member_id: int, now: datetime) -> Taken | None:
        """Take the member's digest for their latest due slot, if one is due: the digest
        row, its items and what it needs to be drawn, in one short transaction (on SQLite it
        holds the write lock, so nothing slow happens here). None when nothing is due.

        Raises SlotTaken (or IntegrityError) when another process got there first: the
        caller rolls back."""
        member = await self.staff.lock(member_id)
        if member is None or member.frequency == Frequency.OFF or member.unreachable_at:
            return None
        plan = self.plan(member, now)
        if plan.slot is None:
            # Looked at early (the clock moved back, or settings changed): look again then.
            await self.staff.update(member_id, next_due=plan.next_due)
            return None
        previous = await self.digests.last(member_id)
        period_start = previous.period_end if previous else member.granted_at
        kind = DigestKind.CATCH_UP if plan.catch_up else DigestKind.SCHEDULED
        digest = await self.digests.start_digest(member_id, plan.slot, kind, period_start, now)
        if not await self.staff.advance(member_id, member.last_slot, plan.slot, plan.next_due):
            raise SlotTaken(member_id)
        items = as_items(await self.digests.take(member_id, digest.id))
        await self.digests.finish(digest.id, len(items), counts_by_subdistrict(items))
        return await self._taken(member, digest, items, previous)

    async def rates_for(self, plans: Sequence[Plan], now: datetime) -> dict[int, Table]:
        """The 三率 block of each planned member, read before the take in a transaction of
        its own (on SQLite every transaction holds the write lock: the take's stays short)."""
        tables = await self.stats.for_digests([(p.member.subdistricts, now) for p in plans])
        return {p.member.telegram_id: t for p, t in zip(plans, tables, strict=True)}

    async def take_batch(
        self, plans: Sequence[Plan], now: datetime, rates: Mapping[int, Table] | None = None
    ) -> list[Taken]:
        """`take_due` for many members in one transaction, in a fixed number of statements
        (so the write lock is taken once per batch and held briefly), from their plans made
        at `now` (a member whose row changed since is planned again). Members not due are
        skipped. Raises (IntegrityError, LookupError) when another process took any of them
        first: the caller rolls the batch back and takes its members one by one."""
        members = await self.digests.members([p.member.telegram_id for p in plans], lock=True)
        due: list[Plan] = []
        for planned in plans:
            member = members.get(planned.member.telegram_id)
            if member is None or member.frequency == Frequency.OFF or member.unreachable_at:
                continue
            plan = planned if member == planned.member else self.plan(member, now)
            if plan.slot is None:  # looked at early (see take_due)
                await self.staff.update(member.telegram_id, next_due=plan.next_due)
                continue
            due.append(plan)
        if not due:
            return []
        previous = await self.digests.last_of([p.member.telegram_id for p in due])
        new = [
            NewDigest(
                member_id=p.member.telegram_id,
                slot=p.slot,
                kind=DigestKind.CATCH_UP if p.catch_up else DigestKind.SCHEDULED,
                period_start=(
                    previous[p.member.telegram_id].period_end
                    if p.member.telegram_id in previous
                    else p.member.granted_at
                ),
                last_slot=p.member.last_slot,
                next_due=p.next_due,
            )
            for p in due
            if p.slot is not None
        ]
        started = await self.digests.start_digests(new, now)
        taken = await self.digests.take_many({m: d.id for m, d in started.items()})
        masks: dict[int, str] = {}
        items = {d: as_items(entries, masks) for d, entries in taken.items()}
        await self.digests.finish_many(
            {d: (len(i), counts_by_subdistrict(i)) for d, i in items.items()}
        )
        awaiting = await self.digests.awaiting_many(
            [
                (p.member.subdistricts, d.period_end - AWAITING_WINDOW, d.period_start)
                for p in due
                for d in (started[p.member.telegram_id],)
            ],
            AWAITING_SHOWN,
        )
        # The 三率 block: read before the take (`rates_for`), or here in one read for the batch.
        if rates is not None and all(p.member.telegram_id in rates for p in due):
            tables = [rates[p.member.telegram_id] for p in due]
        else:
            tables = await self.stats.for_digests(
                [(p.member.subdistricts, started[p.member.telegram_id].period_end) for p in due]
            )
        out = []
        for plan, (total, oldest), block in zip(due, awaiting, tables, strict=True):
            digest = started[plan.member.telegram_id]
            made = self._made(
                plan.member,
                digest,
                items[digest.id],
                previous.get(plan.member.telegram_id),
                (total, tuple(as_items(oldest, masks))),
            )
            out.append(replace(made, rates=block))
        return out

    async def retake(self, digest_id: int) -> Taken | None:
        """A digest taken but never queued (a crash in between): the same items again."""
        digest = await self.digests.get(digest_id)
        if digest is None or digest.queued_at is not None:
            return None
        member = await self.staff.get(digest.member_id)
        if member is None:
            return None
        items = as_items(await self.digests.taken_by(digest_id))
        previous = await self.digests.previous(digest.member_id, digest_id)
        return await self._taken(member, digest, items, previous)

    async def _taken(
        self,
        member: StaffRecord,
        digest: DigestRecord,
        items: list[DigestItem],
        previous: DigestRecord | None,
    ) -> Taken:
        total, oldest = await self.digests.awaiting(
            member.subdistricts,
            digest.period_end - AWAITING_WINDOW,
            digest.period_start,
            AWAITING_SHOWN,
        )
        (rates,) = await self.stats.for_digests([(member.subdistricts, digest.period_end)])
        made = self._made(member, digest, items, previous, (total, tuple(as_items(oldest))))
        return replace(made, rates=rates)

    @staticmethod
    def _made(
        member: StaffRecord,
        digest: DigestRecord,
        items: list[DigestItem],
        previous: DigestRecord | None,
        awaiting: tuple[int, tuple[DigestItem, ...]],
    ) -> Taken:
        return Taken(
            member=member,
            digest_id=digest.id,
            slot=digest.slot,
            period_start=digest.period_start,
            period_end=digest.period_end,
            catch_up=digest.kind == DigestKind.CATCH_UP,
            items=tuple(items),
            previous_counts=previous.counts if previous else None,
            awaiting=awaiting,
        )

    def render(self, taken: Taken, *, preview: bool = False) -> Rendered:
        """Messages, chart and sheet of a taken digest: CPU work and no database, so it runs
        in a thread, outside any transaction."""
        member = taken.member
        content = self._compose(
            member, list(taken.items), taken.period_start, taken.period_end, taken.previous_counts
        )
        lang: Lang = as_lang(member.lang)
        view = DigestView(
            content, self.district, lang, self.settings.tz, self.district.reference_prefix
        )
        if not content.items:
            if preview:
                return Rendered((t(lang, "preview_empty", period=view.period()),))
            if member.empty_note:
                return Rendered((t(lang, "empty_period", period=view.period()),))
            return Rendered(())
        blocks = view.blocks(
            preview=preview,
            catch_up=taken.catch_up,
            awaiting=taken.awaiting,
            with_files=True,
            rates=taken.rates,
        )
        named = taken.slot if not preview else taken.period_end
        stamp = named.astimezone(self.settings.tz).strftime("%Y%m%d-%H%M")
        order = [i.opinion_id for i in content.items]
        order += [i.opinion_id for i in taken.awaiting[1] if i.opinion_id not in order]
        return Rendered(
            tuple(pack(blocks)),
            photo=(f"yushi-digest-{stamp}.png", view.chart(), view.chart_caption()),
            document=(f"yushi-digest-{stamp}.xlsx", view.sheet(), t(lang, "sheet_caption")),
            order=tuple(order),
            clusters=tuple(
                g.opinion_ids for g in content.clusters if g.residents > 1 and g.size > 1
            ),
            lang=lang,
        )

    async def queue(self, taken: Taken, rendered: Rendered) -> Delivered | None:
        """Queue what was drawn, once: None when another process queued this digest."""
        if not await self.digests.mark_queued(taken.digest_id, self.clock.now()):
            return None
        buttons = await self._follow_up_buttons([(taken, rendered)])
        rows = await self._send(
            taken.member.telegram_id, rendered, Priority.BULK, buttons.get(taken.digest_id)
        )
        return _delivered(taken, rows)

    async def queue_batch(self, drawn: Sequence[tuple[Taken, Rendered]]) -> list[Delivered]:
        """`queue` for many digests in one transaction: one conditional mark for all of them,
        then the messages and files of those this transaction marked (a digest another
        process queued meanwhile is left out)."""
        mine = await self.digests.mark_queued_many(
            [t.digest_id for t, _ in drawn], self.clock.now()
        )
        out = []
        buttons = await self._follow_up_buttons([d for d in drawn if d[0].digest_id in mine])
        async with self.out.batched():
            for taken, rendered in drawn:
                if taken.digest_id in mine:
                    rows = await self._send(
                        taken.member.telegram_id,
                        rendered,
                        Priority.BULK,
                        buttons.get(taken.digest_id),
                    )
                    out.append(_delivered(taken, rows))
        return out

    async def _follow_up_buttons(
        self, drawn: Sequence[tuple[Taken, Rendered]]
    ) -> dict[int, Keyboard]:
        """The digests' clusters, and one follow-up card per digest with items, recorded in
        the queueing transaction (a statement each for the batch, not one per member): the
        one button under a digest opens a paged picker of its items and clusters, so the
        digest itself stays a readable text however many items it has."""
        chosen = [(tk, r) for tk, r in drawn if r.order and tk.digest_id]
        await self.digests.set_clusters_many(
            {tk.digest_id: [list(c) for c in r.clusters] for tk, r in chosen}
        )
        ids = await self.followup.add_cards(
            [
                (
                    tk.member.telegram_id,
                    r.order,
                    {
                        "kind": "digest",
                        "digest": tk.digest_id,
                        "clusters": [list(c) for c in r.clusters],
                    },
                )
                for tk, r in chosen
            ],
            self.clock.now(),
        )
        return {
            tk.digest_id: follow_up_keyboard(card_id, as_lang(r.lang))
            for (tk, r), card_id in zip(chosen, ids, strict=True)
        }

    async def unqueued(self, now: datetime) -> list[int]:
        """Digests taken at least RETAKE_AFTER ago and still not queued."""
        return await self.digests.unqueued(now - RETAKE_AFTER)

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
        """/digest: the items the next digest would take, shown now; nothing is taken.

        Drawn inside the update's transaction, which the processor commits once, with the
        inbox row: a handler has no step after that commit to draw in. On SQLite the write
        lock is held meanwhile (a few ms for a drawing already cached, about a second for a
        cold one of hundreds of items)."""
        now = self.clock.now()
        previous = await self.digests.last(member.telegram_id)
        period_start = previous.period_end if previous else member.granted_at
        items = as_items(await self.digests.pending(member.telegram_id))
        total, oldest = await self.digests.awaiting(
            member.subdistricts, now - AWAITING_WINDOW, period_start, AWAITING_SHOWN
        )
        taken = Taken(
            member=member,
            digest_id=0,
            slot=now,
            period_start=period_start,
            period_end=now,
            catch_up=False,
            items=tuple(items),
            previous_counts=previous.counts if previous else None,
            awaiting=(total, tuple(as_items(oldest))),
            rates=(await self.stats.for_digests([(member.subdistricts, now)]))[0],
        )
        rendered = await asyncio.to_thread(self.render, taken, preview=True)
        keyboard = None
        if rendered.order:
            card = await self.followup.add_card(
                member.telegram_id,
                rendered.order,
                {"kind": "digest", "clusters": [list(c) for c in rendered.clusters]},
                now,
            )
            keyboard = follow_up_keyboard(card.id, as_lang(rendered.lang))
        return await self._send(member.telegram_id, rendered, Priority.REPLY, keyboard)

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
        chat: int,
        rendered: Rendered,
        priority: Priority,
        keyboard: Keyboard | None = None,
    ) -> int:
        last = len(rendered.texts) - 1
        for n, text in enumerate(rendered.texts):  # `pack` cut them to size while drawing
            buttons = keyboard if n == last else None
            await self.out.text(chat, text, buttons, priority=priority, fits=True)
        rows = len(rendered.texts)
        if rendered.photo is not None:
            await self.out.photo(chat, *rendered.photo, priority=priority)
            rows += 1
        if rendered.document is not None:
            await self.out.document(chat, *rendered.document, priority=priority)
            rows += 1
        return rows
