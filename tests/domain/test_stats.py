"""The 三率 definitions on a fixture with hand-computed answers, empty periods, periods typed
by people, and properties that hold for any items."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.stats import (
    TOTAL,
    UNPLACED,
    Facts,
    PeriodError,
    Rates,
    Reopening,
    change,
    days_period,
    last_days,
    median,
    parse_period,
    percent,
    rates,
    rates_by_subdistrict,
    table,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
D = timedelta(days=1)
H = timedelta(hours=1)
A, B = "500103001", "500103002"


def item(
    visible_days_ago: float,
    responded_after: timedelta | None = None,
    *,
    sub: str | None = A,
    resolved: bool = False,
    rating: int | None = None,
) -> Facts:
    visible = NOW - visible_days_ago * D
    first = visible + responded_after if responded_after is not None else None
    return Facts(sub, visible, first, resolved, rating)


#: Seven items of sub-district A, every case of the definitions:
FIXTURE = [
    item(20, 2 * H, resolved=True, rating=5),  # answered in time, resolved, satisfied
    item(15, 7 * D, resolved=True, rating=3),  # exactly 7 days: in time; rated 3
    item(12, 8 * D),  # answered late: judged, not in time
    item(10),  # never answered, window passed: judged, not in time
    item(3),  # never answered, window still open: not judged yet
    item(2, 1 * D, resolved=True, rating=4),  # in time though its window is open
    item(1, 30 * timedelta(minutes=1)),  # in time, 30 minutes
]


def test_the_fixture_gives_the_hand_computed_answers() -> None:
    r = rates(FIXTURE, reopened=2, now=NOW, response_days=7)
    assert r.items == 7
    # In time: the 2 h, exactly 7 d, 1 d and 30 min ones = 4. Judged: those 4 + the late one
    # + the unanswered one whose window passed = 6 (the 3-day-old unanswered one waits).
    assert (r.answered_in_time, r.judged) == (4, 6)
    assert r.response_rate == pytest.approx(4 / 6)
    assert (r.resolved, r.resolution_rate) == (3, pytest.approx(3 / 7))
    # Rated 5, 3, 4: two of three are 4 or more.
    assert (r.rated, r.satisfied, r.satisfaction) == (3, 2, pytest.approx(2 / 3))
    # Delays: 30 min, 2 h, 1 d, 7 d, 8 d -> the middle one is 1 day.
    assert r.responded == 5
    assert r.median_response == D
    assert r.reopened == 2
    assert [percent(x) for x in (r.response_rate, r.resolution_rate, r.satisfaction)] == [
        "67%",
        "43%",
        "67%",
    ]


def test_an_even_count_takes_the_mean_of_the_two_middle_delays() -> None:
    assert median([H, 3 * H]) == 2 * H
    assert median([H, 2 * H, 4 * H, 10 * H]) == 3 * H
    assert median([]) is None


def test_a_reopened_item_counts_as_rated_and_not_satisfied() -> None:
    """A resident who rated 2 stars and reopened, or 5 stars and then reopened: neither is
    a satisfied item, and the low rating does not drop out of the figure."""
    happy = item(20, H, resolved=True, rating=5)
    unhappy = Facts(A, NOW - 20 * D, NOW - 20 * D + H, False, 2, reopened=True)
    changed_mind = Facts(A, NOW - 20 * D, NOW - 20 * D + H, False, 5, reopened=True)
    r = rates([happy, unhappy, changed_mind], now=NOW, response_days=7)
    assert (r.rated, r.satisfied) == (3, 1)
    assert r.satisfaction == 1 / 3


def test_an_empty_period_divides_by_nothing_and_shows_dashes() -> None:
    r = rates([], now=NOW, response_days=7)
    assert r == Rates()
    assert (r.response_rate, r.resolution_rate, r.satisfaction) == (None, None, None)
    assert [percent(x) for x in (r.response_rate, r.resolution_rate, r.satisfaction)] == [
        "—",
        "—",
        "—",
    ]
    assert r.median_response is None
    # Only fresh items: nothing judged yet, so no response rate (not 0%).
    fresh = rates([item(1), item(2)], now=NOW, response_days=7)
    assert fresh.items == 2 and fresh.response_rate is None and fresh.resolution_rate == 0


def test_per_subdistrict_and_unplaced_items() -> None:
    items = [*FIXTURE, item(9, 2 * D, sub=B), item(9, sub=None)]
    by = rates_by_subdistrict(items, [B, B, None], now=NOW, response_days=7)
    assert set(by) == {A, B, UNPLACED}
    assert by[A].items == 7 and by[A].reopened == 0
    assert (by[B].items, by[B].response_rate, by[B].reopened) == (1, 1.0, 2)
    assert (by[UNPLACED].items, by[UNPLACED].response_rate, by[UNPLACED].reopened) == (1, 0, 1)


def test_a_table_compares_with_the_previous_period_of_the_same_length() -> None:
    period = last_days(30, date(2026, 12, 1), TZ)
    previous = period.previous(TZ)
    assert (previous.first_day, previous.last_day) == (date(2026, 10, 3), date(2026, 11, 1))
    assert previous.end == period.start
    old = [item(40, 1 * H, resolved=True), item(45), item(35, sub=B)]
    reopens = [Reopening(A, NOW - 2 * D), Reopening(A, NOW - 40 * D), Reopening(B, NOW - D)]
    tab = table(
        period,
        previous,
        [*FIXTURE, *old],
        reopens,
        codes=[A],
        everywhere=False,
        now=NOW,
        response_days=7,
    )
    assert [r.code for r in tab.rows] == [A] and tab.total is None
    (row,) = tab.rows
    assert row.current.items == 7 and row.current.reopened == 1
    assert (row.previous.items, row.previous.answered_in_time, row.previous.judged) == (2, 1, 2)
    assert row.previous.reopened == 1
    assert change(row.current.response_rate, row.previous.response_rate) == 67 - 50
    every = table(
        period,
        previous,
        [*FIXTURE, *old],
        reopens,
        codes=[A, B],
        everywhere=True,
        now=NOW,
        response_days=7,
    )
    assert [r.code for r in every.rows] == [A, B]
    assert every.total is not None and every.total.code == TOTAL
    assert every.total.current.items == 7 and every.total.current.reopened == 2
    assert every.total.previous.items == 3


def test_items_seen_after_now_are_not_counted_yet() -> None:
    period = last_days(30, date(2026, 12, 1), TZ)
    later = Facts(A, NOW + H)
    tab = table(
        period,
        period.previous(TZ),
        [later],
        [],
        codes=[A],
        everywhere=False,
        now=NOW,
        response_days=7,
    )
    assert tab.rows[0].current.items == 0


TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("words", "first", "last", "rest"),
    [
        ([], date(2026, 11, 2), TODAY, ()),
        (["7"], date(2026, 11, 25), TODAY, ()),
        (["７天"], date(2026, 11, 25), TODAY, ()),
        (["2026-11-01", "2026-11-30"], date(2026, 11, 1), date(2026, 11, 30), ()),
        (["11-01", "11-30", "解放碑"], date(2026, 11, 1), date(2026, 11, 30), ("解放碑",)),
        (["2026-11-30", "2026-11-01"], date(2026, 11, 1), date(2026, 11, 30), ()),
        (["２０２６－１１－０１至２０２６－１１－３０"], date(2026, 11, 1), date(2026, 11, 30), ()),
        (["2026年11月1日"], date(2026, 11, 1), TODAY, ()),
        (["12-25"], date(2025, 12, 25), TODAY, ()),  # still to come this year: last year's
        (["七星岗"], date(2026, 11, 2), TODAY, ("七星岗",)),
    ],
)
def test_periods_as_people_type_them(
    words: list[str], first: date, last: date, rest: tuple[str, ...]
) -> None:
    asked = parse_period(words, TODAY, TZ)
    assert (asked.period.first_day, asked.period.last_day, asked.words) == (first, last, rest)
    assert asked.period.start == datetime(first.year, first.month, first.day, tzinfo=TZ)


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        (["2026-02-30"], "bad_date"),
        (["13-01"], "bad_date"),
        (["2026-11-01x"], "bad_date"),
        (["0"], "bad_days"),
        (["5000"], "bad_days"),
        (["7", "2026-11-01"], "days_and_dates"),
        (["11-01", "11-02", "11-03"], "too_many_dates"),
        (["2020-01-01", "2026-01-01"], "too_long"),
    ],
)
def test_bad_periods_say_why(words: list[str], reason: str) -> None:
    with pytest.raises(PeriodError) as raised:
        parse_period(words, TODAY, TZ)
    assert raised.value.reason == reason


# Properties: any items, any moment.

moments = st.floats(min_value=0, max_value=60).map(lambda d: NOW - d * D)
facts = st.builds(
    Facts,
    subdistrict=st.sampled_from([A, B, None]),
    visible_at=moments,
    first_response_at=st.none() | moments,
    resolved=st.booleans(),
    rating=st.none() | st.integers(min_value=1, max_value=5),
)


@given(st.lists(facts, max_size=40), st.integers(min_value=1, max_value=30))
def test_rates_are_shares_and_counts_add_up(items: list[Facts], days: int) -> None:
    r = rates(items, now=NOW, response_days=days)
    for rate in (r.response_rate, r.resolution_rate, r.satisfaction):
        assert rate is None or 0 <= rate <= 1
    assert r.answered_in_time <= r.judged <= r.items
    assert r.satisfied <= r.rated <= r.items and r.resolved <= r.items
    assert (r.response_rate is None) == (r.judged == 0)
    assert (r.satisfaction is None) == (r.rated == 0)
    if r.median_response is not None:
        assert r.median_response >= timedelta(0)
    by = rates_by_subdistrict(items, [], now=NOW, response_days=days)
    assert sum(x.items for x in by.values()) == r.items
    assert sum(x.judged for x in by.values()) == r.judged
    assert sum(x.answered_in_time for x in by.values()) == r.answered_in_time


@given(st.lists(facts, max_size=30))
def test_a_longer_response_window_never_lowers_the_answered_in_time(items: list[Facts]) -> None:
    short = rates(items, now=NOW, response_days=3)
    long = rates(items, now=NOW, response_days=10)
    assert long.answered_in_time >= short.answered_in_time


@given(st.integers(min_value=1, max_value=400), st.dates(date(2025, 1, 1), date(2027, 12, 31)))
def test_periods_tile_without_gap(days: int, today: date) -> None:
    p = last_days(days, today, TZ)
    assert p.days == days and p.previous(TZ).end == p.start and p.previous(TZ).days == days
    assert days_period(p.first_day, p.last_day, TZ) == p
