"""Every place name a district knows, and where they occur in a text.

Matching is on the text's matching form (NFKC, no spaces inside Chinese) with small numbers
read out as they are said (18梯, 18 梯 -> 十八梯; 中山1路 -> 中山一路); offsets always refer to the
matching form, so a match's `text` is what the resident wrote. Chinese names are found as
substrings; English and pinyin names as runs of whole words, compared without case, tone
marks, spaces or apostrophes (Jiefangbei = jie fang bei = JIEFANGBEI). Where matches overlap
the longest wins (解放碑步行街 over 解放碑, 菜园坝火车站 over 菜园坝). What is left is searched
for names that sound alike (bot/domain/sounds.py), then for one-character typos of long names.
A station after a name (七星岗站, 李子坝轻轨站) belongs to the match: it is the same place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import Hamming, Levenshtein

from bot.domain.district import Confidence, District, strip_tones
from bot.domain.sounds import SoundIndex, build_sound_index, find_sounds
from bot.domain.text import is_cjk, matching_form

# exact: the name or a listed alias; spelling: one character off (long names only); sound,
# loose_sound: reads like the name (see bot/domain/sounds.py).
MatchKind = Literal["exact", "spelling", "sound", "loose_sound"]

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
# 1-99 written in digits right before Chinese (18梯, 中山1路, 中山 1 路), not part of a longer
# number, a decimal or a Latin word: read out, so it meets the names that spell it in words;
# the spaces around it go with it.
_NUMBER = re.compile(r"(?<![0-9A-Za-z.])\s*([1-9][0-9]?)(?![0-9.])\s*")
_NUMERALS = "零一二三四五六七八九"
# A station after a name is the name's (七星岗站); 站着, 站起 are "stand".
_STATION = re.compile(r"(?:轻轨|地铁)?站(?![着起住])")


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
    kind: MatchKind = "exact"

    @property
    def fuzzy(self) -> bool:
        """Guessed from a typo or a sound rather than found as written."""
        return self.kind != "exact"


@dataclass(frozen=True, slots=True)
class Gazetteer:
    chinese: dict[str, Entry]  # key: matching form with numbers read out
    latin: dict[str, Entry]  # key: folded, compact
    latin_max_words: int
    sounds: SoundIndex
    typo_keys: dict[int, list[str]]  # all-Chinese keys long enough for typo matching, by length


@dataclass(frozen=True, slots=True)
class Spoken:
    """A matching form with its numbers read out, and where each character came from."""

    text: str
    starts: tuple[int, ...]  # per character of `text`: its source's start in the form
    ends: tuple[int, ...]  # and end
    numbers: tuple[tuple[int, int], ...]  # spans of `text` read out from digits

    def source(self, start: int, end: int) -> tuple[int, int] | None:
        """The form's span for `text[start:end]`; None when it cuts a number in two."""
        if start > 0 and self.starts[start - 1] == self.starts[start]:
            return None
        if end < len(self.text) and self.ends[end] == self.ends[end - 1]:
            return None
        return self.starts[start], self.ends[end - 1]


def say_number(n: int) -> str:
    """1..99 as written in words: 1 一, 10 十, 18 十八, 20 二十, 25 二十五."""
    tens, ones = divmod(n, 10)
    if not tens:
        return _NUMERALS[ones]
    head = "十" if tens == 1 else _NUMERALS[tens] + "十"
    return head + (_NUMERALS[ones] if ones else "")


def speak_numbers(form: str) -> Spoken:
    """Read out the numbers in `form` that stand before Chinese (see `_NUMBER`)."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    numbers: list[tuple[int, int]] = []
    pos = 0
    for m in _NUMBER.finditer(form):
        if m.end() >= len(form) or not is_cjk(form[m.end()]):
            continue
        for i in range(pos, m.start()):
            out.append(form[i])
            starts.append(i)
            ends.append(i + 1)
        said = say_number(int(m[1]))
        numbers.append((len(starts), len(starts) + len(said)))
        out.append(said)
        starts += [m.start(1)] * len(said)
        ends += [m.end(1)] * len(said)
        pos = m.end()
    for i in range(pos, len(form)):
        out.append(form[i])
        starts.append(i)
        ends.append(i + 1)
    return Spoken("".join(out), tuple(starts), tuple(ends), tuple(numbers))


def _key(name: str) -> str:
    return speak_numbers(matching_form(name)).text


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
            _add(chinese, _key(key), entry)
            _add(by_name, key, entry)
    for alias in district.aliases:
        target = by_name[alias.of]
        label = target.label if alias.misspelling else alias.text
        entry = replace(target, label=label, misspelling=alias.misspelling)
        if alias.text.isascii():
            max_words = max(max_words, len(_LATIN_TOKEN.findall(alias.text)))
            latin.setdefault(fold_latin(alias.text), entry)
        else:
            chinese.setdefault(_key(alias.text), entry)
    # Keys naming one place (same name, role and codes) share a reading harmlessly.
    identity = {k: f"{e.name}|{e.role}|{','.join(e.codes)}" for k, e in chinese.items()}
    typo_keys: dict[int, list[str]] = {}
    for name in chinese:
        if len(name) >= _FUZZY_MIN_CJK and all(is_cjk(ch) for ch in name):
            typo_keys.setdefault(len(name), []).append(name)
    sounds = build_sound_index(chinese, identity)
    return Gazetteer(chinese, latin, max_words, sounds, typo_keys)


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


def _road_word(text: str, key: str, end: int) -> bool:
    """建设路 in 建设路灯: the road name runs into another word."""
    return key.endswith("路") and text[end : end + 1] in _AFTER_ROAD


def _exact(text: str, gaz: Gazetteer) -> list[PlaceMatch]:
    found: list[PlaceMatch] = []
    for key, entry in gaz.chinese.items():
        start = text.find(key)
        while start != -1:
            end = start + len(key)
            if not _road_word(text, key, end):
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
    by_len = gaz.typo_keys
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
                found.append(PlaceMatch(start, end, window, gaz.chinese[key], "spelling"))
    return found


def _sound(spoken: Spoken, gaz: Gazetteer, taken: list[PlaceMatch]) -> list[PlaceMatch]:
    """`taken` plus the sound-alikes; a longer sound-alike replaces the names inside it.
    Digits are typed, never a sound-alike (李子8块)."""
    text = spoken.text
    spans = [(t.start, t.end) for t in taken]
    hits = [
        PlaceMatch(h.start, h.end, text[h.start : h.end], gaz.chinese[h.key], h.kind)
        for h in find_sounds(text, gaz.sounds, spans, spoken.numbers)
        if not _road_word(text, h.key, h.end)
    ]
    kept = [t for t in taken if not any(h.start <= t.start and t.end <= h.end for h in hits)]
    return kept + hits


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
            found.append(PlaceMatch(m.start(), m.end(), m[0], gaz.latin[key], "spelling"))
    return found


def _with_station(text: str, m: PlaceMatch, starts: set[int]) -> PlaceMatch:
    station = _STATION.match(text, m.end)
    if station is None or any(m.end <= s < station.end() for s in starts):
        return m
    return replace(m, end=station.end())


def find_places(text: str, district: District) -> list[PlaceMatch]:
    """Place names in `text`, in text order: exact matches first, then names that sound
    alike, then safe typo matches. Offsets and `text` refer to the matching form."""
    form = matching_form(text)
    spoken = speak_numbers(form)
    said = spoken.text
    gaz = gazetteer_for(district)
    taken = _exact(said, gaz)
    taken = _sound(spoken, gaz, taken)
    taken += _fuzzy_chinese(said, gaz, taken)
    taken += _fuzzy_latin(said, gaz, taken)
    starts = {m.start for m in taken}
    out: list[PlaceMatch] = []
    for m in taken:
        m = _with_station(said, m, starts)
        span = spoken.source(m.start, m.end)
        if span is not None:  # 二十八梯 is not 十八梯
            out.append(replace(m, start=span[0], end=span[1], text=form[span[0] : span[1]]))
    return sorted(out, key=lambda m: m.start)
