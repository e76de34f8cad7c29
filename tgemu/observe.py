"""Read-side helpers for tests and benchmarks: chat histories, waits, stats, timeline."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from .errors import ControlError
from .models import BotEvent
from .state import EmulatorState

JSONDict = dict[str, Any]


def chat_messages(
    state: EmulatorState, chat_id: int, bot_id: int | None, *, include_deleted: bool = True
) -> list[JSONDict]:
    bot = state.resolve_bot(bot_id)
    conv = state.conversations.get((bot.id, chat_id))
    if conv is None:
        return []
    return [
        record.view() for record in conv.messages.values() if include_deleted or not record.deleted
    ]


def callback_queries(
    state: EmulatorState, bot_id: int | None, user_id: int | None
) -> list[JSONDict]:
    bots = [state.resolve_bot(bot_id)] if bot_id is not None else list(state.bots.values())
    result = [
        record.to_json()
        for bot in bots
        for record in bot.callbacks.values()
        if user_id is None or record.user_id == user_id
    ]
    return sorted(result, key=lambda item: item["created_at"])


async def wait_bot_message(
    state: EmulatorState,
    *,
    chat_id: int,
    bot_id: int | None,
    after: int | None,
    max_wait: float,
    kinds: frozenset[str],
) -> JSONDict | None:
    """First bot event of ``kinds`` in the chat with cursor > ``after`` (default: the last
    user action in that chat), as ``{"event": kind, "cursor": n, "message": view}``."""
    bot = state.resolve_bot(bot_id)

    def check() -> JSONDict | None:
        conv = state.conversations.get((bot.id, chat_id))
        if conv is None:
            return None
        since = conv.last_user_seq if after is None else after
        event: BotEvent
        for event in conv.events_after(since):
            if event.kind in kinds:
                view = conv.messages[event.message_id].view()
                return {"event": event.kind, "cursor": event.seq, "message": view}
        return None

    return await state.notifier.wait_for(check, max_wait)


async def wait_callback_answer(
    state: EmulatorState, query_id: str, max_wait: float
) -> JSONDict | None:
    def check() -> JSONDict | None:
        for bot in state.bots.values():
            record = bot.callbacks.get(query_id)
            if record is not None:
                return record.to_json() if record.answered else None
        raise ControlError(f"unknown callback query {query_id}", 404)

    return await state.notifier.wait_for(check, max_wait)


async def wait_confirmed(state: EmulatorState, bot_id: int | None, max_wait: float) -> bool:
    """True once every queued update (of one bot or all) was confirmed via getUpdates."""

    def check() -> bool | None:
        return True if state.pending_updates(bot_id) == 0 else None

    return await state.notifier.wait_for(check, max_wait) is True


async def wait_idle(
    state: EmulatorState, bot_id: int | None, max_wait: float, quiet: float
) -> bool:
    """True once no update is pending, no Bot API call (other than getUpdates) is running
    and none has started or finished for ``quiet`` seconds -- for one bot, or all bots."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait
    while True:
        if bot_id is None:
            last = max(state.last_api_activity.values(), default=0.0)
            running = sum(state.in_flight.values())
        else:
            last = state.last_api_activity.get(bot_id, 0.0)
            running = state.in_flight[bot_id]
        calm_for = time.time() - last
        busy = state.pending_updates(bot_id) > 0 or running > 0
        if not busy and calm_for >= quiet:
            return True
        remaining = deadline - loop.time()
        if remaining <= 0 or state.notifier.closed:
            return False
        step = remaining if busy else min(remaining, quiet - calm_for)
        await state.notifier.wait(max(0.005, step))


def stats(state: EmulatorState) -> JSONDict:
    counters = state.counters
    pending_by_bot = {str(bot.id): len(bot.updates) for bot in state.bots.values()}
    return {
        "requests": dict(counters.requests),
        "errors": {str(code): n for code, n in counters.errors.items()},
        "error_descriptions": dict(counters.error_descriptions),
        "rate_limit": {
            "enforced": state.config.rate_limit_enforced,
            "violations": dict(state.ratelimit.violations),
            "rejected": state.ratelimit.rejected,
        },
        "updates": {
            "created": counters.updates_created,
            "confirmed": counters.updates_confirmed,
            "dropped_not_allowed": counters.updates_dropped,
            "pending": sum(pending_by_bot.values()),
            "pending_by_bot": pending_by_bot,
        },
        "bot_messages": {
            "sent": counters.messages_sent,
            "edited": counters.messages_edited,
            "deleted": counters.messages_deleted,
        },
        "callback_queries": {
            "created": counters.callback_queries,
            "answered": counters.callback_answers,
        },
        "faults_triggered": state.faults.triggered,
        "in_flight": sum(state.in_flight.values()),
        "cursor": state.seq,
    }


def timeline(state: EmulatorState) -> JSONDict:
    return {
        "updates": [
            {
                "update_id": record.update_id,
                "bot_id": record.bot_id,
                "type": record.type,
                "chat_id": record.chat_id,
                "created_at": record.created_at,
                "delivered_at": record.delivered_at,
                "confirmed_at": record.confirmed_at,
                "deliveries": record.deliveries,
            }
            for record in state.update_timeline
        ],
        "bot_messages": list(state.message_timeline),
    }
