"""Moderation cards (what a moderation button stands for) and error alerts told once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AdminAlert, ModerationCard
from storage.records import CardRecord


class ModerationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_card(
        self,
        admin_id: int,
        opinion_id: int | None,
        now: datetime,
        *,
        page: Sequence[int] = (),
        payload: dict[str, Any] | None = None,
    ) -> int:
        row = ModerationCard(
            admin_id=admin_id,
            opinion_id=opinion_id,
            page=list(page),
            payload=payload or {},
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def card(self, card_id: int) -> CardRecord | None:
        row = await self.session.get(ModerationCard, card_id)
        if row is None:
            return None
        return CardRecord(
            id=row.id,
            admin_id=row.admin_id,
            opinion_id=row.opinion_id,
            page=tuple(int(i) for i in row.page),
            payload=dict(row.payload),
            created_at=row.created_at,
        )

    async def prune_cards(self, before: datetime) -> int:
        """Cards shown before `before`: their buttons are long gone from anyone's screen."""
        result = await self.session.execute(
            delete(ModerationCard).where(ModerationCard.created_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def first_alert(self, signature: str, now: datetime, quiet: timedelta) -> bool:
        """True when the admins should be told of this error now: never told, or last told
        longer than `quiet` ago. Counts every occurrence."""
        row = await self.session.get(AdminAlert, signature, with_for_update=True)
        if row is None:
            try:
                async with self.session.begin_nested():
                    self.session.add(
                        AdminAlert(signature=signature, first_at=now, last_at=now, count=1)
                    )
            except IntegrityError:
                return False  # another process is telling them
            return True
        due = row.last_at <= now - quiet
        await self.session.execute(
            update(AdminAlert)
            .where(AdminAlert.signature == signature)
            .values(count=AdminAlert.count + 1, **({"last_at": now} if due else {}))
        )
        return due
