"""Stored update -> python-telegram-bot's Application, inside the processor's unit of work.

The processor (bot.delivery) knows rows and retries; this knows what an update is: it parses
it, opens the handlers' scope over the session, and says who must hear when one is given up.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.delivery.processor import HandlerFailed, UnparsableUpdate
from bot.deps import Deps
from bot.telegram.alerts import alert_admins
from bot.telegram.application import BotApplication
from bot.telegram.context import BotContext, UpdateScope, current_scope
from bot.telegram.texts import COMMON, lang_of
from bot.telegram.work import services_for

log = logging.getLogger(__name__)

#: Update kinds whose object carries the chat and the person directly.
_MESSAGE_KINDS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "my_chat_member",
)


class UpdateDispatcher:
    def __init__(self, app: BotApplication, deps: Deps) -> None:
        self.app = app
        self.deps = deps

    async def handle(self, session: AsyncSession, update: dict[str, Any]) -> str:
        try:
            parsed = Update.de_json(update, self.app.bot)
        except Exception as exc:  # PTB raises TypeError, KeyError, ValueError… on odd shapes
            raise UnparsableUpdate(f"{type(exc).__name__}: {exc}") from exc
        scope = UpdateScope(services_for(session, self.deps))
        token = current_scope.set(scope)
        try:
            await self.app.process_update(parsed)
        finally:
            current_scope.reset(token)
        if scope.error is not None:
            raise HandlerFailed(repr(scope.error)) from scope.error
        return scope.outcome

    async def set_aside(
        self, session: AsyncSession, update: dict[str, Any] | None, update_id: int, error: str
    ) -> None:
        """Tell the person (in a private chat) that it went wrong, and the admins that an
        update needs a look: its number and the error, never its content."""
        out = services_for(session, self.deps).out
        person = private_sender(update) if update is not None else None
        if person is not None:
            chat_id, language_code = person
            await out.text(chat_id, COMMON(lang_of(language_code), "internal_error"))
        # Once a day per kind of failure: a broken handler sets many updates aside, and one
        # `yushi inbox --retry-failed` replays them all.
        await alert_admins(
            session, self.deps, "update", error, key="admin_set_aside", update_id=update_id
        )


def private_sender(update: dict[str, Any]) -> tuple[int, str | None] | None:
    """(chat id, language code) of the private chat an update came from, read from the raw
    JSON: it must work for updates that python-telegram-bot could not parse."""
    for kind in _MESSAGE_KINDS:
        message = update.get(kind)
        if isinstance(message, dict):
            return _private(message)
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("message"), dict):
        return _private(query["message"], presser=query.get("from"))
    return None


def _private(message: dict[str, Any], presser: object = None) -> tuple[int, str | None] | None:
    chat = message.get("chat")
    if not isinstance(chat, dict) or chat.get("type") != "private":
        return None
    chat_id = chat.get("id")
    if not isinstance(chat_id, int):
        return None
    sender = presser if isinstance(presser, dict) else message.get("from")
    code = sender.get("language_code") if isinstance(sender, dict) else None
    return chat_id, code if isinstance(code, str) else None


async def on_error(update: object, context: BotContext) -> None:
    """Handlers raised: remember it, so the processor rolls the update back and retries."""
    scope = current_scope.get(None)
    if scope is not None:
        scope.error = context.error
    else:
        log.error("error outside an update", exc_info=context.error)
