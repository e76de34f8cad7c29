"""Suggest the sub-district of an opinion from its text (and re-export the other suggesters).

No jieba: place names are matched against the district's own gazetteer by longest substring,
which finds compounds like 解放碑步行街 or 煤建新村 whole, where jieba's general dictionary
would split them or merge them with neighbouring words; categories use multi-character
keywords the same way, so a word segmenter would add a dependency without adding recall.

Scoring. Each distinct name found is one piece of evidence with a weight:
sub-district name 1.0 > short name 0.9 > community 0.8 > landmark H 0.8 / M 0.6 / L 0.4 /
G 0.25; a road that crosses borders 0.5 for its main sub-district and half that for the others;
a former sub-district 0.8 shared among its successors. A known misspelling counts 0.9 of the
name, a guessed typo 0.75. Evidence for one sub-district adds up as independent hints
(1 - Π(1 - w)). Confidence is the best support times its share of all support, places outside
the district included, so conflicting evidence lowers it. A tie has no best: the bot asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

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

__all__ = [
    "CATEGORIES",
    "Category",
    "CategoryGuess",
    "LocationGuess",
    "OutsideMention",
    "PlaceMatch",
    "SubdistrictGuess",
    "category_by_key",
    "category_label",
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
_MISSPELLING = 0.9
_FUZZY = 0.75
_ROAD_SIDE = 0.5  # share of a road's weight for the sub-districts it only touches
_TIE = 1e-9


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


def _weight(m: PlaceMatch) -> float:
    entry = m.entry
    if entry.role == "landmark" and entry.confidence is not None:
        w = _LANDMARK_WEIGHT[entry.confidence]
    else:
        w = _ROLE_WEIGHT[entry.role]
    if m.fuzzy:
        return w * _FUZZY
    return w * _MISSPELLING if entry.misspelling else w


def _shares(m: PlaceMatch) -> list[tuple[str, float]]:
    """How one piece of evidence is spread over sub-districts."""
    w, codes = _weight(m), m.entry.codes
    if m.entry.role == "road":
        return [(codes[0], w)] + [(c, w * _ROAD_SIDE) for c in codes[1:]]
    return [(c, w / len(codes)) for c in codes]


def suggest_subdistrict(text: str, district: District) -> SubdistrictGuess:
    """The likeliest sub-district for `text`, with the evidence and what to offer first."""
    matches = find_places(text, district)
    seen: set[tuple[str, str]] = set()
    doubt: dict[str, float] = {}  # code -> Π(1 - w)
    first_seen: dict[str, int] = {}
    outside_doubt = 1.0
    outside: OutsideMention | None = None
    former: str | None = None
    counted: list[PlaceMatch] = []
    for m in matches:
        key = (m.entry.label, m.entry.role)
        if key in seen:
            continue  # the same name twice is one piece of evidence
        seen.add(key)
        counted.append(m)
        if m.entry.role == "outside":
            outside_doubt *= 1 - _weight(m)
            if outside is None:
                outside = OutsideMention(m.entry.name, m.entry.district or "")
            continue
        if m.entry.role == "former" and former is None:
            former = m.entry.name
        for code, w in _shares(m):
            doubt[code] = doubt.get(code, 1.0) * (1 - w)
            first_seen.setdefault(code, len(first_seen))

    support = {code: 1 - d for code, d in doubt.items()}
    ranked = sorted(support, key=lambda c: (-support[c], first_seen[c]))
    total = sum(support.values()) + (1 - outside_doubt)
    best: str | None = None
    confidence = 0.0
    if ranked and (len(ranked) == 1 or support[ranked[0]] - support[ranked[1]] > _TIE):
        best = ranked[0]
        confidence = round(support[best] ** 2 / total, 3)
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
    )
