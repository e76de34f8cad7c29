"""Auto-hold rules of moderation: which opinions wait for an admin before members see them.

Each rule gives a `Hold` with a reason and a detail that is safe to show admins (a link's
domain, the kind of personal data, the list word; never a phone or ID number). Two reasons
are decided by the caller with the database: REPEATED (`repeat_key` is the normal form to
compare) and BANNED.

Links. A text is scanned in its NFKC form (full-width letters, digits, "．" and "｡" become
ASCII or "。"), without invisible characters. Found are scheme URLs (http, https, ftp, tg),
hosts starting with "www", and bare domains ending in a known TLD. A bare domain needs that
TLD: decimals (3.5米), times (8.30), versions, "No.5" and file names (照片.jpg) never end in
one, and TLDs that are also file extensions (.zip, .mov, .app, .py) are left out. Dots may be
disguised: "。", spaces around a dot, or 点 (abc点com); such a host counts only when it
starts with www, is followed by a path (t . me/xx), or ends in an unambiguous TLD (com, cn,
net…), so "…买了KTV。VIP卡" or "for me. Me too" are not links. A TLD written title-case
after a plain dot ("road.It", "it.Me") is a sentence, not a domain, unless a path follows.

Words. The list and the text are compared in NFKC + casefold form with spaces, punctuation,
symbols and invisible characters skipped, so "傻 逼", "傻，逼" and "傻逼" are one word. An edge of
a word made of ASCII letters or digits must be an edge of a word in the text too, so "ass"
does not match "class" and "sb" does not match "bus bar". Matching is Aho-Corasick over the
folded text: linear in the text whatever the size of the list.
"""

from __future__ import annotations

import bisect
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from bot.domain.text import find_personal_data, mask_personal_data

__all__ = [
    "Hold",
    "HoldReason",
    "WordList",
    "find_links",
    "hold_reasons",
    "repeat_key",
]


class HoldReason(StrEnum):
    LINK = "link"  # URLs, t.me links, bare domains
    PERSONAL_DATA = "personal_data"  # mobile numbers, ID-card numbers (check digit valid)
    WORD = "word"  # a word from the configured list
    REPEATED = "repeated"  # the same text again (decided by the caller; see repeat_key)
    BANNED = "banned"  # author soft-banned (decided by the caller)


@dataclass(frozen=True, slots=True)
class Hold:
    reason: HoldReason
    detail: str  # safe to show admins: a domain, "手机号"/"身份证号", a list word


# --- folding -------------------------------------------------------------------------------


# Controls but newline and tab, every format character (category Cf as of Unicode 15: zero-width
# spaces and joiners, bidi controls, soft hyphen, tags…) and the fillers text.strip_invisible
# also drops. A class rather than text.strip_invisible, which walks the text in Python and
# would take a third of the time budget; the emoji joiners it keeps do not matter here.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
    "\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "\u034f\u115f\u1160\u3164\uffa0\u17b4\u17b5\u180b-\u180d\u180f]+"
)
# What may be slipped inside a word: everything but letters and digits (exactly the Unicode
# categories P, Z, S, C and M: punctuation, spaces, symbols and emoji, invisibles, marks).
_NOT_WORD = re.compile(r"[\W_]+")


def _form(text: str) -> str:
    """NFKC without invisible characters: the form every rule reads."""
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))


def repeat_key(text: str) -> str:
    """Normal form for "the same text again": NFKC, casefold, no whitespace, punctuation,
    symbols or invisible characters. "凯旋路停车难！" and "凯旋路 停车难" share a key. A text of
    only punctuation has the key "" (opinions always have letters or digits; callers should
    not compare ""). Long texts give long keys: hash them if stored."""
    return _NOT_WORD.sub("", _form(text).casefold())


# --- links ---------------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_IDN_TLDS = ("中国", "公司", "网络")
# Unambiguous TLDs: a disguised dot ("。", spaces, 点) before one of these still makes a domain.
_STRONG_TLDS = frozenset(
    {"com", "cn", "net", "org", "xyz", "cc", "io", "biz", "info", "tk", "ml", "gq", "cf", "ga"}
    | {"icu", "cyou", "xn--fiqs8s", "xn--55qx5d", "xn--io0a7i"}
)
# Common TLDs; left out on purpose: ones that are English words or file extensions in everyday
# text (it, in, is, to, no, do, be, at, us, so, ai, zip, mov, app, py, sh, md, rs, pl).
_TLDS = _STRONG_TLDS | frozenset(
    {"top", "me", "vip", "shop", "site", "online", "club", "co", "tv", "ly", "ink", "pub"}
    | {"wang", "ren", "fun", "store", "tech", "live", "link", "life", "work", "pro", "asia"}
    | {"mobi", "ltd", "group", "cloud", "buzz", "space", "website", "edu", "gov", "hk", "tw"}
    | {"mo", "jp", "kr", "uk", "ru", "de", "fr", "sg", "eu", "la", "ws", "news", "win", "bid"}
    | {"xin", "email", "wiki", *_IDN_TLDS}
)
_LABEL = r"[a-z0-9-]{1,63}+"
_SEP = r"(?:[ \t]{0,2}+[.。][ \t]{0,2}+|点)"
# A chain of ASCII labels joined by (maybe disguised) dots; the last label may be an IDN TLD.
# Possessive quantifiers: no backtracking, the scan stays linear on any text.
# (It opens with a character class and looks behind only then, so the search skips ahead
# in C instead of trying the lookbehind at every position.)
_CHAIN = re.compile(
    rf"(?=[a-z0-9-])(?<![a-z0-9-])"
    rf"({_LABEL}(?:{_SEP}(?:{_LABEL}|(?:{'|'.join(_IDN_TLDS)})(?![{_CJK}])))++)",
    re.IGNORECASE,
)
_SEP_SPLIT = re.compile(rf"({_SEP})")
_PATH = re.compile(r"[ \t]?(/[!-~]*)")
_SCHEME = re.compile(r"(?=[hft])(?<![a-z])(https?|ftps?|tg)://", re.IGNORECASE)
_AUTHORITY = re.compile(
    rf"[{_CJK}]{{1,63}}\.(?:{'|'.join(_IDN_TLDS)})(?![{_CJK}])"
    rf"|[a-z0-9._~%@:-]*(?:(?<=\.)(?:{'|'.join(_IDN_TLDS)})(?![{_CJK}]))?",
    re.IGNORECASE,
)
_URL_REST = re.compile(r"[/?#][!-~]*")
# A CJK-labelled IDN domain (重庆政府.中国): found at its dot, the label read backwards.
_IDN_DOT = re.compile(rf"\.(?<=[{_CJK}]\.)({'|'.join(_IDN_TLDS)})(?![{_CJK}a-z0-9-])", re.I)
_TRAILING = ".,;:!?)]}'\""
_CJK_CHAR = re.compile(f"[{_CJK}]")


@dataclass(frozen=True, slots=True)
class _Link:
    start: int
    end: int
    link: str  # normalised: scheme and host lower-case, dots plain, path as typed
    host: str


def _title_case(label: str) -> bool:
    return len(label) > 1 and label[0].isupper() and label[1:].islower()


@dataclass(frozen=True, slots=True)
class _Bare:
    host: str  # lower-case, plain dots
    length: int  # characters of the chain it takes
    disguised: bool  # a dot written "。", 点 or with spaces
    title_tld: bool  # the TLD written like a sentence's first word: "It", "Me"


def _bare_domain(chain: str) -> _Bare | None:
    """The longest prefix of `chain` that ends in a known TLD, or the whole chain when it
    starts with www; None when neither."""
    parts = _SEP_SPLIT.split(chain)
    labels, seps = parts[0::2], parts[1::2]
    if labels[0].lower() == "www":
        n = len(labels)
    else:
        n = next((n for n in range(len(labels), 1, -1) if labels[n - 1].lower() in _TLDS), 0)
        if not n:
            return None
    labels, seps = labels[:n], seps[: n - 1]
    if any(label.startswith("-") or label.endswith("-") for label in labels):
        return None
    # 点 joins only a lettered label to the next: "3点cn" is not a domain.
    if any(sep == "点" and not re.search("[a-z]", labels[i], re.I) for i, sep in enumerate(seps)):
        return None
    return _Bare(
        host=".".join(labels).lower(),
        length=sum(map(len, parts[: 2 * n - 1])),
        disguised=any(sep != "." for sep in seps),
        title_tld=_title_case(labels[-1]),
    )


def _scan_links(form: str) -> list[_Link]:
    """The links in `form` (a `_form`), in order, with their spans there."""
    links: list[_Link] = []  # kept sorted by start; they never overlap

    def add(start: int, end: int, link: str, host: str) -> None:
        at = bisect.bisect(links, start, key=lambda link: link.start)
        if (at == 0 or links[at - 1].end <= start) and (at == len(links) or end <= links[at].start):
            links.insert(at, _Link(start, end, link, host))

    for m in _SCHEME.finditer(form):
        auth = _AUTHORITY.match(form, m.end())
        authority = auth[0] if auth else ""
        rest = _URL_REST.match(form, m.end() + len(authority))
        path = rest[0].rstrip(_TRAILING) if rest else ""
        if not path:
            authority = authority.rstrip(_TRAILING)
        host = authority.rsplit("@", 1)[-1].split(":", 1)[0].strip(".").lower()
        if host:
            scheme = m[1].lower()
            shown = host if "." in host else f"{scheme}://{host}"
            end = m.end() + len(authority) + len(path)
            add(m.start(), end, f"{scheme}://{authority.lower()}{path}", shown)

    pos = 0
    while (chain := _CHAIN.search(form, pos)) is not None:
        pos = chain.end()
        bare = _bare_domain(chain[1])
        if bare is None:
            continue
        end = chain.start() + bare.length
        path = ""
        if (after := _PATH.match(form, end)) is not None:
            path = after[1].rstrip(_TRAILING)
            if len(path) > 1 and not path.startswith("//"):
                end = after.start(1) + len(path)
                pos = max(pos, end)  # a path's own dots are no further domains
            else:
                path = ""
        if not (path or bare.host.startswith("www.")) and (
            bare.title_tld or (bare.disguised and bare.host.rsplit(".", 1)[-1] not in _STRONG_TLDS)
        ):
            continue
        add(chain.start(), end, bare.host + path, bare.host.removeprefix("www."))

    for m in _IDN_DOT.finditer(form):
        start = m.start()
        while start > max(0, m.start() - 63) and _CJK_CHAR.match(form[start - 1]):
            start -= 1
        add(start, m.end(), form[start : m.end()], form[start : m.end()])
    return links


def find_links(text: str) -> list[str]:
    """Each link or bare domain in `text`, in order, once: scheme and host lower-case,
    disguised dots made plain ("abc。com" -> "abc.com", "t . me/xx" -> "t.me/xx"), path kept."""
    return list(dict.fromkeys(link.link for link in _scan_links(_form(text))))


# --- word list -----------------------------------------------------------------------------


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class _Automaton:
    """Aho-Corasick over folded words, run on the text with `_NOT_WORD` characters removed."""

    def __init__(self, words: Iterable[tuple[str, str]]) -> None:
        self._goto: list[dict[str, int]] = [{}]
        self._out: list[list[int]] = [[]]
        self._words: list[tuple[str, str]] = []  # (folded, as written)
        for folded, written in words:
            state = 0
            for ch in folded:
                nxt = self._goto[state].get(ch)
                if nxt is None:
                    nxt = len(self._goto)
                    self._goto[state][ch] = nxt
                    self._goto.append({})
                    self._out.append([])
                state = nxt
            self._out[state].append(len(self._words))
            self._words.append((folded, written))
        self._fail = [0] * len(self._goto)
        queue = list(self._goto[0].values())
        for state in queue:  # breadth first: a state's fail link is set before its children's
            for ch, child in self._goto[state].items():
                queue.append(child)
                f = self._fail[state]
                while f and ch not in self._goto[f]:
                    f = self._fail[f]
                target = self._goto[f].get(ch, 0)
                self._fail[child] = target if target != child else 0
                self._out[child] = self._out[child] + self._out[self._fail[child]]

    def find(self, folded: str) -> list[str]:
        """Words (as written) found in `folded` (a casefolded `_form`), in order of where they
        end, once each."""
        if not self._words:
            return []
        text = _NOT_WORD.sub("", folded)
        found: dict[int, None] = {}
        where: list[int] | None = None  # index in `folded` of each character of `text`
        state = 0
        goto, fail, out = self._goto, self._fail, self._out
        for i, ch in enumerate(text):
            nxt = goto[state].get(ch)
            while nxt is None and state:
                state = fail[state]
                nxt = goto[state].get(ch)
            if nxt is None:  # no word goes on with ch: back at the root (the common case)
                continue
            state = nxt
            for w in out[state]:
                if w in found:
                    continue
                word = self._words[w][0]
                if _ascii_alnum(word[0]) or _ascii_alnum(word[-1]):
                    if where is None:
                        where = [m.start() for m in _WORD_CHAR.finditer(folded)]
                    if not _whole(folded, where[i + 1 - len(word)], where[i], word):
                        continue
                found[w] = None
        return [self._words[w][1] for w in found]


_WORD_CHAR = re.compile(r"[^\W_]")


def _whole(folded: str, start: int, end: int, word: str) -> bool:
    """An ASCII letter or digit at a word's edge (folded[start], folded[end]) must not continue
    a word of the text: "ass" is not in "class", "sb" not in "bus bar"."""
    if _ascii_alnum(word[0]) and start > 0 and _ascii_alnum(folded[start - 1]):
        return False
    return not (_ascii_alnum(word[-1]) and end + 1 < len(folded) and _ascii_alnum(folded[end + 1]))


class WordList:
    """The MODERATION_WORDS_FILE: one word per line, UTF-8, "#" lines and blank lines ignored.

    Each check stats the file and re-reads it when its modification time, size or inode
    changed, so edits (and a file created later) are picked up without a restart; `reload`
    forces a read (SIGHUP). A missing or unreadable file gives no words; an unreadable one
    keeps the words read before and sets `load_error`.
    """

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._signature: tuple[int, int, int] | None = None
        self._words: tuple[str, ...] = ()
        self._automaton = _Automaton(())
        self.load_error: str | None = None
        self._refresh(force=True)

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def words(self) -> tuple[str, ...]:
        """The words as written in the file, without duplicates (after folding)."""
        self._refresh()
        return self._words

    def matches(self, text: str) -> list[str]:
        """The list words found in `text` (as written in the file), once each, in the order
        they end in the text. Re-reads the file first if it changed."""
        return self._matches_form(_form(text).casefold())

    def _matches_form(self, folded: str) -> list[str]:
        self._refresh()
        return self._automaton.find(folded)

    def reload(self) -> None:
        self._refresh(force=True)

    def _refresh(self, *, force: bool = False) -> None:
        if self._path is None:
            return
        try:
            st = os.stat(self._path)
        except OSError:
            if self._signature is not None or self._words:
                self._set(())
            self._signature = None
            return
        signature = (st.st_mtime_ns, st.st_size, st.st_ino)
        if signature == self._signature and not force:
            return
        self._signature = signature
        try:
            raw = self._path.read_bytes()
        except OSError as exc:
            self.load_error = f"{type(exc).__name__}: {exc}"
            return
        self.load_error = None
        self._set(_parse(raw.decode("utf-8-sig", errors="replace")))

    def _set(self, words: Iterable[str]) -> None:
        by_fold: dict[str, str] = {}
        for word in words:
            folded = repeat_key(word)
            if folded:
                by_fold.setdefault(folded, word)
        self._words = tuple(by_fold.values())
        self._automaton = _Automaton((f, w) for f, w in by_fold.items())


def _parse(content: str) -> list[str]:
    lines = (line.strip() for line in content.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


# --- the rules -----------------------------------------------------------------------------

_PERSONAL_LABEL = {"mobile": "手机号", "id_card": "身份证号"}
_DIGIT_RUN = re.compile(r"\d{7,}")


def _safe(detail: str) -> str:
    """Mask phone and ID numbers, then any run of 7+ digits (keeping its first three): a
    detail is shown to admins and logged, and a host or list word might hold a number."""
    return _DIGIT_RUN.sub(lambda m: m[0][:3] + "*" * (len(m[0]) - 3), mask_personal_data(detail))


def hold_reasons(text: str, words: WordList) -> list[Hold]:
    """Why `text` waits for an admin: links (one hold per domain), then personal data (one per
    kind), then list words, each in order of first appearance. Empty: no hold."""
    form = _form(text)
    holds: dict[Hold, None] = {}
    for link in _scan_links(form):
        holds[Hold(HoldReason.LINK, _safe(link.host))] = None
    for hit in find_personal_data(form):
        holds[Hold(HoldReason.PERSONAL_DATA, _PERSONAL_LABEL[hit.kind])] = None
    for word in words._matches_form(form.casefold()):
        holds[Hold(HoldReason.WORD, _safe(word))] = None
    return list(holds)
