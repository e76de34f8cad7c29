"""reply_markup validation and request parameter parsing (pure functions)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pytest

from tgemu.errors import ApiError
from tgemu.markup import parse_reply_markup
from tgemu.params import parse_params, to_integer


def _inline(*rows: Sequence[Mapping[str, object]]) -> str:
    return json.dumps({"inline_keyboard": list(rows)})


def test_inline_keyboard_is_echoed() -> None:
    markup = parse_reply_markup(_inline([{"text": "同意", "callback_data": "vote:yes"}]))
    assert markup.inline == {"inline_keyboard": [[{"text": "同意", "callback_data": "vote:yes"}]]}
    assert markup.keyboard is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "Bad Request: can't parse reply keyboard markup JSON object"),
        ("[1]", "Bad Request: object expected as reply markup"),
        ('{"inline_keyboard": 5}', 'field "inline_keyboard" must be of type Array'),
        ('{"inline_keyboard": [5]}', "must be an Array of Arrays"),
        (_inline([{"callback_data": "x"}]), 'Can\'t find field "text"'),
        (_inline([{"text": "x"}]), "Text buttons are unallowed in the inline keyboard"),
        (_inline([{"text": "x", "callback_data": ""}]), "Text buttons are unallowed"),
        (_inline([{"text": "x", "callback_data": "a" * 65}]), "Bad Request: BUTTON_DATA_INVALID"),
        (_inline([{"text": "x", "callback_data": "议" * 22}]), "Bad Request: BUTTON_DATA_INVALID"),
        (_inline([{"text": "", "callback_data": "a"}]), "Bad Request: BUTTON_TEXT_INVALID"),
        (_inline([{"text": "x", "callback_data": "a", "url": "https://a.io"}]), "exactly one"),
        (_inline([{"text": "x", "url": "not a url"}]), "Bad Request: BUTTON_URL_INVALID"),
        (_inline([{"text": "x", "callback_data": 5}]), 'Field "callback_data" must be of type'),
        (_inline(*[[{"text": "b", "callback_data": "d"}]] * 101), "reply markup is too long"),
        ('{"keyboard": [["a"], 5]}', 'field "keyboard" must be an Array of Arrays'),
        ('{"remove_keyboard": "yes"}', 'field "remove_keyboard" must be of type Boolean'),
    ],
)
def test_markup_errors(raw: str, message: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_reply_markup(raw)
    assert info.value.code == 400
    assert message in info.value.description


def test_callback_data_limit_counts_utf8_bytes() -> None:
    assert parse_reply_markup(_inline([{"text": "x", "callback_data": "议" * 21}])).inline
    assert parse_reply_markup(_inline([{"text": "x", "callback_data": "a" * 64}])).inline


def test_reply_keyboard_shapes() -> None:
    keyboard = parse_reply_markup(
        '{"keyboard": [["是", {"text": "位置", "request_location": true}]],'
        ' "resize_keyboard": true, "one_time_keyboard": true}'
    ).keyboard
    assert keyboard == {
        "keyboard": [[{"text": "是"}, {"text": "位置", "request_location": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    assert parse_reply_markup('{"remove_keyboard": true}').keyboard == {"remove_keyboard": True}
    forced = parse_reply_markup('{"force_reply": true, "input_field_placeholder": "说"}')
    assert forced.keyboard == {"force_reply": True, "input_field_placeholder": "说"}
    assert parse_reply_markup("").inline is None
    assert parse_reply_markup('{"inline_keyboard": []}').inline is None


def test_to_integer_is_lenient_like_tdlib() -> None:
    assert to_integer("42") == 42
    assert to_integer("-100123") == -100123
    assert to_integer("12abc") == 12
    assert to_integer("abc") == 0


def test_json_body_is_stringified() -> None:
    body = json.dumps(
        {"chat_id": 5, "text": "x", "disable_notification": True, "reply_markup": {"a": [1]}}
    ).encode()
    params = parse_params("application/json", body, "limit=3")
    assert params.values == {
        "limit": "3",
        "chat_id": "5",
        "text": "x",
        "disable_notification": "true",
        "reply_markup": '{"a": [1]}',
    }
    assert params.get_int("chat_id") == 5 and params.get_bool("disable_notification")


def test_form_body() -> None:
    params = parse_params(
        "application/x-www-form-urlencoded", b"chat_id=7&text=%E4%BD%A0%E5%A5%BD", ""
    )
    assert params.get("text") == "你好" and params.get_int("chat_id") == 7


def test_multipart_with_file_and_attach() -> None:
    boundary = "XyZ"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="chat_id"\r\n\r\n'
        "42\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="document"; filename="报告 %22v1%22.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
        "line1\r\nline2\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="thumbnail"\r\n\r\n'
        "attach://doc\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    params = parse_params(f"multipart/form-data; boundary={boundary}", body, "")
    assert params.get("chat_id") == "42"
    upload = params.file("document")
    assert upload is not None
    assert upload.filename == '报告 "v1".txt'
    assert upload.content == b"line1\r\nline2"
    assert upload.content_type == "text/plain"
    assert params.file("thumbnail") is None  # attach:// to a missing part
    assert params.refers_to_upload("thumbnail")
