"""Closing the loop: members act on items from their digest or /op (forwarded, adopted,
answered, resolved) with words that reach the resident, signed "委员" and the sub-district;
residents rate a resolution and may reopen it within REOPEN_DAYS; one rating reminder."""

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.features.digests.callbacks import FOLLOW_UP
from bot.features.followup import jobs, members, residents
from bot.features.followup.callbacks import FOLLOW, RATE, REOPEN
from bot.features.followup.service import FollowupService
from bot.features.staff import typed_inputs
from bot.telegram.application import GATE, NEW, PRIVATE, Features

__all__ = ["FollowupService", "register"]

#: A resident's reason for reopening must be taken before anything else reads their words:
#: the staff's typed answers (GUARDS) match every private text, and intake (MAIN) would make
#: it an opinion. No group is left between them, so this one comes before the gate; it
#: leaves hard-banned people to the gate and lets every other text through untouched.
REASONS = GATE - 1


def register(features: Features) -> None:
    # Residents: the reopen reason and its /cancel, before anything else reads their words.
    features.add(
        MessageHandler(PRIVATE & NEW & filters.TEXT & ~filters.COMMAND, residents.reason_typed),
        REASONS,
    )
    features.add(CommandHandler("cancel", residents.cancel_reason, filters=PRIVATE & NEW), REASONS)
    features.add(CallbackQueryHandler(residents.rate_pressed, pattern=RATE.pattern))
    features.add(CallbackQueryHandler(residents.reopen_pressed, pattern=REOPEN.pattern))
    # Members: the digest's (or /op's) button, the picker and cards, the words typed.
    typed_inputs["act"] = members.typed_for_followup
    features.add(CallbackQueryHandler(members.open_pressed, pattern=FOLLOW_UP.pattern))
    features.add(CallbackQueryHandler(members.follow_pressed, pattern=FOLLOW.pattern))
    # The one rating reminder.
    features.ticker("followup_reminders", jobs.rating_reminders)
