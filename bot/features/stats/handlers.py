"""/stats [days | from [to]] [sub-district]: the 三率 as text and a chart, for admins (every
sub-district) and members (their own)."""

from __future__ import annotations

import asyncio
from typing import Literal

from telegram import Update

from bot.domain.stats import Asked, PeriodError, parse_period
from bot.features.staff import Staffer, staff_only
from bot.features.stats.service import Scope, ScopeRefused, StatsService, scope_for
from bot.features.stats.views import (
    chart,
    chart_caption,
    period_refusal,
    scope_refusal,
    stats_text,
)
from bot.telegram.context import BotContext


async def asked_and_scope(
    ctx: BotContext, staffer: Staffer, command: Literal["stats", "export"]
) -> tuple[Asked, Scope] | None:
    """The period and sub-districts /stats or /export was asked for, or None once a bad
    period or someone else's sub-district has been answered (shared by both commands)."""
    chat_id, member, lang = staffer
    work = ctx.work
    tz = work.settings.tz
    try:
        asked = parse_period(list(ctx.args or []), work.now().astimezone(tz).date(), tz)
        return asked, scope_for(member, asked.words, work.district)
    except PeriodError as err:
        await ctx.say(chat_id, period_refusal(err, lang, command), f"{command}_bad_period")
    except ScopeRefused as err:
        refusal = scope_refusal(err, member, work.district, lang)
        await ctx.say(chat_id, refusal, f"{command}_{err.reason}")
    return None


async def stats(update: Update, ctx: BotContext) -> None:
    """The figures of the period asked (last 30 days by default), with the chart."""
    staffer = await staff_only(update, ctx)
    if staffer is None:
        return
    chat_id, _, lang = staffer
    work = ctx.work
    found = await asked_and_scope(ctx, staffer, "stats")
    if found is None:
        return
    asked, scope = found
    table = await work.service(StatsService).table(asked.period, scope)
    response_days = work.settings.response_days
    await ctx.out.text(chat_id, stats_text(table, work.district, lang, response_days))
    # Drawn in a thread (the event loop keeps serving others); inside the update's
    # transaction, like /digest: a handler has no step after its commit.
    picture = await asyncio.to_thread(chart, table, work.district, lang, response_days)
    stamp = f"{table.period.first_day:%Y%m%d}-{table.period.last_day:%Y%m%d}"
    await ctx.out.photo(chat_id, f"yushi-stats-{stamp}.png", picture, chart_caption(table, lang))
    ctx.done("stats_shown")
