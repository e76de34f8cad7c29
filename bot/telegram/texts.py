"""What the bot says: each feature keeps a catalogue of its own, Chinese and English side by
side, on top of the few texts every part shares (COMMON).

Messages are Telegram HTML. A catalogue escapes every value it fills in, so user text can
never break a message; pass `Html(...)` for a fragment that is already safe HTML.

Python dictionaries rather than gettext catalogues: each sentence and its translation sit on
adjacent lines where a reviewer reads both, nothing needs compiling, and tests check that the
two languages have the same keys and the same placeholders (tests/telegram/test_texts.py).
"""

from __future__ import annotations

import html
import string
from typing import ClassVar, Literal

Lang = Literal["zh", "en"]


class Html(str):
    """A fragment that is already valid Telegram HTML: a catalogue inserts it as it is."""


def lang_of(code: str | None) -> Lang:
    """Language for someone we know nothing about yet, from Telegram's language_code."""
    return "en" if code and code.lower().startswith("en") else "zh"


def as_lang(value: str) -> Lang:
    return "en" if value == "en" else "zh"


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Texts:
    """One feature's texts: `texts(lang, key, **values)`, falling back to a parent catalogue."""

    every: ClassVar[list[Texts]] = []

    def __init__(
        self, name: str, entries: dict[str, tuple[str, str]], *, parent: Texts | None = None
    ) -> None:
        self.name = name
        self.entries = entries
        self.parent = parent
        if parent is not None and (shared := set(entries) & set(parent.all_keys())):
            raise ValueError(f"texts {name}: keys already in {parent.name}: {sorted(shared)}")
        Texts.every.append(self)

    def all_keys(self) -> list[str]:
        inherited = self.parent.all_keys() if self.parent is not None else []
        return [*self.entries, *inherited]

    def template(self, lang: str, key: str) -> str:
        entry = self.entries.get(key)
        if entry is None:
            if self.parent is None:
                raise KeyError(f"texts {self.name}: no text {key!r}")
            return self.parent.template(lang, key)
        zh, en = entry
        return en if lang == "en" else zh

    def __call__(self, lang: str, key: str, **values: object) -> str:
        """The text `key` in `lang`, with every value HTML-escaped unless it is `Html`."""
        template = self.template(lang, key)
        if not values:
            return template
        safe = {
            k: v if isinstance(v, Html) else html.escape(str(v), quote=False)
            for k, v in values.items()
        }
        return template.format(**safe)


_TEXTS: dict[str, tuple[str, str]] = {
    "stale_button": (
        "这个按钮已经失效了，请按最新消息里的按钮操作。",
        "That button has expired; please use the buttons on the latest message.",
    ),
    "not_consented_button": (
        "请先发送 /start 并同意隐私说明。",
        "Please send /start and agree to the privacy notice first.",
    ),
    "unsure": ("不确定", "not sure"),
    "status_received": ("已收到", "received"),
    "admin_set_aside": (
        "⚠️ 更新 {update_id} 处理失败三次，已暂存（内容保留）。\n错误：<code>{error}</code>\n"
        "修复后运行 <code>yushi inbox --retry-failed</code> 重新处理。",
        "⚠️ Update {update_id} failed three times and was set aside (content kept).\n"
        "Error: <code>{error}</code>\nAfter a fix, run <code>yushi inbox --retry-failed</code>.",
    ),
    "internal_error": (
        "抱歉，处理您的消息时出了问题，我们已经记录下来。请稍后再试一次。",
        "Sorry, something went wrong with your message; it has been logged. Please try "
        "again in a little while.",
    ),
}

COMMON = Texts("common", _TEXTS)
