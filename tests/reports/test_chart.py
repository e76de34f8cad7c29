"""The digest chart: a PNG a phone can read, with Chinese drawn as Chinese.

Every chart here is drawn with matplotlib's warnings turned into errors: a character the
font lacks makes matplotlib warn "Glyph … missing from font(s) …" and draw a box, so a
missing glyph fails the test. The font's own character map is checked with fontTools too.
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from fontTools.ttLib import TTFont
from matplotlib import _pylab_helpers

from bot.domain.categories import CATEGORIES
from bot.domain.district import load_district
from bot.reports.chart import counts_chart_png
from bot.reports.fonts import (
    BUNDLED_FAMILY,
    BUNDLED_FILE,
    SYSTEM_FAMILIES,
    ChartFont,
    bundled_font_path,
    chart_font,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TELEGRAM_PHOTO_LIMIT = 10 * 1024 * 1024
DISTRICT = load_district()
SUBDISTRICTS = [(s.name, i * 3 % 7) for i, s in enumerate(DISTRICT.subdistricts)]
CATEGORIES_ZH = [(c.zh, i * 5 % 11) for i, c in enumerate(CATEGORIES)]
CATEGORIES_EN = [(c.en, i) for i, c in enumerate(CATEGORIES)]


@pytest.fixture(params=["bundled", "chosen"])
def font(request: pytest.FixtureRequest) -> ChartFont:
    """The shipped subset, and whatever chart_font() picks here (a system Noto CJK if any)."""
    return chart_font(prefer_system=request.param == "chosen")


def render(*args: Any, **kwargs: Any) -> bytes:
    """counts_chart_png with every warning (a missing glyph above all) raised as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return counts_chart_png(*args, **kwargs)


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def cmap(font: ChartFont) -> dict[int, str]:
    number = font.face_index if font.path.suffix.lower() in (".ttc", ".otc") else -1
    with TTFont(font.path, fontNumber=number, lazy=True) as ttf:
        return dict(ttf.getBestCmap())


def district_text() -> Iterator[str]:
    for sub in DISTRICT.subdistricts:
        yield sub.name
        yield sub.short
        yield from (c.name for c in sub.communities)
    yield from (landmark.name for landmark in DISTRICT.landmarks)
    yield from (former.name for former in DISTRICT.former_subdistricts)
    yield DISTRICT.name
    for category in CATEGORIES:
        yield category.zh
        yield category.en


def test_a_png_a_phone_can_read(font: ChartFont) -> None:
    data = render("渝中区 · 本周意见", SUBDISTRICTS, CATEGORIES_ZH, note="共 87 条", font=font)
    width, height = png_size(data)
    assert 1000 <= width <= 1400
    assert 600 <= height <= 2000
    assert len(data) < 1024 * 1024 < TELEGRAM_PHOTO_LIMIT


def test_every_district_and_category_label_renders_without_missing_glyphs(
    font: ChartFont,
) -> None:
    assert len(SUBDISTRICTS) == 11
    render("渝中区各街道意见统计", SUBDISTRICTS, CATEGORIES_ZH, font=font)
    render("Opinions by sub-district", SUBDISTRICTS, CATEGORIES_EN, font=font)
    shorts = [(s.short, 1) for s in DISTRICT.subdistricts]
    render("按街道", shorts, CATEGORIES_ZH, note="统计截至 2025-01-12 24:00（北京时间）", font=font)


def test_the_font_holds_every_character_of_the_district_data_and_categories(
    font: ChartFont,
) -> None:
    chars = {c for text in district_text() for c in text if not c.isspace()}
    table = cmap(font)
    missing = sorted(c for c in chars if ord(c) not in table)
    assert missing == [], f"{font.family} lacks {''.join(missing)}: run tools/subset_font.py"
    assert font.missing("".join(chars)) == ""


def test_a_missing_glyph_fails_the_render(font: ChartFont) -> None:
    """The guard above works: matplotlib does warn, and the warning becomes an error."""
    rare = "\U00020000"  # a CJK Extension B character no chart font here carries
    assert font.missing("标题" + rare) == rare
    with pytest.raises(UserWarning, match="missing from font"):
        render("标题" + rare, SUBDISTRICTS, CATEGORIES_ZH, font=font)


def test_emoji_in_a_title_or_label_are_left_out_not_drawn_as_boxes(font: ChartFont) -> None:
    """An admin's consultation title "… 电动车 🚲" or a 📍 in a label: the fonts have no
    emoji, so they are dropped (a missing glyph would fail the render, see above)."""
    render("解放碑 电动车怎么管 🚲👨‍👩‍👧", [("📍解放碑", 3)], CATEGORIES_ZH, font=font)


def test_the_bundled_subset_is_package_data_small_and_covers_gb2312_level_1() -> None:
    path = bundled_font_path()
    assert path.name == BUNDLED_FILE and path.is_file()
    assert path.stat().st_size <= 2_500_000
    licence = path.with_name("OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Adobe" in licence
    with TTFont(path, lazy=True) as ttf:
        assert ttf["name"].getDebugName(1) == BUNDLED_FAMILY
        table = ttf.getBestCmap()
    level1 = [
        bytes((row, cell)).decode("gb2312")
        for row in range(0xB0, 0xD8)
        for cell in range(0xA1, 0xFA if row == 0xD7 else 0xFF)
    ]
    assert len(level1) == 3755
    assert [c for c in level1 if ord(c) not in table] == []
    assert all(ord(c) in table for c in "0123456789abcXYZ，。、：；！？（）《》“”—…·％")


def test_a_system_noto_cjk_is_preferred_with_its_simplified_chinese_face() -> None:
    font = chart_font()
    if not any(f for f in SYSTEM_FAMILIES if font.family == f):
        assert font.bundled and font.family == BUNDLED_FAMILY
        pytest.skip("no system Noto CJK (Debian: fonts-noto-cjk): the bundled subset is used")
    assert not font.bundled
    if font.path == Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"):
        assert font.family == "Noto Sans CJK SC" and font.face_index == 2  # JP, KR, SC, …
    assert chart_font(prefer_system=False).family == BUNDLED_FAMILY


def test_no_items_gives_a_chart_that_says_so(font: ChartFont) -> None:
    empty = render("渝中区 · 本周意见", [], [], font=font)
    width, height = png_size(empty)
    assert width == 1200 and height < 600
    half = render("渝中区 · 本周意见", SUBDISTRICTS, [], empty="暂无", font=font)
    assert png_size(half)[1] < png_size(render("t", SUBDISTRICTS, CATEGORIES_ZH, font=font))[1]


def test_zero_counts_and_only_zeros_are_drawn(font: ChartFont) -> None:
    zeros = [(name, 0) for name, _ in SUBDISTRICTS]
    data = render("零", zeros, [(c.zh, 0) for c in CATEGORIES], font=font)
    assert png_size(data)[0] == 1200


def test_many_long_categories_make_a_taller_chart_not_an_error(font: ChartFont) -> None:
    many = [(f"类别{i} with a long English name that will be shortened", i) for i in range(60)]
    data = render("很多类别 " * 20, SUBDISTRICTS, many, note="注 " * 60, font=font)
    width, height = png_size(data)
    assert width == 1200 and 3000 < height < 6000  # within Telegram's width + height limit
    assert len(data) < TELEGRAM_PHOTO_LIMIT


def test_charts_from_several_threads_leave_no_global_state_behind() -> None:
    rc = dict(matplotlib.rcParams)
    with ThreadPoolExecutor(4) as pool:
        charts = list(
            pool.map(
                lambda i: counts_chart_png(f"图 {i}", SUBDISTRICTS[: i + 1], CATEGORIES_ZH),
                range(4),
            )
        )
    assert all(c.startswith(PNG_SIGNATURE) for c in charts)
    assert dict(matplotlib.rcParams) == rc
    assert _pylab_helpers.Gcf.get_num_fig_managers() == 0
