"""The one way out: handlers queue Telegram calls here, the sender delivers after commit.

A queued call lives in the same transaction as the writes that caused it, so a rollback
drops it too, and a crash after commit still delivers it on restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain import split_html
from storage.repositories import OutboxRepository

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None
    url: str | None = None


Keyboard = list[list[Button]]


def keyboard_markup(rows: Keyboard) -> dict[str, Any]:
    """Serialise a keyboard, refusing callback data Telegram would reject (1–64 bytes)."""
    built: list[list[InlineKeyboardButton]] = []
    for row in rows:
        out_row = []
        for b in row:
            if b.url is not None:
                out_row.append(InlineKeyboardButton(b.text, url=b.url))
                continue
            if b.data is None or not 1 <= len(b.data.encode()) <= MAX_CALLBACK_DATA:
                raise ValueError(f"callback data out of Telegram's 1–64 bytes: {b.data!r}")
            out_row.append(InlineKeyboardButton(b.text, callback_data=b.data))
        built.append(out_row)
    return InlineKeyboardMarkup(built).to_dict()


class Outbox:
    """Queue of calls to Telegram for the current unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._repo = OutboxRepository(session)

    async def text(self, chat_id: int, html: str, keyboard: Keyboard | None = None) -> None:
        """Send HTML text; long texts go as several messages, the keyboard on the last."""
        parts = split_html(html, MAX_TEXT)
        for i, part in enumerate(parts):
            payload: dict[str, Any] = {"text": part, "parse_mode": "HTML"}
            if keyboard and i == len(parts) - 1:
                payload["reply_markup"] = keyboard_markup(keyboard)
            await self._repo.add(chat_id, "sendMessage", payload)

    async def edit(
        self, chat_id: int, message_id: int, html: str, keyboard: Keyboard | None = None
    ) -> None:
        payload: dict[str, Any] = {"message_id": message_id, "text": html, "parse_mode": "HTML"}
        if keyboard:
            payload["reply_markup"] = keyboard_markup(keyboard)
        await self._repo.add(chat_id, "editMessageText", payload)

    async def answer(
        self, chat_id: int, query_id: str, text: str | None = None, *, alert: bool = False
    ) -> None:
        payload: dict[str, Any] = {"callback_query_id": query_id, "show_alert": alert}
        if text:
            payload["text"] = text[:200]
        await self._repo.add(chat_id, "answerCallbackQuery", payload)

    async def document(
        self, chat_id: int, filename: str, content: str, caption_html: str | None = None
    ) -> None:
        payload: dict[str, Any] = {"filename": filename, "content": content}
        if caption_html:
            payload["caption"] = caption_html
            payload["parse_mode"] = "HTML"
        await self._repo.add(chat_id, "sendDocument", payload)

    async def drop_pending(self, chat_id: int, reason: str) -> int:
        """Nothing more can reach this chat: give up what is still queued for it."""
        return await self._repo.drop_pending_for_chat(chat_id, reason)
