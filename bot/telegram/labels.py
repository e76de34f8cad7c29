"""How sub-districts and topics are named to people, in either language."""

from __future__ import annotations

from bot.domain import District, SubDistrict, category_by_key, category_label
from bot.telegram.texts import COMMON, Lang


def subdistrict_label(sub: SubDistrict, lang: Lang) -> str:
    return f"{sub.name} ({sub.pinyin})" if lang == "en" else sub.name


def subdistrict_name(district: District, code: str | None, lang: Lang) -> str:
    sub = district.by_code(code) if code else None
    return subdistrict_label(sub, lang) if sub else COMMON(lang, "unsure")


def category_name(key: str, lang: Lang) -> str:
    cat = category_by_key(key)
    return category_label(cat, lang) if cat else key
