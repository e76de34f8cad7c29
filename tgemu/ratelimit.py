"""Flood limits as documented in the Bot FAQ, always counted, optionally enforced.

Rules (per bot):

* ``global``: at most 30 messages in any sliding 1-second window, over all chats;
* ``private``: per private chat a token bucket of capacity 3 refilled at 1 message/second
  (so a burst of 3 quick messages is fine, a steady stream above 1/s is not);
* ``group``: at most 20 messages in any sliding 60-second window per group, supergroup or
  channel.

Only message-creating methods (``send*``, ``copyMessage``, ``forwardMessage``) count; edits,
deletions and answers do not.  A send that breaks a rule is a *violation*.  With enforcement
off (the default) the message is still delivered and the violation only counted; with
enforcement on the send fails with 429 ``Too Many Requests: retry after N`` and is not
recorded as sent.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass


@dataclass
class RateLimitConfig:
    global_per_second: int = 30
    private_per_second: float = 1.0
    private_burst: float = 3.0
    group_per_minute: int = 20


class RateLimiter:
    def __init__(self, config: RateLimitConfig | None = None) -> None:
        self.config = config or RateLimitConfig()
        self.violations: Counter[str] = Counter()
        self.rejected = 0
        self._global: dict[int, deque[float]] = {}
        self._groups: dict[tuple[int, int], deque[float]] = {}
        self._private: dict[tuple[int, int], tuple[float, float]] = {}

    def reset(self) -> None:
        self.violations.clear()
        self.rejected = 0
        self._global.clear()
        self._groups.clear()
        self._private.clear()

    def check(
        self, bot_id: int, chat_id: int, chat_type: str, now: float, *, enforce: bool
    ) -> int | None:
        """Records one send; returns ``retry_after`` if it must be rejected (enforcement on)."""
        cfg = self.config
        broken: list[tuple[str, float]] = []
        window = self._global.setdefault(bot_id, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= cfg.global_per_second:
            broken.append(("global", window[0] + 1.0 - now))
        group_window: deque[float] | None = None
        tokens: float | None = None
        if chat_type == "private":
            tokens, last = self._private.get((bot_id, chat_id), (cfg.private_burst, now))
            tokens = min(cfg.private_burst, tokens + (now - last) * cfg.private_per_second)
            if tokens < 1.0:
                broken.append(("private", (1.0 - tokens) / cfg.private_per_second))
        else:
            group_window = self._groups.setdefault((bot_id, chat_id), deque())
            while group_window and group_window[0] <= now - 60.0:
                group_window.popleft()
            if len(group_window) >= cfg.group_per_minute:
                broken.append(("group", group_window[0] + 60.0 - now))
        for kind, _ in broken:
            self.violations[kind] += 1
        if broken and enforce:
            self.rejected += 1
            if tokens is not None:
                self._private[(bot_id, chat_id)] = (tokens, now)
            return max(1, math.ceil(max(wait for _, wait in broken)))
        window.append(now)
        if group_window is not None:
            group_window.append(now)
        if tokens is not None:
            self._private[(bot_id, chat_id)] = (max(0.0, tokens - 1.0), now)
        return None
