"""渝事好商量 consultations through the real python-telegram-bot stack and the emulator, on a
moved clock: an admin opens one by buttons and typed answers; only opted-in residents of its
sub-districts are invited (through the bulk outbox, within Telegram's limits, behind
residents' replies); an answer and an ordinary opinion attach to it; it closes at its
deadline; the summary (with its chart) reaches the members of its sub-districts and the
admins; /outcome reaches every contributor once. And every button refuses the wrong
presser."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.domain.clock import ManualClock
from storage.models import AuditEntry, Consultation, Opinion
from storage.models import Resident as ResidentRow
from storage.repositories import ResidentRepository
from tests.flows.conftest import BotUnderTest, Resident, admin_who_started, consented_resident

ADMIN, ADMIN2, MEMBER_JFB, MEMBER_CTM = 7_300_001, 7_300_002, 7_300_003, 7_300_004
#: 2026-11-30 12:00 in Shanghai.
T_START = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
Start = Callable[..., Awaitable[BotUnderTest]]
#: Opted-in residents of 解放碑 made straight in the database: enough invitations that
#: sending them takes seconds at Telegram's pace.
CROWD = 60


async def person(b: BotUnderTest, user_id: int) -> Resident:
    await b.client.create_user(user_id, first_name="委员")
    r = Resident(b, user_id)
    await r.command("start")
    return r


async def tick(b: BotUnderTest, timeout: float = 30) -> None:
    await b.runtime.scheduler.tick()
    b.runtime.wake_sender.set()
    await b.settle(timeout=timeout)


async def new_texts(b: BotUnderTest, chat_id: int, after: int) -> list[str]:
    return [
        m.text or m.caption or "" for m in await b.client.bot_messages(chat_id) if m.cursor > after
    ]


@pytest.fixture
async def world(start_bot: Start) -> tuple[BotUnderTest, Resident, Resident]:
    b = await start_bot(clock=ManualClock(T_START), admin_ids=f"{ADMIN},{ADMIN2}")
    admin = await admin_who_started(b, ADMIN)
    admin2 = await admin_who_started(b, ADMIN2)
    await person(b, MEMBER_JFB)
    await person(b, MEMBER_CTM)
    assert "现在是委员" in ((await admin.say(f"/grant {MEMBER_JFB} member 解放碑"))[-1].text or "")
    assert "现在是委员" in ((await admin.say(f"/grant {MEMBER_CTM} member 朝天门"))[-1].text or "")
    return b, admin, admin2


async def opt(r: Resident, text: str, answer: str | None) -> None:
    """A resident's first opinion; its receipt asks about invitations once."""
    replies = await r.submit(text)
    receipt = replies[-1]
    assert "想收到邀请吗" in (receipt.text or ""), receipt.text
    if answer is not None:
        done = await r.press(answer)
        assert "/invitations" in (done[-1].text or "")
    again = await r.submit(text.replace("晚上", "白天"))
    assert "想收到邀请吗" not in (again[-1].text or "")  # asked once only


async def open_consultation(admin: Resident, title: str) -> int:
    """/consult guided by buttons and typed answers, to 发布."""
    assert "标题" in "".join(m.text or "" for m in await admin.command("consult"))
    assert "街道" in ((await admin.say(title))[-1].text or "")
    await admin.press("解放碑街道")
    await admin.press("七星岗街道")
    toggled = await admin.press("✅ 七星岗街道")  # off again
    assert "✅ 解放碑街道" in [b.text for row in toggled[-1].buttons for b in row]
    assert "说明" in ((await admin.press("完成 ➡️"))[-1].text or "")
    assert "截止" in ((await admin.say("停车位不够、乱停乱放，大家有什么办法？"))[-1].text or "")
    preview = (await admin.press("7 天"))[-1]
    assert title in (preview.text or "") and "2026-12-07 23:59" in (preview.text or "")
    published = (await admin.press("✅ 发布"))[-1].text or ""
    assert "已发布" in published
    return int(published.split("#")[1].split("。")[0].split()[0])


async def test_a_consultation_from_opening_to_outcome(
    world: tuple[BotUnderTest, Resident, Resident],
) -> None:
    b, admin, _admin2 = world
    assert isinstance(b.clock, ManualClock)
    yes = await consented_resident(b, 7_300_101)
    await opt(yes, "解放碑八一路晚上停车太乱，车都停到人行道上了", "愿意接收")
    no = await consented_resident(b, 7_300_102)
    await opt(no, "解放碑较场口晚上夜市油烟太大", "不用了")
    silent = await consented_resident(b, 7_300_103)
    await opt(silent, "解放碑邹容路晚上路灯不亮", None)
    elsewhere = await consented_resident(b, 7_300_104)
    await opt(elsewhere, "朝天门码头晚上路灯坏了好几盏", "愿意接收")
    erased = await consented_resident(b, 7_300_105)
    await opt(erased, "解放碑民族路晚上垃圾没人收", "愿意接收")
    await erased.command("delete_me")
    await erased.press("🗑 确认删除")
    # A crowd of opted-in 解放碑 residents (made in the database: opening the chat is all the
    # emulator needs to let the bot write to them).
    crowd = list(range(7_310_001, 7_310_001 + CROWD))
    for u in crowd:
        await b.client.create_user(u, first_name="居民")
    await asyncio.gather(*(b.client.start(u) for u in crowd))
    await b.settle(timeout=30)

    async def add_crowd(session: object) -> None:
        repo = ResidentRepository(session)  # type: ignore[arg-type]
        for u in crowd:
            r = await repo.consent(u, "zh", "v1", T_START)
            await repo.set_home_subdistrict(r.id, (await _code(session, yes.id)))
            await repo.set_consult_opt_in(r.id, True, T_START)

    await b.query(add_crowd)

    cid = await open_consultation(admin, "解放碑停车怎么管")
    before = await b.client.cursor()
    stats_before = await b.client.stats()
    # The invitations are queued by the next tick, as bulk; a resident writing meanwhile is
    # answered first.
    await b.runtime.scheduler.tick()
    b.runtime.wake_sender.set()
    started = time.monotonic()
    sent = await no.c.send_text(no.id, "你们是谁？")
    quick = [await b.client.wait_for_bot_message(no.id, after=sent.cursor, timeout=10)]
    answered_in = time.monotonic() - started
    await b.settle(timeout=60)
    assert answered_in < 3.0, answered_in
    stats = await b.client.stats()
    assert stats.rate_limited == stats_before.rate_limited  # no 429
    invited = {
        u
        for u in [yes.id, no.id, silent.id, elsewhere.id, erased.id, *crowd]
        if any("邀请您参与协商" in t for t in await new_texts(b, u, before))
    }
    assert invited == {yes.id, *crowd}
    # The crowd's invitations were still going out after the resident's answer arrived.
    cursors = []
    for u in crowd:
        cursors += [
            m.created_cursor
            for m in await b.client.bot_messages(u)
            if "邀请您参与协商" in (m.text or "")
        ]
    last_invite = max(cursors)
    assert last_invite > quick[-1].created_cursor

    # The invitation's 参与讨论: their next message is an answer attached to it.
    asked = await yes.press("💬 参与讨论")
    assert "解放碑停车怎么管" in (asked[-1].text or "")
    receipt = await yes.submit("建议晚上开放机关单位的停车场给居民停车")
    assert "已加入协商" in (receipt[-1].text or "")
    # An ordinary opinion in 解放碑 meanwhile is offered to join it, once.
    offered = await silent.say("解放碑新华路停车难，晚上根本找不到车位")
    while not any("要把您的意见加入这次协商" in (m.text or "") for m in offered):
        last = await b.client.last_bot_message(silent.id)
        assert last is not None and last.buttons
        label = next(x.text for row in last.buttons for x in row if x.text.startswith(("✅", "👉")))
        offered = await silent.press(label)
    joined = await silent.press_prefix("🗳 加入")
    assert "已加入协商" in (joined[-1].text or "")
    attached = list(
        await b.query(
            lambda s: s.scalars(select(Opinion.resident_id).where(Opinion.consultation_id == cid))
        )
    )
    assert len(attached) == 2

    # The deadline passes: the next tick closes it and sends the summary with its chart to
    # the 解放碑 member and the admins, not to the 朝天门 member.
    before = await b.client.cursor()
    b.clock.set(datetime(2026, 12, 7, 16, 0, tzinfo=UTC))  # 2026-12-08 00:00 in Shanghai
    await tick(b)
    status = await b.query(
        lambda s: s.scalar(select(Consultation.status).where(Consultation.id == cid))
    )
    assert status == "closed"
    for reader in (MEMBER_JFB, ADMIN, ADMIN2):
        got = [m for m in await b.client.bot_messages(reader) if m.cursor > before]
        text = "\n".join(m.text or "" for m in got)
        assert "协商总结" in text and "<b>" not in text and "2 条意见" in text, text
        # (Members also get their digest: the clock passed 08:00.)
        charts = [m for m in got if m.kind == "photo" and "解放碑停车怎么管" in (m.caption or "")]
        assert len(charts) == 1
    assert not [t for t in await new_texts(b, MEMBER_CTM, before) if "协商" in t]
    await tick(b)  # nothing twice
    assert len([t for t in await new_texts(b, MEMBER_JFB, before) if "协商总结" in t]) == 1

    # /outcome, guided: pick the consultation, type the outcome; each contributor once.
    picker = await admin.command("outcome")
    assert picker[-1].buttons
    await admin.press_prefix(f"#{cid}")
    recorded = await admin.say("将在晚上开放 3 个单位停车场，增设车位 120 个")
    assert "已记录" in (recorded[-1].text or "")
    before = await b.client.cursor()
    await tick(b)
    await tick(b)
    for r in (yes, silent):
        notes = [t for t in await new_texts(b, r.id, before) if "有结果了" in t]
        assert len(notes) == 1 and "120" in notes[0]
    for u in (no.id, elsewhere.id, crowd[0]):
        assert not await new_texts(b, u, before)
    actions = set(await b.query(lambda s: s.scalars(select(AuditEntry.action))))
    assert {"consultation_opened", "consultation_closed", "consultation_outcome"} <= actions


async def _code(session: object, telegram_id: int) -> str:
    code = await session.scalar(  # type: ignore[attr-defined]
        select(ResidentRow.home_subdistrict).where(ResidentRow.telegram_id == telegram_id)
    )
    assert code is not None
    return str(code)


async def test_every_consultation_button_refuses_the_wrong_presser(
    world: tuple[BotUnderTest, Resident, Resident],
) -> None:
    b, admin, admin2 = world
    await admin.command("consult")
    asked = await admin.say("消防通道怎么保持畅通")
    data = next(x.callback_data for row in asked[-1].buttons for x in row if x.callback_data)
    assert data is not None and data.startswith("cs:")
    cid = int(data.split(":")[1])
    member = Resident(b, MEMBER_JFB)
    resident = await consented_resident(b, 7_300_201)
    for who, forged, said in [
        (admin2, data, "失效"),  # another admin: not their draft
        (admin2, f"cs:{cid}:pub:x", "失效"),
        (member, data, "工作人员"),  # a member: admins only
        (resident, data, "工作人员"),  # a resident
        (admin, f"cs:{cid}:dl:7", "失效"),  # the author, at another step
        (admin, f"cs:{cid}:sd:42", "失效"),  # no such sub-district
        (admin, "cs:99999999:sd:0", "失效"),  # no such consultation
        (admin, "cs:garbage", "失效"),
        (resident, f"ci:{cid}:join", "失效"),  # an invitation they never got
        (admin2, f"co:{cid}", "还没有结束"),  # not closed: no outcome yet
    ]:
        last = await b.client.last_bot_message(who.id)
        assert last is not None
        before = await b.client.cursor()
        pressed = await who.c.press_raw(who.id, forged, message_id=last.message_id)
        answer = await who.c.wait_for_callback_answer(pressed.callback_query_id, timeout=10)
        await b.settle()
        texts = (answer.text or "") + "".join(await new_texts(b, who.id, before))
        assert said in texts, (who.id, forged, answer, texts)
    draft = await b.query(lambda s: s.get(Consultation, cid))
    assert draft.status == "draft" and draft.subdistricts == [] and draft.step == "subdistricts"
    # /cancel abandons it; nothing is left.
    assert "放弃" in ((await admin.command("cancel"))[-1].text or "")
    assert await b.count(Consultation) == 0
    # Residents and members cannot use the admin commands.
    for who in (member, resident):
        for command in ("consult", "consult_close 1", "outcome", "consultations"):
            assert "工作人员" in ((await who.say(f"/{command}"))[-1].text or "")


async def test_invitations_can_be_turned_on_and_off(
    world: tuple[BotUnderTest, Resident, Resident],
) -> None:
    b, _, _ = world
    r = await consented_resident(b, 7_300_301)
    shown = await r.command("invitations")
    assert "要邀请您吗" in (shown[-1].text or "")
    await r.press("愿意接收")
    assert "现在会收到" in ((await r.command("invitations"))[-1].text or "")
    await r.press("不用了")
    opt_in = await b.query(
        lambda s: s.scalar(
            select(ResidentRow.consult_opt_in).where(ResidentRow.telegram_id == r.id)
        )
    )
    assert opt_in is False
    privacy = (await r.command("privacy"))[-1].text or ""
    assert "/invitations" in privacy and "未开启" in privacy


async def test_an_answer_sent_after_the_deadline_is_received_on_its_own(
    world: tuple[BotUnderTest, Resident, Resident],
) -> None:
    """参与讨论 before the deadline, the text after it: the opinion is still received, not
    attached, and the receipt says so kindly. Nor is a consultation past its deadline (not
    closed by a tick yet) offered to an ordinary opinion."""
    b, admin, _ = world
    assert isinstance(b.clock, ManualClock)
    r = await consented_resident(b, 7_300_401)
    await opt(r, "解放碑八一路晚上停车太乱，车都停到人行道上了", "愿意接收")
    cid = await open_consultation(admin, "解放碑停车怎么管")
    await tick(b)
    asked = await r.press("💬 参与讨论")
    assert "解放碑停车怎么管" in (asked[-1].text or "")

    b.clock.set(datetime(2026, 12, 7, 16, 0, tzinfo=UTC))  # its deadline passed, no tick yet
    receipt = (await r.submit("建议晚上开放机关单位的停车场给居民停车"))[-1].text or ""
    assert "已收到您的意见" in receipt
    assert "已加入协商" not in receipt and "已经结束" in receipt, receipt

    other = await consented_resident(b, 7_300_402)
    replies = await other.say("解放碑新华路停车难，晚上根本找不到车位")
    for _ in range(8):
        assert not any("要把您的意见加入这次协商" in (m.text or "") for m in replies)
        if any((m.text or "").startswith("✅ 已收到您的意见") for m in replies):
            break
        last = await b.client.last_bot_message(other.id)
        assert last is not None and last.buttons, last
        labels = [x.text for row in last.buttons for x in row]
        # (单独提交: apart from a similar opinion of r's, "我也是" being offered.)
        label = next(x for p in ("单独提交", "✅", "👉") for x in labels if x.startswith(p))
        replies = await other.press(label)
    else:
        raise AssertionError("no receipt")
    attached = list(
        await b.query(lambda s: s.scalars(select(Opinion.id).where(Opinion.consultation_id == cid)))
    )
    assert attached == []
    assert await b.count(Opinion) == 4  # both of r's from opt(), this answer, the other's
