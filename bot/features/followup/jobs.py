"""The rating reminder, looked for at every scheduler tick: residents asked once and silent
for RATING_REMINDER_DAYS are asked once more (a conditional mark, so never a third time,
however many processes tick)."""

from __future__ import annotations

from datetime import datetime

from bot.features.followup.service import FollowupService
from bot.telegram.work import UnitsOfWork


async def rating_reminders(units: UnitsOfWork, now: datetime) -> None:
    async with units() as work:
        await work.service(FollowupService).remind(now)
