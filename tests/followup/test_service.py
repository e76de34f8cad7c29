"""The follow-up's rules on a real database (SQLite and PostgreSQL): actions recorded once
each with the earliest first response, residents and supporters told (signed "委员" and the
sub-district, never the member), ratings (the latest counts), reopening inside and outside
the window (queued again for the members' next digest and back among the awaiting), the one
reminder, and erasure of the residents' own reasons."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.features.digests.views import AWAITING_WINDOW
from bot.features.followup import FollowupService
from bot.features.followup.service import check_text, may_follow, within_window
from storage.models import AuditEntry, DigestItem, OpinionAction
from storage.repositories import DigestRepository, OpinionRepository
from storage.statuses import ActionKind, Progress, Role
from tests.followup.conftest import SD, FollowupWorld

MEMBER = 7_300_001
OTHER = 7_300_002
SECOND = 7_300_003


async def test_an_answer_is_recorded_audited_and_reaches_the_author_signed_by_subdistrict(
    fworld: FollowupWorld,
) -> None:
    await fworld.member(MEMBER, "南纪门")
    author = await fworld.resident()
    n = await fworld.written_by(author, "南纪门", "凯旋路 <停车> 难")
    member = await fworld.staffer(MEMBER)
    async with fworld.unit() as work:
        acted = await work.service(FollowupService).act(
            member, (n,), ActionKind.ANSWERED, "已联系 <交巡警>，下周加装标识"
        )
    assert acted.done == (n,) and acted.skipped == ()
    row = await fworld.opinion_row(n)
    assert row.progress == Progress.ANSWERED and row.first_response_at == fworld.clock.now()
    text = await fworld.texts(author.telegram_id)
    assert "南纪门街道 委员" in text and "&lt;交巡警&gt;" in text and "<blockquote>" in text
    assert str(MEMBER) not in text
    async with fworld.unit() as work:
        actions = list(await work.session.scalars(select(OpinionAction)))
        audit = list(await work.session.scalars(select(AuditEntry)))
    assert [(a.kind, a.actor_id, a.subdistrict) for a in actions] == [
        ("answered", MEMBER, SD["南纪门"])
    ]
    assert any(e.action == "followup_answered" and e.actor_id == MEMBER for e in audit)


async def test_two_members_at_once_keep_the_first_response_and_both_lines(
    fworld: FollowupWorld,
) -> None:
    await fworld.member(MEMBER, "解放碑")
    await fworld.member(SECOND, "解放碑")
    author = await fworld.resident()
    n = await fworld.written_by(author, "解放碑")
    first_at = fworld.clock.now()
    async with fworld.unit() as work:
        await work.service(FollowupService).act(
            await fworld.staffer(MEMBER), (n,), ActionKind.ADOPTED, "采纳"
        )
    fworld.clock.advance(timedelta(hours=2))
    async with fworld.unit() as work:
        await work.service(FollowupService).act(
            await fworld.staffer(SECOND), (n,), ActionKind.FORWARDED, "转交", "区交通局"
        )
    row = await fworld.opinion_row(n)
    assert row.first_response_at == first_at and row.progress == Progress.FORWARDED
    async with fworld.unit() as work:
        kinds = list(await work.session.scalars(select(OpinionAction.kind)))
    assert kinds == ["adopted", "forwarded"]


async def test_members_act_only_on_what_they_follow_and_only_visible_items(
    fworld: FollowupWorld,
) -> None:
    await fworld.member(MEMBER, "解放碑")
    await fworld.member(OTHER, "七星岗")
    await fworld.member(SECOND, "*", role=Role.ADMIN)
    author = await fworld.resident()
    n = await fworld.written_by(author, "解放碑")
    other = await fworld.staffer(OTHER)
    assert not may_follow(other, SD["解放碑"]) and may_follow(await fworld.staffer(SECOND), None)
    async with fworld.unit() as work:
        acted = await work.service(FollowupService).act(other, (n,), ActionKind.RESOLVED, "好")
    assert acted.done == () and acted.skipped == (n,)
    assert (await fworld.opinion_row(n)).progress is None
    assert await fworld.texts(author.telegram_id) == ""


async def test_supporters_hear_answers_and_resolutions_but_not_forwards(
    fworld: FollowupWorld,
) -> None:
    await fworld.member(MEMBER, "解放碑")
    author, fan = await fworld.resident(), await fworld.resident("en")
    n = await fworld.written_by(author, "解放碑")
    await fworld.support(n, fan)
    member = await fworld.staffer(MEMBER)
    async with fworld.unit() as work:
        await work.service(FollowupService).act(
            member, (n,), ActionKind.FORWARDED, "转交了", "区交通局"
        )
    assert await fworld.texts(fan.telegram_id) == ""
    async with fworld.unit() as work:
        await work.service(FollowupService).act(member, (n,), ActionKind.RESOLVED, "划了车位")
    told = await fworld.queued(fan.telegram_id)
    assert len(told) == 1 and "is resolved" in told[0][1]["text"]
    assert "reply_markup" not in told[0][1]  # rating and reopening are the author's
    mine = await fworld.queued(author.telegram_id)
    assert "reply_markup" in mine[-1][1] and "已解决" in mine[-1][1]["text"]


async def test_rating_twice_the_latest_counts_and_only_the_author_rates(
    fworld: FollowupWorld,
) -> None:
    await fworld.member(MEMBER, "解放碑")
    author, stranger = await fworld.resident(), await fworld.resident()
    n = await fworld.written_by(author, "解放碑")
    member = await fworld.staffer(MEMBER)
    async with fworld.unit() as work:
        service = work.service(FollowupService)
        assert (await service.rate(author, n, 5))[0] == "not_resolved"
        await service.act(member, (n,), ActionKind.RESOLVED, "好了")
    async with fworld.unit() as work:
        service = work.service(FollowupService)
        assert (await service.rate(stranger, n, 1))[0] == "not_yours"
        assert (await service.rate(author, n, 2))[0] == "rated"
    async with fworld.unit() as work:
        assert (await work.service(FollowupService).rate(author, n, 4))[0] == "changed"
    row = await fworld.opinion_row(n)
    assert row.rating == 4 and row.rating_asks == 1


async def test_reopen_inside_the_window_queues_it_again_and_counts_it_awaiting(
    fworld: FollowupWorld,
) -> None:
    await fworld.member(MEMBER, "解放碑")
    author = await fworld.resident()
    n = await fworld.written_by(author, "解放碑")
    fworld.clock.set(fworld.clock.now() + timedelta(days=1))
    delivered = await fworld.tick()
    assert delivered and n in await fworld.delivered(MEMBER)
    async with fworld.unit() as work:
        await work.service(FollowupService).act(
            await fworld.staffer(MEMBER), (n,), ActionKind.RESOLVED, "好了"
        )
    async with fworld.unit() as work:
        total, _ = await work.repo(DigestRepository).awaiting(
            [SD["解放碑"]], fworld.clock.now() - AWAITING_WINDOW, fworld.clock.now(), 10
        )
    assert total == 0  # resolved: not awaiting
    fworld.clock.advance(timedelta(days=13))
    async with fworld.unit() as work:
        service = work.service(FollowupService)
        assert (await service.ask_reopen(author, n))[0] == "asked"
        card = await service.waiting_reason(author)
        assert card is not None
        assert (await service.reopen(author, card, "还是停满了，电话13800138000"))[0] == "reopened"
    row = await fworld.opinion_row(n)
    assert row.progress == Progress.REOPENED and row.reopen_count == 1 and row.resolved_at is None
    async with fworld.unit() as work:
        total, shown = await work.repo(DigestRepository).awaiting(
            [SD["解放碑"]], fworld.clock.now() - AWAITING_WINDOW, fworld.clock.now(), 10
        )
        pending = await work.repo(DigestRepository).pending(MEMBER)
    assert total == 1 and shown[0].progress == Progress.REOPENED
    assert [e.opinion_id for e in pending] == [n]
    # The next digest has it, marked reopened; the phone in the reason is never shown.
    fworld.clock.advance(timedelta(days=1))
    await fworld.tick()
    body = await fworld.texts(MEMBER)
    assert "重新打开" in body and "13800138000" not in body
    async with fworld.unit() as work:
        items = await work.session.scalar(
            select(func.count()).select_from(DigestItem).where(DigestItem.opinion_id == n)
        )
    assert items == 1


async def test_reopen_after_the_window_is_refused_and_changes_nothing(
    fworld: FollowupWorld,
) -> None:
    await fworld.member(MEMBER, "解放碑")
    author = await fworld.resident()
    n = await fworld.written_by(author, "解放碑")
    async with fworld.unit() as work:
        await work.service(FollowupService).act(
            await fworld.staffer(MEMBER), (n,), ActionKind.RESOLVED, "好了"
        )
    fworld.clock.advance(timedelta(days=14, minutes=1))
    async with fworld.unit() as work:
        assert (await work.service(FollowupService).ask_reopen(author, n))[0] == "window_over"
    assert (await fworld.opinion_row(n)).progress == Progress.RESOLVED
    assert within_window(fworld.clock.now(), fworld.clock.now(), 14)


async def test_the_reminder_asks_once_more_and_never_a_third_time(fworld: FollowupWorld) -> None:
    await fworld.member(MEMBER, "解放碑")
    author = await fworld.resident()
    n = await fworld.written_by(author, "解放碑")
    async with fworld.unit() as work:
        await work.service(FollowupService).act(
            await fworld.staffer(MEMBER), (n,), ActionKind.RESOLVED, "好了"
        )
    before = len(await fworld.queued(author.telegram_id))
    async with fworld.unit() as work:
        assert await work.service(FollowupService).remind(fworld.clock.now()) == 0
    fworld.clock.advance(timedelta(days=3, minutes=1))
    async with fworld.unit() as work:
        assert await work.service(FollowupService).remind(fworld.clock.now()) == 1
    for days in (4, 30):
        fworld.clock.advance(timedelta(days=days))
        async with fworld.unit() as work:
            assert await work.service(FollowupService).remind(fworld.clock.now()) == 0
    queued = await fworld.queued(author.telegram_id)
    assert len(queued) == before + 1 and "只再问这一次" in queued[-1][1]["text"]
    assert (await fworld.opinion_row(n)).rating_asks == 2


async def test_erasure_clears_the_residents_reasons_and_keeps_the_facts(
    fworld: FollowupWorld,
) -> None:
    await fworld.member(MEMBER, "解放碑")
    author = await fworld.resident()
    n = await fworld.written_by(author, "解放碑")
    async with fworld.unit() as work:
        await work.service(FollowupService).act(
            await fworld.staffer(MEMBER), (n,), ActionKind.RESOLVED, "好了"
        )
    async with fworld.unit() as work:
        service = work.service(FollowupService)
        await service.ask_reopen(author, n)
        card = await service.waiting_reason(author)
        assert card is not None
        await service.reopen(author, card, "我家就在这里，还是不行")
    async with fworld.unit() as work:
        await work.repo(OpinionRepository).erase_for_resident(author.id, fworld.clock.now())
    async with fworld.unit() as work:
        rows = list(await work.session.execute(select(OpinionAction.kind, OpinionAction.text)))
    assert ("reopened", None) in rows and ("resolved", "好了") in rows


def test_typed_text_rules() -> None:
    assert check_text("   ") is None
    assert check_text("。") is None and check_text(" ？！ ") is None and check_text("好") is None
    assert check_text("12") == "12" and check_text("A&B") == "A&B"
    assert check_text(" 好的 ") == "好的"
    assert check_text("长" * 1001) == 1001
