"""Admins and members through the real python-telegram-bot stack and the emulator: roles,
invites, menus, settings, digests on a moved clock, /digest and /op, and refusals."""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from bot.domain.clock import ManualClock
from storage.models import Digest, Draft, Invite, Opinion, Staff, StaffSubdistrict
from tests.flows.conftest import BotUnderTest, Resident, admin_who_started, consented_resident

ADMIN = 7_100_001
MEMBER = 7_100_002
OTHER_MEMBER = 7_100_003
#: 2026-11-30 12:00 in Shanghai; the next 08:00 is at T_DIGEST.
T_START = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
T_DIGEST = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
Start = Callable[..., Awaitable[BotUnderTest]]


async def person(b: BotUnderTest, user_id: int, *, start: bool = True) -> Resident:
    await b.client.create_user(user_id, first_name="委员")
    r = Resident(b, user_id)
    if start:
        await r.command("start")
    return r


async def grant(admin: Resident, text: str) -> str:
    replies = await admin.say(text)
    return replies[-1].text or ""


async def member_rows(b: BotUnderTest) -> dict[int, str]:
    rows = await b.query(lambda s: s.execute(select(Staff.telegram_id, Staff.role)))
    return dict(rows.all())


@pytest.fixture
async def staffed(start_bot: Start) -> tuple[BotUnderTest, Resident, Resident]:
    clock = ManualClock(T_START)
    b = await start_bot(clock=clock, admin_ids=str(ADMIN))
    admin = await admin_who_started(b, ADMIN)
    member = await person(b, MEMBER)
    reply = await grant(admin, f"/grant {MEMBER} member 解放碑")
    assert "现在是委员" in reply, reply
    return b, admin, member


async def test_a_granted_member_gets_a_menu_a_welcome_and_a_digest_at_their_time(
    staffed: tuple[BotUnderTest, Resident, Resident],
) -> None:
    b, admin, _ = staffed
    messages = await b.client.bot_messages(MEMBER)
    assert any("您已成为" in (m.text or "") for m in messages)
    (emu_bot,) = [x for x in await b.client.bots() if x.id == b.client.bot_id]
    scoped = {
        (c["scope"].get("chat_id"), c["language_code"]): [x["command"] for x in c["commands"]]
        for c in emu_bot.commands
    }
    assert "digest" in scoped[(MEMBER, "")] and "grant" not in scoped[(MEMBER, "")]
    assert "grant" in scoped[(ADMIN, "")] and "digest" in scoped[(ADMIN, "en")]
    assert "grant" not in scoped[(None, "")]  # residents' menu has no staff commands

    resident = await consented_resident(b, 7_100_010)
    await resident.submit("解放碑八一路晚上停车太乱，请联系我13800138000")
    await resident.submit("解放碑步行街旁消防通道被电动车堵住了")
    ids = list(await b.query(lambda s: s.scalars(select(Opinion.id).order_by(Opinion.id))))
    assert len(ids) == 2
    # A phone number holds the first for review; once approved, members see it, masked.
    assert "已通过" in ((await admin.say(f"/approve YZ-{ids[0]:06d}"))[-1].text or "")

    assert isinstance(b.clock, ManualClock)
    b.clock.set(T_DIGEST + timedelta(seconds=30))
    before = await b.client.cursor()
    await b.runtime.scheduler.tick()
    b.runtime.wake_sender.set()
    await b.settle(timeout=20)
    got = [m for m in await b.client.bot_messages(MEMBER) if m.cursor > before]
    texts = [m.text or "" for m in got if m.kind == "text"]
    body = "\n".join(texts)
    for n in ids:
        assert f"YZ-{n:06d}" in body
    assert "13800138000" not in body and "0013" not in body
    assert all(len(t) <= 4096 for t in texts)
    assert "安全事项优先" in body  # the fire lane comes first
    photo = [m for m in got if m.kind == "photo"]
    sheet = [m for m in got if m.kind == "document"]
    assert len(photo) == 1 and len(sheet) == 1
    assert sheet[0].document is not None and sheet[0].document.file_name is not None
    assert re.fullmatch(r"yushi-digest-20261201-0800\.xlsx", sheet[0].document.file_name)
    book = openpyxl.load_workbook(
        io.BytesIO(await b.client.file_content(sheet[0].document.file_id))
    )
    cells = [[c for c in row] for row in book.active.iter_rows(values_only=True)]
    refs = [row[0] for row in cells[1:]]
    assert refs == [f"YZ-{n:06d}" for n in sorted(ids, key=lambda i: i)] or set(refs) == {
        f"YZ-{n:06d}" for n in ids
    }
    assert not any("13800138000" in str(c) for row in cells for c in row)
    # The next tick sends nothing again.
    again = await b.client.cursor()
    await b.runtime.scheduler.tick()
    await b.settle()
    assert not [m for m in await b.client.bot_messages(MEMBER) if m.cursor > again]
    assert await b.count(Digest) == 1


async def test_digest_now_shows_the_period_without_taking_it(
    staffed: tuple[BotUnderTest, Resident, Resident],
) -> None:
    b, _, member = staffed
    resident = await consented_resident(b, 7_100_011)
    await resident.submit("解放碑较场口夜市油烟太大")
    ref = f"YZ-{await b.query(lambda s: s.scalar(select(Opinion.id))):06d}"
    shown = await member.command("digest")
    assert any(ref in (m.text or "") for m in shown)
    assert await b.count(Digest) == 0
    assert isinstance(b.clock, ManualClock)
    b.clock.set(T_DIGEST + timedelta(seconds=5))
    before = await b.client.cursor()
    await b.runtime.scheduler.tick()
    b.runtime.wake_sender.set()
    await b.settle(timeout=20)
    later = [m.text or "" for m in await b.client.bot_messages(MEMBER) if m.cursor > before]
    assert any(ref in t for t in later)


async def test_op_shows_an_item_to_its_members_and_admins_only(
    staffed: tuple[BotUnderTest, Resident, Resident],
) -> None:
    b, admin, member = staffed
    other = await person(b, OTHER_MEMBER)
    assert "现在是委员" in await grant(admin, f"/grant {OTHER_MEMBER} member 七星岗")
    resident = await consented_resident(b, 7_100_012)
    await resident.submit("解放碑这边楼道电线老化，电话 139 1234 5678")
    n = await b.query(lambda s: s.scalar(select(Opinion.id)))
    ref = f"YZ-{n:06d}"
    # Held for the phone number: nobody but admins sees it until it is approved.
    assert "没有找到" in ((await member.say(f"/op {ref}"))[0].text or "")
    await admin.say(f"/approve {ref}")
    shown = (await member.say(f"/op {ref}"))[0].text or ""
    assert ref in shown and "139 1234 5678" not in shown and "1234" not in shown
    assert "居民代号" in shown
    refused = (await other.say(f"/op {ref}"))[0].text or ""
    assert "没有找到" in refused and "电线" not in refused
    assert "电线" in ((await admin.say(f"/op {n}"))[0].text or "")
    assert "例如" in ((await member.say("/op 你好"))[0].text or "")


async def test_grant_to_someone_who_never_opened_the_bot_says_so(start_bot: Start) -> None:
    b = await start_bot(admin_ids=str(ADMIN))
    admin = await admin_who_started(b, ADMIN)
    await person(b, MEMBER, start=False)
    reply = await grant(admin, f"/grant {MEMBER} member 七星岗")
    assert "还不能给" in reply and "/start" in reply
    roles = (await admin.command("roles"))[-1].text or ""
    assert str(MEMBER) in roles and "无法送达" in roles
    # They open the bot: reachable from then on, and their menu arrives.
    await Resident(b, MEMBER).command("start")
    roles = (await admin.command("roles"))[-1].text or ""
    assert "无法送达" not in roles.split(str(MEMBER), 1)[1].split("\n\n")[0].split("\n🛡")[0]


async def test_grant_refuses_usernames_reserved_ids_and_unknown_places(start_bot: Start) -> None:
    b = await start_bot(admin_ids=str(ADMIN))
    admin = await admin_who_started(b, ADMIN)
    assert "不是用户ID" in await grant(admin, "/grant @somebody member 解放碑")
    assert "特殊账号" in await grant(admin, "/grant 1087968824 admin")
    assert "特殊账号" in await grant(admin, "/grant 136817688 member 解放碑")
    assert "不认识这些街道" in await grant(admin, "/grant 7100009 member 观音桥")
    assert "请写上委员跟进的街道" in await grant(admin, "/grant 7100009 member")
    assert "用法" in await grant(admin, "/grant")
    assert await member_rows(b) == {ADMIN: "admin"}


async def test_invite_link_works_once_and_expires(start_bot: Start) -> None:
    clock = ManualClock(T_START)
    b = await start_bot(clock=clock, admin_ids=str(ADMIN))
    admin = await admin_who_started(b, ADMIN)
    reply = (await admin.say("/invite 七星岗 大坪"))[-1].text or ""
    code = re.search(r"start=(inv_[A-Za-z0-9_-]{16})", reply)
    assert code is not None, reply
    first = await person(b, 7_100_020, start=False)
    welcome = await first.replies(b.client.start(first.id, code[1]))
    assert "委员" in (welcome[-1].text or "")
    followed = await b.query(
        lambda s: s.scalars(
            select(StaffSubdistrict.subdistrict).where(StaffSubdistrict.telegram_id == first.id)
        )
    )
    assert len(list(followed)) == 2
    second = await person(b, 7_100_021, start=False)
    used = await second.replies(b.client.start(second.id, code[1]))
    assert "已经用过" in (used[-1].text or "")
    reply = (await admin.say("/invite 解放碑"))[-1].text or ""
    late_code = re.search(r"start=(inv_[A-Za-z0-9_-]{16})", reply)
    assert late_code is not None
    clock.advance(timedelta(hours=73))
    late = await second.replies(b.client.start(second.id, late_code[1]))
    assert "过期" in (late[-1].text or "")
    forged = await second.replies(b.client.start(second.id, "inv_AAAAAAAAAAAAAAAA"))
    assert "无效" in (forged[-1].text or "")
    assert second.id not in await member_rows(b)
    assert await b.count(Invite) == 2


ADMIN_COMMANDS = [
    f"/grant {7_100_099} admin",
    f"/grant {7_100_099} member 解放碑",
    f"/revoke {ADMIN}",
    "/roles",
    "/invite 解放碑",
]
MEMBER_COMMANDS = ["/settings", "/digest", "/op YZ-000001"]


async def test_residents_are_refused_every_staff_command_and_button(
    staffed: tuple[BotUnderTest, Resident, Resident],
) -> None:
    b, _, _ = staffed
    resident = await consented_resident(b, 7_100_030)
    before = await member_rows(b)
    for text in ADMIN_COMMANDS + MEMBER_COMMANDS:
        reply = await resident.say(text)
        assert "只对工作人员开放" in (reply[-1].text or ""), text
    for data in ("ms:freq:off", "ms:sd:0", "ms:lang:en", "ms:time:0700", "ms:done:x"):
        pressed = await b.client.press_raw(resident.id, data)
        answer = await b.client.wait_for_callback_answer(pressed.callback_query_id)
        assert answer is not None and "工作人员" in (answer.text or ""), data
    assert await member_rows(b) == before
    assert await b.count(Draft) == 0  # none of it became an opinion


async def test_members_are_refused_every_admin_command(
    staffed: tuple[BotUnderTest, Resident, Resident],
) -> None:
    b, _, member = staffed
    before = await member_rows(b)
    for text in ADMIN_COMMANDS:
        reply = await member.say(text)
        assert "只对工作人员开放" in (reply[-1].text or ""), text
    assert await member_rows(b) == before


async def test_settings_by_buttons_and_a_typed_time(
    staffed: tuple[BotUnderTest, Resident, Resident],
) -> None:
    b, _, member = staffed
    card = (await member.command("settings"))[-1]
    assert "汇总设置" in (card.text or "") and "每天 08:00" in (card.text or "")
    await member.press_prefix("🕗")
    await member.press_prefix("⌨️")
    done = await member.say("7:30")
    assert "07:30" in (done[-1].text or "")
    assert await b.count(Draft) == 0  # the time was not taken as an opinion
    await member.press_prefix("📍")
    await member.press_prefix("七星岗")
    await member.press_prefix("⬅️")
    await member.press_prefix("🗓")
    await member.press_prefix("每周")
    await member.press_prefix("周三")
    final = await b.client.last_bot_message(MEMBER)
    assert final is not None and "每周三 07:30" in (final.text or "")
    assert "七星岗" in (final.text or "")
    again = await member.command("settings")
    assert "07:30" in (again[-1].text or "")  # the typed time was kept
    await member.press_prefix("🕗")
    await member.press_prefix("⌨️")
    wrong = await member.say("25:99")
    assert "不是有效的时间" in (wrong[-1].text or "")


async def test_revoked_member_is_told_and_loses_the_menu(
    staffed: tuple[BotUnderTest, Resident, Resident],
) -> None:
    b, admin, member = staffed
    assert "已撤销" in await grant(admin, f"/revoke {MEMBER}")
    assert any("已撤销" in (m.text or "") for m in await b.client.bot_messages(MEMBER))
    assert MEMBER not in await member_rows(b)
    assert "只对工作人员开放" in ((await member.command("digest"))[-1].text or "")
    # An admin from ADMIN_IDS (here: themselves) cannot be revoked by command.
    assert "ADMIN_IDS" in await grant(admin, f"/revoke {ADMIN}")


async def test_a_member_who_blocked_the_bot_is_marked_unreachable_and_skipped(
    staffed: tuple[BotUnderTest, Resident, Resident],
) -> None:
    b, admin, _ = staffed
    await b.client.block(MEMBER)
    await b.settle()
    roles = (await admin.command("roles"))[-1].text or ""
    assert "无法送达" in roles
    resident = await consented_resident(b, 7_100_040)
    await resident.submit("解放碑有人占道经营")
    assert isinstance(b.clock, ManualClock)
    b.clock.set(T_DIGEST + timedelta(seconds=5))
    await b.runtime.scheduler.tick()
    await b.settle()
    assert await b.count(Digest) == 0


async def test_forged_settings_presses_change_nothing(
    staffed: tuple[BotUnderTest, Resident, Resident],
) -> None:
    b, _, member = staffed
    before = await b.query(
        lambda s: s.execute(select(Staff.frequency, Staff.digest_time, Staff.lang))
    )
    before_rows = before.all()
    for data in ("ms:sd:99", "ms:sd:all", "ms:time:2599", "ms:day:9", "ms:freq:hourly", "ms:x"):
        pressed = await b.client.press_raw(member.id, data)
        answer = await b.client.wait_for_callback_answer(pressed.callback_query_id)
        assert answer is not None and "失效" in (answer.text or ""), data
    after = await b.query(
        lambda s: s.execute(select(Staff.frequency, Staff.digest_time, Staff.lang))
    )
    assert after.all() == before_rows
    followed = await b.query(lambda s: s.scalars(select(StaffSubdistrict.subdistrict)))
    assert len(list(followed)) == 1  # still only 解放碑 ("all" is for admins)
