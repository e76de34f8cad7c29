"""Resolving ``chat_id`` for a bot with the real server's access errors."""

from __future__ import annotations

from .errors import bad_request, forbidden
from .models import Bot, Conversation
from .params import to_integer
from .state import EmulatorState

MEMBER_STATUSES = ("creator", "administrator", "member", "restricted")
ADMIN_STATUSES = ("creator", "administrator")


def parse_chat_id(state: EmulatorState, raw: str) -> int:
    if raw == "":
        raise bad_request("chat_id is empty")
    if raw.startswith("@"):
        found = state.find_username(raw)
        if found is None or found > 0:
            raise bad_request("chat not found")
        return found
    return to_integer(raw)


def chat_for_bot(state: EmulatorState, bot: Bot, raw: str, *, write: bool) -> Conversation:
    """The bot's conversation with the chat, or the 400/403 the Bot API would answer.

    ``write`` is the server's Write/Edit access (sending, editing, deleting, chat actions);
    without it only read access (getChat) is checked."""
    chat_id = parse_chat_id(state, raw)
    if chat_id > 0:
        user = state.users.get(chat_id)
        if user is None:
            raise bad_request("chat not found")
        if user.is_bot:
            if not write:
                raise bad_request("chat not found")
            raise forbidden("bot can't send messages to bots")
        conv = state.conversations.get((bot.id, chat_id))
        if conv is None or not conv.started:
            if write:
                raise forbidden("bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        if write and conv.blocked:
            raise forbidden("bot was blocked by the user")
        return conv
    chat = state.chats.get(chat_id)
    if chat is None:
        raise bad_request("chat not found")
    kind = chat.type
    status = chat.members.get(bot.id, "left")
    if status == "kicked":
        raise forbidden(f"bot was kicked from the {kind} chat")
    if status not in MEMBER_STATUSES:
        raise forbidden(f"bot is not a member of the {kind} chat")
    if write and kind == "channel" and status not in ADMIN_STATUSES:
        raise bad_request("need administrator rights in the channel chat")
    return state.conversation(bot.id, chat_id)
