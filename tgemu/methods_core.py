"""Bot API methods that do not create messages: identity, updates, webhook, commands,
chats, files, chat actions and callback answers.

Not emulated from the real server: getUpdates' throttling of rapid repeated calls with the
same offset (it forces ``timeout >= 3`` / ``limit = 1``), ``close`` being refused during the
first 10 minutes, and webhook delivery (setWebhook only stores the settings).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from .access import chat_for_bot, parse_chat_id
from .errors import (
    GET_UPDATES_CONFLICT,
    QUERY_TOO_OLD,
    WEBHOOK_ACTIVE_CONFLICT,
    ApiError,
    bad_request,
    conflict,
    too_many_requests,
)
from .files import MAX_DOWNLOAD_SIZE
from .methods_common import CallContext, Described, Handler
from .models import ALL_UPDATE_TYPES, DEFAULT_ALLOWED_UPDATES, Bot, LongPoll, Webhook
from .state import EmulatorState

JSONDict = dict[str, Any]

CHAT_ACTIONS = {
    "cancel",
    "typing",
    "record_video",
    "upload_video",
    "record_audio",
    "record_voice",
    "upload_audio",
    "upload_voice",
    "upload_photo",
    "upload_document",
    "choose_sticker",
    "pick_up_location",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


async def get_me(ctx: CallContext) -> JSONDict:
    return ctx.bot.get_me_json()


def update_allowed_updates(bot: Bot, raw: str) -> None:
    """The server's ``get_allowed_update_types``: junk keeps the previous setting."""
    if not raw:
        return
    try:
        value = json.loads(raw)
    except ValueError:
        return
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return
    wanted = frozenset(item.lower() for item in value) & frozenset(ALL_UPDATE_TYPES)
    bot.allowed_updates = wanted or DEFAULT_ALLOWED_UPDATES


async def fail_conflict(state: EmulatorState, bot: Bot, error: ApiError) -> ApiError:
    """Like ``fail_query_conflict``: a second 409 within 3 s is answered only after 3 s."""
    now = time.monotonic()
    if now < bot.next_conflict_at:
        await asyncio.sleep(state.config.conflict_delay)
    else:
        bot.next_conflict_at = now + state.config.conflict_delay
    return error


def abort_long_poll(state: EmulatorState, bot: Bot, error: ApiError) -> None:
    if bot.long_poll is not None and bot.long_poll.aborted is None:
        bot.long_poll.aborted = error
        bot.long_poll = None
        state.notifier.notify()


async def get_updates(ctx: CallContext) -> list[JSONDict]:
    state, bot, params = ctx.state, ctx.bot, ctx.params
    if bot.webhook is not None:
        raise await fail_conflict(state, bot, conflict(WEBHOOK_ACTIVE_CONFLICT))
    offset = params.get_int("offset", 0)
    limit = params.get_int("limit", 100, 1, 100)
    timeout = params.get_int("timeout", 0, 0, state.config.max_long_poll_timeout)
    update_allowed_updates(bot, params.get("allowed_updates"))
    records = state.take_updates(bot, offset, limit)
    if not records and timeout > 0:
        abort_long_poll(state, bot, conflict(GET_UPDATES_CONFLICT))
        poll = LongPoll()
        bot.long_poll = poll
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while not records:
                remaining = deadline - loop.time()
                if remaining <= 0 or state.notifier.closed:
                    break
                await state.notifier.wait(remaining)
                if poll.aborted is not None:
                    if poll.aborted.code == 409:
                        raise await fail_conflict(state, bot, poll.aborted)
                    raise poll.aborted
                records = state.take_updates(bot, offset, limit)
        finally:
            if bot.long_poll is poll:
                bot.long_poll = None
    state.mark_delivered(records)
    return [record.to_json() for record in records]


def _drop_pending(state: EmulatorState, bot: Bot) -> None:
    state.take_updates(bot, bot.next_update_id, 1)


async def set_webhook(ctx: CallContext) -> Described:
    state, bot, params = ctx.state, ctx.bot, ctx.params
    url = params.get("url") if ctx.method == "setWebhook" else ""
    drop = params.get_bool("drop_pending_updates")
    now = time.monotonic()
    if url:
        if now < bot.next_set_webhook_at:
            raise too_many_requests(1)
        bot.next_set_webhook_at = now + 1
    if not url:
        if bot.webhook is None:
            if drop:
                _drop_pending(state, bot)
            return Described(True, "Webhook is already deleted")
        bot.webhook = None
        if drop:
            _drop_pending(state, bot)
        return Described(True, "Webhook was deleted")
    match = re.match(r"^([A-Za-z]+)://([^/:?#\s]+)(?::(\d+))?([/?#]\S*)?$", url)
    if not match:
        raise bad_request("invalid webhook URL specified")
    if match.group(1).lower() != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if match.group(3) and int(match.group(3)) not in (80, 88, 443, 8443):
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    secret = params.get("secret_token")
    if len(secret) > 256:
        raise bad_request("secret token is too long")
    if secret and not re.fullmatch(r"[A-Za-z0-9_-]+", secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = params.get_int("max_connections", 40, 1, 100)
    current = bot.webhook
    update_allowed_updates(bot, params.get("allowed_updates"))
    if (
        current is not None
        and not drop
        and (current.url, current.secret_token, current.max_connections)
        == (url, secret, max_connections)
    ):
        return Described(True, "Webhook is already set")
    abort_long_poll(state, bot, conflict("terminated by setWebhook request"))
    if drop:
        _drop_pending(state, bot)
    bot.webhook = Webhook(
        url=url,
        max_connections=max_connections,
        ip_address=params.get("ip_address"),
        secret_token=secret,
        has_custom_certificate=params.file("certificate") is not None,
        set_at=time.time(),
    )
    return Described(True, "Webhook was set")


async def get_webhook_info(ctx: CallContext) -> JSONDict:
    bot = ctx.bot
    info: JSONDict = {
        "url": bot.webhook.url if bot.webhook else "",
        "has_custom_certificate": bool(bot.webhook and bot.webhook.has_custom_certificate),
        "pending_update_count": len(bot.updates),
    }
    if bot.webhook is not None:
        info["max_connections"] = bot.webhook.max_connections
        if bot.webhook.ip_address:
            info["ip_address"] = bot.webhook.ip_address
    if bot.allowed_updates != DEFAULT_ALLOWED_UPDATES:
        info["allowed_updates"] = [t for t in ALL_UPDATE_TYPES if t in bot.allowed_updates]
    return info


async def log_out(ctx: CallContext) -> bool:
    ctx.bot.logged_out = True
    abort_long_poll(ctx.state, ctx.bot, ApiError(401, "Unauthorized"))
    return True


async def close(ctx: CallContext) -> bool:
    abort_long_poll(ctx.state, ctx.bot, ApiError(500, "Internal Server Error: restart"))
    return True


def _scope_key(ctx: CallContext) -> str:
    raw = ctx.params.get("scope")
    if not raw:
        return json.dumps({"type": "default"})
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise bad_request("can't parse BotCommandScope JSON object") from exc
    prefix = "can't parse BotCommandScope: "
    if not isinstance(value, dict):
        raise bad_request(prefix + "BotCommandScope must be an Object")
    kind = value.get("type")
    if not isinstance(kind, str):
        raise bad_request(prefix + 'Can\'t find field "type"')
    if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
        return json.dumps({"type": kind})
    if kind not in ("chat", "chat_administrators", "chat_member"):
        raise bad_request(prefix + "Unsupported type specified")
    raw_chat = value.get("chat_id")
    if raw_chat is None:
        raise bad_request(prefix + 'Can\'t find field "chat_id"')
    chat_id = parse_chat_id(ctx.state, str(raw_chat))
    chat_for_bot(ctx.state, ctx.bot, str(chat_id), write=False)
    key: JSONDict = {"type": kind, "chat_id": chat_id}
    if kind == "chat_member":
        user_id = value.get("user_id")
        if not isinstance(user_id, int) or user_id <= 0:
            raise bad_request(prefix + "Invalid user_id specified")
        key["user_id"] = user_id
    return json.dumps(key)


def _language(ctx: CallContext) -> str:
    code = ctx.params.get("language_code")
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise bad_request("invalid language code specified")
    return code


def _parse_commands(raw: str) -> list[JSONDict]:
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise bad_request("can't parse commands JSON object") from exc
    if not isinstance(value, list):
        raise bad_request("expected an Array of BotCommand")
    commands: list[JSONDict] = []
    for item in value:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: expected an Object")
        for name in ("command", "description"):
            if name not in item:
                raise bad_request(f"can't parse BotCommand: Can't find field \"{name}\"")
            if not isinstance(item[name], str):
                raise bad_request(f'can\'t parse BotCommand: Field "{name}" must be of type String')
        command, description = item["command"], item["description"].strip()
        if not _COMMAND_RE.match(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        commands.append({"command": command, "description": description})
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    return commands


async def set_my_commands(ctx: CallContext) -> bool:
    commands = _parse_commands(ctx.params.get("commands"))
    key = (_scope_key(ctx), _language(ctx))
    if commands:
        ctx.bot.commands[key] = commands
    else:
        ctx.bot.commands.pop(key, None)
    return True


async def get_my_commands(ctx: CallContext) -> list[JSONDict]:
    return list(ctx.bot.commands.get((_scope_key(ctx), _language(ctx)), []))


async def delete_my_commands(ctx: CallContext) -> bool:
    ctx.bot.commands.pop((_scope_key(ctx), _language(ctx)), None)
    return True


async def get_chat(ctx: CallContext) -> JSONDict:
    conv = chat_for_bot(ctx.state, ctx.bot, ctx.params.get("chat_id"), write=False)
    info = ctx.state.chat_json(conv.chat_id)
    info.update(
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    )
    return info


async def get_file(ctx: CallContext) -> JSONDict:
    file_id = ctx.params.get("file_id").strip()
    if not file_id:
        raise bad_request("file_id not specified")
    stored = ctx.state.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.file_size > MAX_DOWNLOAD_SIZE:
        raise bad_request("file is too big")
    path = ctx.state.files.assign_path(stored)
    return {**stored.base_json(), "file_path": path}


async def send_chat_action(ctx: CallContext) -> bool:
    if ctx.params.get("action").lower() not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat_for_bot(ctx.state, ctx.bot, ctx.params.get("chat_id"), write=True)
    return True


async def answer_callback_query(ctx: CallContext) -> bool:
    state, params = ctx.state, ctx.params
    record = ctx.bot.callbacks.get(params.get("callback_query_id").strip())
    too_old = record is not None and (
        time.time() - record.created_at > state.config.callback_query_timeout
    )
    if record is None or record.answered or too_old:
        raise bad_request(QUERY_TOO_OLD)
    text = params.get("text")
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    url = params.get("url")
    if url and not re.match(r"^(https?://)?t\.me/", url):
        raise bad_request("URL_INVALID")
    record.answered = True
    record.answered_at = time.time()
    record.answered_seq = state.next_seq()
    record.answer = {
        "text": text,
        "show_alert": params.get_bool("show_alert"),
        "url": url,
        "cache_time": params.get_int("cache_time", 0, 0, 2_592_000),
    }
    state.counters.callback_answers += 1
    state.notifier.notify()
    return True


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": set_webhook,
    "getWebhookInfo": get_webhook_info,
    "logOut": log_out,
    "close": close,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "getChat": get_chat,
    "getFile": get_file,
    "sendChatAction": send_chat_action,
    "answerCallbackQuery": answer_callback_query,
}
