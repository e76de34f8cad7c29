"""Members' follow-up of opinions and residents' ratings and reopenings.

Every step is one conditional UPDATE of the opinion (so two members acting at once are
both recorded, and the first response keeps the earliest moment: `coalesce` in SQL, not a
value read before), then a line in `opinion_actions` when the UPDATE took. Action cards
say what a follow-up button stands for; the button carries only the card id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ActionCard, Opinion, OpinionAction
from storage.records import ActionCardRecord, ActionRecord
from storage.statuses import ActionKind, OpinionStatus, Progress

#: Kinds a member may record (the resident's own are reopened and rated).
MEMBER_KINDS = (ActionKind.FORWARDED, ActionKind.ADOPTED, ActionKind.ANSWERED, ActionKind.RESOLVED)


def _card(row: ActionCard) -> ActionCardRecord:
    return ActionCardRecord(
        id=row.id,
        member_id=row.member_id,
        opinion_ids=tuple(int(i) for i in row.opinion_ids or ()),
        payload=dict(row.payload or {}),
        created_at=row.created_at,
        done_at=row.done_at,
    )


def _action(row: OpinionAction) -> ActionRecord:
    return ActionRecord(
        id=row.id,
        opinion_id=row.opinion_id,
        at=row.at,
        kind=row.kind,
        actor_id=row.actor_id,
        subdistrict=row.subdistrict,
        department=row.department,
        text=row.text,
        rating=row.rating,
    )


class FollowupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- cards ----------------------------------------------------------------------------

    async def add_card(
        self, member_id: int, opinion_ids: Sequence[int], payload: dict[str, Any], now: datetime
    ) -> ActionCardRecord:
        row = ActionCard(
            member_id=member_id, opinion_ids=list(opinion_ids), payload=payload, created_at=now
        )
        self.session.add(row)
        await self.session.flush()
        return _card(row)

    async def add_cards(
        self, cards: Sequence[tuple[int, Sequence[int], dict[str, Any]]], now: datetime
    ) -> list[int]:
        """Many cards in one statement (a digest round's batch), their ids in order."""
        if not cards:
            return []
        result = await self.session.execute(
            insert(ActionCard).returning(ActionCard.id, sort_by_parameter_order=True),
            [
                {"member_id": m, "opinion_ids": list(ids), "payload": p, "created_at": now}
                for m, ids, p in cards
            ],
        )
        return [int(i) for i in result.scalars()]

    async def card(self, card_id: int) -> ActionCardRecord | None:
        if not 1 <= card_id <= 2**31 - 1:
            return None
        row = await self.session.get(ActionCard, card_id, populate_existing=True)
        return _card(row) if row else None

    async def set_payload(self, card_id: int, payload: dict[str, Any]) -> None:
        await self.session.execute(
            update(ActionCard).where(ActionCard.id == card_id).values(payload=payload)
        )

    async def finish_card(self, card_id: int, now: datetime) -> bool:
        """Once: false when the card was used already (a second press, a replay)."""
        result = await self.session.execute(
            update(ActionCard)
            .where(ActionCard.id == card_id, ActionCard.done_at.is_(None))
            .values(done_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def open_card_of(
        self, person_id: int, kind: str, since: datetime
    ) -> ActionCardRecord | None:
        """The person's newest unused card of `kind` made since `since` (a resident's reopen
        prompt waiting for the reason). Few rows: the payload is read here, portably."""
        rows = await self.session.scalars(
            select(ActionCard)
            .where(
                ActionCard.member_id == person_id,
                ActionCard.done_at.is_(None),
                ActionCard.created_at >= since,
            )
            .order_by(ActionCard.id.desc())
            .limit(20)
        )
        for row in rows:
            if (row.payload or {}).get("kind") == kind:
                return _card(row)
        return None

    async def close_cards_of(self, person_id: int, kind: str, now: datetime) -> int:
        """Every unused card of `kind` of the person is used up (a new prompt, /cancel)."""
        rows = await self.session.scalars(
            select(ActionCard).where(
                ActionCard.member_id == person_id, ActionCard.done_at.is_(None)
            )
        )
        ids = [r.id for r in rows if (r.payload or {}).get("kind") == kind]
        if ids:
            await self.session.execute(
                update(ActionCard).where(ActionCard.id.in_(ids)).values(done_at=now)
            )
        return len(ids)

    # --- the steps of the follow-up ------------------------------------------------------

    async def act(
        self,
        opinion_id: int,
        kind: ActionKind,
        *,
        actor_id: int,
        now: datetime,
        department: str | None = None,
        text: str | None = None,
    ) -> str | None:
        """A member's action on a visible opinion: its sub-district (what the resident is
        told) when recorded, None when the opinion is not visible (any more)."""
        if kind not in MEMBER_KINDS:
            raise ValueError(f"not a member's action: {kind}")
        values: dict[str, Any] = {
            "progress": kind.value,
            "first_response_at": func.coalesce(Opinion.first_response_at, now),
            "updated_at": now,
        }
        if kind is ActionKind.RESOLVED:
            values.update(
                resolved_at=now, rating_asks=1, rating_asked_at=now, rating=None, rated_at=None
            )
        result = await self.session.execute(
            update(Opinion)
            .where(Opinion.id == opinion_id, Opinion.status == OpinionStatus.RECEIVED)
            .values(**values)
            .returning(Opinion.subdistrict)
        )
        found = result.first()
        if found is None:
            return None
        subdistrict = found[0]
        self.session.add(
            OpinionAction(
                opinion_id=opinion_id,
                at=now,
                kind=kind.value,
                actor_id=actor_id,
                subdistrict=subdistrict,
                department=department,
                text=text,
            )
        )
        await self.session.flush()
        return str(subdistrict) if subdistrict is not None else ""

    async def reopen(
        self, opinion_id: int, reason: str, *, now: datetime, resolved_since: datetime
    ) -> bool:
        """The resident reopens a resolution made since `resolved_since` (the window)."""
        result = await self.session.execute(
            update(Opinion)
            .where(
                Opinion.id == opinion_id,
                Opinion.status == OpinionStatus.RECEIVED,
                Opinion.progress == Progress.RESOLVED,
                Opinion.resolved_at >= resolved_since,
            )
            .values(
                progress=Progress.REOPENED.value,
                resolved_at=None,
                reopen_count=Opinion.reopen_count + 1,
                updated_at=now,
            )
        )
        if not getattr(result, "rowcount", 0):
            return False
        self.session.add(
            OpinionAction(opinion_id=opinion_id, at=now, kind=ActionKind.REOPENED, text=reason)
        )
        await self.session.flush()
        return True

    async def rate(self, opinion_id: int, rating: int, *, now: datetime) -> bool:
        """The resident rates a resolved opinion (again: the latest counts)."""
        if not 1 <= rating <= 5:
            raise ValueError("a rating is 1-5")
        result = await self.session.execute(
            update(Opinion)
            .where(
                Opinion.id == opinion_id,
                Opinion.status == OpinionStatus.RECEIVED,
                Opinion.progress == Progress.RESOLVED,
            )
            .values(rating=rating, rated_at=now)
        )
        if not getattr(result, "rowcount", 0):
            return False
        self.session.add(
            OpinionAction(opinion_id=opinion_id, at=now, kind=ActionKind.RATED, rating=rating)
        )
        await self.session.flush()
        return True

    # --- reminders ------------------------------------------------------------------------

    async def rating_reminders_due(self, asked_before: datetime, limit: int) -> list[int]:
        """Resolved, unrated opinions asked once, longer ago than `asked_before`."""
        rows = await self.session.scalars(
            select(Opinion.id)
            .where(
                Opinion.progress == Progress.RESOLVED,
                Opinion.status == OpinionStatus.RECEIVED,
                Opinion.rating.is_(None),
                Opinion.rating_asks == 1,
                Opinion.rating_asked_at < asked_before,
                Opinion.resident_id.is_not(None),
            )
            .order_by(Opinion.rating_asked_at, Opinion.id)
            .limit(limit)
        )
        return [int(i) for i in rows]

    async def mark_reminded(self, opinion_id: int, now: datetime) -> bool:
        """Asked the second (and last) time: once, whoever else ticks meanwhile."""
        result = await self.session.execute(
            update(Opinion)
            .where(
                Opinion.id == opinion_id,
                Opinion.rating_asks == 1,
                Opinion.rating.is_(None),
                Opinion.progress == Progress.RESOLVED,
            )
            .values(rating_asks=2, rating_asked_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    # --- history --------------------------------------------------------------------------

    async def history(self, opinion_ids: Sequence[int]) -> dict[int, list[ActionRecord]]:
        """Each opinion's follow-up lines, oldest first."""
        if not opinion_ids:
            return {}
        rows = await self.session.scalars(
            select(OpinionAction)
            .where(OpinionAction.opinion_id.in_(list(opinion_ids)))
            .order_by(OpinionAction.id)
        )
        out: dict[int, list[ActionRecord]] = {}
        for row in rows:
            out.setdefault(row.opinion_id, []).append(_action(row))
        return out
