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

from models.scenario import FIELDS, GROUPS, FieldSpec

from .problems import PointerError

__all__ = [
    "ParameterSchema",
    "ProblemSchema",
    "SimulationResultSchema",
    "StatusSchema",
    "load_scenario",
    "scenario_schema",
]


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


class StrictNumber(fields.Field[Any]):
    """A finite JSON number, never a string, boolean or NaN; passed through unchanged."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not _is_number(value):
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
        if _is_number(value):
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
    if spec.kind == "string":
        return StrictString(**kw)
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
    return Schema.from_dict(top, name="ScenarioSchema")()


def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _flatten(messages: Any, prefix: str = "") -> list[PointerError]:
    """Turn marshmallow's nested messages into pointer errors."""
    if isinstance(messages, Mapping):
        out: list[PointerError] = []
        for key, value in messages.items():
            pointer = prefix if key == "_schema" else f"{prefix}/{_escape(key)}"
            out += _flatten(value, pointer)
        return out
    if isinstance(messages, list | tuple):
        out = []
        for message in messages:
            out += _flatten(message, prefix)
        return out
    text = str(messages)
    if text == "Unknown field.":
        text = "is not a field here"
    elif text == "Invalid input type.":
        text = "must be an object"
    return [PointerError(prefix, text)]


def load_scenario(schema: Schema, body: Any) -> dict[str, Any]:
    """Load a scenario body, or raise a list of pointer errors.

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


# --- responses ---------------------------------------------------------------------


class SummarySchema(Schema):
    mean = fields.Float()
    sd = fields.Float()
    ci95_mean = fields.List(fields.Float())
    min = fields.Float()
    max = fields.Float()
    percentiles = fields.Dict(keys=fields.String(), values=fields.Float())


def _summary(**kw: Any) -> fields.Nested:
    return fields.Nested(SummarySchema, **kw)


class YearSchema(Schema):
    year = fields.Integer()
    net_cost = _summary()
    bed_days = _summary()
    detainers = _summary()
    honored = _summary()


class ExceedanceSchema(Schema):
    threshold = fields.Float()
    probability = fields.Float()


class ProvenanceSchema(Schema):
    model_version = fields.String()
    numpy_version = fields.String()
    scipy_version = fields.String()
    seed = fields.Integer(allow_none=True)
    scenario_sha256 = fields.String()
    trials = fields.Integer()
    start_year = fields.Integer()


class AverageBasisSchema(Schema):
    annual_cost = _summary()
    total_cost = _summary()
    present_value = _summary()


class SimulationResultSchema(Schema):
    name = fields.String(allow_none=True)
    trials = fields.Integer()
    annual_cost = _summary()
    total_cost = _summary()
    present_value = _summary()
    bed_days = _summary()
    hold_bed_days = _summary()
    extra_bed_days = _summary()
    detainers = _summary()
    honored = _summary()
    transfers = _summary()
    components = fields.Dict(keys=fields.String(), values=_summary())
    average_basis = fields.Nested(AverageBasisSchema, allow_none=True)
    years = fields.List(fields.Nested(YearSchema))
    exceedance = fields.List(fields.Nested(ExceedanceSchema))
    per_capita_cost = _summary(allow_none=True)
    budget_share = _summary(allow_none=True)
    cost_per_honored_detainer = fields.Float(allow_none=True)
    average_beds_occupied = _summary()
    provenance = fields.Nested(ProvenanceSchema)


class ParameterSchema(Schema):
    name = fields.String()
    type = fields.String()
    unit = fields.String()
    default = fields.Raw(allow_none=True)
    default_text = fields.String(allow_none=True)
    required = fields.Boolean()
    minimum = fields.Float(allow_none=True)
    maximum = fields.Float(allow_none=True)
    maximum_applies_to = fields.String(allow_none=True)
    description = fields.String()


class StatusSchema(Schema):
    status = fields.String()


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
