"""Suggest the sub-district of an opinion from its text (and re-export the other suggesters).

No jieba: place names are matched against the district's own gazetteer by longest substring,
which finds compounds like 解放碑步行街 or 煤建新村 whole, where jieba's general dictionary
would split them or merge them with neighbouring words; categories use multi-character
keywords the same way, so a word segmenter would add a dependency without adding recall.

Scoring. Each distinct place found is one piece of evidence with a weight:
sub-district name 1.0 > short name 0.9 > community 0.8 > landmark H 0.8 / M 0.6 / L 0.4 /
G 0.25; a road that crosses borders 0.5 for its main sub-district and half that for the others;
a former sub-district 0.8 shared among its successors. A known misspelling or a name that
sounds the same (bot/domain/sounds.py) counts 0.95 of the name; one that sounds the same only
under Chongqing merges (n/l, z/zh…) 0.7; a guessed one-character typo 0.75. Evidence for one
sub-district adds up as independent hints (1 - Π(1 - w)). Confidence is the best support times
its share of all support, places outside the district included, so conflicting evidence
lowers it. A tie has no best: the bot asks.

Where the problem is. A resident often names two places: where they work and where they live,
where they lived and where they moved. Words around a name say which one the opinion is
about (`cue_of`): 住在 X, 我家在 X, 搬到 X (the new home), X 这边 / 附近 / 门口 / 楼下 raise it;
X 上班 / 工作, 以前 / 原来 … X, 从 X, 路过 X, 去 X lower it. A lowered place counts a fraction of
its weight; a raised one, when other places compete with it, counts more. A place outside the
district is always reported; it takes the code away when it outweighs the district's best, and
otherwise keeps the district's confidence below "high" unless the cues clearly put the problem
inside (the district's place raised, no outside place raised).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, NamedTuple

from bot.domain.categories import (
    CATEGORIES,
    Category,
    CategoryGuess,
    category_by_key,
    category_label,
    suggest_category,
)
from bot.domain.district import District
from bot.domain.gazetteer import PlaceMatch, find_places
from bot.domain.geo import LocationGuess, locate
from bot.domain.levels import Level, level_of
from bot.domain.text import matching_form

__all__ = [
    "CATEGORIES",
    "Category",
    "CategoryGuess",
    "Cue",
    "LocationGuess",
    "OutsideMention",
    "PlaceMatch",
    "SubdistrictGuess",
    "category_by_key",
    "category_label",
    "cue_of",
    "locate",
    "suggest_category",
    "suggest_subdistrict",
]

_ROLE_WEIGHT = {
    "subdistrict": 1.0,
    "short": 0.9,
    "community": 0.8,
    "road": 0.5,
    "former": 0.8,
    "outside": 0.8,
}
_LANDMARK_WEIGHT = {"H": 0.8, "M": 0.6, "L": 0.4, "G": 0.25}
_KIND_WEIGHT = {"exact": 1.0, "spelling": 0.75, "sound": 0.95, "loose_sound": 0.7}
_MISSPELLING = 0.95
_ROAD_SIDE = 0.5  # share of a road's weight for the sub-districts it only touches
_TIE = 1e-9
_LOWERED = 0.15  # share of its weight a lowered place keeps
_RAISED_DOUBT = 0.5  # a raised place among others: its doubt (1 - w) shrinks by this
_OUTSIDE_CAP = 0.7  # best confidence while an outside place is named and the cues don't settle it

Cue = Literal["raise", "lower", "neutral"]

# Clauses: cues act within one. 但是 and "but" turn to another place as a comma does.
_CLAUSE = re.compile(r"[，。！？；：,.!?;:\n]|但是|不过|可是|\bbut\b", re.IGNORECASE)
# A past-time word earlier in the clause lowers a name, unless a word of the present comes
# between them (以前住大坪，现在搬到… is two clauses anyway; 原来…后来搬到 X is one).
_PAST = re.compile(r"以前|原来|之前|过去|从前|曾经|小时候|\bused to\b|\bformerly\b", re.I)
_PRESENT = re.compile(r"现在|如今|目前|后来|搬到|搬去|搬来|搬进|\bnow\b", re.I)
# Ending at most _GAP characters before the name (住在渝中区七星岗: 渝中区 between).
_RAISE_BEFORE = re.compile(
    r"住在|住的是|住的|(?<![堵挡拦围忍记抓不])住|家在|我家|屋头|我们小区|小区在|就在|"
    r"搬到|搬去|搬来|搬进|\blive (?:in|at|near|by)|\bliving (?:in|at|near)|\bmoved to|"
    r"\bhome is (?:in|at|near)",
    re.I,
)
_LOWER_BEFORE = re.compile(
    r"从|路过|经过|(?<![过出回下上])去|\bfrom|\bwork (?:in|at)|\bworking (?:in|at)|"
    r"\bpass(?:ing|ed)? by|\bpassing|\bwent to|\bgo(?:ing)? to|\bvisit(?:ed|ing)?",
    re.I,
)
# Starting at most _GAP characters after the name (朝天门那边上班: 那边 between).
_RAISE_AFTER = re.compile(
    r"这边|这里|这儿|这块|这一块|那边|那里|那儿|那块|那一块|附近|旁边|门口|楼下|一带|周边|"
    r"下面|下头|对面|里面|外面"
)
# Not 来的 / 过来: 站出来的 is where one comes out; 从 X 来 is caught by 从.
_LOWER_AFTER = re.compile(r"上班|工作|上学|读书|打工|出发|买东西|吃饭|办事|玩|耍|逛")
_GAP = 3


class OutsideMention(NamedTuple):
    name: str  # 观音桥
    district: str  # 江北区


@dataclass(frozen=True, slots=True)
class SubdistrictGuess:
    code: str | None  # best sub-district code; None when nothing points to one, or a tie
    confidence: float  # 0..1, confidence in `code`
    level: Level
    evidence: tuple[str, ...]  # names behind `code` (all names found when there is no code)
    candidates: tuple[str, ...]  # codes to offer first, best first
    former_name: str | None  # 望龙门 when a former sub-district (or a place in it) was named
    outside: OutsideMention | None  # first place outside the district that was named
    matches: tuple[PlaceMatch, ...]
    cues: tuple[Cue, ...] = ()  # per match: does the text put the problem there?


def _clause(form: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in _CLAUSE.finditer(form, 0, start)), default=0)
    right = next((m.start() for m in _CLAUSE.finditer(form, end)), len(form))
    return left, right


def _near_before(pattern: re.Pattern[str], head: str) -> bool:
    return any(len(head) - m.end() <= _GAP for m in pattern.finditer(head))


def _near_after(pattern: re.Pattern[str], tail: str) -> bool:
    return any(m.start() <= _GAP for m in pattern.finditer(tail))


def cue_of(form: str, match: PlaceMatch, others: list[PlaceMatch]) -> Cue:
    """Does the text put the problem at `match`? `form` is the text's matching form."""
    left, right = _clause(form, match.start, match.end)
    # Only the words between this name and its neighbours speak of it.
    for o in others:
        if o is not match and left <= o.end <= match.start:
            left = o.end
        if o is not match and match.end <= o.start < right:
            right = o.start
    head, tail = form[left : match.start], form[match.end : right]
    pasts = [m.end() for m in _PAST.finditer(form, *_clause(form, match.start, match.end))]
    past = any(p <= match.start and not _PRESENT.search(form, p, match.start) for p in pasts)
    at_the = head.endswith("在") and tail.startswith("的")  # 在解放碑的停车场
    if past or _near_before(_LOWER_BEFORE, head) or _near_after(_LOWER_AFTER, tail):
        return "lower"
    if at_the or _near_before(_RAISE_BEFORE, head) or _near_after(_RAISE_AFTER, tail):
        return "raise"
    return "neutral"


def _weight(m: PlaceMatch) -> float:
    entry = m.entry
    if entry.role == "landmark" and entry.confidence is not None:
        w = _LANDMARK_WEIGHT[entry.confidence]
    else:
        w = _ROLE_WEIGHT[entry.role]
    w *= _KIND_WEIGHT[m.kind]
    return w * _MISSPELLING if entry.misspelling and m.kind == "exact" else w


def _cued(w: float, cue: Cue, competing: bool) -> float:
    if cue == "lower":
        return w * _LOWERED
    if cue == "raise" and competing:
        return 1 - (1 - w) * _RAISED_DOUBT
    return w


def _shares(m: PlaceMatch, w: float) -> list[tuple[str, float]]:
    """How one piece of evidence is spread over sub-districts."""
    codes = m.entry.codes
    if m.entry.role == "road":
        return [(codes[0], w)] + [(c, w * _ROAD_SIDE) for c in codes[1:]]
    return [(c, w / len(codes)) for c in codes]


class _Place(NamedTuple):
    match: PlaceMatch  # the strongest mention
    cue: Cue


def _places(matches: list[PlaceMatch], cues: list[Cue]) -> list[_Place]:
    """One piece of evidence per place, however often or however spelled it is named; a cue
    raising any mention raises the place, else one lowering any mention lowers it."""
    places: dict[tuple[str, str], _Place] = {}
    for m, cue in zip(matches, cues, strict=True):
        key = (m.entry.name, m.entry.role)
        old = places.get(key)
        if old is None:
            places[key] = _Place(m, cue)
            continue
        best = m if _weight(m) > _weight(old.match) else old.match
        merged: Cue = "raise" if "raise" in (cue, old.cue) else old.cue
        if merged == "neutral" and cue == "lower":
            merged = "lower"
        places[key] = _Place(best, merged)
    return list(places.values())


def suggest_subdistrict(text: str, district: District) -> SubdistrictGuess:
    """The likeliest sub-district for `text`, with the evidence and what to offer first."""
    matches = find_places(text, district)
    form = matching_form(text)
    cues = [cue_of(form, m, matches) for m in matches]
    places = _places(matches, cues)
    competing = len(places) > 1
    doubt: dict[str, float] = {}  # code -> Π(1 - w)
    first_seen: dict[str, int] = {}
    raised: set[str] = set()
    outside_doubt = 1.0
    outside: OutsideMention | None = None
    outside_raised = False
    former: str | None = None
    for m, cue in places:
        w = _cued(_weight(m), cue, competing)
        if m.entry.role == "outside":
            outside_doubt *= 1 - w
            outside_raised |= cue == "raise"
            if outside is None:
                outside = OutsideMention(m.entry.name, m.entry.district or "")
            continue
        if m.entry.role == "former" and former is None:
            former = m.entry.name
        for code, share in _shares(m, w):
            doubt[code] = doubt.get(code, 1.0) * (1 - share)
            first_seen.setdefault(code, len(first_seen))
            if cue == "raise":
                raised.add(code)

    support = {code: 1 - d for code, d in doubt.items()}
    ranked = sorted(support, key=lambda c: (-support[c], first_seen[c]))
    total = sum(support.values()) + (1 - outside_doubt)
    best: str | None = None
    confidence = 0.0
    if ranked and (len(ranked) == 1 or support[ranked[0]] - support[ranked[1]] > _TIE):
        best = ranked[0]
        confidence = support[best] ** 2 / total
    if best is not None and outside is not None:
        if 1 - outside_doubt >= support[best]:
            best, confidence = None, 0.0  # the problem is across the border
        elif best not in raised or outside_raised:
            confidence = min(confidence, _OUTSIDE_CAP)
    confidence = round(confidence, 3)
    counted = [p.match for p in places]
    if best is None:
        evidence = [m.entry.label for m in counted]
    else:
        evidence = [m.entry.label for m in counted if best in m.entry.codes]
    return SubdistrictGuess(
        code=best,
        confidence=confidence,
        level=level_of(confidence),
        evidence=tuple(dict.fromkeys(evidence)),
        candidates=tuple(ranked),
        former_name=former,
        outside=outside,
        matches=tuple(matches),
        cues=tuple(cues),
    )
