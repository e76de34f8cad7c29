"""Groups and channels: nothing there is taken as an opinion. A group is told so once; a
channel is never written to (a post there reaches every subscriber). Blocking and
unblocking the bot (my_chat_member) is recorded here too."""

from telegram.ext import ChatMemberHandler, MessageHandler, filters

from bot.features.groups import handlers
from bot.telegram.application import GUARDS, PRIVATE, Features

__all__ = ["register"]


def register(features: Features) -> None:
    features.add(
        ChatMemberHandler(handlers.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER), GUARDS
    )
    # Stops every later group (ApplicationHandlerStop): no feature sees group messages.
    features.add(
        MessageHandler(
            ~PRIVATE & (filters.UpdateType.MESSAGES | filters.UpdateType.CHANNEL_POSTS),
            handlers.not_private,
        ),
        GUARDS,
    )
