"""What no feature took: commands the bot does not have, media it does not take yet, and
buttons nothing can honour."""

from __future__ import annotations

from telegram import Update

from bot.features.fallbacks.texts import t
from bot.telegram.context import BotContext

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
    await ctx.say(chat.id, t(lang, "unsupported", kind=what), f"unsupported_{kind}")


async def unknown_command(update: Update, ctx: BotContext) -> None:
    """A command we do not have."""
    who = await ctx.who(update)
    if who is None:
        return
    await ctx.say(who.chat_id, t(who.lang, "unknown_command"), "unknown_command")


async def stale_button(update: Update, ctx: BotContext) -> None:
    """Any button no feature claimed: forged, expired, from an older version. Answer politely."""
    await ctx.stale_press(update)
