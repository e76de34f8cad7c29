"""The 三率 read from the tables (SQLite and PostgreSQL) on rows with hand-computed answers,
the scope each staffer may see, and the block every digest carries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.clock import ManualClock
from bot.domain.stats import TOTAL, UNPLACED, last_days
from bot.features.stats import Scope, ScopeRefused, StatsService, scope_for
from bot.features.stats.views import digest_block, stats_text
from storage import unit_of_work
from tests.digests.conftest import DISTRICT, World
from tests.digests.test_schedule_and_views import TZ, member
from tests.stats.scene import JFB, NOW, QXG, D, H, build_scene


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> World:
    w = World(sessions, ManualClock(NOW))
    async with unit_of_work(sessions) as session:
        await build_scene(session)
    return w


async def test_the_figures_of_a_subdistrict_are_the_hand_computed_ones(world: World) -> None:
    period = last_days(30, date(2026, 12, 1), TZ)
    async with world.unit() as work:
        tab = await work.service(StatsService).table(period, Scope((JFB,), everywhere=False))
    (row,) = tab.rows
    now = row.current
    assert (now.items, now.answered_in_time, now.judged) == (6, 3, 5)
    assert now.response_rate == pytest.approx(0.6)
    assert (now.resolved, now.rated, now.satisfied) == (1, 2, 1)
    assert now.median_response == 2 * D
    assert now.reopened == 1
    before = row.previous
    assert (before.items, before.answered_in_time, before.judged) == (1, 1, 1)
    assert tab.total is None
    text = stats_text(tab, DISTRICT, "zh", 7)
    assert "60%" in text and "↓40" in text and "17%" in text and "50%" in text
    assert "2 天" in text and "重新打开 1 次" in text


async def test_admins_see_every_subdistrict_and_the_total(world: World) -> None:
    period = last_days(30, date(2026, 12, 1), TZ)
    scope = scope_for(member(role="admin", subdistricts=()), [], DISTRICT)
    assert scope.everywhere and len(scope.codes) == 11
    async with world.unit() as work:
        tab = await work.service(StatsService).table(period, scope)
    by = {r.code: r.current for r in tab.rows}
    assert by[JFB].items == 6 and by[QXG].items == 1 and by[QXG].reopened == 1
    assert by[QXG].satisfaction == 0 and by[QXG].resolution_rate == 1
    assert UNPLACED not in by  # nothing unplaced in the scene
    assert tab.total is not None and tab.total.code == TOTAL
    assert (tab.total.current.items, tab.total.current.reopened) == (7, 2)
    empty = [r for r in tab.rows if r.code not in (JFB, QXG)]
    assert all(r.current.items == 0 and r.current.response_rate is None for r in empty)
    assert "—" in stats_text(tab, DISTRICT, "en", 7)


async def test_an_empty_period_shows_dashes(world: World) -> None:
    period = last_days(7, date(2026, 6, 1), TZ)
    async with world.unit() as work:
        tab = await work.service(StatsService).table(period, Scope((JFB,), everywhere=False))
    assert tab.rows[0].current.items == 0
    text = stats_text(tab, DISTRICT, "zh", 7)
    assert "回应率 —" in text and "没有意见" in text


def test_members_see_their_own_subdistricts_only() -> None:
    mine = member(subdistricts=(JFB,))
    assert scope_for(mine, [], DISTRICT) == Scope((JFB,), everywhere=False)
    assert scope_for(mine, ["解放碑街道"], DISTRICT) == Scope((JFB,), everywhere=False)
    for words in (["七星岗"], ["全部"], ["解放碑", "七星岗"]):
        with pytest.raises(ScopeRefused) as refused:
            scope_for(mine, words, DISTRICT)
        assert refused.value.reason == "not_yours"
    with pytest.raises(ScopeRefused) as unknown:
        scope_for(mine, ["火星"], DISTRICT)
    assert (unknown.value.reason, unknown.value.word) == ("unknown_subdistrict", "火星")
    assert scope_for(member(subdistricts=("*",)), [], DISTRICT).everywhere
    admin = member(role="admin", subdistricts=())
    assert scope_for(admin, ["七星岗"], DISTRICT) == Scope((QXG,), everywhere=False)


async def test_a_batch_of_digests_reads_once_and_each_member_gets_theirs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with world.unit() as work:
        service = work.service(StatsService)
        reads: list[object] = []
        original = service.stats.facts

        async def counted(*args: object, **kw: object) -> object:
            reads.append(args)
            return await original(*args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(service.stats, "facts", counted)
        tables = await service.for_digests([((JFB,), NOW), ((QXG,), NOW), (("*",), NOW + H)])
    assert len(reads) == 1
    assert [r.code for r in tables[0].rows] == [JFB] and tables[0].rows[0].current.items == 6
    assert [r.code for r in tables[1].rows] == [QXG] and tables[1].rows[0].current.reopened == 1
    assert tables[2].total is not None and tables[2].total.current.items == 7
    block = digest_block(tables[0], DISTRICT, "zh")
    assert block.startswith("<b>三率</b>") and "回应 60%(↓40)" in block
    assert "满意 50%" in block and "首次回应 2 天" in block and "重开 1" in block
    # A member following every sub-district gets the total only: the block stays short.
    assert digest_block(tables[2], DISTRICT, "en").count("\n") == 1


async def test_every_digest_carries_the_rates_of_the_members_subdistricts(world: World) -> None:
    world.clock.set(NOW - timedelta(hours=20))  # granted the day before, digest due at NOW
    await world.member(501, "解放碑")
    await world.opinion("解放碑", "解放碑八一路停车难")
    world.clock.set(NOW + timedelta(minutes=1))
    done = await world.tick()
    assert [d.member_id for d in done] == [501]
    text = await world.texts(501)
    assert "<b>三率</b>（近 30 天" in text
    assert "解放碑街道：回应 60%(↓40) · 解决 14%(↑14) · 满意 50%" in text
