"""Splitting Telegram HTML and escaping."""

from __future__ import annotations

import re

import pytest

from bot.telegram.html import escape, split_html, visible_length, visible_text

_TAG = re.compile(r"<(/?)([a-z-]+)(?:\s[^<>]*)?>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-f]+);")


def assert_well_formed(part: str) -> None:
    """Every < opens a whole tag, every & a whole entity, and tags are balanced."""
    stack: list[str] = []
    i = 0
    while i < len(part):
        if part[i] == "<":
            m = _TAG.match(part, i)
            assert m, f"broken tag at {i}: {part[i : i + 20]!r}"
            if m[1]:
                assert stack and stack[-1] == m[2], f"unbalanced </{m[2]}> in {part[:60]!r}"
                stack.pop()
            else:
                stack.append(m[2])
            i = m.end()
        elif part[i] == "&":
            m = _ENTITY.match(part, i)
            assert m, f"broken entity at {i}: {part[i : i + 10]!r}"
            i = m.end()
        else:
            assert part[i] != ">"
            i += 1
    assert not stack, f"unclosed {stack}"


def check_parts(source: str, parts: list[str], limit: int) -> None:
    assert len(parts) > 1
    for part in parts:
        assert_well_formed(part)
        assert 0 < visible_length(part) <= limit
        assert visible_text(part).strip()
    assert "".join(visible_text(p) for p in parts) == visible_text(source)


def test_visible_length_counts_like_telegram() -> None:
    assert visible_length("<b>a</b>&lt;") == 2
    assert visible_length('<a href="https://e.com/?a=1&amp;b=2">x</a>') == 1
    assert visible_length("&quot;&amp;&gt;") == 3
    assert visible_length("😀") == 2  # outside the BMP: two UTF-16 units
    assert visible_length("&#128512;") == 2
    assert visible_length("解放碑") == 3


def test_short_text_is_one_part() -> None:
    assert split_html("<b>你好</b>") == ["<b>你好</b>"]
    assert split_html("") == []
    assert split_html("x" * 4096) == ["x" * 4096]


def test_digest_items_are_never_cut() -> None:
    items = [
        f"<b>{n}. 解放碑街道</b> 居民反映：" + escape(f"凯旋路停车太乱 <{n}> & 消防通道被占。") * 5
        for n in range(300)
    ]
    source = "\n\n".join(items)
    parts = split_html(source)
    check_parts(source, parts, 4096)
    for part in parts[:-1]:
        assert visible_text(part).endswith("\n\n")  # every break is between items


def test_newlines_before_spaces() -> None:
    source = "\n".join(f"第{n}行 有一些 空格 在 里面" for n in range(1000))
    parts = split_html(source, 500)
    check_parts(source, parts, 500)
    assert all(visible_text(p).endswith("\n") for p in parts[:-1])


def test_spaces_and_cjk_punctuation() -> None:
    source = "居民反映停车难，消防通道被占用，希望尽快解决。" * 300
    parts = split_html(source, 1000)
    check_parts(source, parts, 1000)
    assert all(visible_text(p)[-1] in "，。" for p in parts[:-1])
    words = " ".join(["parking"] * 2000)
    check_parts(words, split_html(words, 1000), 1000)


def test_long_chinese_without_any_break_is_cut_hard() -> None:
    source = "停" * 10000
    parts = split_html(source, 4096)
    check_parts(source, parts, 4096)
    assert [visible_length(p) for p in parts] == [4096, 4096, 1808]


def test_emoji_count_two_and_stay_whole() -> None:
    source = "😀" * 3000  # 6000 UTF-16 units
    parts = split_html(source, 4096)
    check_parts(source, parts, 4096)
    assert [len(p) for p in parts] == [2048, 952]
    family = "👨\u200d👩\u200d👧" * 500
    parts = split_html(family, 51)
    check_parts(family, parts, 51)
    for part in parts:
        assert not part.startswith("\u200d") and not part.endswith("\u200d")


def test_open_tags_are_closed_and_reopened() -> None:
    source = "<b>" + "字" * 5000 + "</b>"
    parts = split_html(source, 4096)
    check_parts(source, parts, 4096)
    assert parts[0].startswith("<b>") and parts[0].endswith("</b>")
    assert parts[1].startswith("<b>") and parts[1].endswith("</b>")


def test_nested_tags_and_attributes_are_reopened() -> None:
    opening = '<blockquote expandable><a href="https://example.com/?a=1&amp;b=2"><i>'
    source = opening + "click here " * 600 + "</i></a></blockquote> after"
    parts = split_html(source, 1000)
    check_parts(source, parts, 1000)
    for part in parts[:-1]:
        assert part.startswith(opening)
        assert part.endswith("</i></a></blockquote>")


def test_entities_are_never_split() -> None:
    source = "&lt;b&gt;&amp;&quot;" * 2000
    parts = split_html(source, 99)
    check_parts(source, parts, 99)


def test_an_opening_tag_at_the_break_moves_to_the_next_part() -> None:
    parts = split_html("a" * 10 + "<b>bbbb</b>", 10)
    assert parts == ["a" * 10, "<b>bbbb</b>"]


def test_pre_block() -> None:
    source = '<pre><code class="language-text">' + "line\n" * 400 + "</code></pre>"
    parts = split_html(source, 500)
    check_parts(source, parts, 500)
    assert all(p.startswith('<pre><code class="language-text">') for p in parts)


def test_limit_must_fit_a_character() -> None:
    with pytest.raises(ValueError):
        split_html("abc", 1)


def test_escape() -> None:
    assert escape('<a> & "q"') == '&lt;a&gt; &amp; "q"'
    assert visible_text(escape("1 < 2 & 3 > 2")) == "1 < 2 & 3 > 2"
