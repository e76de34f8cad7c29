"""The district as configuration: sub-districts, communities, landmarks and place names.

Everything place-specific comes from JSON under ``bot/domain/data/``: the reference file
(``yuzhong.json``, kept verbatim from ../shared) plus our own additions next to it
(``yuzhong.extra.json``: aliases, misspellings, English names, roads that cross borders,
places outside the district, the reference prefix and the location rule). Another district is
another pair of files; no code changes.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

Confidence = Literal["H", "M", "L", "G"]
_CONFIDENCES: tuple[Confidence, ...] = ("H", "M", "L", "G")
DEFAULT_FILE = "yuzhong.json"


@dataclass(frozen=True, slots=True)
class BBox:
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


@dataclass(frozen=True, slots=True)
class Community:
    code: str
    name: str
    official: str
    subdistrict_code: str


@dataclass(frozen=True, slots=True)
class SubDistrict:
    code: str
    name: str  # 解放碑街道
    short: str  # 解放碑
    pinyin: str  # with tone marks, as in the data: Jiěfàngbēi
    latin: str  # pinyin without tone marks: Jiefangbei
    lat: float  # approximate centre, WGS84
    lon: float
    population_2010: int | None
    communities: tuple[Community, ...]


@dataclass(frozen=True, slots=True)
class Landmark:
    name: str
    subdistrict: str  # short name, as in the data
    code: str  # the sub-district's code
    confidence: Confidence  # H high, M medium, L low (conflicting sources), G guess


@dataclass(frozen=True, slots=True)
class FormerSubdistrict:
    name: str  # 望龙门街道
    short: str  # 望龙门
    abolished: int | None
    now_in: tuple[str, ...]  # short names of the successors, data order
    now_in_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Road:
    """A road that runs across sub-district borders: weak evidence for its main sub-district."""

    name: str
    codes: tuple[str, ...]  # the first is where most of it lies


@dataclass(frozen=True, slots=True)
class OutsidePlace:
    name: str
    district: str  # e.g. 江北区
    at: tuple[float, float] | None  # approximate WGS84 point, only where it helps `locate`
    en: str | None = None  # its English name, where the data gives one (Jiangbei District)


@dataclass(frozen=True, slots=True)
class Alias:
    """Another way of writing a known name (``of``): short form, English, or misspelling."""

    text: str
    of: str
    misspelling: bool


@dataclass(frozen=True, slots=True)
class LocateRule:
    max_km: float  # farther than this from every centre: outside
    runner_up_km: float  # a second centre this close to the first is reported too


@dataclass(frozen=True, slots=True)
class District:
    name: str
    code: str
    city: str
    reference_prefix: str
    bbox: BBox
    timezone: str
    subdistricts: tuple[SubDistrict, ...]
    former_subdistricts: tuple[FormerSubdistrict, ...]
    landmarks: tuple[Landmark, ...]
    roads: tuple[Road, ...]
    outside_places: tuple[OutsidePlace, ...]
    aliases: tuple[Alias, ...]
    locate_rule: LocateRule

    def by_code(self, code: str) -> SubDistrict | None:
        return next((s for s in self.subdistricts if s.code == code), None)

    def index_of(self, code: str) -> int:
        """Position in data order (short enough for callback data); ValueError if unknown."""
        for i, sub in enumerate(self.subdistricts):
            if sub.code == code:
                return i
        raise ValueError(f"unknown sub-district code {code!r}")

    def by_index(self, index: int | str) -> SubDistrict | None:
        """The inverse of `index_of`; accepts the string from button data, None if invalid."""
        if isinstance(index, str):
            if not (index.isascii() and index.isdigit()):
                return None
            index = int(index)
        return self.subdistricts[index] if 0 <= index < len(self.subdistricts) else None

    def find(self, key: str) -> SubDistrict | None:
        """By code, full name, short name or toneless pinyin (case-insensitive)."""
        folded = key.strip().casefold()
        for sub in self.subdistricts:
            if folded in (sub.code, sub.name, sub.short, sub.latin.casefold()):
                return sub
        return None


def strip_tones(text: str) -> str:
    """Jiěfàngbēi -> Jiefangbei."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def load_district(path: Path | None = None, *, extra: Path | None = None) -> District:
    """The district from a reference file; without `path`, the packaged default (cached).

    The additions are read from `extra`, or else from ``<stem>.extra.json`` next to `path` when
    that file exists; without additions there are no aliases, roads or outside places, the
    reference prefix is "REF" and the location rule 1.5 km / 0.3 km.
    """
    if path is None and extra is None:
        return _default_district()
    if path is None:
        base_text = _package_text(DEFAULT_FILE)
    else:
        base_text = path.read_text(encoding="utf-8")
        if extra is None:
            sibling = path.with_name(f"{path.stem}.extra.json")
            extra = sibling if sibling.exists() else None
    extra_data = json.loads(extra.read_text(encoding="utf-8")) if extra is not None else {}
    return build_district(json.loads(base_text), extra_data)


@cache
def _default_district() -> District:
    stem = DEFAULT_FILE.removesuffix(".json")
    return build_district(
        json.loads(_package_text(DEFAULT_FILE)),
        json.loads(_package_text(f"{stem}.extra.json")),
    )


def _package_text(name: str) -> str:
    return resources.files("bot.domain").joinpath("data", name).read_text(encoding="utf-8")


# --- parsing: small checked accessors, since json.loads gives Any ---------------------------


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: expected a non-empty string")
    return value


def _num(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: expected a number")
    return float(value)


def _pair(value: Any, where: str) -> tuple[float, float]:
    items = _list(value, where)
    if len(items) != 2:
        raise ValueError(f"{where}: expected [lat, lon]")
    return _num(items[0], where), _num(items[1], where)


def _confidence(value: Any, where: str) -> Confidence:
    for c in _CONFIDENCES:
        if value == c:
            return c
    raise ValueError(f"{where}: confidence must be one of H M L G")


def build_district(base: dict[str, Any], extra: dict[str, Any]) -> District:
    """Assemble and cross-check a District from parsed JSON (reference data + additions)."""
    head = _obj(base.get("district"), "district")
    code = _str(head.get("code"), "district.code")
    if extra.get("district_code", code) != code:
        raise ValueError("additions file is for another district")
    box = _obj(head.get("bbox_wgs84"), "district.bbox_wgs84")
    lats, lons = _pair(box.get("lat"), "bbox.lat"), _pair(box.get("lon"), "bbox.lon")

    subs = tuple(_subdistrict(_obj(s, "subdistrict")) for s in _list(base["subdistricts"], "s"))
    by_short = {s.short: s.code for s in subs}

    def code_of(short: Any, where: str) -> str:
        name = _str(short, where)
        if name not in by_short:
            raise ValueError(f"{where}: unknown sub-district {name!r}")
        return by_short[name]

    formers = []
    for raw in _list(base.get("former_subdistricts"), "former_subdistricts"):
        item = _obj(raw, "former")
        name = _str(item.get("name"), "former.name")
        now_in = tuple(_str(n, "former.now_in") for n in _list(item.get("now_in"), "now_in"))
        year = item.get("abolished")
        formers.append(
            FormerSubdistrict(
                name=name,
                short=name.removesuffix("街道"),
                abolished=year if isinstance(year, int) else None,
                now_in=now_in,
                now_in_codes=tuple(code_of(n, f"former {name}") for n in now_in),
            )
        )

    landmarks: list[Landmark] = []
    for raw in [*_list(base.get("landmarks"), "landmarks"), *_list(extra.get("landmarks"), "x")]:
        item = _obj(raw, "landmark")
        name = _str(item.get("name"), "landmark.name")
        short = _str(item.get("subdistrict"), f"landmark {name}")
        landmarks.append(
            Landmark(
                name=name,
                subdistrict=short,
                code=code_of(short, f"landmark {name}"),
                confidence=_confidence(item.get("confidence"), f"landmark {name}"),
            )
        )

    roads = tuple(
        Road(
            name=_str(_obj(r, "road").get("name"), "road.name"),
            codes=tuple(code_of(s, "road") for s in _list(r.get("subdistricts"), "road")),
        )
        for r in _list(extra.get("roads"), "roads")
    )
    outside = tuple(
        OutsidePlace(
            name=_str(_obj(o, "outside").get("name"), "outside.name"),
            district=_str(o.get("district"), "outside.district"),
            at=_pair(o["at"], "outside.at") if "at" in o else None,
            en=next(iter(_list(o.get("en", []), "outside.en")), None),
        )
        for o in _list(extra.get("outside"), "outside")
    )

    aliases = _aliases(extra)
    known = {s.name for s in subs} | set(by_short) | {f.name for f in formers}
    known |= {f.short for f in formers} | {lm.name for lm in landmarks}
    known |= {c.name for s in subs for c in s.communities} | {r.name for r in roads}
    known |= {o.name for o in outside}
    for alias in aliases:
        if alias.of not in known:
            raise ValueError(f"alias {alias.text!r} points to unknown name {alias.of!r}")

    rule = _obj(extra.get("locate", {"max_km": 1.5, "runner_up_km": 0.3}), "locate")
    return District(
        name=_str(head.get("name"), "district.name"),
        code=code,
        city=str(head.get("city", "")),
        reference_prefix=_str(extra.get("reference_prefix", "REF"), "reference_prefix"),
        bbox=BBox(min_lat=lats[0], max_lat=lats[1], min_lon=lons[0], max_lon=lons[1]),
        timezone=_str(head.get("timezone", "Asia/Shanghai"), "district.timezone"),
        subdistricts=subs,
        former_subdistricts=tuple(formers),
        landmarks=tuple(landmarks),
        roads=roads,
        outside_places=outside,
        aliases=aliases,
        locate_rule=LocateRule(
            max_km=_num(rule.get("max_km"), "locate.max_km"),
            runner_up_km=_num(rule.get("runner_up_km"), "locate.runner_up_km"),
        ),
    )


def _subdistrict(item: dict[str, Any]) -> SubDistrict:
    code = _str(item.get("code"), "subdistrict.code")
    lat, lon = _pair(item.get("centre_wgs84"), f"subdistrict {code} centre")
    pinyin = _str(item.get("pinyin"), f"subdistrict {code} pinyin")
    population = item.get("population_2010")
    communities = tuple(
        Community(
            code=_str(_obj(c, "community").get("code"), "community.code"),
            name=_str(c.get("name"), "community.name"),
            official=str(c.get("official", "")),
            subdistrict_code=code,
        )
        for c in _list(item.get("communities"), f"subdistrict {code} communities")
    )
    return SubDistrict(
        code=code,
        name=_str(item.get("name"), f"subdistrict {code} name"),
        short=_str(item.get("short"), f"subdistrict {code} short"),
        pinyin=pinyin,
        latin=strip_tones(pinyin),
        lat=lat,
        lon=lon,
        population_2010=population if isinstance(population, int) else None,
        communities=communities,
    )


def _aliases(extra: dict[str, Any]) -> tuple[Alias, ...]:
    """Flatten the additions' alias lists: ``names`` entries and inline ones on places."""
    out: list[Alias] = []
    entries = [
        *_list(extra.get("names"), "names"),
        *_list(extra.get("landmarks"), "landmarks"),
        *_list(extra.get("outside"), "outside"),
    ]
    for raw in entries:
        item = _obj(raw, "names")
        of = _str(item.get("of", item.get("name")), "names.of")
        for text in [*_list(item.get("aliases"), of), *_list(item.get("en"), of)]:
            out.append(Alias(text=_str(text, of), of=of, misspelling=False))
        for text in _list(item.get("misspellings"), of):
            out.append(Alias(text=_str(text, of), of=of, misspelling=True))
    return tuple(out)
