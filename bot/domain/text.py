"""Opinion text: cleaning, checks, personal-data masking, and the normal form matchers use.

The stored opinion is never NFKC-normalised (full-width punctuation is ordinary Chinese);
`matching_form` does that, for matchers only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

TextReason = Literal["ok", "empty", "no_words", "too_long", "too_short"]

_ZWJ = "\u200d"
# Invisible characters that are not in category Cf but are used to pad or disguise text:
# combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian selectors.
_EXTRA_INVISIBLE = frozenset("\u034f\u115f\u1160\u3164\uffa0\u17b4\u17b5\u180b\u180c\u180d\u180f")
_LINE_BREAKS = re.compile(r"\r\n|[\r\u0085\u2028\u2029]")
_BLANK_RUN = re.compile(r"\n{4,}")  # 4 newlines = 3 blank lines


def _emoji_like(ch: str) -> bool:
    cp = ord(ch)
    return unicodedata.category(ch) in ("So", "Sk") or ch == "\ufe0f" or 0x1F000 <= cp < 0x20000


def _is_tag(ch: str) -> bool:
    return 0xE0020 <= ord(ch) <= 0xE007F


def strip_invisible(text: str) -> str:
    """Drop control and format characters except newline and tab.

    Format characters (Cf) cover zero-width spaces and joiners, U+2060..U+2064, U+FEFF,
    U+180E, the soft hyphen and every bidi control (U+200E/F, U+061C, U+202A..E,
    U+2066..9). Two are kept where they carry meaning: a zero-width joiner between two
    emoji (👨‍👩‍👧 would fall apart) and tag characters after 🏴 (subdivision flags).
    """
    out: list[str] = []
    for i, ch in enumerate(text):
        cat = unicodedata.category(ch)
        if ch in "\n\t":
            out.append(ch)
        elif cat == "Cc" or ch in _EXTRA_INVISIBLE:
            continue
        elif cat == "Cf":
            if ch == _ZWJ:
                nxt = text[i + 1] if i + 1 < len(text) else ""
                if out and nxt and _emoji_like(out[-1]) and _emoji_like(nxt):
                    out.append(ch)
            elif _is_tag(ch) and out and (out[-1] == "\U0001f3f4" or _is_tag(out[-1])):
                out.append(ch)
        else:
            out.append(ch)
    return "".join(out)


def clean_text(raw: str) -> str:
    """What is stored: invisible characters removed, line ends ``\\n``, no trailing spaces on
    lines, at most two blank lines in a row, no blank space around the whole text."""
    text = strip_invisible(_LINE_BREAKS.sub("\n", raw))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUN.sub("\n\n\n", text).strip()


@dataclass(frozen=True, slots=True)
class TextCheck:
    reason: TextReason
    text: str  # the cleaned text
    length: int  # code points of the cleaned text
    max_chars: int
    min_chars: int

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def check_opinion_text(text: str, *, max_chars: int = 2000, min_chars: int = 2) -> TextCheck:
    """Whether `text` can be an opinion.

    Length is counted in code points of the cleaned text: a Chinese character or an emoji
    counts one (an emoji sequence joined by ZWJ counts each of its parts).
    """
    cleaned = clean_text(text)
    length = len(cleaned)
    reason: TextReason
    if not cleaned:
        reason = "empty"
    elif not any(unicodedata.category(ch)[0] in "LN" for ch in cleaned):
        reason = "no_words"
    elif length > max_chars:
        reason = "too_long"
    elif length < min_chars:
        reason = "too_short"
    else:
        reason = "ok"
    return TextCheck(reason, cleaned, length, max_chars, min_chars)


def shorten(text: str, limit: int) -> str:
    """`text` on one line (runs of white space made one space), cut to `limit` characters
    with "…" where it was cut: for previews, labels and excerpts."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- matching form -------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_SPACE_IN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_CJK_CHAR = re.compile(f"[{_CJK}]")


def is_cjk(ch: str) -> bool:
    return _CJK_CHAR.fullmatch(ch) is not None


def matching_form(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII), no invisible characters, no spaces
    between two CJK characters (解 放 碑 -> 解放碑). Case is kept; matchers fold it."""
    return _SPACE_IN_CJK.sub("", unicodedata.normalize("NFKC", strip_invisible(text)))


# --- personal data -------------------------------------------------------------------------

# A digit group may end in X (the ID check character). Groups separated by up to two spaces
# and/or one dash form one chain: 138 1234 5678, 138-1234-5678, ５００１０３ １９９０….
# A country code written flush against a mobile number (+8613812345678, 008613812345678) is
# a group of its own, so the number after it is still a whole group.
# (Each branch starts with a character class, so the search can skip ahead without trying
# the lookbehinds at every position.)
_GROUP = re.compile(
    r"(?:[8８](?<=[+＋].)|[0０](?<!\d.)[0０][8８])[6６](?=[1１][3-9３-９])"
    r"|\d+(?:[xXＸｘ](?![A-Za-z]))?"
)
_GAP = re.compile(r"[ \u00a0\u2009\u202f\u3000]{0,2}[-‐‑‒–—－]?[ \u00a0\u2009\u202f\u3000]{0,2}")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _digits(group: str) -> str:
    return "".join("X" if ch in "xXＸｘ" else str(unicodedata.decimal(ch)) for ch in group)


def _plausible_date(yyyy: int, mm: int, dd: int) -> bool:
    return 1900 <= yyyy <= 2099 and 1 <= mm <= 12 and 1 <= dd <= 31


def looks_like_id18(number: str) -> bool:
    """The shape of an 18-character resident ID (area, birth date, sequence), whatever its
    check character: a resident who mistypes one digit still shows 17 real ones."""
    return bool(re.fullmatch(r"[1-9]\d{16}[\dX]", number)) and _plausible_date(
        int(number[6:10]), int(number[10:12]), int(number[12:14])
    )


def is_valid_id18(number: str) -> bool:
    """18-character resident ID: area, birth date, sequence, ISO 7064 MOD 11-2 check."""
    if not looks_like_id18(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17]


def _is_id15(number: str) -> bool:
    """Pre-1999 15-digit ID (no check digit): area, YYMMDD, sequence."""
    return bool(re.fullmatch(r"[1-8]\d{14}", number)) and _plausible_date(
        1900 + int(number[6:8]), int(number[8:10]), int(number[10:12])
    )


PersonalDataKind = Literal["mobile", "id_card"]


@dataclass(frozen=True, slots=True)
class PersonalData:
    """One phone or ID number found in a text: its span there, its kind, its masked form."""

    start: int
    end: int
    kind: PersonalDataKind
    masked: str


def _mask(number: str) -> tuple[PersonalDataKind, str] | None:
    if len(number) == 11 and re.fullmatch(r"1[3-9]\d{9}", number):
        return "mobile", number[:3] + "*" * 6 + number[-2:]
    if len(number) == 18 and looks_like_id18(number):
        return "id_card", number[:4] + "*" * 10 + number[-4:]
    if len(number) == 15 and _is_id15(number):
        return "id_card", number[:4] + "*" * 8 + number[-3:]
    return None


def _chains(text: str) -> list[list[re.Match[str]]]:
    chains: list[list[re.Match[str]]] = []
    for m in _GROUP.finditer(text):
        last = chains[-1][-1] if chains else None
        gap = text[last.end() : m.start()] if last is not None else ""
        if last is not None and gap and _GAP.fullmatch(gap) and last[0][-1] not in "xXＸｘ":
            chains[-1].append(m)
        else:
            chains.append([m])
    return chains


def find_personal_data(text: str) -> list[PersonalData]:
    """Each phone or ID number in `text`, in order: whole digit groups only, so a number inside
    a longer run of digits (an order number, a bank card) is not taken."""
    found: list[PersonalData] = []
    for chain in _chains(text):
        groups = [_digits(m[0]) for m in chain]
        i = 0
        while i < len(chain):
            best: tuple[int, PersonalDataKind, str] | None = None
            number = ""
            for j in range(i, len(chain)):
                number += groups[j]
                if len(number) > 18 or ("X" in number and not number.endswith("X")):
                    break
                hit = _mask(number)
                if hit is not None:
                    best = (j, *hit)  # keep going: an 18-digit ID beats its first 11
            if best is None:
                i += 1
                continue
            j, kind, masked = best
            found.append(PersonalData(chain[i].start(), chain[j].end(), kind, masked))
            i = j + 1
    return found


def mask_personal_data(text: str) -> str:
    """Mask mobile numbers (138******78) and ID-card numbers (5001**********123X), also when
    typed with full-width digits, spaces or dashes. Years, prices and house numbers stay."""
    out: list[str] = []
    pos = 0
    for hit in find_personal_data(text):
        out.append(text[pos : hit.start])
        out.append(hit.masked)
        pos = hit.end
    out.append(text[pos:])
    return "".join(out)


def contains_personal_data(text: str) -> bool:
    return bool(find_personal_data(text))
