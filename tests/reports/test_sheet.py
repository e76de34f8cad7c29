"""The digest spreadsheet, read back with openpyxl."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest
from openpyxl.worksheet import _writer as openpyxl_writer
from openpyxl.worksheet.worksheet import Worksheet

from bot.reports.sheet import DATETIME_FORMAT, Column, xlsx_bytes

COLUMNS = [
    Column("编号", 12),
    Column("街道", 14),
    Column("内容", 60, wrap=True),
    Column("收到时间", 18),
    Column("票数", 8),
]
WHEN = datetime(2025, 1, 6, 9, 30)
ROWS: list[list[str | int | float | datetime | None]] = [
    ["YZ-000001", "解放碑街道", "八一路晚上停车太乱，消防通道都堵了", WHEN, 3],
    ["YZ-000002", "南纪门街道", '=HYPERLINK("http://evil.example","点我")', WHEN, 0],
    ["YZ-000003", "大坪街道", "+86 139 0000 0000", None, 1.5],
    ["YZ-000004", "七星岗街道", "-1", WHEN, None],
    ["YZ-000005", "石油路街道", "@SUM(A1:A2)", WHEN, None],
    ["YZ-000006", "朝天门街道", "\tcmd|' /C calc'!A0", WHEN, None],
    ["YZ-000007", "化龙桥街道", "#N/A", WHEN, None],
    ["YZ-000008", "两路口街道", "响铃\x07字符\x00与\x1b控制符\n第二行", WHEN, None],
]


def read(data: bytes) -> Worksheet:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert isinstance(sheet, Worksheet)
    return sheet


@pytest.fixture(scope="module")
def data() -> bytes:
    return xlsx_bytes("本周意见", COLUMNS, ROWS)


@pytest.fixture(scope="module")
def sheet(data: bytes) -> Worksheet:
    return read(data)


def test_header_bold_frozen_filtered_and_sized(sheet: Worksheet) -> None:
    assert sheet.title == "本周意见"
    header = next(sheet.iter_rows(max_row=1))
    assert [c.value for c in header] == [c.header for c in COLUMNS]
    assert all(c.font.b for c in header)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:E{len(ROWS) + 1}"
    assert [sheet.column_dimensions[letter].width for letter in "ABCDE"] == [12, 14, 60, 18, 8]
    assert sheet["C2"].alignment.wrap_text and not sheet["B2"].alignment.wrap_text


def test_chinese_text_round_trips(sheet: Worksheet) -> None:
    assert sheet["B2"].value == "解放碑街道"
    assert sheet["C2"].value == "八一路晚上停车太乱，消防通道都堵了"


@pytest.mark.parametrize("row", [3, 4, 5, 6, 7, 8])
def test_formula_looking_text_stays_text(sheet: Worksheet, row: int) -> None:
    cell = sheet.cell(row, 3)
    assert cell.value == ROWS[row - 2][2]  # unchanged: no apostrophe added
    assert cell.data_type == "s"
    if row != 8:  # "#N/A" is no formula when typed; it only must not become an error cell
        assert cell.quotePrefix  # Excel keeps it text when someone edits the cell


def test_no_formula_is_stored(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in xml and "<f " not in xml
    assert 't="e"' not in xml


def test_control_characters_are_dropped_tabs_and_line_breaks_kept(sheet: Worksheet) -> None:
    assert sheet["C9"].value == "响铃字符与控制符\n第二行"
    assert sheet["C7"].value.startswith("\tcmd")


def test_datetimes_numbers_and_blanks(sheet: Worksheet) -> None:
    assert sheet["D2"].value == WHEN
    assert sheet["D2"].number_format == DATETIME_FORMAT
    assert sheet["D4"].value is None
    assert sheet["E2"].value == 3 and sheet["E4"].value == 1.5 and sheet["E5"].value is None


def test_an_aware_datetime_keeps_its_wall_clock_time() -> None:
    aware = datetime(2025, 1, 6, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    sheet = read(xlsx_bytes("t", [Column("时间", 18)], [[aware], [float("nan")]]))
    assert sheet["A2"].value == WHEN
    assert sheet["A3"].value is None


def test_no_rows_still_gives_a_header_and_a_filter() -> None:
    sheet = read(xlsx_bytes("空", COLUMNS, []))
    assert sheet.max_row == 1
    assert sheet.auto_filter.ref == "A1:E1"
    assert sheet.freeze_panes == "A2"


def test_a_sheet_title_excel_refuses_is_cleaned() -> None:
    sheet = read(xlsx_bytes("意见 [2025/01/06]: 第1周?" + "长" * 40, COLUMNS[:1], [["x"]]))
    assert len(sheet.title) <= 31
    assert not set(sheet.title) & set("[]:*?/\\")
    assert read(xlsx_bytes("", COLUMNS[:1], [])).title == "Sheet1"


def test_a_row_longer_than_the_columns_is_an_error_that_leaves_no_temporary_file() -> None:
    with pytest.raises(ValueError, match="row 2"):
        xlsx_bytes("t", COLUMNS[:2], [["a", "b"], ["a", "b", "c"]])
    assert openpyxl_writer.ALL_TEMP_FILES == []  # write-only rows go to a temporary file


def test_rows_may_be_a_generator_and_many() -> None:
    rows = ([f"YZ-{i:06d}", "解放碑街道", "意见" * 20, WHEN, i] for i in range(5_000))
    data = xlsx_bytes("大表", COLUMNS, rows)
    sheet = read(data)
    assert sheet.max_row == 5_001
    assert sheet["A5001"].value == "YZ-004999" and sheet["E5001"].value == 4_999
    assert sheet.auto_filter.ref == "A1:E5001"
