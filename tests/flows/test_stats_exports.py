"""/stats and /export through the real python-telegram-bot stack and the emulator: admins see
every sub-district, members their own, intruders and bad dates get a clear answer, and an
export arrives as two files after one progress message edited in place."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Awaitable, Callable

import openpyxl
import pytest

from bot.domain.clock import ManualClock
from tests.flows.conftest import BotUnderTest, Resident, admin_who_started, consented_resident
from tests.stats.scene import NOW, SECRETS, Scene, build_scene

ADMIN = 7_300_001
JFB_MEMBER = 7_300_002
QXG_MEMBER = 7_300_003
Start = Callable[..., Awaitable[BotUnderTest]]


async def staffer(b: BotUnderTest, admin: Resident, user_id: int, where: str) -> Resident:
    await b.client.create_user(user_id, first_name="委员")
    person = Resident(b, user_id)
    await person.command("start")
    reply = await admin.say(f"/grant {user_id} member {where}")
    assert "现在是委员" in (reply[-1].text or ""), reply
    return person


@pytest.fixture
async def scene(start_bot: Start) -> tuple[BotUnderTest, Resident, Resident, Resident, Scene]:
    b = await start_bot(clock=ManualClock(NOW), admin_ids=str(ADMIN))
    admin = await admin_who_started(b, ADMIN)
    jfb = await staffer(b, admin, JFB_MEMBER, "解放碑")
    qxg = await staffer(b, admin, QXG_MEMBER, "七星岗")
    built = await b.query(build_scene)
    return b, admin, jfb, qxg, built


def texts(messages: list) -> str:  # type: ignore[type-arg]
    return "\n".join(m.text or "" for m in messages)


async def test_stats_for_an_admin_and_a_member_with_the_chart(
    scene: tuple[BotUnderTest, Resident, Resident, Resident, Scene],
) -> None:
    b, admin, jfb, _, _ = scene
    got = await admin.command("stats")
    body = texts([m for m in got if m.kind == "text"])
    assert "三率统计" in body and "2026-11-02 — 2026-12-01" in body
    assert "解放碑街道" in body and "七星岗街道" in body and "合计" in body
    assert "回应率 60% ↓40 (3/5)" in body
    photos = [m for m in got if m.kind == "photo"]
    assert len(photos) == 1 and photos[0].photo
    png = await b.client.file_content(photos[0].photo[-1].file_id)
    assert png.startswith(b"\x89PNG")

    got = await jfb.command("stats")
    body = texts([m for m in got if m.kind == "text"])
    assert "解放碑街道" in body and "七星岗" not in body and "合计" not in body
    assert [m.kind for m in got].count("photo") == 1

    got = await jfb.command("stats 7")
    assert "2026-11-25 — 2026-12-01" in texts(got)


async def test_intruders_and_bad_dates_get_a_clear_answer(
    scene: tuple[BotUnderTest, Resident, Resident, Resident, Scene],
) -> None:
    b, _, jfb, qxg, _ = scene
    resident = await consented_resident(b, 7_300_010)
    for command in ("stats", "export", "stats 7 解放碑"):
        reply = await resident.command(command)
        assert "只对工作人员开放" in texts(reply)
    for command in ("stats 解放碑", "export 11-01 11-30 解放碑", "stats 全部"):
        reply = await qxg.command(command)
        assert "只能查看自己负责街道的数据（七星岗街道）" in texts(reply), command
    reply = await jfb.command("stats 2026-13-01")
    assert "“2026-13-01”不是有效日期" in texts(reply)
    reply = await jfb.command("export 11-01 11-02 11-03")
    assert "最多写两个日期" in texts(reply)
    reply = await jfb.command("stats 火星")
    assert "没有找到街道“火星”" in texts(reply)
    assert [m for m in await b.client.bot_messages(jfb.id) if m.kind == "document"] == []


async def test_an_export_edits_one_progress_message_and_sends_two_files(
    scene: tuple[BotUnderTest, Resident, Resident, Resident, Scene],
) -> None:
    b, _, jfb, _, built = scene
    got = await jfb.command("export 11-02 12-01")
    (progress,) = got
    assert progress.text is not None and progress.text.startswith("⏳ 已开始准备导出")
    before = await b.client.cursor()
    await b.runtime.scheduler.tick()
    b.runtime.wake_sender.set()
    await b.settle(timeout=20)
    messages = await b.client.bot_messages(jfb.id)
    edited = next(m for m in messages if m.message_id == progress.message_id)
    assert edited.edited and (edited.text or "").startswith("✅ 导出完成")
    assert "共 6 条" in (edited.text or "")
    docs = [m for m in messages if m.kind == "document" and m.cursor > before]
    names = sorted(m.document.file_name or "" for m in docs if m.document)
    stem = "yushi-export-20261102-20261201-jiefangbei"
    assert names == [f"{stem}.csv", f"{stem}.xlsx"]
    by_name = {m.document.file_name: m.document.file_id for m in docs if m.document}
    raw = await b.client.file_content(by_name[f"{stem}.csv"])
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    want = sorted(built.ids[k] for k in "abcdeh")
    assert [r[0] for r in rows[1:]] == [f"YZ-{i:06d}" for i in want]
    book = openpyxl.load_workbook(io.BytesIO(await b.client.file_content(by_name[f"{stem}.xlsx"])))
    cells = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert [c[0] for c in cells[1:]] == [r[0] for r in rows[1:]]
    assert [c[3] for c in cells[1:]] == ["解放碑街道"] * 6
    every = unicodedata.normalize("NFKC", repr(rows) + repr(cells)).replace(" ", "")
    assert not [s for s in SECRETS if unicodedata.normalize("NFKC", s) in every]
    # A second tick sends nothing again.
    again = await b.client.cursor()
    await b.runtime.scheduler.tick()
    await b.settle()
    assert not [m for m in await b.client.bot_messages(jfb.id) if m.cursor > again]
