"""When a member's digests fall due: wall-clock times in the configured zone, as
APScheduler cron triggers, read against the injected clock at every tick."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.delivery.scheduler import latest_slot
from storage.records import StaffRecord
from storage.statuses import Frequency

#: Common hours offered as buttons; any HH:MM can be typed.
COMMON_TIMES = ("07:00", "08:00", "09:00", "12:00", "18:00", "20:00")

_TIME = re.compile(
    r"^\s*(?P<h>[0-9０-９]{1,2})\s*(?:[:：.点時时]\s*(?P<m>[0-9０-９]{1,2}|半)?\s*分?)?\s*$"
)


def parse_time(text: str) -> str | None:
    """ "9:30", "09：30", "21.05", "9点半", "8点", "20" → "HH:MM"; None for anything else."""
    match = _TIME.match(text)
    if match is None:
        return None
    hour = int(match["h"].translate(_FULL_WIDTH))
    raw_minute = match["m"]
    minute = 30 if raw_minute == "半" else int((raw_minute or "0").translate(_FULL_WIDTH))
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{hour:02d}:{minute:02d}"


_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


@dataclass(frozen=True)
class Schedule:
    frequency: str
    weekday: int  # 0 = Monday
    time: str  # HH:MM, wall clock in `tz`
    tz: ZoneInfo

    @classmethod
    def of(cls, member: StaffRecord, tz: ZoneInfo) -> Schedule:
        return cls(member.frequency, member.weekday, member.digest_time, tz)

    def trigger(self) -> CronTrigger | None:
        if self.frequency == Frequency.OFF:
            return None
        hour, minute = (int(p) for p in self.time.split(":"))
        if self.frequency == Frequency.WEEKLY:
            return CronTrigger(day_of_week=self.weekday, hour=hour, minute=minute, timezone=self.tz)
        return CronTrigger(hour=hour, minute=minute, timezone=self.tz)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first slot after `moment` (the member's `next_due`)."""
        trigger = self.trigger()
        if trigger is None:
            return None
        # APScheduler's "next fire time from x" may be x itself: ask from just after it.
        fire: datetime | None = trigger.get_next_fire_time(None, moment + timedelta(microseconds=1))
        return fire

    def due_slot(self, member: StaffRecord, now: datetime) -> datetime | None:
        """The latest slot in (last digest or settings change, now]: after downtime across
        several slots, one digest covers them all."""
        trigger = self.trigger()
        if trigger is None:
            return None
        since = max(member.schedule_from, member.last_slot or member.schedule_from)
        return latest_slot(trigger, since, now)

    def missed_slots(self, member: StaffRecord, slot: datetime) -> bool:
        """Did slots pass unsent before `slot` (a catch-up digest)?"""
        since = max(member.schedule_from, member.last_slot or member.schedule_from)
        first = self.next_after(since)
        return first is not None and first < slot
