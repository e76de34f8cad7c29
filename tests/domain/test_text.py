"""Cleaning and checking what residents write."""

from __future__ import annotations

import pytest

from bot.domain import check_opinion_text, clean_text, matching_form


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("停\u200b车\u200c难\u200d", "停车难"),  # zero-width space, non-joiner, joiner
        ("\ufeff解放碑\u2060\u2061\u2064", "解放碑"),  # BOM, word joiner, invisible operators
        ("abc\u202eevil\u202c", "abcevil"),  # bidi override and pop
        ("\u200e\u200f\u061c\u2066x\u2067\u2068\u2069\u202a\u202b\u202d", "x"),
        ("a\x00b\x07c\x1bd\x7fe\x85f", "abcde\nf"),  # controls dropped, NEL is a line break
        ("第一行\r\n第二行\r第三行", "第一行\n第二行\n第三行"),
        ("a\u2028b\u2029c", "a\nb\nc"),
        ("a\n\n\n\n\n\nb", "a\n\n\nb"),  # at most two blank lines
        ("a\n\n\nb", "a\n\n\nb"),
        ("a  \n \t\nb", "a\n\nb"),  # trailing blanks on lines, whitespace-only lines
        ("  \n 开头结尾 \n\n ", "开头结尾"),
        ("\t缩进保留", "缩进保留"),  # ends are stripped, inner tabs kept
        ("a\tb", "a\tb"),
        ("全角，标点！１２３", "全角，标点！１２３"),  # no NFKC of the stored text
        ("\u3164\u115f\u034f", ""),  # Hangul fillers, combining grapheme joiner
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # ZWJ inside an emoji sequence stays
        (
            "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
            "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
        ),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("凯旋路停车太乱", "ok"),
        ("ok", "ok"),
        ("", "empty"),
        ("   ", "empty"),
        ("\n\t\u3000\n", "empty"),
        ("\u200b\u200b", "empty"),  # nothing left after cleaning
        ("👍👍", "no_words"),
        ("！！！。。。", "no_words"),
        ("??? ...", "no_words"),
        ("❤️❤️❤️", "no_words"),
        ("好", "too_short"),
        ("1", "too_short"),
    ],
)
def test_check_opinion_text(text: str, reason: str) -> None:
    check = check_opinion_text(text)
    assert check.reason == reason
    assert check.ok == (reason == "ok")


def test_too_long_reports_length_and_limit() -> None:
    check = check_opinion_text("停" * 2001)
    assert (check.reason, check.length, check.max_chars) == ("too_long", 2001, 2000)
    assert check_opinion_text("停" * 2000).ok
    assert check_opinion_text("停" * 11, max_chars=10).reason == "too_long"
    assert check_opinion_text("停车", min_chars=3).reason == "too_short"


def test_length_counts_code_points_of_the_cleaned_text() -> None:
    check = check_opinion_text("  😀停车\u200b  ")
    assert (check.text, check.length) == ("😀停车", 3)


def test_matching_form() -> None:
    assert matching_form("解 放　碑") == "解放碑"
    assert matching_form("ＹＺ－１２３") == "YZ-123"
    assert matching_form("洪\u200b崖洞") == "洪崖洞"
    assert matching_form("Jiefang bei") == "Jiefang bei"  # spaces between Latin words stay
