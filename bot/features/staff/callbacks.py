"""Buttons of members' settings: ms:<action>:<argument>. Each press is checked against the
presser's role in the database and changes only the presser's own settings."""

from bot.telegram.callbacks import CallbackData, Choice, Word

SETTINGS = CallbackData(
    "ms",
    Choice("action", "menu", "sd", "freq", "day", "time", "empty", "urgent", "lang", "done"),
    Word("arg", r"[0-9a-z*]{1,8}"),
)
