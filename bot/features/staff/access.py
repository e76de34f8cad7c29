"""Who may use a staff command or button: checked from the database on every use.

A resident or a member who tries an admin command gets a plain refusal that reveals nothing
of what the command does; a press in a group (a forwarded keyboard) is refused the same way.
"""

from __future__ import annotations

from typing import NamedTuple

from telegram import Update

from bot.features.staff.service import StaffService
from bot.features.staff.texts import t
from bot.telegram.context import BotContext
from bot.telegram.texts import Lang, as_lang
from storage.records import StaffRecord
from storage.statuses import Role


class Staffer(NamedTuple):
    chat_id: int
    member: StaffRecord
    lang: Lang


async def staff_only(update: Update, ctx: BotContext, *roles: Role) -> Staffer | None:
    """The sender, if they hold one of `roles` now; otherwise a refusal and None."""
    user = update.effective_user
    chat = update.effective_chat
    allowed = roles or (Role.ADMIN, Role.MEMBER)
    member = await ctx.work.service(StaffService).role_of(user.id if user else None)
    if user is not None and member is not None and member.role in allowed:
        # Their own private chat only; a press with no chat at all (an old message Telegram
        # no longer shows) is answered in the presser's private chat. A group is refused.
        if chat is None and update.callback_query is not None:
            return Staffer(user.id, member, as_lang(member.lang))
        if chat is not None and chat.type == "private" and chat.id == user.id:
            return Staffer(chat.id, member, as_lang(member.lang))
    await refuse(update, ctx)
    return None


async def refuse(update: Update, ctx: BotContext) -> None:
    lang = ctx.lang(update, await ctx.resident(update))
    chat_id = ctx.chat_id(update)
    query = update.callback_query
    if chat_id is None:
        return
    if query is not None:
        await ctx.out.answer(chat_id, query.id, t(lang, "not_allowed_button"), alert=True)
        ctx.done("refused")
    elif update.effective_chat is not None and update.effective_chat.type == "private":
        await ctx.say(chat_id, t(lang, "not_allowed"), "refused")
    else:
        ctx.done("refused")
