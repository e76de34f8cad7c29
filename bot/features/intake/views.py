"""A draft's questions (card, sub-district, topic, is-it-a-problem, outside, split, forwarded),
the receipt, and the answers to what is not a problem, as HTML and keyboards."""

from __future__ import annotations

from bot.deps import Deps
from bot.domain import CATEGORIES, District, category_label, reference_number
from bot.domain.intents import Intent, Kind, Topic
from bot.domain.levels import level_of
from bot.domain.text import mask_personal_data, shorten
from bot.features.intake import callbacks as cb
from bot.features.intake.outcomes import Supported
from bot.features.intake.service import (
    CATEGORY,
    CONFIRM,
    CONSULT,
    NEED_TEXT,
    OUTSIDE,
    OWN,
    SPLIT,
    SUPPORT,
    UNCLEAR,
    UNSURE,
    Ask,
)
from bot.features.intake.texts import t
from bot.telegram.keyboards import Button, Keyboard, pairs
from bot.telegram.labels import category_name, subdistrict_label, subdistrict_name
from bot.telegram.texts import Html, Lang

#: How much of the text the card quotes (the whole text is kept and submitted).
CARD_QUOTE = 600
#: How much of a consultation's title a button shows.
BUTTON_TITLE = 14


def short_title(title: str | None, limit: int = BUTTON_TITLE) -> str:
    return shorten(title or "", limit)


def _action(ask: Ask, label: str, action: str) -> Button:
    return Button(label, cb.ACTION.build(ask.draft.id, ask.draft.question_seq, action))


def subdistrict_keyboard(ask: Ask, lang: Lang, district: District) -> Keyboard:
    """Likely sub-districts first, one big button each (the suggestion marked 👉 only when
    it is more than a guess), then the rest two a row."""
    guess = ask.text_guess
    seq = ask.draft.question_seq
    marked: str | None = None
    if guess is not None and guess.former_name:
        first = list(guess.candidates)
    else:
        suggested = ask.draft.suggested_subdistrict
        confidence = ask.draft.suggestion_confidence or 0.0
        if suggested and level_of(confidence) in ("high", "medium"):
            marked = suggested
        first = [c for c in (suggested, *(guess.candidates if guess else ())) if c]
        first = list(dict.fromkeys(first))[:3]
    rows: Keyboard = []
    for code in first:
        sub = district.by_code(code)
        if sub is not None:
            label = subdistrict_label(sub, lang)
            if code == marked:
                label = t(lang, "suggested_mark", name=label)
            data = cb.SUBDISTRICT.build(ask.draft.id, seq, district.index_of(code))
            rows.append([Button(label, data)])
    rest = [
        Button(subdistrict_label(sub, lang), cb.SUBDISTRICT.build(ask.draft.id, seq, i))
        for i, sub in enumerate(district.subdistricts)
        if sub.code not in first
    ]
    rows.extend(pairs(rest))
    unsure = cb.SUBDISTRICT.build(ask.draft.id, seq, UNSURE)
    rows.append([Button(t(lang, "btn_unsure"), unsure)])
    if ask.draft.category is not None:
        rows.append([_action(ask, t(lang, "btn_change_category"), cb.CHANGE_CATEGORY)])
    return rows


def category_keyboard(ask: Ask, lang: Lang) -> Keyboard:
    """The suggested topic first (marked), a second topic the text also names next, then
    the rest two a row."""
    guess = ask.category_guess
    suggested = guess.key if guess else None
    second = guess.secondary if guess else None
    seq = ask.draft.question_seq
    rows: Keyboard = []
    rest: list[Button] = []
    for cat in CATEGORIES:
        data = cb.CATEGORY.build(ask.draft.id, seq, cat.key)
        if cat.key == suggested and cat.key != "other":
            rows.insert(
                0, [Button(t(lang, "suggested_mark", name=category_label(cat, lang)), data)]
            )
        elif cat.key == second and cat.key != "other":
            rows.append([Button(category_label(cat, lang), data)])
        else:
            rest.append(Button(category_label(cat, lang), data))
    rows.extend(pairs(rest))
    if ask.draft.subdistrict is not None or ask.draft.subdistrict_unsure:
        rows.append([_action(ask, t(lang, "btn_change_subdistrict"), cb.CHANGE_SUBDISTRICT)])
    return rows


def _quote(text: str) -> str:
    if len(text) <= CARD_QUOTE:
        return text
    return text[:CARD_QUOTE] + "…"


def _where(ask: Ask, lang: Lang, district: District) -> str:
    if ask.draft.subdistrict_unsure or ask.draft.subdistrict is None:
        return t(lang, "area_unsure")
    return subdistrict_name(district, ask.draft.subdistrict, lang)


def _extras(ask: Ask, lang: Lang) -> str:
    """What comes with the text: photos, voice, a pin."""
    d = ask.draft
    bits = []
    if d.photo_file_ids:
        bits.append(t(lang, "with_photos", n=len(d.photo_file_ids)))
    if d.voice_file_ids:
        bits.append(t(lang, "with_voice", n=len(d.voice_file_ids)))
    if d.has_location:
        bits.append(t(lang, "with_location"))
    return " · ".join(bits) + "\n" if bits else ""


def _card(ask: Ask, lang: Lang, district: District) -> tuple[str, Keyboard]:
    d = ask.draft
    text = t(lang, "card_text", text=_quote(d.text)) if d.text else ""
    extras = _extras(ask, lang)
    outside = ""
    guess = ask.text_guess
    if guess is not None and guess.outside is not None:
        outside = "\n" + t(
            lang,
            "card_outside_named",
            place=guess.outside[0],
            district=district_name(guess.outside[1], lang, district),
        )
    body = t(
        lang,
        "card",
        text=Html(text),
        extras=extras,
        subdistrict=_where(ask, lang, district),
        category=category_name(d.category or "other", lang),
    )
    keyboard: Keyboard = [
        [_action(ask, t(lang, "btn_submit"), cb.SUBMIT)],
        [
            _action(ask, t(lang, "btn_change_subdistrict"), cb.CHANGE_SUBDISTRICT),
            _action(ask, t(lang, "btn_change_category"), cb.CHANGE_CATEGORY),
        ],
    ]
    if d.consultation_id is not None and ask.consultation_title:
        body += "\n" + t(lang, "card_consultation", title=short_title(ask.consultation_title, 40))
    return body + outside, keyboard


def _subdistrict_question(ask: Ask, lang: Lang, district: District) -> str:
    guess, pin = ask.text_guess, ask.location_guess
    suggested = ask.draft.suggested_subdistrict
    if ask.note == "insisted":
        return t(lang, "ask_subdistrict_insisted")
    if not ask.draft.text and ask.draft.voice_file_ids:
        return t(lang, "ask_subdistrict_voice")
    if guess is not None and guess.former_name:
        options = "、".join(subdistrict_name(district, c, lang) for c in guess.candidates)
        return t(lang, "ask_subdistrict_former", former=guess.former_name, options=options)
    if suggested and guess is not None and guess.code == suggested and guess.evidence:
        sure = level_of(ask.draft.suggestion_confidence or 0.0) in ("high", "medium")
        return t(
            lang,
            "ask_subdistrict_guess" if sure else "ask_subdistrict_maybe",
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
    return t(lang, "ask_subdistrict_none")


def _outside(ask: Ask, lang: Lang, deps: Deps) -> tuple[str, Keyboard]:
    guess, pin = ask.text_guess, ask.location_guess
    phone = deps.settings.office_phone
    if guess is not None and guess.outside is not None:
        place, where = guess.outside
        where = district_name(where, lang, deps.district)
        if place.rstrip("区") == guess.outside[1].rstrip("区"):
            body = t(lang, "outside_district", district=where, phone=phone)  # 沙坪坝区 itself
        else:
            body = t(lang, "outside_place", place=place, district=where, phone=phone)
    else:
        km = f"{pin.distance_m / 1000:.0f}" if pin is not None else "?"
        body = t(lang, "outside_location", km=km, phone=phone)
    keyboard: Keyboard = [
        [_action(ask, t(lang, "btn_in_yuzhong"), cb.ANYWAY)],
        [_action(ask, t(lang, "btn_not_submit"), cb.NOT_SUBMIT)],
    ]
    return body, keyboard


def district_name(name: str, lang: Lang, district: District) -> str:
    """Another district's name in the resident's language: 江北区, or Jiangbei District (from
    the district data's English names)."""
    if lang != "en":
        return name
    return next((o.en for o in district.outside_places if o.name == name and o.en), name)


def _split(ask: Ask, lang: Lang, district: District) -> tuple[str, Keyboard]:
    lines = []
    for i, part in enumerate(ask.parts, 1):
        where = (
            subdistrict_name(district, part.subdistrict, lang)
            if part.subdistrict
            else t(lang, "area_to_ask")
        )
        lines.append(
            t(
                lang,
                "split_line",
                n=i,
                text=_quote(part.text)[:120],
                subdistrict=where,
                category=category_name(part.category, lang),
            )
        )
    body = t(lang, "split_offer", count=len(ask.parts), parts=Html("\n".join(lines)))
    keyboard: Keyboard = [
        [_action(ask, t(lang, "btn_split", count=len(ask.parts)), cb.SPLIT)],
        [_action(ask, t(lang, "btn_as_one"), cb.AS_ONE)],
    ]
    return body, keyboard


def _need_text(ask: Ask, lang: Lang) -> str:
    """The words are still missing: after a bare place, a pin, a photo, or anything else."""
    d, pin = ask.draft, ask.location_guess
    if d.consultation_id is not None and not d.text:
        return t(lang, "need_text_consult", title=ask.consultation_title or "")
    if d.text:
        return t(lang, "need_text_place", place=d.text)
    if d.photo_file_ids:
        return t(lang, "need_text_photo")
    if pin is not None and not pin.inside:
        return t(lang, "need_text_location_outside", km=f"{pin.distance_m / 1000:.0f}")
    if d.has_location:
        return t(lang, "need_text_location")
    return t(lang, "need_text")


def render_ask(ask: Ask, lang: Lang, deps: Deps) -> tuple[str, Keyboard | None]:
    district = deps.district
    notes = {
        "appended": "appended_" + ask.stage,
        "photo_added": "photo_added",
        "voice_added": "voice_added",
        "location_added": "location_added",
        "edited": "edited_draft",
        "use_buttons": "use_buttons",
        "what_to_change": "what_to_change",
        "finish_first": "consult_finish_first",
    }
    key = notes.get(ask.note or "")
    prefix = t(lang, key) + "\n\n" if key else ""
    if ask.stage == NEED_TEXT:
        return prefix + _need_text(ask, lang), None
    if ask.stage == CONFIRM:
        body, card = _card(ask, lang, district)
        return prefix + body, card
    if ask.stage == CATEGORY:
        sub = _where(ask, lang, district)
        guess = ask.category_guess
        if guess is not None and guess.key != "other":
            label = category_name(guess.key, lang)
            body = t(lang, "ask_category_guess", subdistrict=sub, category=label)
        else:
            body = t(lang, "ask_category", subdistrict=sub)
        return prefix + body, category_keyboard(ask, lang)
    if ask.stage == UNCLEAR:
        keyboard: Keyboard = [
            [
                _action(ask, t(lang, "btn_is_problem"), cb.IS_PROBLEM),
                _action(ask, t(lang, "btn_not_problem"), cb.NOT_PROBLEM),
            ]
        ]
        return prefix + t(lang, "ask_is_problem", text=_quote(ask.draft.text)[:200]), keyboard
    if ask.stage == OUTSIDE:
        body, keyboard = _outside(ask, lang, deps)
        return prefix + body, keyboard
    if ask.stage == SPLIT:
        body, keyboard = _split(ask, lang, district)
        return prefix + body, keyboard
    if ask.stage == SUPPORT and ask.similar is not None:
        similar = ask.similar
        ref = reference_number(district.reference_prefix, similar.opinion_id)
        body = t(
            lang,
            "support_offer",
            count=similar.residents,
            ref=ref,
            theirs=_quote(mask_personal_data(similar.text))[:80],
            subdistrict=_where(ask, lang, district),
        )
        keyboard = [
            [_action(ask, t(lang, "btn_me_too"), cb.ME_TOO)],
            [_action(ask, t(lang, "btn_apart"), cb.APART)],
        ]
        return prefix + body, keyboard
    if ask.stage == CONSULT:
        title = ask.consultation_title or ""
        body = t(lang, "consult_offer", title=title, subdistrict=_where(ask, lang, district))
        keyboard = [
            [_action(ask, t.plain(lang, "btn_join", title=short_title(title)), cb.JOIN)],
            [_action(ask, t(lang, "btn_alone"), cb.APART)],
        ]
        return prefix + body, keyboard
    if ask.stage == OWN:
        keyboard = [
            [_action(ask, t(lang, "btn_mine"), cb.MINE)],
            [_action(ask, t(lang, "btn_not_mine"), cb.NOT_MINE)],
        ]
        return prefix + t(lang, "ask_own"), keyboard
    body = _subdistrict_question(ask, lang, district)
    if ask.draft.category is not None:
        topic = category_name(ask.draft.category, lang)
        body += "\n" + t(lang, "known_topic", category=topic)
    return prefix + body, subdistrict_keyboard(ask, lang, district)


def receipt(
    ref: str,
    subdistrict: str | None,
    category_key: str,
    lang: Lang,
    deps: Deps,
    *,
    consultation_title: str | None = None,
    consultation_closed: bool = False,
) -> str:
    district = deps.district
    settings = deps.settings
    if subdistrict:
        key = "receipt"
        where = subdistrict_name(district, subdistrict, lang)
    else:
        key = "receipt_unsure"
        where = t(lang, "area_unsure")
    text = t(
        lang,
        key,
        ref=Html(ref),
        subdistrict=where,
        category=category_name(category_key, lang),
        days=settings.response_days,
        phone=settings.office_phone,
    )
    if consultation_closed:
        text += "\n" + t(lang, "receipt_consultation_closed", title=consultation_title or "")
    elif consultation_title:
        text += "\n" + t(lang, "receipt_consultation", title=consultation_title)
    return text


def supported_text(supported: Supported, lang: Lang, deps: Deps) -> str:
    """我也是 done: who else raised it, and its reference."""
    ref = reference_number(deps.district.reference_prefix, supported.opinion_id)
    return t(
        lang,
        "supported",
        ref=Html(ref),
        count=supported.residents,
        theirs=_quote(mask_personal_data(supported.text))[:80],
        phone=deps.settings.office_phone,
    )


#: Which text answers which typed command or question.
_TOPIC_TEXT = {
    Topic.WHO: "about_who",
    Topic.GOVERNMENT: "about_government",
    Topic.WHAT_NEXT: "about_what_next",
    Topic.HOW_LONG: "about_how_long",
    Topic.HOW_TO: "about_how_to",
    Topic.PRIVACY: "about_privacy",
    Topic.CANNOT_TYPE: "about_cannot_type",
    Topic.SCOPE: "about_scope",
    Topic.HELP: "about_how_to",
    Topic.HUMAN: "about_human",
    Topic.STATUS: "about_status",
    Topic.REPORT: "about_report",
    Topic.CANCEL: "about_cancel_nothing",
}
_KIND_TEXT = {
    Kind.GREETING: "hello",
    Kind.THANKS: "thanks",
    Kind.CONFIRM: "nothing_pending",
    Kind.DENY: "nothing_pending",
    Kind.UNSURE: "nothing_pending",
}


def answer_text(intent: Intent, lang: Lang, deps: Deps, *, pending: bool) -> str:
    """The answer to a message that is not a problem."""
    settings = deps.settings
    if intent.topic is not None:
        key = _TOPIC_TEXT.get(intent.topic, "about_how_to")
    else:
        key = _KIND_TEXT.get(intent.kind, "about_how_to")
    if pending and key == "nothing_pending":
        key = "use_buttons"
    if pending and key == "about_report":
        key = "report_pending"
    return t(
        lang,
        key,
        phone=settings.office_phone,
        days=settings.response_days,
        retention=settings.retention_days,
    )


def opt_in_keyboard(lang: Lang) -> Keyboard:
    """[愿意接收] [不用了]: invitations to consultations in the resident's sub-district."""
    return [
        [
            Button(t(lang, "btn_invitations_yes"), cb.OPT_IN.build("yes")),
            Button(t(lang, "btn_invitations_no"), cb.OPT_IN.build("no")),
        ]
    ]
