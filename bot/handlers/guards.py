"""Everything that is not an opinion: groups, channels, unsupported media, blocking."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.sending import Button
from bot.texts import t
from storage.models import utcnow


async def not_private(update: Update, ctx: BotContext) -> None:
    """Groups and channels: nothing is taken as an opinion; say so once per chat."""
    chat = update.effective_chat
    if chat is None:
        raise ApplicationHandlerStop
    if await ctx.scope.groups.first_notice(chat.id, chat.type):
        user = update.effective_user
        lang = ctx.lang(update, None) if user else "zh"
        username = ctx.scope.deps.bot_username
        keyboard = (
            [[Button(t(lang, "btn_private_chat"), url=f"https://t.me/{username}")]]
            if username
            else None
        )
        await ctx.scope.out.text(chat.id, t(lang, "group_notice"), keyboard)
        ctx.done("group_notice")
    else:
        ctx.done("group_ignored")
    raise ApplicationHandlerStop


_KINDS = {
    "sticker": "kind_sticker",
    "voice": "kind_voice",
    "video_note": "kind_video",
    "video": "kind_video",
    "animation": "kind_video",
    "audio": "kind_audio",
    "contact": "kind_contact",
    "document": "kind_document",
}


async def unsupported(update: Update, ctx: BotContext) -> None:
    """Media we do not take yet: a friendly pointer to what works."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    kind = next((k for k in _KINDS if getattr(message, k, None)), "other")
    resident = await ctx.resident(update)
    lang = ctx.lang(update, resident)
    what = t(lang, _KINDS.get(kind, "kind_other"))
    await ctx.scope.out.text(chat.id, t(lang, "unsupported", kind=what))
    ctx.done(f"unsupported_{kind}")


async def membership_changed(update: Update, ctx: BotContext) -> None:
    """The person blocked (or unblocked) the bot in their private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        ctx.done("membership_ignored")
        return
    status = change.new_chat_member.status
    blocked = status in (ChatMember.BANNED, ChatMember.LEFT)
    await ctx.scope.residents.set_blocked(change.chat.id, utcnow() if blocked else None)
    if blocked:
        await ctx.scope.out.drop_pending(change.chat.id, "blocked by the user")
    ctx.done("blocked" if blocked else "unblocked")
