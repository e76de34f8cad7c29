"""Typed answers to the bot's questions.

Asked "which sub-district?", many residents type "南纪门" or "不知道" instead of pressing a
button. A short text that clearly names one answer is taken as that answer; anything longer
or unclear is more detail for the opinion. Places are found as the tagger finds them, so
"七星港那边", "18梯" and "李子坝站" are answers too; and since the question asks for a
sub-district, a name that only loosely sounds like one ("兰纪门") is taken as that one.
"""

from __future__ import annotations

import re

from bot.domain.categories import CATEGORIES
from bot.domain.district import District
from bot.domain.tagging import SubdistrictGuess, suggest_subdistrict
from bot.domain.text import matching_form

#: Longer than this, a text is an opinion (or more of one), not an answer.
MAX_ANSWER_CHARS = 12

UNSURE = "unsure"
UNSURE_WORDS = (
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
    "i don't know",
    "i dont know",
    "dunno",
    "idk",
    "no idea",
    "我也不知道",
    "不知道是哪个街道",
    "我也不清楚",
)
_FILLER = re.compile(r"[\s\.,!?;:'\"，。！？；：、“”‘’（）()…~～-]+")
#: Words that may stand around a place name in a reply ("在洪崖洞那边吧").
_PLACE_WORDS = re.compile(
    r"街道|社区|附近|旁边|周边|一带|那边|这边|那块|这块|那头|那里|这里|那儿|这儿|门口|"
    r"应该是|好像是|大概|可能|住|是|在|的|吧|啊|呀|哦|嗯|哈|噻|嘛|呢|就|我家|我们"
)


def _short(text: str) -> str | None:
    folded = _FILLER.sub("", matching_form(text)).casefold()
    return folded if 0 < len(folded) <= MAX_ANSWER_CHARS else None


def _is_unsure(text: str) -> bool:
    folded = _FILLER.sub(" ", matching_form(text)).casefold().strip()
    return any(folded.replace(" ", "") == w.replace(" ", "") for w in UNSURE_WORDS)


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
    if guess.code is None or not (guess.level == "high" or _names_subdistrict(guess)):
        return None
    # Only a bare place is an answer: "洪崖洞那边" is, "洪崖洞也有垃圾" is more opinion.
    # What is taken away is the text as written (七星港, 18梯), not the canonical name.
    rest = short
    written = {m.text for m in guess.matches if guess.code in m.entry.codes}
    for name in sorted(written, key=len, reverse=True):
        rest = rest.replace(_FILLER.sub("", name).casefold(), "")
    return guess.code if not _PLACE_WORDS.sub("", rest) else None


def _names_subdistrict(guess: SubdistrictGuess) -> bool:
    """The one place named is a sub-district, however loosely it was matched."""
    places = {(m.entry.name, m.entry.role) for m in guess.matches}
    return len(places) == 1 and guess.matches[0].entry.role in ("subdistrict", "short")


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
