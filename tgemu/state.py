"""The emulated Telegram world: bots, users, chats, per-bot message histories, update queues.

Pure in-memory state without HTTP.  Everything runs on one asyncio event loop (the
server's); nothing here is thread-safe.  Waiting (long polling, test helpers) goes through
:class:`Notifier`, which wakes all waiters whenever anything changes.

Cursor: ``state.seq`` grows by one on every user action and every bot-visible change
(message sent / edited / deleted, callback answered).  Control API calls return it so
tests can wait for "the next thing after this point".
"""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Any

from .errors import ApiError, ControlError
from .faults import FaultInjector
from .files import FileStore
from .models import (
    DEFAULT_ALLOWED_UPDATES,
    Bot,
    BotEvent,
    Chat,
    Conversation,
    MessageRecord,
    UpdateRecord,
    User,
)
from .ratelimit import RateLimiter
from .support import TOKEN_RE, Counters, EmulatorConfig, Notifier

JSONDict = dict[str, Any]
FIRST_USER_ID = 100_000_001


class EmulatorState:
    def __init__(self, config: EmulatorConfig | None = None, *, seed: int | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.rng = random.Random(seed)
        self.notifier = Notifier()
        self.files = FileStore()
        self.ratelimit = RateLimiter()
        self.faults = FaultInjector()
        self.bots: dict[int, Bot] = {}
        self.in_flight: Counter[int] = Counter()  # running Bot API calls per bot
        self.last_api_activity: dict[int, float] = {}  # per bot: last call start or end
        self._clear_world()

    def _clear_world(self) -> None:
        self.users: dict[int, User] = {bot.id: bot.user for bot in self.bots.values()}
        self.chats: dict[int, Chat] = {}
        self.conversations: dict[tuple[int, int], Conversation] = {}
        self.seq = 0
        self.counters = Counters.fresh()
        self.update_timeline: list[UpdateRecord] = []
        self.message_timeline: list[JSONDict] = []
        self._next_user_id = FIRST_USER_ID
        self._next_group_id = 4_000_000_001
        self._next_channel_id = 2_000_000_001

    def reset(self, *, config: bool = False, bots: bool = False) -> None:
        """Forgets users, chats, messages, files, stats and faults.

        Registered bots keep their identity and update_id sequence (so a running PTB
        application keeps working), but lose queued updates, commands and webhook;
        ``bots=True`` forgets them too (a bot re-registers on its next API call).
        ``config=True`` restores the default configuration."""
        if bots:
            for bot in self.bots.values():
                bot.long_poll = None
            self.bots.clear()
        for bot in self.bots.values():
            bot.updates.clear()
            bot.commands.clear()
            bot.callbacks.clear()
            bot.webhook = None
            bot.logged_out = False
            bot.next_conflict_at = 0.0
            bot.allowed_updates = DEFAULT_ALLOWED_UPDATES
            bot.next_set_webhook_at = 0.0
        self.files.clear()
        self.ratelimit.reset()
        self.faults.reset()
        if config:
            self.config = EmulatorConfig()
        self._clear_world()
        self.notifier.notify()

    def call_started(self, bot_id: int) -> None:
        self.in_flight[bot_id] += 1
        self.last_api_activity[bot_id] = time.time()

    def call_finished(self, bot_id: int) -> None:
        self.in_flight[bot_id] -= 1
        self.last_api_activity[bot_id] = time.time()
        self.notifier.notify()

    def shutdown(self) -> None:
        """Ends every waiting request (long polls answer with their updates so far)."""
        for bot in self.bots.values():
            bot.long_poll = None
        self.notifier.close()

    # ----------------------------------------------------------------- identities

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def register_bot(
        self,
        token: str,
        *,
        first_name: str | None = None,
        username: str | None = None,
        can_join_groups: bool | None = None,
        can_read_all_group_messages: bool | None = None,
        supports_inline_queries: bool | None = None,
    ) -> Bot:
        match = TOKEN_RE.match(token)
        if not match:
            raise ControlError(f"malformed bot token {token!r}")
        bot_id = int(match.group(1))
        bot = self.bots.get(bot_id)
        if bot is None:
            user = User(bot_id, first_name or "Test Bot", username=username or f"emu{bot_id}_bot")
            user.is_bot = True
            start = self.rng.randint(100_000_000, 900_000_000)
            bot = Bot(user=user, token=token, next_update_id=start)
            self.bots[bot_id] = bot
        bot.token = token
        bot.logged_out = False
        if first_name is not None:
            bot.user.first_name = first_name
        if username is not None:
            bot.user.username = username
        if can_join_groups is not None:
            bot.can_join_groups = can_join_groups
        if can_read_all_group_messages is not None:
            bot.can_read_all_group_messages = can_read_all_group_messages
        if supports_inline_queries is not None:
            bot.supports_inline_queries = supports_inline_queries
        self.users[bot_id] = bot.user
        return bot

    def bot_for_token(self, token: str) -> Bot:
        """Authenticates a Bot API call; unknown well-formed tokens register a new bot."""
        match = TOKEN_RE.match(token)
        if not match:
            raise ApiError(401, "Unauthorized")
        bot = self.bots.get(int(match.group(1)))
        if bot is None:
            return self.register_bot(token)
        if bot.token != token or bot.logged_out:
            raise ApiError(401, "Unauthorized")
        return bot

    def resolve_bot(self, bot_id: int | None) -> Bot:
        """The bot a control call is about: explicit, or the only registered one."""
        if bot_id is not None:
            bot = self.bots.get(bot_id)
            if bot is None:
                raise ControlError(f"unknown bot {bot_id}", 404)
            return bot
        if len(self.bots) == 1:
            return next(iter(self.bots.values()))
        if not self.bots:
            raise ControlError("no bot registered yet: POST /_emu/bots or make a Bot API call")
        raise ControlError("several bots are registered: pass bot_id")

    def create_user(
        self,
        user_id: int | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        is_premium: bool = False,
    ) -> User:
        if user_id is None:
            while self._next_user_id in self.users:
                self._next_user_id += 1
            user_id = self._next_user_id
            self._next_user_id += 1
        if user_id <= 0:
            raise ControlError("user ids must be positive")
        existing = self.users.get(user_id)
        if existing is not None and existing.is_bot:
            raise ControlError(f"{user_id} is a bot")
        user = User(
            user_id,
            first_name or f"User{user_id}",
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_premium=is_premium,
        )
        self.users[user_id] = user
        return user

    def user(self, user_id: int) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise ControlError(f"unknown user {user_id}", 404)
        return user

    def create_chat(
        self, chat_type: str, title: str, *, chat_id: int | None = None, username: str | None = None
    ) -> Chat:
        if chat_type not in ("group", "supergroup", "channel"):
            raise ControlError("chat type must be group, supergroup or channel")
        if chat_id is None:
            if chat_type == "group":
                chat_id = -self._next_group_id
                self._next_group_id += 1
            else:
                chat_id = -(1_000_000_000_000 + self._next_channel_id)
                self._next_channel_id += 1
        if chat_id >= 0 or chat_id in self.chats:
            raise ControlError(f"bad or duplicate chat id {chat_id}")
        chat = Chat(chat_id, chat_type, title, username=username)
        self.chats[chat_id] = chat
        return chat

    def chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ControlError(f"unknown chat {chat_id}", 404)
        return chat

    def find_username(self, username: str) -> int | None:
        wanted = username.lstrip("@").lower()
        for chat in self.chats.values():
            if chat.username and chat.username.lower() == wanted:
                return chat.id
        for user in self.users.values():
            if user.username and user.username.lower() == wanted:
                return user.id
        return None

    def user_json(self, user_id: int) -> JSONDict | None:
        user = self.users.get(user_id)
        return user.to_json() if user else None

    def chat_json(self, chat_id: int) -> JSONDict:
        if chat_id > 0:
            return self.users[chat_id].private_chat_json()
        return self.chats[chat_id].to_json()

    def chat_type(self, chat_id: int) -> str:
        return "private" if chat_id > 0 else self.chats[chat_id].type

    def conversation(self, bot_id: int, chat_id: int) -> Conversation:
        key = (bot_id, chat_id)
        conv = self.conversations.get(key)
        if conv is None:
            instance = str(self.rng.randint(-(2**63), 2**63 - 1))
            conv = Conversation(bot_id, chat_id, instance)
            self.conversations[key] = conv
        return conv

    # ----------------------------------------------------------------- messages

    def add_message(
        self,
        conv: Conversation,
        *,
        outgoing: bool,
        sender_id: int,
        kind: str,
        content: JSONDict,
        reply_to: MessageRecord | None = None,
        inline_markup: JSONDict | None = None,
        keyboard: JSONDict | None = None,
        file_ids: list[str] | None = None,
        method: str = "",
    ) -> MessageRecord:
        now = time.time()
        payload: JSONDict = {"message_id": conv.next_message_id}
        chat_json = self.chat_json(conv.chat_id)
        if chat_json["type"] == "channel":
            payload["sender_chat"] = chat_json
        else:
            payload["from"] = self.users[sender_id].to_json()
        payload["chat"] = chat_json
        payload["date"] = int(now)
        if reply_to is not None:
            payload["reply_to_message"] = {
                k: v for k, v in reply_to.payload.items() if k != "reply_to_message"
            }
        payload.update(content)
        if inline_markup is not None:
            payload["reply_markup"] = inline_markup
        seq = self.next_seq()
        record = MessageRecord(
            message_id=conv.next_message_id,
            chat_id=conv.chat_id,
            outgoing=outgoing,
            sender_id=sender_id,
            kind=kind,
            payload=payload,
            sent_at=now,
            created_seq=seq,
            updated_seq=seq,
            keyboard=keyboard,
            file_ids=file_ids or [],
        )
        conv.next_message_id += 1
        conv.messages[record.message_id] = record
        if outgoing:
            self.record_bot_event(conv, "sent", record, method)
        else:
            conv.last_user_seq = seq
        self.notifier.notify()
        return record

    def record_bot_event(
        self, conv: Conversation, kind: str, record: MessageRecord, method: str, seq: int = 0
    ) -> None:
        seq = seq or record.updated_seq
        conv.add_event(BotEvent(seq, kind, record.message_id))
        if kind == "sent":
            self.counters.messages_sent += 1
        elif kind == "edited":
            self.counters.messages_edited += 1
        else:
            self.counters.messages_deleted += 1
        self.message_timeline.append(
            {
                "bot_id": conv.bot_id,
                "chat_id": conv.chat_id,
                "message_id": record.message_id,
                "action": kind,
                "method": method,
                "at": time.time(),
                "cursor": seq,
            }
        )
        self.notifier.notify()

    # ----------------------------------------------------------------- updates

    def push_update(
        self, bot: Bot, update_type: str, payload: JSONDict, chat_id: int | None
    ) -> UpdateRecord | None:
        """Queues an update unless the bot's allowed_updates exclude its type (then dropped)."""
        if update_type not in bot.allowed_updates:
            self.counters.updates_dropped += 1
            return None
        record = UpdateRecord(
            update_id=bot.next_update_id,
            bot_id=bot.id,
            type=update_type,
            payload=payload,
            created_at=time.time(),
            chat_id=chat_id,
        )
        bot.next_update_id += 1
        bot.updates.append(record)
        self.update_timeline.append(record)
        self.counters.updates_created += 1
        self.notifier.notify()
        return record

    def _confirm(self, bot: Bot, now: float) -> None:
        record = bot.updates.popleft()
        record.confirmed_at = now
        self.counters.updates_confirmed += 1

    def take_updates(self, bot: Bot, offset: int, limit: int) -> list[UpdateRecord]:
        """getUpdates queue semantics of the real server (tdlib TQueue), without delivery."""
        now = time.time()
        before = len(bot.updates)
        if offset < 0:
            while len(bot.updates) > -offset:
                self._confirm(bot, now)
        elif offset > 0:
            tail = bot.next_update_id
            if tail - 200_000 <= offset <= tail + 10:
                while bot.updates and bot.updates[0].update_id < offset:
                    self._confirm(bot, now)
        if len(bot.updates) != before:
            self.notifier.notify()
        result: list[UpdateRecord] = []
        for record in bot.updates:
            if len(result) >= limit:
                break
            result.append(record)
        return result

    @staticmethod
    def mark_delivered(records: list[UpdateRecord]) -> None:
        now = time.time()
        for record in records:
            record.deliveries += 1
            if record.delivered_at is None:
                record.delivered_at = now

    def pending_updates(self, bot_id: int | None = None) -> int:
        if bot_id is not None:
            bot = self.bots.get(bot_id)
            return len(bot.updates) if bot is not None else 0
        return sum(len(bot.updates) for bot in self.bots.values())
