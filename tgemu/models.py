"""Plain in-memory records of the emulated Telegram world (no logic beyond JSON shapes)."""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError

JSONDict = dict[str, Any]

ALL_UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
DEFAULT_ALLOWED_UPDATES = frozenset(ALL_UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    is_premium: bool = False

    def to_json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        if self.is_premium:
            data["is_premium"] = True
        return data

    def private_chat_json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        data["type"] = "private"
        return data


@dataclass
class UpdateRecord:
    update_id: int
    bot_id: int
    type: str
    payload: JSONDict
    created_at: float
    chat_id: int | None
    delivered_at: float | None = None
    confirmed_at: float | None = None
    deliveries: int = 0

    def to_json(self) -> JSONDict:
        return {"update_id": self.update_id, self.type: self.payload}


@dataclass
class LongPoll:
    """The single getUpdates request a bot may have waiting; ``aborted`` ends it early."""

    aborted: ApiError | None = None


@dataclass
class Webhook:
    url: str
    max_connections: int = 40
    ip_address: str = ""
    secret_token: str = ""
    has_custom_certificate: bool = False
    set_at: float = 0.0


@dataclass
class CallbackQueryRecord:
    id: str
    bot_id: int
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    created_at: float
    created_seq: int
    answered: bool = False
    answer: JSONDict | None = None
    answered_at: float | None = None
    answered_seq: int | None = None

    def to_json(self) -> JSONDict:
        return {
            "id": self.id,
            "bot_id": self.bot_id,
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "data": self.data,
            "created_at": self.created_at,
            "answered": self.answered,
            "answer": self.answer,
            "answered_at": self.answered_at,
            "cursor": self.answered_seq if self.answered_seq is not None else self.created_seq,
        }


@dataclass
class Bot:
    user: User
    token: str
    next_update_id: int
    can_join_groups: bool = True
    can_read_all_group_messages: bool = False
    supports_inline_queries: bool = False
    logged_out: bool = False
    updates: deque[UpdateRecord] = field(default_factory=deque)
    allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
    long_poll: LongPoll | None = None
    webhook: Webhook | None = None
    next_conflict_at: float = 0.0
    next_set_webhook_at: float = 0.0
    commands: dict[tuple[str, str], list[JSONDict]] = field(default_factory=dict)
    callbacks: dict[str, CallbackQueryRecord] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.user.id

    def get_me_json(self) -> JSONDict:
        data = self.user.to_json()
        data.update(
            can_join_groups=self.can_join_groups,
            can_read_all_group_messages=self.can_read_all_group_messages,
            supports_inline_queries=self.supports_inline_queries,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return data


@dataclass
class Chat:
    """A group, supergroup or channel (private chats are derived from :class:`User`)."""

    id: int
    type: str
    title: str
    username: str | None = None
    members: dict[int, str] = field(default_factory=dict)

    def to_json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "title": self.title}
        if self.username:
            data["username"] = self.username
        data["type"] = self.type
        return data


@dataclass
class MessageRecord:
    message_id: int
    chat_id: int
    outgoing: bool
    sender_id: int
    kind: str
    payload: JSONDict
    sent_at: float
    created_seq: int
    updated_seq: int
    keyboard: JSONDict | None = None
    edits: list[JSONDict] = field(default_factory=list)
    deleted: bool = False
    file_ids: list[str] = field(default_factory=list)

    def view(self) -> JSONDict:
        """The control API's view of the message (what a user sees, plus bookkeeping)."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "outgoing": self.outgoing,
            "sender_id": self.sender_id,
            "kind": self.kind,
            "date": self.payload.get("date"),
            "sent_at": self.sent_at,
            "cursor": self.updated_seq,
            "created_cursor": self.created_seq,
            "edited": bool(self.edits),
            "edits": self.edits,
            "deleted": self.deleted,
            "reply_keyboard": self.keyboard,
            "payload": self.payload,
        }


@dataclass
class BotEvent:
    seq: int
    kind: str  # "sent" | "edited" | "deleted"
    message_id: int


@dataclass
class Conversation:
    """One bot's view of one chat: message ids are per (bot, chat) like in private chats."""

    bot_id: int
    chat_id: int
    chat_instance: str
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    next_message_id: int = 1
    events: list[BotEvent] = field(default_factory=list)
    event_seqs: list[int] = field(default_factory=list)
    last_user_seq: int = 0
    started: bool = False
    blocked: bool = False

    def add_event(self, event: BotEvent) -> None:
        self.events.append(event)
        self.event_seqs.append(event.seq)

    def events_after(self, seq: int) -> list[BotEvent]:
        return self.events[bisect.bisect_right(self.event_seqs, seq) :]
