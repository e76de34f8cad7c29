"""Digests at every scheduler tick: members whose time has come, each in a transaction of
its own (a slow or failing digest holds up nobody else)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.features.digests.service import Delivered, DigestService, SlotTaken
from bot.telegram.work import UnitsOfWork

log = logging.getLogger(__name__)

#: Members looked at per round; rounds repeat while members are due.
BATCH = 100


async def deliver_due(units: UnitsOfWork, now: datetime) -> list[Delivered]:
    """Every digest due at `now` (and any missed while the bot was down: one each)."""
    delivered: list[Delivered] = []
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
                    done = await work.service(DigestService).deliver_due(member_id, work.now())
            except (SlotTaken, IntegrityError):
                log.info("digest of %s: another process sent it", member_id)
                continue
            except Exception:
                # One member's failure (a bad text, say) must not hold up the others; the
                # transaction rolled back, so the next tick tries again.
                log.exception("digest of member %s failed; tried again at the next tick", member_id)
                continue
            if done is not None:
                delivered.append(done)
                log.info(
                    "digest %s to member %s: %s items%s",
                    done.digest_id,
                    member_id,
                    done.items,
                    " (catch-up)" if done.catch_up else "",
                )


async def digest_tick(units: UnitsOfWork, now: datetime) -> None:
    await deliver_due(units, now)
