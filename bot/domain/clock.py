"""Time, given to services and loops rather than read from anywhere they like.

Production reads the system clock on every call (operators move it, and checks move it
with libfaketime), so nothing may cache "now" or measure due work with a monotonic clock.
Tests hand in a clock they control.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


def utcnow() -> datetime:
    """The system clock, aware UTC."""
    return datetime.now(UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, aware UTC."""
        ...


class SystemClock:
    """The machine's wall clock, read afresh each time."""

    def now(self) -> datetime:
        return utcnow()


class ManualClock:
    """A clock that moves only when told to: for tests, benchmarks and replays."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or utcnow()
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = moment


class ShiftedClock:
    """The system clock read afresh each time, plus a shift: the demo jumps to a member's
    digest time without waiting for it, while time still flows."""

    def __init__(self) -> None:
        self.shift = timedelta()

    def now(self) -> datetime:
        return utcnow() + self.shift

    def jump_to(self, moment: datetime) -> None:
        self.shift = moment - utcnow()
