"""marshmallow schemas of the request bodies' shape, and of a problem.

One validator decides what a value may be: the engine (``models.parse_scenario``,
``compare``, ``portfolio``), which checks numbers (finite, whole), ranges, distributions
and combinations, and names every field with a pointer. These schemas only shape a body
before it: it is an object; its members are the fields the operation takes (for a
scenario, the engine's field table ``models.FIELDS``), none null, each of the JSON kind
its field takes (a number that fits a float, a string, an array, a distribution object
with a ``dist`` name). Values pass through unchanged. (The engine reads a null as an
absent field, which a preset's overrides rely on; a body's null is refused here.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields

from models.distributions import is_number
from models.errors import pointer
from models.scenario import FIELDS, GROUPS

from .problems import PointerError

__all__ = [
    "ProblemSchema",
    "comparison_schema",
    "load_body",
    "portfolio_schema",
    "scenario_schema",
]


class JsonKind(fields.Field[Any]):
    """A value of one JSON kind, passed through unchanged: what it holds is the engine's
    to check."""

    #: kind -> (accepts, message)
    KINDS: ClassVar[dict[str, tuple[Any, str]]] = {
        "number": (is_number, "must be a finite number"),
        "uncertain": (
            lambda v: (
                is_number(v)
                or (isinstance(v, Mapping) and (isinstance(v.get("dist"), str) or "schedule" in v))
            ),
            "must be a finite number, an object with a 'dist' name or a schedule by year",
        ),
        "string": (lambda v: isinstance(v, str), "must be a string"),
        "array": (lambda v: isinstance(v, list), "must be a list"),
        "object": (lambda v: isinstance(v, Mapping), "must be a JSON object"),
        "threshold": (
            lambda v: is_number(v) or isinstance(v, Mapping),
            'must be a dollar amount or {"umra_year": YEAR}',
        ),
    }

    def __init__(self, kind: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        accepts, message = self.KINDS[self.kind]
        if not accepts(value):
            raise ValidationError(message)
        return value


#: The JSON kind of each kind of field in the field table.
_FIELD_KINDS = {
    "uncertain": "uncertain",
    "number": "number",
    "integer": "number",
    "string": "string",
    "choice": "string",
    "weights": "array",
    "numbers": "array",
    "correlations": "array",
}


def scenario_schema() -> Schema:
    """A scenario's shape, from ``models.FIELDS``: its fields and groups, their kinds."""
    top: dict[str, fields.Field[Any]] = {}
    groups: dict[str, dict[str, fields.Field[Any]]] = {g: {} for g in GROUPS}
    for spec in FIELDS:
        field = JsonKind(_FIELD_KINDS[spec.kind])
        if "." in spec.name:
            group, name = spec.name.split(".", 1)
            groups[group][name] = field
        else:
            top[spec.name] = field
    for group, members in groups.items():
        top[group] = fields.Nested(Schema.from_dict(members, name=f"{group.title()}Schema"))
    top["preset"] = JsonKind("string")
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
    elif text in ("Not a valid mapping type.", "Invalid input type."):
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
    name = JsonKind("string", required=True)
    overrides = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))


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
    """``{"members": [scenario, ...], "threshold": ..., "seed": ..., "shared": [...]}``."""
    return Schema.from_dict(
        {
            "members": fields.List(fields.Nested(type(scenario)), required=True),
            "threshold": JsonKind("threshold"),
            "seed": JsonKind("number"),
            "shared": fields.List(JsonKind("string")),
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
