"""Digests at every scheduler tick: members whose time has come, each in three steps so
that no transaction is held while a digest is drawn (on SQLite a transaction holds the
write lock, and residents' replies and the sender need it):

1. take: one short transaction records the digest and takes the member's queued items;
2. draw: clustering, messages, chart and sheet, in a thread, outside any transaction;
3. queue: one short transaction queues the messages and files, once (a conditional mark on
   the digest), so a digest taken by a process that then crashed is drawn again from its
   items by the next tick, and never queued twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.features.digests.service import Delivered, DigestService, SlotTaken, Taken
from bot.telegram.work import UnitsOfWork

log = logging.getLogger(__name__)

#: Members looked at per round; rounds repeat while members are due.
BATCH = 100


async def deliver_due(units: UnitsOfWork, now: datetime) -> list[Delivered]:
    """Every digest due at `now` (and any missed while the bot was down: one each), and any
    digest a crash left taken but not queued."""
    delivered: list[Delivered] = []
    async with units() as work:
        left = await work.service(DigestService).unqueued(now)
    for digest_id in left:
        async with units() as work:
            taken = await work.service(DigestService).retake(digest_id)
        if taken is not None:
            log.warning("digest %s was taken but never queued: drawing it again", digest_id)
            await _draw_and_queue(units, taken, delivered)
    seen: set[int] = set()
    while True:
        async with units() as work:
            due = [m for m in await work.service(DigestService).due(now, BATCH) if m not in seen]
        if not due:
            return delivered
        for member_id in due:
            seen.add(member_id)
            try:
                async with units() as work:
                    taken = await work.service(DigestService).take_due(member_id, work.now())
            except (SlotTaken, IntegrityError):
                log.info("digest of %s: another process took it", member_id)
                continue
            except Exception:
                # One member's failure must not hold up the others; the transaction rolled
                # back, so the next tick tries again.
                log.exception("digest of member %s failed; tried again at the next tick", member_id)
                continue
            if taken is not None:
                await _draw_and_queue(units, taken, delivered)


async def _draw_and_queue(units: UnitsOfWork, taken: Taken, delivered: list[Delivered]) -> None:
    try:
        async with units() as work:
            service = work.service(DigestService)
            # Drawn in a thread: the event loop keeps serving residents meanwhile. The
            # unit of work opens its transaction only at its first statement, after this.
            rendered = await asyncio.to_thread(service.render, taken)
            done = await service.queue(taken, rendered)
    except Exception:
        # Taken but not queued: the next tick draws it again (`unqueued`).
        log.exception("digest %s could not be drawn or queued", taken.digest_id)
        return
    if done is None:
        log.info("digest %s: another process queued it", taken.digest_id)
        return
    delivered.append(done)
    log.info(
        "digest %s to member %s: %s items%s",
        done.digest_id,
        done.member_id,
        done.items,
        " (catch-up)" if done.catch_up else "",
    )


async def digest_tick(units: UnitsOfWork, now: datetime) -> None:
    await deliver_due(units, now)
