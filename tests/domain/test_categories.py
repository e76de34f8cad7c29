"""Topic suggestions from keywords."""

from __future__ import annotations

import pytest

from bot.domain import CATEGORIES, category_by_key, category_label, suggest_category

CASES = [
    ("凯旋路晚上停车太乱了，消防通道都堵了", {"parking_traffic", "fire_safety"}),
    ("洪崖洞周边周末人太多，垃圾没人收", {"environment_sanitation"}),
    ("望龙门那边老房子电线乱拉", {"electrical_safety"}),
    ("楼道里电动车充电，飞线到处都是", {"electrical_safety"}),
    ("小区垃圾好几天没人清运，臭味很大", {"environment_sanitation"}),
    ("我们是老旧小区，想加装电梯", {"old_housing"}),
    ("晚上有人在楼下打架，治安太差", {"public_order"}),
    ("十八梯晚上路灯不亮，老人走路不安全", {"public_order", "elderly_children"}),
    ("社区老年食堂饭菜不错，希望多开几家", {"elderly_children"}),
    ("幼儿园门口放学时太挤", {"elderly_children"}),
    ("景区游客太多，商家宰客", {"business_tourism"}),
    ("路边占道经营的摊贩太多", {"public_order"}),  # not business: longest keyword wins
    ("违章停车太多了", {"parking_traffic"}),
    ("Parking near Jiefangbei is a nightmare", {"parking_traffic"}),
    ("The fire lane behind our building is blocked", {"fire_safety"}),
    ("Rubbish everywhere and it smells", {"environment_sanitation"}),
    ("Too many tourists, the shops are crowded", {"business_tourism"}),
    ("Our lift has been broken for a week", {"old_housing"}),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_suggests_the_category(text: str, expected: set[str]) -> None:
    guess = suggest_category(text)
    assert guess.key in expected, guess
    assert guess.evidence
    assert 0 < guess.confidence <= 1
    assert guess.key not in guess.alternatives


@pytest.mark.parametrize(
    "text",
    [
        "今天天气不错",
        "电话打不通",  # 电 alone is not electrical
        "车站人很多",  # 车 alone is not parking
        "火锅很好吃",  # 火 alone is not fire
        "My phone number changed",
        "Eling Park is lovely",  # park is not parking
        "",
    ],
)
def test_nothing_matches_other(text: str) -> None:
    guess = suggest_category(text)
    assert (guess.key, guess.confidence, guess.level) == ("other", 0.0, "none")
    assert guess.evidence == () and guess.alternatives == ()


def test_alternatives_are_ranked() -> None:
    guess = suggest_category("停车难，消防通道被占，垃圾也没人收")
    assert guess.key == "fire_safety"
    assert guess.alternatives == ("parking_traffic", "environment_sanitation")
    assert guess.level in {"low", "medium"}  # three topics: not sure of one


def test_repeating_a_keyword_counts_once() -> None:
    once = suggest_category("停车难，垃圾多，臭味大")
    many = suggest_category("停车难，停车难，停车难，停车难，垃圾多，臭味大")
    assert once.key == many.key == "environment_sanitation"
    assert many.confidence == once.confidence


def test_category_list_is_one_place_for_the_keyboard() -> None:
    keys = [c.key for c in CATEGORIES]
    assert len(keys) == len(set(keys)) == 9
    assert keys[-1] == "other"
    assert all(c.zh and c.en for c in CATEGORIES)
    cat = category_by_key("fire_safety")
    assert cat is not None
    assert category_label(cat, "zh") == "消防"
    assert category_label(cat, "en") == "Fire safety"
    assert category_by_key("nope") is None
