"""How the 三率 read on a phone: /stats's table, the chart, and the digests' compact block."""

from __future__ import annotations

from datetime import timedelta

from bot.domain import District
from bot.domain.stats import (
    NO_VALUE,
    TOTAL,
    UNPLACED,
    PeriodError,
    Rates,
    Row,
    Table,
    change,
    percent,
)
from bot.features.stats.service import ScopeRefused
from bot.features.stats.texts import t
from bot.reports.chart import rates_chart_png
from bot.telegram.labels import subdistrict_name
from bot.telegram.texts import Html, Lang
from storage.records import StaffRecord
from storage.statuses import ALL_SUBDISTRICTS

#: A digest lists at most this many sub-districts' lines; more: the total only.
DIGEST_ROWS = 3


def row_name(district: District, code: str, lang: Lang) -> str:
    if code == TOTAL:
        return t(lang, "stats_total")
    if code == UNPLACED:
        return t(lang, "stats_unplaced")
    return subdistrict_name(district, code, lang)


def duration(delta: timedelta | None, lang: Lang) -> str:
    """A median time to first response: minutes, hours or days, one decimal at most."""
    if delta is None:
        return NO_VALUE
    minutes = delta.total_seconds() / 60
    if minutes < 60:
        return t(lang, "duration_minutes", n=round(minutes))
    if minutes < 48 * 60:
        return t(lang, "duration_hours", n=_one_decimal(minutes / 60))
    return t(lang, "duration_days", n=_one_decimal(minutes / (24 * 60)))


def _one_decimal(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def arrow(current: float | None, previous: float | None) -> str:
    """↑5 / ↓3 / = (percentage points against the previous period); "" if not comparable."""
    diff = change(current, previous)
    if diff is None:
        return ""
    return "=" if diff == 0 else f"↑{diff}" if diff > 0 else f"↓{-diff}"


def _of(part: int, whole: int) -> str:
    return f" ({part}/{whole})" if whole else ""


def stats_text(table: Table, district: District, lang: Lang, response_days: int) -> str:
    """The /stats message: one block per sub-district (and the total), then the definitions."""
    lines = [
        t(
            lang,
            "stats_title",
            first=table.period.first_day.isoformat(),
            last=table.period.last_day.isoformat(),
            days=table.period.days,
        )
    ]
    rows = list(table.rows) + ([table.total] if table.total is not None else [])
    for row in rows:
        lines.append("")
        lines.extend(_row_lines(row, district, lang))
    if not any(r.current.items for r in rows):
        lines += ["", t(lang, "stats_nothing")]
    lines += ["", t(lang, "stats_definitions", response_days=response_days)]
    return "\n".join(lines)


def _row_lines(row: Row, district: District, lang: Lang) -> list[str]:
    now, before = row.current, row.previous
    return [
        t(
            lang,
            "stats_row_head",
            name=row_name(district, row.code, lang),
            items=now.items,
            change=Html(t(lang, "stats_items_change", previous=before.items)),
        ),
        t(
            lang,
            "stats_row_rates",
            response=_rate(now.response_rate, before.response_rate),
            response_of=_of(now.answered_in_time, now.judged),
            resolution=_rate(now.resolution_rate, before.resolution_rate),
            resolution_of=_of(now.resolved, now.items),
            satisfaction=_rate(now.satisfaction, before.satisfaction),
            satisfaction_of=_of(now.satisfied, now.rated),
        ),
        t(
            lang,
            "stats_row_more",
            median=duration(now.median_response, lang),
            reopened=now.reopened,
        ),
    ]


def _rate(current: float | None, previous: float | None) -> str:
    moved = arrow(current, previous)
    return percent(current) + (f" {moved}" if moved else "")


def digest_block(table: Table, district: District, lang: Lang) -> str:
    """The compact 三率 block of a digest: a line per followed sub-district (the total only
    when there are many), this period against the previous one."""
    rows: list[Row] = list(table.rows)
    if len(rows) > DIGEST_ROWS and table.total is not None:
        rows = [table.total]
    elif table.total is not None:
        rows.append(table.total)
    lines = [t(lang, "digest_rates_header", days=table.period.days)]
    for row in rows:
        lines.append(_digest_line(row, district, lang))
    return "\n".join(lines)


def _digest_line(row: Row, district: District, lang: Lang) -> str:
    now, before = row.current, row.previous
    return t(
        lang,
        "digest_rates_line",
        name=row_name(district, row.code, lang),
        response=percent(now.response_rate),
        response_change=_paren(arrow(now.response_rate, before.response_rate)),
        resolution=percent(now.resolution_rate),
        resolution_change=_paren(arrow(now.resolution_rate, before.resolution_rate)),
        satisfaction=percent(now.satisfaction),
        satisfaction_change=_paren(arrow(now.satisfaction, before.satisfaction)),
        median=duration(now.median_response, lang),
        reopened=now.reopened,
    )


def _paren(moved: str) -> str:
    return f"({moved})" if moved else ""


def chart(table: Table, district: District, lang: Lang, response_days: int) -> bytes:
    """Three panels (response, resolution, satisfaction), a bar per row and the total."""
    rows = list(table.rows) + ([table.total] if table.total is not None else [])
    labels = [row_name(district, r.code, lang) for r in rows]
    rates: list[Rates] = [r.current for r in rows]
    return rates_chart_png(
        t(
            lang,
            "chart_title",
            first=table.period.first_day.isoformat(),
            last=table.period.last_day.isoformat(),
        ),
        labels,
        [
            (
                t(lang, "chart_response", response_days=response_days),
                [r.response_rate for r in rates],
            ),
            (t(lang, "chart_resolution"), [r.resolution_rate for r in rates]),
            (t(lang, "chart_satisfaction"), [r.satisfaction for r in rates]),
        ],
        note=t(lang, "chart_note"),
        missing=NO_VALUE,
    )


def chart_caption(table: Table, lang: Lang) -> str:
    return t(
        lang,
        "chart_caption",
        first=table.period.first_day.isoformat(),
        last=table.period.last_day.isoformat(),
    )


def period_refusal(err: PeriodError, lang: Lang, command: str) -> str:
    """Why the dates typed make no period, and how to write them."""
    return t(lang, f"period_{err.reason}", word=err.word, command=command)


def scope_refusal(err: ScopeRefused, member: StaffRecord, district: District, lang: Lang) -> str:
    if err.reason == "not_yours":
        mine = ("、" if lang == "zh" else ", ").join(
            row_name(district, c, lang) for c in member.subdistricts if c != ALL_SUBDISTRICTS
        )
        return t(lang, "not_yours", mine=mine or NO_VALUE)
    return t(lang, "unknown_subdistrict", word=err.word)
