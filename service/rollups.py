"""``POST /v1/rollups``: a table of jurisdictions summed into a state or national total.

The body is JSON (``{"base", "rows", "shared", "threshold", "seed"}``, ``rows`` a list
of objects or a CSV text) or a ``multipart/form-data`` upload: a ``rows`` part holding
the CSV table, a ``base`` part holding the base scenario as JSON, and optional
``shared``, ``threshold`` and ``seed`` parts (JSON). The engine checks every value and
names every bad cell (``/rows/17/daily_cost``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, request
from marshmallow import Schema, ValidationError, fields

from models.analyses.common import WorkItem
from models.analyses.rollup import RollupResult, rollup

from . import metrics
from .http import json_body, json_response, require_api_key
from .limits import Deadline, check_work
from .problems import InvalidBody, PointerError, UnsupportedMediaType
from .runner import Runner
from .schemas import JsonKind, load_body, scenario_schema

__all__ = ["bp", "build_rollup", "rollup_schema"]

bp = Blueprint("rollups", __name__, url_prefix="/v1")
bp.before_request(require_api_key)

#: Parts of a multipart upload besides ``rows``, each JSON.
FORM_PARTS = ("base", "shared", "threshold", "seed")


class RowsField(fields.Field[Any]):
    """``rows``: a list of objects (column: value), or a CSV text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return value
        if not isinstance(value, list):
            raise ValidationError("must be a list of row objects, or a CSV text")
        return value


def rollup_schema() -> Schema:
    """``{"base": scenario, "rows": [...] | CSV, "shared": [...], "threshold", "seed"}``."""
    scenario = scenario_schema()
    return Schema.from_dict(
        {
            "base": fields.Nested(type(scenario), required=True),
            "rows": RowsField(required=True),
            "shared": fields.List(JsonKind("string")),
            "threshold": JsonKind("threshold"),
            "seed": JsonKind("number"),
        },
        name="RollupRequestSchema",
    )()


_SCHEMA = rollup_schema()


def _form_body() -> dict[str, Any]:
    """A multipart upload as the JSON body it stands for."""
    body: dict[str, Any] = {}
    errors: list[PointerError] = []
    upload = request.files.get("rows")
    if upload is not None:
        raw = upload.read()
    else:
        text = request.form.get("rows")
        raw = text.encode() if text is not None else None
    if raw is None:
        errors.append(PointerError("/rows", "is required: the CSV table, as a file part"))
    else:
        try:
            body["rows"] = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors.append(PointerError("/rows", "is not UTF-8 text"))
    for name in FORM_PARTS:
        text = request.form.get(name)
        if text is None:
            continue
        try:
            body[name] = json.loads(text)
        except ValueError:
            errors.append(PointerError(f"/{name}", "is not valid JSON"))
    if errors:
        raise InvalidBody(errors)
    return body


def _body() -> dict[str, Any]:
    if request.mimetype == "multipart/form-data":
        body: Any = _form_body()
    elif request.mimetype == "application/json" or request.mimetype.endswith("+json"):
        body = json_body()
    else:
        raise UnsupportedMediaType(
            "send the body as application/json or multipart/form-data "
            f"(got {request.mimetype or 'no Content-Type'})"
        )
    try:
        return load_body(_SCHEMA, body)
    except ValueError as exc:
        raise InvalidBody(exc.args[0]) from None


def build_rollup(
    body: Mapping[str, Any], settings: Mapping[str, Any], deadline: Deadline | None = None
) -> RollupResult:
    """Run a validated roll-up body within the work budget (and the deadline, if any)."""

    def budget(items: list[WorkItem]) -> None:
        check_work(items, settings)

    result = rollup(
        body["base"],
        body["rows"],
        shared=body.get("shared"),
        threshold=body.get("threshold"),
        seed=body.get("seed"),
        budget=budget,
        cancel=None if deadline is None else deadline.check,
    )
    metrics.TRIALS.inc(result.total.trials * len(result.jurisdictions))
    return result


@bp.post("/rollups")
def create_rollup() -> Response:
    """A table of jurisdictions summed trial by trial."""
    runner: Runner = current_app.extensions["detainer_cost.runner"]
    with runner.admit() as deadline:
        result = build_rollup(_body(), current_app.config, deadline)
        response = json_response(result.to_dict())
        deadline.check()
        return response
