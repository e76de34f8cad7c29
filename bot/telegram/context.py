"""The typed context every handler receives (registered through ContextTypes), and the
scope of the update being handled."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple

from telegram import CallbackQuery, Update
from telegram.ext import CallbackContext, ExtBot

from bot.telegram.callbacks import CallbackData, Pressed
from bot.telegram.keyboards import Keyboard
from bot.telegram.outbox import Outbox
from bot.telegram.texts import COMMON, Lang, as_lang, lang_of
from bot.telegram.work import Work
from storage.records import ResidentRecord
from storage.repositories import ResidentRepository


@dataclass
class UpdateScope:
    """One update's unit of work, and what the handlers made of it."""

    work: Work
    outcome: str = "ignored"
    error: BaseException | None = None


#: Set by the dispatcher around `Application.process_update`.
current_scope: ContextVar[UpdateScope] = ContextVar("current_scope")


class Who(NamedTuple):
    """Where to answer, who is asking (None before consent), in which language."""

    chat_id: int
    resident: ResidentRecord | None
    lang: Lang


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Gives handlers the unit of work of the update being processed."""

    @property
    def work(self) -> Work:
        return current_scope.get().work

    @property
    def out(self) -> Outbox:
        return self.work.out

    async def resident(self, update: Update) -> ResidentRecord | None:
        user = update.effective_user
        if user is None:
            return None
        return await self.work.repo(ResidentRepository).by_telegram_id(user.id)

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

    async def say(
        self, chat_id: int, html: str, outcome: str, keyboard: Keyboard | None = None
    ) -> None:
        """Answer with a message, and name what the update came to."""
        await self.out.text(chat_id, html, keyboard)
        self.done(outcome)

    async def press(
        self, update: Update, kind: CallbackData
    ) -> tuple[CallbackQuery, int, Pressed] | None:
        """A press of `kind`: the query, the chat to answer in, and the button's fields.

        None when it is not a valid press of `kind` (then already answered politely)."""
        query = update.callback_query
        chat_id = self.chat_id(update)
        if query is None or chat_id is None:
            return None
        pressed = kind.parse(query.data)
        if pressed is None:
            await self.stale_press(update)
            return None
        return query, chat_id, pressed

    async def stale_press(self, update: Update) -> None:
        """Any button we cannot honour (forged, expired, someone else's): a polite alert."""
        query = update.callback_query
        who = await self.who(update)
        if query is None or who is None:
            return
        key = "stale_button" if who.resident is not None else "not_consented_button"
        await self.out.answer(who.chat_id, query.id, COMMON(who.lang, key), alert=True)
        self.done("stale_button")

    def done(self, outcome: str) -> None:
        """Name what this update came to; kept in the inbox row."""
        current_scope.get().outcome = outcome
