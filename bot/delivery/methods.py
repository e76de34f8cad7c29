"""The Telegram methods the sender knows: one small entry each.

An outbox row names its method and carries the method's parameters as JSON (and a file's
bytes beside them). Adding a method is one function here, registered under its Bot API name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardMarkup, InputFile

from storage.records import OutboxRecord

Call = Callable[[Bot, OutboxRecord], Awaitable[object]]

METHODS: dict[str, Call] = {}

SEND_MESSAGE = "sendMessage"
EDIT_MESSAGE_TEXT = "editMessageText"
ANSWER_CALLBACK_QUERY = "answerCallbackQuery"
SEND_DOCUMENT = "sendDocument"
SEND_PHOTO = "sendPhoto"
SEND_VOICE = "sendVoice"
EDIT_MESSAGE_REPLY_MARKUP = "editMessageReplyMarkup"
SET_MY_COMMANDS = "setMyCommands"
DELETE_MY_COMMANDS = "deleteMyCommands"

#: Calls that change nothing when repeated (an edit to the same text, an answer): the sender
#: may repeat them when it cannot know whether they arrived. New messages are not among them.
IDEMPOTENT = frozenset(
    {
        EDIT_MESSAGE_TEXT,
        EDIT_MESSAGE_REPLY_MARKUP,
        ANSWER_CALLBACK_QUERY,
        SET_MY_COMMANDS,
        DELETE_MY_COMMANDS,
    }
)


def method(name: str) -> Callable[[Call], Call]:
    def register(call: Call) -> Call:
        METHODS[name] = call
        return call

    return register


def _markup(bot: Bot, p: dict[str, Any]) -> InlineKeyboardMarkup | None:
    raw = p.get("reply_markup")
    return InlineKeyboardMarkup.de_json(raw, bot) if raw else None


def _file(row: OutboxRecord) -> InputFile:
    p = row.payload
    # Rows queued before files had their own column carried a text in the payload.
    content = row.file_content if row.file_content is not None else p["content"].encode()
    return InputFile(content, filename=p["filename"])


@method(SEND_MESSAGE)
async def _send_message(bot: Bot, row: OutboxRecord) -> object:
    p = row.payload
    return await bot.send_message(
        row.chat_id, p["text"], parse_mode=p.get("parse_mode"), reply_markup=_markup(bot, p)
    )


@method(EDIT_MESSAGE_TEXT)
async def _edit_message_text(bot: Bot, row: OutboxRecord) -> object:
    p = row.payload
    return await bot.edit_message_text(
        p["text"],
        chat_id=row.chat_id,
        message_id=p["message_id"],
        parse_mode=p.get("parse_mode"),
        reply_markup=_markup(bot, p),
    )


@method(EDIT_MESSAGE_REPLY_MARKUP)
async def _edit_message_reply_markup(bot: Bot, row: OutboxRecord) -> object:
    """A superseded question loses its buttons (the text stays, so the chat still reads)."""
    p = row.payload
    return await bot.edit_message_reply_markup(
        chat_id=row.chat_id, message_id=p["message_id"], reply_markup=_markup(bot, p)
    )


@method(ANSWER_CALLBACK_QUERY)
async def _answer_callback_query(bot: Bot, row: OutboxRecord) -> object:
    p = row.payload
    return await bot.answer_callback_query(
        p["callback_query_id"], text=p.get("text"), show_alert=p.get("show_alert", False)
    )


@method(SEND_DOCUMENT)
async def _send_document(bot: Bot, row: OutboxRecord) -> object:
    p = row.payload
    return await bot.send_document(
        row.chat_id, _file(row), caption=p.get("caption"), parse_mode=p.get("parse_mode")
    )


@method(SEND_PHOTO)
async def _send_photo(bot: Bot, row: OutboxRecord) -> object:
    p = row.payload
    # A photo a resident sent is sent again by Telegram's file id; a chart by its bytes.
    photo: str | InputFile = p["file_id"] if "file_id" in p else _file(row)
    return await bot.send_photo(
        row.chat_id, photo, caption=p.get("caption"), parse_mode=p.get("parse_mode")
    )


@method(SEND_VOICE)
async def _send_voice(bot: Bot, row: OutboxRecord) -> object:
    """A resident's voice message, sent again to a member by Telegram's file id."""
    p = row.payload
    return await bot.send_voice(
        row.chat_id, p["file_id"], caption=p.get("caption"), parse_mode=p.get("parse_mode")
    )


@method(SET_MY_COMMANDS)
async def _set_my_commands(bot: Bot, row: OutboxRecord) -> object:
    """The command menu of one private chat (an admin's or a member's)."""
    p = row.payload
    commands = [BotCommand(c, d) for c, d in p["commands"]]
    return await bot.set_my_commands(
        commands, scope=BotCommandScopeChat(row.chat_id), language_code=p.get("language_code")
    )


@method(DELETE_MY_COMMANDS)
async def _delete_my_commands(bot: Bot, row: OutboxRecord) -> object:
    p = row.payload
    return await bot.delete_my_commands(
        scope=BotCommandScopeChat(row.chat_id), language_code=p.get("language_code")
    )
