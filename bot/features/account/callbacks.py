"""Buttons of the erase confirmation."""

from bot.telegram.callbacks import CallbackData, Choice, Id

#: del:yes:<resident>: erase. The resident's id is in the button, so a confirmation left
#: over from an earlier account (erased, then consented again) cannot erase the new one.
ERASE = CallbackData("del", Choice("answer", "yes"), Id("resident"))
#: del:no:<resident>: keep everything. The id lets a press after an erasure say so.
KEEP = CallbackData("del", Choice("answer", "no"), Id("resident"))
#: del:no: the keep button of prompts sent before it named the account.
KEEP_UNNAMED = CallbackData("del", Choice("answer", "no"))
