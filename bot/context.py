"""The typed context every handler receives (registered through ContextTypes)."""

from __future__ import annotations

from typing import Any, NamedTuple

from telegram import Update
from telegram.ext import CallbackContext, ExtBot

from bot.runtime.scope import UpdateScope, current_scope
from bot.services.account import AccountService
from bot.services.intake import IntakeService
from bot.texts import CONSENT_VERSION, Lang, as_lang, lang_of
from storage.records import ResidentRecord
from storage.repositories import InboxRepository


class Who(NamedTuple):
    """Where to answer, who is asking (None before consent), in which language."""

    chat_id: int
    resident: ResidentRecord | None
    lang: Lang


class BotContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Gives handlers the unit of work of the update being processed."""

    @property
    def scope(self) -> UpdateScope:
        return current_scope.get()

    @property
    def intake(self) -> IntakeService:
        s = self.scope
        settings = s.deps.settings
        return IntakeService(
            s.drafts,
            s.opinions,
            s.deps.district,
            max_chars=settings.opinion_max_chars,
            per_hour=settings.opinions_per_hour,
        )

    @property
    def account(self) -> AccountService:
        s = self.scope
        return AccountService(
            s.residents,
            s.opinions,
            s.drafts,
            InboxRepository(s.session),
            reference_prefix=s.deps.district.reference_prefix,
            notice_version=CONSENT_VERSION,
        )

    async def resident(self, update: Update) -> ResidentRecord | None:
        user = update.effective_user
        if user is None:
            return None
        return await self.scope.residents.by_telegram_id(user.id)

    @staticmethod
    def lang(update: Update, resident: ResidentRecord | None) -> Lang:
        if resident is not None:
            return as_lang(resident.lang)
        user = update.effective_user
        return lang_of(user.language_code if user else None)

    @staticmethod
    def chat_id(update: Update) -> int | None:
        """Where to answer. A press on an inline-mode message has no chat: the presser's
        private chat is the answer's place then (it only orders the outbox for answers)."""
        if update.effective_chat is not None:
            return update.effective_chat.id
        return update.effective_user.id if update.effective_user is not None else None

    async def who(self, update: Update) -> Who | None:
        chat_id = self.chat_id(update)
        if chat_id is None:
            return None
        resident = await self.resident(update)
        return Who(chat_id, resident, self.lang(update, resident))

    def done(self, outcome: str) -> None:
        """Name what this update came to; kept in the inbox row."""
        self.scope.outcome = outcome
