"""No browser test waits with `wait_for_function`.

The page's Content-Security-Policy (service/http.py SECURITY_HEADERS) has no
'unsafe-eval', rightly. In Playwright's Python API the predicate of `wait_for_function`
is always a string of JavaScript, which Playwright runs with `eval` in the page on every
poll; only an evaluation made directly from the driver escapes the CSP, so such a wait
passes only when its first poll already succeeds and fails on a busy machine. Wait with
locators and `expect(...)` instead (tests/service/test_page.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FORBIDDEN = "wait_for_function"


def string_waits(source: str, filename: str = "<test>") -> list[str]:
    """Each use of `wait_for_function` in a Python source, as "file:line"."""
    return [
        f"{filename}:{node.lineno}"
        for node in ast.walk(ast.parse(source, filename))
        if (isinstance(node, ast.Attribute) and node.attr == FORBIDDEN)
        or (isinstance(node, ast.Name) and node.id == FORBIDDEN)
        or (isinstance(node, ast.Constant) and node.value == FORBIDDEN)
    ]


@pytest.mark.parametrize(
    "source",
    [
        "page.wait_for_function(\"document.title === 'x'\")",
        "page.main_frame.wait_for_function('() => true', timeout=1)",
        "wait = page.wait_for_function\nwait('1')",
        "getattr(page, 'wait_for_function')('1')",
    ],
)
def test_the_guard_finds_a_wait_for_function(source: str) -> None:
    assert string_waits(source)


def test_the_guard_leaves_locator_waits_alone() -> None:
    source = "expect(page.locator('#status')).to_contain_text('API key')\n"
    assert string_waits(source) == []


def test_no_test_waits_with_wait_for_function() -> None:
    found = [
        hit
        for path in sorted(TESTS.rglob("*.py"))
        if path.resolve() != Path(__file__).resolve()
        for hit in string_waits(path.read_text(), str(path.relative_to(TESTS.parent)))
    ]
    assert found == [], f"wait with locators or expect(...), not wait_for_function: {found}"
