"""Submitted opinions and the revisions residents made by editing their messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Opinion, OpinionRevision
from storage.records import DraftRecord, OpinionRecord, RevisionRecord
from storage.statuses import OpinionStatus


def _record(row: Opinion, revisions: tuple[RevisionRecord, ...] = ()) -> OpinionRecord:
    return OpinionRecord(
        id=row.id,
        resident_id=row.resident_id,
        text=row.text,
        subdistrict=row.subdistrict,
        category=row.category,
        status=row.status,
        created_at=row.created_at,
        source_message_ids=tuple(int(m) for m in row.source_message_ids),
        photo_file_ids=tuple(str(f) for f in row.photo_file_ids),
        latitude=row.latitude,
        longitude=row.longitude,
        suggested_subdistrict=row.suggested_subdistrict,
        suggestion_confidence=row.suggestion_confidence,
        suggested_category=row.suggested_category,
        revisions=revisions,
    )


#: What erasure clears; sub-district, category, status and dates stay (anonymous counts).
_ERASED: dict[str, object] = {
    "resident_id": None,
    "text": None,
    "source_message_ids": [],
    "photo_file_ids": [],
    "latitude": None,
    "longitude": None,
}


class OpinionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create_from_draft(
        self, draft: DraftRecord, category: str, now: datetime
    ) -> OpinionRecord:
        row = Opinion(
            resident_id=draft.resident_id,
            text=draft.text,
            source_message_ids=[p.message_id for p in draft.parts],
            photo_file_ids=list(draft.photo_file_ids),
            latitude=draft.latitude,
            longitude=draft.longitude,
            subdistrict=None if draft.subdistrict_unsure else draft.subdistrict,
            suggested_subdistrict=draft.suggested_subdistrict,
            suggestion_confidence=draft.suggestion_confidence,
            category=category,
            suggested_category=draft.suggested_category,
            status=OpinionStatus.RECEIVED,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return _record(row)

    async def get(self, opinion_id: int) -> OpinionRecord | None:
        """One opinion with its revisions (ids out of range are simply not found)."""
        if not 1 <= opinion_id <= 2**31 - 1:
            return None
        row = await self.session.get(Opinion, opinion_id, populate_existing=True)
        if row is None:
            return None
        revisions = await self._revisions([row.id])
        return _record(row, revisions.get(row.id, ()))

    async def retag(self, opinion_id: int, subdistrict: str | None, now: datetime) -> None:
        await self.session.execute(
            update(Opinion)
            .where(Opinion.id == opinion_id)
            .values(subdistrict=subdistrict, updated_at=now)
        )

    async def count_since(self, resident_id: int, since: datetime) -> int:
        n = await self.session.scalar(
            select(func.count())
            .select_from(Opinion)
            .where(Opinion.resident_id == resident_id, Opinion.created_at >= since)
        )
        return int(n or 0)

    async def oldest_since(self, resident_id: int, since: datetime) -> datetime | None:
        return await self.session.scalar(
            select(func.min(Opinion.created_at)).where(
                Opinion.resident_id == resident_id, Opinion.created_at >= since
            )
        )

    async def for_resident(self, resident_id: int, limit: int | None = None) -> list[OpinionRecord]:
        stmt = select(Opinion).where(Opinion.resident_id == resident_id).order_by(Opinion.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = list(await self.session.scalars(stmt))
        revisions = await self._revisions([r.id for r in rows])
        return [_record(r, revisions.get(r.id, ())) for r in rows]

    async def count_for_resident(self, resident_id: int) -> int:
        n = await self.session.scalar(
            select(func.count()).select_from(Opinion).where(Opinion.resident_id == resident_id)
        )
        return int(n or 0)

    async def by_source_message(self, resident_id: int, message_id: int) -> OpinionRecord | None:
        # Few opinions per resident: filtering the JSON list in Python keeps this portable.
        for row in await self.session.scalars(
            select(Opinion).where(Opinion.resident_id == resident_id).order_by(Opinion.id.desc())
        ):
            if message_id in row.source_message_ids:
                return _record(row)
        return None

    async def add_revision(self, opinion_id: int, message_id: int, text: str) -> None:
        self.session.add(OpinionRevision(opinion_id=opinion_id, message_id=message_id, text=text))
        await self.session.flush()

    async def erase_for_resident(self, resident_id: int, now: datetime) -> int:
        """Keep only anonymous facts (sub-district, category, status, dates)."""
        ids = list(
            await self.session.scalars(select(Opinion.id).where(Opinion.resident_id == resident_id))
        )
        return await self._erase(ids, now)

    async def erase_older_than(self, before: datetime, now: datetime) -> int:
        """Retention: opinions created before `before` keep only their anonymous facts.

        Set-based (no list of ids): any number of expired opinions in one statement each.
        """
        due = select(Opinion.id).where(Opinion.created_at < before, Opinion.erased_at.is_(None))
        await self.session.execute(
            delete(OpinionRevision).where(OpinionRevision.opinion_id.in_(due.scalar_subquery()))
        )
        result = await self.session.execute(
            update(Opinion)
            .where(Opinion.created_at < before, Opinion.erased_at.is_(None))
            .values(**_ERASED, erased_at=now, updated_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def _erase(self, ids: list[int], now: datetime) -> int:
        if ids:
            await self.session.execute(
                delete(OpinionRevision).where(OpinionRevision.opinion_id.in_(ids))
            )
            await self.session.execute(
                update(Opinion)
                .where(Opinion.id.in_(ids))
                .values(**_ERASED, erased_at=now, updated_at=now)
            )
        return len(ids)

    async def _revisions(self, opinion_ids: list[int]) -> dict[int, tuple[RevisionRecord, ...]]:
        if not opinion_ids:
            return {}
        rows = await self.session.scalars(
            select(OpinionRevision)
            .where(OpinionRevision.opinion_id.in_(opinion_ids))
            .order_by(OpinionRevision.id)
        )
        out: dict[int, list[RevisionRecord]] = {}
        for r in rows:
            out.setdefault(r.opinion_id, []).append(
                RevisionRecord(r.message_id, r.text, r.created_at)
            )
        return {k: tuple(v) for k, v in out.items()}
