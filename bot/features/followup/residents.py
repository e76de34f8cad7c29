"""The residents' side of the follow-up: the stars and the reopen button under "resolved"
(the author only, checked at press); reopening waits for the reason, typed (taken before
intake could make it an opinion), and /cancel leaves it closed."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.domain import reference_number
from bot.features.followup.callbacks import RATE, REOPEN
from bot.features.followup.service import TEXT_LIMIT, FollowupService, ReopenOutcome, check_text
from bot.features.followup.texts import t
from bot.features.followup.views import stars
from bot.telegram.context import BotContext
from bot.telegram.texts import Lang, as_lang


async def rate_pressed(update: Update, ctx: BotContext) -> None:
    """A star under "resolved" (or under the reminder): the author's rating, the latest
    counting."""
    pressed = await ctx.press(update, RATE)
    if pressed is None:
        return
    query, chat_id, fields = pressed
    resident = await ctx.resident(update)
    if resident is None:
        await ctx.stale_press(update)
        return
    lang = as_lang(resident.lang)
    n = int(fields.word("stars"))
    outcome, ref = await ctx.work.service(FollowupService).rate(resident, fields.id("op"), n)
    if outcome == "not_yours":
        await ctx.out.answer(chat_id, query.id, t(lang, "not_your_opinion"), alert=True)
        ctx.done("followup_refused")
        return
    if outcome == "not_resolved":
        await ctx.out.answer(chat_id, query.id)
        await ctx.say(chat_id, t(lang, "rate_not_now", ref=ref), "followup_rate_not_now")
        return
    key = "rated_again" if outcome == "changed" else "rated"
    await ctx.out.answer(chat_id, query.id, stars(n))
    await ctx.say(chat_id, t(lang, key, ref=ref, stars=stars(n)), f"followup_{outcome}")


def _refusal(ctx: BotContext, lang: Lang, outcome: ReopenOutcome, ref: str) -> str:
    """Why it was not reopened: the window is over (with the office's phone), or it is not
    resolved (any more)."""
    if outcome == "window_over":
        settings = ctx.work.settings
        return t(
            lang,
            "reopen_window_over",
            ref=ref,
            days=settings.reopen_days,
            phone=settings.office_phone,
        )
    return t(lang, "reopen_not_resolved", ref=ref)


async def reopen_pressed(update: Update, ctx: BotContext) -> None:
    """重新打开: within REOPEN_DAYS, ask for the reason; after, a friendly refusal with the
    office's phone."""
    pressed = await ctx.press(update, REOPEN)
    if pressed is None:
        return
    query, chat_id, fields = pressed
    resident = await ctx.resident(update)
    if resident is None:
        await ctx.stale_press(update)
        return
    lang = as_lang(resident.lang)
    outcome, ref = await ctx.work.service(FollowupService).ask_reopen(resident, fields.id("op"))
    if outcome == "not_yours":
        await ctx.out.answer(chat_id, query.id, t(lang, "not_your_opinion"), alert=True)
        ctx.done("followup_refused")
        return
    await ctx.out.answer(chat_id, query.id)
    if outcome == "asked":
        text = t(lang, "reopen_ask", ref=ref)
    else:
        text = _refusal(ctx, lang, outcome, ref)
    await ctx.say(chat_id, text, f"followup_reopen_{outcome}")


async def reason_typed(update: Update, ctx: BotContext) -> None:
    """The resident's words after 重新打开 are the reason (not a new opinion). Anyone else's
    words go on untouched."""
    message = update.effective_message
    resident = await ctx.resident(update)
    if message is None or message.text is None or resident is None or resident.ban == "hard":
        return
    service = ctx.work.service(FollowupService)
    card = await service.waiting_reason(resident)
    if card is None:
        return
    lang = as_lang(resident.lang)
    chat_id = message.chat_id
    reason = check_text(message.text, TEXT_LIMIT)
    if reason is None:
        await ctx.say(chat_id, t(lang, "reason_empty"), "followup_reason_empty")
    elif isinstance(reason, int):
        too_long = t(lang, "reason_too_long", length=reason, limit=TEXT_LIMIT)
        await ctx.say(chat_id, too_long, "followup_reason_too_long")
    else:
        outcome, ref = await service.reopen(resident, card, reason)
        if outcome == "reopened":
            text = t(lang, "reopened", ref=ref)
        else:
            text = _refusal(ctx, lang, outcome, ref)
        await ctx.say(chat_id, text, f"followup_{outcome}")
    raise ApplicationHandlerStop


async def cancel_reason(update: Update, ctx: BotContext) -> None:
    """/cancel while a reopen waits for its reason: it stays closed. Otherwise /cancel goes
    on to the other features."""
    resident = await ctx.resident(update)
    chat_id = ctx.chat_id(update)
    if resident is None or chat_id is None or resident.ban == "hard":
        return
    service = ctx.work.service(FollowupService)
    card = await service.waiting_reason(resident)
    if card is None:
        return
    await service.cancel_reopen(resident)
    ref = reference_number(ctx.work.district.reference_prefix, card.opinion_ids[0])
    await ctx.say(chat_id, t(as_lang(resident.lang), "reopen_cancelled", ref=ref), "reopen_cancel")
    raise ApplicationHandlerStop
