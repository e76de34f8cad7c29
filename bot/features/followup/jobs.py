"""The rating reminder, looked for at every scheduler tick: residents asked once and silent
for RATING_REMINDER_DAYS are asked once more (a conditional mark, so never a third time,
however many processes tick).

A batch of REMINDERS_PER_UNIT per transaction, so residents' replies never wait long for
the write lock; batches follow each other until none is full (the rest, if MAX_UNITS were
not enough, at the next tick)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.features.followup.service import REMINDERS_PER_UNIT, FollowupService
from bot.telegram.work import UnitsOfWork

#: Units of work per tick at most (1,000 reminders; the sender needs a while for them).
MAX_UNITS = 40
#: Seconds the write lock is left alone between batches (residents' replies need it).
BREATHER = 0.02


async def rating_reminders(units: UnitsOfWork, now: datetime) -> None:
    """Every reminder due, a batch per unit of work."""
    for i in range(MAX_UNITS):
        if i:
            await asyncio.sleep(BREATHER)
        async with units() as work:
            marked = await work.service(FollowupService).remind(now, REMINDERS_PER_UNIT)
        if marked < REMINDERS_PER_UNIT:
            break
