"""A staff member's free text that no question waits for: not an opinion, and not met with
the residents' consent reminder, but told where things are."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.domain.clock import ManualClock
from storage.models import Opinion
from tests.flows.conftest import BotUnderTest, admin_who_started, consented_resident
from tests.flows.test_followup import T_START, staff_person

ADMIN = 7_410_001
MEMBER = 7_410_002
Start = Callable[..., Awaitable[BotUnderTest]]


async def test_a_members_stray_text_is_not_kept_and_points_to_the_follow_up(
    start_bot: Start,
) -> None:
    b = await start_bot(clock=ManualClock(T_START), admin_ids=str(ADMIN))
    admin = await admin_who_started(b, ADMIN)
    member = await staff_person(b, MEMBER)
    await admin.say(f"/grant {MEMBER} member 解放碑")
    reply = await member.say("另外，下周我会去现场看看。")
    text = reply[-1].text or ""
    assert "没有保存" in text and "/op" in text
    assert not any(btn.text == "✅ 同意" for m in reply for row in m.buttons for btn in row)
    assert await b.count(Opinion) == 0


async def test_a_member_who_agreed_as_a_resident_still_raises_problems(start_bot: Start) -> None:
    b = await start_bot(clock=ManualClock(T_START), admin_ids=str(ADMIN))
    admin = await admin_who_started(b, ADMIN)
    member = await consented_resident(b, MEMBER)
    await admin.say(f"/grant {MEMBER} member 解放碑")
    await member.submit("解放碑八一路的路灯坏了好几盏，晚上走路看不清")
    assert await b.count(Opinion) == 1
