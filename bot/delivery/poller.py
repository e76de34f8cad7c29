"""getUpdates -> inbox -> commit -> next offset.

PTB's own Updater confirms updates before handlers run, so a crash loses them. Here the
offset moves past an update only after the update is committed to the inbox; a crash before
that makes Telegram deliver it again, and the inbox ignores the copy (keyed by update_id).

Updates are stored as Telegram sent them, before anything parses them: one that
python-telegram-bot cannot read is set aside by the processor, and intake goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import warnings
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import (
    Conflict,
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBUserWarning

from bot.delivery.pacing import retry_seconds
from bot.delivery.waiting import sleep_or_stop
from bot.domain.clock import Clock
from storage import unit_of_work
from storage.repositories import InboxRepository
from storage.repositories.inbox import NewUpdate

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "my_chat_member",
]

#: getUpdates is called through Bot.do_api_request so that its answer arrives as raw JSON
#: (Bot.get_updates parses it, and one update it cannot parse would fail the whole batch).
#: PTB suggests the typed method for known endpoints; here the raw one is the point.
_RAW_HINT = r"Please use 'Bot\.getUpdates' instead"


class _Malformed(Exception):
    """getUpdates answered with something that is not a list of updates."""


def update_kind(update: dict[str, Any]) -> str:
    for kind in ALLOWED_UPDATES:
        if update.get(kind) is not None:
            return kind
    return next((k for k in update if k != "update_id"), "other")[:32]


def chat_of(update: dict[str, Any]) -> int | None:
    """Whose update (orders retries per chat; erasure finds it), read without parsing."""
    body = update.get(update_kind(update))
    if not isinstance(body, dict):
        return None
    for holder in (body.get("chat"), body.get("message", {}).get("chat"), body.get("from")):
        if isinstance(holder, dict) and isinstance(holder.get("id"), int):
            return int(holder["id"])
    return None


def to_row(update: object) -> NewUpdate | None:
    """An inbox row for what Telegram sent, stored as it came; None without an update_id."""
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return None
    try:
        chat_id = chat_of(update)
    except AttributeError:  # a "message" that is not an object
        chat_id = None
    return NewUpdate(
        update["update_id"], update_kind(update), chat_id, json.dumps(update, ensure_ascii=False)
    )


class DurablePoller:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        timeout: int,
        on_stored: Callable[[], None],
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.clock = clock
        self.timeout = timeout
        self.on_stored = on_stored

    async def run(self, stopping: asyncio.Event) -> None:
        """Poll until `stopping` is set. Only an invalid token ends it on its own; network and
        database trouble make it wait and try again.

        Stopping interrupts a long poll, never a write: whatever was fetched is stored first.
        """
        offset: int | None = None
        backoff = 1.0
        while not stopping.is_set():
            try:
                updates = await self._poll(offset, stopping)
            except _Malformed as exc:
                # A server that answers nonsense is not polled in a tight loop.
                log.error("getUpdates: %s; retrying in %.0fs", exc, backoff)
                await sleep_or_stop(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
                continue
            except InvalidToken:
                raise
            except RetryAfter as exc:
                await sleep_or_stop(retry_seconds(exc), stopping)
                continue
            except TimedOut:
                continue
            except Conflict as exc:
                log.error("another instance is polling with this token: %s", exc.message)
                await sleep_or_stop(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
                continue
            except NetworkError as exc:
                log.warning("getUpdates failed (%s); retrying in %.0fs", exc.message, backoff)
                await sleep_or_stop(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if not updates:
                continue
            rows = [row for row in map(to_row, updates) if row is not None]
            if not rows:
                # Nothing to store and no update_id to confirm past: wait, do not spin.
                log.error("getUpdates returned %d entries without an update_id", len(updates))
                await sleep_or_stop(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
                continue
            if len(rows) < len(updates):
                missing = len(updates) - len(rows)
                log.error("getUpdates returned %d entries without an update_id", missing)
            try:
                async with unit_of_work(self.sessions) as session:
                    await InboxRepository(session).add_many(rows, self.clock.now())
            except (SQLAlchemyError, OSError) as exc:  # asyncpg: ConnectionRefusedError
                # Not stored, so not confirmed: Telegram hands the same updates out again.
                log.warning("could not store updates (%s); retrying in %.0fs", exc, backoff)
                await sleep_or_stop(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
                continue
            self.on_stored()
            # Only now is it safe to confirm them to Telegram (the next call does).
            offset = max(r.update_id for r in rows) + 1

    async def _poll(self, offset: int | None, stopping: asyncio.Event) -> list[object]:
        """One getUpdates, as raw JSON; abandoned (nothing returned) if we are asked to stop
        meanwhile."""
        params: dict[str, Any] = {"timeout": self.timeout, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            params["offset"] = offset
        warnings.filterwarnings("ignore", message=_RAW_HINT, category=PTBUserWarning)
        request = asyncio.ensure_future(
            self.bot.do_api_request("getUpdates", api_kwargs=params, read_timeout=self.timeout + 10)
        )
        stop = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({request, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not request.done():
            # Safe: what this call would have returned was never confirmed by an offset.
            request.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await request
            return []
        stop.cancel()
        try:
            result = request.result()
        except EndPointNotFound as exc:
            # do_api_request's name for a 404 once the bot is initialised: the token was
            # revoked (getUpdates itself always exists).
            raise InvalidToken(str(exc)) from exc
        if not isinstance(result, list):
            raise _Malformed(f"answered with a {type(result).__name__}, not a list")
        return result
