"""What the bot says: each feature keeps a catalogue of its own, Chinese and English side by
side, on top of the few texts every part shares (COMMON).

Messages are Telegram HTML. A catalogue escapes every value it fills in, so user text can
never break a message; pass `Html(...)` for a fragment that is already safe HTML.

Each catalogue is a `texts.toml` beside its code: one table per key, `zh` and `en` on
adjacent lines. TOML rather than gettext catalogues (Babel): a reviewer or translator reads a
sentence and its translation together instead of in two .po files keyed by the Chinese source,
nothing needs compiling to .mo, Python's own tomllib reads it, and tests check that both
languages have every key and the same placeholders (tests/telegram/test_texts.py).
"""

from __future__ import annotations

import html
import string
import tomllib
from pathlib import Path
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

    @classmethod
    def from_toml(cls, name: str, path: Path, *, parent: Texts | None = None) -> Texts:
        """A catalogue from a TOML file of `[key]` tables with `zh` and `en` strings."""
        with path.open("rb") as f:
            data = tomllib.load(f)
        entries: dict[str, tuple[str, str]] = {}
        for key, table in data.items():
            if not isinstance(table, dict) or set(table) != {"zh", "en"}:
                raise ValueError(f"{path}: [{key}] needs exactly zh and en")
            zh, en = table["zh"], table["en"]
            if not isinstance(zh, str) or not isinstance(en, str) or not zh or not en:
                raise ValueError(f"{path}: [{key}] zh and en must be non-empty text")
            entries[key] = (zh, en)
        return cls(name, entries, parent=parent)

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

    def plain(self, lang: str, key: str, **values: object) -> str:
        """The text `key` with values as they are: for what Telegram shows as plain text
        (button labels, toasts), where an escaped "&" would show as "&amp;"."""
        return self.template(lang, key).format(**values)


COMMON = Texts.from_toml("common", Path(__file__).with_name("texts.toml"))
