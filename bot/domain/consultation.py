"""Consultations (渝事好商量) without Telegram: deadlines as admins give them, and what a
closed consultation's summary says (counts, clusters of similar contributions, highlights).

Plain data in, plain data out; the consultations feature renders it in each reader's
language and draws its chart.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.domain.clustering import cluster_texts
from bot.domain.district import District
from bot.domain.text import mask_personal_data
from bot.domain.text import shorten as one_line

#: The deadline buttons, in days.
DEADLINE_DAYS = (3, 7, 14, 30)
#: A deadline further away than this is a typing mistake, not a consultation.
MAX_DAYS = 366
#: A typed date alone means the end of that day (23:59 in the district's zone).
END_OF_DAY = time(23, 59)
#: Representative texts quoted in the summary, and how much of each.
HIGHLIGHTS = 5
HIGHLIGHT_CHARS = 120

_DATE = re.compile(
    r"^(?:(?P<y>\d{4})[-/.年])?(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
    r"(?:\s*(?P<h>\d{1,2})[:：](?P<min>\d{2}))?$"
)


def deadline_after(days: int, now: datetime, tz: tzinfo) -> datetime:
    """The end of the day `days` days from now, local time: "7 天" gives a whole last day."""
    last = (now.astimezone(tz) + timedelta(days=days)).date()
    return datetime.combine(last, END_OF_DAY, tzinfo=tz)


def parse_deadline(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """A typed deadline: "2026-12-20", "12-20 18:00", "12月20日", in `tz`. A date without
    a year is the next such date. None when it is not a date, not in the future, or more
    than a year away."""
    cleaned = text.strip().replace("　", " ")
    m = _DATE.match(cleaned)
    if m is None:
        return None
    local_now = now.astimezone(tz)
    try:
        hour = int(m["h"]) if m["h"] else END_OF_DAY.hour
        minute = int(m["min"]) if m["min"] else END_OF_DAY.minute
        at = time(hour, minute)
        year = int(m["y"]) if m["y"] else local_now.year
        day = date(year, int(m["m"]), int(m["d"]))
        moment = datetime.combine(day, at, tzinfo=tz)
        if not m["y"] and moment <= local_now:
            moment = datetime.combine(date(year + 1, day.month, day.day), at, tzinfo=tz)
    except ValueError:  # 02-30, 25:00
        return None
    if moment <= local_now or moment - local_now > timedelta(days=MAX_DAYS):
        return None
    return moment


@dataclass(frozen=True, slots=True)
class Piece:
    """One contribution as the summary sees it (the text unmasked; the summary masks it)."""

    opinion_id: int
    resident_id: int | None
    subdistrict: str | None
    category: str
    text: str


@dataclass(frozen=True, slots=True)
class Group:
    """Similar contributions: how many, from how many residents, and a label."""

    label: str
    opinion_ids: tuple[int, ...]
    residents: int


@dataclass(frozen=True, slots=True)
class Summary:
    contributions: int
    residents: int
    by_subdistrict: tuple[tuple[str | None, int], ...]  # the consultation's order first
    by_category: tuple[tuple[str, int], ...]  # most first
    groups: tuple[Group, ...]  # largest first; every contribution in exactly one
    highlights: tuple[str, ...]  # representative texts, masked and shortened


def _residents(pieces: Sequence[Piece]) -> int:
    """Distinct authors; an erased author counts once per contribution (nothing to tell
    them apart by, and never fewer residents than there were)."""
    known = {p.resident_id for p in pieces if p.resident_id is not None}
    return len(known) + sum(1 for p in pieces if p.resident_id is None)


def shorten(text: str, limit: int = HIGHLIGHT_CHARS) -> str:
    return one_line(text, limit)


def summarise(
    pieces: Sequence[Piece], subdistricts: Sequence[str], district: District | None = None
) -> Summary:
    """What a closed consultation gathered: counts by sub-district (each of the
    consultation's, zeros included, then any other) and topic, clusters of similar
    contributions by the digests' own measure, and a representative text of the largest
    clusters, masked of phone and ID numbers."""
    by_sub = Counter(p.subdistrict for p in pieces)
    order: list[str | None] = [*subdistricts]
    order += sorted((c for c in by_sub if c not in order), key=lambda c: (c is None, c or ""))
    by_category = sorted(
        Counter(p.category for p in pieces).items(), key=lambda kv: (-kv[1], kv[0])
    )
    groups: list[Group] = []
    highlights: list[str] = []
    # Masked before clustering, as digests and exports do: a label is cut from its text, and
    # a number cut in two by that is no longer found by the mask.
    texts = [mask_personal_data(p.text) for p in pieces]
    if texts:
        for cluster in cluster_texts(texts, district=district):
            members = [pieces[i] for i in cluster.members]
            groups.append(
                Group(cluster.label, tuple(p.opinion_id for p in members), _residents(members))
            )
            if len(highlights) < HIGHLIGHTS:
                highlights.append(shorten(texts[cluster.representative]))
    return Summary(
        contributions=len(pieces),
        residents=_residents(pieces),
        by_subdistrict=tuple((c, by_sub.get(c, 0)) for c in order),
        by_category=tuple(by_category),
        groups=tuple(groups),
        highlights=tuple(highlights),
    )
