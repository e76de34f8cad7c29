"""Sub-district suggestions from what residents write."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.domain import District, find_places, load_district, matching_form, suggest_subdistrict
from bot.domain.gazetteer import say_number, speak_numbers
from bot.domain.tagging import cue_of

DATA = Path(__file__).parent / "data"


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
    ("张家花圈的下水道堵了", "大溪沟", {"medium"}, "张家花园"),  # one wrong character
    ("煤建薪村的下水道堵了", "石油路", {"high"}, "煤建新村"),  # same sound: an input typo
    ("七星港这边的公交站牌看不清", "七星岗", {"high"}, "七星岗"),
    ("兰纪门那边的老房子漏雨", "南纪门", {"medium"}, "南纪门"),  # n/l: a loose sound-alike
    ("18梯晚上好多人喝酒", "南纪门", {"high"}, "十八梯"),
    ("中山2路社区门口堆满了垃圾", "两路口", {"high"}, "中山二路"),
    ("7牌坊的菜市场门口太乱了", "大坪", {"high"}, "七牌坊"),
    ("煤建那边的垃圾站好臭", "石油路", {"high"}, "煤建"),  # short form
    ("附一院门口的车堵得动都动不了", "大坪", {"medium"}, "附一院"),  # M: ask first
    ("七星岗站的电梯坏了", "七星岗", {"high"}, "七星岗"),
    ("曾家岩站下面的路口没得红绿灯", "上清寺", {"high"}, "曾家岩"),
    ("临江门站旁边的公厕关了", "解放碑", {"high"}, "临江门"),
    ("黄花园站出口的台阶烂了", "大溪沟", {"medium"}, "黄花园"),
    ("小什字站出站口的共享单车堆成山", "解放碑", {"low"}, "小什字"),  # L: sources differ
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


# --- numbers, stations ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "said"),
    [(1, "一"), (2, "二"), (10, "十"), (11, "十一"), (18, "十八"), (20, "二十"), (99, "九十九")],
)
def test_numbers_are_said_as_written_in_words(n: int, said: str) -> None:
    assert say_number(n) == said


@pytest.mark.parametrize(
    ("text", "written", "name"),
    [
        ("18梯晚上好吵", "18梯", "十八梯"),
        ("到了 18 梯那边", "18 梯", "十八梯"),
        ("十八梯的公厕", "十八梯", "十八梯"),
        ("中山1路的人行道", "中山1路", "中山一路"),
        ("中山 1 路那边", "中山 1 路", "中山一路"),
        ("中山一路的人行道", "中山一路", "中山一路"),
        ("81好吃街的油烟", "81好吃街", "八一好吃街"),  # listed as residents write it
    ],
)
def test_digits_match_names_in_words(
    district: District, text: str, written: str, name: str
) -> None:
    (match,) = find_places(text, district)
    assert (match.text, match.entry.name) == (written, name)
    assert matching_form(text)[match.start : match.end] == written


@pytest.mark.parametrize("text", ["28梯那边", "2路公交车太挤", "18号楼的电梯", "2024年的改造"])
def test_numbers_do_not_make_places(district: District, text: str) -> None:
    assert find_places(text, district) == []


def test_numbers_keep_offsets_of_later_names(district: District) -> None:
    text = "坐2路车到民生路"
    (match,) = find_places(text, district)
    assert (match.start, match.end, match.text) == (5, 8, "民生路")
    spoken = speak_numbers("中山 12 路")
    assert spoken.text == "中山十二路"
    assert spoken.numbers == ((2, 4),)
    assert spoken.source(0, 5) == (0, 7)
    assert spoken.source(3, 5) is None  # 二路 would cut 12 in two


@pytest.mark.parametrize(
    ("text", "written", "short_name"),
    [
        ("七星岗站的电梯坏了", "七星岗站", "七星岗"),
        ("李子坝轻轨站人太多", "李子坝轻轨站", "化龙桥"),
        ("牛角沱站外面的人行道太窄", "牛角沱站", "上清寺"),
        ("佛图关站下来的步道", "佛图关站", "大坪"),
        ("鹅岭站出来那个坡", "鹅岭站", "两路口"),
        ("袁家岗站门口的摊摊", "袁家岗站", "大坪"),
        ("在解放碑站着等车", "解放碑", "解放碑"),  # 站着: standing
    ],
)
def test_a_station_is_its_place(
    district: District, text: str, written: str, short_name: str
) -> None:
    (match,) = find_places(text, district)
    assert match.text == written
    guess = suggest_subdistrict(text, district)
    assert short(district, guess.candidates[0]) == short_name


# --- where the problem is ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "cue"),
    [
        ("我住在七星岗", "七星岗", "raise"),
        ("住的是捍卫路社区", "捍卫路", "raise"),
        ("我们小区在王家坡", "王家坡", "raise"),
        ("十八梯那边的梯坎", "十八梯", "raise"),
        ("在人和街的菜市场", "人和街", "raise"),
        ("I live near Lianglukou", "两路口", "raise"),
        ("现在搬到重庆村了", "重庆村", "raise"),
        ("我在解放碑上班", "解放碑", "lower"),
        ("我在朝天门那边上班", "朝天门", "lower"),
        ("以前住大坪", "大坪", "lower"),
        ("原来住在七星岗", "七星岗", "lower"),
        ("从上清寺过来的路上", "上清寺", "lower"),
        ("路过两路口的时候", "两路口", "lower"),
        ("周末去观音桥逛街", "观音桥", "lower"),
        ("I work in Chaotianmen", "朝天门", "lower"),
        ("原来在石油路住，后来搬到白象街", "白象街", "raise"),  # a later clause is current
        ("洪崖洞的垃圾", "洪崖洞", "neutral"),
        ("两路口站出来的天桥", "两路口", "neutral"),
    ],
)
def test_cues_say_where_the_problem_is(district: District, text: str, name: str, cue: str) -> None:
    matches = find_places(text, district)
    (match,) = [m for m in matches if m.entry.label == name or m.entry.name == name]
    assert cue_of(matching_form(text), match, matches) == cue


def test_home_beats_workplace(district: District) -> None:
    guess = suggest_subdistrict("我在解放碑上班，住的是捍卫路社区，小区门口的路灯坏了", district)
    assert short(district, guess.code) == "七星岗"
    assert short(district, guess.candidates[0]) == "七星岗"
    assert guess.cues == ("lower", "raise")


def test_moving_out_of_the_district_takes_the_code_away(district: District) -> None:
    guess = suggest_subdistrict("以前住两路口，现在搬到观音桥了，小区里没有停车位", district)
    assert guess.outside == ("观音桥", "江北区")
    assert guess.code is None and guess.level != "high"


def test_an_outside_place_keeps_the_district_below_high_unless_cues_settle_it(
    district: District,
) -> None:
    unsettled = suggest_subdistrict("从观音桥坐车到解放碑，公交站太挤", district)
    assert short(district, unsettled.code) == "解放碑" and unsettled.level != "high"
    settled = suggest_subdistrict(
        "我住在解放碑，周末去观音桥逛街，解放碑这边的公厕太少了", district
    )
    assert settled.outside == ("观音桥", "江北区")
    assert short(district, settled.code) == "解放碑" and settled.level == "high"
    lives_outside = suggest_subdistrict(
        "我在解放碑上班，但是住在南坪，我们小区的路灯坏了", district
    )
    assert lives_outside.outside == ("南坪", "南岸区") and lives_outside.code is None


def test_a_lowering_cue_alone_asks(district: District) -> None:
    guess = suggest_subdistrict("我在解放碑上班，楼下的外卖车乱停", district)
    assert short(district, guess.code) == "解放碑"
    assert guess.level != "high"


# --- natural sentences ------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    n: int
    right: int  # confidently right, correctly asked, or rightly not confident
    confident_wrong: int
    codes: int  # sentences whose expect is a sub-district code
    codes_confident: int  # ... answered right with level "high" (one-tap)


def evaluate(path: Path, district: District) -> tuple[Figures, list[str]]:
    """Score a file of {"text", "expect": code | "ask" | "outside"} lines."""
    right = wrong = codes = confident = 0
    misses: list[str] = []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    for row in rows:
        guess, expect = suggest_subdistrict(row["text"], district), row["expect"]
        high = guess.level == "high"
        if expect == "ask":
            ok = not high
        elif expect == "outside":
            ok = guess.outside is not None and not high
        else:
            codes += 1
            confident += high and guess.code == expect
            ok = guess.code == expect if high else expect in guess.candidates[:3]
        wrong += high and guess.code != expect
        right += ok
        if not ok:
            misses.append(f"{row['text']} -> {guess.code} {guess.level} {guess.candidates}")
    return Figures(len(rows), right, wrong, codes, confident), misses


@pytest.mark.parametrize("name", ["tagging_dev.jsonl", "tagging_heldout.jsonl"])
def test_natural_sentences(district: District, name: str) -> None:
    figures, misses = evaluate(DATA / name, district)
    print(
        f"\n{name}: {figures.n} sentences, right or correctly asked "
        f"{figures.right / figures.n:.1%}, confident wrong {figures.confident_wrong}, "
        f"codes confidently right {figures.codes_confident}/{figures.codes} "
        f"({figures.codes_confident / figures.codes:.1%})"
    )
    assert figures.n >= 150
    assert figures.right >= 0.95 * figures.n, misses
    assert figures.confident_wrong == 0, misses
    assert figures.codes_confident >= 0.75 * figures.codes
