"""Moderation from a phone: auto-holds at submission (links, personal data, listed words,
repeats, soft bans), /queue with one-tap decisions, the same as commands, bans, /audit.
In MODERATION_MODE=pre every opinion waits for approval; in post only held ones do."""

from telegram import Update
from telegram.ext import CallbackQueryHandler, TypeHandler

from bot.features.moderation import audit_log, bans, guard, handlers
from bot.features.moderation.callbacks import BAN, QUEUE
from bot.features.moderation.service import ModerationService, Review, reload_word_lists
from bot.features.moderation.texts import t
from bot.features.staff import typed_inputs
from bot.telegram.application import GATE, Features

__all__ = ["ModerationService", "Review", "register", "reload_word_lists"]


def register(features: Features) -> None:
    features.add(TypeHandler(Update, guard.hard_banned), GATE)
    typed_inputs["reject"] = handlers.typed_for_moderation
    typed_inputs["merge"] = handlers.typed_for_moderation
    features.command("queue", handlers.queue, menu=t, rank=400, scope="admin")
    features.command("approve", handlers.approve, menu=t, rank=410, scope="admin")
    features.command("reject", handlers.reject, menu=t, rank=420, scope="admin")
    features.command("hide", handlers.hide, menu=t, rank=430, scope="admin")
    features.command("unhide", handlers.unhide, menu=t, rank=440, scope="admin")
    features.command("retag", handlers.retag, menu=t, rank=450, scope="admin")
    features.command("merge", handlers.merge, menu=t, rank=460, scope="admin")
    features.command("ban", bans.ban, menu=t, rank=470, scope="admin")
    features.command("unban", bans.unban, menu=t, rank=480, scope="admin")
    features.command("audit", audit_log.audit, menu=t, rank=490, scope="admin")
    features.add(CallbackQueryHandler(handlers.queue_pressed, pattern=QUEUE.pattern))
    features.add(CallbackQueryHandler(bans.ban_pressed, pattern=BAN.pattern))
