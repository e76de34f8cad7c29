"""Deadlines as admins type them, and what a summary says: plain functions."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.domain import load_district
from bot.domain.consultation import Piece, deadline_after, parse_deadline, summarise
from bot.features.consultations.views import summary_text
from storage.records import ConsultationRecord

TZ = ZoneInfo("Asia/Shanghai")
#: 2026-12-01 12:00 in Shanghai.
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
DISTRICT = load_district()
SD = {s.short: s.code for s in DISTRICT.subdistricts}


def test_typed_deadlines() -> None:
    assert parse_deadline("2026-12-20", NOW, TZ) == datetime(2026, 12, 20, 23, 59, tzinfo=TZ)
    assert parse_deadline("12-20 18:00", NOW, TZ) == datetime(2026, 12, 20, 18, 0, tzinfo=TZ)
    assert parse_deadline("12月20日", NOW, TZ) == datetime(2026, 12, 20, 23, 59, tzinfo=TZ)
    # No year and already past this year: next year's.
    assert parse_deadline("01-05", NOW, TZ) == datetime(2027, 1, 5, 23, 59, tzinfo=TZ)
    for bad in ("2026-11-30", "明天", "02-30", "12-20 25:00", "2028-01-01", ""):
        assert parse_deadline(bad, NOW, TZ) is None, bad


def test_deadline_buttons_end_a_whole_day() -> None:
    assert deadline_after(7, NOW, TZ) == datetime(2026, 12, 8, 23, 59, tzinfo=TZ)


def test_summary_counts_clusters_and_masks() -> None:
    jfb, qxg = SD["解放碑"], SD["七星岗"]
    pieces = [
        Piece(1, 10, jfb, "parking_traffic", "凯旋路晚上停车太乱，车停到人行道上"),
        Piece(2, 11, jfb, "parking_traffic", "凯旋路停车乱，人行道被车占了，电话13800138000"),
        Piece(3, 10, jfb, "parking_traffic", "凯旋路人行道上停满了车，晚上走路不安全"),
        Piece(4, None, qxg, "sanitation", "七星岗公园垃圾桶太少，垃圾满地"),
    ]
    s = summarise(pieces, (jfb, qxg, SD["南纪门"]), DISTRICT)
    assert s.contributions == 4
    assert s.residents == 3  # resident 10 twice, the erased author once
    assert s.by_subdistrict == ((jfb, 3), (qxg, 1), (SD["南纪门"], 0))
    assert s.by_category == (("parking_traffic", 3), ("sanitation", 1))
    assert sum(len(g.opinion_ids) for g in s.groups) == 4
    assert s.groups[0].opinion_ids == (1, 2, 3) and s.groups[0].residents == 2
    assert not any("13800138000" in h for h in s.highlights)
    assert not any("13800138000" in g.label for g in s.groups)


def test_an_empty_consultation_still_has_its_sub_districts() -> None:
    s = summarise([], (SD["解放碑"],), DISTRICT)
    assert s.contributions == 0 and s.groups == () and s.by_subdistrict == ((SD["解放碑"], 0),)


def _leaks(shown: str, number: str) -> bool:
    """Any 3 consecutive digits of `number` beyond the 3 the mask keeps, in `shown` with
    full-width digits and spaces folded away."""
    flat = "".join(unicodedata.normalize("NFKC", shown).split())
    windows = {number[i : i + 3] for i in range(1, len(number) - 2)}
    return any(w in flat for w in windows)


def test_summary_masks_numbers_a_label_cut_would_split() -> None:
    """The label is cut to a few dozen characters: a number spaced out or typed in full-width
    digits must be masked before that cut, not after (where half of it escapes)."""
    jfb, qxg = SD["解放碑"], SD["七星岗"]
    pieces = [
        Piece(1, 10, jfb, "parking_traffic", "凯旋路晚上停车太乱请联系我电话138 1234 5678谢谢"),
        Piece(2, 11, qxg, "sanitation", "七星岗公园垃圾桶太少打我电话１３８１２３４５６７８"),
    ]
    s = summarise(pieces, (jfb, qxg), DISTRICT)
    shown = [g.label for g in s.groups] + list(s.highlights)
    assert len(shown) == 4
    for text in shown:
        assert not _leaks(text, "13812345678"), text


def _closed(subdistricts: tuple[str, ...]) -> ConsultationRecord:
    return ConsultationRecord(
        id=7,
        status="closed",
        title="十八梯电动车怎么停",
        description="",
        subdistricts=subdistricts,
        deadline=NOW,
        step=None,
        created_by=1,
        created_at=NOW,
        opened_at=NOW,
        closed_at=NOW,
    )


def test_single_opinions_are_not_called_similar_and_waiting_ones_are_mentioned() -> None:
    """Two different opinions make no "similar" group; an answer held for review (its
    author left a phone number) is said to be missing rather than read as silence."""
    jfb = SD["解放碑"]
    pieces = [
        Piece(1, 10, jfb, "parking_traffic", "十八梯入口电动车乱停，挡住了台阶"),
        Piece(2, 11, jfb, "sanitation", "较场口公厕晚上太早关门"),
    ]
    c = _closed((jfb,))
    s = summarise(pieces, (jfb,), DISTRICT)
    text = summary_text(c, s, "zh", DISTRICT, TZ, admin=False, waiting=1)
    assert "每条意见各不相同" in text and "（1 条，1 位居民）" not in text
    assert "另有 1 条意见还在审核中" in text and "/queue" not in text
    empty = summary_text(
        c, summarise([], (jfb,), DISTRICT), "zh", DISTRICT, TZ, admin=True, waiting=1
    )
    assert "没有收到意见" not in empty and "/queue" in empty
    english = summary_text(c, s, "en", DISTRICT, TZ, admin=False, waiting=1)
    assert "every opinion raised something different" in english and "under review" in english
