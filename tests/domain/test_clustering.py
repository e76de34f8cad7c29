"""Clustering opinions for digests: quality on labelled sets, and the shape of the result."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import clustering
from bot.domain.clustering import LABEL_MAX, Cluster, cluster_texts

DATA = Path(__file__).parent / "data"

# Measured B-cubed F1 (bench/cluster_bench.py): dev 0.946, test 0.967; the plain character
# TF-IDF baseline gets about 0.60 on both. The floors leave room for small changes only.
TEST_F1_FLOOR = 0.93
DEV_F1_FLOOR = 0.92


def load_set(name: str) -> tuple[list[str], list[str]]:
    lines = (DATA / f"clusters_{name}.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return [r["text"] for r in rows], [r["group"] for r in rows]


def bcubed(pred: Sequence[object], gold: Sequence[object]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1: per item, the share of its predicted cluster that is
    in its gold group (precision) and of its gold group that is in its cluster (recall)."""
    assert len(pred) == len(gold) and gold
    by_pred, by_gold = Counter(pred), Counter(gold)
    both = Counter(zip(pred, gold, strict=True))
    p = sum(both[(a, b)] / by_pred[a] for a, b in zip(pred, gold, strict=True)) / len(gold)
    r = sum(both[(a, b)] / by_gold[b] for a, b in zip(pred, gold, strict=True)) / len(gold)
    return p, r, 2 * p * r / (p + r)


def labels_of(clusters: Sequence[Cluster], n: int) -> list[int]:
    out = [-1] * n
    for k, cluster in enumerate(clusters):
        for i in cluster.members:
            out[i] = k
    return out


def flat(text: str) -> str:
    return " ".join(text.split())


def check_shape(texts: Sequence[str], clusters: Sequence[Cluster]) -> None:
    """Every index exactly once, ascending members, order, representative and label."""
    seen = sorted(i for c in clusters for i in c.members)
    assert seen == list(range(len(texts)))
    for c in clusters:
        assert c.members and list(c.members) == sorted(c.members)
        assert c.representative in c.members
        assert len(c.label) <= LABEL_MAX
        assert c.label.removesuffix("…") in flat(texts[c.representative])
    keys = [(-len(c.members), c.members[0]) for c in clusters]
    assert keys == sorted(keys)


# --- the measure itself -------------------------------------------------------------------


def test_bcubed_by_hand() -> None:
    assert bcubed([1, 1, 2, 2], ["a", "a", "b", "b"]) == (1.0, 1.0, 1.0)
    p, r, f = bcubed([1, 1, 1, 1], ["a", "a", "b", "b"])
    assert (p, r) == (0.5, 1.0) and f == pytest.approx(2 / 3)
    p, r, _ = bcubed([1, 2, 3, 4], ["a", "a", "b", "b"])
    assert (p, r) == (1.0, 0.5)


def test_the_sets_are_as_described() -> None:
    for name in ("dev", "test"):
        texts, groups = load_set(name)
        sizes = Counter(groups)
        assert len(texts) >= 250 and len(sizes) >= 40, name
        assert min(sizes.values()) == 1 and max(sizes.values()) >= 15, name
        assert len(set(texts)) == len(texts), name
    dev, _ = load_set("dev")
    test, _ = load_set("test")
    assert not set(dev) & set(test)


# --- quality ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "floor"), [("test", TEST_F1_FLOOR), ("dev", DEV_F1_FLOOR)])
def test_bcubed_f1_on_labelled_opinions(name: str, floor: float) -> None:
    texts, gold = load_set(name)
    clusters = cluster_texts(texts)
    check_shape(texts, clusters)
    p, r, f = bcubed(labels_of(clusters, len(texts)), gold)
    assert f >= floor, f"{name}: P={p:.3f} R={r:.3f} F1={f:.3f}"


def together(texts: Sequence[str]) -> bool:
    return len(cluster_texts(texts)) == 1


def test_similar_problem_same_place_together() -> None:
    assert together(
        [
            "凯旋路停车太难了，每天下班回来转三圈都找不到车位。",
            "凯旋路车位太少，晚上根本没地方停。",
            "建议凯旋路增加夜间临时停车泊位",
        ]
    )


def test_same_place_other_problem_apart() -> None:
    assert not together(["凯旋路停车太难了，找不到车位。", "凯旋路的路灯坏了好几盏，晚上太黑。"])


def test_same_problem_other_place_apart() -> None:
    assert not together(["凯旋路停车太难了，找不到车位。", "较场口停车太难了，找不到车位。"])


def test_an_english_opinion_joins_through_place_alias_and_problem() -> None:
    assert together(
        [
            "较场口一带停车太难，转了半小时都没找到车位。",
            "较场口停车难，停车费还贵。",
            "Jiaochangkou parking is terrible, no spaces on weekends.",
        ]
    )


def test_a_listed_misspelling_is_the_same_place() -> None:
    assert together(["较场口夜市太吵了，半夜还有人喝酒。", "校场口夜里太吵了，希望控制噪音。"])


def test_a_text_without_place_stays_out_of_placed_groups() -> None:
    clusters = cluster_texts(["凯旋路停车太难了", "凯旋路停车太难了！", "停车太难了"])
    assert [c.members for c in clusters] == [(0, 1), (2,)]


# --- shape and edge cases -----------------------------------------------------------------


def test_empty_input() -> None:
    assert cluster_texts([]) == []


def test_single_input() -> None:
    assert cluster_texts(["凯旋路停车难"]) == [Cluster((0,), 0, "凯旋路停车难")]


@pytest.mark.parametrize(
    "texts",
    [
        [""],
        ["", ""],
        ["   ", "\n"],
        ["👍👍👍", "👍👍👍", "🙏"],
        ["!!!", "。。。", "……"],
        ["a", "b", "a"],
    ],
)
def test_degenerate_texts(texts: list[str]) -> None:
    check_shape(texts, cluster_texts(texts))


def test_identical_texts_share_a_cluster() -> None:
    texts = ["十八梯晚上太吵了", "大坪医院停车难", "十八梯晚上太吵了", "十八梯晚上太吵了"]
    clusters = cluster_texts(texts)
    assert clusters[0].members == (0, 2, 3)


def test_deterministic() -> None:
    texts, _ = load_set("dev")
    assert cluster_texts(texts) == cluster_texts(list(texts))


def test_labels() -> None:
    texts, _ = load_set("dev")
    clusters = cluster_texts(texts)
    check_shape(texts, clusters)
    biggest = clusters[0]
    assert "凯旋路" in biggest.label and "停车" in biggest.label
    long_text = "关于凯旋路停车的问题我想说几句" + "，我们这片都是老房子" * 30
    (only,) = cluster_texts([long_text])
    assert only.label == "关于凯旋路停车的问题我想说几句"
    (cut,) = cluster_texts(["一二三四五六七八九十" * 5])
    assert len(cut.label) == LABEL_MAX and cut.label.endswith("…")
    (english,) = cluster_texts(["Parking on Kaixuan Road is impossible in the evening"])
    assert english.label == "Parking on Kaixuan Road…"  # not cut inside a word


def test_label_does_not_split_an_emoji_sequence() -> None:
    family = "👨\u200d👩\u200d👧"
    (c,) = cluster_texts([family * 10])
    assert c.label.endswith("…")
    body = c.label.removesuffix("…")
    assert len(body) % len(family) == 0 and body == family * (len(body) // len(family))


def varied(n: int, seed: int) -> list[str]:
    texts, _ = load_set("dev")
    rng = random.Random(seed)
    extras = ("", "谢谢！", "急！", "希望尽快处理。", "🙏")
    return [rng.choice(texts) + rng.choice(extras) for _ in range(n)]


@pytest.mark.parametrize("n", [2, 3, 7, 40, 500, 2500])
def test_small_and_large_inputs(n: int) -> None:
    texts = varied(n, seed=n)
    clusters = cluster_texts(texts)
    check_shape(texts, clusters)
    if n >= 40:
        assert 1 < len(clusters) < n


def test_large_input_keeps_quality() -> None:
    """The blocked, componentwise path agrees with the labels on a bigger input."""
    texts, gold = load_set("dev")
    rng = random.Random(5)
    picks = [rng.randrange(len(texts)) for _ in range(2000)]
    items = [texts[i] + rng.choice(("", "！", "，谢谢", "。急")) for i in picks]
    clusters = cluster_texts(items)
    check_shape(items, clusters)
    assert bcubed(labels_of(clusters, len(items)), [gold[i] for i in picks])[2] >= 0.85


def test_splitting_blocks_into_components_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The chunked component split (used past `_DENSE_MAX` texts in a block) is exact."""
    texts = varied(600, seed=9)
    whole = cluster_texts(texts)
    monkeypatch.setattr(clustering, "_DENSE_MAX", 10)
    monkeypatch.setattr(clustering, "_ROWS_PER_CHUNK", 7)
    assert cluster_texts(texts) == whole


def test_one_busy_place_still_clusters(monkeypatch: pytest.MonkeyPatch) -> None:
    """A huge component is cut by problem: still a partition, parking still apart from noise."""
    monkeypatch.setattr(clustering, "_DENSE_MAX", 50)
    monkeypatch.setattr(clustering, "_COMPONENT_MAX", 40)
    rng = random.Random(2)
    parking = ["凯旋路停车太难了", "凯旋路车位太少", "凯旋路违停严重"]
    noise = ["凯旋路晚上太吵了", "凯旋路噪音扰民"]
    texts = [rng.choice(parking) + "!" * rng.randrange(3) for _ in range(150)]
    texts += [rng.choice(noise) + "!" * rng.randrange(3) for _ in range(150)]
    clusters = cluster_texts(texts)
    check_shape(texts, clusters)
    for c in clusters:
        assert len({i < 150 for i in c.members}) == 1


_DEV_TEXTS = load_set("dev")[0]
_TEXT = st.one_of(
    st.sampled_from(_DEV_TEXTS),
    st.text(max_size=60),
    st.text(alphabet="凯旋路停车难十八梯吵解放碑单车 ，。!a1👍\u200d\n", max_size=30),
    st.just(""),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TEXT, max_size=40))
def test_every_index_exactly_once(texts: list[str]) -> None:
    clusters = cluster_texts(texts)
    check_shape(texts, clusters)
    assert cluster_texts(texts) == clusters


def test_pure_domain_imports() -> None:
    code = (
        "import sys, bot.domain.clustering; "
        "bad = [m for m in ('telegram', 'sqlalchemy', 'storage', 'bot.telegram', "
        "'bot.features', 'bot.config') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
