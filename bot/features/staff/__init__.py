"""Roles and members: /grant, /revoke, /roles, /invite (admins), invite links, /settings
(members' digest settings), and the command menus of each role."""

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.features.staff import handlers, settings
from bot.features.staff.access import Staffer, refuse, staff_only
from bot.features.staff.callbacks import SETTINGS
from bot.features.staff.service import MemberSettings, StaffService
from bot.features.staff.settings import typed_inputs
from bot.features.staff.texts import t
from bot.telegram.application import GUARDS, NEW, PRIVATE, SEEN, Features

__all__ = [
    "MemberSettings",
    "StaffService",
    "Staffer",
    "refuse",
    "register",
    "staff_only",
    "typed_inputs",
]


def register(features: Features) -> None:
    # Before consent's /start: an invite link opens as "/start inv_<code>".
    features.add(
        CommandHandler(
            "start",
            handlers.start_with_invite,
            filters=PRIVATE & NEW & filters.Regex(r"^/start(@\w+)?\s+inv_"),
        )
    )
    # A time typed into /settings is taken before the resident flow could see it.
    features.add(
        MessageHandler(PRIVATE & NEW & filters.TEXT & ~filters.COMMAND, settings.typed_answer),
        GUARDS,
    )
    features.add(CommandHandler("cancel", settings.cancel_typed, filters=PRIVATE & NEW), GUARDS)
    # Whatever an unreachable admin or member sends, they can be written to again.
    features.add(MessageHandler(PRIVATE & NEW, handlers.came_back), SEEN)
    features.command("settings", settings.settings_command, menu=t, rank=210, scope="member")
    features.command("grant", handlers.grant, menu=t, rank=310, scope="admin")
    features.command("revoke", handlers.revoke, menu=t, rank=320, scope="admin")
    features.command("roles", handlers.roles, menu=t, rank=330, scope="admin")
    features.command("invite", handlers.invite, menu=t, rank=340, scope="admin")
    features.add(CallbackQueryHandler(settings.settings_pressed, pattern=SETTINGS.pattern))
