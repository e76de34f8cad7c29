"""The 三率 (response, resolution and satisfaction rates), time to first response and
reopenings, per sub-district and period: plain functions over plain facts, so the one
definition is shared by /stats, digests and exports and tested on its own.

Definitions (README "三率" says the same):

- **Items of a period** [start, end): opinions visible to members now (status received; not
  pending, held, rejected, hidden or merged) whose `visible_at` falls in the period. Hidden
  and merged items are left out: an admin took them away from members (a merged one's
  residents count as supporters of the item it joined), so members cannot act on them and
  must not be judged on them. An item counts for the sub-district it is tagged with now.
- **Response rate** = items with a first response (any member action) within
  `response_days` of `visible_at` ÷ items already judged, where an item is judged once it
  was answered in time or once its window has passed (`visible_at + response_days <= now`).
  An item still inside its window and not yet answered is neither a success nor a failure
  yet: counting it would make every recent period look bad. A late answer counts against.
- **Resolution rate** = items whose follow-up stands at "resolved" now ÷ items (a reopened
  item is no longer resolved).
- **Satisfaction** = rated items rated 4 or 5 ÷ rated items (the latest rating of each,
  given since its latest resolution). An item its resident reopened counts as rated and
  not satisfied, whatever its stars: reopening says it is not solved, and a low rating
  followed by a reopening must not drop out of the figure.
- **Median time to first response**: over items with a first response (in time or late).
- **Reopenings**: "reopened" actions (opinion_actions) whose time falls in the period, on
  items visible now, whenever those items were first seen.

A rate whose denominator is 0 is None (shown "—"), never a division by zero.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: The key of items not yet placed in a sub-district (as digests count them).
UNPLACED = "-"
#: "/stats" and "/export" with no dates: this many days, today included.
DEFAULT_DAYS = 30
#: Longest period /stats and /export accept, in days.
MAX_DAYS = 1100
#: Ratings from this up count as satisfied.
SATISFIED_FROM = 4
NO_VALUE = "—"


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rates need of one item."""

    subdistrict: str | None
    visible_at: datetime
    first_response_at: datetime | None = None
    resolved: bool = False  # its follow-up stands at "resolved" now
    rating: int | None = None
    reopened: bool = False  # its follow-up stands at "reopened" now


@dataclass(frozen=True, slots=True)
class Rates:
    """The figures of a set of items; rates are None when nothing could be measured."""

    items: int = 0
    answered_in_time: int = 0
    judged: int = 0  # the response rate's denominator
    responded: int = 0  # with a first response at all
    resolved: int = 0
    rated: int = 0
    satisfied: int = 0
    median_response: timedelta | None = None
    reopened: int = 0

    @property
    def response_rate(self) -> float | None:
        return _share(self.answered_in_time, self.judged)

    @property
    def resolution_rate(self) -> float | None:
        return _share(self.resolved, self.items)

    @property
    def satisfaction(self) -> float | None:
        return _share(self.satisfied, self.rated)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def answered_in_time(item: Facts, window: timedelta) -> bool:
    return item.first_response_at is not None and (
        item.first_response_at - item.visible_at <= window
    )


def rates(items: Iterable[Facts], reopened: int = 0, *, now: datetime, response_days: int) -> Rates:
    """The figures of `items` as of `now` (see the module's definitions); `reopened` is the
    number of reopen actions in the period, counted by the caller."""
    window = timedelta(days=response_days)
    chosen = list(items)
    in_time = [answered_in_time(i, window) for i in chosen]
    judged = sum(
        1 for i, ok in zip(chosen, in_time, strict=True) if ok or i.visible_at + window <= now
    )
    delays = sorted(
        max(i.first_response_at - i.visible_at, timedelta(0))
        for i in chosen
        if i.first_response_at is not None
    )
    ratings = [i.rating for i in chosen if i.rating is not None]
    return Rates(
        items=len(chosen),
        answered_in_time=sum(in_time),
        judged=judged,
        responded=len(delays),
        resolved=sum(1 for i in chosen if i.resolved),
        rated=len(ratings),
        satisfied=sum(
            1
            for i in chosen
            if i.rating is not None and i.rating >= SATISFIED_FROM and not i.reopened
        ),
        median_response=median(delays),
        reopened=reopened,
    )


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The middle value of sorted `values` (the mean of the two middle ones for an even
    count); None for none."""
    if not values:
        return None
    mid = len(values) // 2
    if len(values) % 2:
        return values[mid]
    return (values[mid - 1] + values[mid]) / 2


def key_of(subdistrict: str | None) -> str:
    return subdistrict or UNPLACED


def rates_by_subdistrict(
    items: Iterable[Facts],
    reopens: Iterable[str | None],
    *,
    now: datetime,
    response_days: int,
) -> dict[str, Rates]:
    """`rates` per sub-district code (UNPLACED for items not placed); `reopens` names the
    sub-district of each reopen action of the period."""
    grouped: dict[str, list[Facts]] = defaultdict(list)
    for item in items:
        grouped[key_of(item.subdistrict)].append(item)
    reopen_counts: dict[str, int] = defaultdict(int)
    for code in reopens:
        reopen_counts[key_of(code)] += 1
    return {
        code: rates(
            grouped.get(code, []),
            reopen_counts.get(code, 0),
            now=now,
            response_days=response_days,
        )
        for code in sorted(set(grouped) | set(reopen_counts))
    }


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC, and the local dates it covers (both included)."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def previous(self, tz: ZoneInfo) -> Period:
        """The period of the same number of days just before this one."""
        return days_period(
            self.first_day - timedelta(days=self.days), self.first_day - timedelta(days=1), tz
        )

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def days_period(first: date, last: date, tz: ZoneInfo) -> Period:
    """Whole local days `first`..`last` (both included), as UTC bounds."""
    start = datetime.combine(first, time(0), tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tz)
    return Period(start, end, first, last)


def last_days(days: int, today: date, tz: ZoneInfo) -> Period:
    """The last `days` local days, today included."""
    return days_period(today - timedelta(days=days - 1), today, tz)


@dataclass(frozen=True, slots=True)
class Asked:
    """What /stats or /export was asked for: the period and the other words (sub-districts)."""

    period: Period
    words: tuple[str, ...]


class PeriodError(ValueError):
    """Why the words do not make a period: `reason` is a text key, `word` what was wrong."""

    def __init__(self, reason: str, word: str = "") -> None:
        super().__init__(reason, word)
        self.reason = reason
        self.word = word


_FULL_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_SHORT_DATE = re.compile(r"(\d{1,2})[-/.月](\d{1,2})日?")
_DAYS = re.compile(r"(\d{1,4})(?:天|日|d|days?)?", re.IGNORECASE)
_RANGE_MARKS = re.compile(r"[~～至到]|\s+-\s+|—|–")


def parse_period(words: Sequence[str], today: date, tz: ZoneInfo) -> Asked:
    """`[N]`, `[from] [to]` (YYYY-MM-DD or MM-DD, also 2026年11月1日, full-width digits,
    "11-01至11-30"), then any other words; no dates: the last DEFAULT_DAYS days. MM-DD is in
    this year, or last year when that day is still to come. Raises PeriodError."""
    tokens: list[str] = []
    for word in words:
        form = unicodedata.normalize("NFKC", word)
        tokens.extend(t for t in _RANGE_MARKS.sub(" ", form).split() if t)
    dates: list[date] = []
    days: int | None = None
    rest: list[str] = []
    for token in tokens:
        if (m := _FULL_DATE.fullmatch(token)) is not None:
            dates.append(_date(int(m[1]), int(m[2]), int(m[3]), token))
        elif (m := _SHORT_DATE.fullmatch(token)) is not None:
            found = _date(today.year, int(m[1]), int(m[2]), token)
            if found > today:
                found = _date(today.year - 1, int(m[1]), int(m[2]), token)
            dates.append(found)
        elif (m := _DAYS.fullmatch(token)) is not None and not dates and days is None:
            days = int(m[1])
            if not 1 <= days <= MAX_DAYS:
                raise PeriodError("bad_days", token)
        elif any(ch.isdigit() for ch in token):
            raise PeriodError("bad_date", token)
        else:
            rest.append(token)
    if days is not None and dates:
        raise PeriodError("days_and_dates")
    if len(dates) > 2:
        raise PeriodError("too_many_dates")
    if not dates:
        return Asked(last_days(days or DEFAULT_DAYS, today, tz), tuple(rest))
    first, last = (dates[0], today) if len(dates) == 1 else (dates[0], dates[1])
    if first > last:
        first, last = last, first
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError("too_long")
    return Asked(days_period(first, last, tz), tuple(rest))


def _date(year: int, month: int, day: int, token: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise PeriodError("bad_date", token) from None


def percent(rate: float | None) -> str:
    """85% (rounded to a whole percent), or "—" when there is nothing to measure."""
    return NO_VALUE if rate is None else f"{round(rate * 100)}%"


def change(current: float | None, previous: float | None) -> float | None:
    """Percentage points up (+) or down (-) since the previous period; None: not comparable."""
    if current is None or previous is None:
        return None
    return round(current * 100) - round(previous * 100)


@dataclass(frozen=True, slots=True)
class Reopening:
    """A reopen action: when, and the sub-district of its item."""

    subdistrict: str | None
    at: datetime


#: The key of the row that sums up every row shown.
TOTAL = "*"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a 三率 table: a sub-district (or UNPLACED, or TOTAL), this period and the
    previous one of the same length."""

    code: str
    current: Rates
    previous: Rates


@dataclass(frozen=True, slots=True)
class Table:
    period: Period
    previous: Period
    rows: tuple[Row, ...]  # sub-districts in the order asked, then others with items
    total: Row | None  # every row together (None when there is only one row)


def table(
    period: Period,
    previous: Period,
    items: Sequence[Facts],
    reopens: Sequence[Reopening],
    *,
    codes: Sequence[str],
    everywhere: bool,
    now: datetime,
    response_days: int,
) -> Table:
    """The 三率 of `codes` (each a row even when empty) for `period` against `previous`,
    from items and reopenings read for both at once (anything outside the period, after
    `now`, or, unless `everywhere`, outside `codes` is left out). With `everywhere`, any
    other sub-district (and UNPLACED) with something to show gets a row too."""
    wanted = set(codes)

    def chosen(p: Period) -> tuple[list[Facts], list[str | None]]:
        keep_items = [
            i
            for i in items
            if p.contains(i.visible_at)
            and i.visible_at <= now
            and (everywhere or key_of(i.subdistrict) in wanted)
        ]
        keep_reopens = [
            r.subdistrict
            for r in reopens
            if p.contains(r.at) and r.at <= now and (everywhere or key_of(r.subdistrict) in wanted)
        ]
        return keep_items, keep_reopens

    now_items, now_reopens = chosen(period)
    old_items, old_reopens = chosen(previous)
    by_now = rates_by_subdistrict(now_items, now_reopens, now=now, response_days=response_days)
    by_old = rates_by_subdistrict(old_items, old_reopens, now=now, response_days=response_days)
    order = list(dict.fromkeys(codes))
    if everywhere:
        order += [c for c in sorted(set(by_now) | set(by_old)) if c not in order]
    rows = tuple(Row(c, by_now.get(c, Rates()), by_old.get(c, Rates())) for c in order)
    total = None
    if len(rows) > 1:
        total = Row(
            TOTAL,
            rates(now_items, len(now_reopens), now=now, response_days=response_days),
            rates(old_items, len(old_reopens), now=now, response_days=response_days),
        )
    return Table(period, previous, rows, total)
