"""Grouping similar opinions for committee members' digests.

Two opinions belong together when they raise a similar problem at the same place. Three
signals make the similarity:

- **Wording**: TF-IDF over character 1-2-grams (``char_wb``, punctuation and emoji as word
  breaks), which needs no word segmentation and tolerates typos and paraphrases that share
  characters.
- **Problem**: a small lexicon of the problems residents write about (parking, fire lanes,
  wiring, shared bikes, noise…), each a set of Chinese and English words. Two texts that name
  the same problem in different words (停车难 / 找不到车位 / parking) meet here; it is also what
  lets an English opinion join Chinese ones.
- **Place**: the district's gazetteer. Texts naming different places never merge; a text naming
  only a sub-district (大坪) may join one naming a place inside it (大坪正街) at a discount;
  a text without any place joins only texts without a place.

Similarity = (1 - w) * cosine(wording) + w * cosine(problem), times the place factor (1 same
place, `_AREA_FACTOR` a sub-district and a place in it, 0 otherwise). A text naming no listed
problem keeps its whole wording weight, so two such texts compare on wording alone. Clusters
are average-linkage (UPGMA) groups whose mean inner similarity is at least `_THRESHOLD`. The
categories of `bot.domain.categories` are too coarse for this (parking and bus stops are one
category) and did not help when measured.

Scale: texts are first split into blocks that can never merge (by place, see `_blocks`); each
block is split again into the connected components of its "similarity >= threshold" graph,
which cannot change the result (two clusters whose average similarity reaches the threshold
have at least one pair that does). Only a component is ever held as a dense matrix, and one
past `_COMPONENT_MAX` texts is cut by problem first. A long text keeps its `_TOP_GRAMS`
heaviest n-grams. 5,000 opinions take about a second (bench/README.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components

from bot.domain.district import District, load_district
from bot.domain.gazetteer import Entry, Gazetteer, fold_latin, gazetteer_for
from bot.domain.text import matching_form

Matrix = npt.NDArray[np.float32]

LABEL_MAX = 24

# Tuned on tests/domain/data/clusters_dev.jsonl (see bench/cluster_bench.py): B-cubed F1 is
# flat (0.943-0.946) for thresholds 0.125-0.175 and problem weights 0.4-0.5; the threshold
# sits low in that range because opinions about problems the lexicon does not list are
# alike in wording alone, which is weaker.
_THRESHOLD = 0.14  # least mean similarity inside a cluster
_PROBLEM_WEIGHT = 0.4  # share of the problem lexicon in the similarity
_AREA_FACTOR = 0.7  # a sub-district alone against a place inside it
_TOP_GRAMS = 200  # n-grams kept per text (long texts only; see `_strongest`)

# Past this size a block is split into the components of its similarity graph before the
# dense average linkage (whose condensed matrix is m*(m-1)/2 float64).
_DENSE_MAX = 1500
_ROWS_PER_CHUNK = 128
# A component larger than this (thousands of near-identical opinions about one place) is cut
# by its dominant problem before linkage, so memory stays bounded whatever the input.
_COMPONENT_MAX = 2000

# Problems residents write about. Space-separated; "_" is a space inside an English phrase.
# English words match whole words (plural s allowed). Only words that name the problem itself:
# the setting (轻轨, 老人, 小区) or the degree (太多, 严重) say nothing about which problem it is.
_PROBLEMS: dict[str, str] = {
    "parking": (
        "停车 车位 泊位 违停 乱停车 停满 贴条 罚单 车库 停车场 停车楼 停放车辆 "
        "parking car_park parked_car"
    ),
    "traffic_jam": (
        "堵车 拥堵 塞车 堵得 堵成 交通 车流 挪不动 走不动 水泄不通 堵死 单行 "
        "traffic traffic_jam congestion gridlock"
    ),
    "crossing": "红绿灯 信号灯 斑马线 人行横道 过马路 crosswalk traffic_light zebra_crossing",
    "bus": "公交 班次 站台 等车 末班车 bus bus_stop bus_route",
    "shared_bikes": "共享单车 单车 电单车 共享电动车 自行车 bike bicycle shared_bike",
    "taxi": "出租车 的士 黑车 打表 拒载 拉客 摩的 网约车 taxi cab",
    "street_light": "路灯 太黑 不亮 黑漆漆 照明 street_light streetlight lamp lighting",
    "rubbish": (
        "垃圾 清运 垃圾桶 垃圾站 垃圾房 纸屑 烟头 乱扔 乱丢 保洁 rubbish garbage trash litter bin"
    ),
    "toilet": "厕所 公厕 卫生间 洗手间 如厕 toilet restroom",
    "sewage": (
        "下水道 污水 化粪池 排水 积水 排污 返臭 反味 内涝 淹 "
        "sewage sewer drain drainage flooding flooded"
    ),
    "noise": "噪音 噪声 吵 扰民 喧哗 音响 音乐声 喇叭 闹 大声 睡不着 noise noisy loud",
    "square_dance": "广场舞 坝坝舞 跳舞 square_dance dancing",
    "construction": "施工 工地 打桩 渣土 扬尘 围挡 construction building_site",
    "renovation": "装修 电钻 砸墙 renovation drilling",
    "wiring": (
        "电线 电路 电表 跳闸 短路 漏电 线路老化 配电箱 电箱 停电 wiring wire electrical power_cut"
    ),
    "ebike_charging": "充电 电动车 电瓶车 充电桩 飞线 插线板 e-bike charging",
    "elevator": "电梯 加梯 加装 爬楼 elevator lift",
    "escalator": "扶梯 escalator",
    "leak": "漏水 渗水 防水 漏雨 发霉 屋顶 楼顶 leak leaking leaky",
    "facade": "外墙 墙砖 墙皮 脱落 危房 开裂 裂缝 falling_tile",
    "fire_lane": "消防通道 生命通道 消防车道 消防车 着火 起火 fire_lane fire_escape fire_exit",
    "fire_equipment": "灭火器 消防栓 消火栓 烟感 烟雾报警 fire_extinguisher hydrant smoke_alarm",
    "gas": "燃气 煤气 天然气 液化气 气罐 gas_leak",
    "meals": "食堂 助餐 吃饭 送餐 饭菜 canteen meal",
    "elderly_care": "养老 日间照料 养老院 老年大学 老年活动 nursing_home elderly_care",
    "school": (
        "幼儿园 学校 放学 接送 上学 托育 托儿所 入园 学位 小学 kindergarten school childcare"
    ),
    "playground": "游乐 儿童乐园 滑梯 playground",
    "crowds": (
        "人太多 游客 拥挤 挤 人山人海 限流 踩踏 人挤人 爆满 人流 crowd crowded tourist packed"
    ),
    "vendors": "摊贩 摆摊 占道经营 小摊 地摊 摊位 小贩 流动摊 vendor hawker street_stall",
    "dogs": "遛狗 狗屎 狗粪 拴绳 牵绳 养狗 狗叫 dog",
    "strays": "流浪狗 流浪猫 野狗 野猫 stray",
    "queue": "排队 黄牛 预约 买票 queue ticket",
    "property": "物业 物业费 property_management",
    "pavement": "路面 坑洼 地砖 破损 台阶 石阶 扶手 栏杆 井盖 pothole pavement",
    "graffiti": "涂鸦 涂画 乱涂 刻字 小广告 graffiti",
    "greenery": "绿化 树木 砍树 修剪 树枝 花坛 greenery tree",
    "fitness": "健身器材 健身 fitness",
    "seating": "座椅 长椅 坐的地方 bench",
    "accessibility": "无障碍 轮椅 坡道 wheelchair accessible ramp",
    "water_supply": "停水 水压 自来水 水管 水质 tap_water water_supply",
    "security": "小偷 被偷 偷窃 盗窃 治安 监控 摄像头 抢劫 theft thief stolen robbery",
    "scam": "诈骗 骗子 强卖 宰客 乱要价 scam fraud overcharge",
    "fumes": "油烟 fumes",
    "smoking": "抽烟 吸烟 二手烟 smoking",
    "homeless": "流浪汉 露宿 乞讨 homeless beggar",
    "signage": "指示牌 导视牌 路牌 标识 signage",
}
_PROBLEM_KEYS = tuple(_PROBLEMS)
_CJK_WORDS = tuple(
    (i, word)
    for i, key in enumerate(_PROBLEM_KEYS)
    for word in _PROBLEMS[key].split()
    if not word.isascii()
)
_LATIN_KEY = {
    " ".join(word.split("_")): i
    for i, key in enumerate(_PROBLEM_KEYS)
    for word in _PROBLEMS[key].split()
    if word.isascii()
}
# All English words in one pattern, longest first ("traffic jam" before "traffic").
_LATIN_WORDS = re.compile(
    r"(?<![a-z0-9])("
    + "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_LATIN_KEY, key=lambda w: (-len(w), w))
    )
    + r")(?:s|es)?(?![a-z0-9])"
)

_NON_WORD = re.compile(r"[^\w]+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_LATIN_TOKEN = re.compile(r"[a-z0-9\u00c0-\u024f]+(?:['’][a-z]+)*")
_AREA_ROLES = frozenset({"subdistrict", "short"})
# 路 followed by one of these starts another word (建设路灯: "build street lights"), as in the
# gazetteer.
_AFTER_ROAD = frozenset("灯面网线径况段费标牌")


@dataclass(frozen=True)
class Cluster:
    members: tuple[int, ...]  # indexes into the input sequence, ascending
    representative: int  # index of the most central text of the cluster
    label: str  # short representative text (<= 24 chars, "…" if cut)


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a text is: named places (spots) and the sub-districts it lies in (areas)."""

    spots: frozenset[str]
    areas: frozenset[str]

    @property
    def kind(self) -> int:
        """0 no place, 1 sub-district only, 2 a place inside one (or outside the district)."""
        return 2 if self.spots else (1 if self.areas else 0)


# --- features -----------------------------------------------------------------------------


_STARTS: dict[int, tuple[Gazetteer, dict[str, tuple[int, ...]], re.Pattern[str]]] = {}


def _starts(gaz: Gazetteer) -> tuple[dict[str, tuple[int, ...]], re.Pattern[str]]:
    """For each first character of a Chinese name, the name lengths starting with it, longest
    first, and a pattern finding those characters (kept per gazetteer, like `gazetteer_for`)."""
    hit = _STARTS.get(id(gaz))
    if hit is not None and hit[0] is gaz:
        return hit[1], hit[2]
    lengths: dict[str, set[int]] = {}
    for key in gaz.chinese:
        lengths.setdefault(key[0], set()).add(len(key))
    index = {ch: tuple(sorted(sizes, reverse=True)) for ch, sizes in lengths.items()}
    pattern = re.compile("[" + "".join(re.escape(ch) for ch in sorted(index)) + "]")
    if len(_STARTS) > 8:
        _STARTS.clear()
    _STARTS[id(gaz)] = (gaz, index, pattern)
    return index, pattern


def _matches(form: str, gaz: Gazetteer) -> list[tuple[int, int, Entry]]:
    """Exact place names (start, end, entry), leftmost-longest. The gazetteer's typo matching
    is left out: it is too slow for thousands of texts; misspellings listed in the data are
    still found."""
    found: list[tuple[int, int, Entry]] = []
    lengths, first_chars = _starts(gaz)
    taken = 0
    for m in first_chars.finditer(form):
        i = m.start()
        if i < taken:
            continue
        for size in lengths[form[i]]:
            entry = gaz.chinese.get(form[i : i + size]) if i + size <= len(form) else None
            if entry is None:
                continue
            if form[i + size - 1] == "路" and form[i + size : i + size + 1] in _AFTER_ROAD:
                continue
            found.append((i, i + size, entry))
            taken = i + size
            break
    if _has_latin(form):
        tokens = list(_LATIN_TOKEN.finditer(form.lower()))
        folded = [fold_latin(t[0]) for t in tokens]
        i = 0
        while i < len(tokens):
            step = 1
            for size in range(min(gaz.latin_max_words, len(tokens) - i), 0, -1):
                entry = gaz.latin.get("".join(folded[i : i + size]))
                if entry is not None:
                    found.append((tokens[i].start(), tokens[i + size - 1].end(), entry))
                    step = size
                    break
            i += step
    return found


def _has_latin(form: str) -> bool:
    return _ASCII_LETTER.search(form) is not None


def _place(found: Sequence[tuple[int, int, Entry]]) -> _Place:
    spots: set[str] = set()
    areas: set[str] = set()
    for _, _, entry in found:
        if entry.role in _AREA_ROLES:
            areas.update(entry.codes)
        else:
            spots.add(entry.name)
            # A road's first code is where most of it lies; the others it only touches.
            areas.update(entry.codes[:1])
    return _Place(frozenset(spots), frozenset(areas))


def _problems(form: str) -> list[int]:
    """Lexicon rows named in `form` (lower-cased)."""
    found = {i for i, word in _CJK_WORDS if word in form}
    if _has_latin(form):
        found.update(_LATIN_KEY[" ".join(m[1].split())] for m in _LATIN_WORDS.finditer(form))
    return sorted(found)


def _wording(forms: Sequence[str]) -> sp.csr_matrix:
    """L2-normalised TF-IDF rows over character unigrams and bigrams.

    Weighted as by scikit-learn's ``TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2),
    sublinear_tf=True)``: tf = 1 + ln(count), idf = ln((1 + n) / (1 + df)) + 1. Punctuation
    and emoji are word breaks (style, not content); a bigram may include the space at a word's
    edge, which marks where words start and end; the lone space, which every text has, is left
    out. Computed with numpy on code points (unigram: the code point; bigram: two code points
    in one int64): several times faster than the vectorizer's Python n-gram loop."""
    grams: list[npt.NDArray[np.int64]] = []
    for form in forms:
        words = _NON_WORD.sub(" ", form).split()
        padded = f" {' '.join(words)} " if words else ""
        points = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        bigrams = ((points[:-1] + 1) << 21) | points[1:]  # above every code point
        grams.append(np.concatenate([points[points != 32], bigrams]))
    n = len(forms)
    lengths = [len(g) for g in grams]
    vocab, columns = np.unique(np.concatenate(grams), return_inverse=True)
    counts = sp.csr_matrix(
        (
            np.ones(len(columns), dtype=np.float32),
            (np.repeat(np.arange(n), lengths), columns.ravel()),
        ),
        shape=(n, max(len(vocab), 1)),
    )
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
    counts.data = (1 + np.log(counts.data)) * idf[counts.indices]
    squares = np.bincount(
        np.repeat(np.arange(n), np.diff(counts.indptr)), weights=counts.data**2, minlength=n
    )
    norms = np.sqrt(squares)
    norms[norms == 0] = 1
    counts.data = (counts.data / np.repeat(norms, np.diff(counts.indptr))).astype(np.float32)
    return _strongest(counts, _TOP_GRAMS)


def _strongest(x: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Each row cut to its `k` heaviest n-grams (ties: lower column first), re-normalised.

    A short opinion has fewer than `k` n-grams and keeps them all. A 2,000-character one has
    thousands, most of them common characters of little weight that still cost time in every
    product with it; its rarest n-grams are what it shares with texts on the same subject."""
    lengths = np.diff(x.indptr)
    if int(lengths.max(initial=0)) <= k:
        return x
    indptr = [0]
    indices: list[npt.NDArray[np.int32]] = []
    data: list[npt.NDArray[np.float32]] = []
    for row in range(x.shape[0]):
        cols = x.indices[x.indptr[row] : x.indptr[row + 1]]
        vals = x.data[x.indptr[row] : x.indptr[row + 1]]
        if len(cols) > k:
            keep = np.sort(np.lexsort((cols, -vals))[:k])
            cols, vals = cols[keep], vals[keep]
            vals = vals / np.float32(np.sqrt(np.sum(vals * vals)))
        indices.append(cols.astype(np.int32))
        data.append(vals.astype(np.float32))
        indptr.append(indptr[-1] + len(cols))
    return sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.asarray(indptr)), shape=x.shape
    )


def _features(forms: Sequence[str], problems: Sequence[list[int]]) -> sp.csr_matrix:
    """Rows whose dot products are the wording/problem blend of the module docstring."""
    rows = [i for i, found in enumerate(problems) for _ in found]
    cols = [k for found in problems for k in found]
    vals = [1.0 / np.sqrt(len(found)) for found in problems for _ in found]
    lexicon = sp.csr_matrix(
        (np.asarray(vals, dtype=np.float32), (rows, cols)),
        shape=(len(forms), len(_PROBLEM_KEYS)),
    )
    # A text naming no listed problem is all wording (scale 1), so two such texts compare on
    # wording alone instead of being capped at 1 - w.
    scale = np.where([bool(found) for found in problems], np.sqrt(1 - _PROBLEM_WEIGHT), 1.0)
    both = sp.hstack(
        [sp.diags(scale.astype(np.float32)) @ _wording(forms), np.sqrt(_PROBLEM_WEIGHT) * lexicon],
        format="csr",
    )
    return sp.csr_matrix(both, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class _PlaceIndex:
    """Place factors of any two texts: each text points to its distinct place (texts share
    few), and a table holds the factor for every pair of distinct places."""

    of_text: npt.NDArray[np.intp]
    table: Matrix

    @classmethod
    def of(cls, places: Sequence[_Place]) -> _PlaceIndex:
        distinct: dict[_Place, int] = {}
        of_text = np.array([distinct.setdefault(p, len(distinct)) for p in places], dtype=np.intp)
        unique = list(distinct)
        kind = np.array([p.kind for p in unique], dtype=np.int8)
        kr, kc = kind[:, None], kind[None, :]
        spots = _incidence([p.spots for p in unique])
        areas = _incidence([p.areas for p in unique])
        spot = (spots @ spots.T) > 0
        area = (areas @ areas.T) > 0
        placed = np.where(
            (kr == 2) & (kc == 2),
            spot.astype(np.float32),
            np.where(area, np.where(kr == kc, 1.0, _AREA_FACTOR), 0.0).astype(np.float32),
        )
        # No place on either side: only texts without a place are alike.
        table = np.where((kr == 0) | (kc == 0), (kr == kc).astype(np.float32), placed)
        return cls(of_text, table.astype(np.float32))

    def factors(self, rows: Sequence[int], cols: Sequence[int]) -> Matrix:
        """Multiplier of the text similarity for each (row, column) pair."""
        out: Matrix = self.table[np.ix_(self.of_text[list(rows)], self.of_text[list(cols)])]
        return out


def _incidence(sets: Sequence[frozenset[str]]) -> Matrix:
    vocab = {key: k for k, key in enumerate(sorted(set().union(*sets)))}
    out = np.zeros((len(sets), max(len(vocab), 1)), dtype=np.float32)
    for i, keys in enumerate(sets):
        out[i, [vocab[key] for key in keys]] = 1.0
    return out


# --- clustering ---------------------------------------------------------------------------


def _blocks(places: Sequence[_Place]) -> list[list[int]]:
    """Indexes split so that texts in different blocks can never be similar (place factor 0):
    texts without a place together; the others joined through shared places and areas."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for i, p in enumerate(places):
        node = f"#{i}"
        if p.kind == 0:
            union(node, "none")
        for s in p.spots:
            union(node, "s:" + s)
        for a in p.areas:
            union(node, "a:" + a)
    groups: dict[str, list[int]] = {}
    for i in range(len(places)):
        groups.setdefault(find(f"#{i}"), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _similarity(z: sp.csr_matrix, where: _PlaceIndex, rows: list[int], cols: list[int]) -> Matrix:
    text = np.asarray((z[rows] @ z[cols].T).todense(), dtype=np.float32)
    sims: Matrix = text * where.factors(rows, cols)
    return sims


def _components(z: sp.csr_matrix, where: _PlaceIndex, block: list[int]) -> list[list[int]]:
    """Connected components of the block's "similarity >= threshold" graph.

    Rows are compared in chunks and only the components are carried from chunk to chunk
    (each node linked to its component's first node), never the edges: a block about one
    busy place can have millions of them."""
    m = len(block)
    if m <= _DENSE_MAX:
        return [block]
    zb = z[block]
    everyone = np.arange(m)
    labels: npt.NDArray[np.integer[Any]] = everyone
    for start in range(0, m, _ROWS_PER_CHUNK):
        chunk = block[start : start + _ROWS_PER_CHUNK]
        # Each pair once: this chunk against itself and the rows after it.
        text = (zb[start : start + len(chunk)] @ zb[start:].T).toarray()
        ii, jj = np.nonzero(text * where.factors(chunk, block[start:]) >= _THRESHOLD)
        _, first = np.unique(labels, return_index=True)
        heads = first[labels]
        graph = sp.coo_matrix(
            (
                np.ones(len(ii) + m, dtype=np.int8),
                (np.concatenate([ii + start, everyone]), np.concatenate([jj + start, heads])),
            ),
            shape=(m, m),
        )
        _, labels = connected_components(graph, directed=False)
    parts: dict[int, list[int]] = {}
    for pos, label in enumerate(labels.tolist()):
        parts.setdefault(label, []).append(block[pos])
    return sorted(parts.values(), key=lambda g: g[0])


def _split_by_problem(z: sp.csr_matrix, part: list[int]) -> list[list[int]]:
    """Last resort for a huge component (thousands of opinions about one place): one piece
    per first problem named (texts naming none together), in slices of `_COMPONENT_MAX`.
    Unlike the other splits this one can separate texts that would have merged."""
    lexicon = sp.csr_matrix(z[part][:, -len(_PROBLEM_KEYS) :])
    groups: dict[int, list[int]] = {}
    for row, idx in enumerate(part):
        named = lexicon.indices[lexicon.indptr[row] : lexicon.indptr[row + 1]]
        groups.setdefault(int(named.min()) if len(named) else -1, []).append(idx)
    out: list[list[int]] = []
    for g in groups.values():
        out += [g[k : k + _COMPONENT_MAX] for k in range(0, len(g), _COMPONENT_MAX)]
    return sorted(out, key=lambda g: g[0])


def _average_linkage(sims: Matrix) -> npt.NDArray[np.intp]:
    """Flat cluster labels (0-based) of UPGMA cut at mean similarity `_THRESHOLD`."""
    m = len(sims)
    if m == 1:
        return np.zeros(1, dtype=np.intp)
    # The condensed distance matrix, row by row (no m*m index arrays).
    distances = np.concatenate([1.0 - sims[i, i + 1 :].astype(np.float64) for i in range(m - 1)])
    np.clip(distances, 0.0, 2.0, out=distances)
    tree = linkage(distances, method="average")
    labels = fcluster(tree, t=1.0 - _THRESHOLD, criterion="distance")
    return np.asarray(labels, dtype=np.intp) - 1


# --- labels -------------------------------------------------------------------------------

# A clause: a run between sentence or clause punctuation, without blanks at either end.
_CLAUSE = re.compile(
    r"[^。！？!?；;，,、：:…~～\s](?:[^。！？!?；;，,、：:…~～]*[^。！？!?；;，,、：:…~～\s])?"
)
_TRIM = " \t\n。！？!?；;，,、…~～：:-—"


def _joins(ch: str) -> bool:
    """A character that belongs to the one before it (combining mark, ZWJ, selector, tag)."""
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Sk")
        or ch in "\u200d\ufe0e\ufe0f"
        or 0x1F3FB <= ord(ch) <= 0x1F3FF
        or 0xE0020 <= ord(ch) <= 0xE007F
    )


def _mid_flag(text: str, pos: int) -> bool:
    """Whether `pos` falls between the two regional indicators of a flag (🇨🇳)."""
    run = 0
    while pos - run > 0 and 0x1F1E6 <= ord(text[pos - run - 1]) <= 0x1F1FF:
        run += 1
    return run % 2 == 1 and 0x1F1E6 <= ord(text[pos]) <= 0x1F1FF


def _cut(text: str, limit: int = LABEL_MAX) -> str:
    """`text` in at most `limit` characters: whole if it fits, else cut where no word, number
    or emoji sequence is split, with "…"."""
    if len(text) <= limit:
        return text
    end = limit - 1
    while end > 0 and (_joins(text[end]) or text[end - 1] == "\u200d" or _mid_flag(text, end)):
        end -= 1
    word_start = end
    while word_start > 0 and text[word_start - 1].isascii() and text[word_start - 1].isalnum():
        word_start -= 1
    if text[end].isascii() and text[end].isalnum() and word_start > 0:
        end = word_start
    head = text[:end].rstrip(_TRIM)
    return (head or text[: limit - 1]) + "…"


def _label(text: str, gaz: Gazetteer) -> str:
    """The run of clauses (at most `LABEL_MAX` characters where possible) that names the most
    places and problems; of equals, the first that starts with such a clause, then the
    shortest: "我想反映一下，凯旋路停车太难了，每天…" gives "凯旋路停车太难了". Cut with
    "…" when even one clause is too long."""
    flat = " ".join(text.split())
    spans = [(m.start(), m.end()) for m in _CLAUSE.finditer(flat)]
    if not spans:
        return _cut(flat)
    topics: list[set[str]] = []
    for start, end in spans:
        clause = flat[start:end]
        names = {entry.name for _, _, entry in _matches(clause, gaz)}
        topics.append(names | {_PROBLEM_KEYS[k] for k in _problems(clause.lower())})
    best: tuple[int, bool, int, int] | None = None
    best_span = spans[0]
    for i, (start, _) in enumerate(spans):
        seen: set[str] = set()
        for j in range(i, len(spans)):
            end = spans[j][1]
            if j > i and end - start > LABEL_MAX:
                break
            seen |= topics[j]
            key = (-len(seen), not topics[i], start, end - start)
            if best is None or key < best:
                best, best_span = key, (start, end)
    return _cut(flat[best_span[0] : best_span[1]])


# --- the entry point ----------------------------------------------------------------------


def cluster_texts(texts: Sequence[str], *, district: District | None = None) -> list[Cluster]:
    """Group `texts` by similar problem at the same place.

    Every index is in exactly one cluster; clusters come largest first, then by their first
    member. Deterministic for a given input.
    """
    if not texts:
        return []
    gaz = gazetteer_for(district if district is not None else load_district())
    if len(texts) == 1:
        return [Cluster((0,), 0, _label(texts[0], gaz))]
    forms = [matching_form(t) for t in texts]
    memo: dict[str, tuple[_Place, list[int]]] = {}
    for form in forms:
        if form not in memo:
            found = _matches(form, gaz)
            memo[form] = (_place(found), _problems(form.lower()))
    places = [memo[f][0] for f in forms]
    z = _features([f.lower() for f in forms], [memo[f][1] for f in forms])

    where = _PlaceIndex.of(places)

    groups: list[tuple[list[int], int]] = []
    for block in _blocks(places):
        for part in _components(z, where, block):
            pieces = [part] if len(part) <= _COMPONENT_MAX else _split_by_problem(z, part)
            for piece in pieces:
                sims = _similarity(z, where, piece, piece)
                labels = _average_linkage(sims)
                for label in range(int(labels.max()) + 1):
                    local = np.flatnonzero(labels == label)
                    centrality = sims[np.ix_(local, local)].sum(axis=1)
                    best = int(local[int(np.argmax(centrality))])
                    groups.append((sorted(piece[k] for k in local), piece[best]))
    groups.sort(key=lambda g: (-len(g[0]), g[0][0]))
    return [Cluster(tuple(m), rep, _label(texts[rep], gaz)) for m, rep in groups]
