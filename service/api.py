"""The ``/v1`` API: views validate, call the engine, serialize."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from .http import (
    flag,
    json_body,
    json_response,
    report_filename,
    report_format,
    require_api_key,
)
from .limits import Deadline
from .meta import parameters
from .problems import InvalidBody, NotFound
from .runner import Runner
from .schemas import comparison_schema, load_body, portfolio_schema, scenario_schema

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/v1")
bp.before_request(require_api_key)

# Responses are the engine's ``to_dict()`` as it stands: the result dataclasses are the
# one source of their shape, and openapi.yaml (generated from them, checked by the
# contract tests) states it. No second, schema-driven serialization.


def _runner() -> Runner:
    runner: Runner = current_app.extensions["detainer_cost.runner"]
    return runner


def _load(kind: str, body: Any) -> dict[str, Any]:
    schema = current_app.extensions["detainer_cost.schemas"][kind]
    try:
        return load_body(schema, body)
    except ValueError as exc:
        raise InvalidBody(exc.args[0]) from None


def _body(kind: str) -> dict[str, Any]:
    return _load(kind, json_body())


def _in_time(response: Response, deadline: Deadline) -> Response:
    """``response`` if it is ready within the deadline (503 otherwise: never a late 200)."""
    deadline.check()
    return response


# Each run admits the request (a run slot and its deadline) before its body is parsed.
@bp.post("/simulations")
def create_simulation() -> Response:
    """Simulate a scenario."""
    with _runner().admit() as deadline:
        scenario = _runner().parse(_body("scenario"))
        result = _runner().simulate(scenario, deadline)
        return _in_time(json_response(result.to_dict()), deadline)


@bp.post("/comparisons")
def create_comparison() -> Response:
    """Compare policy alternatives with a baseline (common random numbers)."""
    with _runner().admit() as deadline:
        result = _runner().compare(_body("comparison"), deadline)
        return _in_time(json_response(result.to_dict()), deadline)


@bp.post("/sensitivity")
def create_sensitivity() -> Response:
    """Which inputs drive year-1 net cost: tornado, rank correlations, Sobol indices."""
    with _runner().admit() as deadline:
        result = _runner().sensitivity(_body("scenario"), deadline)
        return _in_time(json_response(result.to_dict()), deadline)


@bp.post("/reports")
def create_report() -> Response:
    """A report (HTML, PDF, XLSX or CSV) of a simulation or a comparison."""
    fmt = report_format(request.args.get("format"), request.accept_mimetypes)
    samples = flag(request.args.get("samples"), "samples")
    with _runner().admit() as deadline:
        body = json_body()
        kind = "comparison" if isinstance(body, dict) and "baseline" in body else "scenario"
        loaded = _load(kind, body)
        rendered = _runner().report(loaded, fmt, samples, deadline)
    name = (loaded["baseline"] if kind == "comparison" else loaded).get("name")
    filename = report_filename(name, rendered.extension, comparison=kind == "comparison")
    response = Response(rendered.body, mimetype=rendered.media_type)
    disposition = "inline" if fmt == "html" else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@bp.post("/portfolios")
def create_portfolio() -> Response:
    """Several jurisdictions summed trial by trial."""
    with _runner().admit() as deadline:
        result = _runner().portfolio(_body("portfolio"), deadline)
        return _in_time(json_response(result.to_dict()), deadline)


@bp.get("/presets")
def list_presets() -> Response:
    """Every preset: id, title, kind, source, measure, headline."""
    presets = current_app.extensions["detainer_cost.presets"]
    return json_response({"presets": [p.describe() for p in presets.values()]})


@bp.get("/presets/<preset_id>")
def get_preset(preset_id: str) -> Response:
    """One preset with the source and basis of every input, and its scenario."""
    preset = current_app.extensions["detainer_cost.presets"].get(preset_id)
    if preset is None:
        raise NotFound(f"no preset {preset_id!r}; GET /v1/presets lists them")
    return json_response(preset.to_dict())


@bp.get("/parameters")
def list_parameters() -> Response:
    """Every scenario field with its type, unit, default, range and meaning; the range
    of ``trials`` is the one this service enforces (its ``MAX_TRIALS``)."""
    return json_response({"parameters": parameters(current_app.config)})


def make_schemas() -> dict[str, Any]:
    """Request schemas, built once per app."""
    scenario = scenario_schema()
    return {
        "scenario": scenario,
        "comparison": comparison_schema(scenario),
        "portfolio": portfolio_schema(scenario),
    }
