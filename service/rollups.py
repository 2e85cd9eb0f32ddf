"""``POST /v1/rollups``: a table of jurisdictions summed into a state or national total.

The body is JSON (``{"base", "rows", "shared", "threshold", "seed"}``, ``rows`` a list
of objects or a CSV text) or a ``multipart/form-data`` upload: a ``rows`` part holding
the CSV table, a ``base`` part holding the base scenario as JSON, and optional
``shared``, ``threshold`` and ``seed`` parts (JSON). The engine checks every value and
names every bad cell (``/rows/17/daily_cost``).

The answer is the result as JSON, or its report (``?format=json|html|pdf|xlsx|csv``,
else the Accept header; JSON by default): the summary, the jurisdictions ranked and a
chart of the largest contributors (:mod:`service.reports.rollup`). A report's base asks
for the report's percentiles besides its own, as every report's scenario does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, current_app, request
from marshmallow import Schema, ValidationError, fields

from models.analyses.common import WorkItem
from models.analyses.rollup import RollupResult, rollup

from . import metrics
from .http import (
    REPORT_TYPES,
    json_body,
    json_response,
    negotiate,
    report_filename,
    require_api_key,
)
from .limits import Deadline, check_work
from .problems import InvalidBody, PointerError, UnsupportedMediaType
from .runner import Runner
from .schemas import JsonKind, load_body, scenario_schema

__all__ = ["bp", "build_rollup", "rollup_schema"]

bp = Blueprint("rollups", __name__, url_prefix="/v1")
bp.before_request(require_api_key)

#: What the answer may be: the result as JSON, or its report.
ANSWER_TYPES = {"application/json": "json", **REPORT_TYPES}

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


def answer_format() -> str:
    """``json``, ``html``, ``pdf``, ``xlsx`` or ``csv``: from ``?format=``, else from
    Accept (JSON when it names none of them in particular: no Accept, or ``*/*``)."""
    return negotiate(
        request.args.get("format"),
        request.accept_mimetypes,
        ANSWER_TYPES,
        "json",
        "application/json (the roll-up), text/html, application/pdf, text/csv or the "
        "XLSX type (its report)",
    )


def _report(
    body: Mapping[str, Any], result: RollupResult, fmt: str, check: Callable[[], None]
) -> Response:
    from .reports.rollup import render_rollup_of, report_names

    name, _ = report_names(body.get("base"))
    rendered = render_rollup_of(result, fmt, body.get("base"), check=check)
    response = Response(rendered.body, mimetype=rendered.media_type)
    disposition = "inline" if fmt == "html" else "attachment"
    filename = report_filename(name or "rollup", rendered.extension)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@bp.post("/rollups")
def create_rollup() -> Response:
    """A table of jurisdictions summed trial by trial, as JSON or as its report."""
    fmt = answer_format()
    runner: Runner = current_app.extensions["detainer_cost.runner"]
    with runner.admit() as deadline:
        body = _body()
        if fmt == "json":
            result = build_rollup(body, current_app.config, deadline)
            response = json_response(result.to_dict())
        else:
            from .reports.rollup import with_report_percentiles

            body = with_report_percentiles(body)
            result = build_rollup(body, current_app.config, deadline)
            response = _report(body, result, fmt, deadline.check)
        deadline.check()
        return response
