"""getUpdates -> inbox -> commit -> next offset.

PTB's own Updater confirms updates before handlers run, so a crash loses them. Here the
offset moves past an update only after the update is committed to the inbox; a crash before
that makes Telegram deliver it again, and the inbox ignores the copy (keyed by update_id).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update
from telegram.error import (
    Conflict,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from storage import unit_of_work
from storage.repositories import InboxRepository

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "my_chat_member",
]


def update_kind(update: Update) -> str:
    for kind in ALLOWED_UPDATES:
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _sleep(seconds: float, stopping: asyncio.Event) -> None:
    """Sleep, but wake at once when asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)


class DurablePoller:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        *,
        timeout: int,
        on_stored: Callable[[], None],
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.timeout = timeout
        self.on_stored = on_stored
        self.stored = 0

    async def run(self, stopping: asyncio.Event) -> None:
        """Poll until `stopping` is set. Only an invalid token ends it on its own.

        Stopping interrupts a long poll, never a write: whatever was fetched is stored first.
        """
        offset: int | None = None
        backoff = 1.0
        while not stopping.is_set():
            try:
                updates = await self._poll(offset, stopping)
            except InvalidToken:
                raise
            except RetryAfter as exc:
                await _sleep(_seconds(exc.retry_after), stopping)
                continue
            except TimedOut:
                continue
            except Conflict as exc:
                log.error("another instance is polling with this token: %s", exc.message)
                await _sleep(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
                continue
            except NetworkError as exc:
                log.warning("getUpdates failed (%s); retrying in %.0fs", exc.message, backoff)
                await _sleep(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if not updates:
                continue
            rows = [
                (u.update_id, update_kind(u), json.dumps(u.to_dict(), ensure_ascii=False))
                for u in updates
            ]
            async with unit_of_work(self.sessions) as session:
                new = await InboxRepository(session).add_many(rows)
            self.stored += new
            self.on_stored()
            # Only now is it safe to confirm them to Telegram (the next call does).
            offset = max(u.update_id for u in updates) + 1

    async def _poll(self, offset: int | None, stopping: asyncio.Event) -> tuple[Update, ...]:
        """One getUpdates; abandoned (nothing returned) if we are asked to stop meanwhile."""
        request = asyncio.ensure_future(
            self.bot.get_updates(
                offset=offset,
                timeout=self.timeout,
                allowed_updates=ALLOWED_UPDATES,
                read_timeout=self.timeout + 10,
            )
        )
        stop = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({request, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not request.done():
            # Safe: what this call would have returned was never confirmed by an offset.
            request.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await request
            return ()
        stop.cancel()
        return request.result()
