"""What the follow-up shows: the members' picker and item cards (texts masked), the notice a
resident receives (the member's words in a frame, signed "委员" and the sub-district, never
the member's name), the rating keyboard, and an opinion's history for /my."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.domain import District, reference_number
from bot.domain.departments import DEPARTMENTS, department_name
from bot.domain.digest import masked
from bot.domain.text import shorten
from bot.features.followup.callbacks import FOLLOW, RATE, REOPEN
from bot.features.followup.texts import t
from bot.telegram.keyboards import Button, Keyboard
from bot.telegram.labels import subdistrict_name
from bot.telegram.texts import Html, Lang
from storage.records import ActionRecord
from storage.statuses import ActionKind

#: Picker buttons per page: one item a row, readable on a phone.
PAGE = 6
#: Characters of an item's text on a picker button.
LABEL = 18
#: Characters of a member's answer /my quotes.
HISTORY_TEXT = 60
#: History lines /my shows per opinion (the latest).
HISTORY_LINES = 5


def excerpt(text: str, limit: int = 40) -> str:
    return shorten(text, limit)


def local_date(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d")


def stars(n: int) -> str:
    return "⭐" * n


def who_answered(district: District, subdistrict: str | None, lang: Lang) -> Html:
    """How a resident is told who answered: "委员" and the sub-district, nothing more.
    Already HTML (escaped here), so a catalogue inserts it as it is."""
    if subdistrict is None or district.by_code(subdistrict) is None:
        return Html(t(lang, "who_member_plain"))
    return Html(t(lang, "who_member", where=subdistrict_name(district, subdistrict, lang)))


def department_part(lang: Lang, department: object) -> Html:
    """ " (转交给 …)" after an action's name, or nothing; already HTML (a typed name is
    escaped here, once)."""
    if not department:
        return Html("")
    return Html(t(lang, "department_part", department=department_name(str(department), lang)))


def resident_notice(
    lang: Lang,
    kind: ActionKind,
    *,
    ref: str,
    text: str,
    who: Html,
    department: str | None,
    days: int,
) -> str:
    """The member's words in a frame, in the resident's language (their own text is not
    shown here, so nothing needs masking; the member's words are escaped)."""
    return t(
        lang,
        f"notice_{kind.value}",
        ref=ref,
        text=text,
        who=who,
        department=department_name(department or "", lang),
        days=days,
    )


def rating_keyboard(opinion_id: int, lang: Lang, *, reopen: bool = True) -> Keyboard:
    row = [Button(t(lang, "btn_star", n=n), RATE.build(opinion_id, n)) for n in range(1, 6)]
    rows = [row]
    if reopen:
        rows.append([Button(t(lang, "btn_reopen"), REOPEN.build(opinion_id))])
    return rows


# --- members -------------------------------------------------------------------------------


def page_of(total: int, page: int) -> tuple[int, int]:
    """The page that exists nearest to `page` (from 0), and how many pages `total`
    entries fill."""
    pages = max(1, -(-total // PAGE))
    return min(max(page, 0), pages - 1), pages


def picker(
    card_id: int,
    lang: Lang,
    shown: Sequence[tuple[str, int, str]],
    page: int,
    pages: int,
) -> tuple[str, Keyboard]:
    """One page of the picker. `shown`: that page's entries, ("cl", cluster index, label)
    or ("it", item index, label), labels already masked."""
    rows: Keyboard = [
        [Button(label, FOLLOW.build(card_id, what, index))] for what, index, label in shown
    ]
    nav = []
    if page > 0:
        nav.append(Button(t(lang, "btn_prev"), FOLLOW.build(card_id, "pg", page - 1)))
    if page < pages - 1:
        nav.append(Button(t(lang, "btn_next"), FOLLOW.build(card_id, "pg", page + 1)))
    if nav:
        rows.append(nav)
    return t(lang, "picker_header", page=page + 1, pages=pages), rows


def item_label(lang: Lang, prefix: str, opinion_id: int, text: str | None) -> str:
    return t.plain(
        lang,
        "btn_item",
        ref=reference_number(prefix, opinion_id),
        label=excerpt(masked(text), LABEL) or "…",
    )


def cluster_label(lang: Lang, count: int, text: str | None) -> str:
    return t.plain(lang, "btn_cluster", count=count, label=excerpt(masked(text), LABEL) or "…")


def actions_keyboard(card_id: int, lang: Lang, *, back: bool) -> Keyboard:
    rows = [
        [
            Button(t(lang, "btn_forwarded"), FOLLOW.build(card_id, "k", "fw")),
            Button(t(lang, "btn_adopted"), FOLLOW.build(card_id, "k", "ad")),
        ],
        [
            Button(t(lang, "btn_answered"), FOLLOW.build(card_id, "k", "an")),
            Button(t(lang, "btn_resolved"), FOLLOW.build(card_id, "k", "rs")),
        ],
    ]
    if back:
        rows.append([Button(t(lang, "btn_back"), FOLLOW.build(card_id, "bk", "0"))])
    return rows


def departments_keyboard(card_id: int, lang: Lang) -> Keyboard:
    buttons = [
        Button(en if lang == "en" else zh, FOLLOW.build(card_id, "dp", i))
        for i, (zh, en) in enumerate(DEPARTMENTS)
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([Button(t(lang, "btn_department_typed"), FOLLOW.build(card_id, "dp", "t"))])
    rows.append([Button(t(lang, "btn_cancel"), FOLLOW.build(card_id, "no", "0"))])
    return rows


def confirm_keyboard(card_id: int, lang: Lang) -> Keyboard:
    return [
        [
            Button(t(lang, "btn_confirm"), FOLLOW.build(card_id, "ok", "0")),
            Button(t(lang, "btn_cancel"), FOLLOW.build(card_id, "no", "0")),
        ]
    ]


def progress_name(progress: str | None, lang: Lang) -> str:
    return t(lang, f"progress_{progress}" if progress else "progress_none")


# --- residents: /my ----------------------------------------------------------------------------


def history_lines(
    lang: Lang, actions: Sequence[ActionRecord], tz: tzinfo, limit: int = HISTORY_LINES
) -> list[str]:
    """An opinion's follow-up as the resident reads it: what happened and when, the
    members' answers quoted, never who (members are "委员")."""
    lines = []
    for action in list(actions)[-limit:]:
        date = local_date(action.at, tz)
        match action.kind:
            case ActionKind.FORWARDED:
                name = department_name(action.department or "", lang)
                lines.append(t(lang, "hist_forwarded", date=date, department=name))
            case ActionKind.ADOPTED:
                lines.append(t(lang, "hist_adopted", date=date))
            case ActionKind.ANSWERED:
                text = excerpt(action.text or "", HISTORY_TEXT)
                lines.append(t(lang, "hist_answered", date=date, text=text))
            case ActionKind.RESOLVED if action.text:
                text = excerpt(action.text, HISTORY_TEXT)
                lines.append(t(lang, "hist_resolved_words", date=date, text=text))
            case ActionKind.RESOLVED:
                lines.append(t(lang, "hist_resolved", date=date))
            case ActionKind.REOPENED:
                lines.append(t(lang, "hist_reopened", date=date))
            case ActionKind.RATED:
                lines.append(t(lang, "hist_rated", date=date, stars=stars(action.rating or 0)))
    return lines
