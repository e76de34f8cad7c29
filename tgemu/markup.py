"""``reply_markup`` validation, following the Bot API server's ``get_reply_markup``.

Returns a :class:`Markup`: ``inline`` is the InlineKeyboardMarkup as Telegram echoes it in
``Message.reply_markup``; ``keyboard`` is a ReplyKeyboardMarkup / ReplyKeyboardRemove /
ForceReply (never echoed in messages, but kept so tests can see what the user is shown).

Emulator-only strictness (documented): an inline button must carry exactly one action field
and non-empty text (``BUTTON_TEXT_INVALID``); the real server silently uses the first field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request

JSONDict = dict[str, Any]

_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_KEYBOARD_BUTTON_FIELDS = (
    "text",
    "request_users",
    "request_user",
    "request_chat",
    "request_contact",
    "request_location",
    "request_poll",
    "web_app",
)
MAX_BUTTONS = 100
MAX_CALLBACK_DATA_BYTES = 64


@dataclass(frozen=True)
class Markup:
    inline: JSONDict | None = None
    keyboard: JSONDict | None = None


def _field_type_error(name: str, kind: str) -> ApiError:
    return bad_request(f'field "{name}" must be of type {kind}')


def _optional_bool(obj: JSONDict, name: str) -> bool:
    value = obj.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _field_type_error(name, "Boolean")
    return value


def _optional_string(obj: JSONDict, name: str) -> str:
    value = obj.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _field_type_error(name, "String")
    return value


def parse_reply_markup(raw: str) -> Markup:
    if not raw:
        return Markup()
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise bad_request("can't parse reply keyboard markup JSON object") from exc
    if not isinstance(value, dict):
        raise bad_request("object expected as reply markup")
    keyboard = _parse_keyboard(value)
    inline = _parse_inline_keyboard(value)
    is_personal = _optional_bool(value, "selective") or _optional_bool(value, "personal_keyboard")
    placeholder = _optional_string(value, "input_field_placeholder")
    if keyboard:
        result: JSONDict = {"keyboard": keyboard}
        for flag in ("is_persistent", "resize_keyboard", "one_time_keyboard"):
            if _optional_bool(value, flag):
                result[flag] = True
        if placeholder:
            result["input_field_placeholder"] = placeholder
        if is_personal:
            result["selective"] = True
        return Markup(keyboard=result)
    if inline:
        return Markup(inline={"inline_keyboard": inline})
    if _optional_bool(value, "remove_keyboard") or _optional_bool(value, "hide_keyboard"):
        removed: JSONDict = {"remove_keyboard": True}
        if is_personal:
            removed["selective"] = True
        return Markup(keyboard=removed)
    if _optional_bool(value, "force_reply") or _optional_bool(value, "force_reply_keyboard"):
        forced: JSONDict = {"force_reply": True}
        if placeholder:
            forced["input_field_placeholder"] = placeholder
        if is_personal:
            forced["selective"] = True
        return Markup(keyboard=forced)
    return Markup()


def _parse_keyboard(value: JSONDict) -> list[list[JSONDict]]:
    rows = value.get("keyboard")
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise _field_type_error("keyboard", "Array")
    result: list[list[JSONDict]] = []
    for row in rows:
        if not isinstance(row, list):
            raise bad_request('field "keyboard" must be an Array of Arrays')
        new_row: list[JSONDict] = []
        for button in row:
            if isinstance(button, str):
                new_row.append({"text": button})
                continue
            if not isinstance(button, dict):
                raise bad_request(
                    "can't parse keyboard button: KeyboardButton must be a String or an Object"
                )
            text = button.get("text")
            if text is None:
                raise bad_request("can't parse keyboard button: Can't find field \"text\"")
            if not isinstance(text, str):
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )
            new_row.append({k: v for k, v in button.items() if k in _KEYBOARD_BUTTON_FIELDS})
        result.append(new_row)
    return result


def _parse_inline_keyboard(value: JSONDict) -> list[list[JSONDict]]:
    rows = value.get("inline_keyboard")
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise _field_type_error("inline_keyboard", "Array")
    result: list[list[JSONDict]] = []
    total = 0
    for row in rows:
        if not isinstance(row, list):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        new_row = [_parse_inline_button(button) for button in row]
        total += len(new_row)
        result.append(new_row)
    if total > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return result


def _parse_inline_button(button: Any) -> JSONDict:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton must be an Object")
    text = button.get("text")
    if text is None:
        raise bad_request(prefix + 'Can\'t find field "text"')
    if not isinstance(text, str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    present = []
    for name in _INLINE_ACTIONS:
        field_value = button.get(name)
        if field_value is None:
            continue
        if name in ("url", "callback_data"):
            if not isinstance(field_value, str):
                raise bad_request(prefix + f'Field "{name}" must be of type String')
            if not field_value:
                continue  # the server treats empty url / callback_data as absent
        present.append(name)
    if not present:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(present) > 1:
        raise bad_request(
            prefix + "exactly one of the optional fields must be used, found " + ", ".join(present)
        )
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    action = present[0]
    if action == "callback_data":
        data: str = button["callback_data"]
        if len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    elif action == "url":
        url: str = button["url"]
        if not _valid_button_url(url):
            raise bad_request("BUTTON_URL_INVALID")
    return {"text": text, action: button[action]}


def _valid_button_url(url: str) -> bool:
    lowered = url.lower()
    if lowered.startswith(("tg://", "https://t.me/", "http://t.me/", "t.me/")):
        return True
    if not lowered.startswith(("http://", "https://")):
        return "." in url.split("/", 1)[0] and " " not in url
    host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
    return bool(host) and " " not in url and ("." in host or host.startswith("localhost"))


def inline_buttons(markup: JSONDict | None) -> list[JSONDict]:
    if not markup:
        return []
    return [button for row in markup.get("inline_keyboard", []) for button in row]
