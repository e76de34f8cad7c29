"""Bans without Telegram ids: /ban and /unban take a reference number, a pseudonym or a
user id; banning someone who is also a member or an admin asks first."""

from __future__ import annotations

import re

from telegram import Update

from bot.domain import parse_reference
from bot.features.moderation.callbacks import BAN
from bot.features.moderation.handlers import stale
from bot.features.moderation.service import ModerationService
from bot.features.moderation.texts import t
from bot.features.staff import StaffService, staff_only
from bot.features.staff.views import role_name
from bot.telegram.context import BotContext
from bot.telegram.keyboards import Button
from storage.records import CardRecord, ResidentRecord
from storage.repositories import ModerationRepository, OpinionRepository, ResidentRepository
from storage.statuses import Role


async def _resident_named(ctx: BotContext, word: str) -> ResidentRecord | None:
    """A reference number (its author), a pseudonym, or a Telegram user id."""
    residents = ctx.work.repo(ResidentRepository)
    n = parse_reference(word, ctx.work.district.reference_prefix)
    if n is not None:
        opinion = await ctx.work.repo(OpinionRepository).get(n)
        return await residents.by_id(opinion.resident_id) if opinion else None
    if re.fullmatch(r"[1-9][0-9]{4,15}", word):
        return await residents.by_telegram_id(int(word))
    return await residents.by_pseudonym(word.strip().upper().removeprefix("居民").strip("-"))


async def ban(update: Update, ctx: BotContext) -> None:
    """/ban <ref|pseudonym|user_id> soft|hard [reason]; a member or admin: confirm first."""
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    args = list(ctx.args or [])
    lang = staffer.lang
    if len(args) < 2 or args[1].casefold() not in ("soft", "hard"):
        await ctx.say(staffer.chat_id, t(lang, "usage_ban"), "usage")
        return
    resident = await _resident_named(ctx, args[0])
    if resident is None:
        await ctx.say(staffer.chat_id, t(lang, "ban_who_unknown", who=args[0][:40]), "ban_unknown")
        return
    level = args[1].casefold()
    reason = " ".join(args[2:]).strip()[:500] or None
    role = await ctx.work.service(StaffService).role_of(resident.telegram_id)
    if role is not None:
        card = await ctx.work.repo(ModerationRepository).add_card(
            staffer.member.telegram_id,
            None,
            ctx.work.now(),
            payload={"ban": resident.id, "level": level, "reason": reason},
        )
        keyboard = [
            [
                Button(t(lang, "btn_ban_confirm"), BAN.build(card, "yes")),
                Button(t(lang, "btn_cancel"), BAN.build(card, "no")),
            ]
        ]
        text = t(lang, "ban_staff_confirm", who=resident.pseudonym, role=role_name(role.role, lang))
        await ctx.say(staffer.chat_id, text, "ban_confirm_asked", keyboard)
        return
    await ctx.work.service(ModerationService).ban(
        staffer.member.telegram_id, resident, level, reason
    )
    await ctx.say(
        staffer.chat_id,
        t(lang, "banned", who=resident.pseudonym, level=t(lang, f"level_{level}")),
        "banned",
    )


async def ban_pressed(update: Update, ctx: BotContext) -> None:
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    query = update.callback_query
    assert query is not None
    fields = BAN.parse(query.data)
    card: CardRecord | None = (
        await ctx.work.repo(ModerationRepository).card(fields.id("card")) if fields else None
    )
    if (
        fields is None
        or card is None
        or card.admin_id != staffer.member.telegram_id
        or "ban" not in card.payload
    ):
        await stale(ctx, staffer, query.id)
        return
    lang = staffer.lang
    await ctx.out.answer(staffer.chat_id, query.id)
    message_id = query.message.message_id if query.message is not None else 0
    resident = await ctx.work.repo(ResidentRepository).by_id(int(card.payload["ban"]))
    if fields.word("answer") == "no" or resident is None:
        text = t(lang, "ban_cancelled")
    else:
        level = str(card.payload["level"])
        await ctx.work.service(ModerationService).ban(
            staffer.member.telegram_id, resident, level, card.payload.get("reason")
        )
        text = t(lang, "banned", who=resident.pseudonym, level=t(lang, f"level_{level}"))
    if message_id:
        await ctx.out.edit(staffer.chat_id, message_id, text)
    else:
        await ctx.out.text(staffer.chat_id, text)
    ctx.done("ban_pressed")


async def unban(update: Update, ctx: BotContext) -> None:
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    args = list(ctx.args or [])
    lang = staffer.lang
    if len(args) != 1:
        await ctx.say(staffer.chat_id, t(lang, "usage_ban"), "usage")
        return
    resident = await _resident_named(ctx, args[0])
    if resident is None:
        await ctx.say(staffer.chat_id, t(lang, "ban_who_unknown", who=args[0][:40]), "ban_unknown")
        return
    lifted = await ctx.work.service(ModerationService).unban(staffer.member.telegram_id, resident)
    key = "unbanned" if lifted else "not_banned"
    await ctx.say(staffer.chat_id, t(lang, key, who=resident.pseudonym), key)
