"""Which sub-district a location pin (WGS84, as Telegram sends it) is in, roughly.

We have no boundaries, only approximate centres, so the rule is:

1. outside the district's bounding box: outside;
2. farther than ``locate.max_km`` (1.5 km for Yuzhong) from every sub-district centre:
   outside. Yuzhong is 23 km² in 11 sub-districts, about 2 km² each (a circle of that area has
   a radius of 0.8 km), and neighbouring centres are 0.8 to 1.9 km apart, so a point of the
   district should lie within 1.5 km of some centre. The bounding box alone is not enough: it
   takes in the river banks opposite, e.g. 观音桥 (29.575, 106.531), 1.7 km from 上清寺's
   centre, the nearest;
3. nearer to a place of the additions file that is known to be outside (``outside[].at``)
   than to every centre: outside. The peninsula is narrow: the 江北嘴 bank, across the
   Jialing, is about 1 km from 朝天门's centre, so rule 2 alone would take it in.

Otherwise the nearest centre wins, with a medium confidence at best (centres are
approximate), and the second nearest is reported when it is almost as near. Known gap: a pin
on a river bank straight across from a centre (e.g. the south bank facing 南纪门) can still
count as inside; the bot always asks the resident to confirm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from bot.domain.district import District
from bot.domain.levels import Level, level_of

EARTH_RADIUS_M = 6_371_000.0
_CONFIDENCE = 0.6  # nearest of several approximate centres: never more than medium
_CONFIDENCE_CLOSE = 0.5  # two centres almost equally near

LocationReason = Literal["inside", "outside_bbox", "too_far", "nearer_outside"]


@dataclass(frozen=True, slots=True)
class LocationGuess:
    inside: bool
    code: str | None  # the nearest sub-district when inside, else None
    nearest: str  # code of the nearest centre, inside or not
    distance_m: float  # to that centre
    confidence: float
    level: Level
    runner_up: str | None  # second nearest, when within the rule's runner_up_km of the first
    runner_up_distance_m: float | None
    reason: LocationReason
    outside_place: str | None = None  # the outside place that was nearer (rule 3)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def locate(lat: float, lon: float, district: District) -> LocationGuess:
    """The sub-district a WGS84 point is likely in; see the module docstring for the rule."""
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"not a coordinate: {lat}, {lon}")
    rule = district.locate_rule
    ranked = sorted((haversine_m(lat, lon, s.lat, s.lon), s.code) for s in district.subdistricts)
    (d1, nearest), (d2, second) = ranked[0], ranked[1]

    def outside(reason: LocationReason, place: str | None = None) -> LocationGuess:
        return LocationGuess(False, None, nearest, d1, 0.0, "none", None, None, reason, place)

    if not district.bbox.contains(lat, lon):
        return outside("outside_bbox")
    if d1 > rule.max_km * 1000:
        return outside("too_far")
    for place in district.outside_places:
        if place.at is not None and haversine_m(lat, lon, *place.at) < d1:
            return outside("nearer_outside", place.name)
    close = d2 - d1 <= rule.runner_up_km * 1000
    confidence = _CONFIDENCE_CLOSE if close else _CONFIDENCE
    return LocationGuess(
        inside=True,
        code=nearest,
        nearest=nearest,
        distance_m=d1,
        confidence=confidence,
        level=level_of(confidence),
        runner_up=second if close else None,
        runner_up_distance_m=d2 if close else None,
        reason="inside",
    )
