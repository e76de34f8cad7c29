"""The questions a draft asks (sub-district, topic) and the receipt, as HTML and keyboards."""

from __future__ import annotations

from bot.deps import Deps
from bot.domain import CATEGORIES, District, category_label
from bot.features.intake import callbacks
from bot.features.intake.service import CATEGORY, NEED_TEXT, UNSURE, Ask
from bot.features.intake.texts import t
from bot.telegram.keyboards import Button, Keyboard, pairs
from bot.telegram.labels import category_name, subdistrict_label, subdistrict_name
from bot.telegram.texts import Html, Lang


def subdistrict_keyboard(ask: Ask, lang: Lang, district: District) -> Keyboard:
    """Suggested sub-districts first (one big button each), then the rest two a row."""
    first: list[str] = []
    guess = ask.text_guess
    if guess is not None and guess.former_name:
        first = list(guess.candidates)
    elif ask.draft.suggested_subdistrict:
        first = [ask.draft.suggested_subdistrict]
    rows: Keyboard = []
    for code in first:
        sub = district.by_code(code)
        if sub is not None:
            label = t(lang, "suggested_mark", name=subdistrict_label(sub, lang))
            data = callbacks.SUBDISTRICT.build(ask.draft.id, district.index_of(code))
            rows.append([Button(label, data)])
    rest = [
        Button(subdistrict_label(sub, lang), callbacks.SUBDISTRICT.build(ask.draft.id, i))
        for i, sub in enumerate(district.subdistricts)
        if sub.code not in first
    ]
    rows.extend(pairs(rest))
    unsure = callbacks.SUBDISTRICT.build(ask.draft.id, UNSURE)
    rows.append([Button(t(lang, "btn_unsure"), unsure)])
    return rows


def category_keyboard(ask: Ask, lang: Lang) -> Keyboard:
    suggested = ask.category_guess.key if ask.category_guess else None
    rows: Keyboard = []
    rest: list[Button] = []
    for cat in CATEGORIES:
        data = callbacks.CATEGORY.build(ask.draft.id, cat.key)
        if cat.key == suggested and cat.key != "other":
            rows.append([Button(t(lang, "suggested_mark", name=category_label(cat, lang)), data)])
        else:
            rest.append(Button(category_label(cat, lang), data))
    rows.extend(pairs(rest))
    return rows


def _subdistrict_question(ask: Ask, lang: Lang, district: District) -> str:
    guess, pin = ask.text_guess, ask.location_guess
    suggested = ask.draft.suggested_subdistrict
    if guess is not None and guess.former_name:
        options = "、".join(subdistrict_name(district, c, lang) for c in guess.candidates)
        return t(lang, "ask_subdistrict_former", former=guess.former_name, options=options)
    if suggested and guess is not None and guess.code == suggested and guess.evidence:
        return t(
            lang,
            "ask_subdistrict_guess",
            name=subdistrict_name(district, suggested, lang),
            evidence="、".join(guess.evidence[:3]),
        )
    if suggested and pin is not None and pin.inside:
        return t(
            lang,
            "ask_subdistrict_location",
            name=subdistrict_name(district, suggested, lang),
            km=f"{pin.distance_m / 1000:.1f}",
        )
    if guess is not None and guess.outside is not None:
        place, where = guess.outside
        return t(lang, "ask_subdistrict_outside", place=place, district=where)
    if pin is not None and not pin.inside:
        return t(lang, "location_outside", km=f"{pin.distance_m / 1000:.0f}")
    return t(lang, "ask_subdistrict_none")


def render_ask(ask: Ask, lang: Lang, deps: Deps) -> tuple[str, Keyboard | None]:
    district = deps.district
    notes = {
        "appended": t(lang, "appended"),
        "photo_added": t(lang, "photo_added"),
        "location_added": t(lang, "location_added"),
        "edited": t(lang, "edited_draft"),
    }
    note = notes.get(ask.note or "", "")
    prefix = note + "\n" if note else ""
    if ask.stage == NEED_TEXT:
        key = (
            "need_text_location"
            if ask.draft.has_location and not ask.draft.photo_file_ids
            else ("need_text_photo")
        )
        return prefix + t(lang, key), None
    if ask.stage == CATEGORY:
        sub = subdistrict_name(district, ask.draft.subdistrict, lang)
        guess = ask.category_guess
        if guess is not None and guess.key != "other":
            label = category_name(guess.key, lang)
            body = t(lang, "ask_category_guess", subdistrict=sub, category=label)
        else:
            body = t(lang, "ask_category", subdistrict=sub)
        return prefix + body, category_keyboard(ask, lang)
    body = _subdistrict_question(ask, lang, district)
    return prefix + body, subdistrict_keyboard(ask, lang, district)


def receipt(ref: str, subdistrict: str | None, category_key: str, lang: Lang, deps: Deps) -> str:
    district = deps.district
    sub = district.by_code(subdistrict) if subdistrict else None
    short = (sub.short if lang == "zh" else sub.pinyin) if sub else t(lang, "receipt_unsure_area")
    return t(
        lang,
        "receipt",
        ref=Html(ref),
        subdistrict=subdistrict_name(district, subdistrict, lang),
        subdistrict_short=short,
        category=category_name(category_key, lang),
    )
