"""Drafts: an opinion half-way through the flow, kept in the database across restarts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Draft
from storage.records import DraftPart, DraftRecord


def _record(row: Draft) -> DraftRecord:
    return DraftRecord(
        id=row.id,
        resident_id=row.resident_id,
        stage=row.stage,
        parts=tuple(DraftPart(int(p["message_id"]), str(p["text"])) for p in row.parts),
        photo_file_ids=tuple(str(f) for f in row.photo_file_ids),
        latitude=row.latitude,
        longitude=row.longitude,
        suggested_subdistrict=row.suggested_subdistrict,
        suggestion_confidence=row.suggestion_confidence,
        subdistrict=row.subdistrict,
        subdistrict_unsure=row.subdistrict_unsure,
        suggested_category=row.suggested_category,
        created_at=row.created_at,
        category=row.category,
        voice_file_ids=tuple(str(f) for f in row.voice_file_ids or ()),
        forwarded=bool(row.forwarded),
        support_offered=bool(row.support_offered),
        question_seq=row.question_seq or 0,
        question_outbox_id=row.question_outbox_id,
        updated_at=row.updated_at,
        consultation_id=row.consultation_id,
        consultation_offered=bool(row.consultation_offered),
    )


def _parts(parts: tuple[DraftPart, ...] | list[DraftPart]) -> list[dict[str, Any]]:
    return [{"message_id": p.message_id, "text": p.text} for p in parts]


class DraftRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_for(self, resident_id: int) -> DraftRecord | None:
        row = await self.session.scalar(select(Draft).where(Draft.resident_id == resident_id))
        return _record(row) if row else None

    async def get(self, draft_id: int) -> DraftRecord | None:
        row = await self.session.get(Draft, draft_id)
        return _record(row) if row else None

    async def create(
        self,
        resident_id: int,
        *,
        stage: str,
        parts: list[DraftPart] | tuple[DraftPart, ...] = (),
        photo_file_ids: list[str] | tuple[str, ...] = (),
        voice_file_ids: list[str] | tuple[str, ...] = (),
        forwarded: bool = False,
        latitude: float | None = None,
        longitude: float | None = None,
        suggested_subdistrict: str | None = None,
        suggestion_confidence: float | None = None,
        subdistrict: str | None = None,
        consultation_id: int | None = None,
        now: datetime,
    ) -> DraftRecord:
        row = Draft(
            resident_id=resident_id,
            stage=stage,
            parts=_parts(parts),
            photo_file_ids=list(photo_file_ids),
            voice_file_ids=list(voice_file_ids),
            forwarded=forwarded,
            question_seq=0,
            latitude=latitude,
            longitude=longitude,
            suggested_subdistrict=suggested_subdistrict,
            suggestion_confidence=suggestion_confidence,
            subdistrict=subdistrict,
            subdistrict_unsure=False,
            consultation_id=consultation_id,
            consultation_offered=False,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return _record(row)

    async def save(self, draft: DraftRecord, now: datetime) -> DraftRecord:
        """Write every field of `draft` (a replaced copy of one read in this session)."""
        row = await self.session.get(Draft, draft.id)
        if row is None:
            raise LookupError(f"draft {draft.id} is gone")
        row.stage = draft.stage
        row.parts = _parts(draft.parts)
        row.photo_file_ids = list(draft.photo_file_ids)
        row.latitude = draft.latitude
        row.longitude = draft.longitude
        row.suggested_subdistrict = draft.suggested_subdistrict
        row.suggestion_confidence = draft.suggestion_confidence
        row.subdistrict = draft.subdistrict
        row.subdistrict_unsure = draft.subdistrict_unsure
        row.suggested_category = draft.suggested_category
        row.category = draft.category
        row.voice_file_ids = list(draft.voice_file_ids)
        row.forwarded = draft.forwarded
        row.support_offered = draft.support_offered
        row.consultation_id = draft.consultation_id
        row.consultation_offered = draft.consultation_offered
        row.question_seq = draft.question_seq
        row.question_outbox_id = draft.question_outbox_id
        row.updated_at = now
        await self.session.flush()
        return _record(row)

    async def delete(self, draft_id: int) -> None:
        await self.session.execute(delete(Draft).where(Draft.id == draft_id))

    async def delete_older_than(self, before: datetime) -> int:
        """Drafts nobody touched since `before` (abandoned)."""
        result = await self.session.execute(delete(Draft).where(Draft.updated_at < before))
        return int(getattr(result, "rowcount", 0) or 0)
