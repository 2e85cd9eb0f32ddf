"""Request and response plumbing shared by the blueprints: JSON bodies in, JSON out,
request ids, metrics, security headers and CORS."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import RequestEntityTooLarge

from models.inputs import json_int, nesting_error

from . import metrics
from .problems import (
    BadRequest,
    InvalidBody,
    NotAcceptable,
    PointerError,
    Unauthorized,
    UnsupportedMediaType,
)

__all__ = ["json_body", "json_response", "register_hooks", "require_api_key"]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
}
CORS_ALLOW_HEADERS = "Content-Type, Authorization, X-API-Key, X-Request-ID"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _read_body() -> bytes:
    """The raw body; 413 past ``MAX_CONTENT_LENGTH``, with or without Content-Length.

    werkzeug refuses a declared Content-Length over the limit, but a streamed body
    (``Transfer-Encoding: chunked``) it only stops reading at the limit: the body is then
    cut short. One more byte from the server's stream tells the two apart. (Servers that
    decode chunked bodies say so with ``wsgi.input_terminated``: gunicorn, werkzeug's.)
    """
    raw = request.get_data(cache=True)  # raises RequestEntityTooLarge (413) past the limit
    limit = request.max_content_length
    if (
        request.content_length is None
        and limit is not None
        and len(raw) >= limit
        and request.environ.get("wsgi.input_terminated")
        and request.environ["wsgi.input"].read(1)
    ):
        raise RequestEntityTooLarge()
    return raw


def json_body() -> Any:
    """The request body decoded as strict JSON (415, 413 or 400 otherwise; 422 for JSON
    nested deeper than ``models.inputs.MAX_DEPTH``, at the pointer of the too-deep
    value)."""
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(
            f"send the body as application/json (got {mimetype or 'no Content-Type'})"
        )
    raw = _read_body()
    try:
        body = json.loads(
            raw.decode("utf-8"),
            parse_constant=_reject_constant,
            parse_int=json_int,  # past any float: refused at its field
            object_pairs_hook=_no_duplicates,
        )
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 text") from None
    except RecursionError:
        raise BadRequest("the body is nested too deeply") from None
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    too_deep = nesting_error(body)
    if too_deep is not None:
        raise InvalidBody([PointerError(too_deep.pointer, too_deep.reason)])
    return body


REPORT_TYPES = {
    "text/html": "html",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/csv": "csv",
}


def negotiate(
    query: str | None, accept: MIMEAccept, types: dict[str, str], default: str, offer: str
) -> str:
    """A format named by ``?format=`` (one of ``types``' values), else the best of
    ``types`` (media type -> format) the ``Accept`` header admits; ``default`` when it
    names none in particular (no Accept, or ``*/*``). ``offer`` says in words what the
    resource can answer, for the 406."""
    if query is not None:
        if query not in types.values():
            raise BadRequest(
                f"query parameter format must be one of: {', '.join(types.values())}",
                "urn:detainer-cost:problem:bad-parameter",
                "Bad parameter",
            )
        return query
    if not accept or accept.best == "*/*":
        return default
    best = accept.best_match(list(types))
    if best is None:
        raise NotAcceptable(f"this resource can answer {offer}")
    return types[best]


def report_format(query: str | None, accept: MIMEAccept) -> str:
    """The report format from ``?format=`` or else from ``Accept`` (HTML by default)."""
    return negotiate(
        query,
        accept,
        REPORT_TYPES,
        "html",
        "text/html, application/pdf, text/csv or the XLSX type",
    )


def flag(value: str | None, name: str) -> bool:
    """A boolean query parameter: true/false (absent: false)."""
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    raise BadRequest(
        f"query parameter {name} must be true or false",
        "urn:detainer-cost:problem:bad-parameter",
        "Bad parameter",
    )


def report_filename(name: str | None, extension: str, *, comparison: bool = False) -> str:
    """A safe file name from the scenario's name: letters, digits, dot, dash, underscore."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name or "").strip("-._")[:80]
    stem = stem or "detainer-cost-report"
    return f"{stem}{'-comparison' if comparison else ''}.{extension}"


def json_response(data: Any, status: int = 200) -> Response:
    """Compact, deterministic JSON (no NaN or infinity)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return Response(text, status=status, mimetype="application/json")


def _key_matches(presented: str, keys: tuple[str, ...]) -> bool:
    digest = hashlib.sha256(presented.encode()).hexdigest()
    ok = False
    for key in keys:  # every key is compared, whichever matches
        if key.startswith("sha256:"):
            ok |= hmac.compare_digest(digest, key[len("sha256:") :].lower())
        else:
            ok |= hmac.compare_digest(presented.encode(), key.encode())
    return ok


def require_api_key() -> None:
    """``before_request`` of the API: with keys configured, demand one (401 otherwise)."""
    keys: tuple[str, ...] = current_app.config["API_KEYS"]
    if not keys or request.method == "OPTIONS":
        return
    auth = request.headers.get("Authorization", "")
    presented = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    presented = presented or request.headers.get("X-API-Key", "")
    if not presented or not _key_matches(presented, keys):
        raise Unauthorized()


def _start() -> None:
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = getattr(g, "request_id", "")
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/v1/"):
        response.headers.setdefault("Cache-Control", "no-store")
    origin = request.headers.get("Origin")
    if origin and origin in current_app.config["CORS_ORIGINS"]:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "X-Request-ID, Retry-After"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
    if current_app.config["CORS_ORIGINS"]:
        response.vary.add("Origin")
    route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
    labels = (route, request.method, str(response.status_code))
    metrics.REQUESTS.labels(*labels).inc()
    metrics.LATENCY.labels(*labels).observe(time.perf_counter() - g.get("started", 0.0))
    return response


def register_hooks(app: Flask) -> None:
    """Request id, metrics, security headers and CORS on every response."""
    app.before_request(_start)
    app.after_request(_finish)
