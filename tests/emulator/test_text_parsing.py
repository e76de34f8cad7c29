"""HTML parsing, text formatting and entity detection (pure functions)."""

from __future__ import annotations

import pytest

from tgemu.entities import utf16_len
from tgemu.errors import ApiError
from tgemu.formatting import detect_entities, format_text
from tgemu.htmltext import HtmlParseError, parse_html


def _json(text: str, strict: bool = False) -> tuple[str, list[dict[str, object]]]:
    plain, entities = parse_html(text, strict_ampersand=strict)
    return plain, [entity.to_json() for entity in entities]


@pytest.mark.parametrize(
    ("html", "message"),
    [
        # the error cases of tdlib's own parse_html test
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<abac>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba>", 'Can\'t find end tag corresponding to start tag "i"'),
        ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        (
            "🏟 🏟&lt;<i>a</em   >",
            'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
        ),
        ("&#57311;", "Text contains invalid Unicode characters after decoding HTML entities"),
        ("<b>粗体", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a <br> b", 'Unsupported start tag "br" at byte offset 2'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<tg-emoji emoji-id="x">y</tg-emoji>', "Invalid custom emoji identifier specified"),
    ],
)
def test_html_errors_match_tdlib(html: str, message: str) -> None:
    with pytest.raises(HtmlParseError) as info:
        parse_html(html, strict_ampersand=False)
    assert str(info.value).startswith(message)


def test_html_entities_and_offsets_are_utf16() -> None:
    text, entities = _json("🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>")
    assert text == "🏟 🏟🏟 ><🏟"
    assert entities == [
        {"offset": 5, "length": 7, "type": "italic"},
        {"offset": 9, "length": 3, "type": "bold"},
    ]


def test_html_supported_tags() -> None:
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        "<strike>k</strike><del>d</del><tg-spoiler>p</tg-spoiler>"
        '<span class="tg-spoiler">q</span><a href="https://example.com/x">l</a>'
        '<code>c</code><pre><code class="language-python">x = 1</code></pre>'
        "<blockquote>q</blockquote><blockquote expandable>e</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    text, entities = _json(html)
    kinds = [entity["type"] for entity in entities]
    assert text.startswith("bsieunskdpqlcx = 1qe")
    assert kinds.count("bold") == 2 and kinds.count("italic") == 2
    assert kinds.count("underline") == 2 and kinds.count("strikethrough") == 3
    assert kinds.count("spoiler") == 2
    assert {"offset": 11, "length": 1, "type": "text_link", "url": "https://example.com/x"} in (
        entities
    )
    assert {"offset": 13, "length": 5, "type": "pre", "language": "python"} in entities
    assert "blockquote" in kinds and "expandable_blockquote" in kinds
    assert "custom_emoji" in kinds and "code" in kinds


def test_html_named_entities_only_the_four() -> None:
    text, _ = _json("&lt;&gt;&amp;&quot;&laquo;&#x4E2D;&#25991;")
    assert text == '<>&"&laquo;中文'


def test_strict_ampersand_is_an_emulator_extra() -> None:
    assert _json("A & B")[0] == "A & B"
    with pytest.raises(HtmlParseError, match='Unescaped "&" at byte offset 2'):
        parse_html("A & B", strict_ampersand=True)
    assert parse_html("A &amp; B", strict_ampersand=True)[0] == "A & B"


def test_link_normalization_like_tdlib() -> None:
    assert _json("<a href=telegram.org>x</a>")[1][0]["url"] == "http://telegram.org/"
    assert _json("<a>telegram.org</a>")[1][0]["url"] == "http://telegram.org/"
    assert _json("<a>telegram.org </a>")[1] == []
    assert _json('<a href="javascript:alert(1)">x</a>')[1] == []


def test_utf16_length() -> None:
    assert utf16_len("你好") == 2
    assert utf16_len("🏟") == 2


def _format(text: str, parse_mode: str = "", entities: str = "") -> tuple[str, list[str]]:
    plain, found = format_text(
        text, parse_mode, entities, strict_ampersand=True, user_lookup=lambda _: None
    )
    return plain, [f"{e.type}@{e.offset}+{e.length}" for e in found]


def test_format_trims_whitespace_and_shifts_entities() -> None:
    assert _format("  \n<b>hi</b> there \n", "HTML") == ("hi there", ["bold@0+2"])


def test_format_rejects_markdown_and_unknown_modes() -> None:
    with pytest.raises(ApiError, match="supports only parse_mode HTML"):
        _format("*x*", "MarkdownV2")
    with pytest.raises(ApiError, match="Bad Request: unsupported parse_mode"):
        _format("x", "rich")


def test_format_entities_parameter() -> None:
    plain, found = _format("hello", "", '[{"type":"bold","offset":"0","length":5}]')
    assert (plain, found) == ("hello", ["bold@0+5"])
    with pytest.raises(ApiError, match="Unsupported type specified"):
        _format("hello", "", '[{"type":"blink","offset":0,"length":5}]')
    with pytest.raises(ApiError, match="out of text bounds"):
        _format("hello", "", '[{"type":"bold","offset":3,"length":5}]')


def test_detect_entities() -> None:
    text = "/start@yushi_bot 请看 https://cq.gov.cn/a 和 @someone #议事 mail a.b@c.com"
    kinds = [(e.type, e.offset) for e in detect_entities(text)]
    assert ("bot_command", 0) in kinds
    assert ("url", text.index("https")) in kinds
    assert ("mention", text.index("@someone")) in kinds
    assert ("hashtag", text.index("#")) in kinds
    assert ("email", text.index("a.b@")) in kinds
    assert detect_entities("file.txt and 3.14") == []
