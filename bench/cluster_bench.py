"""Clustering opinions for digests: quality against a plain baseline, time and memory.

    python bench/cluster_bench.py                 # quality on both sets, then 5,000 and 500 items
    python bench/cluster_bench.py --no-quality --sizes 5000 --place 凯旋路   # one busy place

Quality: B-cubed precision / recall / F1 on the labelled sets in tests/domain/data
(clusters_dev.jsonl, used for tuning; clusters_test.jsonl, written separately and used only
for reporting). The baseline is plain character TF-IDF (char_wb, 1-3-grams) with sklearn's
average-linkage AgglomerativeClustering on cosine distance, at the distance threshold that is
best for it on the dev set.

Items are made from the dev texts with variations (prefixes, suffixes, dropped characters,
spaces, repeated clauses). Time per call for 1 to 500 items (what one member's digest needs)
is taken in this process. The big sizes each run in their own process: seconds for
`cluster_texts`, the process's peak RSS and how much it grew during the call, and B-cubed F1
against the groups the variations came from.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "domain" / "data"

from bot.domain.clustering import cluster_texts  # noqa: E402

PREFIXES = (
    "",
    "",
    "您好，",
    "我想反映个问题：",
    "请问",
    "居民反映：",
    "急！",
    "【建议】",
    "再说一次，",
)
SUFFIXES = ("", "", "谢谢！", "希望尽快处理。", "辛苦了🙏", "！！", "，麻烦看看", " 盼回复")


def load_set(name: str) -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in (DATA / f"clusters_{name}.jsonl").open(encoding="utf-8")]
    return [r["text"] for r in rows], [r["group"] for r in rows]


def bcubed(pred: Sequence[object], gold: Sequence[object]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of predicted labels against gold labels."""
    by_pred, by_gold, both = Counter(pred), Counter(gold), Counter(zip(pred, gold, strict=True))
    p = sum(both[(a, b)] / by_pred[a] for a, b in zip(pred, gold, strict=True)) / len(gold)
    r = sum(both[(a, b)] / by_gold[b] for a, b in zip(pred, gold, strict=True)) / len(gold)
    return p, r, 2 * p * r / (p + r)


def method_labels(texts: Sequence[str]) -> list[int]:
    labels = [0] * len(texts)
    for k, cluster in enumerate(cluster_texts(texts)):
        for i in cluster.members:
            labels[i] = k
    return labels


def baseline_labels(texts: Sequence[str], threshold: float) -> list[int]:
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    x = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)).fit_transform(texts).toarray()
    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=threshold
    )
    return [int(v) for v in model.fit_predict(x)]


def best_baseline_threshold(texts: Sequence[str], gold: Sequence[str]) -> float:
    grid = [round(0.5 + 0.025 * k, 3) for k in range(20)]
    return max(grid, key=lambda t: bcubed(baseline_labels(texts, t), gold)[2])


def vary(text: str, rng: random.Random) -> str:
    out = text
    if rng.random() < 0.3 and len(out) > 8:
        k = rng.randrange(len(out))
        out = out[:k] + out[k + 1 :]
    if rng.random() < 0.2:
        clauses = [c for c in out.replace("，", "。").split("。") if c]
        if clauses:
            out += "。" + rng.choice(clauses)
    if rng.random() < 0.2:
        out = out.replace("，", " ")
    return rng.choice(PREFIXES) + out + rng.choice(SUFFIXES)


def make_items(n: int, seed: int = 1, place: str = "") -> tuple[list[str], list[str]]:
    """`n` variations of dev texts; with `place`, each is prefixed with it (one busy place)."""
    texts, groups = load_set("dev")
    rng = random.Random(seed)
    picks = [rng.randrange(len(texts)) for _ in range(n)]
    return [place + vary(texts[i], rng) for i in picks], [groups[i] for i in picks]


def _status_mib(field: str) -> float | None:
    """VmRSS / VmHWM of this process in MiB (Linux); None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def child(n: int, place: str) -> None:
    """One timed run (in its own process): JSON on stdout.

    Peak memory is VmHWM, the process's own high-water mark (ru_maxrss would carry the
    parent's across fork and exec); it is reset just before the call where the kernel allows,
    so "growth" is what the call itself added."""
    items, groups = make_items(n, place=place)
    cluster_texts(items[:20])  # first-call caches (gazetteer, imports) out of the timing
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _status_mib("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    clusters = cluster_texts(items)
    seconds = time.perf_counter() - start
    peak = _status_mib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    labels = [0] * n
    for k, c in enumerate(clusters):
        for i in c.members:
            labels[i] = k
    f1 = bcubed(labels, groups)[2]
    print(
        json.dumps(
            {
                "n": n,
                "seconds": seconds,
                "rss_before": before,
                "rss_peak": peak,
                "clusters": len(clusters),
                "f1": f1,
            }
        )
    )


def quality() -> None:
    dev_texts, dev_gold = load_set("dev")
    threshold = best_baseline_threshold(dev_texts, dev_gold)
    print(f"baseline distance threshold (best on dev): {threshold}")
    print(f"{'set':<5} {'items':>5} {'groups':>6}  {'method':<9} {'P':>6} {'R':>6} {'F1':>6}")
    for name in ("dev", "test"):
        texts, gold = load_set(name)
        rows = [
            ("baseline", baseline_labels(texts, threshold)),
            ("method", method_labels(texts)),
        ]
        for label, pred in rows:
            p, r, f = bcubed(pred, gold)
            groups = len(set(gold))
            print(f"{name:<5} {len(texts):>5} {groups:>6}  {label:<9} {p:6.3f} {r:6.3f} {f:6.3f}")


def timing(sizes: Sequence[int], repeat: int, place: str) -> None:
    print(
        f"{'items':>6} {'run':>3} {'seconds':>8} {'clusters':>8} {'peak RSS':>9} "
        f"{'growth':>8} {'F1':>6}"
    )
    for n in sizes:
        for run in range(1, repeat + 1):
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(n), "--place", place],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            growth = r["rss_peak"] - r["rss_before"]
            print(
                f"{n:>6} {run:>3} {r['seconds']:8.2f} {r['clusters']:>8} "
                f"{r['rss_peak']:6.1f} MiB {growth:5.1f} MiB {r['f1']:6.3f}"
            )


def small_sizes(sizes: Sequence[int] = (1, 10, 50, 100, 500), repeat: int = 7) -> None:
    """Per-call time for digest-sized inputs, in this process (median of `repeat`)."""
    items, _ = make_items(max(sizes), seed=2)
    cluster_texts(items[:20])
    print("items  median ms")
    for n in sizes:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            cluster_texts(items[:n])
            times.append((time.perf_counter() - start) * 1000)
        print(f"{n:>5} {sorted(times)[len(times) // 2]:10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[5000, 500])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument(
        "--place", default="", help="prefix every item with this place (e.g. 凯旋路): worst case"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.place)
        return
    if not args.no_quality:
        quality()
        print()
        small_sizes()
        print()
    timing(args.sizes, args.repeat, args.place)


if __name__ == "__main__":
    main()
