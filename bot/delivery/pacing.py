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

    def _forget_old(self) -> float:
        now = self.now()
        while self._answered and self._answered[0] <= now - self.period:
            self._answered.popleft()
        return now

    def available(self) -> int:
        """How many calls fit now."""
        self._forget_old()
        return max(self.limit - self._open - len(self._answered), 0)

    def wait(self) -> float:
        """Seconds until one more call fits (0 if it fits now)."""
        now = self._forget_old()
        if self._open + len(self._answered) < self.limit:
            return 0.0
        if self._answered:
            return self._answered[0] + self.period - now
        return 0.01  # all in flight: look again when one is answered

    def take(self) -> None:
        """A call leaves now (call `wait()` or `available()` first)."""
        self._open += 1

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
