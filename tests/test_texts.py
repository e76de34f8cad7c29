"""The text catalogue: both languages fill the same blanks, and values are escaped."""

from __future__ import annotations

import string

import pytest

from bot.texts import Html, keys, t


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", keys())
def test_chinese_and_english_take_the_same_values(key: str) -> None:
    # A blank only one language has would raise KeyError for the other at run time.
    zh = _fields(t("zh", key))  # no values given: the raw template
    en = _fields(t("en", key))
    assert zh == en, key


def test_values_are_escaped_unless_marked_safe() -> None:
    text = t("zh", "edited_opinion", ref="<b>x</b> & y")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in text
    assert "<b>YZ-000001</b>" in t("zh", "edited_opinion", ref=Html("YZ-000001"))
