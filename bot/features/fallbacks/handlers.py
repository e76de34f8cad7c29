"""What no feature took: commands the bot does not have (and commands meant for another
bot, which get no answer), media it does not take yet, and buttons nothing can honour."""

from __future__ import annotations

from telegram import Message, MessageEntity, Update

from bot.features.fallbacks.texts import t
from bot.telegram.context import BotContext

_KINDS = {
    "sticker": "kind_sticker",
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


def addressee(message: Message) -> str | None:
    """The bot a command names (`/my@SomeBot` -> "SomeBot"), or None for a bare command."""
    entities = message.entities
    text = message.text or ""
    if not entities or entities[0].type != MessageEntity.BOT_COMMAND or entities[0].offset:
        return None
    command = text[1 : entities[0].length]  # ASCII only: UTF-16 offsets equal indexes here
    _, at, name = command.partition("@")
    return name if at else None


async def unknown_command(update: Update, ctx: BotContext) -> None:
    """A command we do not have; silence for one addressed to another bot.

    PTB's CommandHandler already ignores `/my@OtherBot` (it matches only a bare command or
    one naming this bot), so such a command lands here; it was not meant for us.
    """
    message = update.effective_message
    named = addressee(message) if message is not None else None
    if named is not None and named.lower() != ctx.bot.username.lower():
        ctx.done("command_for_another_bot")
        return
    who = await ctx.who(update)
    if who is None:
        return
    await ctx.say(who.chat_id, t(who.lang, "unknown_command"), "unknown_command")


async def stale_button(update: Update, ctx: BotContext) -> None:
    """Any button no feature claimed: forged, expired, from an older version. Answer politely."""
    await ctx.stale_press(update)
