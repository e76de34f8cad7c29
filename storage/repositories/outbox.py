"""The outbox: Telegram calls decided in a transaction, delivered after it commits.

A row's life: pending -> sending (claimed by one sender, just before its request goes out)
-> sent | failed | uncertain, or back to pending with a retry time. Final rows keep why and
Telegram's message id, not what they said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from storage.models import OutboxMessage
from storage.records import OutboxRecord
from storage.repositories.ordering import first_of_its_chat
from storage.statuses import OutboxStatus, Priority

_DROP_CONTENT: dict[str, object] = {"payload": None, "file_content": None}


@dataclass(frozen=True)
class NewRow:
    """A call to queue with `add_many`."""

    chat_id: int
    method: str
    payload: dict[str, Any]
    file_content: bytes | None = None
    priority: Priority = Priority.REPLY


def _claimed_by(owner: str | None, *, dead: bool = False) -> list[Any]:
    """Conditions for writing a row's outcome: it is still the claim of `owner` (a sender
    records only its own claims; recovery settles only the dead one it saw). None: any row
    (operators' commands, tests)."""
    if owner is None and not dead:
        return []
    claimant = (
        OutboxMessage.claimed_by.is_(None) if owner is None else OutboxMessage.claimed_by == owner
    )
    return [OutboxMessage.status == OutboxStatus.SENDING, claimant]


def _record(
    r: OutboxMessage, *, with_content: bool = True, with_payload: bool = True
) -> OutboxRecord:
    return OutboxRecord(
        r.id,
        r.chat_id,
        r.method,
        (r.payload or {}) if with_payload else {},
        r.attempts,
        r.created_at,
        r.not_before,
        r.file_content if with_content else None,
        r.priority,
    )


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        chat_id: int,
        method: str,
        payload: dict[str, Any],
        file_content: bytes | None = None,
        *,
        priority: Priority = Priority.REPLY,
        now: datetime,
    ) -> None:
        self.session.add(
            OutboxMessage(
                chat_id=chat_id,
                method=method,
                payload=payload,
                file_content=file_content,
                priority=priority,
                created_at=now,
            )
        )

    async def add_many(self, rows: Sequence[NewRow], *, now: datetime) -> None:
        """`add` for many rows in one round trip (a digest round queues thousands), their
        ids in the order given, after anything added before."""
        if not rows:
            return
        await self.session.flush()
        conn = await self.session.connection()
        await conn.execute(
            insert(OutboxMessage),
            [
                {
                    "chat_id": r.chat_id,
                    "method": r.method,
                    "payload": r.payload,
                    "file_content": r.file_content,
                    "status": OutboxStatus.PENDING,
                    "priority": r.priority,
                    "attempts": 0,
                    "created_at": now,
                }
                for r in rows
            ],
        )

    async def due(
        self, now: datetime, limit: int = 100, *, payloads: bool = True
    ) -> list[OutboxRecord]:
        """What may be sent now: the oldest unfinished row of each chat, if it is due;
        replies before bulk, then oldest first. A chat's rows leave strictly in order: one
        waiting for a retry or being sent holds the chat's later rows.

        Files (charts, sheets) are left out, and with `payloads=False` what the rows say
        too (an empty payload): a sender reads those only for the rows it claims (`parts`),
        and a look at what is due should not read megabytes of digests."""
        left_out = [defer(OutboxMessage.file_content, raiseload=True)]
        if not payloads:
            left_out.append(defer(OutboxMessage.payload, raiseload=True))
        rows = await self.session.scalars(
            select(OutboxMessage)
            .where(first_of_its_chat(OutboxMessage, now, OutboxStatus.SENDING))
            .order_by(OutboxMessage.priority, OutboxMessage.id)
            .limit(limit)
            .options(*left_out)
        )
        return [_record(r, with_content=False, with_payload=payloads) for r in rows]

    async def parts(self, ids: Sequence[int]) -> dict[int, tuple[dict[str, Any], bytes | None]]:
        """What these rows say and the file they carry, by id."""
        if not ids:
            return {}
        rows = await self.session.execute(
            select(OutboxMessage.id, OutboxMessage.payload, OutboxMessage.file_content).where(
                OutboxMessage.id.in_(list(ids))
            )
        )
        return {int(i): (p or {}, c) for i, p, c in rows}

    async def claim(self, ids: Sequence[int], owner: str, now: datetime) -> list[int]:
        """Take rows for sending; returns the ids this sender got (another may have some).

        On PostgreSQL the rows are locked with SKIP LOCKED, so a second sender skips them
        instead of waiting; the status check makes the claim safe either way.
        """
        if not ids:
            return []
        pick = select(OutboxMessage.id).where(
            OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING
        )
        if self.session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        free = list(await self.session.scalars(pick))
        if not free:
            return []
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(free), OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENDING, claimed_by=owner, claimed_at=now)
            .returning(OutboxMessage.id)
        )
        return sorted(int(i) for i in result.scalars())

    async def sent(
        self, row_id: int, message_id: int | None, now: datetime, *, owner: str | None = None
    ) -> None:
        await self._settle(
            row_id,
            owner,
            status=OutboxStatus.SENT,
            telegram_message_id=message_id,
            sent_at=now,
            error=None,
            **_DROP_CONTENT,
        )

    async def sent_many(
        self, sent: Sequence[tuple[int, int | None]], now: datetime, *, owner: str
    ) -> None:
        """`sent` for many (row id, Telegram's message id) claimed by `owner`, in one round
        trip (a sender records a few a second)."""
        if not sent:
            return
        conn = await self.session.connection()
        # Core executemany: an ORM UPDATE given many parameter sets would match by primary
        # key alone, without the claim condition.
        await conn.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == bindparam("row_id"), *_claimed_by(owner))
            .values(
                attempts=OutboxMessage.attempts + 1,
                status=OutboxStatus.SENT,
                telegram_message_id=bindparam("message_id"),
                sent_at=now,
                error=None,
                **_DROP_CONTENT,
            ),
            [{"row_id": i, "message_id": m} for i, m in sent],
        )

    async def retry_later(
        self, row_id: int, not_before: datetime, error: str, *, owner: str | None = None
    ) -> None:
        """Not sent; try again at `not_before` (the chat's later rows wait behind it)."""
        await self._settle(
            row_id,
            owner,
            status=OutboxStatus.PENDING,
            claimed_by=None,
            claimed_at=None,
            not_before=not_before,
            error=error[:2000],
        )

    async def failed(self, row_id: int, error: str, *, owner: str | None = None) -> None:
        """Given up: keep why, drop what it would have said."""
        await self._final(row_id, OutboxStatus.FAILED, error, owner=owner)

    async def uncertain(self, row_id: int, error: str, *, owner: str | None = None) -> None:
        """The request went out and no answer came: it may have been delivered. It is not
        sent again by itself; `yushi outbox` shows such rows (their content kept) for a
        person to send again or drop."""
        await self._final(row_id, OutboxStatus.UNCERTAIN, error, keep_content=True, owner=owner)

    async def _final(
        self,
        row_id: int,
        status: OutboxStatus,
        error: str,
        *,
        keep_content: bool = False,
        owner: str | None = None,
    ) -> None:
        content = {} if keep_content else _DROP_CONTENT
        await self._settle(row_id, owner, status=status, error=error[:2000], **content)

    async def _settle(self, row_id: int, owner: str | None, **values: object) -> None:
        """Write an attempt's outcome (only over `owner`'s claim, when given)."""
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, *_claimed_by(owner))
            .values(attempts=OutboxMessage.attempts + 1, **values)
        )

    async def resend(self, ids: Sequence[int]) -> int:
        """A person decided: send these uncertain rows again (they may arrive twice)."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.UNCERTAIN)
            .values(status=OutboxStatus.PENDING, claimed_by=None, claimed_at=None, not_before=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def drop(self, ids: Sequence[int]) -> int:
        """A person decided: these uncertain rows arrived, or do not matter; forget them."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.UNCERTAIN)
            .values(status=OutboxStatus.FAILED, error="dropped by an operator", **_DROP_CONTENT)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def forget_chat(self, chat_id: int) -> int:
        """The person was erased: what uncertain rows would have said to them goes."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.UNCERTAIN)
            .values(status=OutboxStatus.FAILED, error="the person was erased", **_DROP_CONTENT)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def claimed_by_others(self, owner: str) -> list[tuple[int, str, int, int, str | None]]:
        """Rows being sent by another sender: (id, method, priority, attempts, claimant)."""
        rows = await self.session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.method,
                OutboxMessage.priority,
                OutboxMessage.attempts,
                OutboxMessage.claimed_by,
            ).where(
                OutboxMessage.status == OutboxStatus.SENDING,
                OutboxMessage.claimed_by.is_distinct_from(owner),
            )
        )
        return [(int(i), str(m), int(p), int(a), c) for i, m, p, a, c in rows]

    async def release(self, row_id: int, claimant: str | None) -> None:
        """A claim whose sender is gone, for a call that may go again: send it again."""
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, *_claimed_by(claimant, dead=True))
            .values(
                status=OutboxStatus.PENDING,
                claimed_by=None,
                claimed_at=None,
                attempts=OutboxMessage.attempts + 1,
            )
        )

    async def add_question(
        self, chat_id: int, method: str, payload: dict[str, Any], *, now: datetime
    ) -> int:
        """Queue a reply and return its row id (a question whose keyboard may be withdrawn)."""
        row = OutboxMessage(
            chat_id=chat_id,
            method=method,
            payload=payload,
            priority=Priority.REPLY,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def withdraw(self, row_id: int, chat_id: int) -> int | None:
        """A question was superseded. Still queued: it is never sent (None). Already sent:
        its Telegram message id, so the caller can remove its buttons. Going out right now
        (claimed): None too; its buttons stay, but they carry an old question number."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row_id,
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .values(status=OutboxStatus.FAILED, error="superseded", **_DROP_CONTENT)
        )
        if getattr(result, "rowcount", 0):
            return None
        row = await self.session.execute(
            select(OutboxMessage.status, OutboxMessage.telegram_message_id).where(
                OutboxMessage.id == row_id, OutboxMessage.chat_id == chat_id
            )
        )
        found = row.first()
        if found is None or found[0] != OutboxStatus.SENT or found[1] is None:
            return None
        return int(found[1])

    async def drop_pending_for_chat(self, chat_id: int, reason: str) -> int:
        """Nothing more can reach this chat (the user blocked the bot)."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.FAILED, error=reason, **_DROP_CONTENT)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def prune_final(self, before: datetime) -> int:
        """Forget final rows (sent, failed, uncertain) created before `before`."""
        result = await self.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status.in_(
                    [OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.UNCERTAIN]
                ),
                OutboxMessage.created_at < before,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def pending_count(self) -> int:
        """Rows not yet final: pending or being sent."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        )
        return int(count or 0)

    async def due_count(self, before: datetime) -> int:
        """Rows not yet final that are due by `before` (or being sent)."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                or_(
                    OutboxMessage.status == OutboxStatus.SENDING,
                    and_(
                        OutboxMessage.status == OutboxStatus.PENDING,
                        or_(
                            OutboxMessage.not_before.is_(None),
                            OutboxMessage.not_before <= before,
                        ),
                    ),
                )
            )
        )
        return int(count or 0)

    async def counts(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return {str(status): int(n) for status, n in rows}

    async def uncertain_rows(self, limit: int = 50) -> list[tuple[int, int, str, datetime, str]]:
        """(id, chat, method, created, error) of rows that may or may not have arrived."""
        rows = await self.session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.chat_id,
                OutboxMessage.method,
                OutboxMessage.created_at,
                OutboxMessage.error,
            )
            .where(OutboxMessage.status == OutboxStatus.UNCERTAIN)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
        return [(int(i), int(c), str(m), t, str(e or "")) for i, c, m, t, e in rows]
