"""Consultations (渝事好商量): drafts filled in by an admin, the open ones residents answer,
their invitations and outcome notes, each queued exactly once.

Exactly once rests on the database, not on timing: an invitation is a row keyed by
(consultation, resident) inserted with ON CONFLICT DO NOTHING … RETURNING, so of two
processes inviting the same resident only the one whose insert returned the row queues the
message (in the same transaction); outcome notes are a conditional UPDATE of that row's
`outcome_queued_at`; the summary a conditional UPDATE of `summary_queued_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Consultation,
    ConsultationInvitation,
    Opinion,
    Resident,
    Staff,
    StaffSubdistrict,
)
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

    def _insert(self) -> Any:
        dialect = self.session.get_bind().dialect.name
        return pg_insert if dialect == "postgresql" else sqlite_insert

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

    # --- invitations ----------------------------------------------------------------

    async def to_invite(self) -> list[ConsultationRecord]:
        rows = await self.session.scalars(
            select(Consultation)
            .where(
                Consultation.status == ConsultationStatus.OPEN,
                Consultation.invited_at.is_(None),
            )
            .order_by(Consultation.id)
        )
        return [_record(r) for r in rows]

    def _eligible(self, consultation: ConsultationRecord) -> Any:
        """Residents to invite: opted in, living in one of its sub-districts, not banned,
        not blocking the bot, not invited yet. Erased residents have no row."""
        invited = select(ConsultationInvitation.resident_id).where(
            ConsultationInvitation.consultation_id == consultation.id
        )
        return select(Resident.id).where(
            Resident.consult_opt_in.is_(True),
            Resident.home_subdistrict.in_(list(consultation.subdistricts)),
            Resident.ban.is_(None),
            Resident.blocked_at.is_(None),
            Resident.id.not_in(invited),
        )

    async def invite_batch(
        self, consultation: ConsultationRecord, now: datetime, limit: int
    ) -> list[Addressee]:
        """Record up to `limit` invitations; the residents this transaction invited (whom
        it must send the invitation to). Another process's rows are skipped, not doubled."""
        ids = list(
            await self.session.scalars(
                self._eligible(consultation).order_by(Resident.id).limit(limit)
            )
        )
        if not ids:
            return []
        stmt = (
            self._insert()(ConsultationInvitation)
            .values(
                [
                    {"consultation_id": consultation.id, "resident_id": i, "queued_at": now}
                    for i in ids
                ]
            )
            .on_conflict_do_nothing()
            .returning(ConsultationInvitation.resident_id)
        )
        mine = list((await self.session.execute(stmt)).scalars())
        return await self._addressees(mine)

    async def left_to_invite(self, consultation: ConsultationRecord) -> int:
        n = await self.session.scalar(
            select(func.count()).select_from(self._eligible(consultation).subquery())
        )
        return int(n or 0)

    async def mark_invited(self, consultation_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(Consultation)
            .where(Consultation.id == consultation_id, Consultation.invited_at.is_(None))
            .values(invited_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def invitation(self, consultation_id: int, resident_id: int) -> bool:
        if not _valid_id(consultation_id):
            return False
        row = await self.session.get(ConsultationInvitation, (consultation_id, resident_id))
        return row is not None

    async def invitations_count(self, consultation_id: int) -> int:
        n = await self.session.scalar(
            select(func.count())
            .select_from(ConsultationInvitation)
            .where(ConsultationInvitation.consultation_id == consultation_id)
        )
        return int(n or 0)

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

    def _contributors(self, consultation_id: int) -> Any:
        """Authors of attached opinions who still have a row (not erased)."""
        return (
            select(Opinion.resident_id)
            .join(Resident, Resident.id == Opinion.resident_id)
            .where(Opinion.consultation_id == consultation_id, Resident.blocked_at.is_(None))
            .distinct()
        )

    async def outcome_batch(
        self, consultation_id: int, now: datetime, limit: int
    ) -> list[Addressee]:
        """Mark up to `limit` contributors told of the outcome; those this transaction
        marked (whom it must send the note to).

        A contributor who was never invited (they wrote on their own and attached it) gets
        an invitation row now, so the one `outcome_queued_at` mark covers everyone."""
        contributors = self._contributors(consultation_id)
        ids = list(await self.session.scalars(contributors))
        if ids:
            await self.session.execute(
                self._insert()(ConsultationInvitation)
                .values(
                    [
                        {"consultation_id": consultation_id, "resident_id": i, "queued_at": now}
                        for i in ids
                    ]
                )
                .on_conflict_do_nothing()
            )
        untold = (
            select(ConsultationInvitation.resident_id)
            .where(
                ConsultationInvitation.consultation_id == consultation_id,
                ConsultationInvitation.outcome_queued_at.is_(None),
                ConsultationInvitation.resident_id.in_(contributors),
            )
            .order_by(ConsultationInvitation.resident_id)
            .limit(limit)
        )
        batch = list(await self.session.scalars(untold))
        if not batch:
            return []
        result = await self.session.execute(
            update(ConsultationInvitation)
            .where(
                ConsultationInvitation.consultation_id == consultation_id,
                ConsultationInvitation.resident_id.in_(batch),
                ConsultationInvitation.outcome_queued_at.is_(None),
            )
            .values(outcome_queued_at=now)
            .returning(ConsultationInvitation.resident_id)
        )
        return await self._addressees(list(result.scalars()))

    async def left_to_tell(self, consultation_id: int) -> int:
        n = await self.session.scalar(
            select(func.count())
            .select_from(ConsultationInvitation)
            .where(
                ConsultationInvitation.consultation_id == consultation_id,
                ConsultationInvitation.outcome_queued_at.is_(None),
                ConsultationInvitation.resident_id.in_(self._contributors(consultation_id)),
            )
        )
        return int(n or 0)

    async def mark_outcome_told(self, consultation_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(Consultation)
            .where(Consultation.id == consultation_id, Consultation.outcome_queued_at.is_(None))
            .values(outcome_queued_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def _addressees(self, resident_ids: list[int]) -> list[Addressee]:
        if not resident_ids:
            return []
        rows = await self.session.execute(
            select(Resident.telegram_id, Resident.lang)
            .where(Resident.id.in_(resident_ids))
            .order_by(Resident.id)
        )
        return [Addressee(int(i), str(lang)) for i, lang in rows]
