"""Buttons of the notice: 同意 in a language, and the notice in the other language."""

from bot.telegram.callbacks import CallbackData, Choice

#: consent:<lang>: the person agrees to the notice they read in <lang>.
AGREE = CallbackData("consent", Choice("lang", "zh", "en"))
#: notice:<lang>: show the notice (or switch the resident's language) to <lang>.
LANGUAGE = CallbackData("notice", Choice("lang", "zh", "en"))
