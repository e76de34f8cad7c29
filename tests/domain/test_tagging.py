"""Sub-district suggestions from what residents write."""

from __future__ import annotations

import pytest

from bot.domain import District, load_district, suggest_subdistrict


@pytest.fixture(scope="module")
def district() -> District:
    return load_district()


def short(district: District, code: str | None) -> str | None:
    if code is None:
        return None
    sub = district.by_code(code)
    assert sub is not None
    return sub.short


# (text, expected sub-district short name or None, allowed levels, evidence that must appear)
CASES = [
    ("凯旋路晚上停车太乱了，消防通道都堵了", "南纪门", {"low", "medium"}, "凯旋路"),
    ("洪崖洞周边周末人太多，垃圾没人收", "解放碑", {"high"}, "洪崖洞"),
    ("我住在石油路街道煤建新村", "石油路", {"high"}, "煤建新村"),
    ("十八梯晚上路灯不亮，老人走路不安全", "南纪门", {"high"}, "十八梯"),
    ("Parking near Jiefangbei is a nightmare", "解放碑", {"high"}, "Jiefangbei"),
    ("洪涯洞门口太挤了", "解放碑", {"medium", "high"}, "洪崖洞"),  # known misspelling
    ("解放杯那边的厕所太少", "解放碑", {"medium", "high"}, "解放碑"),
    ("解放碑步行街的共享单车乱放", "解放碑", {"high"}, "解放碑步行街"),
    ("菜园坝火车站出站口很乱", "菜园坝", {"high"}, "菜园坝火车站"),
    ("桂花园新村的楼道灯坏了", "两路口", {"high"}, "桂花园新村"),  # not 桂花园 (上清寺)
    ("桂花园社区的健身器材坏了", "上清寺", {"high"}, "桂花园"),
    ("凯旋路社区开会时间太早", "南纪门", {"high"}, "凯旋路"),  # the community, not the road
    ("大坪龙湖时代天街周末停车难", "大坪", {"high"}, "大坪龙湖时代天街"),
    ("李子坝轻轨站看穿楼的人太多", "化龙桥", {"high"}, "李子坝轻轨站"),
    ("鹅岭那边的步道需要修", "两路口", {"medium"}, "鹅岭"),
    ("来福士广场门口出租车乱停", "朝天门", {"high"}, "来福士广场"),
    ("较场口夜市太吵", "解放碑", {"high"}, "较场口"),
    ("解 放 碑 的 厕 所 太 少", "解放碑", {"high"}, "解放碑"),  # spaces inside Chinese
    ("Ｈｏｎｇｙａｄｏｎｇ is packed every night", "解放碑", {"high"}, "Hongyadong"),  # full-width
    ("The stairs at Shi ba ti need lights", "南纪门", {"high"}, "Shibati"),
    ("Raffles City traffic is terrible", "朝天门", {"high"}, "Raffles City"),
    ("hongyadon is crowded", "解放碑", {"medium"}, "Hongyadong"),  # English typo
    ("煤建薪村的下水道堵了", "石油路", {"medium"}, "煤建新村"),  # one wrong character
    ("中山四路上的梧桐树该修剪了", "上清寺", {"low", "medium"}, "中山四路"),  # a road: weak
]


@pytest.mark.parametrize(("text", "expected", "levels", "evidence"), CASES)
def test_suggests_the_subdistrict(
    district: District, text: str, expected: str, levels: set[str], evidence: str
) -> None:
    guess = suggest_subdistrict(text, district)
    assert short(district, guess.code) == expected
    assert guess.level in levels, guess
    assert evidence in guess.evidence
    assert guess.candidates[0] == guess.code
    assert 0 < guess.confidence <= 1


def test_former_name_asks_among_successors(district: District) -> None:
    guess = suggest_subdistrict("望龙门那边老房子电线乱拉", district)
    assert guess.code is None
    assert guess.former_name == "望龙门"
    assert [short(district, c) for c in guess.candidates] == ["朝天门", "解放碑", "南纪门"]
    assert guess.level == "none"


def test_place_in_the_former_area_asks_too(district: District) -> None:
    guess = suggest_subdistrict("长江索道排队两个小时", district)
    assert guess.code is None and guess.former_name == "望龙门"
    assert len(guess.candidates) == 3


def test_former_name_with_other_evidence_picks_it(district: District) -> None:
    guess = suggest_subdistrict("以前望龙门街道的，现在住十八梯旁边", district)
    assert short(district, guess.code) == "南纪门"
    assert guess.former_name == "望龙门"
    assert [short(district, c) for c in guess.candidates] == ["南纪门", "朝天门", "解放碑"]


@pytest.mark.parametrize(
    ("text", "place", "where"),
    [
        ("观音桥步行街太吵", "观音桥", "江北区"),
        ("北城天街停车场收费太贵", "北城天街", "江北区"),
        ("南坪的公交站太挤", "南坪", "南岸区"),
        ("磁器口周末人山人海", "磁器口", "沙坪坝区"),
        ("从重庆北站打车过来", "重庆北站", "渝北区"),
        ("I live in Shapingba", "沙坪坝区", "沙坪坝区"),
    ],
)
def test_outside_places_force_no_subdistrict(
    district: District, text: str, place: str, where: str
) -> None:
    guess = suggest_subdistrict(text, district)
    assert guess.code is None
    assert guess.outside == (place, where)
    assert guess.level == "none"


def test_outside_with_real_evidence_lowers_confidence(district: District) -> None:
    alone = suggest_subdistrict("解放碑的公交站太挤", district)
    mixed = suggest_subdistrict("从观音桥坐车到解放碑，公交站太挤", district)
    assert short(district, mixed.code) == "解放碑"
    assert mixed.outside is not None
    assert mixed.confidence < alone.confidence


def test_conflicting_evidence_lowers_confidence_or_ties(district: District) -> None:
    one = suggest_subdistrict("十八梯的垃圾", district)
    tie = suggest_subdistrict("洪崖洞和十八梯的垃圾", district)
    assert tie.code is None  # equal evidence for two: ask
    assert {short(district, c) for c in tie.candidates} == {"解放碑", "南纪门"}
    assert one.code is not None
    agree = suggest_subdistrict("十八梯和凯旋路社区的垃圾", district)
    conflict = suggest_subdistrict("十八梯和凯旋路社区的垃圾，较场口也有", district)
    assert short(district, agree.code) == short(district, conflict.code) == "南纪门"
    assert conflict.confidence < agree.confidence


def test_evidence_adds_up(district: District) -> None:
    one = suggest_subdistrict("中山四路", district)
    two = suggest_subdistrict("中山四路靠近曾家岩", district)
    assert one.code == two.code
    assert two.confidence > one.confidence


def test_repeating_a_name_is_one_piece_of_evidence(district: District) -> None:
    once = suggest_subdistrict("凯旋路", district)
    thrice = suggest_subdistrict("凯旋路凯旋路，凯旋路", district)
    assert once.confidence == thrice.confidence


@pytest.mark.parametrize(
    "text",
    [
        "今天天气不错，希望多建几个公园",
        "我家楼下的路灯坏了三天了",
        "希望建设路灯",  # 建设路 (a community) followed by 灯 is "build street lights"
        "解放东路的人行道太窄",  # not 解放西路: a direction is not a typo
        "中山五路",  # nor a number
        "王家花园",  # 张家花园 or 彭家花园? ambiguous typo: no guess
        "鸳鸯锅还是清汤锅",
        "",
    ],
)
def test_no_place_no_guess(district: District, text: str) -> None:
    guess = suggest_subdistrict(text, district)
    assert guess.code is None
    assert guess.level == "none"
    assert guess.outside is None


def test_longest_match_wins(district: District) -> None:
    guess = suggest_subdistrict("解放碑步行街", district)
    assert [m.text for m in guess.matches] == ["解放碑步行街"]
    guess = suggest_subdistrict("朝千路社区旁边", district)
    assert short(district, guess.code) == "朝天门"
    assert [m.entry.role for m in guess.matches] == ["community"]
