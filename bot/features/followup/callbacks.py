"""Follow-up buttons. Members': fu:<card>:<action>:<arg>, the card (action_cards) naming the
member it was shown to and the items; nothing in the button is trusted. Residents':
rate:<opinion>:<1-5> and reopen:<opinion>, checked against the opinion's author at press."""

from bot.telegram.callbacks import CallbackData, Choice, Id, Word

FOLLOW = CallbackData(
    "fu",
    Id("card"),
    # pg: a page of the picker; it / cl: an item / a cluster of it; k: the kind of action;
    # dp: a department (or "t": typed); ok / no: the cluster's confirmation; bk: back.
    Choice("action", "pg", "it", "cl", "k", "dp", "ok", "no", "bk"),
    Word("arg", r"[0-9a-z]{1,4}"),
)
RATE = CallbackData("rate", Id("op"), Choice("stars", "1", "2", "3", "4", "5"))
REOPEN = CallbackData("reopen", Id("op"))
