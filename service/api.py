"""The ``/v1`` API: views validate, call the engine, serialize."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app

from models.scenario import FIELDS

from .http import json_body, json_response, require_api_key
from .problems import InvalidBody
from .runner import Runner
from .schemas import ParameterSchema, SimulationResultSchema, load_scenario, scenario_schema

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/v1")
bp.before_request(require_api_key)

_RESULT = SimulationResultSchema()
_PARAMETERS = ParameterSchema(many=True)


def _runner() -> Runner:
    runner: Runner = current_app.extensions["detainer_cost.runner"]
    return runner


def _scenario_body() -> dict[str, Any]:
    schema = current_app.extensions["detainer_cost.scenario_schema"]
    try:
        return load_scenario(schema, json_body())
    except ValueError as exc:
        raise InvalidBody(exc.args[0]) from None


@bp.post("/simulations")
def create_simulation() -> Response:
    """Simulate a scenario."""
    scenario = _runner().parse(_scenario_body())
    result = _runner().simulate(scenario)
    return json_response(_RESULT.dump(result.to_dict()))


@bp.get("/parameters")
def list_parameters() -> Response:
    """Every scenario field with its type, unit, default, range and meaning."""
    return json_response({"parameters": _PARAMETERS.dump([f.describe() for f in FIELDS])})


def make_scenario_schema() -> Any:
    """Built once per app."""
    return scenario_schema()
