"""The typed context every handler receives (registered through ContextTypes)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackContext, ExtBot

from bot.runtime.scope import UpdateScope, current_scope
from bot.services.intake import IntakeService
from bot.texts import Lang, as_lang, lang_of
from storage.records import ResidentRecord


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

    def done(self, outcome: str) -> None:
        """Name what this update came to; kept in the inbox row."""
        self.scope.outcome = outcome
