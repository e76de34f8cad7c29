"""The one place features are registered. Tests, the demo and the runners call it."""

from __future__ import annotations

from telegram.ext import Application, ContextTypes

from bot.config import Settings
from bot.features import (
    account,
    consent,
    consultations,
    digests,
    exports,
    fallbacks,
    followup,
    groups,
    intake,
    moderation,
    staff,
    stats,
)
from bot.telegram.application import BotApplication, Features
from bot.telegram.context import BotContext
from bot.telegram.dispatch import on_error


def build_application(settings: Settings) -> Features:
    """A python-telegram-bot Application with every feature, and no Updater of its own.

    Updates reach it from the durable inbox (bot.delivery.processor), never from PTB's poller.
    """
    # No PTB rate limiter: the sender (bot.delivery.sender) paces every message itself, per
    # chat and overall, and handles 429s; a second limiter would hide them from it.
    app: BotApplication = (
        Application.builder()
        .token(settings.token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .updater(None)
        .job_queue(None)
        .context_types(ContextTypes(context=BotContext))
        .build()
    )
    features = Features(app, settings)
    register(features)
    return features


def register(features: Features) -> None:
    """Each feature adds its handlers. Within a handler group the first match wins, so:"""
    moderation.register(features)  # the hard-ban gate first; /queue, decisions, /audit
    groups.register(features)  # guards first: group chats and channels stop here
    staff.register(features)  # roles, invite links (before /start), members' /settings
    consent.register(features)  # /start, /help, /privacy, /lang, 同意
    intake.register(features)  # buttons of a draft, then photos, pins and free text
    account.register(features)  # /my, /mydata, /delete_me
    followup.register(features)  # digest and /op buttons, ratings, reopen reasons
    digests.register(features)  # scheduled digests, /digest, /op
    stats.register(features)  # /stats (the 三率)
    exports.register(features)  # /export, built by a ticker
    consultations.register(features)  # /consult…, invitations, summaries (tickers)
    fallbacks.register(features)  # last: unknown commands, stale buttons, other media
    features.app.add_error_handler(on_error)
