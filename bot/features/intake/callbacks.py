"""Buttons of a draft's questions.

Every button carries the draft's question number (`q`): only the live question's buttons
act; a press on an older one (a double tap, a keyboard left higher up) is answered once and
changes nothing.
"""

from bot.telegram.callbacks import CallbackData, Choice, Id, Word

#: sd:<draft>:<q>:<sub-district index | u>: the resident confirms or corrects the sub-district.
SUBDISTRICT = CallbackData("sd", Id("draft"), Id("q"), Word("choice", r"[0-9]{1,2}|u"))
#: cat:<draft>:<q>:<category key>: the topic; pressing it submits the opinion.
CATEGORY = CallbackData("cat", Id("draft"), Id("q"), Word("key", r"[a-z_]{1,40}"))

#: The other answers a draft's questions take.
SUBMIT = "submit"  # the card: send it as shown
CHANGE_SUBDISTRICT = "chsd"  # the card: pick another sub-district
CHANGE_CATEGORY = "chcat"  # the card: pick another topic
IS_PROBLEM = "yes"  # "is this something to raise?" yes
NOT_PROBLEM = "no"  # … no
ANYWAY = "anyway"  # outside Yuzhong, but the resident says it is in Yuzhong
NOT_SUBMIT = "drop"  # outside Yuzhong: fine, not submitted
SPLIT = "split"  # two problems: two opinions
AS_ONE = "one"  # … keep them as one
MINE = "mine"  # a forwarded text: my own problem
NOT_MINE = "notmine"  # … only passed on
ME_TOO = "metoo"  # the same matter is open: join it
APART = "apart"  # … send mine separately (also: not into the open consultation)
JOIN = "join"  # a consultation is open here: attach the opinion to it
ACTIONS = (
    SUBMIT,
    CHANGE_SUBDISTRICT,
    CHANGE_CATEGORY,
    IS_PROBLEM,
    NOT_PROBLEM,
    ANYWAY,
    NOT_SUBMIT,
    SPLIT,
    AS_ONE,
    MINE,
    NOT_MINE,
    ME_TOO,
    APART,
    JOIN,
)
#: dr:<draft>:<q>:<action>
ACTION = CallbackData("dr", Id("draft"), Id("q"), Choice("action", *ACTIONS))

#: optin:<yes|no>: invitations to consultations in the resident's sub-district (asked once
#: with the first receipt; /invitations shows the same buttons). The presser's own choice.
OPT_IN = CallbackData("optin", Choice("answer", "yes", "no"))
