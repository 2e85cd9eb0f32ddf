"""Applying overrides to a scenario mapping, before it is parsed: a preset's scenario
with the fields a user gave, a comparison's baseline with an alternative's changes."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .errors import Path, ScenarioError
from .inputs import nesting_error

__all__ = ["merge"]


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any], path: Path = ()) -> dict[str, Any]:
    """``base`` with ``overrides`` applied: groups merge key by key; ``None`` removes.

    Raises ScenarioError at ``path`` (where ``overrides`` sits) for input nested deeper
    than ``models.inputs.MAX_DEPTH``, before copying it by recursion.
    """
    for value, where in ((base, ()), (overrides, path)):
        problem = nesting_error(value, where)
        if problem is not None:
            raise ScenarioError([problem])
    out = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
