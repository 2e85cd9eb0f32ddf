"""The one place where every error becomes an RFC 9457 ``application/problem+json``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from models.errors import ScenarioError

from .problems import ApiProblem, InvalidBody, PointerError
from .schemas import ProblemSchema

__all__ = ["problem_response", "register_error_handlers"]

log = logging.getLogger("detainer_cost.service")
PROBLEM_JSON = "application/problem+json"
_SCHEMA = ProblemSchema()

#: Details for plain HTTP errors, where werkzeug's text would talk about browsers.
HTTP_DETAILS = {
    404: "no such resource; see /openapi.yaml for the routes",
    405: "method not allowed on this resource; see the Allow header",
    413: "the request body is larger than this service accepts",
}


def problem_response(
    status: int,
    title: str,
    detail: str,
    type_: str = "about:blank",
    errors: Sequence[PointerError] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build a problem+json response."""
    body: dict[str, Any] = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "request_id": getattr(g, "request_id", ""),
    }
    if errors:
        body["errors"] = [{"pointer": e.pointer, "detail": e.detail} for e in errors]
    text = json.dumps(_SCHEMA.dump(body), separators=(",", ":"))
    response = Response(text, status=status, mimetype=PROBLEM_JSON)
    response.headers.update(dict(headers or {}))
    return response


def _api_problem(exc: ApiProblem) -> Response:
    return problem_response(exc.status, exc.title, exc.detail, exc.type, exc.errors, exc.headers)


def _scenario_error(exc: ScenarioError) -> Response:
    errors = [PointerError(e.pointer, e.reason) for e in exc.errors]
    return _api_problem(InvalidBody(errors))


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    detail = HTTP_DETAILS.get(status) or exc.description or exc.name
    return problem_response(status, exc.name, detail, headers=headers)


def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unhandled error, request_id=%s", getattr(g, "request_id", ""))
    return problem_response(
        500,
        "Internal Server Error",
        "the service failed to answer; the error was logged with this request_id",
    )


def register_error_handlers(app: Flask) -> None:
    """Map every exception to problem+json."""
    app.register_error_handler(ApiProblem, _api_problem)
    app.register_error_handler(ScenarioError, _scenario_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
