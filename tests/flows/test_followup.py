"""Closing the loop through the real python-telegram-bot stack and the emulator, with an
injected clock: a member answers from the digest's button, the resident reads the answer
signed "委员" and the sub-district (never the member's name), it is resolved, rated and shown
in /my; reopening inside the window (back in the next digest, marked) and after it
(refused, with the office's phone); a supporter told; a cluster after one confirmation; the
one reminder; intruders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.clock import ManualClock
from storage.models import AuditEntry, Opinion, OpinionAction, OpinionSupporter, Resident
from tests.flows.conftest import BotUnderTest, admin_who_started, consented_resident
from tests.flows.conftest import Resident as Person

ADMIN = 7_400_001
MEMBER = 7_400_002
OTHER_MEMBER = 7_400_003
#: 2026-11-30 12:00 in Shanghai; the next 08:00 is at T_DIGEST.
T_START = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
T_DIGEST = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
MEMBER_NAME = "王大明"
Start = Callable[..., Awaitable[BotUnderTest]]


async def staff_person(b: BotUnderTest, user_id: int) -> Person:
    await b.client.create_user(user_id, first_name=MEMBER_NAME, last_name="委员甲")
    p = Person(b, user_id)
    await p.command("start")
    return p


@pytest.fixture
async def loop(start_bot: Start) -> tuple[BotUnderTest, Person, Person]:
    b = await start_bot(clock=ManualClock(T_START), admin_ids=str(ADMIN))
    admin = await admin_who_started(b, ADMIN)
    member = await staff_person(b, MEMBER)
    reply = (await admin.say(f"/grant {MEMBER} member 解放碑"))[-1].text or ""
    assert "现在是委员" in reply, reply
    return b, admin, member


async def digest_at(b: BotUnderTest, moment: datetime, chat: int) -> list[str]:
    """Move the clock, tick the scheduler, return the texts the member got."""
    assert isinstance(b.clock, ManualClock)
    b.clock.set(moment)
    before = await b.client.cursor()
    await b.runtime.scheduler.tick()
    b.runtime.wake_sender.set()
    await b.settle(timeout=20)
    return [
        m.text or ""
        for m in await b.client.bot_messages(chat)
        if m.cursor > before and m.kind == "text"
    ]


async def press_on(p: Person, prefix: str) -> str:
    """Press a button on the newest message that has it; the newest text it brought."""
    replies = await p.press_prefix(prefix)
    texts = [m.text or "" for m in replies if m.kind == "text"]
    return texts[-1] if texts else ""


async def last_text(p: Person) -> str:
    last = await p.c.last_bot_message(p.id)
    return (last.text or "") if last else ""


async def answer_to(p: Person, data: str) -> str:
    last = await p.c.last_bot_message(p.id)
    pressed = await p.c.press_raw(p.id, data, message_id=last.message_id if last else None)
    answer = await p.c.wait_for_callback_answer(pressed.callback_query_id, timeout=10)
    await p.b.settle()
    return answer.text or ""


async def opinion_ids(b: BotUnderTest) -> list[int]:
    return list(await b.query(lambda s: s.scalars(select(Opinion.id).order_by(Opinion.id))))


async def test_the_whole_loop_answer_resolve_rate_my_reopen_and_the_next_digest(
    loop: tuple[BotUnderTest, Person, Person],
) -> None:
    b, _, member = loop
    resident = await consented_resident(b, 7_400_010)
    await resident.submit("解放碑八一路晚上停车太乱，车都停到人行道上了")
    (n,) = await opinion_ids(b)
    ref = f"YZ-{n:06d}"
    digest = await digest_at(b, T_DIGEST + timedelta(seconds=30), MEMBER)
    assert any(ref in t for t in digest)

    # From the digest's one button: the picker, the item, "answer", the words.
    picker = await press_on(member, "📝 处理这些意见")
    assert "请选择要处理的意见" in picker
    assert "请选择怎么处理" in await press_on(member, ref)
    assert "请写给居民的话" in await press_on(member, "💬 答复居民")
    done = await member.say("已经联系交巡警，本周内在八一路加装禁停标志。<请放心>")
    assert f"{ref} 已标记为已答复" in (done[-1].text or "")
    notice = await last_text(resident)
    assert "委员回复了您的意见" in notice and "解放碑街道 委员" in notice
    assert "<请放心>" in notice  # the member's words, escaped, shown as typed
    assert MEMBER_NAME not in notice and str(MEMBER) not in notice

    # Resolved from /op's button; the notice carries the stars and 重新打开.
    op_card = await member.say(f"/op {ref}")
    assert any(
        b.text.startswith("📝 处理这条意见") for m in op_card for row in m.buttons for b in row
    )
    await press_on(member, "📝 处理这条意见")
    await press_on(member, "✅ 已解决")
    await member.say("禁停标志已装好，交巡警晚上巡查。")
    last = await resident.c.last_bot_message(resident.id)
    assert last is not None and "已解决" in (last.text or "")
    labels = [btn.text for row in last.buttons for btn in row]
    assert labels[:5] == [f"{k}⭐" for k in range(1, 6)] and "🔁 重新打开" in labels

    rated = await resident.press("4⭐")
    assert "⭐⭐⭐⭐" in (rated[-1].text or "")
    again = await resident.press("5⭐")  # the same (old) keyboard: the latest counts
    assert "已改为" in (again[-1].text or "")
    row = await b.query(lambda s: s.get(Opinion, n))
    assert row.rating == 5 and row.progress == "resolved"

    my = "\n".join(m.text or "" for m in await resident.command("my"))
    assert "委员答复" in my and "已解决" in my and "您打分 ⭐⭐⭐⭐⭐" in my
    assert "状态：已解决" in my and "已解决：“禁停标志已装好" in my
    assert MEMBER_NAME not in my

    # Reopened inside the window, with a reason typed (not taken as a new opinion).
    assert isinstance(b.clock, ManualClock)
    b.clock.advance(timedelta(days=3))
    assert "哪里还没解决" in await press_on(resident, "🔁 重新打开")
    reopened = await resident.say("晚上还是停满了车")
    assert "已重新打开" in (reopened[-1].text or "")
    assert len(await opinion_ids(b)) == 1
    row = await b.query(lambda s: s.get(Opinion, n))
    assert row.progress == "reopened" and row.reopen_count == 1
    assert "您重新打开了" in "\n".join(m.text or "" for m in await resident.command("my"))

    body = "\n".join(await digest_at(b, T_DIGEST + timedelta(days=4, seconds=30), MEMBER))
    assert ref in body and "🔁 重新打开" in body and "仍待跟进" in body
    kinds = list(
        await b.query(lambda s: s.scalars(select(OpinionAction.kind).order_by(OpinionAction.id)))
    )
    assert kinds == ["answered", "resolved", "rated", "rated", "reopened"]
    actions = list(await b.query(lambda s: s.scalars(select(AuditEntry.action))))
    assert "followup_answered" in actions and "followup_resolved" in actions

    # /op tells the member the whole follow-up, the reopening reason included.
    history = (await member.say(f"/op {ref}"))[0].text or ""
    assert "委员（解放碑街道）答复：已经联系交巡警" in history
    assert "标记为已解决：禁停标志已装好" in history
    assert "居民评分 ⭐⭐⭐⭐⭐" in history and "居民重新打开，理由：晚上还是停满了车" in history


async def test_reopen_after_the_window_is_refused_with_the_office_phone(
    loop: tuple[BotUnderTest, Person, Person],
) -> None:
    b, _, member = loop
    resident = await consented_resident(b, 7_400_011)
    await resident.submit("解放碑较场口夜市油烟太大，晚上开不了窗")
    (n,) = await opinion_ids(b)
    await member.say(f"/op YZ-{n:06d}")
    await press_on(member, "📝 处理这条意见")
    await press_on(member, "✅ 已解决")
    await member.say("已协调商户安装油烟净化器。")
    assert isinstance(b.clock, ManualClock)
    b.clock.advance(timedelta(days=15))
    refused = await press_on(resident, "🔁 重新打开")
    assert "023-63891234" in refused and "新的意见" in refused
    row = await b.query(lambda s: s.get(Opinion, n))
    assert row.progress == "resolved"


async def test_a_supporter_is_told_and_a_cluster_is_acted_on_after_one_confirmation(
    loop: tuple[BotUnderTest, Person, Person],
) -> None:
    b, _, member = loop
    texts = [
        "解放碑八一路停车太乱了，人行道都被占了",
        "八一路解放碑这边乱停车，人行道上全是车",
        "解放碑八一路人行道乱停车很严重",
    ]
    people = []
    for i, text in enumerate(texts):
        r = await consented_resident(b, 7_400_020 + i)
        await r.submit(text)
        people.append(r)
    ids = await opinion_ids(b)
    fan = await consented_resident(b, 7_400_030)

    async def add_supporter(s: AsyncSession) -> None:
        resident_id = await s.scalar(select(Resident.id).where(Resident.telegram_id == fan.id))
        s.add(OpinionSupporter(opinion_id=ids[0], resident_id=resident_id, since=T_START))

    await b.query(add_supporter)
    await digest_at(b, T_DIGEST + timedelta(seconds=30), MEMBER)
    await press_on(member, "📝 处理这些意见")
    await press_on(member, "👥")
    await press_on(member, "✅ 已解决")
    confirm = await member.say("八一路已划定停车位，人行道加装了隔离桩。")
    assert f"对这 {len(ids)} 条意见都标记为" in (confirm[-1].text or "")
    ok = next(
        btn.callback_data for row in confirm[-1].buttons for btn in row if btn.text == "✅ 确定"
    )
    assert ok is not None
    assert await b.count(OpinionAction) == 0  # nothing before the confirmation
    done = await press_on(member, "✅ 确定")
    assert f"{len(ids)} 条已标记为已解决" in done
    for r in people:
        assert "已解决" in await last_text(r)
    told = await last_text(fan)
    assert "您也反映过的意见" in told and "已解决" in told
    fan_last = await fan.c.last_bot_message(fan.id)
    assert fan_last is not None and not fan_last.buttons  # no stars: only the author rates
    # The matter they joined is in their /my, with where it stands.
    my = "\n".join(m.text or "" for m in await fan.command("my"))
    assert "您说“我也是”的意见" in my and f"YZ-{ids[0]:06d}" in my and "状态：已解决" in my
    # The confirmation pressed again (an old keyboard, a replay) changes nothing, says so.
    assert "已经完成" in await answer_to(member, ok)
    assert await b.count(OpinionAction) == len(ids)


async def test_the_reminder_is_sent_once_more_and_never_a_third_time(
    loop: tuple[BotUnderTest, Person, Person],
) -> None:
    b, _, member = loop
    resident = await consented_resident(b, 7_400_040)
    await resident.submit("解放碑民族路路灯坏了好几天，晚上很黑")
    (n,) = await opinion_ids(b)
    await member.say(f"/op YZ-{n:06d}")
    await press_on(member, "📝 处理这条意见")
    await press_on(member, "✅ 已解决")
    await member.say("路灯已修好。")

    async def asked(moment: datetime) -> int:
        assert isinstance(b.clock, ManualClock)
        b.clock.set(moment)
        before = await b.client.cursor()
        await b.runtime.scheduler.tick()
        b.runtime.wake_sender.set()
        await b.settle(timeout=20)
        got = [m for m in await b.client.bot_messages(resident.id) if m.cursor > before]
        return sum("只再问这一次" in (m.text or "") for m in got)

    assert isinstance(b.clock, ManualClock)
    now = b.clock.now()
    assert await asked(now + timedelta(days=1)) == 0
    assert await asked(now + timedelta(days=3, hours=1)) == 1
    assert await asked(now + timedelta(days=7)) == 0
    assert await asked(now + timedelta(days=30)) == 0
    row = await b.query(lambda s: s.get(Opinion, n))
    assert row.rating_asks == 2


async def test_intruders_change_nothing(loop: tuple[BotUnderTest, Person, Person]) -> None:
    b, admin, member = loop
    other = await staff_person(b, OTHER_MEMBER)
    assert "现在是委员" in (
        (await admin.say(f"/grant {OTHER_MEMBER} member 七星岗"))[-1].text or ""
    )
    author = await consented_resident(b, 7_400_050)
    await author.submit("解放碑临江门公厕坏了没人修")
    (n,) = await opinion_ids(b)
    ref = f"YZ-{n:06d}"
    await member.say(f"/op {ref}")
    await press_on(member, "📝 处理这条意见")
    card_message = await member.c.last_bot_message(MEMBER)
    assert card_message is not None
    resolve = next(
        btn.callback_data for row in card_message.buttons for btn in row if btn.text == "✅ 已解决"
    )
    assert resolve is not None
    stranger = await consented_resident(b, 7_400_051)
    # A resident, a member of another sub-district, forged data: refused, nothing recorded.
    assert "工作人员" in await answer_to(stranger, resolve)
    assert "不是给您的" in await answer_to(other, resolve)
    assert "不是给您的" in await answer_to(other, "fu:99999999:k:rs")
    assert "不是给您的" in await answer_to(member, "fu:1:zz:1")
    assert "不是给您的" in await answer_to(other, "fup:1")
    # Another member's /op of an item they do not follow finds nothing to act on.
    assert "没有找到" in ((await other.say(f"/op {ref}"))[0].text or "")
    assert await b.count(OpinionAction) == 0
    # The real member resolves it; then someone else's stars and reopen are refused.
    await member.press_prefix("✅ 已解决")
    await member.say("已修好。")
    assert await b.count(OpinionAction) == 1
    assert "本人" in await answer_to(stranger, f"rate:{n}:1")
    assert "本人" in await answer_to(stranger, f"reopen:{n}")
    assert "工作人员" in await answer_to(author, resolve)  # a resident pressing member data
    row = await b.query(lambda s: s.get(Opinion, n))
    assert row.rating is None and row.progress == "resolved"
    assert await b.count(OpinionAction) == 1


async def test_a_typed_department_reads_as_typed_and_算了_stops_the_words(
    loop: tuple[BotUnderTest, Person, Person],
) -> None:
    b, _, member = loop
    resident = await consented_resident(b, 7_400_060)
    await resident.submit("解放碑新华路井盖松了，车一过就哐哐响")
    (n,) = await opinion_ids(b)
    ref = f"YZ-{n:06d}"
    await member.say(f"/op {ref}")
    await press_on(member, "📝 处理这条意见")
    await press_on(member, "📨 转交部门")
    assert "请输入部门名称" in await press_on(member, "✍️ 其他部门")
    prompt = (await member.say("A&B <x>"))[-1].text or ""
    assert "（转交给 A&B <x>）" in prompt and "&amp;" not in prompt, prompt
    # 算了 while the words are awaited: nothing recorded, nothing sent.
    assert "已取消" in ((await member.say("算了"))[-1].text or "")
    assert await b.count(OpinionAction) == 0
    # Again, to the end: the resident reads the department as typed, escaped once.
    await member.say(f"/op {ref}")
    await press_on(member, "📝 处理这条意见")
    await press_on(member, "📨 转交部门")
    await press_on(member, "✍️ 其他部门")
    await member.say("A&B <x>")
    done = await member.say("已转交，请耐心等待。")
    assert f"{ref} 已标记为" in (done[-1].text or "")
    notice = await last_text(resident)
    assert "已转交给：A&B <x>" in notice and "&amp;" not in notice, notice
    row = await b.query(lambda s: s.get(Opinion, n))
    assert row.progress == "forwarded"
