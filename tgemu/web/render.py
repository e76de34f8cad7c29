"""What the chat page shows of a message: safe HTML from Telegram's text + entities, and a
small JSON view of media, buttons and reply keyboards.

The emulator stores what Telegram stores: plain text plus entities with UTF-16 offsets (a
bot's ``parse_mode=HTML`` was already parsed away).  Turning them back into HTML here means
the page only ever gets markup from a fixed set of tags (Telegram's own subset: ``b i u s
code pre a blockquote tg-spoiler``); every character of text is escaped, and links keep only
http(s), mailto and tg targets, so a bot (or a resident) cannot inject anything.
"""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

from ..client_types import ChatMessage, FileRef

JSONDict = dict[str, Any]

_SIMPLE_TAGS = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "expandable_blockquote": "blockquote",
    "spoiler": "tg-spoiler",
}
_SAFE_URL = re.compile(r"^(https?://|mailto:|tg://)", re.IGNORECASE)
#: What the page says for messages it has no player or picture for.
_KIND_LABELS = {
    "sticker": "贴纸",
    "video": "视频",
    "video_note": "视频消息",
    "audio": "音频",
    "animation": "动图",
    "dice": "骰子",
    "poll": "投票",
    "venue": "地点",
    "contact": "联系人",
    "service": "服务消息",
}

Span = tuple[int, int, int, JSONDict]  # start, end (UTF-16 units), index, entity


def safe_url(url: str | None) -> str | None:
    """``url`` if the page may link to it (no ``javascript:`` and the like)."""
    return url if url and _SAFE_URL.match(url) else None


def _href(entity: JSONDict, covered: str) -> str | None:
    kind = entity.get("type")
    if kind == "text_link":
        url = str(entity.get("url", ""))
    elif kind == "url":
        url = covered if "://" in covered else "http://" + covered
    elif kind == "email":
        url = "mailto:" + covered
    else:
        return None
    return safe_url(url)


def _open_tag(entity: JSONDict, covered: str) -> tuple[str, str] | None:
    """(opening tag, closing tag) for an entity, or None to leave its text plain."""
    kind = entity.get("type")
    if kind in _SIMPLE_TAGS:
        tag = _SIMPLE_TAGS[kind]
        return f"<{tag}>", f"</{tag}>"
    if kind == "bot_command":
        # A command in a message sends itself when tapped, as in Telegram's apps.
        return '<a href="#" class="cmd">', "</a>"
    href = _href(entity, covered)
    if href is None:
        return None
    attr = html.escape(href, quote=True)
    return f'<a href="{attr}" target="_blank" rel="noopener noreferrer">', "</a>"


def entities_to_html(text: str, entities: list[JSONDict]) -> str:
    """``text`` as HTML with ``entities`` (Telegram's UTF-16 offsets) as tags; overlapping
    entities are closed and reopened so the result is always well nested."""
    units = text.encode("utf-16-le")
    size = len(units) // 2

    def piece(start: int, end: int) -> str:
        return units[2 * start : 2 * end].decode("utf-16-le", errors="replace")

    spans: list[Span] = []
    tags: dict[int, tuple[str, str]] = {}
    for index, entity in enumerate(entities):
        try:
            start = max(0, int(entity.get("offset", 0)))
            end = min(size, start + int(entity.get("length", 0)))
        except (TypeError, ValueError):
            continue
        tag = _open_tag(entity, piece(start, end)) if end > start else None
        if tag is not None:
            spans.append((start, end, index, entity))
            tags[index] = tag
    spans.sort(key=lambda span: (span[0], -span[1], span[2]))
    cuts = sorted({0, size, *(s[0] for s in spans), *(s[1] for s in spans)})
    out: list[str] = []
    stack: list[Span] = []
    for start, end in itertools.pairwise(cuts):
        active = [span for span in spans if span[0] <= start and end <= span[1]]
        keep = 0
        while keep < min(len(stack), len(active)) and stack[keep] is active[keep]:
            keep += 1
        out.extend(tags[span[2]][1] for span in reversed(stack[keep:]))
        out.extend(tags[span[2]][0] for span in active[keep:])
        stack = active
        out.append(html.escape(piece(start, end), quote=False))
    out.extend(tags[span[2]][1] for span in reversed(stack))
    return "".join(out)


def _file(ref: FileRef, *fields: str) -> JSONDict:
    return {"file_id": ref.file_id, **{name: getattr(ref, name) for name in fields}}


def _summary(message: ChatMessage) -> str | None:
    payload = message.payload
    if message.kind not in _KIND_LABELS:
        return None
    label = _KIND_LABELS[message.kind]
    detail = ""
    if message.kind == "sticker":
        detail = str(payload.get("sticker", {}).get("emoji", ""))
    elif message.kind == "poll":
        detail = str(payload.get("poll", {}).get("question", ""))
    elif message.kind == "contact":
        contact = payload.get("contact", {})
        detail = f"{contact.get('first_name', '')} {contact.get('phone_number', '')}"
    elif message.kind == "venue":
        detail = str(payload.get("venue", {}).get("title", ""))
    return f"[{label}] {detail}".strip()


def message_view(message: ChatMessage) -> JSONDict:
    """One bubble: who, when, safe HTML, media, inline buttons and the edited mark."""
    payload = message.payload
    replied = payload.get("reply_to_message") or {}
    location = payload.get("location")
    return {
        "id": message.message_id,
        "mine": not message.outgoing,
        "kind": message.kind,
        "date": message.date,
        "edited": message.edited,
        "html": entities_to_html(message.text or "", message.entities),
        "summary": _summary(message),
        "reply_to": (replied.get("text") or replied.get("caption") or "")[:60] or None,
        "photo": _file(message.photo[-1], "width", "height") if message.photo else None,
        "document": _file(message.document, "file_name", "mime_type", "file_size")
        if message.document and message.kind == "document"
        else None,
        "voice": _file(message.voice, "duration", "mime_type") if message.voice else None,
        "location": {"latitude": location["latitude"], "longitude": location["longitude"]}
        if location and message.kind == "location"
        else None,
        "buttons": [
            [{"text": b.text, "data": b.callback_data, "url": safe_url(b.url)} for b in row]
            for row in message.buttons
        ],
    }


def reply_keyboard(messages: list[ChatMessage]) -> JSONDict | None:
    """The reply keyboard a Telegram app would show now: the latest one the bot sent, until
    a later message removes it (or, for a one-time keyboard, until the user answers)."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        markup = message.reply_keyboard if message.outgoing else None
        if markup is None or "force_reply" in markup:
            continue
        if "keyboard" not in markup:
            return None
        answered = any(not later.outgoing for later in messages[index + 1 :])
        if markup.get("one_time_keyboard") and answered:
            return None
        return {
            "rows": [
                [
                    {
                        "text": str(button.get("text", "")),
                        "request_location": bool(button.get("request_location")),
                        "request_contact": bool(button.get("request_contact")),
                    }
                    for button in row
                ]
                for row in markup["keyboard"]
            ],
            "placeholder": markup.get("input_field_placeholder"),
        }
    return None
