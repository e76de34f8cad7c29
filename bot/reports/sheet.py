"""A generic XLSX writer for the spreadsheets attached to digests (openpyxl, write-only mode).

One sheet: a bold header row that stays in view (frozen), a filter over the whole table,
fixed column widths, wrapped text where asked, datetimes as real Excel dates.

Text written by residents is untrusted. Only cells stored as formulas are ever evaluated, so
every string is stored as a string, even one that openpyxl would take for a formula ("=…")
or an error code ("#N/A"). That alone would not survive a member editing the cell: Excel
re-reads "=…", "+…", "-…" and "@…" typed into a cell as a formula. Such cells therefore also
get the quotePrefix style, Excel's own mark for "typed with a leading apostrophe": the text
stays exactly as written (no apostrophe is added to the value, so it reads back unchanged)
and stays text when edited. Control characters that XML cannot carry are dropped.

Write-only mode streams rows to a temporary file instead of keeping a cell object per value,
so a long export stays small in memory; widths and freeze panes are set before the first
row (it writes them first) and the filter range after the last one (it is written at the
end).
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.dimensions import ColumnDimension, DimensionHolder
from openpyxl.worksheet.filters import AutoFilter

Value = str | int | float | datetime | None

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
#: A string starting with one of these is a formula to Excel when typed in (tab and CR too:
#: some spreadsheet programs strip them and then read what follows).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_CHARS = 32_767  # Excel's limit; openpyxl cuts silently, we cut explicitly
_SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="FFEFEFEF")
_HEADER_ALIGN = Alignment(vertical="center")
_TOP = Alignment(vertical="top")
_WRAP = Alignment(vertical="top", wrap_text=True)


class _SheetSetup(Protocol):
    """What a write-only sheet has at run time (from Worksheet._setup); the stubs omit it."""

    column_dimensions: DimensionHolder[str, ColumnDimension]
    auto_filter: AutoFilter


@dataclass(frozen=True)
class Column:
    header: str
    width: float  # in Excel's character widths
    wrap: bool = False


def xlsx_bytes(
    sheet_title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Value]],
) -> bytes:
    """An XLSX file with one sheet: `columns` as the header, then `rows`.

    Datetimes are written as given, as local wall-clock times (a timezone, if any, is dropped
    without converting: pass local times). NaN and infinities become empty cells. A row longer
    than `columns` is a ValueError.
    """
    workbook = Workbook(write_only=True)
    sheet: WriteOnlyWorksheet = workbook.create_sheet(_sheet_title(sheet_title))
    setup = cast(_SheetSetup, sheet)
    for index, column in enumerate(columns, start=1):
        setup.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"

    sheet.append([_header_cell(sheet, column.header) for column in columns])
    count = 0
    try:
        for count, row in enumerate(rows, start=1):
            if len(row) > len(columns):
                raise ValueError(f"row {count} has {len(row)} values for {len(columns)} columns")
            sheet.append(
                [_cell(sheet, value, column) for value, column in zip(row, columns, strict=False)]
            )
    except BaseException:
        # Saving is openpyxl's one public way to end the row stream and delete the temporary
        # file it writes rows to; the result is thrown away.
        with contextlib.suppress(Exception):
            workbook.save(io.BytesIO())
        raise
    if columns:
        setup.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def clean_text(text: str) -> str:
    """`text` without the control characters XML 1.0 cannot carry, cut to Excel's limit."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:MAX_CELL_CHARS]


def _sheet_title(title: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, not empty."""
    cleaned = clean_text(title).translate(_SHEET_TITLE_FORBIDDEN).strip("'")[:31]
    return cleaned or "Sheet1"


def _header_cell(sheet: WriteOnlyWorksheet, header: str) -> Cell:
    cell = _text_cell(sheet, header)
    cell.font = _HEADER_FONT
    cell.fill = _HEADER_FILL
    cell.alignment = _HEADER_ALIGN
    return cell


def _cell(sheet: WriteOnlyWorksheet, value: Value, column: Column) -> Cell | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, str):
        cell = _text_cell(sheet, value)
    elif isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
    else:
        cell = WriteOnlyCell(sheet, value)
    cell.alignment = _WRAP if column.wrap else _TOP
    return cell


def _text_cell(sheet: WriteOnlyWorksheet, value: str) -> Cell:
    text = clean_text(value)
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"  # never a formula ("=…") or an error code ("#N/A")
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell
