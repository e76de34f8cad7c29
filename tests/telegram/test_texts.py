"""The text catalogues: both languages fill the same blanks, and values are escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bot.app  # noqa: F401 (imports every feature, and so every catalogue)
from bot.features.intake.texts import t as intake_texts
from bot.telegram.texts import COMMON, Html, Texts, placeholders


def _entries() -> list[tuple[str, str]]:
    return [(texts.name, key) for texts in Texts.every for key in texts.entries]


@pytest.mark.parametrize(("catalogue", "key"), _entries())
def test_chinese_and_english_take_the_same_values(catalogue: str, key: str) -> None:
    # A blank only one language has would raise KeyError for the other at run time.
    texts = next(t for t in Texts.every if t.name == catalogue)
    assert placeholders(texts.template("zh", key)) == placeholders(texts.template("en", key))


def test_every_feature_has_a_catalogue_and_no_key_is_shadowed() -> None:
    names = [t.name for t in Texts.every]
    assert {"common", "consent", "intake", "account", "groups", "fallbacks"} <= set(names)
    assert len(names) == len(set(names))
    for texts in Texts.every:
        if texts.parent is not None:
            assert not set(texts.entries) & set(texts.parent.all_keys()), texts.name


def test_a_key_shared_with_the_parent_is_refused() -> None:
    with pytest.raises(ValueError, match="already in common"):
        Texts("clash", {"unsure": ("x", "x")}, parent=COMMON)
    assert "clash" not in [t.name for t in Texts.every]


def test_features_fall_back_to_the_common_texts() -> None:
    assert intake_texts("en", "unsure") == COMMON("en", "unsure")
    with pytest.raises(KeyError):
        intake_texts("zh", "no_such_text")


def test_values_are_escaped_unless_marked_safe() -> None:
    text = intake_texts("zh", "edited_opinion", ref="<b>x</b> & y")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in text
    assert "<b>YZ-000001</b>" in intake_texts("zh", "edited_opinion", ref=Html("YZ-000001"))


def test_a_catalogue_file_needs_both_languages_for_every_key(tmp_path: Path) -> None:
    broken = tmp_path / "texts.toml"
    broken.write_text('[hello]\nzh = "您好"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[hello\] needs exactly zh and en"):
        Texts.from_toml("broken", broken)
    broken.write_text('[hello]\nzh = "您好"\nen = ""\n', encoding="utf-8")
    with pytest.raises(ValueError, match="non-empty"):
        Texts.from_toml("broken", broken)


#: Catalogues whose English is checked for Chinese left untranslated.
ENGLISH_CHECKED = (
    "consent",
    "account",
    "groups",
    "fallbacks",
    "intake",
    "digests",
    "staff",
    "moderation",
    "stats",
    "exports",
    "consultations",
    "followup",
)
#: Chinese an English text may keep: the platform's name (explained in English where it
#: first appears), and the language labels that name each language in itself.
KEPT_IN_ENGLISH = ("渝事好商量", "中文", "请选择语言", "切换语言")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@pytest.mark.parametrize("catalogue", ENGLISH_CHECKED)
def test_english_texts_leave_no_chinese_untranslated(catalogue: str) -> None:
    texts = next(t for t in Texts.every if t.name == catalogue)
    for key, (_, en) in texts.entries.items():
        rest = en
        for kept in KEPT_IN_ENGLISH:
            rest = rest.replace(kept, "")
        assert not HAN.search(rest), (catalogue, key, en)


def test_the_platform_name_is_explained_in_english_on_the_first_screen() -> None:
    consent = next(t for t in Texts.every if t.name == "consent")
    assert "渝事好商量 (“let's talk it over”)" in consent.template("en", "short_notice")


def test_button_labels_show_what_people_wrote_unescaped() -> None:
    """Button labels are plain text: a resident's "大都会&时代广场" or an admin's title with
    "<b>" must not show as "&amp;" or "&lt;b&gt;"."""
    from bot.features.followup.views import cluster_label, item_label
    from bot.features.intake.texts import t as intake_t

    assert "大都会&时代广场" in item_label("zh", "YZ", 1, "大都会&时代广场之间")
    assert "&amp;" not in cluster_label("zh", 3, "A&B <x>")
    assert "<b>停车</b>" in intake_t.plain("zh", "btn_join", title="<b>停车</b>")
    assert "&lt;" in intake_t("zh", "btn_join", title="<b>")  # HTML messages still escape
