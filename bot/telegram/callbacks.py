"""Button data, defined once per kind: the same definition builds it, parses it and gives
the handler's pattern.

Callback data comes from the user's client and is untrusted: a parse checks every field
(ids within the database's integer range, words from their allowed set) and gives None for
anything else, which handlers answer with the polite "stale button" alert. The presser is
checked again by the service; the data only says what was pressed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.telegram.keyboards import MAX_CALLBACK_DATA

#: Ids in button data name rows whose keys are 32-bit on PostgreSQL (int4).
MAX_ROW_ID = 2**31 - 1


@dataclass(frozen=True)
class Id:
    """A row id: 1 … 2³¹-1, written as built (no leading zeros: "007" is not 7)."""

    name: str
    regex = r"[1-9][0-9]{0,9}"

    def accepts(self, raw: str) -> bool:
        return 1 <= int(raw) <= MAX_ROW_ID


@dataclass(frozen=True)
class Word:
    """One of a fixed set of values, or any text matching `pattern`."""

    name: str
    pattern: str

    @property
    def regex(self) -> str:
        return self.pattern

    def accepts(self, raw: str) -> bool:
        return True


def Choice(name: str, *values: str) -> Word:
    """A word from a fixed set."""
    return Word(name, "|".join(re.escape(v) for v in values))


Field = Id | Word


@dataclass(frozen=True)
class Pressed:
    """The fields of a parsed button, by name."""

    values: dict[str, str]

    def id(self, name: str) -> int:
        return int(self.values[name])

    def word(self, name: str) -> str:
        return self.values[name]


class CallbackData:
    """One kind of button data: `prefix:field:field…`."""

    def __init__(self, prefix: str, *fields: Field) -> None:
        if not re.fullmatch(r"[a-z_]{1,12}", prefix):
            raise ValueError(f"callback prefix {prefix!r}: 1–12 lower-case letters")
        self.prefix = prefix
        self.fields = fields
        parts = [re.escape(prefix), *(f"(?P<{f.name}>{f.regex})" for f in fields)]
        self._regex = re.compile("^" + ":".join(parts) + "$")

    @property
    def pattern(self) -> re.Pattern[str]:
        """For CallbackQueryHandler: every press of this kind, valid or not, reaches the
        handler, which answers a forged one politely instead of letting it fall through."""
        return re.compile(f"^{re.escape(self.prefix)}(:|$)")

    def build(self, *values: int | str) -> str:
        if len(values) != len(self.fields):
            raise ValueError(f"{self.prefix}: {len(self.fields)} values expected")
        data = ":".join([self.prefix, *(str(v) for v in values)])
        if self.parse(data) is None:
            raise ValueError(f"{self.prefix}: values out of range: {values!r}")
        if len(data.encode()) > MAX_CALLBACK_DATA:
            raise ValueError(f"callback data over {MAX_CALLBACK_DATA} bytes: {data!r}")
        return data

    def parse(self, data: str | None) -> Pressed | None:
        """The fields, or None for data that is not a valid button of this kind."""
        if data is None:
            return None
        match = self._regex.match(data)
        if match is None:
            return None
        values = match.groupdict()
        if not all(f.accepts(values[f.name]) for f in self.fields):
            return None
        return Pressed(values)
