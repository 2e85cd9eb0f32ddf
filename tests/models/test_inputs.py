"""The checks every free-form input shares: report-safe text and bounded nesting."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.inputs import MAX_DEPTH, json_int, nesting_error, text_problem


@pytest.mark.parametrize(
    "text",
    ["", "Harris County, TX", "tab\there", "lines\r\nand\nmore", "é ü 中 😀", "\u00a0\u2028"],
)
def test_text_that_any_report_can_carry_passes(text: str) -> None:
    assert text_problem(text) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a\ud800b", "U+D800 (a lone UTF-16 surrogate) at character 2"),
        ("\udfff", "U+DFFF (a lone UTF-16 surrogate) at character 1"),
        ("ok\u0001", "U+0001 (a control character) at character 3"),
        ("\x00", "U+0000 (a control character) at character 1"),
        ("vertical\x0btab", "U+000B (a control character) at character 9"),
        ("\x1f", "U+001F"),
        ("x\ufffe", "U+FFFE (a noncharacter) at character 2"),
        ("\uffff", "U+FFFF (a noncharacter)"),
    ],
)
def test_text_no_report_can_carry_is_named_with_its_place(text: str, words: str) -> None:
    problem = text_problem(text)
    assert problem is not None
    assert words in problem


def _xml_1_0_char(ch: str) -> bool:
    """The Char production of XML 1.0 (fifth edition), section 2.2, written out."""
    c = ord(ch)
    return (
        c in (0x9, 0xA, 0xD)
        or 0x20 <= c <= 0xD7FF
        or 0xE000 <= c <= 0xFFFD
        or 0x10000 <= c <= 0x10FFFF
    )


@settings(max_examples=300, derandomize=True)
@given(
    st.text(
        st.characters(exclude_categories=())  # surrogates included
        | st.sampled_from("\t\n\r\x7f\ud7ff\ue000\ufffd\ufffe\uffff\U00010000"),
        max_size=8,
    )
)
def test_text_passes_exactly_when_xml_and_utf8_can_carry_it(text: str) -> None:
    ok = all(_xml_1_0_char(ch) for ch in text)
    assert (text_problem(text) is None) == ok
    if ok:
        text.encode("utf-8")  # and UTF-8 can: no lone surrogate got through


def _nested(depth: int, key: str = "a") -> Any:
    value: Any = 1
    for i in range(depth):
        value = {key: value} if i % 2 else [value]
    return value


def test_nesting_up_to_the_limit_passes() -> None:
    assert nesting_error(_nested(MAX_DEPTH)) is None
    assert nesting_error({"values": list(range(100_000))}) is None
    assert nesting_error("a string is not a sequence here") is None


def test_nesting_past_the_limit_is_pointed_at() -> None:
    error = nesting_error(_nested(MAX_DEPTH + 1), ("alternatives", 0, "overrides"))
    assert error is not None
    # The outermost value is level 1; the value at level MAX_DEPTH + 1 is the culprit.
    assert error.path[:3] == ("alternatives", 0, "overrides")
    assert len(error.path) == 3 + MAX_DEPTH
    assert error.pointer.startswith("/alternatives/0/overrides/0/a/0")
    assert f"deeper than {MAX_DEPTH} levels" in error.reason


def test_nesting_far_past_the_recursion_limit_is_checked_without_recursion() -> None:
    error = nesting_error(_nested(50_000))
    assert error is not None
    assert len(error.path) == MAX_DEPTH


def test_json_integers_stay_exact_until_no_float_could_hold_them() -> None:
    assert json.loads("18446744073709551615", parse_int=json_int) == 2**64 - 1
    assert json.loads("-" + "9" * 400, parse_int=json_int) == -(10**400 - 1)
    assert json.loads("1" + "0" * 400, parse_int=json_int) == math.inf
    assert json.loads("-" + "1" * 5000, parse_int=json_int) == -math.inf  # past int()'s limit
