"""Consultations (渝事好商量): drafts filled in by an admin, the open ones residents answer,
closing, the summary and the outcome. Each state change is a conditional UPDATE (once, of
two processes or two presses); the summary is queued behind one of `summary_queued_at`.
Invitations and outcome notes, resident by resident: `storage.repositories.invitations`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Consultation, Opinion, Staff, StaffSubdistrict
from storage.records import Addressee, ConsultationRecord, Contribution
from storage.statuses import ALL_SUBDISTRICTS, ConsultationStatus, OpinionStatus, Role


def _record(row: Consultation) -> ConsultationRecord:
    return ConsultationRecord(
        id=row.id,
        status=row.status,
        title=row.title,
        description=row.description,
        subdistricts=tuple(str(s) for s in row.subdistricts or ()),
        deadline=row.deadline,
        step=row.step,
        created_by=row.created_by,
        created_at=row.created_at,
        opened_at=row.opened_at,
        invited_at=row.invited_at,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        summary_queued_at=row.summary_queued_at,
        outcome=row.outcome,
        outcome_by=row.outcome_by,
        outcome_at=row.outcome_at,
        outcome_queued_at=row.outcome_queued_at,
    )


def _valid_id(n: int) -> bool:
    return 1 <= n <= 2**31 - 1


class ConsultationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- drafts and state -------------------------------------------------------------

    async def create_draft(self, created_by: int, step: str, now: datetime) -> ConsultationRecord:
        row = Consultation(
            status=ConsultationStatus.DRAFT,
            subdistricts=[],
            step=step,
            created_by=created_by,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return _record(row)

    async def get(self, consultation_id: int) -> ConsultationRecord | None:
        if not _valid_id(consultation_id):
            return None
        row = await self.session.get(Consultation, consultation_id, populate_existing=True)
        return _record(row) if row else None

    async def draft_of(self, admin_id: int) -> ConsultationRecord | None:
        """The admin's draft in progress (the newest, should there be several)."""
        row = await self.session.scalar(
            select(Consultation)
            .where(
                Consultation.created_by == admin_id,
                Consultation.status == ConsultationStatus.DRAFT,
            )
            .order_by(Consultation.id.desc())
            .limit(1)
        )
        return _record(row) if row else None

    async def update_draft(self, consultation_id: int, **values: Any) -> ConsultationRecord | None:
        """Change a draft (title, description, sub-districts, deadline, step); None when it
        is no longer a draft."""
        result = await self.session.execute(
            update(Consultation)
            .where(
                Consultation.id == consultation_id,
                Consultation.status == ConsultationStatus.DRAFT,
            )
            .values(**values)
        )
        if not getattr(result, "rowcount", 0):
            return None
        return await self.get(consultation_id)

    async def delete_draft(self, consultation_id: int) -> bool:
        result = await self.session.execute(
            delete(Consultation).where(
                Consultation.id == consultation_id,
                Consultation.status == ConsultationStatus.DRAFT,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def publish(self, consultation_id: int, now: datetime) -> bool:
        """Draft → open, once (a second press, or a second process, changes nothing)."""
        result = await self.session.execute(
            update(Consultation)
            .where(
                Consultation.id == consultation_id,
                Consultation.status == ConsultationStatus.DRAFT,
            )
            .values(status=ConsultationStatus.OPEN, opened_at=now, step=None)
        )
        return bool(getattr(result, "rowcount", 0))

    async def close(self, consultation_id: int, now: datetime, by: int | None) -> bool:
        """Open → closed, once."""
        result = await self.session.execute(
            update(Consultation)
            .where(
                Consultation.id == consultation_id,
                Consultation.status == ConsultationStatus.OPEN,
            )
            .values(status=ConsultationStatus.CLOSED, closed_at=now, closed_by=by)
        )
        return bool(getattr(result, "rowcount", 0))

    async def due_to_close(self, now: datetime) -> list[int]:
        rows = await self.session.scalars(
            select(Consultation.id)
            .where(
                Consultation.status == ConsultationStatus.OPEN,
                Consultation.deadline <= now,
            )
            .order_by(Consultation.id)
        )
        return list(rows)

    async def open_now(self, now: datetime) -> list[ConsultationRecord]:
        """Open consultations whose deadline has not passed (a tick may not have closed a
        due one yet: it is not offered meanwhile)."""
        rows = await self.session.scalars(
            select(Consultation)
            .where(
                Consultation.status == ConsultationStatus.OPEN,
                Consultation.deadline > now,
            )
            .order_by(Consultation.id)
        )
        return [_record(r) for r in rows]

    async def titles(self, ids: Sequence[int]) -> dict[int, str | None]:
        """Consultations' titles by id (a resident's /mydata names those they answered)."""
        wanted = sorted({i for i in ids if _valid_id(i)})
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(Consultation.id, Consultation.title).where(Consultation.id.in_(wanted))
        )
        return {int(i): t for i, t in rows}

    async def listing(self, limit: int = 20) -> list[tuple[ConsultationRecord, int, int]]:
        """Open and closed consultations, newest first, with contributions and residents."""
        rows = list(
            await self.session.scalars(
                select(Consultation)
                .where(Consultation.status != ConsultationStatus.DRAFT)
                .order_by(Consultation.id.desc())
                .limit(limit)
            )
        )
        counts: dict[int, tuple[int, int]] = {}
        if rows:
            result = await self.session.execute(
                select(
                    Opinion.consultation_id,
                    func.count(),
                    func.count(func.distinct(Opinion.resident_id)),
                )
                .where(
                    Opinion.consultation_id.in_([r.id for r in rows]),
                    Opinion.status == OpinionStatus.RECEIVED,
                )
                .group_by(Opinion.consultation_id)
            )
            counts = {int(c or 0): (int(n), int(p)) for c, n, p in result}
        return [(_record(r), *counts.get(r.id, (0, 0))) for r in rows]

    async def closed(self, limit: int = 10) -> list[ConsultationRecord]:
        rows = await self.session.scalars(
            select(Consultation)
            .where(Consultation.status == ConsultationStatus.CLOSED)
            .order_by(Consultation.id.desc())
            .limit(limit)
        )
        return [_record(r) for r in rows]

    # --- invitations ------------------------------------------------------------------

    async def mark_invited(self, consultation_id: int, now: datetime) -> bool:
        """When the first round of invitations was done (information only: every tick still
        looks for residents not yet invited, see `InvitationRepository.invite_batch`)."""
        result = await self.session.execute(
            update(Consultation)
            .where(Consultation.id == consultation_id, Consultation.invited_at.is_(None))
            .values(invited_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    # --- summary ----------------------------------------------------------------------

    async def to_summarise(self) -> list[ConsultationRecord]:
        rows = await self.session.scalars(
            select(Consultation)
            .where(
                Consultation.status == ConsultationStatus.CLOSED,
                Consultation.summary_queued_at.is_(None),
            )
            .order_by(Consultation.id)
        )
        return [_record(r) for r in rows]

    async def contributions(self, consultation_id: int) -> list[Contribution]:
        """Attached opinions members may see (held, rejected or hidden ones are not)."""
        rows = await self.session.execute(
            select(
                Opinion.id, Opinion.resident_id, Opinion.subdistrict, Opinion.category, Opinion.text
            )
            .where(
                Opinion.consultation_id == consultation_id,
                Opinion.status == OpinionStatus.RECEIVED,
            )
            .order_by(Opinion.id)
        )
        return [Contribution(int(i), r, s, str(c), t) for i, r, s, c, t in rows]

    async def waiting_review(self, consultation_id: int) -> int:
        """Attached opinions an admin has still to review (held or pending)."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(Opinion)
            .where(
                Opinion.consultation_id == consultation_id,
                Opinion.status.in_([OpinionStatus.HELD, OpinionStatus.PENDING]),
            )
        )
        return int(count or 0)

    async def summary_readers(self, subdistricts: Sequence[str]) -> list[Addressee]:
        """Members following any of `subdistricts` (or everything) and every admin,
        reachable ones only."""
        following = select(StaffSubdistrict.telegram_id).where(
            StaffSubdistrict.subdistrict.in_([ALL_SUBDISTRICTS, *subdistricts])
        )
        rows = await self.session.execute(
            select(Staff.telegram_id, Staff.lang)
            .where(
                (Staff.role == Role.ADMIN) | Staff.telegram_id.in_(following),
                Staff.unreachable_at.is_(None),
            )
            .order_by(Staff.telegram_id)
        )
        return [Addressee(int(i), str(lang)) for i, lang in rows]

    async def mark_summary_queued(self, consultation_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(Consultation)
            .where(
                Consultation.id == consultation_id,
                Consultation.status == ConsultationStatus.CLOSED,
                Consultation.summary_queued_at.is_(None),
            )
            .values(summary_queued_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    # --- outcome ----------------------------------------------------------------------

    async def record_outcome(self, consultation_id: int, text: str, by: int, now: datetime) -> bool:
        """The outcome of a closed consultation, once (a second /outcome changes nothing)."""
        result = await self.session.execute(
            update(Consultation)
            .where(
                Consultation.id == consultation_id,
                Consultation.status == ConsultationStatus.CLOSED,
                Consultation.outcome.is_(None),
            )
            .values(outcome=text, outcome_by=by, outcome_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def to_tell_outcome(self) -> list[ConsultationRecord]:
        rows = await self.session.scalars(
            select(Consultation)
            .where(
                Consultation.outcome.is_not(None),
                Consultation.outcome_queued_at.is_(None),
            )
            .order_by(Consultation.id)
        )
        return [_record(r) for r in rows]

    async def mark_outcome_told(self, consultation_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(Consultation)
            .where(Consultation.id == consultation_id, Consultation.outcome_queued_at.is_(None))
            .values(outcome_queued_at=now)
        )
        return bool(getattr(result, "rowcount", 0))
