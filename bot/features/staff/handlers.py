"""Admins manage roles: /grant, /revoke, /roles, /invite; invitees open t.me/<bot>?start=inv_…"""

from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.features.staff.access import staff_only
from bot.features.staff.service import (
    Outcome,
    Redeemed,
    StaffService,
    parse_subdistricts,
)
from bot.features.staff.texts import t
from bot.features.staff.views import followed, local, role_name, roles_list
from bot.telegram.context import BotContext
from bot.telegram.labels import subdistrict_name
from bot.telegram.texts import Lang, as_lang
from storage.statuses import Role

log = logging.getLogger(__name__)

#: The start parameter of an invite link.
INVITE_START = re.compile(r"^inv_([A-Za-z0-9_-]{16})$")


def _user_id(word: str) -> int | None:
    return int(word) if re.fullmatch(r"[1-9][0-9]{0,15}", word) else None


async def _can_write_to(ctx: BotContext, user_id: int) -> bool | None:
    """Whether Telegram lets the bot write to this user (they opened it and did not block
    it): True, False, or None when Telegram could not be asked."""
    try:
        await ctx.bot.get_chat(user_id)
    except (BadRequest, Forbidden):
        return False
    except TelegramError as exc:
        log.warning("could not check whether %s can be written to: %s", user_id, exc)
        return None
    return True


async def grant(update: Update, ctx: BotContext) -> None:
    """/grant <user_id> member <sub-districts…> | /grant <user_id> admin"""
    admin = await staff_only(update, ctx, Role.ADMIN)
    if admin is None:
        return
    chat_id, me, lang = admin
    args = ctx.args or []
    district = ctx.work.district
    if len(args) < 2 or args[1].casefold() not in ("member", "admin", "委员", "管理员"):
        if args and _user_id(args[0]) is None:
            await ctx.say(chat_id, t(lang, "not_a_user_id", word=args[0]), "grant_invalid")
            return
        await ctx.say(chat_id, t(lang, "grant_usage"), "grant_usage")
        return
    user_id = _user_id(args[0])
    if user_id is None:
        await ctx.say(chat_id, t(lang, "not_a_user_id", word=args[0]), "grant_invalid")
        return
    role = Role.ADMIN if args[1].casefold() in ("admin", "管理员") else Role.MEMBER
    codes, unknown = parse_subdistricts(district, args[2:])
    if unknown:
        await ctx.say(chat_id, _unknown(lang, unknown, ctx), "grant_invalid")
        return
    if role == Role.MEMBER and not codes:
        await ctx.say(chat_id, t(lang, "member_needs_subdistricts", user_id=user_id), "grant_usage")
        return
    service = ctx.work.service(StaffService)
    reachable = await _can_write_to(ctx, user_id) if user_id != me.telegram_id else True
    result = await service.grant(
        me.telegram_id, user_id, role, codes, reachable=reachable is not False
    )
    if result.outcome is Outcome.RESERVED:
        await ctx.say(chat_id, t(lang, "reserved_id", user_id=user_id), "grant_refused")
        return
    if result.outcome is Outcome.INVALID:
        await ctx.say(chat_id, t(lang, "not_a_user_id", word=args[0]), "grant_invalid")
        return
    if result.outcome is Outcome.CONFIG_ADMIN:
        await ctx.say(chat_id, t(lang, "grant_config_admin", user_id=user_id), "grant_refused")
        return
    member = result.member
    assert member is not None
    names = followed(district, member.subdistricts, lang)
    if result.outcome is Outcome.UNCHANGED:
        text = t(
            lang,
            "grant_unchanged",
            user_id=user_id,
            role=role_name(member.role, lang),
            subdistricts=names,
        )
    elif member.role == Role.ADMIN:
        text = t(lang, "granted_admin", user_id=user_id)
    else:
        text = t(lang, "granted_member", user_id=user_id, subdistricts=names)
    if reachable is False:
        text += "\n\n" + t(lang, "grant_unreachable", user_id=user_id, link=_bot_link(ctx))
    elif reachable is None:
        text += "\n" + t(lang, "grant_could_not_check")
    if (
        reachable is not False
        and result.outcome is not Outcome.UNCHANGED
        and user_id != me.telegram_id
    ):
        await _welcome(ctx, user_id, member.role, as_lang(member.lang), names, member.digest_time)
    await ctx.say(chat_id, text, f"grant_{result.outcome}")


async def _welcome(
    ctx: BotContext, user_id: int, role: str, lang: Lang, names: str, time: str
) -> None:
    if role == Role.ADMIN:
        await ctx.out.text(user_id, t(lang, "you_are_admin"))
    else:
        await ctx.out.text(user_id, t(lang, "you_are_member", subdistricts=names, time=time))


def _bot_link(ctx: BotContext) -> str:
    username = ctx.work.deps.bot_username
    return f"https://t.me/{username}" if username else "the bot"


def _unknown(lang: Lang, words: list[str], ctx: BotContext) -> str:
    district = ctx.work.district
    names = "、".join(subdistrict_name(district, s.code, lang) for s in district.subdistricts)
    return t(lang, "unknown_subdistricts", words="、".join(words), names=names)


async def revoke(update: Update, ctx: BotContext) -> None:
    """/revoke <user_id>"""
    admin = await staff_only(update, ctx, Role.ADMIN)
    if admin is None:
        return
    chat_id, me, lang = admin
    args = ctx.args or []
    if len(args) != 1:
        await ctx.say(chat_id, t(lang, "revoke_usage"), "revoke_usage")
        return
    user_id = _user_id(args[0])
    if user_id is None:
        await ctx.say(chat_id, t(lang, "not_a_user_id", word=args[0]), "revoke_invalid")
        return
    result = await ctx.work.service(StaffService).revoke(me.telegram_id, user_id)
    key = {
        Outcome.NOT_STAFF: "revoke_not_staff",
        Outcome.CONFIG_ADMIN: "revoke_config_admin",
        Outcome.SELF: "revoke_self",
        Outcome.REVOKED: "revoked",
    }[result.outcome]
    role = role_name(result.member.role, lang) if result.member else ""
    gone = result.member
    if result.outcome is Outcome.REVOKED and gone is not None and gone.unreachable_at is None:
        their = as_lang(gone.lang)
        await ctx.out.text(user_id, t(their, "your_role_removed", role=role_name(gone.role, their)))
    await ctx.say(chat_id, t(lang, key, user_id=user_id, role=role), f"revoke_{result.outcome}")


async def roles(update: Update, ctx: BotContext) -> None:
    """/roles: every admin and member, what they follow, their schedule, whether reachable."""
    admin = await staff_only(update, ctx, Role.ADMIN)
    if admin is None:
        return
    chat_id, _, lang = admin
    members = await ctx.work.service(StaffService).all()
    settings = ctx.work.settings
    text = roles_list(members, ctx.work.district, lang, settings.tz, settings.admin_ids)
    await ctx.say(chat_id, text, "roles_listed")


async def invite(update: Update, ctx: BotContext) -> None:
    """/invite [sub-districts…]: a one-time, expiring link that makes its opener a member."""
    admin = await staff_only(update, ctx, Role.ADMIN)
    if admin is None:
        return
    chat_id, me, lang = admin
    codes, unknown = parse_subdistricts(ctx.work.district, ctx.args or [])
    if unknown:
        await ctx.say(chat_id, _unknown(lang, unknown, ctx), "invite_invalid")
        return
    username = ctx.work.deps.bot_username
    if not username:
        await ctx.say(chat_id, t(lang, "invite_needs_username"), "invite_failed")
        return
    made = await ctx.work.service(StaffService).invite(me.telegram_id, codes)
    link = f"https://t.me/{username}?start=inv_{made.code}"
    text = t(
        lang,
        "invite_made",
        link=link,
        expires=local(made.expires_at, ctx.work.settings.tz),
        subdistricts=followed(ctx.work.district, codes, lang),
    )
    await ctx.say(chat_id, text, "invite_made")


async def start_with_invite(update: Update, ctx: BotContext) -> None:
    """/start inv_<code>: the invitee becomes a member (once; the link then stops working)."""
    user = update.effective_user
    chat_id = ctx.chat_id(update)
    match = INVITE_START.match((ctx.args or [""])[0])
    if user is None or chat_id is None:
        return
    lang = ctx.lang(update, await ctx.resident(update))
    if match is None:
        await ctx.say(chat_id, t(lang, "invite_unknown"), "invite_unknown")
        return
    outcome, made = await ctx.work.service(StaffService).redeem(user.id, match[1], lang)
    district = ctx.work.district
    names = followed(district, made.subdistricts if made else (), lang)
    if outcome is Redeemed.MEMBER:
        member = await ctx.work.service(StaffService).role_of(user.id)
        time = member.digest_time if member else ctx.work.settings.digest_time
        await ctx.say(
            chat_id, t(lang, "you_are_member", subdistricts=names, time=time), "invite_redeemed"
        )
        return
    key = {
        Redeemed.ALREADY_ADMIN: "invite_already_admin",
        Redeemed.USED: "invite_used",
        Redeemed.EXPIRED: "invite_expired",
        Redeemed.UNKNOWN: "invite_unknown",
        Redeemed.RESERVED: "invite_unknown",
    }[outcome]
    await ctx.say(chat_id, t(lang, key, subdistricts=names), f"invite_{outcome}")


async def came_back(update: Update, ctx: BotContext) -> None:
    """Anything an admin or member sends shows the bot can write to them: an unreachable
    mark (never opened the bot, or blocked it) is lifted, and a menu never set is set."""
    user = update.effective_user
    if user is None:
        return
    service = ctx.work.service(StaffService)
    member = await service.role_of(user.id)
    if member is None:
        return
    if member.unreachable_at is not None:
        await service.set_reachable(user.id, True)
    elif member.menu_version is None:  # an ADMIN_IDS admin writing for the first time
        await service.send_menu(member)
