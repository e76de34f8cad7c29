"""Consent: /start, the privacy notice (short, then full on request), 同意 and 不同意,
/privacy, /help, /lang.

Nothing about a person is stored before they press 同意; other features call
`require_consent` before they keep anything.
"""

from telegram.ext import CallbackQueryHandler

from bot.features.consent import handlers
from bot.features.consent.callbacks import AGREE, DECLINE, FULL, LANGUAGE
from bot.features.consent.handlers import require_consent, send_notice
from bot.features.consent.pacing import NoticePacer
from bot.features.consent.service import CONSENT_VERSION, DRAFT_DAYS, ConsentService
from bot.features.consent.texts import t
from bot.telegram.application import Features

__all__ = [
    "CONSENT_VERSION",
    "DRAFT_DAYS",
    "ConsentService",
    "register",
    "require_consent",
    "send_notice",
]


def register(features: Features) -> None:
    # One pacer per application: memory only, see bot.features.consent.pacing.
    features.app.bot_data[NoticePacer] = NoticePacer()
    features.command("start", handlers.start, menu=t, rank=10)
    features.command("help", handlers.help_command, menu=t, rank=30)
    features.command("privacy", handlers.privacy, menu=t, rank=40)
    features.command("lang", handlers.lang_command, menu=t, rank=70)
    features.add(CallbackQueryHandler(handlers.consent_pressed, pattern=AGREE.pattern))
    features.add(CallbackQueryHandler(handlers.language_pressed, pattern=LANGUAGE.pattern))
    features.add(CallbackQueryHandler(handlers.full_pressed, pattern=FULL.pattern))
    features.add(CallbackQueryHandler(handlers.decline_pressed, pattern=DECLINE.pattern))
