"""Who a consultation reaches: its invitations and its outcome notes, each queued exactly once.

Exactly once rests on the database, not on timing: an invitation is a row keyed by
(consultation, resident) inserted with ON CONFLICT DO NOTHING … RETURNING, so of two
processes inviting the same resident only the one whose insert returned the row queues the
message (in the same transaction); outcome notes are a conditional UPDATE of that row's
`outcome_queued_at`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Consultation, ConsultationInvitation, Opinion, Resident
from storage.records import Addressee, ConsultationRecord
from storage.statuses import ConsultationStatus


@dataclass(frozen=True, slots=True)
class InviteBatch:
    invited: list[Addressee]  # whom this transaction must send the invitation to
    more: bool  # a full batch: others may be waiting


@dataclass(frozen=True, slots=True)
class ResidentInvitation:
    """A consultation a resident was invited to, or (never invited, they attached an
    opinion) told the outcome of: since when, and when the outcome note was queued."""

    consultation_id: int
    title: str | None
    since: datetime
    outcome_told_at: datetime | None


class InvitationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self) -> Any:
        dialect = self.session.get_bind().dialect.name
        return pg_insert if dialect == "postgresql" else sqlite_insert

    # --- invitations ----------------------------------------------------------------

    def _eligible(self, consultation: ConsultationRecord) -> Any:
        """Residents to invite: opted in, living in one of its sub-districts, not banned,
        not blocking the bot, not invited yet (an anti-join on the invitations' primary
        key). Erased residents have no row."""
        invited = exists().where(
            ConsultationInvitation.consultation_id == consultation.id,
            ConsultationInvitation.resident_id == Resident.id,
        )
        return select(Resident.id).where(
            Resident.consult_opt_in.is_(True),
            Resident.home_subdistrict.in_(list(consultation.subdistricts)),
            Resident.ban.is_(None),
            Resident.blocked_at.is_(None),
            ~invited,
        )

    async def invite_batch(
        self, consultation: ConsultationRecord, now: datetime, limit: int
    ) -> InviteBatch | None:
        """Record up to `limit` invitations while the consultation is open with its deadline
        ahead; None once it is not (nothing recorded). Another process's rows are skipped,
        not doubled.

        The consultation's row is read FOR SHARE (PostgreSQL; SQLite has one writer
        anyway): a close waits for this batch, and a batch behind a close sees it closed."""
        still_open = await self.session.scalar(
            select(Consultation.id)
            .where(
                Consultation.id == consultation.id,
                Consultation.status == ConsultationStatus.OPEN,
                Consultation.deadline > now,
            )
            .with_for_update(read=True)
        )
        if still_open is None:
            return None
        ids = list(
            await self.session.scalars(
                self._eligible(consultation).order_by(Resident.id).limit(limit)
            )
        )
        if not ids:
            return InviteBatch([], more=False)
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
        # Fewer than asked for: every resident left was in this batch (inserted here or by
        # another process just now).
        return InviteBatch(await self._addressees(mine), more=len(ids) == limit)

    async def invited(self, consultation_id: int, resident_id: int) -> bool:
        if not 1 <= consultation_id <= 2**31 - 1:
            return False
        row = await self.session.get(ConsultationInvitation, (consultation_id, resident_id))
        return row is not None

    async def of_resident(self, resident_id: int) -> list[ResidentInvitation]:
        """The invitations a resident got (and outcome notes), oldest first: /mydata."""
        rows = await self.session.execute(
            select(
                ConsultationInvitation.consultation_id,
                Consultation.title,
                ConsultationInvitation.queued_at,
                ConsultationInvitation.outcome_queued_at,
            )
            .join(Consultation, Consultation.id == ConsultationInvitation.consultation_id)
            .where(ConsultationInvitation.resident_id == resident_id)
            .order_by(ConsultationInvitation.consultation_id)
        )
        return [ResidentInvitation(int(c), t, q, o) for c, t, q, o in rows]

    # --- outcome notes ----------------------------------------------------------------

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

    async def _addressees(self, resident_ids: list[int]) -> list[Addressee]:
        if not resident_ids:
            return []
        rows = await self.session.execute(
            select(Resident.telegram_id, Resident.lang)
            .where(Resident.id.in_(resident_ids))
            .order_by(Resident.id)
        )
        return [Addressee(int(i), str(lang)) for i, lang in rows]
