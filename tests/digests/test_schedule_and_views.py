"""Digest schedules, typed times, and how a digest is cut into messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import load_district
from bot.domain.digest import DigestItem, compose
from bot.features.digests.service import as_items
from bot.features.digests.views import DigestView, pack
from bot.features.staff.schedule import Schedule, parse_time
from bot.telegram.html import MAX_TEXT
from storage.records import DigestEntry, StaffRecord

TZ = ZoneInfo("Asia/Shanghai")
DISTRICT = load_district()
T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai


def member(**changes: object) -> StaffRecord:
    base = StaffRecord(
        telegram_id=1,
        role="member",
        lang="zh",
        frequency="daily",
        weekday=0,
        digest_time="08:00",
        empty_note=False,
        urgent=True,
        awaiting=None,
        schedule_from=T0 - timedelta(days=1),
        next_due=None,
        last_slot=None,
        unreachable_at=None,
        menu_version=None,
        granted_by=None,
        granted_at=T0 - timedelta(days=1),
        subdistricts=("500103001",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("9:30", "09:30"),
        ("09：30", "09:30"),
        ("２１：０５", "21:05"),
        ("9点半", "09:30"),
        ("8点", "08:00"),
        ("20", "20:00"),
        ("21.15", "21:15"),
        ("24:00", None),
        ("7:60", None),
        ("明天早上", None),
        ("", None),
    ],
)
def test_typed_times(typed: str, expected: str | None) -> None:
    assert parse_time(typed) == expected


def test_daily_slot_is_the_wall_clock_time_in_the_zone() -> None:
    m = member()
    schedule = Schedule.of(m, TZ)
    assert schedule.next_after(T0 - timedelta(minutes=1)) == T0
    # One minute past 08:00 local on Dec 1: the slot of that morning is due.
    assert schedule.due_slot(m, T0 + timedelta(minutes=1)) == T0
    assert not schedule.missed_slots(m, T0)


def test_downtime_across_three_slots_is_one_catch_up_for_the_latest() -> None:
    m = member(last_slot=T0 - timedelta(days=3), schedule_from=T0 - timedelta(days=10))
    schedule = Schedule.of(m, TZ)
    slot = schedule.due_slot(m, T0 + timedelta(hours=5))
    assert slot == T0
    assert schedule.missed_slots(m, slot)


def test_a_changed_time_counts_from_the_change() -> None:
    # Changed at 10:00 local to 09:00: today's 09:00 has passed before the change, so the
    # first digest is tomorrow's, not one at once.
    changed_at = T0 + timedelta(hours=2)
    m = member(digest_time="09:00", schedule_from=changed_at, last_slot=T0)
    schedule = Schedule.of(m, TZ)
    assert schedule.due_slot(m, changed_at + timedelta(minutes=5)) is None
    assert schedule.next_after(changed_at) == T0 + timedelta(days=1, hours=1)


def test_weekly_on_a_chosen_day() -> None:
    m = member(frequency="weekly", weekday=2)  # Wednesday
    fire = Schedule.of(m, TZ).next_after(T0)  # Tuesday Dec 1 2026
    assert fire is not None
    assert fire.astimezone(TZ).weekday() == 2
    assert fire.astimezone(TZ).strftime("%H:%M") == "08:00"


def test_off_has_no_slots() -> None:
    m = member(frequency="off")
    assert Schedule.of(m, TZ).next_after(T0) is None
    assert Schedule.of(m, TZ).due_slot(m, T0 + timedelta(days=5)) is None


def _item(n: int, text: str, code: str | None = "500103001", category: str = "other") -> DigestItem:
    at = T0 + timedelta(minutes=n)
    return DigestItem(n, code, category, "received", text, at, at)


def _content(items: list[DigestItem]) -> DigestView:
    content = compose(
        items,
        period_start=T0 - timedelta(days=1),
        period_end=T0,
        followed=["*"],
        subdistrict_order=[s.code for s in DISTRICT.subdistricts],
        previous_counts={"500103001": 3},
    )
    return DigestView(content, DISTRICT, "zh", TZ, "YZ")


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from("停车凯旋路<>&消防通道被占 \n电线老化1234"),
            min_size=1,
            max_size=300,
        ),
        min_size=1,
        max_size=120,
    )
)
def test_messages_stay_within_telegram_and_never_cut_an_item(texts: list[str]) -> None:
    view = _content([_item(i + 1, t) for i, t in enumerate(texts)])
    blocks = view.blocks(preview=False, catch_up=False, awaiting=(0, []), with_files=True)
    messages = pack(blocks)
    assert all(len(m) <= MAX_TEXT for m in messages)
    for block in blocks:
        assert any(block in m for m in messages), "a block was cut"
    refs = [f"YZ-{i + 1:06d}" for i in range(len(texts))]
    joined = "\n".join(messages)
    assert all(ref in joined for ref in refs)


def test_counts_change_and_safety_first() -> None:
    items = [
        _item(1, "凯旋路晚上停车太乱", category="parking_traffic"),
        _item(2, "凯旋路停车难，车停到消防通道上", category="parking_traffic"),
        _item(3, "老楼电线乱拉，怕起火", category="electrical_safety"),
        _item(4, "楼道堆满杂物堵住消防通道", category="fire_safety"),
    ]
    view = _content(items)
    text = "\n\n".join(view.blocks(preview=False, catch_up=True, awaiting=(0, []), with_files=True))
    assert "共 <b>4</b> 条新意见（上期 3，↑1）" in text
    assert "机器人停机期间" in text
    highlights = text.split("安全事项优先", 1)[1]
    assert highlights.index("YZ-000004") < highlights.index("YZ-000003")  # fire before power


def test_phone_and_id_numbers_are_masked_everywhere_members_look() -> None:
    text_ = "请联系我 138 0013 8000，身份证 11010519491231002X"
    entry = DigestEntry(1, "500103001", "other", "received", text_, T0, T0, None, 0, False)
    view = _content(as_items([entry]))
    text = "\n".join(view.blocks(preview=False, catch_up=False, awaiting=(0, []), with_files=True))
    assert view.content.total == 1 and "YZ-000001" in text
    assert "13800138000" not in text.replace(" ", "")
    assert "11010519491231002X" not in text
