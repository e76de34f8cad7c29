"""Residents who consented, looked up by Telegram id."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Resident
from storage.records import ResidentRecord

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _record(row: Resident) -> ResidentRecord:
    return ResidentRecord(
        id=row.id,
        telegram_id=row.telegram_id,
        pseudonym=row.pseudonym,
        lang=row.lang,
        consent_version=row.consent_version,
        consented_at=row.consented_at,
        blocked_at=row.blocked_at,
        ban=row.ban,
        ban_notified=row.ban_notified,
        consult_opt_in=row.consult_opt_in,
        home_subdistrict=row.home_subdistrict,
        consult_asked_at=row.consult_asked_at,
    )


def new_pseudonym() -> str:
    """What members will see instead of a name or id, e.g. 居民-K7Q2M9."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(6))


class ResidentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_id(self, resident_id: int | None) -> ResidentRecord | None:
        if resident_id is None:
            return None
        row = await self.session.get(Resident, resident_id, populate_existing=True)
        return _record(row) if row else None

    async def by_ids(self, resident_ids: Iterable[int]) -> dict[int, ResidentRecord]:
        """Many residents in one query, by id (the ones that still exist)."""
        ids = sorted(set(resident_ids))
        if not ids:
            return {}
        rows = await self.session.scalars(select(Resident).where(Resident.id.in_(ids)))
        return {row.id: _record(row) for row in rows}

    async def by_pseudonym(self, pseudonym: str) -> ResidentRecord | None:
        row = await self.session.scalar(select(Resident).where(Resident.pseudonym == pseudonym))
        return _record(row) if row else None

    async def set_ban(
        self, resident_id: int, ban: str | None, reason: str | None, by: int, now: datetime
    ) -> None:
        await self.session.execute(
            update(Resident)
            .where(Resident.id == resident_id)
            .values(
                ban=ban,
                ban_reason=reason,
                banned_by=by if ban else None,
                banned_at=now if ban else None,
                ban_notified=False,
            )
        )

    async def ban_notified(self, resident_id: int) -> None:
        await self.session.execute(
            update(Resident).where(Resident.id == resident_id).values(ban_notified=True)
        )

    async def pseudonym_of(self, resident_id: int | None) -> str | None:
        if resident_id is None:
            return None
        pseudonym: str | None = await self.session.scalar(
            select(Resident.pseudonym).where(Resident.id == resident_id)
        )
        return pseudonym

    async def by_telegram_id(self, telegram_id: int) -> ResidentRecord | None:
        row = await self.session.scalar(select(Resident).where(Resident.telegram_id == telegram_id))
        return _record(row) if row else None

    async def consent(
        self, telegram_id: int, lang: str, version: str, now: datetime
    ) -> ResidentRecord:
        """Create the resident on 同意, or renew the consent of one who exists."""
        row = await self.session.scalar(select(Resident).where(Resident.telegram_id == telegram_id))
        if row is None:
            while True:
                pseudonym = new_pseudonym()
                taken = await self.session.scalar(
                    select(Resident.id).where(Resident.pseudonym == pseudonym)
                )
                if taken is None:
                    break
            row = Resident(
                telegram_id=telegram_id,
                pseudonym=pseudonym,
                lang=lang,
                consent_version=version,
                consented_at=now,
                created_at=now,
            )
            self.session.add(row)
        else:
            row.consent_version = version
            row.consented_at = now
            row.lang = lang
        row.blocked_at = None
        await self.session.flush()
        return _record(row)

    async def set_lang(self, resident_id: int, lang: str) -> None:
        await self.session.execute(
            update(Resident).where(Resident.id == resident_id).values(lang=lang)
        )

    async def set_home_subdistrict(self, resident_id: int, code: str) -> None:
        """The sub-district of their latest opinion: where their invitations are for."""
        await self.session.execute(
            update(Resident).where(Resident.id == resident_id).values(home_subdistrict=code)
        )

    async def mark_consult_asked(self, resident_id: int, now: datetime) -> bool:
        """True once: the first caller asks about invitations, nobody after (a conditional
        UPDATE, so two receipts at once still ask once)."""
        result = await self.session.execute(
            update(Resident)
            .where(Resident.id == resident_id, Resident.consult_asked_at.is_(None))
            .values(consult_asked_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def set_consult_opt_in(self, resident_id: int, opt_in: bool, now: datetime) -> None:
        """Invitations to consultations: yes or no (asked, or changed in /invitations)."""
        await self.session.execute(
            update(Resident)
            .where(Resident.id == resident_id)
            .values(
                consult_opt_in=opt_in,
                consult_asked_at=func.coalesce(Resident.consult_asked_at, now),
            )
        )

    async def set_blocked(self, telegram_id: int, when: datetime | None) -> bool:
        """Record that the person blocked (when) or unblocked (None) the bot."""
        result = await self.session.execute(
            update(Resident).where(Resident.telegram_id == telegram_id).values(blocked_at=when)
        )
        return bool(getattr(result, "rowcount", 0))

    async def delete(self, resident_id: int) -> None:
        await self.session.execute(delete(Resident).where(Resident.id == resident_id))
