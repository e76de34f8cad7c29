"""Buttons of consultations. Each carries only a consultation id; the handler re-reads the
consultation and re-checks the presser (its author for a draft, an invited resident for an
invitation, an admin for the outcome picker)."""

from bot.telegram.callbacks import CallbackData, Choice, Id, Word

#: cs:<id>:<action>:<arg>: /consult's draft: toggle a sub-district (index, "all", "done"),
#: a deadline in days, publish, or cancel.
DRAFT = CallbackData(
    "cs",
    Id("c"),
    Choice("action", "sd", "dl", "pub", "no"),
    Word("arg", r"[0-9]{1,2}|all|done|x"),
)
#: ci:<id>:<join|no>: an invitation: take part (a draft attached to it), or not interested.
INVITATION = CallbackData("ci", Id("c"), Choice("answer", "join", "no"))
#: co:<id>: /outcome's picker: the closed consultation whose outcome is typed next.
OUTCOME = CallbackData("co", Id("c"))
