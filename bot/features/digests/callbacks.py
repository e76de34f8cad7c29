"""The button under a digest (and under /op's card) that opens its follow-up: fup:<card>.

The card (action_cards) names the member it was made for and the items it offers; the
followup feature handles the press and checks the presser again. Defined here, where the
button is drawn, so digests never import the followup feature (it imports digests)."""

from __future__ import annotations

from bot.features.digests.texts import t
from bot.telegram.callbacks import CallbackData, Id
from bot.telegram.keyboards import Button, Keyboard
from bot.telegram.texts import Lang

FOLLOW_UP = CallbackData("fup", Id("card"))


def follow_up_keyboard(card_id: int, lang: Lang, *, one: bool = False) -> Keyboard:
    """One button: a digest's items (or one item, `one`) to act on."""
    label = t(lang, "btn_follow_up_one" if one else "btn_follow_up")
    return [[Button(label, FOLLOW_UP.build(card_id))]]
