"""marshmallow schemas of every request and response body.

The scenario schema is generated from the engine's field table (``models.FIELDS``), so
the service holds no second copy of it. It checks the shape and types of a body; the
engine then checks ranges and combinations and fills defaults.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields

from models.distributions import is_number
from models.errors import pointer
from models.scenario import FIELDS, GROUPS, FieldSpec

from .problems import PointerError

__all__ = [
    "ProblemSchema",
    "comparison_schema",
    "portfolio_schema",
    "load_body",
    "scenario_schema",
]


class StrictNumber(fields.Field[Any]):
    """A finite JSON number, never a string, boolean or NaN; passed through unchanged."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not is_number(value):
            raise ValidationError("must be a finite number")
        return value


class StrictInteger(StrictNumber):
    """A whole JSON number."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        value = super()._deserialize(value, attr, data, **kwargs)
        if float(value) != math.floor(float(value)):
            raise ValidationError("must be a whole number")
        return value


class Uncertain(fields.Field[Any]):
    """A number, or a distribution object with a ``dist`` name (checked by the engine)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if is_number(value):
            return value
        if isinstance(value, Mapping) and isinstance(value.get("dist"), str):
            return dict(value)
        raise ValidationError("must be a finite number or an object with a 'dist' name")


class StrictString(fields.Field[Any]):
    """A JSON string."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise ValidationError("must be a string")
        return value


def _field(spec: FieldSpec) -> fields.Field[Any]:
    kw: dict[str, Any] = {"metadata": {"description": spec.description}}
    if spec.kind == "uncertain":
        return Uncertain(**kw)
    if spec.kind == "number":
        return StrictNumber(**kw)
    if spec.kind == "integer":
        return StrictInteger(**kw)
    if spec.kind in ("string", "choice"):
        return StrictString(**kw)
    if spec.kind == "correlations":
        return fields.List(fields.Dict(keys=fields.String(), values=fields.Raw()), **kw)
    return fields.List(StrictNumber(), **kw)  # weights, numbers


def scenario_schema() -> Schema:
    """A marshmallow schema for a scenario, built from ``models.FIELDS``."""
    top: dict[str, fields.Field[Any]] = {}
    groups: dict[str, dict[str, fields.Field[Any]]] = {g: {} for g in GROUPS}
    for spec in FIELDS:
        if "." in spec.name:
            group, name = spec.name.split(".", 1)
            groups[group][name] = _field(spec)
        else:
            top[spec.name] = _field(spec)
    for group, members in groups.items():
        nested = Schema.from_dict(members, name=f"{group.title()}Schema")
        top[group] = fields.Nested(nested)
    top["preset"] = StrictString(
        metadata={"description": "A preset's id; the other fields override its scenario."}
    )
    return Schema.from_dict(top, name="ScenarioSchema")()


def _flatten(messages: Any, prefix: str = "") -> list[PointerError]:
    """Turn marshmallow's nested messages into pointer errors."""
    if isinstance(messages, Mapping):
        out: list[PointerError] = []
        for key, value in messages.items():
            here = prefix if key == "_schema" else prefix + pointer((key,))
            out += _flatten(value, here)
        return out
    if isinstance(messages, list | tuple):
        out = []
        for message in messages:
            out += _flatten(message, prefix)
        return out
    text = str(messages)
    if text == "Unknown field.":
        text = "is not a field here"
    elif text == "Missing data for required field.":
        text = "is required"
    elif text == "Not a valid list.":
        text = "must be a list"
    elif text == "Not a valid mapping type.":
        text = "must be an object"
    elif text == "Invalid input type.":
        text = "must be an object"
    return [PointerError(prefix, text)]


def load_body(schema: Schema, body: Any) -> dict[str, Any]:
    """Load a request body (a scenario, comparison or portfolio), or raise a list of
    pointer errors.

    Raises
    ------
    ValueError
        Carrying ``PointerError`` items in ``args[0]``.
    """
    if not isinstance(body, Mapping):
        raise ValueError([PointerError("", "must be a JSON object")])
    try:
        loaded: dict[str, Any] = schema.load(body)
    except ValidationError as exc:
        raise ValueError(_flatten(exc.messages)) from None
    return loaded


# --- requests beyond a single scenario ------------------------------------------------


class AlternativeSchema(Schema):
    name = StrictString(required=True)
    overrides = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))


class Threshold(fields.Field[Any]):
    """A dollar amount, or an object naming a UMRA year (checked by the engine)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if is_number(value) or isinstance(value, Mapping):
            return value
        raise ValidationError('must be a dollar amount or {"umra_year": YEAR}')


def comparison_schema(scenario: Schema) -> Schema:
    """``{"baseline": scenario, "alternatives": [{"name", "overrides"}]}``."""
    return Schema.from_dict(
        {
            "baseline": fields.Nested(type(scenario), required=True),
            "alternatives": fields.List(fields.Nested(AlternativeSchema), required=True),
        },
        name="ComparisonRequestSchema",
    )()


def portfolio_schema(scenario: Schema) -> Schema:
    """``{"members": [scenario, ...], "threshold": ..., "seed": ...}``."""
    return Schema.from_dict(
        {
            "members": fields.List(fields.Nested(type(scenario)), required=True),
            "threshold": Threshold(),
            "seed": StrictInteger(),
        },
        name="PortfolioRequestSchema",
    )()


class PointerErrorSchema(Schema):
    pointer = fields.String()
    detail = fields.String()


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    request_id = fields.String()
    errors = fields.List(fields.Nested(PointerErrorSchema))
