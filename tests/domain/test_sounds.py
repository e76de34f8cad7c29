"""Sound-alike place names: what residents' pinyin typing gets wrong, and what it must not."""

from __future__ import annotations

import pytest

from bot.domain import District, find_places, load_district
from bot.domain.sounds import build_sound_index, find_sounds, loose, syllables


@pytest.fixture(scope="module")
def district() -> District:
    return load_district()


@pytest.mark.parametrize(
    ("syllable", "merged"),
    [
        ("shi", "si"),
        ("zhong", "zong"),
        ("chao", "cao"),
        ("nan", "lan"),
        ("qing", "qin"),
        ("sheng", "sen"),
        ("ning", "lin"),
        ("ba", "ba"),
        ("an", "an"),
    ],
)
def test_loose_merges_what_chongqing_speakers_merge(syllable: str, merged: str) -> None:
    assert loose(syllable) == merged


def test_polyphones_follow_the_words_around_them() -> None:
    assert syllables("重庆村") == ["chong", "qing", "cun"]
    assert syllables("朝天门")[0] == "chao"
    assert syllables("七星港") == syllables("七星岗") == ["qi", "xing", "gang"]


@pytest.mark.parametrize(
    ("text", "written", "name"),
    [
        ("七星港这边的公交站牌看不清了", "七星港", "七星岗"),
        ("上青寺转盘早高峰堵得要死", "上青寺", "上清寺"),
        ("菜园巴那边的梯坎扶手断了", "菜园巴", "菜园坝"),
        ("大西沟那一块晚上好黑", "大西沟", "大溪沟"),
        ("李子吧那边游客太多", "李子吧", "李子坝"),
        ("金汤接的路灯不亮", "金汤接", "金汤街"),
        ("菜元坝火车站出站口好乱", "菜元坝火车站", "菜园坝火车站"),
    ],
)
def test_same_sound_is_a_typo(district: District, text: str, written: str, name: str) -> None:
    (match,) = find_places(text, district)
    assert (match.text, match.entry.label, match.kind) == (written, name, "sound")
    assert text[match.start : match.end] == written


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("兰纪门那边的老房子漏雨", "南纪门"),  # n/l
        ("领四巷那边游客太多", "领事巷"),  # shi/si
        ("七心岗那边好多危房", "七星岗"),  # xing/xin
        ("李子八那边游客太多", "李子坝"),  # a numeral is a word of its own: loose only
    ],
)
def test_merged_sounds_are_loose_matches(district: District, text: str, name: str) -> None:
    (match,) = find_places(text, district)
    assert (match.entry.label, match.kind) == (name, "loose_sound")


@pytest.mark.parametrize(
    "text",
    [
        "希望社区向上请示一下",  # 上请示 reads like 上清寺 but two of three characters differ
        "大平层的房子物业费太贵",  # 2-character names are never sound-matched (大坪)
        "李家的狗天天叫",  # 礼嘉
        "李子8块一斤",  # digits are typed, not misheard
        "七星瓢虫好多",
        "大西瓜摊摆在人行道上",
    ],
)
def test_ordinary_words_are_not_places(district: District, text: str) -> None:
    assert [m for m in find_places(text, district) if m.fuzzy] == []


def test_short_names_are_left_out_of_the_index() -> None:
    index = build_sound_index(["大坪", "七星岗"], {"大坪": "a", "七星岗": "b"})
    assert index.lengths == (3,)
    hits = find_sounds("大平的七星港", index, [])
    assert [(h.start, h.end, h.key, h.kind) for h in hits] == [(3, 6, "七星岗", "sound")]


def test_a_reading_shared_by_two_places_is_dropped() -> None:
    keys = ["佛图关", "浮图关"]
    same = build_sound_index(keys, {"佛图关": "大坪", "浮图关": "大坪"})
    assert [h.key for h in find_sounds("佛土关", same, [])] in (["佛图关"], ["浮图关"])
    split = build_sound_index(keys, {"佛图关": "a", "浮图关": "b"})
    assert find_sounds("佛土关", split, []) == []


def test_found_names_and_numbers_bound_the_search() -> None:
    index = build_sound_index(["枇杷山正街", "煤建新村"], {"枇杷山正街": "a", "煤建新村": "b"})
    # A strict sound-alike swallows a shorter name inside it, never one it would cut.
    (hit,) = find_sounds("枇杷山正接", index, [(0, 3)])
    assert (hit.start, hit.end, hit.key) == (0, 5, "枇杷山正街")
    assert find_sounds("枇杷山正接", index, [(3, 6)]) == []
    # A loose one leaves the exact name alone; digits block every window over them.
    assert find_sounds("煤建新春", index, [(0, 2)]) == []
    assert find_sounds("煤建新春", index, []) != []
    assert find_sounds("煤建新春", index, [], blocked=[(2, 3)]) == []


def test_a_longer_sound_alike_replaces_the_short_form_inside_it(district: District) -> None:
    (match,) = find_places("枇杷山正接的路灯不亮", district)
    assert (match.text, match.entry.label) == ("枇杷山正接", "枇杷山正街")
    (match,) = find_places("我住煤建新春", district)
    assert (match.text, match.kind) == ("煤建", "exact")
