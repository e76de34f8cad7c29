"""The notice as people see it: a short first screen, the full notice on request, the
answer to 不同意, and their buttons."""

from __future__ import annotations

from bot.config import Settings
from bot.features.consent.callbacks import AGREE, DECLINE, FULL, LANGUAGE
from bot.features.consent.service import DRAFT_DAYS
from bot.features.consent.texts import t
from bot.telegram.keyboards import Button, Keyboard
from bot.telegram.texts import Lang


def other_lang(lang: Lang) -> Lang:
    return "en" if lang == "zh" else "zh"


def short_notice(settings: Settings, lang: Lang) -> str:
    """The first screen: who, why, how long, your rights; fits a phone without scrolling."""
    return t(lang, "short_notice", days=settings.retention_days)


def full_notice(settings: Settings, lang: Lang, *, with_welcome: bool = True) -> str:
    body = t(
        lang,
        "privacy_notice",
        days=settings.retention_days,
        draft_days=DRAFT_DAYS,
        contact=settings.privacy_contact,
    )
    return f"{t(lang, 'welcome')}\n\n{body}" if with_welcome else body


def declined(settings: Settings, lang: Lang) -> str:
    return t(lang, "declined", phone=settings.office_phone)


def help_text(settings: Settings, lang: Lang) -> str:
    return t(
        lang,
        "help",
        phone=settings.office_phone,
        digest_time=settings.digest_time,
        days=settings.response_days,
    )


def notice_keyboard(lang: Lang, *, full: bool = False) -> Keyboard:
    """[同意][完整说明] / [不同意][English]. On the full notice the second button goes back
    to the short one and the language button keeps the full one: each press shows something
    new, never the same text again."""
    if full:
        toggle = Button(t(lang, "btn_short"), LANGUAGE.build(lang))
        switch = Button(t(lang, "btn_other_lang"), FULL.build(other_lang(lang)))
    else:
        toggle = Button(t(lang, "btn_full"), FULL.build(lang))
        switch = Button(t(lang, "btn_other_lang"), LANGUAGE.build(other_lang(lang)))
    return [
        [Button(t(lang, "btn_agree"), AGREE.build(lang)), toggle],
        [Button(t(lang, "btn_decline"), DECLINE.build(lang)), switch],
    ]


def language_keyboard() -> Keyboard:
    return [[Button("中文", LANGUAGE.build("zh")), Button("English", LANGUAGE.build("en"))]]
