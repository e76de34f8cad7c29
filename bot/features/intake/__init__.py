"""Intake: a resident writes (text, photo, voice, location, edits); what is not a problem is
answered; a problem is confirmed (one card, or only what is missing) and gets a receipt.
Drafts live in the database, so a restart carries on."""

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.features.intake import callbacks, handlers
from bot.features.intake.service import IntakeService
from bot.features.intake.texts import t
from bot.telegram.application import AFTER, GUARDS, NEW, PRIVATE, Features

__all__ = ["IntakeService", "register"]


def register(features: Features) -> None:
    # Edits come first: PTB's MessageHandler also matches edited messages, and an edit must
    # never reach the handlers below as if it were a new opinion.
    features.add(
        MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, handlers.edited_message),
        GUARDS,
    )
    features.command("cancel", handlers.cancel, menu=t, rank=80)
    features.add(
        CallbackQueryHandler(handlers.subdistrict_pressed, pattern=callbacks.SUBDISTRICT.pattern)
    )
    features.add(
        CallbackQueryHandler(handlers.category_pressed, pattern=callbacks.CATEGORY.pattern)
    )
    features.add(CallbackQueryHandler(handlers.action_pressed, pattern=callbacks.ACTION.pattern))
    features.add(
        CallbackQueryHandler(handlers.invitations_pressed, pattern=callbacks.OPT_IN.pattern)
    )
    features.add(MessageHandler(PRIVATE & NEW & filters.PHOTO, handlers.photo_message))
    features.add(MessageHandler(PRIVATE & NEW & filters.VOICE, handlers.voice_message))
    features.add(
        MessageHandler(
            PRIVATE & NEW & (filters.LOCATION | filters.VENUE), handlers.location_message
        )
    )
    # Commands are text too: the ones no feature has go to the fallbacks.
    features.add(
        MessageHandler(PRIVATE & NEW & filters.TEXT & ~filters.COMMAND, handlers.text_message)
    )
    # After consent's welcome back: an open draft shows its question again.
    features.add(CommandHandler("start", handlers.resume_on_start, filters=PRIVATE & NEW), AFTER)
