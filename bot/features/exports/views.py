"""The export files: one row per item, the same cells in CSV (UTF-8 with a BOM, so Excel
opens Chinese correctly) and XLSX (bot.reports.sheet), everything a person wrote masked
(phone and ID-card numbers, full-width digits too), residents by pseudonym only.

Built in a thread, outside any transaction: plain rows in, bytes out.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import District, reference_number
from bot.domain.clustering import cluster_texts
from bot.domain.digest import masked
from bot.features.exports.texts import t
from bot.reports.sheet import FORMULA_STARTS, Column, Value, xlsx_bytes
from bot.telegram.labels import category_name
from bot.telegram.texts import COMMON, Lang
from storage.records import ActionLine, ExportRow
from storage.statuses import ActionKind

#: Telegram refuses documents over 50 MB (Bot API sendDocument); a margin for the request.
MAX_FILE_BYTES = 50 * 1024 * 1024 - 256 * 1024

_COLUMNS: tuple[tuple[str, float, bool], ...] = (
    ("col_reference", 12, False),
    ("col_created", 17, False),
    ("col_visible", 17, False),
    ("col_subdistrict", 12, False),
    ("col_category", 14, False),
    ("col_status", 9, False),
    ("col_progress", 10, False),
    ("col_history", 48, True),
    ("col_first_response", 17, False),
    ("col_rating", 6, False),
    ("col_reopened", 8, False),
    ("col_supporters", 8, False),
    ("col_consultation", 20, True),
    ("col_cluster", 7, False),
    ("col_cluster_label", 24, True),
    ("col_resident", 12, False),
    ("col_text", 70, True),
)


def plain(lang: Lang, key: str, **values: object) -> str:
    """A text for a file cell: filled in as it is (a file is not HTML, nothing to escape)."""
    template = t.template(lang, key)
    return template.format(**values) if values else template


def headers(lang: Lang) -> list[str]:
    return [plain(lang, key) for key, _, _ in _COLUMNS]


@dataclass(frozen=True)
class Files:
    """What an export sends: (file name, bytes) each, and notes on files over the limit."""

    csv: tuple[str, bytes] | None
    xlsx: tuple[str, bytes] | None
    notes: tuple[str, ...] = ()


def clusters_of(rows: Sequence[ExportRow], district: District) -> dict[int, tuple[int, str]]:
    """(number, label) by opinion id for items in a cluster of two or more, by the digests'
    own similarity (bot.domain.clustering), within each sub-district (a cluster is one
    problem at one place); numbered in order of each cluster's first item."""
    by_place: dict[str | None, list[ExportRow]] = defaultdict(list)
    for row in rows:
        if row.text:  # an erased text or a voice message has no words to compare
            by_place[row.subdistrict].append(row)
    found: list[tuple[int, list[int], str]] = []
    for group in by_place.values():
        for c in cluster_texts([masked(r.text) for r in group], district=district):
            if len(c.members) > 1:
                ids = [group[i].opinion_id for i in c.members]
                found.append((min(ids), ids, masked(c.label)))
    out: dict[int, tuple[int, str]] = {}
    for number, (_, ids, label) in enumerate(sorted(found), start=1):
        for i in ids:
            out[i] = (number, label)
    return out


def history(actions: Sequence[ActionLine], lang: Lang, tz: ZoneInfo, *, erased: bool) -> str:
    """ "2026-12-01 转交 区住建委; 2026-12-03 已解决; 2026-12-05 重新打开：…", masked; a
    resident's own words are left out once they erased their data."""
    parts = []
    for a in actions:
        day = a.at.astimezone(tz).strftime("%Y-%m-%d")
        if a.kind == ActionKind.FORWARDED:
            what = plain(lang, "action_forwarded", department=masked(a.department) or "—")
        elif a.kind == ActionKind.RATED:
            what = plain(lang, "action_rated", rating=a.rating if a.rating is not None else "—")
        elif f"action_{a.kind}" in t.entries:
            what = plain(lang, f"action_{a.kind}")
        else:
            what = a.kind
        by_resident = a.kind in (ActionKind.REOPENED, ActionKind.RATED)
        if a.text and a.kind != ActionKind.RATED and not (by_resident and erased):
            what += plain(lang, "action_said", text=" ".join(masked(a.text).split()))
        parts.append(f"{day} {what}")
    return "; ".join(parts)


def cells(
    row: ExportRow,
    cluster: tuple[int, str] | None,
    *,
    lang: Lang,
    tz: ZoneInfo,
    district: District,
) -> list[Value]:
    """One row's values, in the order of the headers (times as local datetimes)."""

    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(tz).replace(tzinfo=None) if moment else None

    sub = district.by_code(row.subdistrict) if row.subdistrict else None
    if row.erased or row.text is None:
        text = plain(lang, "export_erased")
    elif row.text == "":
        text = plain(lang, "export_voice")
    else:
        text = masked(row.text)
    consultation = None
    if row.consultation_id is not None:
        title = masked(row.consultation_title) if row.consultation_title else ""
        consultation = f"#{row.consultation_id} {title}".strip()
    return [
        reference_number(district.reference_prefix, row.opinion_id),
        local(row.created_at),
        local(row.visible_at),
        (sub.name if lang == "zh" else f"{sub.name} ({sub.pinyin})")
        if sub
        else plain(lang, "unplaced"),
        category_name(row.category, lang),
        COMMON.template(lang, f"status_{row.status}"),
        plain(lang, f"progress_{row.progress or 'none'}")
        if f"progress_{row.progress or 'none'}" in t.entries
        else row.progress,
        history(row.actions, lang, tz, erased=row.erased),
        local(row.first_response_at),
        row.rating,
        row.reopen_count,
        row.supporters,
        consultation,
        cluster[0] if cluster else None,
        cluster[1] if cluster else None,
        row.pseudonym or (plain(lang, "export_erased") if row.erased else None),
        text,
    ]


def table(
    rows: Sequence[ExportRow], *, lang: Lang, tz: ZoneInfo, district: District
) -> list[list[Value]]:
    clusters = clusters_of(rows, district)
    return [cells(r, clusters.get(r.opinion_id), lang=lang, tz=tz, district=district) for r in rows]


def csv_bytes(header: Sequence[str], body: Sequence[Sequence[Value]]) -> bytes:
    """CSV in UTF-8 with a BOM (Excel reads a BOM-less file as the local code page and
    garbles Chinese). A text Excel would take for a formula gets a leading apostrophe, as
    OWASP advises for CSV: a CSV cell has no other way to stay text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in body:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _csv_cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)


def build(
    rows: Sequence[ExportRow], *, lang: Lang, tz: ZoneInfo, district: District, name: str
) -> Files:
    """Both files of an export (`name` without extension). A file over Telegram's limit is
    sent zipped; one still over it is left out, with a note saying so."""
    header = headers(lang)
    body = table(rows, lang=lang, tz=tz, district=district)
    columns = [
        Column(title, width, wrap) for title, (_, width, wrap) in zip(header, _COLUMNS, strict=True)
    ]
    notes: list[str] = []
    made = []
    for filename, content in (
        (f"{name}.csv", csv_bytes(header, body)),
        (f"{name}.xlsx", xlsx_bytes("export", columns, body)),
    ):
        made.append(_fitting(filename, content, lang, notes))
    return Files(made[0], made[1], tuple(notes))


def _fitting(
    filename: str, content: bytes, lang: Lang, notes: list[str]
) -> tuple[str, bytes] | None:
    if len(content) <= MAX_FILE_BYTES:
        return filename, content
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(filename, content)
    if len(packed.getvalue()) <= MAX_FILE_BYTES:
        notes.append(t(lang, "export_zipped", name=filename))
        return f"{filename}.zip", packed.getvalue()
    notes.append(t(lang, "export_too_big", name=filename))
    return None
