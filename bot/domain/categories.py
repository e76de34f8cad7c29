"""Topic categories of opinions and the keyword matcher that suggests one.

Keywords are multi-character on purpose: single characters give false hits (电 in 电话,
车 in 车站, 火 in 火锅). Where keywords overlap, the longest wins (电动车充电 is about wiring,
not parking; 占道经营 is order, not business). Each distinct keyword counts once, so repeating a
word does not outweigh a second topic.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.domain.levels import Level, level_of
from bot.domain.text import matching_form


@dataclass(frozen=True, slots=True)
class Category:
    key: str  # stable, stored in the database and in button data
    zh: str
    en: str


CATEGORIES: tuple[Category, ...] = (
    Category("parking_traffic", "停车/交通", "Parking / traffic"),
    Category("fire_safety", "消防", "Fire safety"),
    Category("electrical_safety", "用电安全", "Electrical safety"),
    Category("environment_sanitation", "环境卫生", "Environment / sanitation"),
    Category("old_housing", "老旧小区改造", "Old housing renovation"),
    Category("public_order", "社会治安/秩序", "Public order / safety"),
    Category("elderly_children", "一老一小服务", "Elderly and children"),
    Category("business_tourism", "商业与旅游", "Business and tourism"),
    Category("other", "其他", "Other"),
)
OTHER = "other"


def category_label(category: Category, lang: str) -> str:
    return category.en if lang == "en" else category.zh


def category_by_key(key: str) -> Category | None:
    return next((c for c in CATEGORIES if c.key == key), None)


# Keywords by weight: 4 = unambiguous phrase, 3 = strong word, 2-2.5 = typical, 1-1.5 = weak
# hint. Space-separated; "_" stands for a space inside an English phrase. English keywords
# match whole words, with an optional plural s/es.
_KEYWORD_TABLE: dict[str, tuple[tuple[float, str], ...]] = {
    "parking_traffic": (
        (4, "违章停车 占道停车"),
        (3, "停车 停车位 乱停 违停 堵车 拥堵"),
        (3, "parking traffic traffic_jam congestion"),
        (2, "车位 停车场 交通 红绿灯 信号灯 斑马线 人行横道 过马路 公交 公交站 共享单车 超速"),
        (2, "停满"),
        (2, "bus bus_stop crosswalk traffic_light"),
        (1.5, "轻轨 地铁 出租车 网约车 电动车 摩托车 开车 车辆 汽车 鸣笛 掉头"),
        (1.5, "car taxi metro light_rail scooter bike"),
    ),
    "fire_safety": (
        (4, "消防通道 生命通道"),
        (4, "fire_lane fire_escape fire_exit"),
        (3, "消防 火灾 着火 起火 失火 灭火器 消防栓 消火栓 烟雾报警 防火"),
        (3, "fire extinguisher hydrant smoke_alarm"),
        (2.5, "安全出口 燃气泄漏"),
        (2, "疏散 逃生 易燃 液化气 煤气罐"),
        (2, "flammable"),
    ),
    "electrical_safety": (
        (4, "私拉电线 乱拉电线 电线乱拉 飞线充电 电动车充电"),
        (3, "电线 飞线 漏电 触电 短路 线路老化 用电"),
        (3, "wiring wire electrical short_circuit"),
        (2.5, "充电 配电 变压器 电路 停电 跳闸"),
        (2.5, "electricity power_cut power_outage"),
        (2, "电表 电箱 插座 插线板 电闸"),
        (2, "socket charging"),
        (1.5, "乱拉"),
    ),
    "environment_sanitation": (
        (3, "垃圾 垃圾桶 垃圾分类 卫生死角 脏乱差 污水 化粪池"),
        (3, "rubbish garbage trash litter sewage"),
        (2.5, "脏乱 臭味 异味 下水道 噪音 噪声 油烟 污染 扬尘 狗屎 狗粪 保洁 公厕"),
        (2.5, "dirty smell stink noise noisy pollution"),
        (2, "清运 卫生 太吵 老鼠 蟑螂 清扫 厕所 绿化 环境"),
        (2, "toilet rat cleaning"),
        (1.5, "蚊子"),
    ),
    "old_housing": (
        (4, "老旧小区 加装电梯"),
        (3, "旧改 危房 无物业 棚户区 维修基金"),
        (3, "old_housing renovation property_management"),
        (2.5, "老房子 漏水 渗水 墙皮 电梯 物业"),
        (2.5, "elevator leak leaking"),
        (2, "改造 老楼 外墙 屋顶 房顶 防水"),
        (2, "lift roof"),
        (1.5, "楼道 楼梯"),
        (1.5, "stairwell"),
        (1, "小区"),
    ),
    "public_order": (
        (3.5, "占道经营"),
        (3, "治安 小偷 偷窃 被偷 盗窃 打架 斗殴 抢劫 诈骗 赌博 流动摊贩"),
        (3, "theft thief stolen robbery scam fraud"),
        (2.5, "骗子 摆摊 摊贩 广场舞 乞讨 路灯"),
        (2.5, "fight street_vendor street_light streetlight"),
        (2, "醉酒 城管 扰民 监控 摄像头 吵架"),
        (2, "police security drunk cctv"),
        (1, "不安全"),
    ),
    "elderly_children": (
        (4, "一老一小"),
        (3, "养老 助餐 老年食堂 长者食堂 日间照料 空巢 失能 适老化 托育 托儿所 幼儿园 婴幼儿"),
        (3, "母婴室"),
        (3, "elderly older_people senior kindergarten childcare"),
        (2.5, "老年人 社区食堂 独居 儿童 托管"),
        (2.5, "old_people children child kid playground nursery"),
        (2, "老人 孩子 小孩 放学 课后 上学"),
        (1.5, "school"),
    ),
    "business_tourism": (
        (3, "游客 旅游 景区 商圈 宰客"),
        (3, "tourist tourism"),
        (2.5, "景点 网红 打卡 商家 商铺 夜市 商场 导游 民宿 外摆"),
        (2.5, "visitor sightseeing"),
        (2, "店铺 门面 步行街 酒店 餐馆 火锅店 人太多 营业 消费"),
        (2, "shop business restaurant hotel crowd crowded market"),
    ),
}
_KEYWORDS: dict[str, tuple[tuple[str, float], ...]] = {
    key: tuple((word.replace("_", " "), w) for w, words in rows for word in words.split())
    for key, rows in _KEYWORD_TABLE.items()
}


@dataclass(frozen=True, slots=True)
class CategoryGuess:
    key: str  # OTHER when nothing matched
    confidence: float  # 0..1
    level: Level
    evidence: tuple[str, ...]  # keywords that counted for `key`
    alternatives: tuple[str, ...]  # other matched keys, best first


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    keyword: str
    key: str
    weight: float


def _is_latin(keyword: str) -> bool:
    return keyword.isascii()


def _english_pattern(keyword: str) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(w) for w in keyword.split())
    return re.compile(rf"(?<![a-z0-9]){words}(?:s|es)?(?![a-z0-9])")


_ENGLISH = tuple(
    (key, kw, weight, _english_pattern(kw))
    for key, kws in _KEYWORDS.items()
    for kw, weight in kws
    if _is_latin(kw)
)
_CHINESE = tuple(
    (key, kw, weight) for key, kws in _KEYWORDS.items() for kw, weight in kws if not _is_latin(kw)
)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _hits(text: str) -> list[_Hit]:
    found: list[_Hit] = []
    for key, kw, weight in _CHINESE:
        start = text.find(kw)
        while start != -1:
            found.append(_Hit(start, start + len(kw), kw, key, weight))
            start = text.find(kw, start + 1)
    lowered = text.translate(_ASCII_LOWER)  # str.lower() may change lengths, this cannot
    for key, kw, weight, pattern in _ENGLISH:
        found.extend(_Hit(m.start(), m.end(), kw, key, weight) for m in pattern.finditer(lowered))
    # Longest first; a hit inside (or crossing) an accepted one is dropped.
    found.sort(key=lambda h: (-(h.end - h.start), -h.weight, h.start))
    taken: list[_Hit] = []
    for hit in found:
        if all(hit.end <= t.start or hit.start >= t.end for t in taken):
            taken.append(hit)
    return sorted(taken, key=lambda h: h.start)


def suggest_category(text: str) -> CategoryGuess:
    """The likeliest category of `text`, from weighted keywords (Chinese and English).

    Confidence = share of the best category in all matched weight, times a saturation
    (1 - e^(-score/2.5)) so that one weak hint is not "high".
    """
    scores: dict[str, float] = {}
    evidence: dict[str, list[str]] = {}
    for hit in _hits(matching_form(text)):
        words = evidence.setdefault(hit.key, [])
        if hit.keyword not in words:
            words.append(hit.keyword)
            scores[hit.key] = scores.get(hit.key, 0.0) + hit.weight
    if not scores:
        return CategoryGuess(OTHER, 0.0, "none", (), ())
    order = [c.key for c in CATEGORIES]
    ranked = sorted(scores, key=lambda k: (-scores[k], order.index(k)))
    best = ranked[0]
    confidence = scores[best] / sum(scores.values()) * (1 - math.exp(-scores[best] / 2.5))
    confidence = round(confidence, 3)
    return CategoryGuess(
        best, confidence, level_of(confidence), tuple(evidence[best]), tuple(ranked[1:])
    )
