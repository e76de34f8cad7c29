"""Message text handling shared by bot sends and simulated users.

* :func:`format_text` turns ``text`` + ``parse_mode`` / ``entities`` into Telegram's stored
  form (plain text + entities), raising the same 400 errors as the Bot API.
* :func:`detect_entities` finds ``bot_command``, ``mention``, ``hashtag``, ``url`` and
  ``email`` entities the way Telegram does server-side (a simplified version of tdlib's
  finders), for user messages and for bot messages without explicit entities there.

``parse_mode=Markdown`` / ``MarkdownV2`` are rejected with
``Bad Request: the emulator supports only parse_mode HTML`` (documented limitation).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .entities import Entity, sort_entities, utf16_len
from .errors import ApiError, bad_request
from .htmltext import HtmlParseError, parse_html

JSONDict = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_WHITESPACE = " \t\r\n\x0b\x0c"
_PLAIN_TYPES = {
    "bold",
    "italic",
    "underline",
    "strikethrough",
    "spoiler",
    "code",
    "blockquote",
    "expandable_blockquote",
}
_AUTO_TYPES = {
    "mention",
    "hashtag",
    "cashtag",
    "bot_command",
    "url",
    "email",
    "phone_number",
    "bank_card_number",
}
_NO_AUTO_INSIDE = {"code", "pre", "text_link", "text_mention", "custom_emoji", "date_time"}
_TLDS = (
    "com|org|net|cn|ru|io|me|info|biz|gov|edu|app|dev|co|uk|de|fr|jp|hk|tw|us|xyz|site|"
    "online|top|tech|ai|ly|gg|tv|cc|int|mil|name|pro|mobi|asia|link|live|news|shop|store"
)
_URL_RE = re.compile(
    r"(?<![\w@./-])(?:(?:https?|tg)://[^\s<>\"]+|(?:www\.)?(?:[A-Za-z0-9-]+\.)+(?:"
    + _TLDS
    + r")(?::\d{1,5})?(?:/[^\s<>\"]*)?)(?![\w-])",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])")
_COMMAND_RE = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?![\w@])")
_HASHTAG_RE = re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")


def _offset_map(text: str) -> Callable[[int], int]:
    """Maps a Python string index to a UTF-16 offset in O(1) after O(n) setup."""
    if all(ord(ch) <= 0xFFFF for ch in text):
        return lambda index: index
    table = [0]
    for ch in text:
        table.append(table[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return lambda index: table[index]


def detect_entities(text: str, existing: list[Entity] | None = None) -> list[Entity]:
    """Finds automatic entities that do not collide with ``existing`` code/pre/link ones."""
    to16 = _offset_map(text)
    blocked = [(e.offset, e.offset + e.length) for e in existing or [] if e.type in _NO_AUTO_INSIDE]
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        begin16, end16 = to16(start), to16(end)
        for lo, hi in blocked + taken:
            if begin16 < hi and lo < end16:
                return
        taken.append((begin16, end16))
        found.append(Entity(kind, begin16, end16 - begin16))

    for match in _EMAIL_RE.finditer(text):
        add("email", match.start(), match.end())
    for match in _URL_RE.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in ".,;:!?)]}'":
            end -= 1
        add("url", match.start(), end)
    for match in _COMMAND_RE.finditer(text):
        add("bot_command", match.start(), match.end())
    for match in _MENTION_RE.finditer(text):
        add("mention", match.start(), match.end())
    for match in _HASHTAG_RE.finditer(text):
        add("hashtag", match.start(), match.end())
    return found


def _entities_from_json(raw: str, user_lookup: Callable[[int], JSONDict | None]) -> list[Entity]:
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return []  # the Bot API silently ignores unparsable entities
    if not isinstance(value, list):
        return []
    result: list[Entity] = []
    for item in value:
        entity = _entity_from_json(item, user_lookup)
        if entity is not None:
            result.append(entity)
    return result


def _entity_from_json(item: Any, user_lookup: Callable[[int], JSONDict | None]) -> Entity | None:
    def fail(message: str) -> ApiError:
        return bad_request(f"can't parse MessageEntity: {message}")

    if not isinstance(item, dict):
        raise fail("expected an Object")
    numbers: dict[str, int] = {}
    for name in ("offset", "length"):
        value = item.get(name)
        if value is None:
            raise fail(f'Can\'t find field "{name}"')
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            value = int(value)  # tdlib accepts numbers passed as strings
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(f'Field "{name}" must be of type Number')
        numbers[name] = value
    kind = item.get("type")
    if not isinstance(kind, str):
        raise fail('Can\'t find field "type"' if kind is None else 'Field "type" must be a String')
    if not kind:
        raise fail("Type is not specified")
    offset, length = numbers["offset"], numbers["length"]
    if kind in _AUTO_TYPES:
        return None
    if kind in _PLAIN_TYPES:
        return Entity(kind, offset, length)
    if kind == "pre":
        language = item.get("language") or ""
        return Entity("pre", offset, length, {"language": language} if language else {})
    if kind == "text_link":
        url = item.get("url")
        if not isinstance(url, str):
            raise fail('Can\'t find field "url"')
        return Entity("text_link", offset, length, {"url": url})
    if kind == "text_mention":
        user = item.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), int):
            raise fail('Can\'t find field "user"')
        known = user_lookup(user["id"]) or {"id": user["id"], "is_bot": False, "first_name": ""}
        return Entity("text_mention", offset, length, {"user": known})
    if kind == "custom_emoji":
        return Entity(
            "custom_emoji", offset, length, {"custom_emoji_id": str(item.get("custom_emoji_id"))}
        )
    if kind == "date_time":
        extra: JSONDict = {"unix_time": item.get("unix_time", 0)}
        if item.get("date_time_format"):
            extra["date_time_format"] = item["date_time_format"]
        return Entity("date_time", offset, length, extra)
    raise fail("Unsupported type specified")


def _trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    stripped_left = text.lstrip(_WHITESPACE)
    lead16 = utf16_len(text[: len(text) - len(stripped_left)])
    stripped = stripped_left.rstrip(_WHITESPACE)
    total16 = utf16_len(stripped)
    result: list[Entity] = []
    for entity in entities:
        begin = max(entity.offset - lead16, 0)
        end = min(entity.offset + entity.length - lead16, total16)
        if end > begin:
            result.append(Entity(entity.type, begin, end - begin, dict(entity.extra)))
    return stripped, result


def format_text(
    text: str,
    parse_mode: str,
    entities_json: str,
    *,
    strict_ampersand: bool,
    user_lookup: Callable[[int], JSONDict | None],
    auto_entities: bool = True,
) -> tuple[str, list[Entity]]:
    """Parses, trims and auto-links text as Telegram stores it (no length checks here)."""
    if len(text.encode("utf-8", "surrogatepass")) > (1 << 15):
        raise bad_request("text is too long")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise bad_request("text must be encoded in UTF-8") from exc
    mode = parse_mode.lower()
    if text and mode and mode != "none":
        if mode == "html":
            try:
                plain, entities = parse_html(
                    text, strict_ampersand=strict_ampersand, user_lookup=user_lookup
                )
            except HtmlParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from exc
        elif mode in ("markdown", "markdownv2"):
            raise bad_request(
                "the emulator supports only parse_mode HTML (or no parse_mode with entities)"
            )
        else:
            raise bad_request("unsupported parse_mode")
    else:
        plain, entities = text, _entities_from_json(entities_json, user_lookup)
        limit16 = utf16_len(plain)
        for entity in entities:
            if entity.offset < 0 or entity.length < 0 or entity.offset + entity.length > limit16:
                raise bad_request("entity beginning/end is out of text bounds")
    plain, entities = _trim(plain, entities)
    if auto_entities:
        entities = entities + detect_entities(plain, entities)
    return plain, sort_entities(entities)


def check_length(text: str, limit: int, *, caption: bool) -> None:
    if utf16_len(text) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
