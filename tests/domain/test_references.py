"""Reference numbers: YZ-000123 and the ways residents type them."""

from __future__ import annotations

import pytest

from bot.domain import parse_reference, reference_number


@pytest.mark.parametrize(
    ("n", "ref"),
    [(1, "YZ-000001"), (123, "YZ-000123"), (999999, "YZ-999999"), (1234567, "YZ-1234567")],
)
def test_reference_number(n: int, ref: str) -> None:
    assert reference_number("YZ", n) == ref
    assert parse_reference(ref) == n


def test_reference_number_starts_at_one() -> None:
    with pytest.raises(ValueError):
        reference_number("YZ", 0)


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("YZ-000123", 123),
        ("yz123", 123),
        ("YZ 123", 123),
        (" #YZ-00042 ", 42),
        ("ＹＺ－０００１２３", 123),
        ("Yz_7", 7),
        ("YZ-000000", None),
        ("123", None),
        ("AB-000123", None),
        ("YZ-12a", None),
        ("YZ-", None),
        ("", None),
    ],
)
def test_parse_reference(text: str, n: int | None) -> None:
    assert parse_reference(text) == n


def test_parse_reference_other_prefix() -> None:
    assert parse_reference("NA-000005", "NA") == 5
    assert parse_reference("YZ-000005", "NA") is None
