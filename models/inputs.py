"""Checks every free-form input shares, whatever field it sits in: text that reports
can carry, and how deeply a value nests.

Free text (a scenario's ``name`` and ``description``, a distribution's ``note``, an
alternative's ``name``) ends up in HTML, PDF, CSV and XLSX reports. XML 1.0 (and so
XLSX, and the HTML a PDF is built from) cannot carry control characters other than tab,
line feed and carriage return, nor U+FFFE and U+FFFF; and no UTF-8 output can carry a
lone UTF-16 surrogate (``"\\ud800"`` in JSON decodes to one). :func:`text_problem`
refuses both, naming the character and where it is.

Nested input is walked and copied by recursion (merging overrides, rendering, the
JSON decoder itself); :func:`nesting_error` bounds it, pointing at a value that nests
too deeply.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import FieldError, Path

__all__ = ["MAX_DEPTH", "json_int", "nesting_error", "text_problem"]

#: Deepest nesting of objects and arrays accepted anywhere in an input. The deepest
#: valid input (a comparison's override of a grouped field with an empirical
#: distribution: body, alternatives, alternative, overrides, group, field, values) nests
#: 7 levels.
MAX_DEPTH = 32


#: Digits past which a JSON integer is beyond any float (1.8e308 has 309).
MAX_INT_DIGITS = 400


def json_int(text: str) -> int | float:
    """``parse_int`` for ``json.load``: a JSON integer as a Python int of any size, except
    one with more digits than any float can hold, which becomes infinity.

    Either way the one number check (``models.distributions.is_number``) refuses it at
    its field; converting it would instead hit Python's limit on digits (4300) and fail
    the whole document.
    """
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return -math.inf if text.startswith("-") else math.inf
    return int(text)


def _illegal(ch: str) -> bool:
    """Whether ``ch`` cannot appear in XML 1.0 text (or in UTF-8 at all)."""
    code = ord(ch)
    if code < 0x20:
        return ch not in "\t\n\r"
    return 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF)


def text_problem(value: str) -> str | None:
    """What is wrong with a free-text value, or ``None`` when it can go in any report.

    Parameters
    ----------
    value : str

    Returns
    -------
    str or None
        E.g. ``"contains U+0001 (a control character) at character 3; remove it"``.
    """
    for index, ch in enumerate(value):
        if _illegal(ch):
            code = ord(ch)
            what = (
                "a lone UTF-16 surrogate"
                if 0xD800 <= code <= 0xDFFF
                else "a control character"
                if code < 0x20
                else "a noncharacter"
            )
            return (
                f"contains U+{code:04X} ({what}) at character {index + 1}; "
                "text may hold tab, line feed and carriage return but no other control "
                "characters, and no unpaired surrogates"
            )
    return None


def nesting_error(value: Any, path: Path = (), limit: int = MAX_DEPTH) -> FieldError | None:
    """An object or array of ``value`` nested deeper than ``limit`` levels.

    ``value`` itself, if an object or array, is level 1. Walks without recursion, so any
    depth the caller could build is safe to check.

    Parameters
    ----------
    value : object
        Decoded JSON (mappings, sequences other than strings, scalars).
    path : tuple
        Where ``value`` sits, for the error's pointer.
    limit : int
        Deepest nesting allowed.

    Returns
    -------
    FieldError or None
        At the path of a value too deep, or ``None``.
    """
    stack: list[tuple[Any, Path, int]] = [(value, tuple(path), 1)]
    while stack:
        node, here, depth = stack.pop()
        if isinstance(node, Mapping):
            children: Any = node.items()
        elif isinstance(node, Sequence) and not isinstance(node, str | bytes):
            children = enumerate(node)
        else:
            continue
        if depth > limit:
            return FieldError(here, f"nests deeper than {limit} levels of objects and arrays")
        stack.extend(
            (child, (*here, key), depth + 1)
            for key, child in children
            if isinstance(child, Mapping | list | tuple)
        )
    return None
