"""Typed results returned by :class:`tgemu.client.EmulatorClient`."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]


class EmulatorError(Exception):
    """The control API refused a request (unknown user, no such button, ...)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class EmulatorTimeout(EmulatorError, TimeoutError):
    """A wait_* helper timed out; the message includes what the chat looked like."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 408)


@dataclass(frozen=True)
class EmuUser:
    id: int
    first_name: str
    is_bot: bool = False
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @classmethod
    def from_json(cls, data: JSONDict) -> EmuUser:
        return cls(
            id=data["id"],
            first_name=data.get("first_name", ""),
            is_bot=data.get("is_bot", False),
            last_name=data.get("last_name"),
            username=data.get("username"),
            language_code=data.get("language_code"),
        )


@dataclass(frozen=True)
class EmuBot:
    id: int
    token: str
    first_name: str
    username: str | None
    pending_updates: int
    webhook_url: str
    allowed_updates: list[str]
    commands: list[JSONDict]
    raw: JSONDict = field(repr=False)

    @classmethod
    def from_json(cls, data: JSONDict) -> EmuBot:
        return cls(
            id=data["id"],
            token=data["token"],
            first_name=data["first_name"],
            username=data.get("username"),
            pending_updates=data["pending_updates"],
            webhook_url=data["webhook_url"],
            allowed_updates=data["allowed_updates"],
            commands=data["commands"],
            raw=data,
        )

    def commands_for(self, chat_id: int, language_code: str | None = None) -> list[JSONDict]:
        """The command menu a user sees in a private chat, resolved as Telegram does: this
        chat's scope, then all private chats, then default; each first in the user's
        language (its first two letters), then for all languages."""
        language = (language_code or "")[:2].lower()
        scopes = (
            {"type": "chat", "chat_id": chat_id},
            {"type": "all_private_chats"},
            {"type": "default"},
        )
        for scope in scopes:
            for code in dict.fromkeys((language, "")):
                for item in self.commands:
                    if item["scope"] == scope and item["language_code"] == code:
                        return list(item["commands"])
        return []


@dataclass(frozen=True)
class EmuChat:
    id: int
    type: str
    title: str
    username: str | None
    members: dict[int, str]

    @classmethod
    def from_json(cls, data: JSONDict) -> EmuChat:
        members = {int(k): v for k, v in data.get("members", {}).items()}
        return cls(data["id"], data["type"], data["title"], data.get("username"), members)


@dataclass(frozen=True)
class Sent:
    """A simulated user's message (or edit): its id and the update the bot will get."""

    chat_id: int
    message_id: int
    update_id: int | None
    bot_id: int
    cursor: int
    deliveries: list[JSONDict] = field(default_factory=list, repr=False)

    @classmethod
    def from_json(cls, data: JSONDict) -> Sent:
        return cls(
            chat_id=data["chat_id"],
            message_id=data["message_id"],
            update_id=data.get("update_id"),
            bot_id=data["bot_id"],
            cursor=data["cursor"],
            deliveries=data.get("deliveries", []),
        )


@dataclass(frozen=True)
class Pressed:
    callback_query_id: str
    update_id: int | None
    chat_id: int
    message_id: int | None
    bot_id: int
    data: str
    cursor: int

    @classmethod
    def from_json(cls, data: JSONDict) -> Pressed:
        return cls(
            data["callback_query_id"],
            data.get("update_id"),
            data["chat_id"],
            data.get("message_id"),
            data["bot_id"],
            data["data"],
            data["cursor"],
        )


@dataclass(frozen=True)
class Action:
    """Result of block/unblock/membership changes."""

    chat_id: int
    update_ids: list[int]
    cursor: int


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None
    raw: JSONDict = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class FileRef:
    file_id: str
    file_unique_id: str
    file_size: int | None = None
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None  # voice, audio and video, in seconds

    @classmethod
    def from_json(cls, data: JSONDict) -> FileRef:
        return cls(
            data["file_id"],
            data["file_unique_id"],
            data.get("file_size"),
            data.get("file_name"),
            data.get("mime_type"),
            data.get("width"),
            data.get("height"),
            data.get("duration"),
        )


@dataclass(frozen=True)
class ChatMessage:
    """One message of a chat as the user sees it (either direction)."""

    message_id: int
    chat_id: int
    outgoing: bool  # True: sent by the bot
    sender_id: int
    kind: str  # text, photo, document, voice, location, service, ...
    date: int
    sent_at: float
    cursor: int  # state cursor of the last change (creation, edit or deletion)
    created_cursor: int
    text: str | None  # text, or caption of a media message
    entities: list[JSONDict]
    reply_markup: JSONDict | None  # inline keyboard
    reply_keyboard: JSONDict | None  # ReplyKeyboardMarkup / Remove / ForceReply sent with it
    buttons: list[list[Button]]
    document: FileRef | None
    photo: list[FileRef]
    voice: FileRef | None
    edited: bool
    edits: list[JSONDict]  # previous versions, oldest first
    deleted: bool
    payload: JSONDict = field(repr=False)  # the Telegram Message JSON

    @classmethod
    def from_view(cls, view: JSONDict) -> ChatMessage:
        payload: JSONDict = view["payload"]
        markup = payload.get("reply_markup")
        buttons = [
            [Button(b.get("text", ""), b.get("callback_data"), b.get("url"), b) for b in row]
            for row in (markup or {}).get("inline_keyboard", [])
        ]
        document = payload.get("document")
        voice = payload.get("voice")
        return cls(
            message_id=view["message_id"],
            chat_id=view["chat_id"],
            outgoing=view["outgoing"],
            sender_id=view["sender_id"],
            kind=view["kind"],
            date=view["date"],
            sent_at=view["sent_at"],
            cursor=view["cursor"],
            created_cursor=view["created_cursor"],
            text=payload.get("text", payload.get("caption")),
            entities=payload.get("entities") or payload.get("caption_entities") or [],
            reply_markup=markup,
            reply_keyboard=view.get("reply_keyboard"),
            buttons=buttons,
            document=FileRef.from_json(document) if document else None,
            photo=[FileRef.from_json(size) for size in payload.get("photo", [])],
            voice=FileRef.from_json(voice) if voice else None,
            edited=view["edited"],
            edits=view["edits"],
            deleted=view["deleted"],
            payload=payload,
        )

    @property
    def caption(self) -> str | None:
        value = self.payload.get("caption")
        return value if isinstance(value, str) else None

    @property
    def button_texts(self) -> list[str]:
        return [button.text for row in self.buttons for button in row]

    @property
    def callback_data(self) -> list[str]:
        return [b.callback_data for row in self.buttons for b in row if b.callback_data]

    def button(self, text: str) -> Button:
        for row in self.buttons:
            for button in row:
                if button.text == text:
                    return button
        raise KeyError(f"no button {text!r}; buttons: {self.button_texts}")

    def has_button(self, text: str) -> bool:
        return text in self.button_texts


@dataclass(frozen=True)
class BotActivity:
    kind: str  # "sent" | "edited" | "deleted"
    cursor: int
    message: ChatMessage


@dataclass(frozen=True)
class CallbackAnswer:
    callback_query_id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    created_at: float
    answered: bool
    text: str | None
    show_alert: bool
    url: str | None
    answered_at: float | None
    cursor: int

    @classmethod
    def from_json(cls, data: JSONDict) -> CallbackAnswer:
        answer = data.get("answer") or {}
        return cls(
            callback_query_id=data["id"],
            user_id=data["user_id"],
            chat_id=data.get("chat_id"),
            message_id=data.get("message_id"),
            data=data.get("data"),
            created_at=data["created_at"],
            answered=data["answered"],
            text=answer.get("text"),
            show_alert=bool(answer.get("show_alert", False)),
            url=answer.get("url") or None,
            answered_at=data.get("answered_at"),
            cursor=data["cursor"],
        )


@dataclass(frozen=True)
class FaultInfo:
    id: int
    method: str
    remaining: int
    chat_id: int | None
    error_code: int | None
    description: str | None
    retry_after: int | None
    delay: float

    @classmethod
    def from_json(cls, data: JSONDict) -> FaultInfo:
        return cls(
            id=data["id"],
            method=data["method"],
            remaining=data["remaining"],
            chat_id=data.get("chat_id"),
            error_code=data.get("error_code"),
            description=data.get("description"),
            retry_after=data.get("retry_after"),
            delay=float(data.get("delay", 0.0)),
        )


@dataclass(frozen=True)
class Stats:
    requests: dict[str, int]
    errors: dict[int, int]
    error_descriptions: dict[str, int]
    rate_limit_enforced: bool
    rate_limit_violations: dict[str, int]  # keys: global, private, group
    rate_limited: int  # sends rejected with 429 by enforcement
    updates_created: int
    updates_confirmed: int
    updates_dropped: int  # excluded by allowed_updates
    pending_updates: int
    bot_messages_sent: int
    bot_messages_edited: int
    bot_messages_deleted: int
    callback_queries: int
    callback_answers: int
    faults_triggered: int
    in_flight: int
    cursor: int
    raw: JSONDict = field(repr=False)

    @classmethod
    def from_json(cls, data: JSONDict) -> Stats:
        rate, updates, messages = data["rate_limit"], data["updates"], data["bot_messages"]
        return cls(
            requests=data["requests"],
            errors={int(code): n for code, n in data["errors"].items()},
            error_descriptions=data["error_descriptions"],
            rate_limit_enforced=rate["enforced"],
            rate_limit_violations=rate["violations"],
            rate_limited=rate["rejected"],
            updates_created=updates["created"],
            updates_confirmed=updates["confirmed"],
            updates_dropped=updates["dropped_not_allowed"],
            pending_updates=updates["pending"],
            bot_messages_sent=messages["sent"],
            bot_messages_edited=messages["edited"],
            bot_messages_deleted=messages["deleted"],
            callback_queries=data["callback_queries"]["created"],
            callback_answers=data["callback_queries"]["answered"],
            faults_triggered=data["faults_triggered"],
            in_flight=data["in_flight"],
            cursor=data["cursor"],
            raw=data,
        )


@dataclass(frozen=True)
class Timeline:
    """Raw timestamps (``time.time()``) for latency measurements."""

    updates: list[JSONDict]  # update_id, bot_id, type, chat_id, created/delivered/confirmed_at
    bot_messages: list[JSONDict]  # bot_id, chat_id, message_id, action, method, at, cursor

    def reply_latencies(self, update_types: tuple[str, ...] = ("message",)) -> list[float]:
        """For each update of ``update_types``: seconds until the bot's next send or edit in
        the same chat (updates never answered are skipped)."""
        by_chat: dict[tuple[int, int], list[float]] = {}
        for item in self.bot_messages:
            if item["action"] in ("sent", "edited"):
                by_chat.setdefault((item["bot_id"], item["chat_id"]), []).append(item["at"])
        for times in by_chat.values():
            times.sort()
        latencies: list[float] = []
        for update in self.updates:
            if update["type"] not in update_types or update["chat_id"] is None:
                continue
            times = by_chat.get((update["bot_id"], update["chat_id"]), [])
            index = bisect.bisect_left(times, update["created_at"])
            if index < len(times):
                latencies.append(times[index] - update["created_at"])
        return latencies
