"""A month of follow-up written straight into the tables (as the follow-up feature would
leave it), with figures worked out by hand: shared by the stats and exports tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Consultation,
    Opinion,
    OpinionAction,
    OpinionSupporter,
    Resident,
)
from storage.statuses import ActionKind, OpinionStatus, Progress
from tests.digests.conftest import SD

#: 2026-12-01 08:00 in Shanghai: "today" is 2026-12-01; the last 30 days start 11-02.
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
D = timedelta(days=1)
H = timedelta(hours=1)
JFB, QXG = SD["解放碑"], SD["七星岗"]
#: A mobile and an ID-card number (valid check digit) typed with full-width digits.
PHONE = "１３８００１３８０００"
ID_CARD = "１１０１０５１９４９１２３１００２Ｘ"
SECRETS = ("13800138000", "11010519491231002X", PHONE, ID_CARD)


@dataclass
class Scene:
    ids: dict[str, int] = field(default_factory=dict)


async def build_scene(session: AsyncSession) -> Scene:
    """解放碑 in the last 30 days (visible 11-02 .. 12-01):
    a: seen 20 d ago, answered after 2 h, resolved, rated 5, 2 supporters, reopened once
       (10 d ago, then resolved again), in a consultation
    b: 12 d ago, answered after 8 d (late), rated 3
    c: 10 d ago, never answered (its window passed)
    d: 3 d ago, never answered (window open: not judged yet)
    e: 2 d ago, forwarded after 1 d, text with a phone and an ID number (full-width)
    f: 5 d ago, hidden by an admin (left out of the rates; admins' exports list it)
    g: 4 d ago, held (never visible: nowhere)
    h: 9 d ago, erased by its resident, answered after 3 d
    七星岗: q: 6 d ago, answered after 1 d, resolved, rated 2; reopened 1 d ago.
    The previous 30 days: p: 解放碑, 40 d ago, answered in 1 h.
    Hand-computed for 解放碑: items a b c d e h = 6; in time a e h = 3; judged a b c e h = 5
    (60%); resolved a = 1 (17%); rated a b: satisfied 1 of 2 (50%); delays 2 h, 1 d, 3 d,
    8 d -> median 2 d; reopened 1. Previous: 1 item, 1/1 in time (100%).
    """
    resident = Resident(telegram_id=99_000_001, pseudonym="R7K2QX", consent_version="1")
    gone = Resident(telegram_id=99_000_002, pseudonym="GONE01", consent_version="1")
    fans = [
        Resident(telegram_id=99_000_010 + i, pseudonym=f"FAN00{i}", consent_version="1")
        for i in range(2)
    ]
    session.add_all([resident, gone, *fans])
    consultation = Consultation(
        status="open",
        title="凯旋路停车 13800138000",
        subdistricts=[JFB],
        created_by=1,
        created_at=NOW - 30 * D,
    )
    session.add(consultation)
    await session.flush()
    scene = Scene()

    async def opinion(
        key: str,
        sub: str,
        days_ago: float,
        text: str | None,
        *,
        status: str = OpinionStatus.RECEIVED,
        answered_after: timedelta | None = None,
        progress: str | None = None,
        rating: int | None = None,
        author: Resident = resident,
        erased: bool = False,
        category: str = "parking_traffic",
    ) -> Opinion:
        visible = NOW - days_ago * D
        row = Opinion(
            resident_id=None if erased else author.id,
            text=None if erased else text,
            subdistrict=sub,
            category=category,
            status=status,
            created_at=visible - timedelta(minutes=5),
            updated_at=visible,
            visible_at=None if status == OpinionStatus.HELD else visible,
            first_response_at=visible + answered_after if answered_after else None,
            progress=progress or (Progress.ANSWERED if answered_after else None),
            resolved_at=visible + D if progress == Progress.RESOLVED else None,
            rating=rating,
            rated_at=visible + 2 * D if rating else None,
            erased_at=NOW - D if erased else None,
        )
        session.add(row)
        await session.flush()
        scene.ids[key] = row.id
        return row

    def act(row: Opinion, kind: str, at: datetime, **extra: object) -> None:
        actor = None if kind in (ActionKind.REOPENED, ActionKind.RATED) else 7_000_001
        session.add(OpinionAction(opinion_id=row.id, at=at, kind=kind, actor_id=actor, **extra))

    a = await opinion(
        "a",
        JFB,
        20,
        "解放碑八一路晚上停车太乱，车停到人行道上",
        answered_after=2 * H,
        progress=Progress.RESOLVED,
        rating=5,
    )
    a.reopen_count = 1
    a.consultation_id = consultation.id
    v = a.visible_at
    assert v is not None
    act(a, ActionKind.ANSWERED, v + 2 * H, text="已联系交巡警")
    act(a, ActionKind.RESOLVED, v + D)
    act(a, ActionKind.REOPENED, NOW - 10 * D, text="又停满了，电话13800138000")
    act(a, ActionKind.RESOLVED, NOW - 8 * D)
    act(a, ActionKind.RATED, NOW - 7 * D, rating=5)
    for fan in fans:
        session.add(OpinionSupporter(opinion_id=a.id, resident_id=fan.id, since=NOW - 15 * D))
    await opinion(
        "b", JFB, 12, "解放碑八一路停车位不够，晚上车停到人行道", answered_after=8 * D, rating=3
    )
    await opinion(
        "c", JFB, 10, '=HYPERLINK("http://x") 十八梯台阶松动', category="municipal_facilities"
    )
    await opinion("d", JFB, 3, "较场口路灯不亮")
    e = await opinion(
        "e",
        JFB,
        2,
        f"楼道堆满杂物，联系我{PHONE}，身份证{ID_CARD}",
        answered_after=D,
        progress=Progress.FORWARDED,
    )
    ev = e.visible_at
    assert ev is not None
    act(e, ActionKind.FORWARDED, ev + D, department="区住建委")
    await opinion("f", JFB, 5, "广告", status=OpinionStatus.HIDDEN)
    await opinion("g", JFB, 4, "held", status=OpinionStatus.HELD)
    await opinion("h", JFB, 9, "被删除的意见", answered_after=3 * D, erased=True, author=gone)
    q = await opinion(
        "q",
        QXG,
        6,
        "七星岗菜市场噪音太大",
        answered_after=D,
        progress=Progress.RESOLVED,
        rating=2,
        category="environment_sanitation",
    )
    act(q, ActionKind.REOPENED, NOW - D, text="还是吵")
    await opinion("p", JFB, 40, "上个月的意见", answered_after=H)
    return scene
