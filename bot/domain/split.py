"""One message, several problems: where to cut it, and whether cutting is worth offering.

Residents often put two problems in one message ("一是七星岗通远门没有电梯；二是菜园坝火车站旁边
晚上有人拉客"). Tagged as one opinion, the second problem reaches the members of the wrong
sub-district. `split_problems` finds the parts so the bot can offer to file them separately.

Cuts come at sentence ends, semicolons, line breaks and enumeration markers (一是/二是, 第一/第二,
1. 2., 1、2、, (1)(2), ①②, 首先/其次, 另外, 还有, 此外, "1) 2)", "Also, ..."). Numbered markers
count only as a run 1, 2, ... so that "3.5米" or a lone "2、" cut nothing. Commas never cut: a
comma mostly joins a problem to its detail.

Offering a split nobody wanted is an annoyance, so it is offered only when at least two parts
each name a problem and they differ in sub-district or in topic. A sentence that only says where
("我住在七星岗。"), only says who suffers or what follows ("老人很不方便。", "万一着火怎么办？"),
or asks for a fix ("希望尽快解决。") belongs to the problem next to it. Without an enumeration
marker, two topics must both be named strongly and must not be a usual cause and effect (cars in
a fire lane; a blocked drain and the sewage it spills), since one problem is often told in two
sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.categories import OTHER, CategoryGuess, suggest_category
from bot.domain.district import District
from bot.domain.tagging import suggest_subdistrict


@dataclass(frozen=True, slots=True)
class Part:
    text: str  # the part as the resident wrote it, trimmed of 一是/1./其次 etc.
    subdistrict: str | None  # suggest_subdistrict(...).code when its level is "high", else None
    category: str  # suggest_category(...) best key


# A topic is named (not just hinted at) from one typical keyword up; strongly named from one
# strong keyword up. See the weights in bot.domain.categories.
_NAMED = 2.0
#: Longer texts are one account told at length (a letter, a petition), not a list of
#: separate complaints; splitting them would also cost a place lookup per sentence.
MAX_SPLIT_CHARS = 800
#: At most this many sentences are looked at.
MAX_PIECES = 12
_STRONG = 3.0
# Topics that one problem often brings together in consecutive sentences.
_LINKED = frozenset(
    {
        frozenset({"parking_traffic", "fire_safety"}),
        frozenset({"electrical_safety", "fire_safety"}),
        frozenset({"municipal_facilities", "environment_sanitation"}),
        frozenset({"old_housing", "electrical_safety"}),
        frozenset({"business_tourism", "environment_sanitation"}),  # crowds leave litter
        frozenset({"business_tourism", "parking_traffic"}),  # and jam the roads
    }
)

# Sentence ends. A period ends an English sentence unless it follows a digit ("1. ", "3.5").
_END = re.compile(r"[。！？!?；;…]+|\n+|(?<![0-9０-９])[.．](?=\s)")
_AT_CLAUSE_START = r"(?:^|(?<=[\s，,。；;：:！!？?、]))"
_CN_ORDINALS = "一二三四五六七八九十"
_MARKER = re.compile(
    r"(?:"
    # (1) and ① mark a list wherever they stand; the others only at the start of a clause.
    + r"[(（]\s*(?P<pdigit>[1-9１-９])\s*[)）]"
    + r"|(?P<circled>[①-⑩])"
    + r"|"
    + _AT_CLAUSE_START
    + r"(?:"
    + r"(?P<digit>[1-9１-９])\s*(?:[.．](?![0-9０-９])|[、)）:：])"
    # 第一次, 第二天 count things; 第一个问题, 第一点 list them.
    + rf"|(?:第|其)(?P<cn>[{_CN_ORDINALS}])(?:个问题|个事|件事|点|条)?(?:是|就是)?"
    + r"(?![次天年月号名届期楼层栋批个位])"
    + rf"|(?P<cnbare>[{_CN_ORDINALS}])(?:是|来|则|[、，,.．:：])"
    # 还有人… is "there are also people who…": no marker, the sentence keeps its subject.
    + r"|(?P<seq>首先|其次|再次|最后|另外|此外|再就是|还有就是|还有(?![人些个])|再有|再者"
    + r"|另一个问题"
    + r"|(?i:also|besides|in addition|another thing|firstly|secondly|thirdly|finally|lastly)"
    + r"(?![A-Za-z]))(?:是|就是)?"
    + r"))[\s，,、:：]*"
)
# "最后" also closes ordinary stories ("最后还是没人管"): a boundary only beside other markers.
_WEAK_SEQ = frozenset({"最后", "finally", "lastly"})
# What only follows from, refers back to or asks about the problem before it.
_FOLLOW_UP = re.compile(
    r"(?:所以|因此|导致|结果|害得|搞得|弄得|造成|以致|以至于|万一|一旦|这样|这就|这让|这使|"
    r"很容易|容易|不然|否则|担心|怕|生怕|希望|建议|请|麻烦|恳请|能不能|可不可以|"
    r"(?i:so|this|that|it|which|please|hope)(?![A-Za-z]))"
)
# Something is wrong. A sentence that names a topic only weakly needs one of these to be a
# problem of its own; so does an enumerated item that names no topic at all.
_COMPLAINT = re.compile(
    r"没有|没人|不|太|乱|差|难|坏|脏|臭|吵|黑|缺|少|堵|占|漏|掉|破|烂|断|碎|塌|松|锈|停运|过期|"
    r"老化|危险|隐患|有人|被|经常|总是|老是|天天|每天|一直|好几|严重|多|满|挤|全是|到处|还在|希望|建议|能不能|增加|"
    r"(?i:no|not|never|broken|blocked|missing|out|too|dirty|every|always|keeps?|piles?|"
    r"nightmare|dangerous|unsafe|smells?|leaks?|late)(?![A-Za-z])|n't"
)
# ... unless it is praise or a comparison ("不错" holds 不, "很好" is no complaint).
_PRAISE = re.compile(r"倒是|不错|挺好|很好|还好|还可以|满意|及时|点赞|感谢|谢谢")
_TRIM = " \t\n\u3000，,、；;：:"


@dataclass(frozen=True, slots=True)
class _Marker:
    start: int
    end: int
    family: str  # "digit", "circled", "cn" or "seq"
    number: int | None
    word: str


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    marked: bool  # began at an enumeration marker


@dataclass(frozen=True, slots=True)
class _Unit:
    """A stretch of the text with what it is about: a piece, or pieces taken as one problem."""

    span: _Span
    text: str
    guess: CategoryGuess
    place: str | None  # sub-district code when suggest_subdistrict is sure ("high")

    @property
    def marked(self) -> bool:
        return self.span.marked


_FULL_DIGITS = str.maketrans("１２３４５６７８９", "123456789")


def _number(m: re.Match[str]) -> tuple[str, int | None]:
    for family, group in (("digit", "pdigit"), ("digit", "digit"), ("cn", "cn"), ("cn", "cnbare")):
        value = m.group(group)
        if value:
            if family == "digit":
                return family, int(value.translate(_FULL_DIGITS))
            return family, _CN_ORDINALS.index(value) + 1
    if m.group("circled"):
        return "circled", ord(m.group("circled")) - ord("①") + 1
    return "seq", None


def _markers(text: str) -> list[_Marker]:
    """Enumeration markers that really enumerate: runs 1, 2, ... of one kind, and sequence
    words ("最后" only beside another marker)."""
    found = []
    for m in _MARKER.finditer(text):
        family, number = _number(m)
        found.append(_Marker(m.start(), m.end(), family, number, m.group("seq") or ""))
    kept: list[_Marker] = []
    for family in ("digit", "circled", "cn"):
        run: list[_Marker] = []
        for marker in (x for x in found if x.family == family):
            if marker.number == len(run) + 1:
                run.append(marker)
        if len(run) >= 2:
            kept.extend(run)
    seq = [x for x in found if x.family == "seq"]
    strong = [x for x in seq if x.word.lower() not in _WEAK_SEQ]
    if kept or strong:
        kept.extend(seq)
    return sorted(kept, key=lambda x: x.start)


def _spans(text: str) -> list[_Span]:
    """The stretches between cuts, markers left out, empty ones dropped."""
    cuts: list[tuple[int, int, bool]] = [(m.end(), m.end(), False) for m in _END.finditer(text)]
    cuts += [(m.start, m.end, True) for m in _markers(text)]
    cuts.sort()
    spans = []
    start, marked = 0, False
    for cut_at, resume_at, is_marker in cuts:
        if cut_at >= start and (is_marker or cut_at > start):
            spans.append(_Span(start, cut_at, marked))
            start, marked = resume_at, is_marker
        elif is_marker:  # a marker overlapping a sentence end: the next piece is marked
            start, marked = max(start, resume_at), True
    spans.append(_Span(start, len(text), marked))
    return [sp for sp in spans if text[sp.start : sp.end].strip(_TRIM + "。.！!？?")]


def _unit(span: _Span, text: str, district: District) -> _Unit:
    part = text[span.start : span.end].strip(_TRIM)
    place = suggest_subdistrict(part, district)
    return _Unit(span, part, suggest_category(part), place.code if place.level == "high" else None)


def _join(a: _Unit, b: _Unit, text: str, district: District) -> _Unit:
    """`a` and `b` (with all between them) as one problem; it begins where `a` does."""
    return _unit(_Span(a.span.start, b.span.end, a.marked), text, district)


def _is_problem(unit: _Unit, *, first: bool) -> bool:
    """Whether a piece names a problem of its own (rather than a place, a remark, a
    consequence or a request about the problem before it)."""
    complaint = _COMPLAINT.search(unit.text) is not None and not _PRAISE.search(unit.text)
    if unit.marked:
        return unit.guess.score >= _NAMED or (unit.place is not None and complaint)
    if unit.guess.score < _NAMED or _PRAISE.search(unit.text):
        return False
    if not complaint and unit.guess.score < _STRONG:
        return False
    return first or not _FOLLOW_UP.match(unit.text)


def _introduces_list(first: _Unit, second: _Unit, text: str) -> bool:
    """An opening like "说两个事：" belongs to neither problem."""
    return (
        second.marked
        and not first.marked
        and text[first.span.start : first.span.end].rstrip().endswith((":", "："))
        and not _is_problem(first, first=True)
    )


def _differ(a: _Unit, b: _Unit) -> bool:
    if a.place and b.place and a.place != b.place:
        return True
    ka, kb = a.guess.key, b.guess.key
    if ka == kb or OTHER in (ka, kb) or min(a.guess.score, b.guess.score) < _NAMED:
        return False
    if b.marked:
        return True
    return min(a.guess.score, b.guess.score) >= _STRONG and frozenset({ka, kb}) not in _LINKED


def split_problems(text: str, district: District) -> list[Part]:
    """Two or more parts when `text` holds problems in different places or on different
    topics; an empty list when it is one problem (the usual case)."""
    if len(text) > MAX_SPLIT_CHARS:
        return []
    spans = _spans(text)
    if len(spans) > MAX_PIECES:
        return []
    pieces = [_unit(span, text, district) for span in spans]
    if len(pieces) < 2:
        return []
    if _introduces_list(pieces[0], pieces[1], text):
        pieces = pieces[1:]
    units: list[_Unit] = []
    lead: _Unit | None = None  # what comes before the first problem ("我住在七星岗。")
    for piece in pieces:
        if _is_problem(piece, first=not units):
            if lead is not None:  # the problem keeps its own marker, the text begins earlier
                piece = _unit(_Span(lead.span.start, piece.span.end, piece.marked), text, district)
                lead = None
            units.append(piece)
        elif units:
            units[-1] = _join(units[-1], piece, text, district)
        else:
            lead = piece if lead is None else _join(lead, piece, text, district)
    # Neighbours that do not differ in place or topic are one problem told in two sentences.
    i = 0
    while i < len(units) - 1:
        if _differ(units[i], units[i + 1]):
            i += 1
        else:
            units[i : i + 2] = [_join(units[i], units[i + 1], text, district)]
            i = max(i - 1, 0)  # the joined unit may now match the one before it
    if len(units) < 2:
        return []
    return [Part(u.text, u.place, u.guess.key) for u in units]
