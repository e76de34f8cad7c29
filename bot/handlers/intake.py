"""A resident writes: text, photo, location, edits, and the two confirmation buttons."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, Update

from bot.context import BotContext, Who
from bot.domain import reference_number
from bot.handlers.consent import send_notice
from bot.handlers.prompts import category_name, receipt, render_ask, subdistrict_name
from bot.services.intake import (
    Ask,
    EditedOpinion,
    EditUnrelated,
    Outcome,
    RateLimited,
    Rejected,
    Stale,
    Submitted,
)
from bot.texts import Html, Lang, t
from storage.records import ResidentRecord

_SD_DATA = re.compile(r"^sd:(\d{1,12}):(\d{1,2}|u)$")
_CAT_DATA = re.compile(r"^cat:(\d{1,12}):([a-z_]{1,40})$")


async def _consented(update: Update, ctx: BotContext) -> ResidentRecord | None:
    """The resident, or None after showing the notice (the message itself is not kept)."""
    resident = await ctx.resident(update)
    if resident is None:
        lang = ctx.lang(update, None)
        await send_notice(update, ctx, lang, first=t(lang, "consent_needed"))
        ctx.done("needs_consent")
    return resident


async def reply_outcome(
    update: Update, ctx: BotContext, outcome: Outcome, lang: Lang, *, edit_message_id: int = 0
) -> None:
    """Turn a service outcome into messages; one place so every path answers alike."""
    chat_id = ctx.chat_id(update)
    if chat_id is None:
        return
    out, deps = ctx.scope.out, ctx.scope.deps
    match outcome:
        case Ask():
            html, keyboard = render_ask(outcome, lang, deps)
            await out.text(chat_id, html, keyboard)
            ctx.done(f"ask_{outcome.stage}")
        case Rejected(reason="too_long", length=length, limit=limit):
            await out.text(chat_id, t(lang, "text_too_long", length=length, limit=limit))
            ctx.done("rejected_too_long")
        case Rejected(reason="append_too_long", limit=limit):
            await out.text(chat_id, t(lang, "append_too_long", limit=limit))
            ctx.done("rejected_append_too_long")
        case Rejected(reason=reason):
            key = {"empty": "text_empty", "no_words": "text_no_words"}.get(reason, "text_too_short")
            await out.text(chat_id, t(lang, key))
            ctx.done(f"rejected_{reason}")
        case RateLimited(count=count, until=until):
            when = until.astimezone(deps.settings.tz).strftime("%H:%M")
            await out.text(chat_id, t(lang, "rate_limited", count=count, when=when))
            ctx.done("rate_limited")
        case Submitted(opinion=opinion):
            ref = reference_number(deps.district.reference_prefix, opinion.id)
            if edit_message_id:
                await out.edit(chat_id, edit_message_id, _chosen_line(opinion.category, lang))
            await out.text(chat_id, receipt(ref, opinion.subdistrict, opinion.category, lang, deps))
            ctx.done("opinion_created")
        case EditedOpinion(opinion=opinion):
            ref = reference_number(deps.district.reference_prefix, opinion.id)
            await out.text(chat_id, t(lang, "edited_opinion", ref=Html(ref)))
            ctx.done("opinion_revised")
        case EditUnrelated():
            await out.text(chat_id, t(lang, "edited_unknown"))
            ctx.done("edit_unrelated")
        case Stale():
            await out.text(chat_id, t(lang, "stale_button"))
            ctx.done("stale_button")


def _chosen_line(category_key: str, lang: Lang) -> str:
    return "✅ " + category_name(category_key, lang)


async def text_message(update: Update, ctx: BotContext) -> None:
    """Any plain text in a private chat: the start of, or an addition to, an opinion."""
    message = update.effective_message
    if message is None:
        return
    resident = await _consented(update, ctx)
    if resident is None:
        return
    outcome = await ctx.intake.add_text(resident, message.message_id, message.text or "")
    await reply_outcome(update, ctx, outcome, ctx.lang(update, resident))


async def photo_message(update: Update, ctx: BotContext) -> None:
    """A photo, with or without a caption."""
    message = update.effective_message
    if message is None or not message.photo:
        return
    resident = await _consented(update, ctx)
    if resident is None:
        return
    largest = message.photo[-1]
    outcome = await ctx.intake.add_photo(
        resident, message.message_id, largest.file_id, message.caption
    )
    await reply_outcome(update, ctx, outcome, ctx.lang(update, resident))


async def location_message(update: Update, ctx: BotContext) -> None:
    """A location pin (or a venue), alone or after text."""
    message = update.effective_message
    if message is None or message.location is None:
        return
    resident = await _consented(update, ctx)
    if resident is None:
        return
    loc = message.location
    outcome = await ctx.intake.add_location(resident, loc.latitude, loc.longitude)
    await reply_outcome(update, ctx, outcome, ctx.lang(update, resident))


async def edited_message(update: Update, ctx: BotContext) -> None:
    """An edit never makes a second opinion: it updates the draft or becomes a revision."""
    message = update.edited_message
    if message is None:
        return
    resident = await ctx.resident(update)
    if resident is None:
        ctx.done("edit_before_consent")
        return
    raw = message.text if message.text is not None else message.caption
    if raw is None or (message.text or "").startswith("/"):
        ctx.done("edit_ignored")
        return
    outcome = await ctx.intake.edit(resident, message.message_id, raw)
    await reply_outcome(update, ctx, outcome, ctx.lang(update, resident))


async def _pressed(
    update: Update,
    ctx: BotContext,
    pattern: re.Pattern[str],
    choose: Callable[[ResidentRecord, int, str], Awaitable[Outcome]],
) -> tuple[Who, CallbackQuery, Outcome] | None:
    """A confirmation button: parse, re-check the presser through the service, answer.

    None when it was stale (already answered politely) or not a button press.
    """
    query = update.callback_query
    who = await ctx.who(update)
    if query is None or who is None:
        return None
    match = pattern.match(query.data or "")
    outcome = (
        await choose(who.resident, int(match[1]), match[2])
        if match is not None and who.resident is not None
        else Stale()
    )
    if isinstance(outcome, Stale):
        await stale(update, ctx)
        return None
    await ctx.scope.out.answer(who.chat_id, query.id)
    return who, query, outcome


async def subdistrict_pressed(update: Update, ctx: BotContext) -> None:
    """sd:<draft>:<index|u>: the resident confirms or corrects the sub-district."""
    pressed = await _pressed(update, ctx, _SD_DATA, ctx.intake.choose_subdistrict)
    if pressed is None:
        return
    who, query, outcome = pressed
    if isinstance(outcome, Ask) and query.message is not None:
        chosen = subdistrict_name(ctx.scope.deps.district, outcome.draft.subdistrict, who.lang)
        line = "✅ " + t(who.lang, "chosen_subdistrict", subdistrict=chosen)
        await ctx.scope.out.edit(who.chat_id, query.message.message_id, line)
    await reply_outcome(update, ctx, outcome, who.lang)


async def category_pressed(update: Update, ctx: BotContext) -> None:
    """cat:<draft>:<key>: the topic is confirmed and the opinion is submitted."""
    pressed = await _pressed(update, ctx, _CAT_DATA, ctx.intake.choose_category)
    if pressed is None:
        return
    who, query, outcome = pressed
    message_id = query.message.message_id if query.message is not None else 0
    await reply_outcome(update, ctx, outcome, who.lang, edit_message_id=message_id)


async def stale(update: Update, ctx: BotContext) -> None:
    """Any button we cannot honour: forged, expired, someone else's. Answer politely."""
    query = update.callback_query
    who = await ctx.who(update)
    if query is None or who is None:
        return
    key = "stale_button" if who.resident is not None else "not_consented_button"
    await ctx.scope.out.answer(who.chat_id, query.id, t(who.lang, key), alert=True)
    ctx.done("stale_button")
