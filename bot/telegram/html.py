"""Telegram HTML and its limits: escaping, measuring and splitting long messages.

Telegram limits a message to 4096 characters *after entity parsing*, counted in UTF-16 code
units: tags do not count, ``&lt;`` counts as one, an emoji outside the BMP counts as two.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

#: Telegram's limits, counted after entity parsing in UTF-16 code units.
MAX_TEXT = 4096
MAX_CAPTION = 1024

_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<tag>[a-zA-Z][a-zA-Z0-9-]*)(?:\s[^>]*)?>"
    r"|&(?P<entity>lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});"
    r"|.",
    re.DOTALL,
)
# Break after these (after the space itself, so joining the parts gives the text back).
_SOFT = frozenset(" \t\u3000，。！？；：、）》」』】,.;!?:)")
# Never cut right before these: they belong to the character before (accents, emoji
# modifiers and selectors, zero-width joiner, tag characters of subdivision flags).
_JOINERS = frozenset("\u200d\ufe0e\ufe0f")


@dataclass(frozen=True, slots=True)
class _Atom:
    raw: str
    text: str  # visible text ("" for a tag)
    units: int  # its UTF-16 length
    tag: str | None = None  # lower-case tag name for tags
    closing: bool = False


def utf16_length(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _atoms(markup: str) -> list[_Atom]:
    atoms: list[_Atom] = []
    for m in _TOKEN.finditer(markup):
        if m["tag"]:
            atoms.append(_Atom(m[0], "", 0, m["tag"].lower(), bool(m["close"])))
        else:
            text = _decode(m["entity"], m[0]) if m["entity"] else m[0]
            atoms.append(_Atom(m[0], text, utf16_length(text)))
    return atoms


def _decode(name: str, raw: str) -> str:
    if not name.startswith("#"):
        return html.unescape(raw)
    code = int(name[2:], 16) if name[1:2] in "xX" else int(name[1:])
    return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"


def visible_text(markup: str) -> str:
    """The text Telegram shows for `markup`: tags removed, entities decoded."""
    return "".join(a.text for a in _atoms(markup))


def visible_length(markup: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the visible text."""
    return utf16_length(visible_text(markup))


def _joins_previous(ch: str) -> bool:
    cp = ord(ch)
    return (
        ch in _JOINERS
        or unicodedata.category(ch) in ("Mn", "Me")
        or 0x1F3FB <= cp <= 0x1F3FF
        or 0xE0020 <= cp <= 0xE007F
    )


def _safe_cut(atoms: list[_Atom], k: int) -> bool:
    """Whether a cut between atoms[k-1] and atoms[k] keeps every character whole."""
    before = atoms[k - 1].text[-1:] if k > 0 else ""
    after = atoms[k].text[:1] if k < len(atoms) else ""
    if not before or not after:
        return True
    if before == "\u200d" or _joins_previous(after):
        return False
    regional = range(0x1F1E6, 0x1F200)
    return not (ord(before) in regional and ord(after) in regional)


def _replay(stack: list[_Atom], atoms: list[_Atom]) -> list[_Atom]:
    out = list(stack)
    for a in atoms:
        if a.tag is None:
            continue
        if not a.closing:
            out.append(a)
            continue
        for idx in range(len(out) - 1, -1, -1):
            if out[idx].tag == a.tag:
                del out[idx:]
                break
    return out


def _cut(atoms: list[_Atom], i: int, limit: int) -> int:
    """Index k such that atoms[i:k] is the next part: the best break within `limit`."""
    units = 0
    blank = newline = soft = hard = None
    seen_content = False
    previous = ""
    j = i
    while j < len(atoms) and units + atoms[j].units <= limit:
        a = atoms[j]
        units += a.units
        j += 1
        if not a.text:
            continue
        if a.text == "\n":
            if seen_content:
                if previous == "\n":
                    blank = j
                newline = j
        elif a.text in _SOFT:
            soft = j if seen_content else soft
        else:
            seen_content = seen_content or not a.text.isspace()
        previous = a.text
        if seen_content and _safe_cut(atoms, j):
            hard = j
    if j == len(atoms):
        return j
    k = next((c for c in (blank, newline, soft, hard) if c is not None), max(j, i + 1))
    while k > i + 1 and atoms[k - 1].tag is not None and not atoms[k - 1].closing:
        k -= 1  # an opening tag just before the cut goes with its content
    while k < len(atoms) and atoms[k].closing:
        k += 1  # closing tags right after the cut cost nothing here
    return k


def split_html(text: str, limit: int = 4096) -> list[str]:
    """Split Telegram HTML into messages of at most `limit` visible UTF-16 units each.

    Breaks at blank lines, else newlines, else after spaces or punctuation (CJK too), else
    anywhere between whole characters; never inside a tag or an entity. Tags open at a break
    are closed at the end of the part and reopened (same attributes) at the start of the next.
    The break characters stay at the end of a part, so the parts' visible texts join up to
    the original's.
    """
    if limit < 2:
        raise ValueError("limit must leave room for one character (2 UTF-16 units)")
    atoms = _atoms(text)
    if sum(a.units for a in atoms) <= limit:
        return [text] if text else []
    parts: list[str] = []
    stack: list[_Atom] = []
    i = 0
    while i < len(atoms):
        k = _cut(atoms, i, limit)
        chunk = atoms[i:k]
        after = _replay(stack, chunk)
        parts.append(
            "".join(a.raw for a in stack)
            + "".join(a.raw for a in chunk)
            + "".join(f"</{a.tag}>" for a in reversed(after))
        )
        stack, i = after, k
    return parts


def escape(text: str) -> str:
    """Escape user text for Telegram HTML content (``& < >``).

    ``quote=False``: quotes are harmless in text content and escaping them makes stored text
    harder to read back. For an attribute value (``<a href="...">``) use
    ``html.escape(value, quote=True)`` instead.
    """
    return html.escape(text, quote=False)
