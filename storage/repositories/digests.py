"""What members are owed and what their digests took.

An opinion becomes visible at one recorded moment (`visibility_events`); the same statement
queues it for every member following its sub-district (`digest_items`). A digest takes the
member's queued items with one UPDATE, so an item queued by a transaction that commits late
is simply still queued for the next digest: no window on time or ids, nothing lost to
commit order, and the unique (member, opinion) key keeps any item from reaching one member
twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Digest,
    DigestItem,
    Opinion,
    OpinionSupporter,
    Staff,
    StaffSubdistrict,
    UTCDateTime,
    VisibilityEvent,
)
from storage.records import DigestEntry, DigestRecord, StaffRecord
from storage.repositories.staff import staff_record
from storage.statuses import ALL_SUBDISTRICTS, OpinionStatus, Progress, VisibilityKind


def _digest(row: Digest) -> DigestRecord:
    return DigestRecord(
        id=row.id,
        member_id=row.member_id,
        slot=row.slot,
        kind=row.kind,
        period_start=row.period_start,
        period_end=row.period_end,
        item_count=row.item_count,
        counts={str(k): int(v) for k, v in row.counts.items()},
        created_at=row.created_at,
        queued_at=row.queued_at,
    )


def _entry_columns(moved_from: Any, queued_at: Any) -> tuple[Any, ...]:
    """The columns `_entries` reads, in its order."""
    return (
        Opinion.id,
        Opinion.subdistrict,
        Opinion.category,
        Opinion.status,
        Opinion.text,
        Opinion.created_at,
        Opinion.visible_at,
        moved_from,
        Opinion.photo_file_ids,
        Opinion.latitude,
        queued_at,
        select(func.count())
        .where(OpinionSupporter.opinion_id == Opinion.id)
        .correlate(Opinion)
        .scalar_subquery(),
        Opinion.progress,
    )


_ENTRY_COLUMNS = _entry_columns(DigestItem.moved_from, DigestItem.queued_at)
#: An opinion's columns alone, in the same places (the item's own two left empty).
_OPINION_COLUMNS = _entry_columns(literal(None, String), literal(None, UTCDateTime()))


def _entry(row: Sequence[Any]) -> DigestEntry:
    op_id, sd, cat, status, text, created, visible, moved, photos, lat, queued, sup, prog = row
    return DigestEntry(
        opinion_id=int(op_id),
        subdistrict=sd,
        category=str(cat),
        status=str(status),
        text=text,
        created_at=created,
        visible_at=visible or queued,
        moved_from=moved,
        photo_count=len(photos or []),
        has_location=lat is not None,
        supporters=int(sup or 0),
        progress=prog,
    )


def _entries(rows: Iterable[Sequence[Any]]) -> list[DigestEntry]:
    return [_entry(row) for row in rows]


@dataclass(frozen=True)
class NewDigest:
    """A digest to start in a batch, and the member's schedule moving past its slot."""

    member_id: int
    slot: datetime
    kind: str
    period_start: datetime
    last_slot: datetime | None  # the member's slot before this one (the conditional advance)
    next_due: datetime | None


#: "Still awaiting follow-up": nobody responded yet, or the resident reopened it.
_AWAITING = Opinion.progress.is_(None) | (Opinion.progress == Progress.REOPENED)


def _wanted(subdistrict: str | None) -> list[str]:
    """What a follower of `subdistrict` follows: it, or everything (None: not yet placed)."""
    return [ALL_SUBDISTRICTS] if subdistrict is None else [ALL_SUBDISTRICTS, subdistrict]


def _followed_by(member: object, subdistrict: str | None) -> object:
    """SQL: `member` follows `subdistrict` (or everything)."""
    return exists().where(
        StaffSubdistrict.telegram_id == member,
        StaffSubdistrict.subdistrict.in_(_wanted(subdistrict)),
    )


class DigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def make_visible(
        self,
        opinion_id: int,
        subdistrict: str | None,
        now: datetime,
        *,
        moved_from: str | None = None,
        kind: VisibilityKind = VisibilityKind.VISIBLE,
    ) -> int:
        """Record the moment and queue the opinion for every member who follows its
        sub-district and has not had it yet. Returns how many members it was queued for."""
        event = VisibilityEvent(
            opinion_id=opinion_id,
            kind=kind,
            subdistrict=subdistrict,
            from_subdistrict=moved_from,
            at=now,
        )
        self.session.add(event)
        await self.session.flush()
        await self.session.execute(
            update(Opinion)
            .where(Opinion.id == opinion_id, Opinion.visible_at.is_(None))
            .values(visible_at=now)
        )
        if kind is VisibilityKind.MOVED:
            # Members who no longer follow where it is lose it from their queue (unsent).
            await self.session.execute(
                delete(DigestItem).where(
                    DigestItem.opinion_id == opinion_id,
                    DigestItem.digest_id.is_(None),
                    ~_followed_by(DigestItem.member_id, subdistrict),  # type: ignore[operator]
                )
            )
        had = aliased(DigestItem)
        members = (
            select(
                StaffSubdistrict.telegram_id,
                literal(opinion_id, Integer),
                literal(event.id, Integer),
                literal(moved_from, String),
                literal(now, UTCDateTime()),
            )
            .where(
                StaffSubdistrict.subdistrict.in_(_wanted(subdistrict)),
                ~exists().where(
                    had.member_id == StaffSubdistrict.telegram_id, had.opinion_id == opinion_id
                ),
            )
            .distinct()
        )
        result = await self.session.execute(
            insert(DigestItem).from_select(
                ["member_id", "opinion_id", "event_id", "moved_from", "queued_at"], members
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def requeue(self, opinion_id: int, subdistrict: str | None, now: datetime) -> int:
        """A reopened opinion reaches its members' next digest again (marked reopened by
        its progress). The unique (member, opinion) item is queued again rather than a
        second one added: members who had it get it back in their queue, members who
        follow its sub-district and never had it get it queued now (under its latest
        visibility event). Returns how many members it is queued for."""
        requeued = await self.session.execute(
            update(DigestItem)
            .where(
                DigestItem.opinion_id == opinion_id,
                DigestItem.digest_id.is_not(None),
                _followed_by(DigestItem.member_id, subdistrict),  # type: ignore[arg-type]
            )
            .values(digest_id=None, queued_at=now)
        )
        event_id = await self.session.scalar(
            select(func.max(VisibilityEvent.id)).where(VisibilityEvent.opinion_id == opinion_id)
        )
        added = 0
        if event_id is not None:
            had = aliased(DigestItem)
            members = (
                select(
                    StaffSubdistrict.telegram_id,
                    literal(opinion_id, Integer),
                    literal(int(event_id), Integer),
                    literal(now, UTCDateTime()),
                )
                .where(
                    StaffSubdistrict.subdistrict.in_(_wanted(subdistrict)),
                    ~exists().where(
                        had.member_id == StaffSubdistrict.telegram_id,
                        had.opinion_id == opinion_id,
                    ),
                )
                .distinct()
            )
            result = await self.session.execute(
                insert(DigestItem).from_select(
                    ["member_id", "opinion_id", "event_id", "queued_at"], members
                )
            )
            added = int(getattr(result, "rowcount", 0) or 0)
        return int(getattr(requeued, "rowcount", 0) or 0) + added

    async def set_clusters_many(self, clusters: dict[int, list[list[int]]]) -> None:
        """Each digest's clusters of several residents ({digest id: [[opinion id…]…]}),
        recorded in the step that queues it."""
        if not clusters:
            return
        conn = await self.session.connection()
        await conn.execute(
            update(Digest).where(Digest.id == bindparam("d")).values(clusters=bindparam("c")),
            [{"d": d, "c": c} for d, c in clusters.items()],
        )

    async def pending(self, member_id: int) -> list[DigestEntry]:
        """What the member's next digest would take now (for /digest; takes nothing)."""
        rows = await self.session.execute(
            select(*_ENTRY_COLUMNS)
            .join(Opinion, Opinion.id == DigestItem.opinion_id)
            .where(DigestItem.member_id == member_id, DigestItem.digest_id.is_(None))
            .order_by(DigestItem.id)
        )
        return _entries(rows)

    async def pending_count(self, member_id: int) -> int:
        n = await self.session.scalar(
            select(func.count())
            .select_from(DigestItem)
            .where(DigestItem.member_id == member_id, DigestItem.digest_id.is_(None))
        )
        return int(n or 0)

    async def start_digest(
        self,
        member_id: int,
        slot: datetime,
        kind: str,
        period_start: datetime,
        now: datetime,
    ) -> DigestRecord:
        """A digest for (member, slot); IntegrityError when another process made it."""
        row = Digest(
            member_id=member_id,
            slot=slot,
            kind=kind,
            period_start=period_start,
            period_end=now,
            item_count=0,
            counts={},
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return _digest(row)

    async def take(self, member_id: int, digest_id: int) -> list[DigestEntry]:
        """Every item queued for the member and not yet taken, now taken by this digest."""
        await self.session.execute(
            update(DigestItem)
            .where(DigestItem.member_id == member_id, DigestItem.digest_id.is_(None))
            .values(digest_id=digest_id)
        )
        return await self.taken_by(digest_id)

    async def get(self, digest_id: int) -> DigestRecord | None:
        row = await self.session.get(Digest, digest_id, populate_existing=True)
        return _digest(row) if row else None

    async def taken_by(self, digest_id: int) -> list[DigestEntry]:
        rows = await self.session.execute(
            select(*_ENTRY_COLUMNS)
            .join(Opinion, Opinion.id == DigestItem.opinion_id)
            .where(DigestItem.digest_id == digest_id)
            .order_by(DigestItem.id)
        )
        return _entries(rows)

    async def mark_queued(self, digest_id: int, now: datetime) -> bool:
        """Once: false when another process queued this digest's messages already."""
        result = await self.session.execute(
            update(Digest)
            .where(Digest.id == digest_id, Digest.queued_at.is_(None))
            .values(queued_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def unqueued(self, created_before: datetime, limit: int = 50) -> list[int]:
        """Digests taken but never queued (a crash between the two), oldest first."""
        rows = await self.session.scalars(
            select(Digest.id)
            .where(Digest.queued_at.is_(None), Digest.created_at < created_before)
            .order_by(Digest.id)
            .limit(limit)
        )
        return list(rows)

    async def previous(self, member_id: int, digest_id: int) -> DigestRecord | None:
        row = await self.session.scalar(
            select(Digest)
            .where(Digest.member_id == member_id, Digest.id < digest_id)
            .order_by(Digest.id.desc())
            .limit(1)
        )
        return _digest(row) if row else None

    async def finish(self, digest_id: int, item_count: int, counts: dict[str, int]) -> None:
        await self.session.execute(
            update(Digest)
            .where(Digest.id == digest_id)
            .values(item_count=item_count, counts=counts)
        )

    async def last(self, member_id: int, before_id: int | None = None) -> DigestRecord | None:
        stmt = select(Digest).where(Digest.member_id == member_id)
        if before_id is not None:
            stmt = stmt.where(Digest.id < before_id)
        row = await self.session.scalar(stmt.order_by(Digest.id.desc()).limit(1))
        return _digest(row) if row else None

    async def drop_pending_for_opinion(self, opinion_id: int) -> int:
        """Hidden, rejected or merged: members who have not received it yet will not."""
        result = await self.session.execute(
            delete(DigestItem).where(
                DigestItem.opinion_id == opinion_id, DigestItem.digest_id.is_(None)
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def drop_unfollowed(self, member_id: int) -> int:
        """Queued items of sub-districts the member no longer follows go (unsent)."""
        result = await self.session.execute(
            delete(DigestItem).where(
                DigestItem.member_id == member_id,
                DigestItem.digest_id.is_(None),
                ~exists().where(
                    Opinion.id == DigestItem.opinion_id,
                    _followed_by(member_id, Opinion.subdistrict),  # type: ignore[arg-type]
                ),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def awaiting(
        self, subdistricts: Iterable[str], since: datetime, before: datetime, limit: int
    ) -> tuple[int, list[DigestEntry]]:
        """Items of these sub-districts visible in [since, before) (earlier periods, recent
        enough to follow up) that nobody has answered yet: how many, and the oldest `limit`
        of them. The window keeps the cost to the recent past, whatever the history."""
        codes = list(subdistricts)
        where = [
            Opinion.visible_at >= since,
            Opinion.visible_at < before,
            Opinion.status == OpinionStatus.RECEIVED,
            _AWAITING,
        ]
        if ALL_SUBDISTRICTS not in codes:
            where.append(Opinion.subdistrict.in_(codes))
        total = await self.session.scalar(select(func.count()).select_from(Opinion).where(*where))
        rows = await self.session.execute(
            select(*_entry_columns(literal(None, String), Opinion.visible_at))
            .where(*where)
            .order_by(Opinion.visible_at, Opinion.id)
            .limit(limit)
        )
        return int(total or 0), _entries(rows)

    async def delivered(self, member_id: int) -> list[int]:
        """Opinion ids the member's digests took, in order (for checks and tests)."""
        rows = await self.session.scalars(
            select(DigestItem.opinion_id)
            .where(DigestItem.member_id == member_id, DigestItem.digest_id.is_not(None))
            .order_by(DigestItem.digest_id, DigestItem.id)
        )
        return list(rows)

    async def events_for(
        self, opinion_id: int
    ) -> list[tuple[str, str | None, str | None, datetime]]:
        rows = await self.session.execute(
            select(
                VisibilityEvent.kind,
                VisibilityEvent.subdistrict,
                VisibilityEvent.from_subdistrict,
                VisibilityEvent.at,
            )
            .where(VisibilityEvent.opinion_id == opinion_id)
            .order_by(VisibilityEvent.id)
        )
        return [(k, s, f, a) for k, s, f, a in rows]

    # --- a batch of members in one transaction -------------------------------------------
    # A digest round takes many members' digests in a few statements per batch, not a few
    # per member: on SQLite every statement of a transaction is a round trip through the
    # driver's thread while the write lock is held.

    async def members(
        self, member_ids: Sequence[int], *, lock: bool = False
    ) -> dict[int, StaffRecord]:
        """The members (staff records), by id; `lock`: locked as `StaffRepository.lock`
        locks one, in id order, so two processes locking overlapping batches queue rather
        than deadlock."""
        stmt = (
            select(Staff)
            .where(Staff.telegram_id.in_(list(member_ids)))
            .order_by(Staff.telegram_id)
            .execution_options(populate_existing=True)
        )
        if lock:
            stmt = stmt.with_for_update(key_share=True)
        rows = list(await self.session.scalars(stmt))
        followed: dict[int, list[str]] = {}
        links = await self.session.execute(
            select(StaffSubdistrict.telegram_id, StaffSubdistrict.subdistrict).where(
                StaffSubdistrict.telegram_id.in_([r.telegram_id for r in rows])
            )
        )
        for member_id, code in links:
            followed.setdefault(int(member_id), []).append(code)
        return {r.telegram_id: staff_record(r, followed.get(r.telegram_id, ())) for r in rows}

    async def last_of(self, member_ids: Sequence[int]) -> dict[int, DigestRecord]:
        """Each member's latest digest (`last`, for many members)."""
        latest = (
            select(func.max(Digest.id))
            .where(Digest.member_id.in_(list(member_ids)))
            .group_by(Digest.member_id)
        )
        rows = await self.session.scalars(select(Digest).where(Digest.id.in_(latest)))
        return {r.member_id: _digest(r) for r in rows}

    async def start_digests(
        self, new: Sequence[NewDigest], now: datetime
    ) -> dict[int, DigestRecord]:
        """The digests (`start_digest` for many), and each member's schedule moved past its
        slot, by member. IntegrityError, or LookupError when a member's slot moved meanwhile:
        another process got there first, and the caller rolls the batch back."""
        if not new:
            return {}
        conn = await self.session.connection()
        rows = [
            {
                "member_id": d.member_id,
                "slot": d.slot,
                "kind": d.kind,
                "period_start": d.period_start,
                "period_end": now,
                "item_count": 0,
                "counts": {},
                "created_at": now,
            }
            for d in new
        ]
        made = await conn.execute(
            insert(Digest).values(rows).returning(Digest.id, Digest.member_id)
        )
        ids = {int(m): int(i) for i, m in made}

        def by_member(values: dict[int, datetime | None]) -> Any:
            whens = {m: literal(v, UTCDateTime()) for m, v in values.items()}
            return case(whens, value=Staff.telegram_id, else_=literal(None, UTCDateTime()))

        members = [d.member_id for d in new]
        moved = await conn.execute(
            update(Staff)
            .where(
                Staff.telegram_id.in_(members),
                # the slot each member's digest was planned from is still the last one
                Staff.last_slot.is_not_distinct_from(
                    by_member({d.member_id: d.last_slot for d in new})
                ),
            )
            .values(
                last_slot=by_member({d.member_id: d.slot for d in new}),
                next_due=by_member({d.member_id: d.next_due for d in new}),
            )
            .returning(Staff.telegram_id)
        )
        if {int(m) for m in moved.scalars()} != {d.member_id for d in new}:
            raise LookupError("a member's digest slot was recorded meanwhile")
        return {
            d.member_id: DigestRecord(
                id=ids[d.member_id],
                member_id=d.member_id,
                slot=d.slot,
                kind=d.kind,
                period_start=d.period_start,
                period_end=now,
                item_count=0,
                counts={},
                created_at=now,
                queued_at=None,
            )
            for d in new
        }

    async def take_many(self, digests: dict[int, int]) -> dict[int, list[DigestEntry]]:
        """`take` for many members ({member: digest id}): their entries by digest id."""
        if not digests:
            return {}
        conn = await self.session.connection()
        # Core executemany: one round trip for the batch (an ORM UPDATE given many
        # parameter sets would update by primary key instead).
        await conn.execute(
            update(DigestItem)
            .where(DigestItem.member_id == bindparam("m"), DigestItem.digest_id.is_(None))
            .values(digest_id=bindparam("d")),
            [{"m": m, "d": d} for m, d in digests.items()],
        )
        # The items, then each opinion once: members of one sub-district share most of
        # their items, and an opinion's row (its text, its supporters) is the costly part.
        items = list(
            await self.session.execute(
                select(
                    DigestItem.digest_id,
                    DigestItem.opinion_id,
                    DigestItem.moved_from,
                    DigestItem.queued_at,
                )
                .where(DigestItem.digest_id.in_(list(digests.values())))
                .order_by(DigestItem.digest_id, DigestItem.id)
            )
        )
        opinions = await self.session.execute(
            select(*_OPINION_COLUMNS).where(Opinion.id.in_(sorted({int(i[1]) for i in items})))
        )
        by_id = {int(row[0]): tuple(row) for row in opinions}
        out: dict[int, list[DigestEntry]] = {d: [] for d in digests.values()}
        for digest_id, opinion_id, moved, queued in items:
            row = by_id[int(opinion_id)]
            entry = _entry((*row[:7], moved, *row[8:10], queued, *row[11:]))
            out[digest_id or 0].append(entry)  # never None: selected by digest
        return out

    async def finish_many(self, done: dict[int, tuple[int, dict[str, int]]]) -> None:
        """`finish` for many digests: {digest id: (item count, counts)}."""
        if not done:
            return
        conn = await self.session.connection()
        await conn.execute(
            update(Digest)
            .where(Digest.id == bindparam("d"))
            .values(item_count=bindparam("n"), counts=bindparam("c")),
            [{"d": d, "n": n, "c": c} for d, (n, c) in done.items()],
        )

    async def awaiting_many(
        self, asked: Sequence[tuple[Iterable[str], datetime, datetime]], limit: int
    ) -> list[tuple[int, list[DigestEntry]]]:
        """`awaiting` for many (sub-districts, since, before) at once, in their order: the
        candidates' ids are read once for the batch and sorted out here, then the entries
        shown are read once."""
        wanted = [(list(codes), since, before) for codes, since, before in asked]
        if not wanted:
            return []
        lo = min(a[1] for a in wanted)
        hi = max(a[2] for a in wanted)
        where = [
            Opinion.visible_at >= lo,
            Opinion.visible_at < hi,
            Opinion.status == OpinionStatus.RECEIVED,
            _AWAITING,
        ]
        every = {c for codes, _, _ in wanted for c in codes}
        if ALL_SUBDISTRICTS not in every:
            where.append(Opinion.subdistrict.in_(sorted(every)))
        rows = await self.session.execute(
            select(Opinion.id, Opinion.subdistrict, Opinion.visible_at)
            .where(*where)
            .order_by(Opinion.visible_at, Opinion.id)
        )
        candidates = [(int(i), sd, at) for i, sd, at in rows if at is not None]
        found: list[tuple[int, list[int]]] = []
        for codes, since, before in wanted:
            anywhere = ALL_SUBDISTRICTS in codes
            ids = [
                i
                for i, sd, at in candidates
                if since <= at < before and (anywhere or (sd is not None and sd in codes))
            ]
            found.append((len(ids), ids[:limit]))
        shown = sorted({i for _, ids in found for i in ids})
        entries: dict[int, DigestEntry] = {}
        if shown:
            chosen = await self.session.execute(
                select(*_entry_columns(literal(None, String), Opinion.visible_at)).where(
                    Opinion.id.in_(shown)
                )
            )
            entries = {e.opinion_id: e for e in _entries(chosen)}
        return [(total, [entries[i] for i in ids]) for total, ids in found]

    async def mark_queued_many(self, digest_ids: Sequence[int], now: datetime) -> set[int]:
        """`mark_queued` for many: the ids this transaction marked (another process may have
        queued some already)."""
        if not digest_ids:
            return set()
        result = await self.session.execute(
            update(Digest)
            .where(Digest.id.in_(list(digest_ids)), Digest.queued_at.is_(None))
            .values(queued_at=now)
            .returning(Digest.id)
            .execution_options(synchronize_session=False)
        )
        return {int(i) for i in result.scalars()}
