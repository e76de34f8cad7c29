"""What simulated people do: write, edit, press buttons, block bots, join groups.

Each action creates the update(s) Telegram would send and returns a small JSON summary
with ``cursor`` (the state sequence number right after the action).

Routing: ``chat_id`` omitted means the user's private chat with the bot (``bot_id`` may be
omitted when exactly one bot is registered).  In groups every member bot gets its own copy
of the message (own message_id); bots in privacy mode (the default: not admin and
``can_read_all_group_messages`` false) only receive commands (``/cmd`` or
``/cmd@their_name``), mentions of their @username, replies to their messages and service
messages.  Unknown users are created on first use (name ``User<id>``, language
``zh-hans``).
"""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from .access import ADMIN_STATUSES, MEMBER_STATUSES
from .errors import ControlError
from .markup import inline_buttons
from .models import Bot, CallbackQueryRecord, Chat, Conversation, MessageRecord, User
from .state import EmulatorState
from .usercontent import build_content, caption_content, text_content

JSONDict = dict[str, Any]


def _user(state: EmulatorState, user_id: Any) -> User:
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise ControlError("user_id must be an integer")
    user = state.users.get(user_id)
    if user is None:
        return state.create_user(user_id)
    if user.is_bot:
        raise ControlError(f"{user_id} is a bot, not a user")
    return user


def _optional_int(spec: JSONDict, key: str) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ControlError(f"{key} must be an integer")
    return value


def member_json(state: EmulatorState, member_id: int, status: str, chat: Chat) -> JSONDict:
    data: JSONDict = {"user": state.users[member_id].to_json(), "status": status}
    if status == "administrator":
        data.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=True,
            can_restrict_members=True,
            can_promote_members=False,
            can_change_info=True,
            can_invite_users=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
        )
        if chat.type == "channel":
            data.update(can_post_messages=True, can_edit_messages=True)
        else:
            data["can_pin_messages"] = True
    elif status == "creator":
        data["is_anonymous"] = False
    elif status == "kicked":
        data["until_date"] = 0
    return data


def _bot_sees(bot: Bot, chat: Chat, payload: JSONDict, reply_to: MessageRecord | None) -> bool:
    """Group privacy mode, see the module docstring."""
    if chat.type == "channel" or bot.can_read_all_group_messages:
        return True
    if chat.members.get(bot.id) in ADMIN_STATUSES:
        return True
    if reply_to is not None and reply_to.outgoing:
        return True
    text = payload.get("text") or payload.get("caption") or ""
    entities = payload.get("entities") or payload.get("caption_entities") or []
    username = (bot.user.username or "").lower()
    for entity in entities:
        if entity["type"] == "bot_command" and entity["offset"] == 0:
            command = text.split()[0] if text.split() else ""
            return "@" not in command or command.split("@", 1)[1].lower() == username
    return bool(username) and f"@{username}" in text.lower()


def _targets(state: EmulatorState, user: User, spec: JSONDict) -> tuple[Chat | None, list[Bot]]:
    chat_id = _optional_int(spec, "chat_id")
    if chat_id is None or chat_id == user.id:
        return None, [state.resolve_bot(_optional_int(spec, "bot_id"))]
    chat = state.chat(chat_id)
    status = chat.members.get(user.id)
    allowed = ADMIN_STATUSES if chat.type == "channel" else MEMBER_STATUSES
    if status not in allowed:
        raise ControlError(f"user {user.id} cannot post in chat {chat_id} (status {status})")
    bots = [
        state.bots[member]
        for member, member_status in chat.members.items()
        if member in state.bots and member_status in MEMBER_STATUSES
    ]
    if not bots:
        raise ControlError(f"no bot is a member of chat {chat_id}: nothing would see the message")
    return chat, bots


def _private_conv(state: EmulatorState, bot: Bot, user: User) -> Conversation:
    conv = state.conversation(bot.id, user.id)
    if conv.blocked:
        raise ControlError(f"user {user.id} has blocked bot {bot.id}; unblock first", 409)
    return conv


def user_send(state: EmulatorState, spec: JSONDict) -> JSONDict:
    """A user sends a message (private chat by default); returns ids and the cursor."""
    user = _user(state, spec.get("user_id"))
    chat, bots = _targets(state, user, spec)
    kind, content, file_ids = build_content(state.files, spec)
    reply_id = _optional_int(spec, "reply_to_message_id")
    wanted_bot = _optional_int(spec, "bot_id")
    results: list[JSONDict] = []
    for bot in bots:
        conv = state.conversation(bot.id, chat.id) if chat else _private_conv(state, bot, user)
        reply_to = conv.messages.get(reply_id) if reply_id else None
        if reply_id and (reply_to is None or reply_to.deleted) and chat is None:
            raise ControlError(f"message {reply_id} to reply to not found")
        if chat is None:
            conv.started = True
        record = state.add_message(
            conv,
            outgoing=False,
            sender_id=user.id,
            kind=kind,
            content=copy.deepcopy(content),
            reply_to=reply_to,
            file_ids=file_ids,
        )
        update_id = None
        if chat is None or _bot_sees(bot, chat, record.payload, reply_to):
            update_type = "channel_post" if chat and chat.type == "channel" else "message"
            update = state.push_update(
                bot, update_type, copy.deepcopy(record.payload), conv.chat_id
            )
            update_id = update.update_id if update else None
        results.append({"bot_id": bot.id, "message_id": record.message_id, "update_id": update_id})
    chosen = next((r for r in results if r["bot_id"] == wanted_bot), results[0] if results else {})
    return {
        "chat_id": chat.id if chat else user.id,
        "message_id": chosen.get("message_id"),
        "update_id": chosen.get("update_id"),
        "bot_id": chosen.get("bot_id"),
        "deliveries": results,
        "cursor": state.seq,
    }


def user_edit(state: EmulatorState, spec: JSONDict) -> JSONDict:
    """A user edits their earlier text (``text``) or media caption (``caption``)."""
    user = _user(state, spec.get("user_id"))
    chat, bots = _targets(state, user, spec)
    bot = bots[0] if chat is None else state.resolve_bot(_optional_int(spec, "bot_id"))
    conv = state.conversations.get((bot.id, chat.id if chat else user.id))
    message_id = _optional_int(spec, "message_id")
    record = conv.messages.get(message_id) if conv and message_id else None
    if conv is None or record is None or record.deleted or record.sender_id != user.id:
        raise ControlError(f"user {user.id} has no message {message_id} in that chat")
    if record.kind == "text":
        changes = text_content(spec.get("text", ""), spec.get("entities"))
    else:
        caption = spec.get("caption")
        if not isinstance(caption, str):
            raise ControlError("edit a media message with a caption string")
        changes = caption_content(caption)
    keys = ("text", "entities", "caption", "caption_entities")
    snapshot = {key: record.payload.pop(key) for key in keys if key in record.payload}
    record.edits.append({"replaced_at": time.time(), **snapshot})
    record.payload.update(changes)
    record.payload["edit_date"] = int(time.time())
    record.updated_seq = state.next_seq()
    conv.last_user_seq = record.updated_seq
    update_type = "edited_channel_post" if chat and chat.type == "channel" else "edited_message"
    update = None
    replied = record.payload.get("reply_to_message", {}).get("message_id")
    if chat is None or _bot_sees(bot, chat, record.payload, conv.messages.get(replied or 0)):
        update = state.push_update(bot, update_type, copy.deepcopy(record.payload), conv.chat_id)
    state.notifier.notify()
    return {
        "chat_id": conv.chat_id,
        "message_id": record.message_id,
        "update_id": update.update_id if update else None,
        "bot_id": bot.id,
        "cursor": state.seq,
    }


def user_press(state: EmulatorState, spec: JSONDict, *, forged: bool = False) -> JSONDict:
    """A user presses an inline button (by ``callback_data`` or ``button_text``), or with
    ``forged`` sends arbitrary ``data`` as a modified client could."""
    user = _user(state, spec.get("user_id"))
    chat, bots = _targets(state, user, spec)
    bot = bots[0] if chat is None else state.resolve_bot(_optional_int(spec, "bot_id"))
    conv = _private_conv(state, bot, user) if chat is None else state.conversation(bot.id, chat.id)
    message_id = _optional_int(spec, "message_id")
    record = conv.messages.get(message_id) if message_id else None
    if record is not None and record.deleted:
        record = None
    extra: JSONDict = {}
    if forged:
        data = spec.get("data")
        if not isinstance(data, str):
            raise ControlError("a forged press needs a data string")
        if record is not None:
            extra["message"] = copy.deepcopy(record.payload)
        elif message_id:
            chat_json = state.chat_json(conv.chat_id)
            extra["message"] = {"chat": chat_json, "message_id": message_id, "date": 0}
        else:
            extra["inline_message_id"] = secrets.token_urlsafe(18)
    else:
        if record is None or not record.outgoing:
            raise ControlError(f"bot message {message_id} not found in chat {conv.chat_id}")
        data = _find_button_data(record, spec)
        extra["message"] = copy.deepcopy(record.payload)
    query_id = str(state.rng.getrandbits(63))
    payload: JSONDict = {"id": query_id, "from": user.to_json(), **extra}
    payload["chat_instance"] = conv.chat_instance
    payload["data"] = data
    seq = state.next_seq()
    conv.last_user_seq = seq
    bot.callbacks[query_id] = CallbackQueryRecord(
        query_id, bot.id, user.id, conv.chat_id, message_id, data, time.time(), seq
    )
    state.counters.callback_queries += 1
    update = state.push_update(bot, "callback_query", payload, conv.chat_id)
    return {
        "callback_query_id": query_id,
        "update_id": update.update_id if update else None,
        "chat_id": conv.chat_id,
        "message_id": message_id,
        "bot_id": bot.id,
        "data": data,
        "cursor": state.seq,
    }


def _find_button_data(record: MessageRecord, spec: JSONDict) -> str:
    buttons = inline_buttons(record.payload.get("reply_markup"))
    wanted_data, wanted_text = spec.get("callback_data"), spec.get("button_text")
    if (wanted_data is None) == (wanted_text is None):
        raise ControlError("give exactly one of callback_data or button_text")
    for button in buttons:
        if (wanted_data is not None and button.get("callback_data") == wanted_data) or (
            wanted_text is not None and button.get("text") == wanted_text
        ):
            if "callback_data" not in button:
                raise ControlError(f"button {button.get('text')!r} is not a callback button")
            data: str = button["callback_data"]
            return data
    described = [(b.get("text"), b.get("callback_data")) for b in buttons]
    raise ControlError(
        f"no button {wanted_text or wanted_data!r} on message {record.message_id}; "
        f"buttons (text, callback_data): {described}"
    )


def raw_update(state: EmulatorState, spec: JSONDict) -> JSONDict:
    """Queue an update exactly as given: what a Bot API server of another version, or a
    buggy one, might send. Only ``update_id`` is the emulator's; nothing is validated."""
    update_type = spec.get("type")
    payload = spec.get("payload")
    if not isinstance(update_type, str) or not update_type:
        raise ControlError("type: the update's field name, e.g. 'message'")
    if payload is None:
        raise ControlError("payload: the update's object")
    bot = state.resolve_bot(_optional_int(spec, "bot_id"))
    # allowed_updates still applies, as on the real server.
    record = state.push_update(bot, update_type, payload, _optional_int(spec, "chat_id"))
    return {
        "update_id": record.update_id if record is not None else None,
        "cursor": state.seq,
    }


def set_blocked(state: EmulatorState, spec: JSONDict, blocked: bool) -> JSONDict:
    """User blocks / unblocks the bot: ``my_chat_member`` member <-> kicked."""
    user = _user(state, spec.get("user_id"))
    bot = state.resolve_bot(_optional_int(spec, "bot_id"))
    conv = state.conversation(bot.id, user.id)
    update = None
    if conv.blocked != blocked:
        conv.blocked = blocked
        if not blocked:
            conv.started = True
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        bot_member = {"user": bot.user.to_json()}
        payload = {
            "chat": user.private_chat_json(),
            "from": user.to_json(),
            "date": int(time.time()),
            "old_chat_member": {**bot_member, "status": old, **_until(old)},
            "new_chat_member": {**bot_member, "status": new, **_until(new)},
        }
        conv.last_user_seq = state.next_seq()
        update = state.push_update(bot, "my_chat_member", payload, user.id)
        state.notifier.notify()
    return {
        "bot_id": bot.id,
        "chat_id": user.id,
        "blocked": blocked,
        "update_id": update.update_id if update else None,
        "cursor": state.seq,
    }


def _until(status: str) -> JSONDict:
    return {"until_date": 0} if status == "kicked" else {}
