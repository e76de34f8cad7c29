"""Inline keyboards as plain data, checked against Telegram's limits before they are queued."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

#: Telegram refuses callback data outside 1–64 bytes (UTF-8: a Chinese character is 3).
MAX_CALLBACK_DATA = 64


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None
    url: str | None = None


Keyboard = list[list[Button]]


def keyboard_markup(rows: Keyboard) -> dict[str, Any]:
    """Serialise a keyboard, refusing callback data Telegram would reject (1–64 bytes)."""
    built: list[list[InlineKeyboardButton]] = []
    for row in rows:
        out_row = []
        for b in row:
            if b.url is not None:
                out_row.append(InlineKeyboardButton(b.text, url=b.url))
                continue
            if b.data is None or not 1 <= len(b.data.encode()) <= MAX_CALLBACK_DATA:
                raise ValueError(f"callback data out of Telegram's 1–64 bytes: {b.data!r}")
            out_row.append(InlineKeyboardButton(b.text, callback_data=b.data))
        built.append(out_row)
    return InlineKeyboardMarkup(built).to_dict()


def pairs(buttons: list[Button]) -> Keyboard:
    """Two buttons a row: wide enough to read on a phone."""
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
