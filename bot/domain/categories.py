"""Topic categories of opinions and the keyword matcher that suggests one.

Keywords are multi-character on purpose: single characters give false hits (电 in 电话,
车 in 车站, 火 in 火锅). Where keywords overlap, the longest wins (电动车充电 is about wiring,
not parking; 占道经营 is order, not business). Each distinct keyword counts once, so repeating a
word does not outweigh a second topic.

The topic is what is wrong with which thing, not who suffers from it or what it leads to:
"扶梯经常停运，老人很不方便" is about the escalator. Words for people (老人, 孩子, 学生) and for
consequences (不安全) are weak hints that only decide when nothing else is named.

Two things a weighted word list cannot see are added as small rules:
- Where a lift is. 电梯 in a home (楼, 小区, 物业, "our") is old housing; at a station, an exit,
  a slope or a park it is a municipal facility; with no clue it counts for both.
- Who blocks what. Cars parked in a fire lane or on a pavement are a parking problem first; the
  fire lane stays the second topic, which `CategoryGuess.secondary` carries.

Public toilets stay under sanitation: China's planning standard for sanitation facilities
(GB 50337) counts them as sanitation facilities, run by the sanitation service, and most
complaints about them are about cleanliness.
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
    Category("municipal_facilities", "市政设施", "Municipal facilities"),
    Category("other", "其他", "Other"),
)
OTHER = "other"
_ORDER = {c.key: i for i, c in enumerate(CATEGORIES)}


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
        (3, "停车 停车位 乱停 违停 堵车 拥堵 早晚高峰"),
        (3, "parking traffic traffic_jam congestion"),
        (2.5, "车停 私家车 逆行"),
        (2, "车位 停车场 交通 红绿灯 信号灯 斑马线 人行横道 过马路 公交 公交站 共享单车 超速"),
        (2, "停满 高峰 进站 出站"),
        (2, "bus bus_stop crosswalk traffic_light"),
        (1.5, "轻轨 地铁 出租车 网约车 电动车 摩托车 开车 车辆 汽车 鸣笛 掉头 货车 倒车 车子 长龙"),
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
        (3, "wiring wire electrical short_circuit extension_cord extension_lead"),
        (2.5, "充电 配电 变压器 电路 停电 跳闸"),
        (2.5, "electricity power_cut power_outage"),
        (2, "电表 电箱 插座 插线板 电闸"),
        (2, "socket charging"),
        (1.5, "乱拉"),
    ),
    "environment_sanitation": (
        (3, "垃圾 垃圾桶 垃圾分类 卫生死角 脏乱差 污水 化粪池"),
        (3, "rubbish garbage trash litter sewage"),
        (2.5, "脏乱 臭味 异味 噪音 噪声 油烟 污染 扬尘 狗屎 狗粪 保洁 公厕 烟头 泔水"),
        (2.5, "dirty smell stink noise noisy pollution dog_poo dog_mess"),
        (2, "清运 卫生 太吵 老鼠 蟑螂 清扫 厕所 绿化 环境 乱倒 装修 电钻"),
        (2, "toilet rat cleaning"),
        (1.5, "蚊子"),
    ),
    "old_housing": (
        (4, "老旧小区 加装电梯"),
        (3, "旧改 危房 无物业 棚户区 维修基金 楼梯扶手"),
        (3, "old_housing renovation property_management"),
        (2.5, "老房子 漏水 渗水 墙皮 电梯 物业 楼道灯"),
        (2.5, "elevator leak leaking"),
        (2, "改造 老楼 外墙 屋顶 房顶 防水 水管 防盗网"),
        (2, "lift roof"),
        (1.5, "楼道 楼梯"),
        (1.5, "stairwell"),
        (1, "小区"),
    ),
    "public_order": (
        (3.5, "占道经营"),
        (3, "治安 小偷 偷窃 被偷 盗窃 打架 斗殴 抢劫 诈骗 赌博 流动摊贩 拉客 闹事"),
        (3, "theft thief stolen robbery scam scammer pickpocket fraud break_into breaking_into"),
        (3, "broke_into"),
        (2.5, "骗子 被骗 骗钱 冒充 撬锁 摆摊 摊贩 广场舞 乞讨"),
        (2.5, "fight street_vendor"),
        (2, "醉酒 喝醉 城管 扰民 监控 摄像头 吵架 推销 游荡"),
        (2, "police security drunk cctv"),
        (0.5, "不安全"),
    ),
    "elderly_children": (
        (4, "一老一小 适老化改造"),
        (3, "养老 助餐 老年食堂 长者食堂 日间照料 空巢 失能 适老化 托育 托儿所 幼儿园 婴幼儿"),
        (3, "母婴室"),
        (3, "elderly older_people senior kindergarten childcare"),
        (2.5, "社区食堂 独居 托管 游乐设施"),
        (2.5, "playground nursery"),
        (2, "儿童 老年人"),
        (2, "old_people children child kid"),
        (1, "老人 孩子 小孩 学生 放学 课后 上学"),
        (1, "school"),
    ),
    "business_tourism": (
        (3, "游客 旅游 景区 商圈 宰客"),
        (3, "tourist tourism tour_bus tour_group"),
        (2.5, "景点 网红 打卡 商家 商铺 夜市 商场 导游 民宿 外摆"),
        (2.5, "visitor sightseeing"),
        (2, "店铺 门面 步行街 酒店 餐馆 火锅店 人太多 营业 消费 索道"),
        (2, "shop business restaurant hotel crowd crowded market"),
    ),
    "municipal_facilities": (
        (4, "路灯不亮 井盖 窨井 自动扶梯 观光电梯 公共电梯"),
        (4, "manhole street_light streetlight escalator pothole"),
        (3, "路灯 扶梯 梯坎 盲道 下水道 排水沟 积水 路面 坑洼 坑坑洼洼 塌陷 市政"),
        (3, "长椅 座椅 候车亭 雨棚 栏杆 护栏 扶手 地砖 雨水篦子"),
        (3, "drain drainage bench bus_shelter handrail railing lamp_post paving"),
        (2.5, "排水 堵塞 盖板 台阶 大坑 无障碍 路牌 指示牌 公共设施 坐凳 步道 人行天桥 砖头 翘起"),
        (2.5, "flooding flooded steps stairs staircase stairway footbridge"),
        # Places: where a thing is, not what is wrong ("地下通道里有人乞讨" is order).
        (2, "人行道 天桥 地下通道 破损 松动"),
        (2, "pavement sidewalk footpath underpass"),
        (1.5, "公园"),
    ),
}
_KEYWORDS: dict[str, tuple[tuple[str, float], ...]] = {
    key: tuple((word.replace("_", " "), w) for w, words in rows for word in words.split())
    for key, rows in _KEYWORD_TABLE.items()
}

# A lift at home is the building's; a lift on the way through the city is a public facility.
# The nearest clue decides; with none the word counts for both.
_LIFTS = frozenset({"电梯", "lift", "elevator"})
_HOME_CLUE = re.compile(
    r"小区|楼|单元|家|住户|物业|业主|宿舍|老房子"
    r"|(?<![a-z])(?:our|my|building|flat|apartment|block|estate|home)(?![a-z])"
)
_PUBLIC_CLUE = re.compile(
    r"站|出口|通道|天桥|步道|梯坎|坡|公园|广场|马路|街上|路边|景区|公共|码头"
    r"|(?<![a-z])(?:station|exit|metro|underpass|park|street|square|public)(?![a-z])"
)

# Vehicles standing where they block something else: the parking is the main topic. Within one
# clause, so "停车难，消防通道被占" stays two topics side by side. A rule counts once.
_CLAUSE = r"[^,.;!?。；、\n]"
_BLOCKED = r"(?:消防通道|生命通道|人行道|盲道)"
# E-bikes in a fire lane are a fire risk in themselves (they burn, and get charged there).
_VEHICLE = r"(?:(?<!消防)(?<!救护)(?<!电动)(?<!电瓶)车|停)"
_CAUSE_RULES: tuple[tuple[str, str, float, re.Pattern[str]], ...] = (
    (
        "parking_traffic",
        "车占通道",
        4.5,
        re.compile(
            rf"{_VEHICLE}{_CLAUSE}{{0,10}}{_BLOCKED}|{_BLOCKED}{_CLAUSE}{{0,10}}{_VEHICLE}"
            rf"|(?<![a-z])(?:cars?|vehicles?|parked|parks?)(?![a-z])[^.;!?]{{0,40}}"
            r"(?:fire lane|fire exit|pavement|sidewalk)"
            r"|(?:fire lane|pavement|sidewalk)[^.;!?]{0,40}(?:cars?|vehicles?|parked)(?![a-z])"
        ),
    ),
)

# A second topic is offered first only when it is named, not merely hinted at (a lone 老人 or
# 不安全 is not a topic), and carries a fair share of the main topic's weight.
_SECOND_MIN_SCORE = 2.5
_SECOND_MIN_SHARE = 0.4


@dataclass(frozen=True, slots=True)
class CategoryGuess:
    key: str  # OTHER when nothing matched
    confidence: float  # 0..1
    level: Level
    evidence: tuple[str, ...]  # keywords that counted for `key`
    alternatives: tuple[str, ...]  # other matched keys, best first
    secondary: str | None = None  # a second topic the text really names: offer it first
    score: float = 0.0  # summed keyword weight behind `key`: 1 a hint, 3 a strong word


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
    """Keyword hits in `text` (already lower-cased ASCII), longest first where they overlap."""
    found: list[_Hit] = []
    for key, kw, weight in _CHINESE:
        start = text.find(kw)
        while start != -1:
            found.append(_Hit(start, start + len(kw), kw, key, weight))
            start = text.find(kw, start + 1)
    for key, kw, weight, pattern in _ENGLISH:
        found.extend(_Hit(m.start(), m.end(), kw, key, weight) for m in pattern.finditer(text))
    # Longest first; a hit inside (or crossing) an accepted one is dropped.
    found.sort(key=lambda h: (-(h.end - h.start), -h.weight, h.start))
    taken: list[_Hit] = []
    for hit in found:
        if all(hit.end <= t.start or hit.start >= t.end for t in taken):
            taken.append(hit)
    return sorted(taken, key=lambda h: h.start)


def _nearest(pattern: re.Pattern[str], text: str, hit: _Hit) -> float:
    """Distance in characters from `hit` to the nearest match of `pattern` (inf if none)."""
    gaps = [
        max(m.start() - hit.end, hit.start - m.end(), 0)
        for m in pattern.finditer(text)
        if m.end() <= hit.start or m.start() >= hit.end
    ]
    return min(gaps, default=math.inf)


def _placed(hit: _Hit, text: str) -> list[_Hit]:
    """A lift hit as the building's, the city's, or (no clue either way) both."""
    if hit.keyword not in _LIFTS:
        return [hit]
    home, public = _nearest(_HOME_CLUE, text, hit), _nearest(_PUBLIC_CLUE, text, hit)
    city = _Hit(hit.start, hit.end, hit.keyword, "municipal_facilities", hit.weight)
    if public < home:
        return [city]
    return [hit] if home < public else [hit, city]


def _scores(text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
    form = matching_form(text).translate(_ASCII_LOWER)  # str.lower() may change lengths
    scores: dict[str, float] = {}
    evidence: dict[str, list[str]] = {}

    def add(key: str, word: str, weight: float) -> None:
        words = evidence.setdefault(key, [])
        if word not in words:
            words.append(word)
            scores[key] = scores.get(key, 0.0) + weight

    for hit in _hits(form):
        for placed in _placed(hit, form):
            add(placed.key, placed.keyword, placed.weight)
    for key, label, weight, pattern in _CAUSE_RULES:
        if pattern.search(form):
            add(key, label, weight)
    return scores, evidence


def suggest_category(text: str) -> CategoryGuess:
    """The likeliest category of `text`, from weighted keywords (Chinese and English).

    Confidence = share of the best category in all matched weight, times a saturation
    (1 - e^(-score/2.5)) so that one weak hint is not "high".
    """
    scores, evidence = _scores(text)
    if not scores:
        return CategoryGuess(OTHER, 0.0, "none", (), ())
    ranked = sorted(scores, key=lambda k: (-scores[k], _ORDER[k]))
    best = ranked[0]
    confidence = scores[best] / sum(scores.values()) * (1 - math.exp(-scores[best] / 2.5))
    secondary = None
    if len(ranked) > 1:
        runner_up = scores[ranked[1]]
        if runner_up >= _SECOND_MIN_SCORE and runner_up >= _SECOND_MIN_SHARE * scores[best]:
            secondary = ranked[1]
    return CategoryGuess(
        best,
        round(confidence, 3),
        level_of(round(confidence, 3)),
        tuple(evidence[best]),
        tuple(ranked[1:]),
        secondary,
        scores[best],
    )
