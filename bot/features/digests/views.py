"""A digest as members read it: messages within Telegram's 4096 characters (never cutting an
item), a chart and a spreadsheet; and one item in full for /op."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import District, reference_number
from bot.domain.digest import UNPLACED, DigestContent, DigestItem, masked
from bot.domain.stats import Table
from bot.domain.text import shorten
from bot.features.digests.texts import t
from bot.features.stats import digest_block
from bot.reports.chart import counts_chart_png
from bot.reports.sheet import Column, xlsx_bytes
from bot.telegram.html import MAX_TEXT
from bot.telegram.labels import category_name, subdistrict_name
from bot.telegram.texts import Html, Lang
from storage.statuses import Progress

#: Characters of an item's text shown in the digest (the sheet and /op have it whole).
SHORT_TEXT = 90
CLUSTER_REFS = 6
AWAITING_SHOWN = 10
#: "Still awaiting follow-up" looks this far back (older items are for /stats and exports).
AWAITING_WINDOW = timedelta(days=60)


def short(text: str, limit: int = SHORT_TEXT) -> str:
    return shorten(text, limit)


def item_text(text: str | None, lang: Lang) -> str:
    """What an item says: its text; a voice message (no words: /op plays it); or erased."""
    if text:
        return text
    return t(lang, "voice_only" if text == "" else "erased_text")


def age(delta: timedelta, lang: Lang) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return t(lang, "age_minutes", n=minutes)
    if minutes < 48 * 60:
        return t(lang, "age_hours", n=minutes // 60)
    return t(lang, "age_days", n=minutes // (24 * 60))


def when(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%m-%d %H:%M")


def _delta(count: int, previous: int | None, lang: Lang) -> str:
    if previous is None:
        return ""
    diff = count - previous
    arrow = "↑" if diff > 0 else "↓" if diff < 0 else "="
    shown = f"{arrow}{abs(diff)}" if diff else arrow
    return t(lang, "change_vs_previous", previous=previous, delta=shown)


class DigestView:
    """Everything a digest says, in one member's language."""

    def __init__(
        self, content: DigestContent, district: District, lang: Lang, tz: ZoneInfo, prefix: str
    ) -> None:
        self.content = content
        self.district = district
        self.lang = lang
        self.tz = tz
        self.prefix = prefix

    def ref(self, opinion_id: int) -> str:
        return reference_number(self.prefix, opinion_id)

    def where(self, code: str | None) -> str:
        return subdistrict_name(self.district, None if code == UNPLACED else code, self.lang)

    def period(self) -> str:
        c = self.content
        start = c.period_start.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        end = c.period_end.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        return t(self.lang, "period", start=start, end=end, tz=self.tz.key)

    def blocks(
        self,
        *,
        preview: bool,
        catch_up: bool,
        awaiting: tuple[int, Sequence[DigestItem]],
        with_files: bool,
        rates: Table | None = None,
    ) -> list[str]:
        """The digest as blocks, each kept whole in one message."""
        lang, c = self.lang, self.content
        head = [t(lang, "preview_title" if preview else "digest_title"), self.period()]
        if catch_up:
            head.append(t(lang, "catch_up_note"))
        change = _delta(c.total, c.previous_total, lang)
        head.append(t(lang, "total", count=c.total, change=Html(change)))
        blocks = ["\n".join(head)]
        if c.by_subdistrict:
            lines = [t(lang, "per_subdistrict_header")]
            for row in c.by_subdistrict:
                lines.append(
                    t(
                        lang,
                        "per_subdistrict_line",
                        name=self.where(row.code),
                        count=row.count,
                        change=Html(_delta(row.count, row.previous, lang)),
                    )
                )
            blocks.append("\n".join(lines))
        if rates is not None:
            blocks.append(digest_block(rates, self.district, lang))
        if c.highlights:
            blocks.append(t(lang, "highlights_header"))
            blocks.extend(self.item(i) for i in c.highlights)
        groups = [g for g in c.clusters if g.residents > 1]
        if groups:
            blocks.append(t(lang, "clusters_header"))
            for g in groups:
                refs = ", ".join(self.ref(i) for i in g.opinion_ids[:CLUSTER_REFS])
                if g.size > CLUSTER_REFS:
                    refs += " " + t(lang, "and_more", more=g.size - CLUSTER_REFS)
                blocks.append(
                    t(
                        lang,
                        "cluster_line",
                        number=g.number,
                        size=g.residents,
                        label=masked(g.label),
                        refs=refs,
                    )
                )
        if c.top_categories:
            sep = " · "
            cats = sep.join(f"{category_name(k, lang)} {n}" for k, n in c.top_categories[:5])
            blocks.append(t(lang, "categories_header") + "\n" + _escape(cats))
        if c.items:
            blocks.append(t(lang, "items_header", count=c.total))
            blocks.extend(self.item(i) for i in c.items)
        total_awaiting, oldest = awaiting
        if total_awaiting:
            first = oldest[0] if oldest else None
            oldest_age = age(c.period_end - first.visible_at, lang) if first else "-"
            lines = [
                t(
                    lang,
                    "awaiting_header",
                    count=total_awaiting,
                    age=oldest_age,
                    days=AWAITING_WINDOW.days,
                )
            ]
            for item in oldest[:AWAITING_SHOWN]:
                lines.append(
                    t(
                        lang,
                        "awaiting_line",
                        ref=self.ref(item.opinion_id),
                        where=self.where(item.subdistrict),
                        age=age(c.period_end - item.visible_at, lang),
                        marks=Html(_escape(self.reopened(item))),
                        text=short(item_text(item.text, lang), 40),
                    )
                )
            blocks.append("\n".join(lines))
        blocks.append(t(lang, "footer" if with_files else "footer_no_files"))
        return blocks

    def reopened(self, item: DigestItem) -> str:
        """The mark of an item its resident reopened after "resolved"."""
        return t(self.lang, "reopened_mark") if item.progress == Progress.REOPENED else ""

    def item(self, item: DigestItem) -> str:
        lang = self.lang
        marks = ""
        if item.moved_from is not None:
            marks += t(lang, "moved_mark", from_=self.where(item.moved_from))
        marks += self.reopened(item)
        group = self.content.cluster_of(item.opinion_id)
        if group is not None and group.size > 1:
            marks += t(lang, "cluster_mark", number=group.number)
        if item.supporters:
            marks += t(lang, "supporters_mark", count=item.supporters)
        if item.photo_count:
            marks += f" · 📷{item.photo_count}"
        if item.has_location:
            marks += " · 📍"
        return t(
            lang,
            "item_line",
            ref=self.ref(item.opinion_id),
            where=self.where(item.subdistrict),
            category=category_name(item.category, lang),
            age=age(self.content.period_end - item.visible_at, lang),
            marks=Html(_escape(marks)),
            text=short(item_text(item.text, lang)),
        )

    def chart(self) -> bytes:
        c = self.content
        start, end = when(c.period_start, self.tz), when(c.period_end, self.tz)
        by_sub = tuple((self.where(r.code), r.count) for r in c.by_subdistrict)
        by_cat = tuple((category_name(k, self.lang), n) for k, n in c.top_categories)
        lang = self.lang
        return _chart(
            t(lang, "chart_title", start=start, end=end),
            by_sub,
            by_cat,
            (t(lang, "chart_by_subdistrict"), t(lang, "chart_by_category")),
            t(lang, "chart_empty"),
        )

    def chart_caption(self) -> str:
        c = self.content
        return t(
            self.lang,
            "chart_caption",
            start=when(c.period_start, self.tz),
            end=when(c.period_end, self.tz),
        )

    def sheet(self) -> bytes:
        lang = self.lang
        columns = [
            Column(t(lang, "col_reference"), 12),
            Column(t(lang, "col_time"), 17),
            Column(t(lang, "col_subdistrict"), 14),
            Column(t(lang, "col_category"), 16),
            Column(t(lang, "col_cluster"), 7),
            Column(t(lang, "col_cluster_label"), 26, wrap=True),
            Column(t(lang, "col_status"), 10),
            Column(t(lang, "col_moved"), 12),
            Column(t(lang, "col_text"), 70, wrap=True),
        ]
        rows: list[tuple[str | int | float | datetime | None, ...]] = []
        for item in self.content.items:
            group = self.content.cluster_of(item.opinion_id)
            rows.append(
                (
                    self.ref(item.opinion_id),
                    item.visible_at.astimezone(self.tz).replace(tzinfo=None),
                    self.where(item.subdistrict),
                    category_name(item.category, lang),
                    group.number if group else None,
                    masked(group.label) if group else None,
                    t(lang, f"status_{item.status}"),
                    self.where(item.moved_from) if item.moved_from else None,
                    item_text(item.text, lang),
                )
            )
        return _sheet(tuple(columns), tuple(rows))


# Members of one sub-district get the same items at the same time: a digest round draws
# each chart and writes each sheet once, not once per member.


@functools.lru_cache(maxsize=64)
def _chart(
    title: str,
    by_sub: tuple[tuple[str, int], ...],
    by_cat: tuple[tuple[str, int], ...],
    headings: tuple[str, str],
    empty: str,
) -> bytes:
    return counts_chart_png(title, by_sub, by_cat, headings=headings, empty=empty)


@functools.lru_cache(maxsize=64)
def _sheet(
    columns: tuple[Column, ...], rows: tuple[tuple[str | int | float | datetime | None, ...], ...]
) -> bytes:
    return xlsx_bytes("digest", columns, rows)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pack(blocks: Sequence[str], limit: int = MAX_TEXT) -> list[str]:
    """Blocks joined into as few messages as fit, each at most `limit` characters of HTML
    (counted before Telegram parses it, so also within the limit after); a block is never
    split, and a block longer than a whole message (which the views never make) is cut at
    line breaks."""
    pieces = [
        piece
        for block in blocks
        for piece in ([block] if len(block) <= limit else _greedy(block.split("\n"), "\n", limit))
    ]
    return _greedy(pieces, "\n\n", limit)


def _greedy(pieces: Sequence[str], sep: str, limit: int) -> list[str]:
    """Consecutive pieces joined by `sep` while they fit in `limit`."""
    out: list[str] = []
    current = ""
    for piece in pieces:
        piece = piece[:limit]
        joined = f"{current}{sep}{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
        else:
            out.append(current)
            current = piece
    if current:
        out.append(current)
    return out
