"""Sound-alike place names: a run of Chinese characters that reads like a gazetteer name.

Residents type with pinyin input methods, so a wrong character usually keeps the right sound
(七星港 for 七星岗, 菜园巴 for 菜园坝, 李子吧 for 李子坝). A window of the text whose toneless
pinyin equals a name's is a sound match. Chongqing speakers also merge n/l, have no retroflex
initials (zh/ch/sh said z/c/s) and say -in/-en for -ing/-eng; a window equal only after those
merges is a *loose* sound match, weaker evidence.

Ordinary words must not turn into places. Names shorter than 3 characters are left out (a
2-character window collides with everyday words: 大平层 would be 大坪, 李家 would be 礼嘉), and a
window may differ from the name in at most one character per three (请示 in 向上请示 reads like
清寺, but two of 上请示's three characters are not 上清寺's, so it is no typo). A numeral is a word
of its own (李子八块 is plums at eight yuan), so a window whose differing character is one counts
as a loose match only, and numbers typed in digits are never part of a sound match.

The gazetteer's pinyin is computed once per gazetteer; each message costs one pypinyin call
per run of Chinese characters plus one dictionary look-up per window.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pypinyin import lazy_pinyin

from bot.domain.text import is_cjk

SoundKind = Literal["sound", "loose_sound"]

#: Names shorter than this are never sound-matched (see the module docstring).
MIN_SOUND_CHARS = 3
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")
# Initials and finals Chongqing speakers merge; each is rewritten to its plain partner.
_LOOSE_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_LOOSE_FINALS = (("ing", "in"), ("eng", "en"))
_NUMERALS = frozenset("零〇一二三四五六七八九十百千万两")


def loose(syllable: str) -> str:
    """The syllable with the merges above applied: shi -> si, nan -> lan, qing -> qin."""
    for strict, plain in _LOOSE_INITIALS:
        if syllable.startswith(strict):
            syllable = plain + syllable[len(strict) :]
            break
    for strict, plain in _LOOSE_FINALS:
        if syllable.endswith(strict):
            return syllable[: -len(strict)] + plain
    return syllable


def syllables(run: str) -> list[str]:
    """Toneless pinyin of a run of Chinese characters, one syllable per character.

    pypinyin reads the run as a whole, so polyphones follow the words around them (重庆 chong,
    朝天门 chao). A character it cannot read stands for itself and matches nothing else.
    """
    out = lazy_pinyin(run)
    if len(out) != len(run):  # pypinyin kept an unreadable stretch whole: go one by one
        out = [lazy_pinyin(ch)[0] for ch in run]
    return out


@dataclass(frozen=True, slots=True)
class SoundHit:
    start: int
    end: int
    key: str  # the gazetteer key it sounds like
    kind: SoundKind


@dataclass(frozen=True, slots=True)
class SoundIndex:
    """Gazetteer keys by their pinyin, strict and loose; a reading shared by keys that point
    to different places is dropped (the text could mean either)."""

    strict: Mapping[tuple[str, ...], str]
    merged: Mapping[tuple[str, ...], str]
    lengths: tuple[int, ...]  # longest first


def build_sound_index(keys: Iterable[str], same_place: Mapping[str, str]) -> SoundIndex:
    """`same_place` maps each key to an identity (its canonical name, codes…): two keys with the
    same reading and the same identity are one place; with different identities, neither."""
    strict: dict[tuple[str, ...], str | None] = {}
    merged: dict[tuple[str, ...], str | None] = {}
    for key in keys:
        if len(key) < MIN_SOUND_CHARS or not all(is_cjk(ch) for ch in key):
            continue
        reading = tuple(syllables(key))
        for index, sound in ((strict, reading), (merged, tuple(loose(s) for s in reading))):
            old = index.get(sound, key)
            same = old is not None and same_place[old] == same_place[key]
            index[sound] = min(old, key, key=len) if same and old is not None else None
    return SoundIndex(
        strict={k: v for k, v in strict.items() if v is not None},
        merged={k: v for k, v in merged.items() if v is not None},
        lengths=tuple(sorted({len(k) for k in strict}, reverse=True)),
    )


def _differing(window: str, key: str) -> list[str] | None:
    """The window's characters that are not the name's; None when more than one in three."""
    diff = [a for a, b in zip(window, key, strict=True) if a != b]
    return diff if 0 < len(diff) <= max(1, len(key) // 3) else None


def _look_up(
    window: str, reading: tuple[str, ...], merged: tuple[str, ...], index: SoundIndex
) -> SoundHit | None:
    """The key `window` sounds like, as a hit at offset 0; None when none or too different."""
    kind: SoundKind = "sound"
    key = index.strict.get(reading)
    if key is None:
        key, kind = index.merged.get(merged), "loose_sound"
    diff = _differing(window, key) if key is not None else None
    if key is None or diff is None:
        return None
    if any(ch in _NUMERALS for ch in diff):
        kind = "loose_sound"
    return SoundHit(0, len(window), key, kind)


def find_sounds(
    text: str,
    index: SoundIndex,
    found: Iterable[tuple[int, int]],
    blocked: Iterable[tuple[int, int]] = (),
) -> list[SoundHit]:
    """Windows of `text` that sound like a key, longest first. A hit never overlaps another
    hit or a `blocked` span (numbers written in digits). A strict one may swallow names already
    `found` that lie wholly inside it (枇杷山正接 is 枇杷山正街, not 枇杷山); a loose one, being
    weaker than the exact name, leaves them be (煤建新春 stays 煤建)."""
    inner = sorted(found)
    walls = sorted(blocked)
    hits: list[SoundHit] = []

    def open_at(start: int, end: int, swallow: bool) -> bool:
        spans = walls + [(h.start, h.end) for h in hits]
        if not swallow:
            spans += inner
        if any(start < e and s < end for s, e in spans):
            return False
        return all(end <= s or start >= e or (start <= s and e <= end) for s, e in inner)

    runs = [(m.start(), m[0]) for m in _CJK_RUN.finditer(text) if len(m[0]) >= MIN_SOUND_CHARS]
    read = [(offset, run, syllables(run)) for offset, run in runs]
    read_loose = [[loose(s) for s in sound] for _, _, sound in read]
    for length in index.lengths:
        for (offset, run, sound), merged in zip(read, read_loose, strict=True):
            for i in range(len(run) - length + 1):
                j = i + length
                hit = _look_up(run[i:j], tuple(sound[i:j]), tuple(merged[i:j]), index)
                start = offset + i
                if hit is not None and open_at(start, start + length, hit.kind == "sound"):
                    hits.append(SoundHit(start, start + length, hit.key, hit.kind))
    return hits
