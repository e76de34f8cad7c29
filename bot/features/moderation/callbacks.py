"""Moderation buttons: mq:<card>:<action>:<argument>. The card is a row (moderation_cards)
naming the admin it was shown to and the opinion: nothing in the button is trusted."""

from bot.telegram.callbacks import CallbackData, Choice, Id, Word

QUEUE = CallbackData(
    "mq",
    Id("card"),
    Choice(
        "action",
        "ok",
        "rj",
        "hd",
        "rr",
        "hr",
        "sd",
        "cat",
        "dup",
        "orig",
        "next",
        "bulk",
        "bulkok",
        "back",
    ),
    # A category goes by its key (positions move when a category is added).
    Word("arg", r"[0-9a-z_]{1,24}"),
)
#: bn:<card>:yes|no: confirm banning a member or an admin (the card names who and how).
BAN = CallbackData("bn", Id("card"), Choice("answer", "yes", "no"))
