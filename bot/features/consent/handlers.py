"""Welcome, privacy notice, consent and language."""

from __future__ import annotations

from telegram import Update

from bot.features.consent.callbacks import AGREE, LANGUAGE
from bot.features.consent.service import ConsentService
from bot.features.consent.texts import t
from bot.features.consent.views import language_keyboard, notice, notice_keyboard
from bot.telegram.context import BotContext
from bot.telegram.texts import Lang
from storage.records import ResidentRecord


async def send_notice(update: Update, ctx: BotContext, lang: Lang, *, first: str = "") -> None:
    chat_id = ctx.chat_id(update)
    if chat_id is None:
        return
    text = notice(ctx.work.settings, lang)
    await ctx.out.text(chat_id, f"{first}\n\n{text}" if first else text, notice_keyboard(lang))


async def require_consent(update: Update, ctx: BotContext) -> ResidentRecord | None:
    """The resident, or None after showing the notice (the message itself is not kept)."""
    resident = await ctx.resident(update)
    if resident is None:
        lang = ctx.lang(update, None)
        await send_notice(update, ctx, lang, first=t(lang, "consent_needed"))
        ctx.done("needs_consent")
    return resident


async def start(update: Update, ctx: BotContext) -> None:
    """/start: the notice with 同意 for newcomers; a welcome back for residents (intake then
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
    """/privacy: the notice; with the 同意 button only for those who have not agreed."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    if resident is None:
        await send_notice(update, ctx, lang)
    else:
        await ctx.out.text(chat_id, notice(ctx.work.settings, lang, with_welcome=False))
    ctx.done("privacy_shown")


async def consent_pressed(update: Update, ctx: BotContext) -> None:
    """同意: the first moment anything about the person is stored."""
    press = await ctx.press(update, AGREE)
    if press is None:
        return
    query, chat_id, pressed = press
    lang: Lang = "en" if pressed.word("lang") == "en" else "zh"
    created = await ctx.work.service(ConsentService).consent(query.from_user.id, lang)
    if created is None:
        await ctx.out.answer(chat_id, query.id, t(lang, "consent_already"))
        ctx.done("consent_repeated")
        return
    await ctx.out.answer(chat_id, query.id)
    if query.message is not None:
        agreed = notice(ctx.work.settings, lang) + f"\n\n{t(lang, 'btn_agree')}"
        await ctx.out.edit(chat_id, query.message.message_id, agreed)
    await ctx.say(chat_id, t(lang, "consent_thanks"), "consented")


async def language_pressed(update: Update, ctx: BotContext) -> None:
    """Switch language: the notice in place before consent (nothing stored), else the
    resident's setting."""
    press = await ctx.press(update, LANGUAGE)
    if press is None:
        return
    query, chat_id, pressed = press
    lang: Lang = "en" if pressed.word("lang") == "en" else "zh"
    await ctx.out.answer(chat_id, query.id)
    resident = await ctx.resident(update)
    if resident is not None:
        await ctx.work.service(ConsentService).set_language(resident, lang)
    if query.message is not None:
        if resident is not None:
            await ctx.out.edit(chat_id, query.message.message_id, t(lang, "lang_set"))
        else:
            await ctx.out.edit(
                chat_id,
                query.message.message_id,
                notice(ctx.work.settings, lang),
                notice_keyboard(lang),
            )
    ctx.done("language_switched")


async def lang_command(update: Update, ctx: BotContext) -> None:
    """/lang: choose Chinese or English."""
    who = await ctx.who(update)
    if who is None:
        return
    await ctx.say(who.chat_id, t(who.lang, "lang_pick"), "language_asked", language_keyboard())


async def help_command(update: Update, ctx: BotContext) -> None:
    """/help."""
    who = await ctx.who(update)
    if who is None:
        return
    await ctx.say(who.chat_id, t(who.lang, "help"), "help_shown")
