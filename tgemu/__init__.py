"""Local Telegram Bot API emulator: real HTTP on 127.0.0.1, Telegram's JSON and errors.

Quick start (tests)::

    from tgemu import EmulatorClient, EmulatorServer, make_token

    with EmulatorServer() as emu:                      # background thread, free port
        token = make_token(7000000001)
        app = (ApplicationBuilder().token(token)
               .base_url(emu.api_base_url).base_file_url(emu.file_base_url).build())
        ...
        async with EmulatorClient(emu.url) as c:
            await c.register_bot(token)                # optional: first Bot API call does it
            sent = await c.start(1001)                 # user 1001 sends /start
            msg = await c.wait_for_bot_message(1001)   # the bot's reply (ChatMessage)
            await c.press_button(1001, "同意")           # press a callback button by text

Bot API (``/bot<token>/<method>``, GET or POST; query, form, JSON or multipart): getMe,
getUpdates, setWebhook, deleteWebhook, getWebhookInfo, logOut, close, setMyCommands,
getMyCommands, deleteMyCommands, getChat, getFile, sendChatAction, answerCallbackQuery,
sendMessage, sendPhoto, sendDocument, sendVoice, sendLocation, sendContact, editMessageText,
editMessageCaption, editMessageReplyMarkup, deleteMessage.  Files: ``/file/bot<token>/<path>``.
Any token matching ``^\\d+:[A-Za-z0-9_-]{20,}$`` is accepted (bot id = number before ``:``).

Strictness (see the module docstrings for details): tdlib's HTML parser with its error
messages, UTF-16 length limits (4096 text / 1024 caption), reply_markup validation
(``BUTTON_DATA_INVALID`` above 64 UTF-8 bytes), chat access errors (``chat not found``,
``bot can't initiate conversation with a user``, ``bot was blocked by the user``), getUpdates
offset/409 semantics, callback query expiry, flood limits (ratelimit.py).  Emulator-only
strictness: a bare ``&`` in HTML text is rejected (config ``strict_html_ampersand``), inline
buttons need exactly one action.  ``parse_mode`` Markdown/MarkdownV2 is rejected as
unsupported.

Control API (JSON, prefix ``/_emu``; wrapped by :class:`EmulatorClient`):

=========================================  ==================================================
GET  /health                               bots count, cursor
POST /reset {config?, bots?}               forget users/chats/messages/stats/faults
GET|POST /config                           rate_limit_enforced, callback_query_timeout, ...
GET|POST /bots {token, first_name, ...}    register / list bots
POST /users {id?, first_name, ...}         create or update a user
GET  /users/{id}
POST /chats {type, title, member_ids, admin_ids, creator_id, username}
GET  /chats/{id}
POST /chats/{id}/members {user_id, status, by_user_id}
GET  /chats/{id}/messages?bot_id&include_deleted     history as the user sees it
POST /messages {user_id, chat_id?, bot_id?, text|photo|document|..., caption?, reply_to_message_id?}
POST /edits {user_id, message_id, text|caption, chat_id?, bot_id?}
POST /press {user_id, message_id, callback_data|button_text, chat_id?, bot_id?}
POST /press_raw {user_id, data, message_id?, chat_id?, bot_id?}
POST /raw_updates {type, payload, chat_id?, bot_id?}  an update exactly as given
POST /block, /unblock {user_id, bot_id?}   my_chat_member member <-> kicked
GET  /callback_queries?bot_id&user_id      callback queries with their answers
GET  /wait/bot_message?chat_id&after&timeout&include_edits&include_deletes&bot_id
GET  /wait/callback_answer?query_id&timeout
GET  /wait/confirmed?bot_id&timeout        all updates confirmed via getUpdates offset
GET  /wait/idle?timeout&quiet&bot_id       nothing pending / running for ``quiet`` s
GET  /cursor, /stats, /timeline, /updates?bot_id
GET|POST|DELETE /faults {method, count, chat_id, error_code, description, retry_after, delay}
GET  /files/{file_id}                      raw bytes of any stored file
=========================================  ==================================================

A phone-chat page over the control API, to try a bot by hand: :mod:`tgemu.web`.

Cursor: every user action and every bot-visible change bumps one global sequence number;
actions return it (``Sent.cursor``) and waits take ``after=cursor``.  Without ``after``,
waits look for bot activity after the latest user action in that chat.
"""

from .app import create_app
from .client import EmulatorClient
from .client_types import (
    Action,
    BotActivity,
    Button,
    CallbackAnswer,
    ChatMessage,
    EmuBot,
    EmuChat,
    EmulatorError,
    EmulatorTimeout,
    EmuUser,
    FaultInfo,
    FileRef,
    Pressed,
    Sent,
    Stats,
    Timeline,
)
from .errors import ApiError
from .server import EmulatorServer, serve
from .state import EmulatorState
from .support import EmulatorConfig, make_token

__all__ = [
    "Action",
    "ApiError",
    "BotActivity",
    "Button",
    "CallbackAnswer",
    "ChatMessage",
    "EmuBot",
    "EmuChat",
    "EmuUser",
    "EmulatorClient",
    "EmulatorConfig",
    "EmulatorError",
    "EmulatorServer",
    "EmulatorState",
    "EmulatorTimeout",
    "FaultInfo",
    "FileRef",
    "Pressed",
    "Sent",
    "Stats",
    "Timeline",
    "create_app",
    "make_token",
    "serve",
]
