"""/export [from] [to] [sub-district]: admins (every sub-district) and members (their own)."""

from __future__ import annotations

from telegram import Update

from bot.features.exports.service import ExportService, asked_for
from bot.features.exports.texts import t
from bot.features.staff import staff_only
from bot.features.stats.handlers import asked_and_scope
from bot.telegram.context import BotContext


async def export(update: Update, ctx: BotContext) -> None:
    """Queue an export of the period asked (the last 30 days by default); a tick builds it
    and sends a CSV and an XLSX file, editing one progress message meanwhile."""
    staffer = await staff_only(update, ctx)
    if staffer is None:
        return
    chat_id, member, lang = staffer
    work = ctx.work
    found = await asked_and_scope(ctx, staffer, "export")
    if found is None:
        return
    asked, scope = found
    job = await work.service(ExportService).request(
        member, chat_id, asked_for(asked.period, scope, member), lang
    )
    if job is None:
        await ctx.say(chat_id, t(lang, "export_busy"), "export_busy")
        return
    ctx.done("export_queued")
