"""A resident's own data as they read it: /my and the /mydata summary. Dates are local
(settings.tz), as everywhere people read them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo

from bot.deps import Deps
from bot.domain import reference_number
from bot.features.account.service import Holdings
from bot.features.account.texts import t
from bot.features.consent.service import DRAFT_DAYS
from bot.features.followup.views import history_lines
from bot.telegram.labels import category_name, subdistrict_name
from bot.telegram.texts import Lang
from storage.records import ActionRecord, DraftRecord, OpinionRecord
from storage.statuses import OpinionStatus

#: Characters of an opinion /my quotes.
EXCERPT = 40
#: Opinions the /mydata summary lists one by one; the file has them all.
SUMMARY_LIST = 30


def excerpt(text: str | None) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def local_date(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d")


def local_minute(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def draft_excerpt(draft: DraftRecord, lang: Lang) -> str:
    """The draft's words, or what it holds instead (a photo, a voice message, a pin)."""
    if draft.text.strip():
        return excerpt(draft.text)
    if draft.photo_file_ids:
        return t(lang, "draft_photo")
    if draft.voice_file_ids:
        return t(lang, "draft_voice")
    return t(lang, "draft_location")


def status_name(op: OpinionRecord, lang: Lang) -> str:
    """Where an opinion stands for its author: its follow-up once a member acted on a
    visible one, else its review state."""
    if op.status == OpinionStatus.RECEIVED and op.progress:
        return t(lang, f"status_{op.progress}")
    return t(lang, f"status_{op.status}")


def my_listing(
    lang: Lang,
    deps: Deps,
    opinions: list[OpinionRecord],
    total: int,
    draft: DraftRecord | None,
    history: Mapping[int, Sequence[ActionRecord]] | None = None,
) -> str:
    """/my: newest opinions first, each with its follow-up so far (forwarded, answered,
    resolved, reopened, rated), then an open draft, worded for each case."""
    if not opinions:
        if draft is None:
            return t(lang, "my_empty")
        return t(lang, "my_draft_only", excerpt=draft_excerpt(draft, lang))
    tz = deps.settings.tz
    lines = [t(lang, "my_header", total=total)]
    for op in opinions:
        text = op.revisions[-1].text if op.revisions else op.text
        lines.append(
            t(
                lang,
                "my_line",
                ref=reference_number(deps.district.reference_prefix, op.id),
                where=subdistrict_name(deps.district, op.subdistrict, lang),
                category=category_name(op.category, lang),
                status=status_name(op, lang),
                when=local_date(op.created_at, tz),
                excerpt=excerpt(text),
            )
            + "".join(
                "\n　· " + line for line in history_lines(lang, (history or {}).get(op.id, ()), tz)
            )
        )
    if total > len(opinions):
        lines.append(t(lang, "my_more", shown=len(opinions)))
    if draft is not None:
        lines.append(t(lang, "my_draft_also", excerpt=draft_excerpt(draft, lang)))
    return "\n\n".join(lines)


def data_summary(lang: Lang, deps: Deps, held: Holdings, now: datetime) -> str:
    """/mydata's message: what is held, counted and listed; the JSON file has it in full."""
    settings, tz = deps.settings, deps.settings.tz
    resident = held.resident
    lines = [
        t(lang, "mydata_header", now=local_minute(now, tz)),
        t(
            lang,
            "mydata_account",
            telegram_id=resident.telegram_id,
            pseudonym=resident.pseudonym,
            consented=local_minute(resident.consented_at, tz),
            version=resident.consent_version,
            language=t(lang, "lang_en" if resident.lang == "en" else "lang_zh"),
        ),
    ]
    if held.opinions:
        lines.append(t(lang, "mydata_opinions", count=len(held.opinions)))
        for op in held.opinions[:SUMMARY_LIST]:
            lines.append(
                t(
                    lang,
                    "mydata_opinion_line",
                    ref=reference_number(deps.district.reference_prefix, op.id),
                    status=status_name(op, lang),
                    when=local_date(op.created_at, tz),
                    where=subdistrict_name(deps.district, op.subdistrict, lang),
                )
            )
        if len(held.opinions) > SUMMARY_LIST:
            lines.append(t(lang, "mydata_more", more=len(held.opinions) - SUMMARY_LIST))
    else:
        lines.append(t(lang, "mydata_no_opinions"))
    if held.draft is not None:
        lines.append(
            t(lang, "mydata_draft", excerpt=draft_excerpt(held.draft, lang), days=DRAFT_DAYS)
        )
    else:
        lines.append(t(lang, "mydata_no_draft"))
    expiry = held.oldest_expiry(settings.retention_days)
    if expiry is not None:
        lines.append(
            t(
                lang,
                "mydata_retention",
                days=settings.retention_days,
                date=local_date(expiry, tz),
            )
        )
    else:
        lines.append(t(lang, "mydata_retention_none", days=settings.retention_days))
    return "\n".join(lines) + "\n\n" + t(lang, "mydata_footer")
