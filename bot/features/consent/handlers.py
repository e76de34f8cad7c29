"""Welcome, privacy notice, consent, 不同意, help and language."""

from __future__ import annotations

from telegram import Update

from bot.features.consent.callbacks import AGREE, DECLINE, FULL, LANGUAGE
from bot.features.consent.pacing import NoticePacer
from bot.features.consent.service import ConsentService
from bot.features.consent.texts import t
from bot.features.consent.views import (
    declined,
    full_notice,
    help_text,
    language_keyboard,
    notice_keyboard,
    short_notice,
)
from bot.telegram.callbacks import CallbackData
from bot.telegram.context import BotContext
from bot.telegram.texts import Lang
from storage.records import ResidentRecord


def pacer(ctx: BotContext) -> NoticePacer:
    """The application's pacer of unasked notices (made on first use; register() makes it)."""
    found = ctx.bot_data.get(NoticePacer)
    if not isinstance(found, NoticePacer):
        found = ctx.bot_data[NoticePacer] = NoticePacer()
    return found


def _lang_of(pressed_lang: str) -> Lang:
    return "en" if pressed_lang == "en" else "zh"


async def send_notice(update: Update, ctx: BotContext, lang: Lang, *, first: str = "") -> None:
    """The short notice with its buttons (`first` above it)."""
    chat_id = ctx.chat_id(update)
    if chat_id is None:
        return
    text = short_notice(ctx.work.settings, lang)
    await ctx.out.text(chat_id, f"{first}\n\n{text}" if first else text, notice_keyboard(lang))
    if update.effective_user is not None:
        pacer(ctx).shown(update.effective_user.id, ctx.work.now())


async def require_consent(update: Update, ctx: BotContext) -> ResidentRecord | None:
    """The resident, or None after telling them to agree first (the message is not kept).

    The notice screen comes at most once per pacing period (NOTICE_EVERY); in between, a
    one-line reminder with the same buttons.
    """
    resident = await ctx.resident(update)
    if resident is not None:
        return resident
    chat_id, user = ctx.chat_id(update), update.effective_user
    if chat_id is None or user is None:
        return None
    lang = ctx.lang(update, None)
    if pacer(ctx).due(user.id, ctx.work.now()):
        await send_notice(update, ctx, lang, first=t(lang, "consent_needed"))
    else:
        await ctx.out.text(chat_id, t(lang, "consent_reminder"), notice_keyboard(lang))
    ctx.done("needs_consent")
    return None


async def start(update: Update, ctx: BotContext) -> None:
    """/start: the short notice for newcomers; a welcome back for residents (intake then
    shows the question an open draft waits on)."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    if resident is None:
        await send_notice(update, ctx, lang)
        ctx.done("notice_shown")
        return
    await ctx.say(chat_id, t(lang, "welcome_back"), "welcome_back")


async def privacy(update: Update, ctx: BotContext) -> None:
    """/privacy: the full notice; with the buttons only for those who have not agreed."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    settings = ctx.work.settings
    if resident is None:
        await ctx.out.text(chat_id, full_notice(settings, lang), notice_keyboard(lang, full=True))
    else:
        # Invitations to consultations are a choice of theirs too: say where to change it.
        key = "privacy_invitations_on" if resident.consult_opt_in else "privacy_invitations_off"
        notice = full_notice(settings, lang, with_welcome=False)
        await ctx.out.text(chat_id, f"{notice}\n\n{t(lang, key)}")
    ctx.done("privacy_shown")


async def consent_pressed(update: Update, ctx: BotContext) -> None:
    """同意: the first moment anything about the person is stored."""
    press = await ctx.press(update, AGREE)
    if press is None:
        return
    query, chat_id, pressed = press
    lang = _lang_of(pressed.word("lang"))
    created = await ctx.work.service(ConsentService).consent(query.from_user.id, lang)
    pacer(ctx).forget(query.from_user.id)
    if created is None:
        await ctx.out.answer(chat_id, query.id, t(lang, "consent_already"))
        ctx.done("consent_repeated")
        return
    await ctx.out.answer(chat_id, query.id)
    if query.message is not None:
        agreed = f"{short_notice(ctx.work.settings, lang)}\n\n{t(lang, 'agreed_mark')}"
        await ctx.out.edit(chat_id, query.message.message_id, agreed)
    await ctx.say(chat_id, t(lang, "consent_thanks"), "consented")


async def _show(update: Update, ctx: BotContext, kind: CallbackData, *, full: bool) -> None:
    """The short (LANGUAGE) or full (FULL) notice in place of the pressed one. Residents
    who already agreed: LANGUAGE switches their language, FULL shows the notice alone."""
    press = await ctx.press(update, kind)
    if press is None:
        return
    query, chat_id, pressed = press
    lang = _lang_of(pressed.word("lang"))
    await ctx.out.answer(chat_id, query.id)
    resident = await ctx.resident(update)
    if resident is not None and not full:
        await ctx.work.service(ConsentService).set_language(resident, lang)
    settings = ctx.work.settings
    if query.message is not None:
        message_id = query.message.message_id
        if resident is None:
            text = full_notice(settings, lang) if full else short_notice(settings, lang)
            await ctx.out.edit(chat_id, message_id, text, notice_keyboard(lang, full=full))
        elif full:
            await ctx.out.edit(chat_id, message_id, full_notice(settings, lang))
        else:
            await ctx.out.edit(chat_id, message_id, t(lang, "lang_set"))
    ctx.done("full_notice_shown" if full else "language_switched")


async def language_pressed(update: Update, ctx: BotContext) -> None:
    """The short notice in the other language before consent (nothing stored), else the
    resident's language setting."""
    await _show(update, ctx, LANGUAGE, full=False)


async def full_pressed(update: Update, ctx: BotContext) -> None:
    """📄 完整说明: the full notice in place, with the same choices."""
    await _show(update, ctx, FULL, full=True)


async def decline_pressed(update: Update, ctx: BotContext) -> None:
    """不同意: nothing is stored; say what that means and how to reach a person instead."""
    press = await ctx.press(update, DECLINE)
    if press is None:
        return
    query, chat_id, pressed = press
    resident = await ctx.resident(update)
    if resident is not None:
        # Agreeing stored things; a late 不同意 must not pretend otherwise.
        lang = ctx.lang(update, resident)
        await ctx.out.answer(chat_id, query.id, t(lang, "declined_after_consent"), alert=True)
        ctx.done("decline_after_consent")
        return
    lang = _lang_of(pressed.word("lang"))
    pacer(ctx).forget(query.from_user.id)
    await ctx.out.answer(chat_id, query.id)
    text = declined(ctx.work.settings, lang)
    if query.message is not None:
        await ctx.out.edit(chat_id, query.message.message_id, text)
    else:
        await ctx.out.text(chat_id, text)
    ctx.done("declined")


async def lang_command(update: Update, ctx: BotContext) -> None:
    """/lang: choose Chinese or English."""
    who = await ctx.who(update)
    if who is None:
        return
    await ctx.say(who.chat_id, t(who.lang, "lang_pick"), "language_asked", language_keyboard())


async def help_command(update: Update, ctx: BotContext) -> None:
    """/help: what the bot does, how, what happens next, how to reach a person."""
    who = await ctx.who(update)
    if who is None:
        return
    await ctx.say(who.chat_id, help_text(ctx.work.settings, who.lang), "help_shown")
