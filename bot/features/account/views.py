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
from bot.features.followup.views import history_lines, stars
from bot.telegram.labels import category_name, subdistrict_name
from bot.telegram.texts import Html, Lang
from storage.records import ActionRecord, DraftRecord, OpinionRecord, SupportRecord
from storage.statuses import OpinionStatus

#: Matters a resident joined ("我也是") that /my lists; /mydata has them all.
MY_SUPPORTED = 10
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
    supported: Sequence[SupportRecord] = (),
) -> str:
    """/my: newest opinions first, each with its follow-up so far (forwarded, answered,
    resolved, reopened, rated), then the matters they joined ("我也是"), then an open
    draft, worded for each case."""
    tz = deps.settings.tz
    if not opinions and not supported:
        if draft is None:
            return t(lang, "my_empty")
        return t(lang, "my_draft_only", excerpt=draft_excerpt(draft, lang))
    lines = [t(lang, "my_header", total=total)] if opinions else []
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
    if supported:
        joined = [t(lang, "my_supported_header", total=len(supported))]
        for s in supported[:MY_SUPPORTED]:
            joined.append(
                t(
                    lang,
                    "my_supported_line",
                    ref=reference_number(deps.district.reference_prefix, s.opinion_id),
                    where=subdistrict_name(deps.district, s.subdistrict, lang),
                    category=category_name(s.category, lang),
                    status=t(lang, f"status_{s.progress or OpinionStatus.RECEIVED}"),
                    when=local_date(s.since, tz),
                )
            )
        lines.append("\n".join(joined))
    if draft is not None:
        lines.append(t(lang, "my_draft_also", excerpt=draft_excerpt(draft, lang)))
    return "\n\n".join(lines)


def _follow_up_part(lang: Lang, op: OpinionRecord, steps: int) -> Html:
    """After an opinion's line: how many follow-up steps, the resident's rating, how often
    they reopened it (nothing when none of these)."""
    parts = []
    if steps:
        parts.append(t(lang, "mydata_steps", count=steps))
    if op.rating is not None:
        parts.append(t(lang, "mydata_rating", stars=stars(op.rating)))
    if op.reopen_count:
        parts.append(t(lang, "mydata_reopens", count=op.reopen_count))
    return Html("".join(parts))


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
                    followup=_follow_up_part(lang, op, len(held.history.get(op.id, ()))),
                )
            )
        if len(held.opinions) > SUMMARY_LIST:
            lines.append(t(lang, "mydata_more", more=len(held.opinions) - SUMMARY_LIST))
    else:
        lines.append(t(lang, "mydata_no_opinions"))
    if held.supported:
        refs = [
            reference_number(deps.district.reference_prefix, s.opinion_id)
            for s in held.supported[:SUMMARY_LIST]
        ]
        more = "…" if len(held.supported) > SUMMARY_LIST else ""
        lines.append(
            t(lang, "mydata_supported", count=len(held.supported), refs=", ".join(refs) + more)
        )
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
