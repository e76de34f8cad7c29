"""Admins moderate through the real python-telegram-bot stack and the emulator: auto-holds,
the queue, decisions as buttons and commands, two admins at once, intruders, bans, the
audit log, and what members' digests receive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text

from storage.models import AuditEntry, DigestItem, Opinion, Resident
from tests.flows.conftest import BotUnderTest, admin_who_started, consented_resident
from tests.flows.conftest import Resident as Person

ADMIN = 7_200_001
ADMIN_TWO = 7_200_002
MEMBER = 7_200_003
Start = Callable[..., Awaitable[BotUnderTest]]


async def staffed(start_bot: Start, **settings: object) -> tuple[BotUnderTest, Person, Person]:
    b = await start_bot(admin_ids=f"{ADMIN},{ADMIN_TWO}", **settings)
    admin = await admin_who_started(b, ADMIN)
    await b.client.create_user(MEMBER, first_name="委员")
    member = Person(b, MEMBER)
    await member.command("start")
    await admin.say(f"/grant {MEMBER} member 解放碑 南纪门 七星岗")
    return b, admin, member


async def status_of(b: BotUnderTest, n: int) -> str:
    return str(await b.query(lambda s: s.scalar(select(Opinion.status).where(Opinion.id == n))))


async def newest_id(b: BotUnderTest) -> int:
    return int(await b.query(lambda s: s.scalar(select(Opinion.id).order_by(Opinion.id.desc()))))


async def queued_for_member(b: BotUnderTest) -> list[int]:
    rows = await b.query(
        lambda s: s.scalars(select(DigestItem.opinion_id).where(DigestItem.member_id == MEMBER))
    )
    return sorted(rows)


async def test_a_link_is_held_reviewed_on_a_card_and_approved_in_one_tap(start_bot: Start) -> None:
    b, admin, _ = await staffed(start_bot)
    resident = await consented_resident(b, 7_200_010)
    receipt = await resident.submit("解放碑这边有人发小广告，加微信看 www.example.com 领优惠")
    assert "审核" in (receipt[-1].text or "")
    n = await newest_id(b)
    assert await status_of(b, n) == "held"
    assert n not in await queued_for_member(b)  # members do not see it yet
    card = (await admin.command("queue"))[-1]
    assert f"YZ-{n:06d}" in (card.text or "") and "含链接" in (card.text or "")
    approve = next(x.callback_data for row in card.buttons for x in row if x.text == "✅ 通过")
    after = await admin.press_prefix("✅ 通过")
    assert any("已通过" in (m.text or "") for m in after)
    # The same button pressed again (a double tap, a replay): nothing happens twice.
    again = await admin.replies(
        b.client.press_raw(ADMIN, approve or "", message_id=card.message_id)
    )
    assert any("已经是" in (m.text or "") for m in again)
    assert await status_of(b, n) == "received"
    assert n in await queued_for_member(b)  # visible from the approval on
    told = await b.client.bot_messages(resident.id)
    assert any("已通过审核" in (m.text or "") for m in told)


async def test_pre_moderation_holds_everything_until_approved(start_bot: Start) -> None:
    b, admin, _ = await staffed(start_bot, moderation_mode="pre")
    resident = await consented_resident(b, 7_200_011)
    await resident.submit("南纪门凯旋路晚上停车太乱")
    n = await newest_id(b)
    assert await status_of(b, n) == "pending"
    assert await queued_for_member(b) == []
    reply = (await admin.say(f"/approve YZ-{n:06d}"))[-1].text or ""
    assert "已通过" in reply
    assert await queued_for_member(b) == [n]
    again = (await admin.say(f"/approve YZ-{n:06d}"))[-1].text or ""
    assert "已经是" in again and str(ADMIN) in again


async def test_two_admins_on_one_item_act_once(start_bot: Start) -> None:
    b, admin, _ = await staffed(start_bot, moderation_mode="pre")
    other = await admin_who_started(b, ADMIN_TWO)
    resident = await consented_resident(b, 7_200_012)
    await resident.submit("七星岗通远门老楼电线乱拉")
    await admin.command("queue")
    await other.command("queue")
    await admin.press_prefix("✅ 通过")
    second = await other.press_prefix("✅ 通过")
    text = "\n".join(m.text or "" for m in second)
    assert "已经是" in text and str(ADMIN) in text
    audit = await b.query(
        lambda s: s.scalars(select(AuditEntry.actor_id).where(AuditEntry.action == "approve"))
    )
    assert list(audit) == [ADMIN]
    told = [m for m in await b.client.bot_messages(resident.id) if "已通过审核" in (m.text or "")]
    assert len(told) == 1


ADMIN_COMMANDS = [
    "/queue",
    "/approve YZ-000001",
    "/reject YZ-000001 广告",
    "/hide YZ-000001",
    "/unhide YZ-000001",
    "/retag YZ-000001 解放碑",
    "/merge YZ-000001 YZ-000002",
    "/ban YZ-000001 hard",
    "/unban YZ-000001",
    "/audit",
]


async def test_residents_and_members_are_refused_everything_and_nothing_changes(
    start_bot: Start,
) -> None:
    b, admin, member = await staffed(start_bot, moderation_mode="pre")
    resident = await consented_resident(b, 7_200_013)
    await resident.submit("解放碑步行街垃圾桶满了没人清")
    await resident.submit("解放碑八一路垃圾没人清")
    card = (await admin.command("queue"))[-1]
    real = next(btn.callback_data for row in card.buttons for btn in row if btn.callback_data)
    before = await b.query(lambda s: s.execute(select(Opinion.id, Opinion.status)))
    before_rows = before.all()
    audit_before = await b.count(AuditEntry)
    for intruder in (resident, member):
        for command in ADMIN_COMMANDS:
            reply = await intruder.say(command)
            assert "只对工作人员开放" in (reply[-1].text or ""), (intruder.id, command)
        for data in (real, "mq:1:ok:x", "mq:1:bulkok:x", "bn:1:yes", "mq:99999:rr:abusive"):
            pressed = await b.client.press_raw(intruder.id, data or "")
            answer = await b.client.wait_for_callback_answer(pressed.callback_query_id)
            assert answer is not None and "工作人员" in (answer.text or ""), data
    # An admin pressing another admin's card (a forwarded or replayed button) does nothing.
    other = await admin_who_started(b, ADMIN_TWO)
    pressed = await b.client.press_raw(other.id, real or "")
    answer = await b.client.wait_for_callback_answer(pressed.callback_query_id)
    assert answer is not None and "失效" in (answer.text or "")
    after = await b.query(lambda s: s.execute(select(Opinion.id, Opinion.status)))
    assert after.all() == before_rows
    assert await b.count(AuditEntry) == audit_before


async def test_reject_with_a_listed_reason_reaches_the_author_in_their_language(
    start_bot: Start,
) -> None:
    b, admin, _ = await staffed(start_bot, moderation_mode="pre")
    await b.client.create_user(7_200_014, first_name="Anna", language_code="en")
    resident = Person(b, 7_200_014, "en")
    await resident.consent()
    await resident.submit("Parking on Kaixuan Road near Jiefangbei is a mess at night")
    await admin.command("queue")
    await admin.press_prefix("❌ 驳回")
    await admin.press_prefix("广告或推广")
    n = await newest_id(b)
    assert await status_of(b, n) == "rejected"
    told = [m.text or "" for m in await b.client.bot_messages(resident.id)]
    assert any("not accepted" in x and "advertising" in x for x in told), told


async def test_hide_drops_it_from_digests_not_yet_sent_and_unhide_brings_it_back(
    start_bot: Start,
) -> None:
    b, admin, _ = await staffed(start_bot)
    resident = await consented_resident(b, 7_200_015)
    await resident.submit("解放碑较场口夜市油烟太大")
    n = await newest_id(b)
    assert await queued_for_member(b) == [n]
    assert "已隐藏" in ((await admin.say(f"/hide YZ-{n:06d} abusive"))[-1].text or "")
    assert await queued_for_member(b) == []
    assert "取消隐藏" in ((await admin.say(f"/unhide YZ-{n:06d}"))[-1].text or "")
    assert await queued_for_member(b) == [n]


async def test_merge_keeps_supporters_and_tells_the_author_where_it_went(
    start_bot: Start,
) -> None:
    b, admin, _ = await staffed(start_bot)
    first = await consented_resident(b, 7_200_016)
    second = await consented_resident(b, 7_200_017)
    await first.submit("南纪门凯旋路停车太乱")
    target = await newest_id(b)
    await second.submit("凯旋路那边晚上乱停车，南纪门这边走不动")
    source = await newest_id(b)
    reply = (await admin.say(f"/merge YZ-{source:06d} YZ-{target:06d}"))[-1].text or ""
    assert "合并到" in reply
    assert await status_of(b, source) == "merged"
    supporters = await b.query(
        lambda s: s.execute(
            text("SELECT resident_id FROM opinion_supporters WHERE opinion_id = :o"), {"o": target}
        )
    )
    second_id = await b.query(
        lambda s: s.scalar(select(Resident.id).where(Resident.telegram_id == second.id))
    )
    assert [r[0] for r in supporters] == [second_id]
    told = [m.text or "" for m in await b.client.bot_messages(second.id)]
    assert any(f"YZ-{target:06d}" in x and "合并" in x for x in told)


async def test_soft_ban_holds_and_hard_ban_ignores_after_one_notice(start_bot: Start) -> None:
    b, admin, member = await staffed(start_bot)
    resident = await consented_resident(b, 7_200_018)
    await resident.submit("解放碑八一路路灯坏了")
    n = await newest_id(b)
    assert "已限制" in ((await admin.say(f"/ban YZ-{n:06d} soft 刷屏"))[-1].text or "")
    await resident.submit("解放碑八一路路灯还是坏的")
    assert await status_of(b, await newest_id(b)) == "held"
    pseudonym = await b.query(
        lambda s: s.scalar(select(Resident.pseudonym).where(Resident.telegram_id == resident.id))
    )
    assert "已限制" in ((await admin.say(f"/ban {pseudonym} hard"))[-1].text or "")
    first = await resident.say("又有新问题了")
    assert any("停止受理" in (m.text or "") for m in first)
    before = await b.client.cursor()
    await b.client.send_text(resident.id, "再说一遍")
    await b.settle()
    assert not [m for m in await b.client.bot_messages(resident.id) if m.cursor > before]
    assert "已解除" in ((await admin.say(f"/unban {pseudonym}"))[-1].text or "")
    # Banning a member (who also writes as a resident) asks first.
    await member.consent()
    asked = (await admin.say(f"/ban {MEMBER} soft"))[-1]
    assert asked.buttons and "委员" in (asked.text or ""), asked.text
    banned = await b.query(
        lambda s: s.scalar(select(Resident.ban).where(Resident.telegram_id == MEMBER))
    )
    assert banned is None  # not before the confirmation
    await admin.press_prefix("确定限制")
    banned = await b.query(
        lambda s: s.scalar(select(Resident.ban).where(Resident.telegram_id == MEMBER))
    )
    assert banned == "soft"


async def test_the_audit_log_holds_every_action_and_refuses_changes(start_bot: Start) -> None:
    b, admin, _ = await staffed(start_bot, moderation_mode="pre")
    resident = await consented_resident(b, 7_200_019)
    await resident.submit("解放碑步行街共享单车乱停")
    n = await newest_id(b)
    await admin.say(f"/retag YZ-{n:06d} 七星岗")
    await admin.say(f"/approve YZ-{n:06d}")
    await admin.say(f"/hide YZ-{n:06d} off_topic")
    listed = (await admin.say(f"/audit YZ-{n:06d}"))[-1].text or ""
    for action in ("retag", "approve", "hide"):
        assert action in listed
    assert str(resident.id) not in listed  # residents appear by pseudonym only
    with pytest.raises(Exception, match="append-only"):
        await b.query(lambda s: s.execute(text("UPDATE audit_log SET reason = 'x'")))
    with pytest.raises(Exception, match="append-only"):
        await b.query(lambda s: s.execute(text("DELETE FROM audit_log")))
    assert await b.count(AuditEntry) >= 3


async def test_personal_data_is_held_in_any_digits_and_a_mistyped_id_number_too(
    start_bot: Start, tmp_path: Path
) -> None:
    words = tmp_path / "words.txt"
    words.write_text("# held for review\n黑中介\n", encoding="utf-8")
    b, admin, _ = await staffed(start_bot, moderation_words_file=str(words))
    resident = await consented_resident(b, 7_200_020)
    await resident.submit("解放碑楼下漏水，联系我 １３８ ００１３ ８０００")
    phone = await newest_id(b)
    await resident.submit("七星岗这边电线乱拉，我的身份证 11010519491231002X")
    valid_id = await newest_id(b)
    # One digit of an ID mistyped (the check character is wrong): 17 real digits still.
    await resident.submit("南纪门凯旋路路灯不亮，我身份证 110105194912310021，有事找我")
    wrong_check_digit = await newest_id(b)
    assert await status_of(b, phone) == "held"
    assert await status_of(b, valid_id) == "held"
    assert await status_of(b, wrong_check_digit) == "held"
    card = (await admin.command("queue"))[-1].text or ""
    assert "手机号" in card and "８０００" not in card
    await resident.submit("解放碑这边有 黑 中 介 天天拉人租房")
    listed = await newest_id(b)
    assert await status_of(b, listed) == "held"
    words.write_text("黑中介\n拉客\n", encoding="utf-8")  # changed: read again at the next check
    await resident.submit("菜园坝火车站晚上有人拉客")
    assert await status_of(b, await newest_id(b)) == "held"


async def test_a_failing_job_tells_the_admins_once(start_bot: Start) -> None:
    from bot.delivery.scheduler import Ticker

    b, _, _ = await staffed(start_bot)

    async def broken(now: object) -> None:
        raise RuntimeError(f"digest builder broke at {now}")

    b.runtime.scheduler.tickers.append(Ticker("broken", broken))
    before = await b.client.cursor()
    for _ in range(3):
        await b.runtime.scheduler.tick()
    b.runtime.wake_sender.set()
    await b.settle()
    told = [m.text or "" for m in await b.client.bot_messages(ADMIN) if m.cursor > before]
    alerts = [x for x in told if "出错" in x]
    assert len(alerts) == 1, told
    assert "job broken" in alerts[0] and "RuntimeError" in alerts[0]


@pytest.mark.postgres
@pytest.mark.parametrize("mode", ["pre", "post"])
async def test_moderation_decides_what_digests_carry_on_postgres(
    start_bot: Start, postgres_server: str, mode: str
) -> None:
    """Pre and post mode end to end on PostgreSQL: a member's digest holds exactly the items
    that are visible by the moderation decisions (approved, not hidden or rejected)."""
    from datetime import UTC, datetime

    from bot.domain.clock import ManualClock
    from storage.models import Digest
    from tests.conftest import _reset_postgres

    await _reset_postgres(postgres_server)
    clock = ManualClock(datetime(2026, 11, 30, 4, 0, tzinfo=UTC))
    b, admin, member = await staffed(
        start_bot, database_url=postgres_server, moderation_mode=mode, clock=clock
    )
    resident = await consented_resident(b, 7_200_030 + (mode == "pre"))
    ids = []
    for text_ in (
        "解放碑八一路停车难",
        "南纪门凯旋路路灯坏了",
        "七星岗通远门电线乱拉",
        "解放碑步行街垃圾",
    ):
        await resident.submit(text_)
        ids.append(await newest_id(b))
    approved, rejected, hidden, untouched = ids
    if mode == "pre":
        await admin.say(f"/approve YZ-{approved:06d} YZ-{hidden:06d}")
    await admin.say(f"/reject YZ-{rejected:06d} off_topic")
    await admin.say(f"/hide YZ-{hidden:06d} abusive")
    clock.set(datetime(2026, 12, 1, 0, 0, 30, tzinfo=UTC))
    await b.runtime.scheduler.tick()
    b.runtime.wake_sender.set()
    await b.settle(timeout=20)
    body = "\n".join(
        m.text or "" for m in await b.client.bot_messages(MEMBER) if (m.text or "").startswith("📋")
    )
    expected = {approved} | ({untouched} if mode == "post" else set())
    for n in ids:
        assert (f"YZ-{n:06d}" in body) == (n in expected), (mode, n, body)
    assert await b.count(Digest) == 1
    assert member.id == MEMBER


async def test_the_same_text_again_is_held_but_a_short_common_one_is_not(start_bot: Start) -> None:
    b, _, _ = await staffed(start_bot)
    one = await consented_resident(b, 7_200_040)
    two = await consented_resident(b, 7_200_041)
    await one.submit("解放碑八一路晚上停车太乱，消防通道都堵了")
    assert await status_of(b, await newest_id(b)) == "received"
    await two.submit("解放碑八一路晚上停车太乱！消防通道 都堵了")
    assert await status_of(b, await newest_id(b)) == "held"
    await one.submit("解放碑路灯坏了")
    await two.submit("解放碑路灯坏了")
    assert await status_of(b, await newest_id(b)) == "received"
