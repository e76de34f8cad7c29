"""Members' follow-up of opinions and residents' ratings and reopenings.

Every step is one conditional UPDATE of the opinion (so two members acting at once are
both recorded, and the first response keeps the earliest moment: `coalesce` in SQL, not a
value read before), then a line in `opinion_actions` when the UPDATE took. Action cards
say what a follow-up button stands for; the button carries only the card id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ActionCard, Opinion, OpinionAction
from storage.records import ActionCardRecord, ActionRecord, OpinionBrief, ReminderDue
from storage.statuses import ActionKind, OpinionStatus, Progress

#: Kinds a member may record (the resident's own are reopened and rated).
MEMBER_KINDS = (ActionKind.FORWARDED, ActionKind.ADOPTED, ActionKind.ANSWERED, ActionKind.RESOLVED)


@dataclass(frozen=True, slots=True)
class Recorded:
    """A member's action that took: the opinion's sub-district (what the resident is told)
    and its progress now."""

    subdistrict: str | None
    progress: str


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

    async def forget_cards_of(self, person_id: int) -> int:
        """Erasure: every card shown to this person (a resident's reopen prompts name
        their Telegram id)."""
        result = await self.session.execute(
            delete(ActionCard).where(ActionCard.member_id == person_id)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_old_cards(self, *, done_before: datetime, made_before: datetime) -> int:
        """Retention: cards used up before `done_before`, and any made before `made_before`
        (a button that old is answered as expired)."""
        result = await self.session.execute(
            delete(ActionCard).where(
                or_(ActionCard.done_at < done_before, ActionCard.created_at < made_before)
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # --- what the picker shows ---------------------------------------------------------

    async def briefs(self, opinion_ids: Sequence[int]) -> dict[int, OpinionBrief]:
        """The few columns a picker needs of many opinions, in one query."""
        ids = sorted({int(i) for i in opinion_ids})
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Opinion.id, Opinion.subdistrict, Opinion.status, Opinion.text).where(
                Opinion.id.in_(ids)
            )
        )
        return {int(i): OpinionBrief(int(i), sd, status, text) for i, sd, status, text in rows}

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
    ) -> Recorded | None:
        """A member's action on a visible opinion (None when it is not visible any more).

        A resolved opinion stays resolved when a member forwards, adopts or answers it
        afterwards (its resolution, rating and reopen window stand; the action is recorded
        and the resident told): only the resident's reopening takes "resolved" away. The
        CASE decides on the row as the UPDATE finds it, so no value read before is trusted.
        """
        if kind not in MEMBER_KINDS:
            raise ValueError(f"not a member's action: {kind}")
        progress: Any = (
            kind.value
            if kind is ActionKind.RESOLVED
            else case(
                (Opinion.progress == Progress.RESOLVED.value, Progress.RESOLVED.value),
                else_=kind.value,
            )
        )
        values: dict[str, Any] = {
            "progress": progress,
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
            .returning(Opinion.subdistrict, Opinion.progress)
        )
        found = result.first()
        if found is None:
            return None
        subdistrict, now_progress = found
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
        return Recorded(subdistrict, str(now_progress))

    async def reopen(
        self, opinion_id: int, reason: str, *, now: datetime, resolved_since: datetime
    ) -> bool:
        """The resident reopens a resolution made since `resolved_since` (the window).

        Their rating stays (the 三率 count a reopened item as rated and not satisfied,
        whatever its stars: an unhappy rating must not vanish from satisfaction by being
        followed by a reopening), and nobody asks them to rate until it is resolved again,
        which starts a new rating."""
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
                rating_asks=0,
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

    async def claim_reminders(
        self, asked_before: datetime, now: datetime, limit: int
    ) -> list[ReminderDue]:
        """Up to `limit` resolved, unrated opinions asked once, longer ago than
        `asked_before`, marked as asked the second (and last) time by one conditional
        UPDATE; the ones this transaction marked. Two processes ticking at once never mark
        one twice: the UPDATE checks the conditions again on the rows it locks, and on
        PostgreSQL the second skips the rows the first holds instead of waiting for them.

        The ids are picked first, as the outbox's claim does: an `IN (SELECT … LIMIT …
        FOR UPDATE SKIP LOCKED)` inside the UPDATE may be run again by PostgreSQL for each
        row and mark far more than `limit`."""
        due = (
            Opinion.progress == Progress.RESOLVED,
            Opinion.status == OpinionStatus.RECEIVED,
            Opinion.rating.is_(None),
            Opinion.rating_asks == 1,
            Opinion.rating_asked_at < asked_before,
            Opinion.resident_id.is_not(None),
        )
        pick = (
            select(Opinion.id)
            .where(*due)
            .order_by(Opinion.rating_asked_at, Opinion.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        ids = list(await self.session.scalars(pick))
        if not ids:
            return []
        result = await self.session.execute(
            update(Opinion)
            .where(Opinion.id.in_(ids), *due)
            .values(rating_asks=2, rating_asked_at=now)
            .returning(Opinion.id, Opinion.resident_id, Opinion.text, Opinion.resolved_at)
        )
        marked = [
            ReminderDue(int(i), int(r), text, resolved_at)
            for i, r, text, resolved_at in result
            if r is not None
        ]
        return sorted(marked, key=lambda d: d.opinion_id)

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
