"""Buttons of the notice: 同意, the full notice, 不同意, and the other language."""

from bot.telegram.callbacks import CallbackData, Choice

_LANGS = ("zh", "en")

#: consent:<lang>: the person agrees to the notice they read in <lang>.
AGREE = CallbackData("consent", Choice("lang", *_LANGS))
#: notice:<lang>: the short notice in <lang> (before consent), or the resident's language.
LANGUAGE = CallbackData("notice", Choice("lang", *_LANGS))
#: fullnotice:<lang>: the full privacy notice in <lang>.
FULL = CallbackData("fullnotice", Choice("lang", *_LANGS))
#: decline:<lang>: the person does not agree; nothing is stored, and they are told so.
DECLINE = CallbackData("decline", Choice("lang", *_LANGS))
