"""The notice as people see it: welcome, privacy notice, 同意 and the other language."""

from __future__ import annotations

from bot.config import Settings
from bot.features.consent.callbacks import AGREE, LANGUAGE
from bot.features.consent.texts import t
from bot.telegram.keyboards import Button, Keyboard
from bot.telegram.texts import Lang


def notice(settings: Settings, lang: Lang, *, with_welcome: bool = True) -> str:
    body = t(lang, "privacy_notice", days=settings.retention_days, contact=settings.privacy_contact)
    return f"{t(lang, 'welcome')}\n\n{body}" if with_welcome else body


def notice_keyboard(lang: Lang) -> Keyboard:
    other: Lang = "en" if lang == "zh" else "zh"
    return [
        [Button(t(lang, "btn_agree"), AGREE.build(lang))],
        [Button(t(lang, "btn_other_lang"), LANGUAGE.build(other))],
    ]


def language_keyboard() -> Keyboard:
    return [[Button("中文", LANGUAGE.build("zh")), Button("English", LANGUAGE.build("en"))]]
