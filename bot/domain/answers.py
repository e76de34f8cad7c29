"""Typed answers to the bot's questions.

Asked "which sub-district?", many residents type "南纪门" or "不知道" instead of pressing a
button. A short text that clearly names one answer is taken as that answer; anything longer
or unclear is more detail for the opinion.
"""

from __future__ import annotations

import re

from bot.domain.categories import CATEGORIES
from bot.domain.district import District
from bot.domain.tagging import suggest_subdistrict
from bot.domain.text import matching_form

#: Longer than this, a text is an opinion (or more of one), not an answer.
MAX_ANSWER_CHARS = 12

UNSURE = "unsure"
_UNSURE_WORDS = (
    "不确定",
    "不知道",
    "不清楚",
    "不晓得",
    "说不清",
    "不太清楚",
    "not sure",
    "unsure",
    "don't know",
    "dont know",
    "no idea",
)
_FILLER = re.compile(r"[\s\.,!?;:'\"，。！？；：、“”‘’（）()…~～-]+")


def _short(text: str) -> str | None:
    folded = _FILLER.sub("", matching_form(text)).casefold()
    return folded if 0 < len(folded) <= MAX_ANSWER_CHARS else None


def _is_unsure(text: str) -> bool:
    folded = _FILLER.sub(" ", matching_form(text)).casefold().strip()
    return any(folded.replace(" ", "") == w.replace(" ", "") for w in _UNSURE_WORDS)


def subdistrict_answer(text: str, district: District) -> str | None:
    """A sub-district code, UNSURE, or None when the text is not a clear answer."""
    if _is_unsure(text):
        return UNSURE
    short = _short(text)
    if short is None:
        return None
    sub = district.find(short.removesuffix("街道")) or district.find(short)
    if sub is not None:
        return sub.code
    guess = suggest_subdistrict(text, district)
    return guess.code if guess.code is not None and guess.level == "high" else None


def category_answer(text: str) -> str | None:
    """A category key when the text is (nearly) a category's name, else None."""
    short = _short(text)
    if short is None:
        return None
    for cat in CATEGORIES:
        names = {cat.zh, cat.en, *cat.zh.split("/"), *cat.en.split(" / ")}
        if any(short == _FILLER.sub("", n).casefold() for n in names if n):
            return cat.key
    return None
