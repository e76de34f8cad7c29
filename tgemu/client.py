"""Async client for the emulator's control API (``/_emu``), used by tests, bench and demo.

>>> async with EmulatorClient(emu.url) as c:
...     sent = await c.send_text(1001, "你好")
...     reply = await c.wait_for_bot_message(1001, after=sent.cursor)
...     pressed = await c.press_button(1001, "同意", message_id=reply.message_id)

``chat_id`` defaults to the user's private chat with the bot; ``bot_id`` may be omitted
while only one bot is registered (or set once: ``EmulatorClient(url, bot_id=...)``).
Unknown user ids are created on first use.  Failures raise :class:`EmulatorError`; waits
that time out raise :class:`EmulatorTimeout` (a ``TimeoutError``) with the recent chat.

Setup: ``health()``, ``reset(config=False, bots=False)``, ``get_config()``,
``set_config(**values)``, ``set_rate_limit_enforcement(enabled)``,
``register_bot(token, ...) -> EmuBot``, ``bots() -> list[EmuBot]``,
``create_user(user_id=None, first_name=..., language_code="zh-hans") -> EmuUser``,
``get_user(user_id)``, ``create_group(title, member_ids=(), admin_ids=(), creator_id=None,
supergroup=False) -> EmuChat``, ``create_channel(title, admin_ids=(), creator_id=None)``,
``get_chat(chat_id)``, ``set_member(chat_id, user_id, status="member") -> Action``.

Users act (all return :class:`Sent` unless noted; keyword routing ``chat_id``, ``bot_id``,
``reply_to_message_id``): ``send(user_id, **content)``, ``send_text(user_id, text)``,
``send_command(user_id, command, payload=None)``, ``start(user_id, payload=None)``,
``send_photo(user_id, caption=None, width=1280, height=960, content=None)``,
``send_document(user_id, file_name=..., content=bytes|str, mime_type=None, caption=None)``,
``send_location(user_id, latitude, longitude)``, ``send_contact(user_id, phone, first_name)``,
``send_sticker(user_id, emoji)``, ``send_voice(user_id, data=None, duration=None,
caption=None)`` (Ogg/Opus; silence by default), ``send_video(...)``,
``send_media(user_id, kind, **details)`` (audio, video_note, animation, venue, dice, poll),
``edit_text(user_id, message_id, text)``, ``edit_caption(user_id, message_id, caption)``,
``press(user_id, message_id, callback_data=None, text=None) -> Pressed``,
``press_button(user_id, text, message_id=None) -> Pressed`` (newest bot message with it),
``press_raw(user_id, data, message_id=None) -> Pressed`` (forged callback data),
``block(user_id) -> Action``, ``unblock(user_id) -> Action``.

Observe: ``messages(chat_id, include_deleted=True) -> list[ChatMessage]``,
``bot_messages(chat_id)``, ``last_bot_message(chat_id) -> ChatMessage | None``,
``callback_answers(user_id=None) -> list[CallbackAnswer]``, ``cursor() -> int``,
``wait_for_bot_message(chat_id, after=None, timeout=5.0, include_edits=False)
-> ChatMessage``, ``wait_for_bot_activity(chat_id, after=None, timeout=5.0) -> BotActivity``,
``wait_for_callback_answer(callback_query_id, timeout=5.0) -> CallbackAnswer``,
``wait_until_confirmed(timeout=5.0)``, ``wait_until_idle(timeout=10.0, quiet=0.2)``
(both for the client's ``bot_id`` when set, else all bots),
``stats() -> Stats``, ``timeline() -> Timeline`` (``.reply_latencies()``),
``pending_updates() -> list[dict]``, ``file_content(file_id) -> bytes``,
``file_download(file_id) -> tuple[bytes, str]`` (with its MIME type).

Faults: ``inject_fault(method, error_code=None, description=None, retry_after=None,
delay=0.0, count=1, chat_id=None) -> FaultInfo``, ``faults()``, ``clear_faults()``.
"""

from __future__ import annotations

from typing import Any

from .client_types import (
    BotActivity,
    CallbackAnswer,
    ChatMessage,
    EmulatorError,
    EmulatorTimeout,
    FaultInfo,
    Stats,
    Timeline,
)
from .client_users import UserActions

JSONDict = dict[str, Any]


class EmulatorClient(UserActions):
    """Async client for the control API; see the module docstring."""

    # ------------------------------------------------------------------ observe

    async def bot_messages(self, chat_id: int, *, bot_id: int | None = None) -> list[ChatMessage]:
        """Messages the bot sent to the chat that are not deleted, oldest first."""
        messages = await self.messages(chat_id, bot_id=bot_id, include_deleted=False)
        return [message for message in messages if message.outgoing]

    async def last_bot_message(
        self, chat_id: int, *, bot_id: int | None = None
    ) -> ChatMessage | None:
        messages = await self.bot_messages(chat_id, bot_id=bot_id)
        return messages[-1] if messages else None

    async def callback_answers(
        self, *, user_id: int | None = None, bot_id: int | None = None
    ) -> list[CallbackAnswer]:
        params = {"user_id": user_id, "bot_id": self._bot(bot_id)}
        items = await self._request("GET", "/callback_queries", params=params)
        return [CallbackAnswer.from_json(item) for item in items]

    async def cursor(self) -> int:
        value: int = await self._request("GET", "/cursor")
        return value

    async def wait_for_bot_activity(
        self,
        chat_id: int,
        *,
        after: int | None = None,
        timeout: float = 5.0,
        include_edits: bool = True,
        include_deletes: bool = True,
        bot_id: int | None = None,
    ) -> BotActivity:
        """Next bot send/edit/delete in the chat after cursor ``after`` (default: after the
        latest user action in that chat); raises :class:`EmulatorTimeout`."""
        params = {
            "chat_id": chat_id,
            "after": after,
            "timeout": timeout,
            "include_edits": int(include_edits),
            "include_deletes": int(include_deletes),
            "bot_id": self._bot(bot_id),
        }
        result = await self._request("GET", "/wait/bot_message", params=params, wait=timeout)
        if result is None:
            raise EmulatorTimeout(await self._timeout_report(chat_id, after, timeout, bot_id))
        return BotActivity(
            result["event"], result["cursor"], ChatMessage.from_view(result["message"])
        )

    async def wait_for_bot_message(
        self,
        chat_id: int,
        *,
        after: int | None = None,
        timeout: float = 5.0,
        include_edits: bool = False,
        bot_id: int | None = None,
    ) -> ChatMessage:
        """The next message the bot sends to the chat (see wait_for_bot_activity)."""
        activity = await self.wait_for_bot_activity(
            chat_id,
            after=after,
            timeout=timeout,
            include_edits=include_edits,
            include_deletes=False,
            bot_id=bot_id,
        )
        return activity.message

    async def _timeout_report(
        self, chat_id: int, after: int | None, waited: float, bot_id: int | None
    ) -> str:
        lines = [f"no bot message in chat {chat_id} after cursor {after} within {waited}s"]
        try:
            recent = (await self.messages(chat_id, bot_id=bot_id))[-6:]
        except EmulatorError as exc:
            recent = []
            lines.append(f"(history unavailable: {exc})")
        for message in recent:
            who = "bot" if message.outgoing else f"user {message.sender_id}"
            flags = " [deleted]" if message.deleted else " [edited]" if message.edited else ""
            lines.append(f"  #{message.message_id} {who}: {message.text!r}{flags}")
        return "\n".join(lines)

    async def wait_for_callback_answer(
        self,
        callback_query_id: str,
        *,
        timeout: float = 5.0,
    ) -> CallbackAnswer:
        params = {"query_id": callback_query_id, "timeout": timeout}
        result = await self._request("GET", "/wait/callback_answer", params=params, wait=timeout)
        if result is None:
            raise EmulatorTimeout(f"callback query {callback_query_id} not answered in {timeout}s")
        return CallbackAnswer.from_json(result)

    async def wait_until_confirmed(
        self,
        *,
        timeout: float = 5.0,
        bot_id: int | None = None,
    ) -> None:
        """Until the bot has confirmed (getUpdates offset) every queued update."""
        params = {"timeout": timeout, "bot_id": self._bot(bot_id)}
        if not await self._request("GET", "/wait/confirmed", params=params, wait=timeout):
            raise EmulatorTimeout(f"updates still unconfirmed after {timeout}s")

    async def wait_until_idle(
        self,
        *,
        timeout: float = 10.0,
        quiet: float = 0.2,
        bot_id: int | None = None,
    ) -> None:
        """Until no update is pending and no Bot API call ran for ``quiet`` seconds (for the
        client's / given bot; all bots when neither is set)."""
        params = {"timeout": timeout, "quiet": quiet, "bot_id": self._bot(bot_id)}
        if not await self._request("GET", "/wait/idle", params=params, wait=timeout):
            raise EmulatorTimeout(f"bot not idle after {timeout}s")

    async def stats(self) -> Stats:
        return Stats.from_json(await self._request("GET", "/stats"))

    async def timeline(self) -> Timeline:
        data = await self._request("GET", "/timeline")
        return Timeline(data["updates"], data["bot_messages"])

    async def pending_updates(self, *, bot_id: int | None = None) -> list[JSONDict]:
        result: list[JSONDict] = await self._request(
            "GET", "/updates", params={"bot_id": self._bot(bot_id)}
        )
        return result

    async def file_content(self, file_id: str) -> bytes:
        return (await self.file_download(file_id))[0]

    async def file_download(self, file_id: str) -> tuple[bytes, str]:
        """A stored file's bytes and MIME type (what the file URL would serve)."""
        response = await self._http.get(f"/files/{file_id}")
        if response.status_code != 200:
            raise EmulatorError(f"unknown file {file_id}", response.status_code)
        media_type = response.headers.get("content-type", "application/octet-stream")
        return response.content, media_type

    # ------------------------------------------------------------------ faults

    async def inject_fault(
        self,
        method: str,
        *,
        error_code: int | None = None,
        description: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        count: int = 1,
        chat_id: int | None = None,
    ) -> FaultInfo:
        """The next ``count`` calls of ``method`` ("*" = any but getUpdates), optionally only
        for ``chat_id``, wait ``delay`` s and then fail with ``error_code`` (None: succeed).
        429 carries retry_after (default 5); 403 defaults to "bot was blocked by the user";
        500/502 give "Internal Server Error"/"Bad Gateway"; 400 uses ``description``."""
        body = {
            "method": method,
            "error_code": error_code,
            "description": description,
            "retry_after": retry_after,
            "delay": delay,
            "count": count,
            "chat_id": chat_id,
        }
        return FaultInfo.from_json(await self._request("POST", "/faults", json=body))

    async def faults(self) -> list[FaultInfo]:
        return [FaultInfo.from_json(item) for item in await self._request("GET", "/faults")]

    async def clear_faults(self) -> None:
        await self._request("DELETE", "/faults")
