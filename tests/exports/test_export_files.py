"""/export's jobs and files on SQLite and PostgreSQL: contents cell by cell, masked, scoped
to what the requester may see, claimed once (and again after a crash), empty periods."""

from __future__ import annotations

import csv
import io
import time
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.clock import ManualClock
from bot.domain.stats import last_days
from bot.features.exports import jobs
from bot.features.exports.service import ExportService, asked_for
from bot.features.staff import StaffService
from bot.features.stats import scope_for
from storage import unit_of_work
from storage.models import AuditEntry, ExportJob, OutboxMessage
from storage.repositories import StaffRepository
from storage.statuses import ExportStatus, OutboxStatus, Role
from tests.digests.conftest import DISTRICT, World
from tests.digests.test_schedule_and_views import TZ, member
from tests.stats.scene import JFB, NOW, SECRETS, Scene, build_scene

ADMIN = member(telegram_id=601, role="admin", subdistricts=())
JFB_MEMBER = member(telegram_id=602, subdistricts=(JFB,))


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> tuple[World, Scene]:
    w = World(sessions, ManualClock(NOW))
    async with unit_of_work(sessions) as session:
        scene = await build_scene(session)
    await w.member(ADMIN.telegram_id, role=Role.ADMIN)
    await w.member(JFB_MEMBER.telegram_id, "解放碑")
    return w, scene


async def ask(w: World, who: Any, *words: str, days: int = 30) -> int:
    """/export as the service sees it; the progress message then goes out (message 900)."""
    async with w.unit() as work:
        staffer = await work.repo(StaffRepository).get(who.telegram_id)
        assert staffer is not None
        scope = scope_for(staffer, list(words), DISTRICT)
        job = await work.service(ExportService).request(
            staffer,
            who.telegram_id,
            asked_for(last_days(days, date(2026, 12, 1), TZ), scope, staffer),
            "zh",
        )
        assert job is not None
    await sent_progress(w, job)
    return job


async def sent_progress(w: World, job_id: int, message_id: int = 900) -> None:
    async with w.unit() as work:
        row = await work.session.get(ExportJob, job_id)
        assert row is not None
        await work.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.progress_outbox_id)
            .values(status=OutboxStatus.SENT, telegram_message_id=message_id)
        )


async def files(w: World, chat: int) -> dict[str, bytes]:
    async with w.unit() as work:
        rows = await work.session.execute(
            select(OutboxMessage.payload, OutboxMessage.file_content).where(
                OutboxMessage.chat_id == chat, OutboxMessage.method == "sendDocument"
            )
        )
        return {p["filename"]: c for p, c in rows}


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(content: bytes) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [list(r) for r in book.active.iter_rows(values_only=True)]


def unmasked(cells: list[list[Any]]) -> list[str]:
    every = unicodedata.normalize("NFKC", "\n".join(str(c) for row in cells for c in row))
    compact = every.replace(" ", "")
    return [s for s in SECRETS if unicodedata.normalize("NFKC", s) in compact]


async def test_an_admin_export_lists_every_item_cell_by_cell_masked(
    world: tuple[World, Scene],
) -> None:
    w, scene = world
    job = await ask(w, ADMIN)
    await jobs.export_tick(w.unit, w.clock.now())
    got = await files(w, ADMIN.telegram_id)
    stem = "yushi-export-20261102-20261201-all"
    assert set(got) == {f"{stem}.csv", f"{stem}.xlsx"}
    rows = read_csv(got[f"{stem}.csv"])
    sheet = read_xlsx(got[f"{stem}.xlsx"])
    header = rows[0]
    assert header[:3] == ["编号", "提交时间", "公开时间"] and header[-1] == "内容（已遮盖个人信息）"
    assert [str(c) for c in sheet[0]] == header
    refs = [r[0] for r in rows[1:]]
    # Visible in the period: a b c d e h q, and f (hidden: admins see it); not g (held) or p
    # (the month before).
    want = sorted(scene.ids[k] for k in "abcdefhq")
    assert refs == [f"YZ-{i:06d}" for i in want]
    by_ref = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    a = by_ref[f"YZ-{scene.ids['a']:06d}"]
    assert a["提交时间"] == "2026-11-11 07:55" and a["公开时间"] == "2026-11-11 08:00"
    assert (a["街道"], a["类别"], a["状态"], a["跟进进度"]) == (
        "解放碑街道",
        "停车/交通",
        "已收到",
        "已解决",
    )
    assert a["处理记录"] == (
        "2026-11-11 答复：已联系交巡警; 2026-11-12 已解决; "
        "2026-11-21 重新打开：又停满了，电话138******00; "
        "2026-11-23 已解决; 2026-11-24 评分 5"
    )
    assert a["首次回应时间"] == "2026-11-11 10:00"
    assert (a["评分"], a["重新打开次数"], a["附议人数"]) == ("5", "1", "2")
    assert a["协商"].startswith("#") and "138******00" in a["协商"]
    assert a["居民（化名）"] == "R7K2QX"
    b = by_ref[f"YZ-{scene.ids['b']:06d}"]
    # a and b are the same matter at the same place: one cluster, numbered and labelled.
    assert a["聚类"] == b["聚类"] == "1" and a["聚类主题"]
    c = by_ref[f"YZ-{scene.ids['c']:06d}"]
    assert c["内容（已遮盖个人信息）"].startswith("'=HYPERLINK")  # stays text in Excel
    assert c["跟进进度"] == "待回应" and c["处理记录"] == "" and c["聚类"] == ""
    e = by_ref[f"YZ-{scene.ids['e']:06d}"]
    assert e["处理记录"] == "2026-11-30 转交 区住建委"
    assert (
        "138******00" in e["内容（已遮盖个人信息）"]
        and "1101**********002X" in e["内容（已遮盖个人信息）"]
    )
    f = by_ref[f"YZ-{scene.ids['f']:06d}"]
    assert f["状态"] == "已隐藏"
    h = by_ref[f"YZ-{scene.ids['h']:06d}"]
    assert (
        h["内容（已遮盖个人信息）"] == "（居民已删除内容）"
        and h["居民（化名）"] == "（居民已删除内容）"
    )
    q = by_ref[f"YZ-{scene.ids['q']:06d}"]
    assert q["处理记录"] == "2026-11-30 重新打开：还是吵"
    # The XLSX has the same cells: times as real dates, numbers as numbers.
    xa = next(r for r in sheet if r[0] == a["编号"])
    assert xa[1] == datetime(2026, 11, 11, 7, 55) and xa[9] == 5 and xa[11] == 2
    xc = next(r for r in sheet if r[0] == c["编号"])
    assert xc[-1].startswith("=HYPERLINK")  # a string cell (quotePrefix), never a formula
    assert unmasked(rows) == [] and unmasked(sheet) == []
    # The job is done, the progress message says so, the request is in the audit log.
    async with w.unit() as work:
        row = await work.session.get(ExportJob, job)
        assert row is not None and row.status == ExportStatus.DONE and row.rows_total == 8
        edits = (
            await work.session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.method == "editMessageText")
            )
        ).all()
        audit = (await work.session.scalars(select(AuditEntry.action))).all()
    assert edits[0]["message_id"] == 900 and "0/8" in edits[0]["text"]
    assert edits[-1]["text"].startswith("✅ 导出完成") and "共 8 条" in edits[-1]["text"]
    assert "export" in audit


async def test_a_member_gets_only_their_subdistricts_visible_items(
    world: tuple[World, Scene],
) -> None:
    w, scene = world
    await ask(w, JFB_MEMBER)
    await jobs.export_tick(w.unit, w.clock.now())
    got = await files(w, JFB_MEMBER.telegram_id)
    (name,) = [n for n in got if n.endswith(".csv")]
    assert name == "yushi-export-20261102-20261201-jiefangbei.csv"
    rows = read_csv(got[name])
    want = sorted(scene.ids[k] for k in "abcdeh")  # not f (hidden) nor q (七星岗)
    assert [r[0] for r in rows[1:]] == [f"YZ-{i:06d}" for i in want]
    assert all(r[3] == "解放碑街道" for r in rows[1:])
    assert unmasked(rows) == []


async def test_an_export_with_no_items_says_so_and_sends_no_files(
    world: tuple[World, Scene],
) -> None:
    w, _ = world
    async with w.unit() as work:
        staffer = await work.repo(StaffRepository).get(601)
        assert staffer is not None
        scope = scope_for(staffer, [], DISTRICT)
        job = await work.service(ExportService).request(
            staffer, 601, asked_for(last_days(7, date(2026, 6, 1), TZ), scope, staffer), "zh"
        )
    assert job is not None
    await sent_progress(w, job)
    await jobs.export_tick(w.unit, w.clock.now())
    assert await files(w, 601) == {}
    assert "没有可导出的意见" in (await w.texts(601))


async def test_one_export_at_a_time_and_a_stale_claim_is_taken_again(
    world: tuple[World, Scene],
) -> None:
    w, _ = world
    job = await ask(w, ADMIN)
    async with w.unit() as work:
        staffer = await work.repo(StaffRepository).get(601)
        assert staffer is not None
        again = await work.service(ExportService).request(
            staffer,
            601,
            asked_for(
                last_days(7, date(2026, 12, 1), TZ), scope_for(staffer, [], DISTRICT), staffer
            ),
            "zh",
        )
    assert again is None
    # A process claims it and dies.
    async with w.unit() as work:
        claimed = await work.service(ExportService).claim_next("dead-process")
    assert claimed is not None and claimed.id == job
    await jobs.export_tick(w.unit, w.clock.now())
    assert await files(w, 601) == {}  # the claim is fresh: nobody else takes it
    w.clock.advance(timedelta(minutes=4))
    await jobs.export_tick(w.unit, w.clock.now())
    assert len(await files(w, 601)) == 2
    # The dead process, were it to wake up, could not finish it again.
    async with w.unit() as work:
        service = work.service(ExportService)
        assert not await service.deliver(claimed, "dead-process", 1, [("x.csv", b"x")], ())
    assert len(await files(w, 601)) == 2


async def test_a_job_waits_for_its_progress_message_and_a_revoked_member_is_refused(
    world: tuple[World, Scene],
) -> None:
    w, _ = world
    async with w.unit() as work:
        staffer = await work.repo(StaffRepository).get(602)
        assert staffer is not None
        job = await work.service(ExportService).request(
            staffer,
            602,
            asked_for(
                last_days(30, date(2026, 12, 1), TZ), scope_for(staffer, [], DISTRICT), staffer
            ),
            "zh",
        )
    await jobs.export_tick(w.unit, w.clock.now())
    async with w.unit() as work:
        row = await work.session.get(ExportJob, job)
        assert row is not None and row.status == ExportStatus.PENDING  # not sent yet: waits
    assert job is not None
    await sent_progress(w, job)
    async with w.unit() as work:
        await work.service(StaffService).revoke(601, 602)
    await jobs.export_tick(w.unit, w.clock.now())
    assert await files(w, 602) == {}
    async with w.unit() as work:
        row = await work.session.get(ExportJob, job)
        assert row is not None and row.status == ExportStatus.FAILED
    assert "导出已取消" in await w.texts(602)


async def test_a_long_build_keeps_its_claim_fresh(
    world: tuple[World, Scene], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building the files (in a thread) may take minutes on a year of rows: the claim is
    refreshed meanwhile, so no other process takes the job as one left by a dead process."""
    w, _ = world
    job = await ask(w, ADMIN)
    real_build = jobs.build
    started = NOW

    def slow_build(*args: Any, **kwargs: Any) -> Any:
        # The build "takes" 4 minutes of the clock, longer than a stale claim's 3.
        for _ in range(8):
            w.clock.advance(timedelta(seconds=30))
            time.sleep(0.05)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(jobs, "build", slow_build)
    monkeypatch.setattr(jobs, "HEARTBEAT", 0.02)
    await jobs.export_tick(w.unit, w.clock.now())
    async with w.unit() as work:
        row = await work.session.get(ExportJob, job)
        assert row is not None
        assert row.status == ExportStatus.DONE
        assert row.claimed_at is not None and row.claimed_at > started + timedelta(minutes=1)
    assert len(await files(w, 601)) == 2
