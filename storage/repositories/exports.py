"""Export jobs (/export, built off the update path by a tick) and the rows they list.

A job is claimed with one conditional UPDATE on its state (pending, or running with a claim
older than `stale_before`: its process died), so two processes never build one job. Rows
are read a page at a time, by id, each page in a short transaction of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Consultation,
    ExportJob,
    Opinion,
    OpinionAction,
    OpinionSupporter,
    OutboxMessage,
    Resident,
)
from storage.records import ActionLine, ExportJobRecord, ExportRow
from storage.repositories.stats import scope
from storage.statuses import ExportStatus, OutboxStatus

#: States of the progress message after which it is known whether it can be edited.
_SETTLED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.UNCERTAIN)


def _job(row: ExportJob) -> ExportJobRecord:
    return ExportJobRecord(
        id=row.id,
        requester_id=row.requester_id,
        lang=row.lang,
        params=dict(row.params or {}),
        status=row.status,
        progress_outbox_id=row.progress_outbox_id,
        rows_done=row.rows_done,
        rows_total=row.rows_total,
        created_at=row.created_at,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
    )


class ExportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(
        self,
        requester_id: int,
        lang: str,
        params: dict[str, Any],
        progress_outbox_id: int | None,
        now: datetime,
    ) -> int:
        job_id = await self.session.scalar(
            insert(ExportJob)
            .values(
                requester_id=requester_id,
                lang=lang,
                params=params,
                status=ExportStatus.PENDING,
                progress_outbox_id=progress_outbox_id,
                rows_done=0,
                created_at=now,
            )
            .returning(ExportJob.id)
        )
        assert job_id is not None
        return int(job_id)

    async def get(self, job_id: int) -> ExportJobRecord | None:
        row = await self.session.get(ExportJob, job_id)
        return _job(row) if row else None

    async def active_for(self, requester_id: int) -> int | None:
        """The requester's export still being prepared, if any (a stale one counts: the
        next tick takes it again)."""
        found = await self.session.scalar(
            select(ExportJob.id)
            .where(
                ExportJob.requester_id == requester_id,
                ExportJob.status.in_([ExportStatus.PENDING, ExportStatus.RUNNING]),
            )
            .order_by(ExportJob.id)
            .limit(1)
        )
        return int(found) if found is not None else None

    def _claimable(self, stale_before: datetime) -> Any:
        # A pending job waits until its progress message went out (so it can be edited);
        # a running one whose claim went stale was left by a process that died.
        progress_settled = or_(
            ExportJob.progress_outbox_id.is_(None),
            select(OutboxMessage.id)
            .where(
                OutboxMessage.id == ExportJob.progress_outbox_id,
                OutboxMessage.status.in_(_SETTLED),
            )
            .exists(),
            ~select(OutboxMessage.id)
            .where(OutboxMessage.id == ExportJob.progress_outbox_id)
            .exists(),
        )
        return or_(
            and_(ExportJob.status == ExportStatus.PENDING, progress_settled),
            and_(ExportJob.status == ExportStatus.RUNNING, ExportJob.claimed_at < stale_before),
        )

    async def claimable(self, stale_before: datetime, limit: int = 5) -> list[int]:
        """Jobs a process may take now, oldest first."""
        ids = await self.session.scalars(
            select(ExportJob.id)
            .where(self._claimable(stale_before))
            .order_by(ExportJob.id)
            .limit(limit)
        )
        return [int(i) for i in ids]

    async def claim(
        self, job_id: int, owner: str, now: datetime, stale_before: datetime
    ) -> ExportJobRecord | None:
        """Take the job for `owner`, if still claimable: one conditional UPDATE."""
        result = await self.session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id, self._claimable(stale_before))
            .values(
                status=ExportStatus.RUNNING,
                claimed_by=owner,
                claimed_at=now,
                rows_done=0,
                error=None,
            )
            .execution_options(synchronize_session=False)
        )
        if not getattr(result, "rowcount", 0):
            return None
        row = await self.session.get(ExportJob, job_id, populate_existing=True)
        return _job(row) if row else None

    async def touch(
        self,
        job_id: int,
        owner: str,
        now: datetime,
        *,
        rows_done: int | None = None,
        rows_total: int | None = None,
    ) -> bool:
        """Keep the claim fresh and record progress; False when the claim was lost."""
        values: dict[str, Any] = {"claimed_at": now}
        if rows_done is not None:
            values["rows_done"] = rows_done
        if rows_total is not None:
            values["rows_total"] = rows_total
        result = await self.session.execute(
            update(ExportJob)
            .where(
                ExportJob.id == job_id,
                ExportJob.claimed_by == owner,
                ExportJob.status == ExportStatus.RUNNING,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def finish(
        self, job_id: int, owner: str, now: datetime, status: str, error: str | None = None
    ) -> bool:
        """End the job as `status`, if `owner` still holds it (once: False otherwise)."""
        result = await self.session.execute(
            update(ExportJob)
            .where(
                ExportJob.id == job_id,
                ExportJob.claimed_by == owner,
                ExportJob.status == ExportStatus.RUNNING,
            )
            .values(status=status, finished_at=now, error=error)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def progress_message_id(self, job_id: int) -> int | None:
        """Telegram's id of the job's progress message, once it was sent."""
        found = await self.session.scalar(
            select(OutboxMessage.telegram_message_id)
            .join(ExportJob, ExportJob.progress_outbox_id == OutboxMessage.id)
            .where(ExportJob.id == job_id, OutboxMessage.status == OutboxStatus.SENT)
        )
        return int(found) if found is not None else None

    async def count_rows(
        self,
        since: datetime,
        before: datetime,
        codes: Sequence[str] | None,
        statuses: Sequence[str],
    ) -> int:
        total = await self.session.scalar(
            select(func.count())
            .select_from(Opinion)
            .where(*_rows_where(since, before, codes, statuses))
        )
        return int(total or 0)

    async def rows(
        self,
        since: datetime,
        before: datetime,
        codes: Sequence[str] | None,
        statuses: Sequence[str],
        *,
        after_id: int = 0,
        limit: int = 500,
    ) -> list[ExportRow]:
        """A page of the rows (by opinion id, after `after_id`), with each one's history,
        supporters and consultation: four statements a page, however long it is."""
        found = (
            await self.session.execute(
                select(
                    Opinion.id,
                    Opinion.created_at,
                    Opinion.visible_at,
                    Opinion.subdistrict,
                    Opinion.category,
                    Opinion.status,
                    Opinion.progress,
                    Opinion.first_response_at,
                    Opinion.rating,
                    Opinion.reopen_count,
                    Opinion.consultation_id,
                    Opinion.text,
                    Opinion.erased_at,
                    Resident.pseudonym,
                )
                .outerjoin(Resident, Resident.id == Opinion.resident_id)
                .where(*_rows_where(since, before, codes, statuses), Opinion.id > after_id)
                .order_by(Opinion.id)
                .limit(limit)
            )
        ).all()
        ids = [int(r[0]) for r in found]
        if not ids:
            return []
        actions: dict[int, list[ActionLine]] = defaultdict(list)
        for opinion_id, at, kind, department, text, rating in await self.session.execute(
            select(
                OpinionAction.opinion_id,
                OpinionAction.at,
                OpinionAction.kind,
                OpinionAction.department,
                OpinionAction.text,
                OpinionAction.rating,
            )
            .where(OpinionAction.opinion_id.in_(ids))
            .order_by(OpinionAction.opinion_id, OpinionAction.at, OpinionAction.id)
        ):
            actions[int(opinion_id)].append(ActionLine(at, kind, department, text, rating))
        supporters = dict(
            (int(i), int(n))
            for i, n in await self.session.execute(
                select(OpinionSupporter.opinion_id, func.count())
                .where(OpinionSupporter.opinion_id.in_(ids))
                .group_by(OpinionSupporter.opinion_id)
            )
        )
        consultation_ids = sorted({int(r[10]) for r in found if r[10] is not None})
        titles: dict[int, str | None] = {}
        if consultation_ids:
            titles = {
                int(i): title
                for i, title in await self.session.execute(
                    select(Consultation.id, Consultation.title).where(
                        Consultation.id.in_(consultation_ids)
                    )
                )
            }
        out = []
        for r in found:
            if r[2] is None:  # not possible: the query asks for a visible_at in the period
                continue
            opinion_id = int(r[0])
            erased = r[12] is not None
            out.append(
                ExportRow(
                    opinion_id=opinion_id,
                    created_at=r[1],
                    visible_at=r[2],
                    subdistrict=r[3],
                    category=r[4],
                    status=r[5],
                    progress=r[6],
                    first_response_at=r[7],
                    rating=r[8],
                    reopen_count=int(r[9] or 0),
                    supporters=supporters.get(opinion_id, 0),
                    consultation_id=r[10],
                    consultation_title=titles.get(r[10]) if r[10] is not None else None,
                    pseudonym=None if erased else r[13],
                    text=None if erased else r[11],
                    erased=erased,
                    actions=tuple(actions.get(opinion_id, ())),
                )
            )
        return out


def _rows_where(
    since: datetime, before: datetime, codes: Sequence[str] | None, statuses: Sequence[str]
) -> list[Any]:
    return [
        Opinion.visible_at >= since,
        Opinion.visible_at < before,
        Opinion.status.in_(list(statuses)),
        *scope(codes),
    ]
