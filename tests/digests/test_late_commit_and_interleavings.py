"""Commit order and random interleavings: nothing lost, nothing repeated.

Ids and timestamps are taken when a transaction writes, not when it commits, so a digest
window "everything created before the cut" misses an opinion whose transaction began before
the cut and committed after it. Digests here take queued items instead; these tests show an
opinion that commits late lands in the next digest."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.domain.clock import ManualClock
from storage import create_engine, session_factory, upgrade
from storage.models import Digest, DigestItem, Opinion
from tests.digests.conftest import T0, World


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_an_opinion_that_commits_after_the_cut_lands_in_the_next_digest(
    world: World,
) -> None:
    await world.member(101, "解放碑")
    early = await world.opinion("解放碑", "早到的")
    world.clock.set(T0 - timedelta(minutes=1))
    # A resident's submission begins before the digest time and commits after it.
    late_unit = world.unit()
    work = await late_unit.__aenter__()
    late = await world.opinion_in(work, "解放碑", "晚提交的")
    # Another opinion begins later, gets a higher id and a later time, and commits first.
    world.clock.set(T0 - timedelta(seconds=30))
    quick = await world.opinion("解放碑", "后到先提交的")
    assert quick > late
    world.clock.set(T0 + timedelta(minutes=1))
    first = await world.tick()
    assert [d.items for d in first] == [2]
    await late_unit.__aexit__(None, None, None)  # commits now, after the digest was cut
    async with world.unit() as check:
        row = await check.session.get(Opinion, late)
        assert row is not None and row.created_at < first[0].slot  # "before the cut"
    world.clock.set(T0 + timedelta(days=1, minutes=1))
    second = await world.tick()
    assert [d.items for d in second] == [1]
    assert await world.delivered(101) == [early, quick, late]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_digest_built_while_opinions_arrive_takes_each_once(world: World) -> None:
    await world.member(101, "解放碑")
    world.clock.set(T0 + timedelta(minutes=1))

    async def arrivals() -> list[int]:
        ids = []
        for i in range(40):
            ids.append(await world.opinion("解放碑", f"并发{i}"))
            await asyncio.sleep(0)
        return ids

    async def ticks() -> None:
        for _ in range(5):
            await world.tick()
            world.clock.advance(timedelta(days=1))
            await asyncio.sleep(0)

    ids, _ = await asyncio.gather(arrivals(), ticks())
    world.clock.advance(timedelta(days=2))
    await world.tick()
    delivered = await world.delivered(101)
    assert sorted(delivered) == sorted(ids)
    assert len(delivered) == len(set(delivered))


# Random interleavings (SQLite, a fresh file per example).

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("opinion"), st.sampled_from(["解放碑", "七星岗", "大坪"])),
        st.tuples(st.just("advance"), st.integers(min_value=10, max_value=4 * 24 * 60)),
        st.tuples(st.just("tick"), st.just(0)),
        st.tuples(st.just("restart"), st.just(0)),
        st.tuples(st.just("time"), st.sampled_from(["07:00", "08:00", "12:30", "20:00"])),
        st.tuples(st.just("frequency"), st.sampled_from(["daily", "weekly", "off"])),
        st.tuples(st.just("back"), st.integers(min_value=1, max_value=600)),
    ),
    max_size=30,
)


async def _scenario(path: Path, ops: list[tuple[str, object]]) -> None:
    from bot.features.staff import MemberSettings
    from storage.repositories import StaffRepository
    from storage.statuses import Frequency

    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    clock = ManualClock(datetime(2026, 11, 30, 4, 0, tzinfo=UTC))
    world = World(session_factory(engine), clock)
    try:
        await world.member(1, "解放碑")
        await world.member(2, "七星岗", "大坪")
        made: dict[str, list[int]] = {"解放碑": [], "七星岗": [], "大坪": []}
        for op, arg in ops:
            if op == "opinion":
                made[str(arg)].append(await world.opinion(str(arg), "随机"))
            elif op == "advance":
                clock.advance(timedelta(minutes=int(str(arg))))
            elif op == "back":
                clock.advance(-timedelta(minutes=int(str(arg))))
            elif op == "tick":
                await world.tick()
            elif op == "restart":
                # A new process: nothing carried over but the database.
                world = World(session_factory(engine), clock)
            else:
                async with world.unit() as work:
                    member = await work.repo(StaffRepository).get(1)
                    assert member is not None
                    if op == "time":
                        await work.service(MemberSettings).set_time(member, str(arg))
                    else:
                        await work.service(MemberSettings).set_frequency(member, Frequency(arg))
        # Finally: daily for both, and a week later everything owed has been delivered.
        async with world.unit() as work:
            member = await work.repo(StaffRepository).get(1)
            assert member is not None
            await work.service(MemberSettings).set_frequency(member, Frequency.DAILY)
        clock.advance(timedelta(days=8))
        await world.tick()
        one, two = await world.delivered(1), await world.delivered(2)
        assert len(one) == len(set(one)) and len(two) == len(set(two))
        assert set(one) == set(made["解放碑"])
        assert set(two) == set(made["七星岗"] + made["大坪"])
        if any(op == "back" for op, _ in ops):
            return  # a clock moved back may make an item "visible" after a later cut
        async with world.unit() as work:
            # No digest took an item that became visible after it was cut.
            rows = await work.session.execute(
                select(Opinion.visible_at, Digest.period_end)
                .join(DigestItem, DigestItem.opinion_id == Opinion.id)
                .join(Digest, Digest.id == DigestItem.digest_id)
            )
            for visible_at, period_end in rows:
                assert visible_at is not None and visible_at <= period_end
    finally:
        await engine.dispose()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
def test_random_interleavings_never_lose_or_repeat_an_item(ops: list[tuple[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_scenario(Path(tmp) / "digests.sqlite3", ops))
