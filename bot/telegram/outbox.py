"""The one way out: handlers and jobs queue Telegram calls here; the sender
(bot.delivery.sender) delivers them after commit.

A queued call lives in the same transaction as the writes that caused it, so a rollback
drops it too, and a crash after commit still delivers it on restart. Telegram's limits are
applied here, before anything is queued: long texts are split, captions and button data
checked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.methods import (
    ANSWER_CALLBACK_QUERY,
    DELETE_MY_COMMANDS,
    EDIT_MESSAGE_REPLY_MARKUP,
    EDIT_MESSAGE_TEXT,
    SEND_DOCUMENT,
    SEND_MESSAGE,
    SEND_PHOTO,
    SEND_VOICE,
    SET_MY_COMMANDS,
)
from bot.domain.clock import Clock
from bot.telegram.html import MAX_CAPTION, MAX_TEXT, split_html, visible_length
from bot.telegram.keyboards import Keyboard, keyboard_markup
from storage.repositories import OutboxRepository
from storage.repositories.outbox import NewRow
from storage.statuses import Priority

#: Telegram shows at most 200 characters of a button answer.
MAX_ANSWER = 200


class Outbox:
    """Queue of calls to Telegram for the current unit of work."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._repo = OutboxRepository(session)
        self._clock = clock
        self._held: list[NewRow] | None = None

    @asynccontextmanager
    async def batched(self) -> AsyncIterator[None]:
        """Calls queued inside go to the database together, in one statement when the block
        ends (a digest round queues a batch of members' digests at once)."""
        self._held = []
        try:
            yield
            rows = self._held
            self._held = None
            await self._repo.add_many(rows, now=self._clock.now())
        finally:
            self._held = None

    async def _add(
        self,
        chat_id: int,
        method: str,
        payload: dict[str, Any],
        content: bytes | None = None,
        priority: Priority = Priority.REPLY,
    ) -> None:
        if self._held is not None:
            self._held.append(NewRow(chat_id, method, payload, content, priority))
            return
        await self._repo.add(
            chat_id, method, payload, content, priority=priority, now=self._clock.now()
        )

    async def text(
        self,
        chat_id: int,
        html: str,
        keyboard: Keyboard | None = None,
        *,
        priority: Priority = Priority.REPLY,
        fits: bool = False,
    ) -> None:
        """Send HTML text; long texts go as several messages, the keyboard on the last.

        Bulk sending (digests, invitations) passes Priority.BULK: replies go first. `fits`:
        the caller already cut the text to Telegram's size (digests, drawn outside any
        transaction), so it is not parsed again here, inside one."""
        parts = [html] if fits and len(html) <= MAX_TEXT else split_html(html, MAX_TEXT)
        for i, part in enumerate(parts):
            payload: dict[str, Any] = {"text": part, "parse_mode": "HTML"}
            if keyboard and i == len(parts) - 1:
                payload["reply_markup"] = keyboard_markup(keyboard)
            await self._add(chat_id, SEND_MESSAGE, payload, priority=priority)

    async def question(self, chat_id: int, html: str, keyboard: Keyboard | None) -> int:
        """A question with buttons, as one message; its row id lets a later question
        withdraw it (`retire`). Longer texts are cut before the keyboard is attached."""
        parts = split_html(html, MAX_TEXT)
        for part in parts[:-1]:
            await self._add(chat_id, SEND_MESSAGE, {"text": part, "parse_mode": "HTML"})
        payload: dict[str, Any] = {"text": parts[-1], "parse_mode": "HTML"}
        if keyboard:
            payload["reply_markup"] = keyboard_markup(keyboard)
        return await self._repo.add_question(chat_id, SEND_MESSAGE, payload, now=self._clock.now())

    async def retire(self, chat_id: int, row_id: int) -> None:
        """A superseded question: never sent if still queued, else its buttons removed, so
        only one live question stays in the chat."""
        message_id = await self._repo.withdraw(row_id, chat_id)
        if message_id is not None:
            await self.edit_markup(chat_id, message_id)

    async def edit_markup(
        self, chat_id: int, message_id: int, keyboard: Keyboard | None = None
    ) -> None:
        """Change (or, with none, remove) a message's buttons, leaving its text."""
        payload: dict[str, Any] = {"message_id": message_id}
        if keyboard:
            payload["reply_markup"] = keyboard_markup(keyboard)
        await self._add(chat_id, EDIT_MESSAGE_REPLY_MARKUP, payload)

    async def voice_by_id(
        self, chat_id: int, file_id: str, caption_html: str | None = None
    ) -> None:
        """A voice message Telegram already holds (one a resident sent), by its file id."""
        payload: dict[str, Any] = {"file_id": file_id}
        if caption_html:
            payload.update(caption=caption_html, parse_mode="HTML")
        await self._add(chat_id, SEND_VOICE, payload)

    async def edit(
        self, chat_id: int, message_id: int, html: str, keyboard: Keyboard | None = None
    ) -> None:
        payload: dict[str, Any] = {"message_id": message_id, "text": html, "parse_mode": "HTML"}
        if keyboard:
            payload["reply_markup"] = keyboard_markup(keyboard)
        await self._add(chat_id, EDIT_MESSAGE_TEXT, payload)

    async def answer(
        self, chat_id: int, query_id: str, text: str | None = None, *, alert: bool = False
    ) -> None:
        payload: dict[str, Any] = {"callback_query_id": query_id, "show_alert": alert}
        if text:
            payload["text"] = text[:MAX_ANSWER]
        await self._add(chat_id, ANSWER_CALLBACK_QUERY, payload)

    async def document(
        self,
        chat_id: int,
        filename: str,
        content: bytes,
        caption_html: str | None = None,
        *,
        priority: Priority = Priority.REPLY,
    ) -> None:
        """A file (a JSON export, an XLSX sheet), with an optional HTML caption."""
        await self._file(SEND_DOCUMENT, chat_id, filename, content, caption_html, priority)

    async def photo(
        self,
        chat_id: int,
        filename: str,
        content: bytes,
        caption_html: str | None = None,
        *,
        priority: Priority = Priority.REPLY,
    ) -> None:
        """A picture (a PNG chart), with an optional HTML caption."""
        await self._file(SEND_PHOTO, chat_id, filename, content, caption_html, priority)

    async def photo_by_id(
        self, chat_id: int, file_id: str, caption_html: str | None = None
    ) -> None:
        """A photo Telegram already holds (one a resident sent), by its file id."""
        payload: dict[str, Any] = {"file_id": file_id}
        if caption_html:
            payload.update(caption=caption_html, parse_mode="HTML")
        await self._add(chat_id, SEND_PHOTO, payload)

    async def commands(
        self,
        chat_id: int,
        commands: list[tuple[str, str]],
        language_code: str | None = None,
        *,
        priority: Priority = Priority.REPLY,
    ) -> None:
        """Set this private chat's command menu (an admin's, a member's); empty: remove it
        (the chat falls back to the residents' menu)."""
        if commands:
            payload: dict[str, Any] = {"commands": [list(c) for c in commands]}
            if language_code:
                payload["language_code"] = language_code
            await self._add(chat_id, SET_MY_COMMANDS, payload, priority=priority)
        else:
            await self._add(
                chat_id,
                DELETE_MY_COMMANDS,
                {"language_code": language_code} if language_code else {},
                priority=priority,
            )

    async def _file(
        self,
        method: str,
        chat_id: int,
        filename: str,
        content: bytes,
        caption: str | None,
        priority: Priority,
    ) -> None:
        if not content:
            raise ValueError("Telegram refuses an empty file")
        payload: dict[str, Any] = {"filename": filename}
        if caption:
            if visible_length(caption) > MAX_CAPTION:
                raise ValueError(f"caption over Telegram's {MAX_CAPTION} characters")
            payload["caption"] = caption
            payload["parse_mode"] = "HTML"
        await self._add(chat_id, method, payload, content, priority)

    async def drop_pending(self, chat_id: int, reason: str) -> int:
        """Nothing more can reach this chat: give up what is still queued for it."""
        return await self._repo.drop_pending_for_chat(chat_id, reason)
