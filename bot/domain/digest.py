"""What a member's digest says, worked out from its items: counts and their change against
the previous period, clusters of similar opinions, top categories, safety highlights.

Plain data in, plain data out; the digests feature renders it in the member's language.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.clustering import Cluster, cluster_texts
from bot.domain.text import mask_personal_data

#: Highlighted first, in this order: what can hurt people.
SAFETY_FIRST = ("fire_safety", "electrical_safety", "public_order")
#: The key counts use for an item not yet placed in a sub-district.
UNPLACED = "-"


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One opinion as members may see it: the text already masked."""

    opinion_id: int
    subdistrict: str | None
    category: str
    status: str
    text: str
    created_at: datetime
    visible_at: datetime
    moved_from: str | None = None
    photo_count: int = 0
    has_location: bool = False
    supporters: int = 0  # residents who joined it besides its author
    progress: str | None = None  # its follow-up ("reopened" is marked in digests)

    @property
    def residents(self) -> int:
        return 1 + self.supporters


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    number: int  # 1, 2, … in the order shown
    label: str
    opinion_ids: tuple[int, ...]
    residents: int  # authors and supporters of its items

    @property
    def size(self) -> int:
        return len(self.opinion_ids)


@dataclass(frozen=True, slots=True)
class SubdistrictCount:
    code: str | None
    count: int
    previous: int | None  # None: no previous period to compare with

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.count - self.previous


@dataclass(frozen=True, slots=True)
class DigestContent:
    period_start: datetime
    period_end: datetime
    items: tuple[DigestItem, ...]
    previous_total: int | None
    by_subdistrict: tuple[SubdistrictCount, ...]
    top_categories: tuple[tuple[str, int], ...]
    clusters: tuple[ClusterSummary, ...]  # every item is in exactly one
    highlights: tuple[DigestItem, ...]

    @property
    def total(self) -> int:
        return len(self.items)

    def cluster_of(self, opinion_id: int) -> ClusterSummary | None:
        for cluster in self.clusters:
            if opinion_id in cluster.opinion_ids:
                return cluster
        return None


def masked(text: str | None) -> str:
    return mask_personal_data(text) if text else ""


def counts_by_subdistrict(items: Sequence[DigestItem]) -> dict[str, int]:
    return dict(Counter(item.subdistrict or UNPLACED for item in items))


def compose(
    items: Sequence[DigestItem],
    *,
    period_start: datetime,
    period_end: datetime,
    followed: Sequence[str],
    subdistrict_order: Sequence[str],
    previous_counts: Mapping[str, int] | None,
    highlight_limit: int = 5,
) -> DigestContent:
    """The digest of `items` for a member following `followed` ("*" for all)."""
    ordered = sorted(
        items,
        key=lambda i: (_order(i.subdistrict, subdistrict_order), i.visible_at, i.opinion_id),
    )
    counts = counts_by_subdistrict(ordered)
    shown = [c for c in subdistrict_order if c in followed] if "*" not in followed else []
    for code in [*subdistrict_order, UNPLACED]:
        if code not in shown and (counts.get(code) or (previous_counts or {}).get(code)):
            shown.append(code)
    by_sub = tuple(
        SubdistrictCount(
            None if code == UNPLACED else code,
            counts.get(code, 0),
            None if previous_counts is None else previous_counts.get(code, 0),
        )
        for code in shown
    )
    categories = Counter(item.category for item in ordered)
    top = tuple(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0])))
    clusters = tuple(
        ClusterSummary(
            n,
            c.label,
            tuple(ordered[i].opinion_id for i in c.members),
            sum(ordered[i].residents for i in c.members),
        )
        for n, c in enumerate(_clusters(tuple(item.text for item in ordered)), start=1)
    )
    safety = [i for i in ordered if i.category in SAFETY_FIRST]
    safety.sort(key=lambda i: (SAFETY_FIRST.index(i.category), i.visible_at))
    return DigestContent(
        period_start=period_start,
        period_end=period_end,
        items=tuple(ordered),
        previous_total=None if previous_counts is None else sum(previous_counts.values()),
        by_subdistrict=by_sub,
        top_categories=top,
        clusters=clusters,
        highlights=tuple(safety[:highlight_limit]),
    )


@functools.lru_cache(maxsize=32)
def _clusters(texts: tuple[str, ...]) -> list[Cluster]:
    """Members of one sub-district get the same items: cluster them once per round."""
    return cluster_texts(texts)


def _order(code: str | None, order: Sequence[str]) -> int:
    return order.index(code) if code in order else len(order)
