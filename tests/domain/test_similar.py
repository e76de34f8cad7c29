"""Joining an open opinion: the digests' similarity, measured on their labelled clusters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.domain import load_district
from bot.domain.similar import same_matter

DISTRICT = load_district()
DATA = Path(__file__).parent / "data"


def test_the_same_matter_in_other_words_is_found() -> None:
    open_items = [
        "凯旋路晚上乱停车，消防通道都被堵了",
        "十八梯的路灯坏了好几盏",
        "解放碑步行街共享单车乱停",
    ]
    assert same_matter("凯旋路停车太乱了，车都停到消防通道上", open_items, DISTRICT) == [0]
    assert same_matter("两路口菜市场门口垃圾没人收", open_items, DISTRICT) == []


def test_short_or_empty_texts_match_nothing() -> None:
    assert same_matter("停车难", ["停车难", "停车太难了"], DISTRICT) == []
    assert same_matter("凯旋路停车太乱了", [], DISTRICT) == []


@pytest.mark.parametrize("name", ["clusters_dev.jsonl", "clusters_test.jsonl"])
def test_agreement_with_the_labelled_clusters(name: str) -> None:
    """Each labelled text against the others: a match must share its label (precision),
    and most texts with a labelled partner find one (recall). Printed with -s."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line]
    texts = [r["text"] for r in rows]
    labels = [r["group"] for r in rows]
    hits = right = with_partner = found = 0
    for i, text in enumerate(texts):
        others = texts[:i] + texts[i + 1 :]
        other_labels = labels[:i] + labels[i + 1 :]
        matched = same_matter(text, others, DISTRICT)
        partner = labels[i] in other_labels
        with_partner += partner
        found += partner and bool(matched)
        for j in matched:
            hits += 1
            right += other_labels[j] == labels[i]
    precision = right / hits if hits else 1.0
    recall = found / with_partner if with_partner else 1.0
    print(f"{name}: same matter: precision {precision:.3f} ({right}/{hits}), recall {recall:.3f}")
    assert precision >= 0.9
    assert recall >= 0.6
