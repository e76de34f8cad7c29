"""Phone and ID-card numbers are masked; other numbers are not."""

from __future__ import annotations

import unicodedata

import pytest

from bot.domain import contains_personal_data, mask_personal_data
from bot.domain.text import PersonalData, find_personal_data, is_valid_id18

VALID_ID = "11010519491231002X"  # the standard's own example
VALID_ID_2 = "500103199001011232"


def test_sample_ids_are_valid() -> None:
    assert is_valid_id18(VALID_ID)
    assert is_valid_id18(VALID_ID_2)
    assert not is_valid_id18("110105194912310021")  # wrong check character
    assert not is_valid_id18("500103199013011232")  # month 13


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我的电话13812345678", "我的电话138******78"),
        ("电话：138 1234 5678。", "电话：138******78。"),
        ("138-1234-5678", "138******78"),
        ("138 - 1234 - 5678", "138******78"),
        ("１３８１２３４５６７８", "138******78"),  # full-width digits
        ("１３８　１２３４　５６７８", "138******78"),  # and an ideographic space
        ("+86 139 0000 1111", "+86 139******11"),
        # A country code flush against the number; the code itself stays.
        ("+8613800138000", "+86138******00"),
        ("电话+8613800138000。", "电话+86138******00。"),
        ("008613800138000", "0086138******00"),
        ("0086 138 0013 8000", "0086 138******00"),
        ("0086-13800138000", "0086-138******00"),
        ("＋８６１３８００１３８０００", "＋８６138******00"),
        ("+86１３８００１３８０００", "+86138******00"),
        ("(+86)13800138000", "(+86)138******00"),
        ("１３８ ００１３ ８０００", "138******00"),
        ("138-0013-8000", "138******00"),
        ("手机19912345678和15012345678", "手机199******78和150******78"),
        (f"身份证{VALID_ID}", "身份证1101**********002X"),
        (f"身份证{VALID_ID.lower()}", "身份证1101**********002X"),
        ("身份证 500103 19900101 1232", "身份证 5001**********1232"),
        ("５００１０３１９９００１０１１２３２", "5001**********1232"),
        ("老身份证500103900101123", "老身份证5001********123"),  # 15 digits
    ],
)
def test_masks(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked
    assert contains_personal_data(text)


@pytest.mark.parametrize(
    "text",
    [
        "2023年修的路，2024年又挖开了",
        "停车费一小时15元，一个月1200元，一年12000元",
        "3栋2单元1801室，18号楼",
        "邮编400010",
        "座机023-63891234",  # landline: not a mobile number
        "12812345678",  # 12x is not a mobile prefix
        "138123456789",  # 12 digits: not a phone
        "订单号 6222021234567890123",  # 19 digits
        "2023-10-01 到 2024-10-01",
        "1999 2000 2001 2002",
        "价格 13.8 元",
        "8613800138000",  # 86 without + or 00 in front: may be any 13-digit number
        "2008613800138000",  # 0086 inside a longer run of digits
        "+861380013800012",  # the "phone" after +86 runs on
        "10086",
        "+86",
    ],
)
def test_leaves_ordinary_numbers(text: str) -> None:
    assert mask_personal_data(text) == text
    assert not contains_personal_data(text)


def test_mixed_text_keeps_everything_else() -> None:
    text = f"2023年在解放碑，电话１３８-１２３４-５６７８，身份证{VALID_ID}，房租2500元。"
    assert mask_personal_data(text) == (
        "2023年在解放碑，电话138******78，身份证1101**********002X，房租2500元。"
    )


def test_find_personal_data_gives_kind_and_span() -> None:
    text = f"电话 +86 138-1234-5678，身份证{VALID_ID}，老证500103900101123"
    found = find_personal_data(text)
    assert [(hit.kind, hit.masked) for hit in found] == [
        ("mobile", "138******78"),
        ("id_card", "1101**********002X"),
        ("id_card", "5001********123"),
    ]
    assert [text[hit.start : hit.end] for hit in found] == [
        "138-1234-5678",
        VALID_ID,
        "500103900101123",
    ]
    assert found[0] == PersonalData(7, 20, "mobile", "138******78")


@pytest.mark.parametrize(
    "text",
    [
        "身份证110105194912310021",  # the check character mistyped
        "身份证５００１０３１９８００１０１１２３４",  # full-width, check digit wrong
        "500103 19900101 1233",
    ],
)
def test_a_mistyped_id_number_is_masked_all_the_same(text: str) -> None:
    """A resident who gets one digit of their ID wrong still shows 17 real ones: the shape
    (area, birth date, sequence) is enough to mask it."""
    masked = mask_personal_data(text)
    assert "**********" in masked
    digits = "".join(str(unicodedata.decimal(c)) for c in masked if c.isdecimal())
    assert len(digits) <= 8


def test_eighteen_digits_without_a_birth_date_are_left_alone() -> None:
    assert mask_personal_data("单号202612050000123456") == "单号202612050000123456"
