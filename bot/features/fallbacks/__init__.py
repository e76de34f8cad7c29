"""What no other feature took. Registered last: in a handler group the first match wins."""

from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.features.fallbacks import handlers
from bot.telegram.application import NEW, PRIVATE, Features

__all__ = ["register"]


def register(features: Features) -> None:
    features.add(MessageHandler(PRIVATE & NEW & filters.COMMAND, handlers.unknown_command))
    features.add(CallbackQueryHandler(handlers.stale_button))
    # Stickers, video, files, contacts, and whatever Telegram adds next (intake takes voice).
    features.add(MessageHandler(PRIVATE & NEW, handlers.unsupported))
