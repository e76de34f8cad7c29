"""Moderation cards for a phone: the item (masked unless asked), why it was held, and one
row of big buttons per decision."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import District, category_label, reference_number
from bot.domain.categories import CATEGORIES
from bot.domain.digest import masked
from bot.features.moderation.callbacks import QUEUE
from bot.features.moderation.service import REJECT_REASONS, reason_text
from bot.features.moderation.texts import t
from bot.telegram.keyboards import Button, Keyboard, pairs
from bot.telegram.labels import category_name, subdistrict_label, subdistrict_name
from bot.telegram.texts import Html, Lang
from storage.records import OpinionRecord

#: Longest text on a card (the whole of it is one tap away, through "original").
CARD_TEXT = 1500
PAGE = 10


def status_name(status: str, lang: Lang) -> str:
    return t(lang, f"status_{status}")


def holds_line(opinion: OpinionRecord, lang: Lang) -> str:
    if not opinion.hold_reasons:
        return ""
    parts = []
    for hold in opinion.hold_reasons:
        reason, detail = str(hold.get("reason", "")), str(hold.get("detail", ""))
        key = f"hold_{reason}"
        try:
            parts.append(t(lang, key, detail=detail))
        except KeyError:
            parts.append(reason)
    return t(lang, "card_holds", reasons="；".join(parts) if lang == "zh" else "; ".join(parts))


def card_text(
    opinion: OpinionRecord,
    *,
    district: District,
    prefix: str,
    lang: Lang,
    position: int,
    total: int,
    pseudonym: str | None,
    created: str,
) -> str:
    text = masked(opinion.text)[:CARD_TEXT] or "—"
    return t(
        lang,
        "card",
        position=position,
        total=total,
        ref=reference_number(prefix, opinion.id),
        status=status_name(opinion.status, lang),
        where=subdistrict_name(district, opinion.subdistrict, lang),
        category=category_name(opinion.category, lang),
        created=created,
        pseudonym=pseudonym or "—",
        holds=Html(_escape(holds_line(opinion, lang))),
        text=text,
    )


def card_keyboard(card: int, lang: Lang, page_size: int) -> Keyboard:
    b = QUEUE.build
    rows = [
        [
            Button(t(lang, "btn_approve"), b(card, "ok", "x")),
            Button(t(lang, "btn_reject"), b(card, "rj", "pick")),
        ],
        [
            Button(t(lang, "btn_hide"), b(card, "hd", "pick")),
            Button(t(lang, "btn_merge"), b(card, "dup", "x")),
        ],
        [
            Button(t(lang, "btn_retag_sd"), b(card, "sd", "pick")),
            Button(t(lang, "btn_retag_cat"), b(card, "cat", "pick")),
        ],
        [
            Button(t(lang, "btn_original"), b(card, "orig", "x")),
            Button(t(lang, "btn_skip"), b(card, "next", "x")),
        ],
    ]
    if page_size > 1:
        rows.append([Button(t(lang, "btn_bulk", count=page_size), b(card, "bulk", "x"))])
    return rows


def reasons_keyboard(card: int, lang: Lang, action: str) -> Keyboard:
    """Reasons to reject (action "rr") or hide ("hr"), and "type one" for rejections."""
    buttons = [Button(reason_text(r, lang), QUEUE.build(card, action, r)) for r in REJECT_REASONS]
    rows = pairs(buttons)
    if action == "rr":
        rows.append([Button(t(lang, "btn_reason_typed"), QUEUE.build(card, "rr", "typed"))])
    rows.append([Button(t(lang, "btn_back"), QUEUE.build(card, "back", "x"))])
    return rows


def subdistricts_keyboard(card: int, district: District, lang: Lang) -> Keyboard:
    buttons = [
        Button(subdistrict_label(sub, lang), QUEUE.build(card, "sd", str(i)))
        for i, sub in enumerate(district.subdistricts)
    ]
    return [*pairs(buttons), [Button(t(lang, "btn_back"), QUEUE.build(card, "back", "x"))]]


def categories_keyboard(card: int, lang: Lang) -> Keyboard:
    buttons = [Button(category_label(c, lang), QUEUE.build(card, "cat", c.key)) for c in CATEGORIES]
    return [*pairs(buttons), [Button(t(lang, "btn_back"), QUEUE.build(card, "back", "x"))]]


def bulk_keyboard(card: int, lang: Lang, count: int) -> Keyboard:
    return [
        [Button(t(lang, "btn_bulk_confirm", count=count), QUEUE.build(card, "bulkok", "x"))],
        [Button(t(lang, "btn_back"), QUEUE.build(card, "back", "x"))],
    ]


def refs(ids: Sequence[int], prefix: str) -> str:
    return ", ".join(reference_number(prefix, i) for i in ids)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
