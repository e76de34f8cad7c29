"""Telegram's pace: about 30 messages a second overall and one a second to one chat.

Both limits count every call that makes or changes a message (sends, edits, files); answers
to button presses and housekeeping calls do not. The overall limit is a sliding window (no
second, wherever it starts, holds more than `per_second` calls), not a refilling bucket that
lets bursts through. Pacing uses the monotonic clock: it measures intervals, it decides
nothing that is due.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta

from telegram.error import RetryAfter

#: Calls that are not messages: no limit applies to them.
NOT_MESSAGES = frozenset(
    {"answerCallbackQuery", "setMyCommands", "getMe", "deleteWebhook", "getUpdates"}
)
#: Private chats: one message a second. Groups and channels: 20 a minute.
PRIVATE_GAP = 1.0
GROUP_GAP = 3.0


class SlidingWindow:
    """At most `limit` calls in any `period` seconds, as the server sees them.

    The server counts a call when it arrives, somewhere between our sending it and its
    answer. So a call occupies the window from when it leaves until `period` after its
    answer: then no second of the server's can hold more than `limit`, whatever the network
    delays, at the price of one round trip per window.

    Calls are also spread evenly (one every period/limit at most): without that, a backlog
    goes out in bursts of `limit` once a second, and a reply that arrives between two bursts
    waits half a second on average instead of a few milliseconds.
    """

    def __init__(
        self, limit: int, period: float = 1.0, now: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.period = period
        self.now = now
        self._open = 0  # calls sent, not yet answered
        self._answered: deque[float] = deque()  # when recent calls were answered
        self._gap = period / limit
        self._last = float("-inf")  # when the last call left

    def _forget_old(self) -> float:
        now = self.now()
        while self._answered and self._answered[0] <= now - self.period:
            self._answered.popleft()
        return now

    def reserve(self, within: float) -> float | None:
        """Book a place for one call: the seconds it must wait before it leaves (it counts
        from now on), or None if no place opens within `within` seconds."""
        now = self._forget_old()
        start = max(now, self._last + self._gap)
        while True:
            if start - now > within:
                return None
            # Calls answered long enough before `start` no longer count then.
            ends = [t + self.period for t in self._answered if t + self.period > start]
            if self._open + len(ends) < self.limit:
                break
            if not ends:
                return None  # all places taken by calls in flight: wait for answers
            start = min(ends)
        self._last = start
        self._open += 1
        return start - now

    def wait(self) -> float:
        """Seconds until a place may open (when the window is full, or the spread next)."""
        now = self._forget_old()
        spread = self._last + self._gap - now
        if self._open + len(self._answered) < self.limit:
            return max(spread, 0.0)
        if self._answered:
            return max(self._answered[0] + self.period - now, spread, 0.0)
        return max(0.01, spread)  # all in flight: look again when one is answered

    def release(self) -> None:
        """A place booked but never used (the row was not ours, or the claim failed)."""
        self._open = max(self._open - 1, 0)

    def answered(self) -> None:
        """A call taken earlier was answered (or failed) now."""
        self._open = max(self._open - 1, 0)
        self._answered.append(self.now())


class ChatPacer:
    """The earliest moment each chat may get its next message: a gap after the previous
    one's answer (one call per chat is in flight at a time)."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now
        self._next: dict[int, float] = {}

    def wait(self, chat_id: int) -> float:
        return max(0.0, self._next.get(chat_id, 0.0) - self.now())

    def answered(self, chat_id: int) -> None:
        """The chat's message was answered now: the next waits the chat's gap."""
        gap = PRIVATE_GAP if chat_id > 0 else GROUP_GAP
        self._next[chat_id] = self.now() + gap
        if len(self._next) > 10_000:  # forget chats whose gap has long passed
            horizon = self.now()
            self._next = {c: t for c, t in self._next.items() if t > horizon}

    def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram asked this chat to wait (429 retry_after)."""
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), self.now() + seconds)


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds Telegram asked us to wait (PTB gives int or timedelta, by its settings)."""
    value: int | timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
