"""MessageEntity values with UTF-16 offsets, Telegram's entity order and link checking."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]

_TYPE_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}


@dataclass
class Entity:
    """A MessageEntity with UTF-16 offsets; ``extra`` holds url/language/user/...."""

    type: str
    offset: int
    length: int
    extra: JSONDict = field(default_factory=dict)

    def to_json(self) -> JSONDict:
        return {"offset": self.offset, "length": self.length, "type": self.type, **self.extra}


def sort_entities(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e.offset, -e.length, _TYPE_PRIORITY.get(e.type, 50)))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def check_link(url: str) -> str | None:
    """Simplified ``LinkManager::check_link``: returns the normalized URL or None."""
    if not url or re.search(r"\s", url):
        return None
    lowered = url.lower()
    if lowered.startswith(("tg:", "ton:", "tonsite:")):
        return url
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", url, re.S)
    if match:
        scheme = match.group(1).lower()
        if scheme not in ("http", "https"):
            return None
        rest = match.group(2)
    else:
        scheme, rest = "http", url
    host_match = re.match(r"^([^/?#]*)(.*)$", rest, re.S)
    assert host_match is not None
    host, tail = host_match.group(1), host_match.group(2)
    host_only = host.rsplit("@", 1)[-1].split(":", 1)[0]
    valid_host = bool(host_only) and re.match(r"^[\w.-]+$", host_only) is not None
    if host_only.lower() != "localhost" and (not valid_host or "." not in host_only):
        return None
    if not tail.startswith("/"):
        tail = "/" + tail
    return f"{scheme}://{host}{tail}"
