"""Hard bans: a person banned hard is told once, then nothing they send is taken."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.features.moderation.texts import t
from bot.telegram.context import BotContext
from bot.telegram.texts import as_lang
from storage.repositories import ResidentRepository


async def hard_banned(update: Update, ctx: BotContext) -> None:
    """Runs first for every private update; stops the rest for a hard-banned resident."""
    resident = await ctx.resident(update)
    if resident is None or resident.ban != "hard":
        return
    chat_id = ctx.chat_id(update)
    query = update.callback_query
    if chat_id is not None and query is not None:
        await ctx.out.answer(chat_id, query.id)
    if chat_id is not None and not resident.ban_notified:
        await ctx.out.text(chat_id, t(as_lang(resident.lang), "hard_ban_notice"))
        await ctx.work.repo(ResidentRepository).ban_notified(resident.id)
    ctx.done("ignored_banned")
    raise ApplicationHandlerStop
