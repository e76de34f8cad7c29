"""The follow-up's finer rules on a real database (SQLite and PostgreSQL): what other
residents read of an author's words is masked; "resolved" stands until the resident reopens
it, and a reopened item keeps its rating (counted as not satisfied); /mydata holds the
follow-up and the support; erasure and retention take the cards that name a resident; the
reminder in short batches, exactly once under two ticks at once; the picker in a bounded
number of queries; values that are already HTML are escaped once."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event, func, select

from bot.features.account import AccountService
from bot.features.account.views import data_summary
from bot.features.followup import FollowupService
from bot.features.followup.jobs import rating_reminders
from bot.features.followup.members import CANCEL_WORDS, _picker_view
from bot.features.followup.service import REMINDERS_PER_UNIT
from bot.features.followup.texts import t
from bot.features.followup.views import PAGE, department_part, resident_notice, who_answered
from bot.features.staff import Staffer
from bot.telegram.texts import Html
from storage.models import ActionCard, AuditEntry, Opinion, OpinionAction
from storage.statuses import ActionKind, Progress
from tests.followup.conftest import SD, FollowupWorld

MEMBER = 7_310_001
PHONE = "13912345678"


async def _resolve(fworld: FollowupWorld, n: int, words: str = "好了") -> None:
    async with fworld.unit() as work:
        acted = await work.service(FollowupService).act(
            await fworld.staffer(MEMBER), (n,), ActionKind.RESOLVED, words
        )
    assert acted.done == (n,)


async def test_a_supporter_never_reads_the_authors_phone_number(fworld: FollowupWorld) -> None:
    await fworld.member(MEMBER, "解放碑")
    author, fan = await fworld.resident(), await fworld.resident()
    n = await fworld.written_by(author, "解放碑", f"八一路停车难，有事打我{PHONE}")
    await fworld.support(n, fan)
    async with fworld.unit() as work:
        await work.service(FollowupService).act(
            await fworld.staffer(MEMBER), (n,), ActionKind.ANSWERED, "已联系交巡警"
        )
    told = await fworld.texts(fan.telegram_id)
    assert "您也反映过的意见" in told and "八一路停车难" in told
    assert PHONE not in told and "139******78" in told


async def test_an_answer_after_the_resolution_keeps_it_resolved_and_is_still_told(
    fworld: FollowupWorld,
) -> None:
    await fworld.member(MEMBER, "解放碑")
    author = await fworld.resident()
    n = await fworld.written_by(author, "解放碑")
    await _resolve(fworld, n)
    resolved_at = fworld.clock.now()
    async with fworld.unit() as work:
        assert (await work.service(FollowupService).rate(author, n, 5))[0] == "rated"
    fworld.clock.advance(timedelta(hours=3))
    for kind in (ActionKind.ANSWERED, ActionKind.FORWARDED, ActionKind.ADOPTED):
        async with fworld.unit() as work:
            acted = await work.service(FollowupService).act(
                await fworld.staffer(MEMBER), (n,), kind, f"补充说明 {kind}", "区交通局"
            )
        assert acted.done == (n,)
    row = await fworld.opinion_row(n)
    assert row.progress == Progress.RESOLVED and row.resolved_at == resolved_at
    assert row.rating == 5 and row.rating_asks == 1
    async with fworld.unit() as work:
        kinds = list(
            await work.session.scalars(select(OpinionAction.kind).order_by(OpinionAction.id))
        )
        audit = list(
            await work.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "followup_answered")
            )
        )
    assert kinds == ["resolved", "rated", "answered", "forwarded", "adopted"]
    assert audit[-1].after is not None and audit[-1].after["progress"] == "resolved"
    told = await fworld.texts(author.telegram_id)
    assert "补充说明 answered" in told and "补充说明 adopted" in told
    # Still rateable and reopenable, as a resolved item is.
    async with fworld.unit() as work:
        assert (await work.service(FollowupService).ask_reopen(author, n))[0] == "asked"


async def test_reopening_keeps_the_rating_and_any_action_then_sets_its_progress(
    fworld: FollowupWorld,
) -> None:
    await fworld.member(MEMBER, "解放碑")
    author = await fworld.resident()
    n = await fworld.written_by(author, "解放碑")
    await _resolve(fworld, n)
    async with fworld.unit() as work:
        service = work.service(FollowupService)
        assert (await service.rate(author, n, 5))[0] == "rated"
        await service.ask_reopen(author, n)
        card = await service.waiting_reason(author)
        assert card is not None
        assert (await service.reopen(author, card, "还是坏的"))[0] == "reopened"
    row = await fworld.opinion_row(n)
    assert row.progress == Progress.REOPENED
    assert row.rating == 5 and row.rated_at is not None and row.rating_asks == 0
    # Not asked to rate what is open again, however long it waits.
    fworld.clock.advance(timedelta(days=10))
    async with fworld.unit() as work:
        assert await work.service(FollowupService).remind(fworld.clock.now()) == 0
    async with fworld.unit() as work:
        await work.service(FollowupService).act(
            await fworld.staffer(MEMBER), (n,), ActionKind.ANSWERED, "再去看看"
        )
    assert (await fworld.opinion_row(n)).progress == Progress.ANSWERED
    await _resolve(fworld, n, "这次修好了")
    row = await fworld.opinion_row(n)
    assert row.progress == Progress.RESOLVED and row.rating_asks == 1 and row.rating is None
    async with fworld.unit() as work:
        kinds = list(
            await work.session.scalars(select(OpinionAction.kind).order_by(OpinionAction.id))
        )
    assert kinds == ["resolved", "rated", "reopened", "answered", "resolved"]


async def test_mydata_holds_the_follow_up_and_the_support_but_never_a_member(
    fworld: FollowupWorld,
) -> None:
    await fworld.member(MEMBER, "解放碑")
    author, other = await fworld.resident(), await fworld.resident()
    n = await fworld.written_by(author, "解放碑", "路灯坏了")
    theirs = await fworld.written_by(other, "解放碑", f"别人的意见 {PHONE}")
    await fworld.support(theirs, author)
    async with fworld.unit() as work:
        await work.service(FollowupService).act(
            await fworld.staffer(MEMBER), (n,), ActionKind.FORWARDED, "已转交", "A&B 部门"
        )
    await _resolve(fworld, n, "修好了")
    async with fworld.unit() as work:
        service = work.service(FollowupService)
        await service.rate(author, n, 2)
        await service.ask_reopen(author, n)
        card = await service.waiting_reason(author)
        assert card is not None
        await service.reopen(author, card, "晚上还是不亮")
    async with fworld.unit() as work:
        account = work.service(AccountService)
        held = await account.holdings(author)
        exported = account.export(held, work.settings.tz)
        summary = data_summary("zh", work.deps, held, fworld.clock.now())
    (op,) = exported["opinions"]
    assert op["progress"] == "reopened" and op["reopen_count"] == 1
    assert op["rating"] == 2 and op["consultation_id"] is None  # kept after reopening
    steps = [(s["kind"], s["by"], s["text"], s["department"], s["rating"]) for s in op["follow_up"]]
    assert steps == [
        ("forwarded", "member", "已转交", "A&B 部门", None),
        ("resolved", "member", "修好了", None, None),
        ("rated", "you", None, None, 2),
        ("reopened", "you", "晚上还是不亮", None, None),
    ]
    assert all(s["subdistrict_code"] in (SD["解放碑"], None) for s in op["follow_up"])
    (supported,) = exported["supported_opinions"]
    assert supported["reference"].endswith(f"{theirs:06d}")
    dumped = json.dumps(exported, ensure_ascii=False)
    assert str(MEMBER) not in dumped and PHONE not in dumped and "别人的意见" not in dumped
    assert "跟进 4 步" in summary and "重新打开 1 次" in summary
    assert f"{theirs:06d}" in summary and "“我也是”" in summary


async def test_erasure_and_retention_take_the_cards_that_name_a_resident(
    fworld: FollowupWorld,
) -> None:
    await fworld.member(MEMBER, "解放碑")
    author, keeper = await fworld.resident(), await fworld.resident()
    n = await fworld.written_by(author, "解放碑")
    m = await fworld.written_by(keeper, "解放碑")
    await _resolve(fworld, n)
    await _resolve(fworld, m)
    async with fworld.unit() as work:
        service = work.service(FollowupService)
        assert (await service.ask_reopen(author, n))[0] == "asked"
        assert (await service.ask_reopen(keeper, m))[0] == "asked"

    async def cards_of(person: int) -> int:
        async with fworld.unit() as work:
            count = await work.session.scalar(
                select(func.count()).select_from(ActionCard).where(ActionCard.member_id == person)
            )
            return int(count or 0)

    assert await cards_of(author.telegram_id) == 1
    async with fworld.unit() as work:
        await work.service(AccountService).erase(author)
    assert await cards_of(author.telegram_id) == 0
    assert await cards_of(keeper.telegram_id) == 1

    # Retention: a fresh open card stays; one used more than a day ago goes, and any card
    # older than a week.
    async with fworld.unit() as work:
        member = await fworld.staffer(MEMBER)
        used = await work.service(FollowupService).new_card(member, [m], {"kind": "item"})
        assert await work.service(FollowupService).use_card(used)
    async with fworld.unit() as work:
        assert (await work.service(AccountService).purge_expired(fworld.clock.now())).cards == 0
    fworld.clock.advance(timedelta(days=1, minutes=1))
    async with fworld.unit() as work:
        assert (await work.service(AccountService).purge_expired(fworld.clock.now())).cards == 1
    assert await cards_of(keeper.telegram_id) == 1
    fworld.clock.advance(timedelta(days=6))
    async with fworld.unit() as work:
        assert (await work.service(AccountService).purge_expired(fworld.clock.now())).cards == 1
    assert await cards_of(keeper.telegram_id) == 0


async def test_reminders_go_in_short_batches_and_once_under_two_ticks_at_once(
    fworld: FollowupWorld,
) -> None:
    await fworld.member(MEMBER, "解放碑")
    author = await fworld.resident()
    count = 2 * REMINDERS_PER_UNIT + 7
    ids = [await fworld.written_by(author, "解放碑", f"第{i}处路灯坏了") for i in range(count)]
    async with fworld.unit() as work:
        acted = await work.service(FollowupService).act(
            await fworld.staffer(MEMBER), tuple(ids), ActionKind.RESOLVED, "修好了"
        )
    assert len(acted.done) == count
    fworld.clock.advance(timedelta(days=3, minutes=1))
    async with fworld.unit() as work:
        # One unit of work marks at most a batch.
        assert await work.service(FollowupService).remind(fworld.clock.now()) == (
            REMINDERS_PER_UNIT
        )
    now = fworld.clock.now()
    await asyncio.gather(rating_reminders(fworld.unit, now), rating_reminders(fworld.unit, now))
    await rating_reminders(fworld.unit, now + timedelta(days=5))
    texts = [p.get("text", "") for _, p in await fworld.queued(author.telegram_id)]
    reminders = [x for x in texts if "只再问这一次" in x]
    assert len(reminders) == count
    for n in ids:
        assert sum(f"-{n:06d}" in x for x in reminders) == 1
    async with fworld.unit() as work:
        asks = list(
            await work.session.scalars(select(Opinion.rating_asks).where(Opinion.id.in_(ids)))
        )
    assert asks == [2] * count


async def test_the_picker_reads_a_large_digest_in_a_few_queries(
    fworld: FollowupWorld, sessions: Any
) -> None:
    await fworld.member(MEMBER, "解放碑")
    ids = [await fworld.opinion("解放碑", f"第{i}条 电话{PHONE}") for i in range(60)]
    hidden = await fworld.opinion("七星岗", "别的街道")
    member = await fworld.staffer(MEMBER)
    clusters = [ids[:5], ids[5:9], [hidden]]
    async with fworld.unit() as work:
        card = await work.service(FollowupService).new_card(
            member, [*ids[9:], hidden], {"kind": "digest", "clusters": clusters}
        )
    statements: list[str] = []

    def counted(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        async with fworld.unit() as work:
            ctx: Any = SimpleNamespace(work=work)
            staffer = Staffer(MEMBER, member, "zh")
            text, keyboard = await _picker_view(ctx, staffer, card, 1)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 2, selects
    # 2 clusters and 51 items visible (the other sub-district's are not): page 2 of 9.
    assert "第 2/9 页" in text, text
    labels = [row[0].text for row in keyboard if len(row) == 1]
    assert len(labels) == PAGE and all(PHONE not in label for label in labels)


def test_values_that_are_already_html_are_escaped_once() -> None:
    typed = "A&B <x>"
    part = department_part("zh", typed)
    prompt = t("zh", "type_text", action="转交", refs="YZ-1", department=part, who="委员")
    assert "A&amp;B &lt;x&gt;" in prompt and "&amp;amp;" not in prompt
    question = t(
        "en",
        "confirm_cluster",
        count=2,
        action="x",
        department=department_part("en", typed),
        text="y",
    )
    assert "A&amp;B &lt;x&gt;" in question and "&amp;amp;" not in question
    from bot.domain import load_district

    district = load_district()
    who = who_answered(district, SD["解放碑"], "zh")
    notice = resident_notice(
        "zh", ActionKind.FORWARDED, ref="YZ-1", text="好", who=who, department=typed, days=14
    )
    assert "A&amp;B &lt;x&gt;" in notice and "&amp;amp;" not in notice
    assert isinstance(who, Html) and isinstance(part, Html)
    assert {"/cancel", "取消", "算了", "cancel"} <= CANCEL_WORDS
