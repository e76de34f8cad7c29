"""Submitted opinions and the revisions residents made by editing their messages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Opinion, OpinionAction, OpinionRevision, OpinionSupporter
from storage.records import DraftRecord, OpinionRecord, RevisionRecord, SupportRecord
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
        voice_file_ids=tuple(str(f) for f in row.voice_file_ids or ()),
        latitude=row.latitude,
        longitude=row.longitude,
        suggested_subdistrict=row.suggested_subdistrict,
        suggestion_confidence=row.suggestion_confidence,
        suggested_category=row.suggested_category,
        revisions=revisions,
        visible_at=row.visible_at,
        hold_reasons=tuple(dict(h) for h in row.hold_reasons or []),
        moderated_by=row.moderated_by,
        moderated_at=row.moderated_at,
        moderation_reason=row.moderation_reason,
        merged_into=row.merged_into,
        progress=row.progress,
        first_response_at=row.first_response_at,
        resolved_at=row.resolved_at,
        rating=row.rating,
        rated_at=row.rated_at,
        reopen_count=row.reopen_count or 0,
        rating_asks=row.rating_asks or 0,
        rating_asked_at=row.rating_asked_at,
        consultation_id=row.consultation_id,
    )


#: What erasure clears; sub-district, category, status and dates stay (anonymous counts).
_ERASED: dict[str, object] = {
    "resident_id": None,
    "text": None,
    "source_message_ids": [],
    "photo_file_ids": [],
    "voice_file_ids": [],
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
            voice_file_ids=list(draft.voice_file_ids),
            latitude=draft.latitude,
            longitude=draft.longitude,
            subdistrict=None if draft.subdistrict_unsure else draft.subdistrict,
            suggested_subdistrict=draft.suggested_subdistrict,
            suggestion_confidence=draft.suggestion_confidence,
            category=category,
            suggested_category=draft.suggested_category,
            consultation_id=draft.consultation_id,
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

    async def set_review(
        self, opinion_id: int, status: str, hold_reasons: list[dict[str, str]], key: str | None
    ) -> None:
        await self.session.execute(
            update(Opinion)
            .where(Opinion.id == opinion_id)
            .values(status=status, hold_reasons=hold_reasons, repeat_key=key)
        )

    async def transition(
        self,
        opinion_id: int,
        allowed: Iterable[str],
        to: str,
        *,
        by: int,
        now: datetime,
        reason: str | None = None,
        merged_into: int | None = None,
    ) -> bool:
        """Move from one of `allowed` to `to`, once: a second admin's press finds the state
        changed and moves nothing (one conditional UPDATE, safe across processes)."""
        values: dict[str, object] = {
            "status": to,
            "moderated_by": by,
            "moderated_at": now,
            "updated_at": now,
        }
        if reason is not None:
            values["moderation_reason"] = reason
        if merged_into is not None:
            values["merged_into"] = merged_into
        result = await self.session.execute(
            update(Opinion)
            .where(Opinion.id == opinion_id, Opinion.status.in_(list(allowed)))
            .values(**values)
        )
        return bool(getattr(result, "rowcount", 0))

    async def same_text_since(self, key: str, since: datetime, exclude_id: int) -> bool:
        found = await self.session.scalar(
            select(Opinion.id)
            .where(
                Opinion.repeat_key == key,
                Opinion.created_at >= since,
                Opinion.id != exclude_id,
                Opinion.status != OpinionStatus.REJECTED,
            )
            .limit(1)
        )
        return found is not None

    async def waiting_review(
        self, limit: int, after_id: int = 0
    ) -> tuple[int, list[OpinionRecord]]:
        """Held and pending opinions, oldest first (after `after_id`), and how many wait."""
        waiting = Opinion.status.in_([OpinionStatus.HELD, OpinionStatus.PENDING])
        total = await self.session.scalar(select(func.count()).select_from(Opinion).where(waiting))
        rows = await self.session.scalars(
            select(Opinion).where(waiting, Opinion.id > after_id).order_by(Opinion.id).limit(limit)
        )
        return int(total or 0), [_record(r) for r in rows]

    async def set_category(self, opinion_id: int, category: str, now: datetime) -> None:
        await self.session.execute(
            update(Opinion)
            .where(Opinion.id == opinion_id)
            .values(category=category, updated_at=now)
        )

    async def supporters(self, opinion_id: int) -> list[int]:
        rows = await self.session.scalars(
            select(OpinionSupporter.resident_id).where(OpinionSupporter.opinion_id == opinion_id)
        )
        return list(rows)

    async def supported_by(self, resident_id: int) -> list[SupportRecord]:
        """The opinions a resident supports, newest support first (their /mydata)."""
        rows = await self.session.execute(
            select(
                OpinionSupporter.opinion_id,
                OpinionSupporter.since,
                Opinion.subdistrict,
                Opinion.category,
                Opinion.progress,
            )
            .join(Opinion, Opinion.id == OpinionSupporter.opinion_id)
            .where(OpinionSupporter.resident_id == resident_id)
            .order_by(OpinionSupporter.since.desc(), OpinionSupporter.opinion_id.desc())
        )
        return [SupportRecord(int(i), since, sd, cat, pr) for i, since, sd, cat, pr in rows]

    async def add_supporter(self, opinion_id: int, resident_id: int, now: datetime) -> None:
        exists_already = await self.session.get(OpinionSupporter, (opinion_id, resident_id))
        if exists_already is None:
            self.session.add(
                OpinionSupporter(opinion_id=opinion_id, resident_id=resident_id, since=now)
            )
            await self.session.flush()

    async def open_in(
        self, subdistrict: str, since: datetime, *, exclude_resident: int, limit: int = 60
    ) -> list[tuple[int, str, int]]:
        """Opinions members can see in `subdistrict`, visible since `since`, newest first, not
        by (nor already supported by) `exclude_resident`: (id, text, residents behind it)."""
        backers = (
            select(func.count())
            .where(OpinionSupporter.opinion_id == Opinion.id)
            .correlate(Opinion)
            .scalar_subquery()
        )
        mine = select(OpinionSupporter.opinion_id).where(
            OpinionSupporter.resident_id == exclude_resident
        )
        rows = await self.session.execute(
            select(Opinion.id, Opinion.text, backers)
            .where(
                Opinion.subdistrict == subdistrict,
                Opinion.status == OpinionStatus.RECEIVED,
                Opinion.visible_at >= since,
                Opinion.text.is_not(None),
                Opinion.text != "",
                (Opinion.resident_id != exclude_resident) | Opinion.resident_id.is_(None),
                Opinion.id.not_in(mine),
            )
            .order_by(Opinion.visible_at.desc())
            .limit(limit)
        )
        return [(int(i), str(text), 1 + int(n or 0)) for i, text, n in rows]

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
        await self._erase_reasons(due.scalar_subquery())
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
            await self._erase_reasons(ids)
            await self.session.execute(
                update(Opinion)
                .where(Opinion.id.in_(ids))
                .values(**_ERASED, erased_at=now, updated_at=now)
            )
        return len(ids)

    async def _erase_reasons(self, ids: Any) -> None:
        """The resident's own words in the follow-up history (their reopen reasons) go with
        their opinions; members' answers and the facts (kind, date, rating) stay."""
        await self.session.execute(
            update(OpinionAction)
            .where(
                OpinionAction.opinion_id.in_(ids),
                OpinionAction.actor_id.is_(None),
                OpinionAction.text.is_not(None),
            )
            .values(text=None)
        )

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
