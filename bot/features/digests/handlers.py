"""/digest (the current period so far, taking nothing) and /op <reference> (one item in
full), for members of the item's sub-district and admins."""

from __future__ import annotations

from telegram import Update

from bot.domain import parse_reference, reference_number
from bot.domain.departments import department_name
from bot.domain.digest import masked
from bot.features.digests.callbacks import follow_up_keyboard
from bot.features.digests.service import DigestService
from bot.features.digests.texts import t
from bot.features.digests.views import age, item_text, short
from bot.features.staff import staff_only
from bot.telegram.context import BotContext
from bot.telegram.labels import category_name, subdistrict_name
from bot.telegram.texts import Html, Lang
from bot.telegram.work import Work
from storage.records import ActionRecord
from storage.repositories import (
    DigestRepository,
    FollowupRepository,
    OpinionRepository,
    ResidentRepository,
)
from storage.statuses import ALL_SUBDISTRICTS, ActionKind, OpinionStatus, Role, VisibilityKind

MAX_PHOTOS = 10
#: Characters of a member's answer or a reopening reason shown in /op's history.
HISTORY_TEXT = 300


def action_line(action: ActionRecord, work: Work, lang: Lang) -> str:
    """One follow-up step as staff read it: when, what, for which sub-district, the
    department and the words (a resident's reopening reason masked, as all their text)."""
    stamp = action.at.astimezone(work.settings.tz).strftime("%Y-%m-%d %H:%M")
    words = short(action.text, HISTORY_TEXT) if action.text else ""
    if action.kind == ActionKind.RATED:
        return t(lang, "op_action_rated", at=stamp, stars="⭐" * (action.rating or 0))
    if action.kind == ActionKind.REOPENED:
        return t(lang, "op_action_reopened", at=stamp, text=masked(words) if words else "—")
    return t(
        lang,
        f"op_action_{action.kind}",
        at=stamp,
        where=subdistrict_name(work.district, action.subdistrict, lang),
        department=department_name(action.department or "—", lang),
        text=words or "—",
    )


async def digest_now(update: Update, ctx: BotContext) -> None:
    staffer = await staff_only(update, ctx)
    if staffer is None:
        return
    await ctx.work.service(DigestService).preview(staffer.member)
    ctx.done("digest_previewed")


async def op(update: Update, ctx: BotContext) -> None:
    """/op YZ-000123: text, photos, location and history of one item, masked."""
    staffer = await staff_only(update, ctx)
    if staffer is None:
        return
    chat_id, member, lang = staffer
    work = ctx.work
    prefix = work.district.reference_prefix
    raw = " ".join(ctx.args or [])
    number = parse_reference(raw, prefix) or (int(raw) if raw.isdigit() and len(raw) < 10 else None)
    if number is None:
        await ctx.say(chat_id, t(lang, "op_usage"), "op_usage")
        return
    ref = reference_number(prefix, number)
    opinion = await work.repo(OpinionRepository).get(number)
    visible = opinion is not None and (
        member.role == Role.ADMIN
        or ALL_SUBDISTRICTS in member.subdistricts
        or (opinion.subdistrict is not None and opinion.subdistrict in member.subdistricts)
    )
    events = await work.repo(DigestRepository).events_for(number) if visible else []
    if opinion is None or not visible or (member.role != Role.ADMIN and not events):
        await ctx.say(chat_id, t(lang, "op_not_found", ref=ref), "op_not_found")
        return
    tz = work.settings.tz
    now = work.now()
    pseudonym = await work.repo(ResidentRepository).pseudonym_of(opinion.resident_id)
    location = (
        t(lang, "op_location", lat=f"{opinion.latitude:.5f}", lon=f"{opinion.longitude:.5f}")
        if opinion.latitude is not None and opinion.longitude is not None
        else ""
    )
    where = subdistrict_name(work.district, opinion.subdistrict, lang)
    lines = [
        t(
            lang,
            "op_card",
            ref=ref,
            status=t(lang, f"status_{opinion.status}"),
            where=where,
            category=category_name(opinion.category, lang),
            created=opinion.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            age=age(now - opinion.created_at, lang),
            pseudonym=pseudonym or t(lang, "pseudonym_erased"),
            photos=len(opinion.photo_file_ids),
            location=Html(location),
            text=masked(item_text(opinion.text, lang)),
        ),
        "",
        t(lang, "op_history_header"),
    ]
    for kind, code, from_code, at in events:
        stamp = at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        name = subdistrict_name(work.district, code, lang)
        if kind == VisibilityKind.MOVED:
            old = subdistrict_name(work.district, from_code, lang)
            lines.append("• " + t(lang, "op_event_moved", at=stamp, from_=old, where=name))
        else:
            lines.append("• " + t(lang, "op_event_visible", at=stamp, where=name))
    for revision in opinion.revisions:
        stamp = revision.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        lines.append("• " + t(lang, "op_revision", at=stamp, text=masked(revision.text)))
    actions = (await work.repo(FollowupRepository).history([number])).get(number, [])
    for action in actions:
        lines.append("• " + action_line(action, work, lang))
    keyboard = None
    if opinion.status == OpinionStatus.RECEIVED:
        # The same follow-up as from a digest: a card for this one item and this member.
        card = await work.repo(FollowupRepository).add_card(
            member.telegram_id, [number], {"kind": "item"}, now
        )
        keyboard = follow_up_keyboard(card.id, lang, one=True)
    await ctx.out.text(chat_id, "\n".join(lines), keyboard)
    photos = opinion.photo_file_ids[:MAX_PHOTOS]
    for n, file_id in enumerate(photos, start=1):
        caption = t(lang, "op_photo_caption", ref=ref, n=n, total=len(photos))
        await ctx.out.photo_by_id(chat_id, file_id, caption)
    voices = opinion.voice_file_ids[:MAX_PHOTOS]
    for n, file_id in enumerate(voices, start=1):
        caption = t(lang, "op_voice_caption", ref=ref, n=n, total=len(voices))
        await ctx.out.voice_by_id(chat_id, file_id, caption)
    ctx.done("op_shown")
