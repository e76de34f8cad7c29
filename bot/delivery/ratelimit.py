"""PTB's AIORateLimiter, minus the calls that are not messages.

Telegram's broadcast limit (about 30 messages a second) is about messages. Answering a button
press sends none; holding it back behind queued messages only leaves the button spinning.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

JSONDict = dict[str, Any]

#: Calls that do not count against the message limits.
NOT_MESSAGES = frozenset({"answerCallbackQuery", "setMyCommands", "getMe", "deleteWebhook"})


class MessageRateLimiter(AIORateLimiter):
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if endpoint in NOT_MESSAGES:
            return await callback(*args, **kwargs)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds Telegram asked us to wait (PTB gives int or timedelta, by its settings)."""
    value: int | timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
