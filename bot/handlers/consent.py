"""Welcome, privacy notice, consent and language."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.prompts import render_ask
from bot.sending import Button, Keyboard
from bot.texts import Lang, t


def notice(ctx: BotContext, lang: Lang, *, with_welcome: bool = True) -> str:
    settings = ctx.scope.deps.settings
    body = t(lang, "privacy_notice", days=settings.retention_days, contact=settings.privacy_contact)
    return f"{t(lang, 'welcome')}\n\n{body}" if with_welcome else body


def notice_keyboard(lang: Lang) -> Keyboard:
    other: Lang = "en" if lang == "zh" else "zh"
    return [
        [Button(t(lang, "btn_agree"), f"consent:{lang}")],
        [Button(t(lang, "btn_other_lang"), f"notice:{other}")],
    ]


async def send_notice(update: Update, ctx: BotContext, lang: Lang, *, first: str = "") -> None:
    chat_id = ctx.chat_id(update)
    if chat_id is None:
        return
    text = notice(ctx, lang)
    await ctx.scope.out.text(
        chat_id, f"{first}\n\n{text}" if first else text, notice_keyboard(lang)
    )


async def start(update: Update, ctx: BotContext) -> None:
    """/start: the notice with 同意 for newcomers; a welcome back (and the open draft) else."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    if resident is None:
        await send_notice(update, ctx, lang)
        ctx.done("notice_shown")
        return
    await ctx.scope.out.text(chat_id, t(lang, "welcome_back"))
    ask = await ctx.intake.current(resident)
    if ask is not None:
        html, keyboard = render_ask(ask, lang, ctx.scope.deps)
        await ctx.scope.out.text(chat_id, html, keyboard)
    ctx.done("welcome_back")


async def privacy(update: Update, ctx: BotContext) -> None:
    """/privacy: the notice; with the 同意 button only for those who have not agreed."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    if resident is None:
        await send_notice(update, ctx, lang)
    else:
        await ctx.scope.out.text(chat_id, notice(ctx, lang, with_welcome=False))
    ctx.done("privacy_shown")


async def consent_pressed(update: Update, ctx: BotContext) -> None:
    """同意: the first moment anything about the person is stored."""
    query = update.callback_query
    chat_id = ctx.chat_id(update)
    if query is None or chat_id is None:
        return
    lang: Lang = "en" if query.data == "consent:en" else "zh"
    created = await ctx.account.consent(query.from_user.id, lang)
    if created is None:
        await ctx.scope.out.answer(chat_id, query.id, t(lang, "consent_already"))
        ctx.done("consent_repeated")
        return
    await ctx.scope.out.answer(chat_id, query.id)
    if query.message is not None:
        agreed = notice(ctx, lang) + f"\n\n{t(lang, 'btn_agree')}"
        await ctx.scope.out.edit(chat_id, query.message.message_id, agreed)
    await ctx.scope.out.text(chat_id, t(lang, "consent_thanks"))
    ctx.done("consented")


async def notice_lang_pressed(update: Update, ctx: BotContext) -> None:
    """Switch language: the notice in place before consent (nothing stored), else the
    resident's setting."""
    query = update.callback_query
    chat_id = ctx.chat_id(update)
    if query is None or chat_id is None:
        return
    lang: Lang = "en" if query.data == "notice:en" else "zh"
    await ctx.scope.out.answer(chat_id, query.id)
    resident = await ctx.resident(update)
    if resident is not None:
        await ctx.account.set_language(resident, lang)
    if query.message is not None:
        if resident is not None:
            await ctx.scope.out.edit(chat_id, query.message.message_id, t(lang, "lang_set"))
        else:
            await ctx.scope.out.edit(
                chat_id, query.message.message_id, notice(ctx, lang), notice_keyboard(lang)
            )
    ctx.done("language_switched")


async def lang_command(update: Update, ctx: BotContext) -> None:
    """/lang: choose Chinese or English."""
    who = await ctx.who(update)
    if who is None:
        return
    keyboard = [[Button("中文", "notice:zh"), Button("English", "notice:en")]]
    await ctx.scope.out.text(who.chat_id, t(who.lang, "lang_pick"), keyboard)
    ctx.done("language_asked")


async def help_command(update: Update, ctx: BotContext) -> None:
    """/help."""
    who = await ctx.who(update)
    if who is None:
        return
    await ctx.scope.out.text(who.chat_id, t(who.lang, "help"))
    ctx.done("help_shown")
