"""Admins and members (by Telegram user id), their followed sub-districts, invites."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite, Staff, StaffSubdistrict
from storage.records import InviteRecord, StaffRecord
from storage.statuses import ALL_SUBDISTRICTS, Frequency

#: Settings a member may change through `update`.
SETTINGS = frozenset(
    {
        "lang",
        "frequency",
        "weekday",
        "digest_time",
        "empty_note",
        "urgent",
        "awaiting",
        "schedule_from",
        "next_due",
        "menu_version",
    }
)


def staff_record(row: Staff, subdistricts: Iterable[str] = ()) -> StaffRecord:
    return StaffRecord(
        telegram_id=row.telegram_id,
        role=row.role,
        lang=row.lang,
        frequency=row.frequency,
        weekday=row.weekday,
        digest_time=row.digest_time,
        empty_note=row.empty_note,
        urgent=row.urgent,
        awaiting=row.awaiting,
        schedule_from=row.schedule_from,
        next_due=row.next_due,
        last_slot=row.last_slot,
        unreachable_at=row.unreachable_at,
        menu_version=row.menu_version,
        granted_by=row.granted_by,
        granted_at=row.granted_at,
        subdistricts=tuple(sorted(subdistricts)),
    )


def _invite(row: Invite) -> InviteRecord:
    return InviteRecord(
        code=row.code,
        subdistricts=tuple(str(s) for s in row.subdistricts),
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_by=row.used_by,
        used_at=row.used_at,
    )


class StaffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, telegram_id: int) -> StaffRecord | None:
        row = await self.session.get(Staff, telegram_id, populate_existing=True)
        if row is None:
            return None
        return staff_record(row, await self._followed(telegram_id))

    async def lock(self, telegram_id: int) -> StaffRecord | None:
        """The row, locked until commit on PostgreSQL: two processes building one member's
        digest, or a digest and a settings change, take turns. FOR NO KEY UPDATE: a
        submission queuing an item for the member (a foreign key to this row) is not held
        up, and does not hold the digest up."""
        row = await self.session.scalar(
            select(Staff)
            .where(Staff.telegram_id == telegram_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        if row is None:
            return None
        return staff_record(row, await self._followed(telegram_id))

    async def all(self) -> list[StaffRecord]:
        rows = list(await self.session.scalars(select(Staff).order_by(Staff.telegram_id)))
        followed: dict[int, list[str]] = {}
        for link in await self.session.scalars(select(StaffSubdistrict)):
            followed.setdefault(link.telegram_id, []).append(link.subdistrict)
        return [staff_record(r, followed.get(r.telegram_id, ())) for r in rows]

    async def add(
        self,
        telegram_id: int,
        role: str,
        *,
        digest_time: str,
        granted_by: int | None,
        now: datetime,
        lang: str = "zh",
    ) -> StaffRecord:
        row = Staff(
            telegram_id=telegram_id,
            role=role,
            lang=lang,
            frequency=Frequency.DAILY,
            weekday=0,
            digest_time=digest_time,
            empty_note=False,
            urgent=True,
            schedule_from=now,
            granted_by=granted_by,
            granted_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return staff_record(row)

    async def set_role(
        self, telegram_id: int, role: str, granted_by: int | None, now: datetime
    ) -> None:
        await self.session.execute(
            update(Staff)
            .where(Staff.telegram_id == telegram_id)
            .values(role=role, granted_by=granted_by, granted_at=now)
        )

    async def remove(self, telegram_id: int) -> bool:
        """Gone with its followed sub-districts, digests and queued items (cascade)."""
        result = await self.session.execute(delete(Staff).where(Staff.telegram_id == telegram_id))
        return bool(getattr(result, "rowcount", 0))

    async def update(self, telegram_id: int, **values: Any) -> None:
        unknown = set(values) - SETTINGS
        if unknown:
            raise ValueError(f"not a setting: {sorted(unknown)}")
        await self.session.execute(
            update(Staff).where(Staff.telegram_id == telegram_id).values(**values)
        )

    async def set_unreachable(self, telegram_id: int, at: datetime | None) -> bool:
        result = await self.session.execute(
            update(Staff).where(Staff.telegram_id == telegram_id).values(unreachable_at=at)
        )
        return bool(getattr(result, "rowcount", 0))

    async def follow(self, telegram_id: int, codes: Iterable[str], now: datetime) -> None:
        for code in set(codes) - set(await self._followed(telegram_id)):
            self.session.add(StaffSubdistrict(telegram_id=telegram_id, subdistrict=code, since=now))
        await self.session.flush()

    async def unfollow(self, telegram_id: int, codes: Iterable[str]) -> None:
        codes = list(codes)
        if codes:
            await self.session.execute(
                delete(StaffSubdistrict).where(
                    StaffSubdistrict.telegram_id == telegram_id,
                    StaffSubdistrict.subdistrict.in_(codes),
                )
            )

    async def due(self, now: datetime, limit: int = 200) -> list[int]:
        """Members whose next digest time has come (reachable, digests not off)."""
        rows = await self.session.scalars(
            select(Staff.telegram_id)
            .where(
                Staff.next_due.is_not(None),
                Staff.next_due <= now,
                Staff.frequency != Frequency.OFF,
                Staff.unreachable_at.is_(None),
            )
            .order_by(Staff.next_due, Staff.telegram_id)
            .limit(limit)
        )
        return list(rows)

    async def advance(
        self,
        telegram_id: int,
        last_slot: datetime | None,
        slot: datetime,
        next_due: datetime | None,
    ) -> bool:
        """Record `slot` as delivered, if nobody recorded it (or a later one) meanwhile."""
        stale = Staff.last_slot.is_(None) if last_slot is None else Staff.last_slot == last_slot
        result = await self.session.execute(
            update(Staff)
            .where(Staff.telegram_id == telegram_id, stale)
            .values(last_slot=slot, next_due=next_due)
        )
        return bool(getattr(result, "rowcount", 0))

    async def followers(self, subdistrict: str | None) -> list[int]:
        """Who follows `subdistrict` (or everything); None is an item not yet placed."""
        wanted = [ALL_SUBDISTRICTS] if subdistrict is None else [ALL_SUBDISTRICTS, subdistrict]
        rows = await self.session.scalars(
            select(StaffSubdistrict.telegram_id)
            .where(StaffSubdistrict.subdistrict.in_(wanted))
            .distinct()
        )
        return sorted(rows)

    async def urgent_followers(self, subdistrict: str | None) -> list[StaffRecord]:
        """Reachable followers of `subdistrict` who want safety items at once."""
        ids = await self.followers(subdistrict)
        if not ids:
            return []
        rows = await self.session.scalars(
            select(Staff).where(
                Staff.telegram_id.in_(ids), Staff.urgent.is_(True), Staff.unreachable_at.is_(None)
            )
        )
        return [staff_record(r) for r in rows]

    async def _followed(self, telegram_id: int) -> list[str]:
        rows = await self.session.scalars(
            select(StaffSubdistrict.subdistrict).where(StaffSubdistrict.telegram_id == telegram_id)
        )
        return list(rows)

    # Invites

    async def add_invite(
        self,
        code: str,
        subdistricts: Iterable[str],
        created_by: int,
        now: datetime,
        expires_at: datetime,
    ) -> InviteRecord:
        row = Invite(
            code=code,
            subdistricts=list(subdistricts),
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
        )
        self.session.add(row)
        await self.session.flush()
        return _invite(row)

    async def invite(self, code: str) -> InviteRecord | None:
        row = await self.session.get(Invite, code, populate_existing=True)
        return _invite(row) if row else None

    async def use_invite(self, code: str, user_id: int, now: datetime) -> bool:
        """Spend the invite, once: false when it was used (by anyone) or has expired."""
        result = await self.session.execute(
            update(Invite)
            .where(Invite.code == code, Invite.used_by.is_(None), Invite.expires_at > now)
            .values(used_by=user_id, used_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def prune_invites(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(Invite).where(or_(Invite.expires_at < before, Invite.used_at < before))
        )
        return int(getattr(result, "rowcount", 0) or 0)
