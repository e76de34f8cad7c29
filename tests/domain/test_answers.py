"""Typed answers to the sub-district and topic questions."""

from __future__ import annotations

import pytest

from bot.domain import load_district
from bot.domain.answers import UNSURE, category_answer, subdistrict_answer

DISTRICT = load_district()


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("南纪门", "南纪门"),
        ("南纪门街道", "南纪门"),
        ("解放碑。", "解放碑"),
        ("Jiefangbei", "解放碑"),
        ("洪崖洞那边", "解放碑"),
        ("不知道", UNSURE),
        ("不确定！", UNSURE),
        ("not sure", UNSURE),
        ("凯旋路晚上停车太乱了，消防通道都堵了", None),  # an opinion, not an answer
        ("我觉得是十八梯附近吧那里很乱", None),
        ("好的", None),
        ("洪崖洞也有垃圾", None),  # a place plus more: detail for the opinion
        ("在洪崖洞附近吧", "解放碑"),
        ("应该是解放碑那块", "解放碑"),
        ("解放碑哈", "解放碑"),
        ("七星港那边", "七星岗"),  # sounds like 七星岗: what was typed is taken away
        ("上青寺吧", "上清寺"),
        ("18梯", "南纪门"),
        ("18 梯那边", "南纪门"),
        ("李子坝站", "化龙桥"),
        ("兰纪门", "南纪门"),  # asked for a sub-district, a loose sound-alike of one is it
        ("兰纪门也有垃圾", None),
        ("中山1路", None),  # a road across borders: not sure enough to be an answer
    ],
)
def test_subdistrict_answer(text: str, short: str | None) -> None:
    got = subdistrict_answer(text, DISTRICT)
    if short in (None, UNSURE):
        assert got == short
    else:
        sub = DISTRICT.find(short)
        assert sub is not None and got == sub.code


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("停车", "parking_traffic"),
        ("消防", "fire_safety"),
        ("用电安全。", "electrical_safety"),
        ("Fire safety", "fire_safety"),
        ("其他", "other"),
        ("楼道里堆满了杂物，消防通道不通", None),
    ],
)
def test_category_answer(text: str, key: str | None) -> None:
    assert category_answer(text) == key
