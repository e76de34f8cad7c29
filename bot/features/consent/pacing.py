"""How often someone who has not agreed yet sees the notice screen again, unasked.

A message sent before consent gets the notice screen the first time, then only a one-line
reminder (with the same buttons) until NOTICE_EVERY has passed. What is remembered for that
lives in this process's memory alone, under a keyed hash of the user id (the key is drawn
at start and never leaves the process), and is forgotten after NOTICE_EVERY: nothing about
a person who has not agreed is written anywhere. Several processes each keep their own, so
at worst one screen per process per NOTICE_EVERY.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from datetime import datetime, timedelta

#: Long enough that a burst of messages gets one screen, short enough that someone coming
#: back later is shown what they are asked to agree to again.
NOTICE_EVERY = timedelta(minutes=10)
#: A flood of strangers cannot grow the memory past this; the oldest are forgotten first.
MAX_TRACKED = 10_000


class NoticePacer:
    """Who was shown the notice screen lately (by keyed hash), in order of showing."""

    def __init__(self, every: timedelta = NOTICE_EVERY, max_tracked: int = MAX_TRACKED) -> None:
        self.every = every
        self.max_tracked = max_tracked
        self._key = secrets.token_bytes(32)
        self._shown: OrderedDict[bytes, datetime] = OrderedDict()

    def due(self, user_id: int, now: datetime) -> bool:
        """Whether the screen should be shown now; if so, it counts as shown."""
        self._expire(now)
        last = self._shown.get(self._digest(user_id))
        # A clock moved backwards must not silence the notice for the length of the jump.
        if last is not None and timedelta(0) <= now - last < self.every:
            return False
        self.shown(user_id, now)
        return True

    def shown(self, user_id: int, now: datetime) -> None:
        """The screen was shown (on /start, or by `due`)."""
        key = self._digest(user_id)
        self._shown.pop(key, None)
        self._shown[key] = now
        while len(self._shown) > self.max_tracked:
            self._shown.popitem(last=False)

    def forget(self, user_id: int) -> None:
        """They answered (同意 or 不同意): nothing to pace any more."""
        self._shown.pop(self._digest(user_id), None)

    def __len__(self) -> int:
        return len(self._shown)

    def _digest(self, user_id: int) -> bytes:
        return hashlib.blake2b(str(user_id).encode(), key=self._key, digest_size=16).digest()

    def _expire(self, now: datetime) -> None:
        # Entries are in order of showing, so the stale ones are at the front.
        while self._shown:
            key, when = next(iter(self._shown.items()))
            if timedelta(0) <= now - when < self.every:
                break
            del self._shown[key]
