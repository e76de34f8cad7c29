"""Every place name a district knows, and where they occur in a text.

Matching is on the text's matching form (NFKC, no spaces inside Chinese). Chinese names are
found as substrings; English and pinyin names as runs of whole words, compared without case,
tone marks, spaces or apostrophes (Jiefangbei = jie fang bei = JIEFANGBEI). Where matches
overlap the longest wins (解放碑步行街 over 解放碑, 菜园坝火车站 over 菜园坝).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import Hamming, Levenshtein

from bot.domain.district import Confidence, District, strip_tones
from bot.domain.text import is_cjk, matching_form

Role = Literal["subdistrict", "short", "road", "community", "landmark", "former", "outside"]
# When one spelling has several roles, the first in this order is kept. Roads come before
# communities on purpose: a bare 凯旋路 is the road; 凯旋路社区 is the community.
_ROLE_ORDER: tuple[Role, ...] = (
    "subdistrict",
    "short",
    "road",
    "community",
    "landmark",
    "former",
    "outside",
)
_CONFIDENCE_ORDER = "HMLG"

# Typo tolerance (one substituted character) is only tried on Chinese names of 4+ characters:
# then 3 of 4 characters still agree in place, which ordinary words rarely do by chance. A
# 3-character name with one wrong character leaves 2, the size of a common word (朝天X would
# catch 朝天宫), so short names get an explicit misspelling list in the data instead.
_FUZZY_MIN_CJK = 4
# Swapping one of these characters for another names a different place rather than a typo:
# 解放东路 is not 解放西路, 中山三路 is not 中山二路, 茶亭北街 need not be 茶亭北路.
# (煤建薪村 -> 煤建新村 is still a typo: 薪 is not one of them.)
_DISTINCT = frozenset("东西南北中上下左右前后内外一二三四五六七八九十百千零两正新老大小路街巷村道")
# English/pinyin: only single words of 7+ letters, one edit away (Hongyadon -> Hongyadong).
_FUZZY_MIN_LATIN = 7
# 路 followed by one of these starts another word: 建设路灯 is "build street lights".
_AFTER_ROAD = frozenset("灯面网线径况段费标牌")
_LATIN_TOKEN = re.compile(r"[A-Za-z0-9\u00c0-\u024f\u1e00-\u1eff]+(?:['’][A-Za-z]+)*")


@dataclass(frozen=True, slots=True)
class Entry:
    name: str  # canonical name (Chinese); for former sub-districts the short form (望龙门)
    label: str  # what to show as evidence: the name, or the alias as written in the data
    role: Role
    codes: tuple[str, ...]  # sub-district codes it points to (a road's first is its main one)
    confidence: Confidence | None = None  # landmarks only
    district: str | None = None  # outside places only
    misspelling: bool = False


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    start: int  # offsets in the matching form of the text
    end: int
    text: str  # as written
    entry: Entry
    fuzzy: bool = False


@dataclass(frozen=True, slots=True)
class Gazetteer:
    chinese: dict[str, Entry]
    latin: dict[str, Entry]  # key: folded, compact
    latin_max_words: int


def fold_latin(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", strip_tones(text).casefold())


def _rank(entry: Entry) -> tuple[int, int]:
    conf = _CONFIDENCE_ORDER.index(entry.confidence) if entry.confidence else 0
    return _ROLE_ORDER.index(entry.role), conf


def _canonical(district: District) -> list[tuple[str, Entry]]:
    out: list[tuple[str, Entry]] = []
    for sub in district.subdistricts:
        one = (sub.code,)
        out += [(sub.name, Entry(sub.name, sub.name, "subdistrict", one))]
        out += [(sub.short, Entry(sub.short, sub.short, "short", one))]
        out += [(sub.latin, Entry(sub.short, sub.latin, "short", one))]
        for c in sub.communities:
            entry = Entry(c.name, c.name, "community", one)
            out += [(c.name, entry), (c.name + "社区", entry)]
            if c.official:
                out.append((c.official, entry))
    for lm in district.landmarks:
        out.append((lm.name, Entry(lm.name, lm.name, "landmark", (lm.code,), lm.confidence)))
    for road in district.roads:
        out.append((road.name, Entry(road.name, road.name, "road", road.codes)))
    for f in district.former_subdistricts:
        entry = Entry(f.short, f.short, "former", f.now_in_codes)
        out += [(f.name, entry), (f.short, entry)]
    for o in district.outside_places:
        out.append((o.name, Entry(o.name, o.name, "outside", (), district=o.district)))
    return out


def _add(index: dict[str, Entry], key: str, entry: Entry) -> None:
    old = index.get(key)
    if old is None or _rank(entry) < _rank(old):
        index[key] = entry
    elif _rank(entry) == _rank(old) and entry.codes != old.codes:
        # One spelling, two places of the same kind: keep both, the tagger will split it.
        merged = old.codes + tuple(c for c in entry.codes if c not in old.codes)
        index[key] = replace(old, codes=merged)


def build_gazetteer(district: District) -> Gazetteer:
    chinese: dict[str, Entry] = {}
    latin: dict[str, Entry] = {}
    max_words = 1
    by_name: dict[str, Entry] = {}
    for key, entry in _canonical(district):
        if key.isascii():
            _add(latin, fold_latin(key), entry)
        else:
            _add(chinese, matching_form(key), entry)
            _add(by_name, key, entry)
    for alias in district.aliases:
        target = by_name[alias.of]
        label = target.label if alias.misspelling else alias.text
        entry = replace(target, label=label, misspelling=alias.misspelling)
        if alias.text.isascii():
            max_words = max(max_words, len(_LATIN_TOKEN.findall(alias.text)))
            latin.setdefault(fold_latin(alias.text), entry)
        else:
            chinese.setdefault(matching_form(alias.text), entry)
    return Gazetteer(chinese, latin, max_words)


_CACHE: dict[int, tuple[District, Gazetteer]] = {}


def gazetteer_for(district: District) -> Gazetteer:
    """Built once per District object (the district itself is kept so its id stays unique)."""
    hit = _CACHE.get(id(district))
    if hit is not None and hit[0] is district:
        return hit[1]
    if len(_CACHE) > 8:
        _CACHE.clear()
    gaz = build_gazetteer(district)
    _CACHE[id(district)] = (district, gaz)
    return gaz


def _free(taken: list[PlaceMatch], start: int, end: int) -> bool:
    return all(end <= t.start or start >= t.end for t in taken)


def _exact(text: str, gaz: Gazetteer) -> list[PlaceMatch]:
    found: list[PlaceMatch] = []
    for key, entry in gaz.chinese.items():
        start = text.find(key)
        while start != -1:
            end = start + len(key)
            if not (key.endswith("路") and text[end : end + 1] in _AFTER_ROAD):
                found.append(PlaceMatch(start, end, key, entry))
            start = text.find(key, start + 1)
    tokens = [(m.start(), m.end(), fold_latin(m[0])) for m in _LATIN_TOKEN.finditer(text)]
    for i, (start, _, _) in enumerate(tokens):
        compact = ""
        for end_tok in tokens[i : i + gaz.latin_max_words]:
            compact += end_tok[2]
            hit = gaz.latin.get(compact)
            if hit is not None:
                found.append(PlaceMatch(start, end_tok[1], text[start : end_tok[1]], hit))
    found.sort(key=lambda m: (-(m.end - m.start), _rank(m.entry), m.start))
    taken: list[PlaceMatch] = []
    for m in found:
        if _free(taken, m.start, m.end):
            taken.append(m)
    return taken


def _one(near: Sequence[tuple[str, float, int]]) -> str | None:
    """The only candidate at distance exactly 1, or None (none, or ambiguous)."""
    ones = [choice for choice, score, _ in near if score == 1]
    return ones[0] if len(ones) == 1 else None


def _fuzzy_chinese(text: str, gaz: Gazetteer, taken: list[PlaceMatch]) -> list[PlaceMatch]:
    found: list[PlaceMatch] = []
    by_len: dict[int, list[str]] = {}
    for name in gaz.chinese:
        if len(name) >= _FUZZY_MIN_CJK and all(is_cjk(ch) for ch in name):
            by_len.setdefault(len(name), []).append(name)
    non_cjk = [0]  # prefix counts, to test a window in O(1)
    for ch in text:
        non_cjk.append(non_cjk[-1] + (not is_cjk(ch)))
    for length in sorted(by_len, reverse=True):
        for start in range(len(text) - length + 1):
            end = start + length
            if non_cjk[end] != non_cjk[start] or not _free(taken + found, start, end):
                continue
            window = text[start:end]
            near = process.extract(
                window, by_len[length], scorer=Hamming.distance, score_cutoff=1, limit=3
            )
            key = _one(near)
            if key is None:
                continue
            a, b = next((x, y) for x, y in zip(window, key, strict=True) if x != y)
            if not (a in _DISTINCT and b in _DISTINCT):
                found.append(PlaceMatch(start, end, window, gaz.chinese[key], fuzzy=True))
    return found


def _fuzzy_latin(text: str, gaz: Gazetteer, taken: list[PlaceMatch]) -> list[PlaceMatch]:
    found: list[PlaceMatch] = []
    keys = [k for k in gaz.latin if len(k) >= _FUZZY_MIN_LATIN]
    for m in _LATIN_TOKEN.finditer(text):
        word = fold_latin(m[0])
        if len(word) < _FUZZY_MIN_LATIN or not _free(taken + found, m.start(), m.end()):
            continue
        near = process.extract(word, keys, scorer=Levenshtein.distance, score_cutoff=1, limit=3)
        key = _one(near)
        if key is not None:
            found.append(PlaceMatch(m.start(), m.end(), m[0], gaz.latin[key], fuzzy=True))
    return found


def find_places(text: str, district: District) -> list[PlaceMatch]:
    """Place names in `text`, in text order; exact matches first, then safe typo matches."""
    form = matching_form(text)
    gaz = gazetteer_for(district)
    taken = _exact(form, gaz)
    taken += _fuzzy_chinese(form, gaz, taken)
    taken += _fuzzy_latin(form, gaz, taken)
    return sorted(taken, key=lambda m: m.start)
