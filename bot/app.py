"""The one place handlers are registered. Tests, the demo and the runners call it."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.context import BotContext
from bot.handlers import account, consent, guards, intake
from bot.runtime.ratelimit import MessageRateLimiter
from bot.runtime.scope import current_scope

log = logging.getLogger(__name__)

BotApplication = Application[
    ExtBot[int], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], None
]

PRIVATE = filters.ChatType.PRIVATE
NEW = filters.UpdateType.MESSAGE
UNSUPPORTED = (
    filters.Sticker.ALL
    | filters.VOICE
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.AUDIO
    | filters.ANIMATION
    | filters.CONTACT
    | filters.Document.ALL
)


async def on_error(update: object, context: BotContext) -> None:
    """Handlers raised: remember it, so the processor rolls the update back and retries."""
    scope = current_scope.get(None)
    if scope is not None:
        scope.error = context.error
    else:
        log.error("error outside an update", exc_info=context.error)


def build_application(settings: Settings) -> BotApplication:
    """A python-telegram-bot Application with every handler, and no Updater of its own.

    Updates reach it from the durable inbox (bot.runtime.processor), never from PTB's poller.
    """
    # 0 lifts the throttle; the limiter still waits out 429s (max_retries) before the
    # sender reschedules what keeps failing.
    rate = settings.send_rate_per_second or 1_000_000
    app: BotApplication = (
        Application.builder()
        .token(settings.token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .updater(None)
        .job_queue(None)
        .context_types(ContextTypes(context=BotContext))
        .rate_limiter(
            MessageRateLimiter(overall_max_rate=rate, overall_time_period=1, max_retries=2)
        )
        .build()
    )
    register(app)
    return app


def register(app: BotApplication) -> None:
    # Group -1 runs first: chats that are not private are stopped there, and edits are
    # taken before the message handlers (PTB's MessageHandler also matches edits).
    app.add_handler(
        ChatMemberHandler(guards.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER), -1
    )
    app.add_handler(
        MessageHandler(
            ~PRIVATE & (filters.UpdateType.MESSAGES | filters.UpdateType.CHANNEL_POSTS),
            guards.not_private,
        ),
        -1,
    )
    app.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, intake.edited_message), -1
    )

    # Group 0: one handler per update, first match wins; commands before free text.
    commands = {
        "start": consent.start,
        "help": consent.help_command,
        "privacy": consent.privacy,
        "lang": consent.lang_command,
        "my": account.my_opinions,
        "mydata": account.my_data,
        "delete_me": account.delete_me,
        "cancel": account.cancel,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=PRIVATE & NEW))
    app.add_handler(MessageHandler(PRIVATE & NEW & filters.COMMAND, account.unknown_command))
    app.add_handler(CallbackQueryHandler(consent.consent_pressed, pattern=r"^consent:(zh|en)$"))
    app.add_handler(CallbackQueryHandler(consent.notice_lang_pressed, pattern=r"^notice:(zh|en)$"))
    app.add_handler(CallbackQueryHandler(intake.subdistrict_pressed, pattern=r"^sd:"))
    app.add_handler(CallbackQueryHandler(intake.category_pressed, pattern=r"^cat:"))
    app.add_handler(CallbackQueryHandler(account.delete_pressed, pattern=r"^del:(yes:\d+|no)$"))
    app.add_handler(CallbackQueryHandler(intake.stale))
    app.add_handler(MessageHandler(PRIVATE & NEW & filters.PHOTO, intake.photo_message))
    app.add_handler(
        MessageHandler(PRIVATE & NEW & (filters.LOCATION | filters.VENUE), intake.location_message)
    )
    app.add_handler(MessageHandler(PRIVATE & NEW & filters.TEXT, intake.text_message))
    app.add_handler(MessageHandler(PRIVATE & NEW & UNSUPPORTED, guards.unsupported))
    app.add_handler(MessageHandler(PRIVATE & NEW, guards.unsupported))
    app.add_error_handler(on_error)
