"""Health, metrics, the OpenAPI document and its interactive docs."""

from __future__ import annotations

import copy
import functools
import mimetypes
import os
from collections.abc import Mapping
from importlib import resources
from typing import Any

import flask_swagger_ui
import yaml
from flask import Blueprint, Response, abort, current_app

from models.scenario import FIELDS
from models.scenario import MAX_TRIALS as ENGINE_MAX_TRIALS

from . import metrics
from .errors import problem_response
from .http import json_response
from .spec import DUMPER, load_yaml

__all__ = ["bp", "max_trials", "openapi_document", "parameters"]

bp = Blueprint("meta", __name__)

STATIC = os.path.join(os.path.dirname(__file__), "static")
SWAGGER_DIST = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")
OWN_ASSETS = {"docs-init.js"}
PAGE_ASSETS = {"app.js", "app.css"}


@functools.lru_cache(maxsize=1)
def _spec_text() -> str:
    return (resources.files("service") / "openapi.yaml").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _spec_document() -> dict[str, Any]:
    """The file parsed once per process (about 0.5 s of CPU in pure-Python YAML, which
    every ``create_app`` paid twice); callers get deep copies, never this object."""
    document: dict[str, Any] = load_yaml(_spec_text())
    return document


def max_trials(settings: Mapping[str, Any]) -> int:
    """The most trials a request may ask for: the ``MAX_TRIALS`` setting, within the
    engine's own limit (``models.scenario.MAX_TRIALS``), whichever is lower."""
    return min(int(settings["MAX_TRIALS"]), ENGINE_MAX_TRIALS)


#: The order of a parameter's keys in ``GET /v1/parameters`` (as served since 0.1.0;
#: ``schedulable`` added last).
PARAMETER_KEYS = (
    "name",
    "type",
    "unit",
    "default",
    "default_text",
    "required",
    "minimum",
    "maximum",
    "maximum_applies_to",
    "choices",
    "description",
    "schedulable",
)


def parameters(settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The field table as ``GET /v1/parameters`` lists it: the engine's, with the
    maximum of ``trials`` this service enforces."""
    described = []
    for spec in FIELDS:
        field = spec.describe()
        if field["name"] == "trials":
            field["maximum"] = max_trials(settings)
        described.append({key: field[key] for key in PARAMETER_KEYS})
    return described


def openapi_document(settings: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with its maxima set to the configured limits."""
    spec: dict[str, Any] = copy.deepcopy(_spec_document())
    trials = spec["components"]["schemas"]["Scenario"]["properties"]["trials"]
    trials["maximum"] = max_trials(settings)
    return spec


@bp.get("/livez")
def livez() -> Response:
    """The process is up."""
    return json_response({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Ready to take traffic: 503 while starting or draining."""
    state = current_app.extensions["detainer_cost"]
    if state.ready and not state.draining:
        return json_response({"status": "ready"})
    reason = "draining" if state.draining else "starting"
    return problem_response(
        503, "Service Unavailable", f"not ready: {reason}", headers={"Retry-After": "1"}
    )


@bp.get("/metrics")
def metrics_view() -> Response:
    """Prometheus exposition text."""
    body, content_type = metrics.render()
    return Response(body, mimetype=content_type.split(";")[0], content_type=content_type)


@bp.get("/openapi.yaml")
def openapi_yaml() -> Response:
    """The contract, with the configured limits."""
    text = current_app.extensions["detainer_cost.openapi_text"]
    return Response(text, mimetype="application/yaml")


@functools.lru_cache(maxsize=64)
def _file(folder: str, name: str) -> bytes | None:
    """A file of one of our asset folders, read once; None unless it is listed there
    (so no path can leave the folder)."""
    if name not in os.listdir(folder):
        return None
    with open(os.path.join(folder, name), "rb") as fh:
        return fh.read()


def _asset(folder: str, name: str, max_age: int) -> Response:
    body = _file(folder, name)
    if body is None:
        abort(404)
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = Response(body, mimetype=mimetype)
    response.cache_control.max_age = max_age
    return response


@bp.get("/docs")
def docs() -> Response:
    """Interactive documentation (Swagger UI, served from local files)."""
    return _asset(STATIC, "docs.html", 0)


@bp.get("/")
def index() -> Response:
    """The scenario page (service/static/app.js builds it from /v1/parameters)."""
    return _asset(STATIC, "index.html", 0)


@bp.get("/assets/<path:filename>")
def page_asset(filename: str) -> Response:
    """The scenario page's script and style sheet."""
    if filename not in PAGE_ASSETS:
        abort(404)
    return _asset(STATIC, filename, 300)


@bp.get("/docs/assets/<path:filename>")
def docs_asset(filename: str) -> Response:
    """Swagger UI's files, and the page's own script."""
    folder = STATIC if filename in OWN_ASSETS else SWAGGER_DIST
    return _asset(folder, filename, 3600)


class _NoAliases(DUMPER):  # type: ignore[misc,valid-type]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def openapi_text(settings: dict[str, Any]) -> str:
    """The spec to serve: the file itself, or a copy with the configured limits."""
    return _openapi_text(max_trials(settings))


@functools.lru_cache(maxsize=16)
def _openapi_text(trials: int) -> str:
    """``openapi_text`` of the settings whose trials limit is ``trials``, made once per
    limit (copying the document took some 20 ms, and every ``create_app`` asked)."""
    spec = openapi_document({"MAX_TRIALS": trials})
    if spec == _spec_document():
        return _spec_text()
    return yaml.dump(spec, Dumper=_NoAliases, sort_keys=False, allow_unicode=True)
