"""Each member receives each visible opinion of their sub-districts in exactly one digest:
across digest times, downtime, settings changes, retagging, late commits and two processes.
On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.features.staff import MemberSettings
from storage.models import Digest
from storage.repositories import StaffRepository
from storage.statuses import Frequency, Role
from tests.digests.conftest import SD, T0, World

pytestmark = pytest.mark.asyncio


async def test_each_item_once_and_the_next_digest_takes_the_rest(world: World) -> None:
    await world.member(101, "解放碑")
    first = [await world.opinion("解放碑", f"意见{i}") for i in range(3)]
    other = await world.opinion("七星岗", "别的街道")
    assert await world.tick() == []  # 12:00, before the 08:00 slot
    world.clock.set(T0 + timedelta(minutes=1))
    done = await world.tick()
    assert [d.items for d in done] == [3]
    assert await world.tick() == []  # the same slot is not sent twice
    later = await world.opinion("解放碑", "之后的意见")
    world.clock.set(T0 + timedelta(days=1, seconds=5))
    assert [d.items for d in await world.tick()] == [1]
    assert await world.delivered(101) == [*first, later]
    assert other not in await world.delivered(101)


async def test_downtime_across_three_slots_sends_one_catch_up(world: World) -> None:
    await world.member(101, "解放碑")
    ids = [await world.opinion("解放碑", f"停机前{i}") for i in range(2)]
    world.clock.set(T0 + timedelta(days=2, hours=3))  # three 08:00s passed while "down"
    done = await world.tick()
    assert len(done) == 1 and done[0].catch_up and done[0].items == 2
    assert done[0].slot == T0 + timedelta(days=2)
    assert await world.tick() == []
    assert await world.delivered(101) == ids
    assert "机器人停机期间" in await world.texts(101)


async def test_clock_moved_back_sends_nothing_twice(world: World) -> None:
    await world.member(101, "解放碑")
    await world.opinion("解放碑")
    world.clock.set(T0 + timedelta(minutes=1))
    assert len(await world.tick()) == 1
    world.clock.set(T0 - timedelta(hours=5))
    await world.opinion("解放碑", "时钟回拨后")
    assert await world.tick() == []
    world.clock.set(T0 + timedelta(minutes=2))
    assert await world.tick() == []
    world.clock.set(T0 + timedelta(days=1))
    assert [d.items for d in await world.tick()] == [1]


async def test_changing_time_or_frequency_loses_and_repeats_nothing(world: World) -> None:
    await world.member(101, "解放碑")
    a = await world.opinion("解放碑", "一")
    world.clock.set(T0 + timedelta(minutes=1))
    await world.tick()
    b = await world.opinion("解放碑", "二")
    async with world.unit() as work:
        member = await work.repo(StaffRepository).get(101)
        assert member is not None
        member = await work.service(MemberSettings).set_time(member, "07:30")
        member = await work.service(MemberSettings).set_frequency(member, Frequency.WEEKLY)
    c = await world.opinion("解放碑", "三")
    world.clock.set(T0 + timedelta(days=1))  # a daily 08:00 would fire; weekly Monday not yet
    assert await world.tick() == []
    async with world.unit() as work:
        member = await work.repo(StaffRepository).get(101)
        assert member is not None
        await work.service(MemberSettings).set_frequency(member, Frequency.DAILY)
    world.clock.set(T0 + timedelta(days=1, hours=23, minutes=31))  # Dec 3 07:31 local
    assert [d.items for d in await world.tick()] == [2]
    assert await world.delivered(101) == [a, b, c]


async def test_retagged_after_a_digest_reaches_the_new_members_marked_as_moved(
    world: World,
) -> None:
    await world.member(101, "解放碑")
    await world.member(102, "七星岗")
    await world.member(103, "解放碑", "七星岗")
    item = await world.opinion("解放碑", "七星岗通远门没有电梯")
    world.clock.set(T0 + timedelta(minutes=1))
    await world.tick()
    async with world.unit() as work:
        from bot.features.digests.visibility import Visibility

        assert await work.service(Visibility).moved(item, SD["七星岗"]) == 1
    world.clock.set(T0 + timedelta(days=1))
    await world.tick()
    assert await world.delivered(101) == [item]
    assert await world.delivered(102) == [item]
    assert await world.delivered(103) == [item]  # once, though it follows both
    assert "由解放碑街道转来" in await world.texts(102)


async def test_retagged_before_its_digest_leaves_the_old_members_queue(world: World) -> None:
    await world.member(101, "解放碑")
    await world.member(102, "七星岗")
    item = await world.opinion("解放碑", "其实在七星岗")
    async with world.unit() as work:
        from bot.features.digests.visibility import Visibility

        await work.service(Visibility).moved(item, SD["七星岗"])
    world.clock.set(T0 + timedelta(minutes=1))
    await world.tick()
    assert await world.delivered(101) == []
    assert await world.delivered(102) == [item]


async def test_a_member_who_adds_a_subdistrict_receives_it_from_that_moment(world: World) -> None:
    await world.member(101, "解放碑")
    before = await world.opinion("七星岗", "加之前")
    async with world.unit() as work:
        member = await work.repo(StaffRepository).get(101)
        assert member is not None
        await work.service(MemberSettings).toggle_subdistrict(member, SD["七星岗"])
    after = await world.opinion("七星岗", "加之后")
    world.clock.set(T0 + timedelta(minutes=1))
    await world.tick()
    assert await world.delivered(101) == [after]
    assert before not in await world.delivered(101)


async def test_unplaced_items_go_to_those_who_follow_everything(world: World) -> None:
    await world.member(101, "解放碑")
    await world.member(104, "*", role=Role.ADMIN)
    async with world.unit() as work:
        admin = await work.repo(StaffRepository).get(104)
        assert admin is not None
        await work.service(MemberSettings).set_frequency(admin, Frequency.DAILY)
    item = await world.opinion(None, "不知道是哪个街道")
    world.clock.set(T0 + timedelta(minutes=1))
    await world.tick()
    assert await world.delivered(104) == [item]
    assert await world.delivered(101) == []


async def test_two_processes_ticking_at_once_send_one_digest(world: World) -> None:
    for uid in range(201, 211):
        await world.member(uid, "解放碑")
    await world.opinion("解放碑")
    world.clock.set(T0 + timedelta(minutes=1))
    results = await asyncio.gather(world.tick(), world.tick(), world.tick())
    assert sum(len(r) for r in results) == 10
    async with world.unit() as work:
        digests = list(await work.session.scalars(select(Digest.member_id)))
    assert sorted(digests) == list(range(201, 211))
    for uid in range(201, 211):
        assert len(await world.delivered(uid)) == 1


async def test_empty_period_sends_a_line_only_when_asked(world: World) -> None:
    await world.member(101, "解放碑")
    await world.member(102, "解放碑")
    async with world.unit() as work:
        member = await work.repo(StaffRepository).get(102)
        assert member is not None
        await work.service(MemberSettings).toggle(member, "empty_note")
    world.clock.set(T0 + timedelta(minutes=1))
    await world.tick()
    assert await world.queued(101) == []
    assert "没有新意见" in await world.texts(102)


async def test_safety_items_alert_at_once_those_who_asked_and_stay_in_the_digest(
    world: World,
) -> None:
    await world.member(101, "解放碑")  # urgent alerts on by default
    await world.member(102, "解放碑")
    async with world.unit() as work:
        member = await work.repo(StaffRepository).get(102)
        assert member is not None
        await work.service(MemberSettings).toggle(member, "urgent")
    fire = await world.opinion("解放碑", "楼道里堆满纸箱，消防通道堵死了", category="fire_safety")
    await world.opinion("解放碑", "路边停车太乱", category="parking_traffic")
    alerts = [p["text"] for m, p in await world.queued(101) if m == "sendMessage"]
    assert len(alerts) == 1 and f"YZ-{fire:06d}" in alerts[0] and "安全事项" in alerts[0]
    assert await world.queued(102) == []
    world.clock.set(T0 + timedelta(minutes=1))
    await world.tick()
    assert fire in await world.delivered(101) and fire in await world.delivered(102)


async def test_a_digest_in_english_for_an_english_member(world: World) -> None:
    await world.member(101, "解放碑")
    async with world.unit() as work:
        member = await work.repo(StaffRepository).get(101)
        assert member is not None
        await work.service(MemberSettings).set_lang(member, "en")
    await world.opinion("解放碑", "凯旋路停车难", category="parking_traffic")
    world.clock.set(T0 + timedelta(minutes=1))
    await world.tick()
    text = await world.texts(101)
    assert "Residents' opinions" in text and "Jiěfàngbēi" in text and "Parking / traffic" in text
    assert "条" not in text and "街道：" not in text
    files = [p.get("filename") for m, p in await world.queued(101) if m != "sendMessage"]
    assert files == ["yushi-digest-20261201-0800.png", "yushi-digest-20261201-0800.xlsx"]


async def test_a_digest_taken_but_never_queued_is_drawn_again_once(world: World) -> None:
    from bot.features.digests import DigestService

    await world.member(101, "解放碑")
    item = await world.opinion("解放碑", "解放碑八一路停车难")
    world.clock.set(T0 + timedelta(minutes=1))
    async with world.unit() as work:  # taken, then the process dies before drawing it
        taken = await work.service(DigestService).take_due(101, world.clock.now())
    assert taken is not None and await world.queued(101) == []
    assert await world.tick() == []  # too fresh: its own process may still be drawing it
    world.clock.advance(timedelta(minutes=3))
    assert [d.items for d in await world.tick()] == [1]
    assert await world.tick() == []
    texts = [p.get("text", "") for m, p in await world.queued(101) if m == "sendMessage"]
    assert sum(f"YZ-{item:06d}" in x for x in texts) == 1
    assert await world.delivered(101) == [item]
