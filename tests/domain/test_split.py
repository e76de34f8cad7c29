"""Splitting one message into the problems it holds."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bot.domain import load_district, suggest_category, suggest_subdistrict
from bot.domain.split import Part, split_problems

DISTRICT = load_district()
CASES = Path(__file__).parent / "data" / "split_cases.jsonl"
QIXINGGANG, CAIYUANBA, JIEFANGBEI = "500103001", "500103007", "500103003"


def _cases() -> list[tuple[str, int]]:
    with CASES.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    for row in rows:
        assert isinstance(row["text"], str) and row["parts"] in (0, 2, 3), row
    return [(row["text"], row["parts"]) for row in rows]


def test_labelled_cases() -> None:
    """Accuracy >= 0.9 on the labelled lines (printed; see it with ``pytest -rP``)."""
    cases = _cases()
    assert len(cases) >= 60
    assert {n for _, n in cases} == {0, 2, 3}
    wrong = []
    for text, expected in cases:
        got = split_problems(text, DISTRICT)
        if len(got) != expected:
            wrong.append(f"{text}: {len(got)} parts (expected {expected})")
    accuracy = 1 - len(wrong) / len(cases)
    print(f"split cases: n={len(cases)} accuracy {accuracy:.3f}")
    print("\n".join(wrong))
    assert accuracy >= 0.9, wrong


def test_one_place_and_one_topic_is_never_split() -> None:
    """A wrongly offered split annoys; on a line with one place and one topic, never."""
    plain = [
        text
        for text, expected in _cases()
        if expected == 0
        and len(suggest_subdistrict(text, DISTRICT).candidates) <= 1
        and not suggest_category(text).alternatives
    ]
    assert len(plain) >= 15
    offered = [text for text in plain if split_problems(text, DISTRICT)]
    assert offered == []


def test_the_reported_message() -> None:
    parts = split_problems("一是七星岗通远门没有电梯；二是菜园坝火车站旁边晚上有人拉客", DISTRICT)
    assert [p.text for p in parts] == ["七星岗通远门没有电梯", "菜园坝火车站旁边晚上有人拉客"]
    assert [p.subdistrict for p in parts] == [QIXINGGANG, CAIYUANBA]
    assert parts[1].category == "public_order"
    assert parts[0].category in {"municipal_facilities", "old_housing"}  # no clue whose lift


@pytest.mark.parametrize(
    "text",
    [
        "一是七星岗没有电梯，二是解放碑垃圾太多",
        "一、七星岗没有电梯；二、解放碑垃圾太多",
        "第一，七星岗没有电梯。第二，解放碑垃圾太多",
        "第一个问题是七星岗没有电梯，第二个问题是解放碑垃圾太多",
        "1. 七星岗没有电梯\n2. 解放碑垃圾太多",
        "1、七星岗没有电梯 2、解放碑垃圾太多",
        "１．七星岗没有电梯 ２．解放碑垃圾太多",
        "(1) 七星岗没有电梯 (2) 解放碑垃圾太多",
        "（1）七星岗没有电梯（2）解放碑垃圾太多",
        "①七星岗没有电梯②解放碑垃圾太多",
        "首先，七星岗没有电梯；其次，解放碑垃圾太多",
        "首先是七星岗没有电梯，其次是解放碑垃圾太多",
        "七星岗没有电梯。另外，解放碑垃圾太多",
        "七星岗没有电梯。还有，解放碑垃圾太多",
        "七星岗没有电梯。再就是解放碑垃圾太多",
        "七星岗没有电梯。此外，解放碑垃圾太多",
        "七星岗没有电梯；解放碑垃圾太多",
    ],
)
def test_markers_cut_and_are_trimmed(text: str) -> None:
    parts = split_problems(text, DISTRICT)
    assert [p.text.rstrip("。") for p in parts] == ["七星岗没有电梯", "解放碑垃圾太多"]
    assert [p.subdistrict for p in parts] == [QIXINGGANG, JIEFANGBEI]
    assert parts[1].category == "environment_sanitation"


@pytest.mark.parametrize(
    "text",
    [
        "1) No lift at Qixinggang 2) Rubbish everywhere in Jiefangbei",
        "No lift at Qixinggang. Also, rubbish everywhere in Jiefangbei.",
        "Firstly, no lift at Qixinggang. Secondly, rubbish everywhere in Jiefangbei.",
    ],
)
def test_english_markers(text: str) -> None:
    parts = split_problems(text, DISTRICT)
    assert [p.subdistrict for p in parts] == [QIXINGGANG, JIEFANGBEI]
    assert parts[0].text.startswith("No lift") or parts[0].text.startswith("no lift")
    assert parts[1].text.lower().startswith("rubbish")


def test_a_topic_difference_alone_splits_when_enumerated() -> None:
    """Same place, different topics: with a marker it is two problems."""
    parts = split_problems("我们楼的灭火器都过期了；还有，小区门口天天有人乱停车。", DISTRICT)
    assert [p.category for p in parts] == ["fire_safety", "parking_traffic"]
    assert [p.subdistrict for p in parts] == [None, None]


def test_cause_and_effect_stays_one_problem_without_a_marker() -> None:
    assert split_problems("凯旋路晚上停车太乱了。消防通道都堵了。", DISTRICT) == []
    two = split_problems("凯旋路晚上停车太乱了。另外，消防通道里堆满了杂物。", DISTRICT)
    assert [p.category for p in two] == ["parking_traffic", "fire_safety"]


@pytest.mark.parametrize(
    "text",
    [
        "我住在七星岗。那边没有电梯",  # the first sentence only says where
        "扶梯经常停运。老人提东西上下很不方便。",  # a consequence
        "十八梯的梯坎碎了好几级。希望尽快修一下。",  # a request about the same thing
        "七星岗通远门没有电梯。解放碑那边倒是有电梯。",  # a comparison, not a complaint
        "小区一共有1、2、3号楼，都没有电梯",  # numbers, not a list
        "3.5米宽的路都停满了车",
        "2、七星岗没有电梯",  # a lone number starts no list
        "最后还是没人管，垃圾堆了一个月",  # 最后 alone ends a story
        "七星岗没有电梯，菜园坝火车站旁边晚上有人拉客",  # commas never cut
        "",
        "   ",
        "。。。",
        "1.\n2.\n3.",
    ],
)
def test_not_split(text: str) -> None:
    assert split_problems(text, DISTRICT) == []


def test_counting_words_are_not_markers() -> None:
    text = "第一次反映是去年，七星岗没有电梯；第二次是今年，还是没有电梯"
    assert split_problems(text, DISTRICT) == []
    parts = split_problems("七星岗没有电梯。还有人在解放碑楼道里私拉电线。", DISTRICT)
    assert [p.text for p in parts] == ["七星岗没有电梯。", "还有人在解放碑楼道里私拉电线。"]


def test_a_list_introduction_belongs_to_no_part() -> None:
    parts = split_problems("说两个事：一是七星岗没有电梯；二是解放碑垃圾太多", DISTRICT)
    assert [p.text for p in parts] == ["七星岗没有电梯", "解放碑垃圾太多"]


def test_context_joins_the_problem_next_to_it() -> None:
    parts = split_problems(
        "我住在七星岗。那边没有电梯，老人上下坡很吃力。另外，解放碑步行街垃圾太多。", DISTRICT
    )
    assert [p.text for p in parts] == [
        "我住在七星岗。那边没有电梯，老人上下坡很吃力。",
        "解放碑步行街垃圾太多。",
    ]
    assert [p.subdistrict for p in parts] == [QIXINGGANG, JIEFANGBEI]


def test_three_parts_and_a_joined_pair() -> None:
    text = "一是七星岗没有电梯，二是七星岗的路灯也不亮，三是菜园坝火车站有人拉客"
    parts = split_problems(text, DISTRICT)
    assert [p.subdistrict for p in parts] == [QIXINGGANG, QIXINGGANG, CAIYUANBA]
    same_place = split_problems("一是七星岗的路灯不亮，二是七星岗的井盖松了", DISTRICT)
    assert same_place == []  # one place, one topic: one problem however it is listed


def test_a_place_it_is_not_sure_of_is_left_open() -> None:
    """A road that crosses sub-districts is not enough to route a part."""
    parts = split_problems("一是凯旋路违章停车；二是菜园坝火车站有人拉客", DISTRICT)
    assert suggest_subdistrict("凯旋路违章停车", DISTRICT).level != "high"
    assert [p.subdistrict for p in parts] == [None, CAIYUANBA]


def test_parts_are_frozen() -> None:
    part = Part("七星岗没有电梯", QIXINGGANG, "municipal_facilities")
    with pytest.raises(dataclasses.FrozenInstanceError):
        part.text = "x"  # type: ignore[misc]
