"""Digests at every scheduler tick: members whose time has come, a batch at a time, each
batch in three steps so that no transaction is held while a digest is drawn (on SQLite a
transaction holds the write lock, and residents' replies and the sender need it):

1. take: one short transaction records the batch's digests and takes their items, in a
   fixed number of statements however many members the batch has;
2. draw: clustering, messages, chart and sheet, in a thread, outside any transaction;
3. queue: one short transaction queues the batch's messages and files, each digest once (a
   conditional mark on it), so a digest taken by a process that then crashed is drawn again
   from its items by the next tick, and never queued twice.

The write lock is let go between the steps and between batches, so a resident's reply waits
at most for one short transaction. A batch that fails is taken (or queued) again member by
member: one member's failure holds up no one else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.features.digests.service import (
    Delivered,
    DigestService,
    Plan,
    Rendered,
    SlotTaken,
    Taken,
)
from bot.telegram.work import UnitsOfWork
from storage.records import StaffRecord

log = logging.getLogger(__name__)

#: Members taken and queued per transaction. Taking a member's items is an UPDATE of each
#: of them (some 70 rows a member in bench/README.md's round, ~20 µs each on SQLite): a
#: batch of 25 holds the write lock some 50-100 ms, which a resident's reply may have to
#: wait for; far fewer would take the lock hundreds of times a round again.
BATCH = 25
#: A round's first batch is smaller: nothing is sent before it is drawn and queued, and its
#: drawings are the round's cold ones.
FIRST_BATCH = 10
#: Due members read at a time (then taken a batch at a time).
LOOK = 4 * BATCH
#: Seconds the round leaves the write lock alone after each batch (see `deliver_due`).
BREATHER = 0.1


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
            await _draw_and_queue(units, [taken], delivered)
    seen: set[int] = set()
    first = True
    while True:
        # Members seen in this round and still due (they failed) must not hide the rest.
        async with units() as work:
            service = work.service(DigestService)
            due = await service.due_members(now, len(seen) + LOOK)
        fresh = [m for m in due if m.telegram_id not in seen]
        if not fresh:
            return delivered
        seen.update(m.telegram_id for m in fresh)
        while fresh:
            size, first = (FIRST_BATCH if first else BATCH), False
            batch, fresh = fresh[:size], fresh[size:]
            # Planned in a thread before the take: cron arithmetic, not to be done holding
            # the write lock (take_batch plans again any member whose row changed since).
            at = service.clock.now()
            plans = await asyncio.to_thread(_plan_each, service, batch, at)
            await _draw_and_queue(units, await _take(units, plans, at), delivered)
            # The write lock stays free a moment: a writer waiting for it (a reply, the
            # sender) looks again only every 100 ms (SQLite's busy handler), and would
            # miss the short gaps between this round's transactions.
            await asyncio.sleep(BREATHER)


def _plan_each(service: DigestService, members: Sequence[StaffRecord], at: datetime) -> list[Plan]:
    plans = []
    for member in members:
        try:
            plans.append(service.plan(member, at))
        except Exception:
            log.exception(
                "digest of member %s failed; tried again at the next tick", member.telegram_id
            )
    return plans


async def _take(units: UnitsOfWork, plans: Sequence[Plan], at: datetime) -> list[Taken]:
    """The batch's digests in one transaction; if that fails, member by member."""
    if not plans:
        return []
    try:
        async with units() as work:
            rates = await work.service(DigestService).rates_for(plans, at)
        async with units() as work:
            return await work.service(DigestService).take_batch(plans, at, rates)
    except (IntegrityError, LookupError):
        log.info("digests of %d members: another process took some; one by one", len(plans))
    except Exception:
        log.warning("digests of %d members failed together; one by one", len(plans), exc_info=True)
    taken: list[Taken] = []
    for member_id in (p.member.telegram_id for p in plans):
        try:
            async with units() as work:
                one = await work.service(DigestService).take_due(member_id, work.now())
        except (SlotTaken, IntegrityError):
            log.info("digest of %s: another process took it", member_id)
            continue
        except Exception:
            # The transaction rolled back, so the next tick tries again.
            log.exception("digest of member %s failed; tried again at the next tick", member_id)
            continue
        if one is not None:
            taken.append(one)
    return taken


async def _draw_and_queue(
    units: UnitsOfWork, taken: Sequence[Taken], delivered: list[Delivered]
) -> None:
    if not taken:
        return
    drawn: list[tuple[Taken, Rendered]] = []
    try:
        async with units() as work:
            service = work.service(DigestService)
            # Drawn in a thread: the event loop keeps serving residents meanwhile. The
            # unit of work opens its transaction only at its first statement, after this.
            for one in taken:
                try:
                    drawn.append((one, await asyncio.to_thread(service.render, one)))
                except Exception:
                    # Taken but not queued: the next tick draws it again (`unqueued`).
                    log.exception("digest %s could not be drawn", one.digest_id)
            done = await service.queue_batch(drawn)
    except Exception:
        log.warning(
            "%d digests could not be queued together; one by one", len(drawn), exc_info=True
        )
        done = await _queue_one_by_one(units, drawn)
    queued = {d.digest_id for d in done}
    for one, _ in drawn:
        if one.digest_id not in queued:
            log.info("digest %s: another process queued it (or it failed)", one.digest_id)
    for d in done:
        delivered.append(d)
        log.info(
            "digest %s to member %s: %s items%s",
            d.digest_id,
            d.member_id,
            d.items,
            " (catch-up)" if d.catch_up else "",
        )


async def _queue_one_by_one(
    units: UnitsOfWork, drawn: Sequence[tuple[Taken, Rendered]]
) -> list[Delivered]:
    done: list[Delivered] = []
    for taken, rendered in drawn:
        try:
            async with units() as work:
                one = await work.service(DigestService).queue(taken, rendered)
        except Exception:
            # Taken but not queued: the next tick draws it again (`unqueued`).
            log.exception("digest %s could not be queued", taken.digest_id)
            continue
        if one is not None:
            done.append(one)
    return done


async def digest_tick(units: UnitsOfWork, now: datetime) -> None:
    await deliver_due(units, now)
