"""Telegram's pace: about 30 messages a second overall and one a second to one chat.

Bulk sending keeps one a second to a chat strictly; a reply may use the short burst of 3
Telegram tolerates (see ChatPacer).

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
    """When each chat may get its next message (one call per chat is in flight at a time).

    Bulk sending (digests, invitations) keeps a full gap after the previous answer: one a
    second to a private chat, one every three seconds to a group (20 a minute). A reply to
    someone who just wrote or pressed may use the short burst Telegram tolerates (a bucket
    of 3, refilled at the same pace): the edited question and the next one arrive together,
    not a second apart, while over any longer stretch the chat still gets one a second.
    """

    BURST = 3.0

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now
        self._chats: dict[int, tuple[float, float, float]] = {}  # tokens, at, last answer

    @staticmethod
    def _gap(chat_id: int) -> float:
        return PRIVATE_GAP if chat_id > 0 else GROUP_GAP

    def _tokens(self, chat_id: int, now: float) -> tuple[float, float]:
        tokens, at, last = self._chats.get(chat_id, (self.BURST, now, float("-inf")))
        return min(self.BURST, tokens + (now - at) / self._gap(chat_id)), last

    def wait(self, chat_id: int, *, bulk: bool = True) -> float:
        now = self.now()
        tokens, last = self._tokens(chat_id, now)
        if bulk:
            return max(0.0, last + self._gap(chat_id) - now)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) * self._gap(chat_id)

    def answered(self, chat_id: int) -> None:
        """The chat's message was answered now."""
        now = self.now()
        tokens, _ = self._tokens(chat_id, now)
        self._chats[chat_id] = (max(tokens - 1.0, 0.0), now, now)
        if len(self._chats) > 10_000:  # forget chats that are long quiet
            self._chats = {c: v for c, v in self._chats.items() if v[2] > now - 10 * self._gap(c)}


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds Telegram asked us to wait (PTB gives int or timedelta, by its settings)."""
    value: int | timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
