"""Domain logic without Telegram or a database: the district, tagging, text, references.

Plain functions and frozen dataclasses; nothing here imports telegram, sqlalchemy or the rest
of ``bot``.
"""

from bot.domain.categories import (
    CATEGORIES,
    Category,
    CategoryGuess,
    category_by_key,
    category_label,
    suggest_category,
)
from bot.domain.district import (
    Alias,
    BBox,
    Community,
    District,
    FormerSubdistrict,
    Landmark,
    LocateRule,
    OutsidePlace,
    Road,
    SubDistrict,
    load_district,
)
from bot.domain.gazetteer import PlaceMatch, find_places
from bot.domain.geo import LocationGuess, haversine_m, locate
from bot.domain.levels import Level, level_of
from bot.domain.references import parse_reference, reference_number
from bot.domain.tagging import OutsideMention, SubdistrictGuess, suggest_subdistrict
from bot.domain.text import (
    TextCheck,
    TextReason,
    check_opinion_text,
    clean_text,
    contains_personal_data,
    mask_personal_data,
    matching_form,
)

__all__ = [
    "CATEGORIES",
    "Alias",
    "BBox",
    "Category",
    "CategoryGuess",
    "Community",
    "District",
    "FormerSubdistrict",
    "Landmark",
    "Level",
    "LocateRule",
    "LocationGuess",
    "OutsideMention",
    "OutsidePlace",
    "PlaceMatch",
    "Road",
    "SubDistrict",
    "SubdistrictGuess",
    "TextCheck",
    "TextReason",
    "category_by_key",
    "category_label",
    "check_opinion_text",
    "clean_text",
    "contains_personal_data",
    "find_places",
    "haversine_m",
    "level_of",
    "load_district",
    "locate",
    "mask_personal_data",
    "matching_form",
    "parse_reference",
    "reference_number",
    "suggest_category",
    "suggest_subdistrict",
]
