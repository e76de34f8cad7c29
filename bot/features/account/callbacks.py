"""Buttons of the erase confirmation."""

from bot.telegram.callbacks import CallbackData, Choice, Id

#: del:yes:<resident>: erase. The resident's id is in the button, so a confirmation left
#: over from an earlier account (erased, then consented again) cannot erase the new one.
ERASE = CallbackData("del", Choice("answer", "yes"), Id("resident"))
#: del:no: keep everything.
KEEP = CallbackData("del", Choice("answer", "no"))
