"""A resident writes: text, photo, location, edits, and the two confirmation buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, Update

from bot.domain import reference_number
from bot.features.consent import require_consent
from bot.features.intake import callbacks
from bot.features.intake.service import (
    Ask,
    EditedOpinion,
    EditUnrelated,
    IntakeService,
    Outcome,
    RateLimited,
    Rejected,
    Stale,
    Submitted,
)
from bot.features.intake.texts import t
from bot.features.intake.views import receipt, render_ask
from bot.telegram.callbacks import CallbackData, Pressed
from bot.telegram.context import BotContext, Who
from bot.telegram.labels import category_name, subdistrict_name
from bot.telegram.texts import Html, Lang
from storage.records import ResidentRecord


async def reply_outcome(
    update: Update, ctx: BotContext, outcome: Outcome, lang: Lang, *, edit_message_id: int = 0
) -> None:
    """Turn a service outcome into messages; one place so every path answers alike."""
    chat_id = ctx.chat_id(update)
    if chat_id is None:
        return
    out, deps = ctx.out, ctx.work.deps
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
        case Submitted(opinion=opinion, review=review):
            ref = reference_number(deps.district.reference_prefix, opinion.id)
            if edit_message_id:
                await out.edit(chat_id, edit_message_id, _chosen_line(opinion.category, lang))
            text = receipt(ref, opinion.subdistrict, opinion.category, lang, deps)
            if review is not None and review.waiting:
                text += "\n\n" + t(lang, "receipt_under_review")
            await out.text(chat_id, text)
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
    resident = await require_consent(update, ctx)
    if resident is None:
        return
    outcome = await ctx.work.service(IntakeService).add_text(
        resident, message.message_id, message.text or ""
    )
    await reply_outcome(update, ctx, outcome, ctx.lang(update, resident))


async def photo_message(update: Update, ctx: BotContext) -> None:
    """A photo, with or without a caption."""
    message = update.effective_message
    if message is None or not message.photo:
        return
    resident = await require_consent(update, ctx)
    if resident is None:
        return
    largest = message.photo[-1]
    outcome = await ctx.work.service(IntakeService).add_photo(
        resident, message.message_id, largest.file_id, message.caption
    )
    await reply_outcome(update, ctx, outcome, ctx.lang(update, resident))


async def location_message(update: Update, ctx: BotContext) -> None:
    """A location pin (or a venue), alone or after text."""
    message = update.effective_message
    if message is None or message.location is None:
        return
    resident = await require_consent(update, ctx)
    if resident is None:
        return
    loc = message.location
    outcome = await ctx.work.service(IntakeService).add_location(
        resident, loc.latitude, loc.longitude
    )
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
    outcome = await ctx.work.service(IntakeService).edit(resident, message.message_id, raw)
    await reply_outcome(update, ctx, outcome, ctx.lang(update, resident))


async def _pressed(
    update: Update,
    ctx: BotContext,
    kind: CallbackData,
    choose: Callable[[IntakeService, ResidentRecord, Pressed], Awaitable[Outcome]],
) -> tuple[Who, CallbackQuery, Outcome] | None:
    """A confirmation button: parse, re-check the presser through the service, answer.

    None when it was stale (already answered politely) or not a button press.
    """
    query = update.callback_query
    who = await ctx.who(update)
    if query is None or who is None:
        return None
    pressed = kind.parse(query.data)
    outcome = (
        await choose(ctx.work.service(IntakeService), who.resident, pressed)
        if pressed is not None and who.resident is not None
        else Stale()
    )
    if isinstance(outcome, Stale):
        await ctx.stale_press(update)
        return None
    await ctx.out.answer(who.chat_id, query.id)
    return who, query, outcome


async def subdistrict_pressed(update: Update, ctx: BotContext) -> None:
    """sd:<draft>:<index|u>: the resident confirms or corrects the sub-district."""
    pressed = await _pressed(
        update,
        ctx,
        callbacks.SUBDISTRICT,
        lambda intake, resident, p: intake.choose_subdistrict(
            resident, p.id("draft"), p.word("choice")
        ),
    )
    if pressed is None:
        return
    who, query, outcome = pressed
    if isinstance(outcome, Ask) and query.message is not None:
        chosen = subdistrict_name(ctx.work.district, outcome.draft.subdistrict, who.lang)
        line = "✅ " + t(who.lang, "chosen_subdistrict", subdistrict=chosen)
        await ctx.out.edit(who.chat_id, query.message.message_id, line)
    await reply_outcome(update, ctx, outcome, who.lang)


async def category_pressed(update: Update, ctx: BotContext) -> None:
    """cat:<draft>:<key>: the topic is confirmed and the opinion is submitted."""
    pressed = await _pressed(
        update,
        ctx,
        callbacks.CATEGORY,
        lambda intake, resident, p: intake.choose_category(resident, p.id("draft"), p.word("key")),
    )
    if pressed is None:
        return
    who, query, outcome = pressed
    message_id = query.message.message_id if query.message is not None else 0
    await reply_outcome(update, ctx, outcome, who.lang, edit_message_id=message_id)


async def cancel(update: Update, ctx: BotContext) -> None:
    """/cancel: drop the draft in progress."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    dropped = resident is not None and await ctx.work.service(IntakeService).cancel(resident)
    await ctx.say(
        chat_id,
        t(lang, "cancelled" if dropped else "nothing_to_cancel"),
        "draft_cancelled" if dropped else "nothing_to_cancel",
    )


async def resume_on_start(update: Update, ctx: BotContext) -> None:
    """After consent's welcome back on /start: the question an open draft waits on."""
    resident = await ctx.resident(update)
    chat_id = ctx.chat_id(update)
    if resident is None or chat_id is None:
        return
    ask = await ctx.work.service(IntakeService).current(resident)
    if ask is not None:
        html, keyboard = render_ask(ask, ctx.lang(update, resident), ctx.work.deps)
        await ctx.out.text(chat_id, html, keyboard)
