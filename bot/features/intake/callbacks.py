"""Buttons of the two questions a draft asks."""

from bot.telegram.callbacks import CallbackData, Id, Word

#: sd:<draft>:<sub-district index | u>: the resident confirms or corrects the sub-district.
SUBDISTRICT = CallbackData("sd", Id("draft"), Word("choice", r"[0-9]{1,2}|u"))
#: cat:<draft>:<category key>: the topic; pressing it submits the opinion.
CATEGORY = CallbackData("cat", Id("draft"), Word("key", r"[a-z_]{1,40}"))
