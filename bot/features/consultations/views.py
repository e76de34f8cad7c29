"""What consultations look like: /consult's questions and preview, the invitation, the
summary (text and chart), the outcome note, the admins' list. HTML; user text escaped by
the catalogue."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.domain import District
from bot.domain.consultation import DEADLINE_DAYS, Summary, shorten
from bot.features.consultations import callbacks as cb
from bot.features.consultations.service import DEADLINE, DESCRIPTION, PREVIEW, SUBDISTRICTS
from bot.features.consultations.texts import t
from bot.reports.chart import counts_chart_png
from bot.telegram.keyboards import Button, Keyboard, pairs
from bot.telegram.labels import category_name, subdistrict_label, subdistrict_name
from bot.telegram.texts import Html, Lang
from storage.records import ConsultationRecord

#: How much of the description an invitation quotes (the whole is in the preview).
INVITATION_DESCRIPTION = 600
GROUPS_SHOWN = 8


def when(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "—"


def places(district: District, codes: tuple[str, ...], lang: Lang) -> str:
    if codes and len(codes) == len(district.subdistricts):
        return t(lang, "all_subdistricts")
    return "、".join(subdistrict_name(district, c, lang) for c in codes) or "—"


def _cancel(c: ConsultationRecord, lang: Lang) -> list[Button]:
    return [Button(t(lang, "btn_cancel"), cb.DRAFT.build(c.id, "no", "x"))]


def step_view(
    c: ConsultationRecord, lang: Lang, district: District, tz: tzinfo
) -> tuple[str, Keyboard | None]:
    """The question /consult asks next for draft `c`."""
    step = c.step
    if step == SUBDISTRICTS:
        buttons = [
            Button(
                ("✅ " if sub.code in c.subdistricts else "") + subdistrict_label(sub, lang),
                cb.DRAFT.build(c.id, "sd", i),
            )
            for i, sub in enumerate(district.subdistricts)
        ]
        rows = pairs(buttons)
        every = len(c.subdistricts) == len(district.subdistricts)
        rows.append(
            [
                Button(
                    ("✅ " if every else "") + t(lang, "btn_all"), cb.DRAFT.build(c.id, "sd", "all")
                ),
                Button(t(lang, "btn_done"), cb.DRAFT.build(c.id, "sd", "done")),
            ]
        )
        rows.append(_cancel(c, lang))
        return t(lang, "ask_subdistricts", title=c.title or ""), rows
    if step == DESCRIPTION:
        return t(lang, "ask_description", title=c.title or ""), [_cancel(c, lang)]
    if step == DEADLINE:
        days = [
            Button(t(lang, "btn_days", n=n), cb.DRAFT.build(c.id, "dl", n)) for n in DEADLINE_DAYS
        ]
        return t(lang, "ask_deadline", tz=str(tz)), [days[:2], days[2:], _cancel(c, lang)]
    if step == PREVIEW:
        body = t(lang, "preview", card=Html(card(c, lang, district, tz)))
        return body, [
            [Button(t(lang, "btn_publish"), cb.DRAFT.build(c.id, "pub", "x"))],
            _cancel(c, lang),
        ]
    return t(lang, "ask_title"), None


def card(c: ConsultationRecord, lang: Lang, district: District, tz: tzinfo) -> str:
    return t(
        lang,
        "card",
        title=c.title or "",
        description=c.description or "",
        places=places(district, c.subdistricts, lang),
        deadline=when(c.deadline, tz),
    )


def invitation(
    c: ConsultationRecord, lang: Lang, district: District, tz: tzinfo
) -> tuple[str, Keyboard]:
    text = t(
        lang,
        "invitation",
        title=c.title or "",
        description=shorten(c.description or "", INVITATION_DESCRIPTION),
        places=places(district, c.subdistricts, lang),
        deadline=when(c.deadline, tz),
    )
    keyboard: Keyboard = [
        [Button(t(lang, "btn_take_part"), cb.INVITATION.build(c.id, "join"))],
        [Button(t(lang, "btn_not_interested"), cb.INVITATION.build(c.id, "no"))],
    ]
    return text, keyboard


def outcome_note(c: ConsultationRecord, lang: Lang) -> str:
    return t(lang, "outcome_note", title=c.title or "", outcome=c.outcome or "")


def summary_text(
    c: ConsultationRecord,
    summary: Summary,
    lang: Lang,
    district: District,
    tz: tzinfo,
    *,
    admin: bool,
    waiting: int = 0,
) -> str:
    """Counts, clusters (of two or more opinions: one alone is not "similar") and
    highlights; every text from residents masked already. Opinions still waiting for
    review are said to be missing, so an empty-looking summary is not taken as silence."""
    lines = [
        t(
            lang,
            "summary_head",
            title=c.title or "",
            places=places(district, c.subdistricts, lang),
            opened=when(c.opened_at, tz),
            closed=when(c.closed_at, tz),
            n=summary.contributions,
            residents=summary.residents,
        )
    ]
    if not summary.contributions and not waiting:
        lines.append(t(lang, "summary_empty"))
    else:
        subs = " · ".join(
            f"{subdistrict_name(district, code, lang)} {n}" for code, n in summary.by_subdistrict
        )
        cats = " · ".join(f"{category_name(k, lang)} {n}" for k, n in summary.by_category)
        lines.append(t(lang, "summary_counts", subdistricts=subs, categories=cats))
        groups = [
            t(
                lang,
                "summary_group",
                n=i,
                label=g.label,
                count=len(g.opinion_ids),
                residents=g.residents,
            )
            for i, g in enumerate(
                [g for g in summary.groups if len(g.opinion_ids) > 1][:GROUPS_SHOWN], 1
            )
        ]
        if groups:
            lines.append(t(lang, "summary_groups", groups=Html("\n".join(groups))))
        else:
            lines.append(t(lang, "summary_no_groups"))
        quotes = [t(lang, "summary_quote", text=h) for h in summary.highlights]
        lines.append(t(lang, "summary_highlights", quotes=Html("\n".join(quotes))))
    if waiting:
        lines.append(t(lang, "summary_waiting_admin" if admin else "summary_waiting", n=waiting))
    if admin:
        lines.append(t(lang, "summary_outcome_hint", id=c.id))
    return "\n\n".join(lines)


def summary_chart(
    c: ConsultationRecord, summary: Summary, lang: Lang, district: District
) -> tuple[bytes, str]:
    """The chart (PNG) and its caption: contributions by sub-district and by topic."""
    title = t.plain(lang, "chart_title", title=shorten(c.title or "", 40))
    png = counts_chart_png(
        title,
        [(subdistrict_name(district, code, lang), n) for code, n in summary.by_subdistrict],
        [(category_name(k, lang), n) for k, n in summary.by_category],
        headings=(t(lang, "chart_by_subdistrict"), t(lang, "chart_by_category")),
        empty=t(lang, "chart_empty"),
    )
    caption = t(lang, "chart_caption", title=shorten(c.title or "", 200))
    return png, caption


def listing(
    rows: list[tuple[ConsultationRecord, int, int]], lang: Lang, district: District, tz: tzinfo
) -> str:
    if not rows:
        return t(lang, "list_empty")
    lines = [
        t(
            lang,
            "list_line",
            id=c.id,
            title=shorten(c.title or "", 40),
            status=t(lang, f"status_{c.status}"),
            places=places(district, c.subdistricts, lang),
            deadline=when(c.deadline, tz),
            n=n,
            residents=people,
        )
        for c, n, people in rows
    ]
    return t(lang, "list_head") + "\n\n" + "\n\n".join(lines)


def outcome_picker(closed: list[ConsultationRecord], lang: Lang) -> Keyboard:
    return [
        [Button(f"#{c.id} {shorten(c.title or '', 24)}", cb.OUTCOME.build(c.id))] for c in closed
    ]
