"""Groups and channels (nothing is taken there; a channel is never written to), and people
blocking or unblocking the bot."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.features.account import AccountService
from bot.features.groups.texts import t
from bot.features.staff import StaffService
from bot.telegram.context import BotContext
from bot.telegram.keyboards import Button
from storage.repositories import GroupChatRepository


async def _group_notice_once(update: Update, ctx: BotContext, chat_id: int, kind: str) -> None:
    """Point a group to the private chat, the first time only (never a channel)."""
    if not await ctx.work.repo(GroupChatRepository).first_notice(chat_id, kind, ctx.work.now()):
        ctx.done("group_ignored")
        return
    lang = ctx.lang(update, None)
    username = ctx.work.deps.bot_username
    keyboard = (
        [[Button(t(lang, "btn_private_chat"), url=f"https://t.me/{username}")]]
        if username
        else None
    )
    await ctx.say(chat_id, t(lang, "group_notice"), "group_notice", keyboard)


async def not_private(update: Update, ctx: BotContext) -> None:
    """Groups and channels: nothing is taken as an opinion. A group is told so once; a
    channel never hears from the bot (whatever it posted would reach every subscriber).

    In privacy mode a bot sees only commands, mentions and replies in groups, so this mostly
    runs on those; joining a group (membership_changed) says it first.
    """
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.CHANNEL:
        ctx.done("channel_ignored")
    elif chat is not None:
        await _group_notice_once(update, ctx, chat.id, chat.type)
    raise ApplicationHandlerStop


async def membership_changed(update: Update, ctx: BotContext) -> None:
    """The person blocked (or unblocked) the bot; or the bot joined a group."""
    change = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    if change.chat.type != "private":
        if (
            status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR)
            and change.chat.type != ChatType.CHANNEL
        ):
            await _group_notice_once(update, ctx, change.chat.id, change.chat.type)
        else:
            ctx.done("membership_ignored")
        return
    blocked = status in (ChatMember.BANNED, ChatMember.LEFT)
    await ctx.work.service(AccountService).set_blocked(change.chat.id, blocked)
    await ctx.work.service(StaffService).set_reachable(change.chat.id, not blocked)
    if blocked:
        await ctx.out.drop_pending(change.chat.id, "blocked by the user")
    ctx.done("blocked" if blocked else "unblocked")
