"""Applying overrides to a scenario mapping, before it is parsed: a preset's scenario
with the fields a user gave, a comparison's baseline with an alternative's changes."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .errors import Path, ScenarioError
from .inputs import nesting_error
from .scenario import BY_NAME

__all__ = ["merge"]


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any], path: Path = ()) -> dict[str, Any]:
    """``base`` (a scenario mapping) with ``overrides`` applied: objects (groups such as
    ``offsets``) merge key by key, but a field's value (``models.scenario.BY_NAME``, by
    dotted name), a distribution included, replaces the old one whole, its ``note`` with
    it: the base's note and parameters never ride on a value the overrides give.
    ``None`` removes.

    Raises ScenarioError at ``path`` (where ``overrides`` sits) for input nested deeper
    than ``models.inputs.MAX_DEPTH``, before copying it by recursion.
    """
    for value, where in ((base, ()), (overrides, path)):
        problem = nesting_error(value, where)
        if problem is not None:
            raise ScenarioError([problem])
    return _merge(base, overrides, ())


def _merge(
    base: Mapping[str, Any], overrides: Mapping[str, Any], prefix: tuple[str, ...]
) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        name = (*prefix, str(key))
        if value is None:
            out.pop(key, None)
        elif (
            isinstance(value, Mapping)
            and isinstance(out.get(key), Mapping)
            and ".".join(name) not in BY_NAME
        ):
            out[key] = _merge(out[key], value, name)
        else:
            out[key] = copy.deepcopy(value)
    return out
