"""``POST /v1/calibrations``: a scenario calibrated from a jail's booking records.

The body is JSON (``{"rows", "map", "skip_bad_rows", "extract_date", "seed",
"resamples"}``, ``rows`` a list of booking objects or a CSV text) or a
``multipart/form-data`` upload: a ``rows`` file part holding the CSV or XLSX extract, and
optional ``map`` (a JSON object), ``skip_bad_rows`` (``true``/``false``),
``extract_date`` (text), ``seed`` and ``resamples`` (JSON integers) parts. Bodies are
bounded by the service's body limit (``DETAINER_COST_MAX_BODY_BYTES``, 2 MiB by
default: about 29,000 bookings of an 8-column CSV extract at 72 bytes a row,
fewer with wider rows), and to 100,000 bookings (an XLSX workbook to 64 MiB unpacked);
larger extracts go through ``detainer-cost calibrate``. The answer is the calibration
as JSON, or its report as HTML or PDF (``?format=json|html|pdf``, else the Accept
header; JSON by default). Nothing of the upload is kept
after the answer, and only the columns the calibration needs are read. The engine names
every bad cell (``/rows/17/BOOKING_DT``: rows count from 0, the first after the header).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request
from marshmallow import Schema, ValidationError, fields, validate

from models.calibrate import RESAMPLES, Calibration, calibrate, read_bookings, records_to_table
from models.scenario import DEFAULT_SEED

from .bookings_io import read_extract
from .http import json_body, json_response, negotiate, report_filename, require_api_key
from .problems import (
    InvalidBody,
    PointerError,
    UnsupportedMediaType,
)
from .runner import Runner
from .schemas import JsonKind, load_body

__all__ = ["bp", "build_calibration", "calibration_schema"]

bp = Blueprint("calibrations", __name__, url_prefix="/v1")
bp.before_request(require_api_key)

#: Most bookings one request may hold (a 2 MiB CSV holds fewer; an XLSX may hold more).
MAX_ROWS = 100_000
#: Most bytes an uploaded XLSX workbook may unpack to.
MAX_XLSX_UNPACKED = 64 * 1024 * 1024

#: What the answer may be: the calibration as JSON, or its report (HTML or PDF).
ANSWER_TYPES = {"application/json": "json", "text/html": "html", "application/pdf": "pdf"}

#: Parts of a multipart upload besides ``rows``, each JSON except ``extract_date``.
FORM_PARTS = ("map", "skip_bad_rows", "seed", "resamples")


class RowsField(fields.Field[Any]):
    """``rows``: a list of booking objects, or a CSV text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str | list):
            raise ValidationError("must be a list of booking objects, or a CSV text")
        return value


class FlagField(fields.Field[bool]):
    """A JSON ``true`` or ``false``, nothing else (no ``"yes"`` read as true)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


def calibration_schema() -> Schema:
    """The shape of a calibration request; the engine checks the values."""
    return Schema.from_dict(
        {
            "rows": RowsField(required=True),
            "map": fields.Dict(keys=fields.String(), values=JsonKind("string")),
            "skip_bad_rows": FlagField(),
            "extract_date": JsonKind("string"),
            "seed": fields.Integer(strict=True, validate=validate.Range(0, 2**64 - 1)),
            "resamples": fields.Integer(strict=True, validate=validate.Range(50, 2000)),
        },
        name="CalibrationRequestSchema",
    )()


_SCHEMA = calibration_schema()


def _form_body() -> dict[str, Any]:
    """A multipart upload as the body it stands for (``rows`` left as bytes)."""
    body: dict[str, Any] = {}
    errors: list[PointerError] = []
    upload = request.files.get("rows")
    if upload is not None:
        body["rows"] = upload.read()
    elif (text := request.form.get("rows")) is not None:
        body["rows"] = text.encode()
    else:
        errors.append(PointerError("/rows", "is required: the CSV or XLSX extract, as a file part"))
    if (date := request.form.get("extract_date")) is not None:
        body["extract_date"] = date
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
        body = _form_body()
        raw = body.pop("rows", b"")
        try:
            loaded = load_body(_SCHEMA, {**body, "rows": ""})
        except ValueError as exc:
            raise InvalidBody(exc.args[0]) from None
        loaded["rows"] = raw
        return loaded
    if request.mimetype == "application/json" or request.mimetype.endswith("+json"):
        try:
            return load_body(_SCHEMA, json_body())
        except ValueError as exc:
            raise InvalidBody(exc.args[0]) from None
    raise UnsupportedMediaType(
        "send the body as application/json or multipart/form-data "
        f"(got {request.mimetype or 'no Content-Type'})"
    )


def build_calibration(body: dict[str, Any]) -> Calibration:
    """Read the validated body's extract and calibrate it."""
    options: dict[str, Any] = {
        "mapping": body.get("map"),
        "skip_bad_rows": body.get("skip_bad_rows", False),
        "extract_date": body.get("extract_date"),
        "max_rows": MAX_ROWS,
    }
    rows = body["rows"]
    if isinstance(rows, bytes):
        bookings = read_extract(rows, max_unpacked=MAX_XLSX_UNPACKED, **options)
        source = "uploaded booking records"
    elif isinstance(rows, str):
        bookings = read_extract(io.StringIO(rows, newline=""), **options)
        source = "booking records (CSV text)"
    else:
        header, table = records_to_table(rows[: MAX_ROWS + 1])
        bookings = read_bookings(header, table, **options)
        source = "booking records (JSON rows)"
    return calibrate(
        bookings,
        rng=body.get("seed", DEFAULT_SEED),
        resamples=body.get("resamples", RESAMPLES),
        source=source,
    )


def answer_format() -> str:
    """``json``, ``html`` or ``pdf``: from ``?format=``, else from Accept (JSON when it
    names none of them in particular: no Accept, or ``*/*``)."""
    return negotiate(
        request.args.get("format"),
        request.accept_mimetypes,
        ANSWER_TYPES,
        "json",
        "application/json (the calibration), text/html or application/pdf (its report)",
    )


def _report(result: Calibration, fmt: str, check: Callable[[], None]) -> Response:
    from .reports.calibration import render_calibration

    rendered = render_calibration(result, fmt, check=check)
    response = Response(rendered.body, mimetype=rendered.media_type)
    disposition = "inline" if fmt == "html" else "attachment"
    filename = report_filename("calibration", rendered.extension)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@bp.post("/calibrations")
def create_calibration() -> Response:
    """A scenario fitted to booking records, with every estimate and warning, as JSON or
    as its report (HTML or PDF)."""
    fmt = answer_format()
    runner: Runner = current_app.extensions["detainer_cost.runner"]
    with runner.admit() as deadline:
        result = build_calibration(_body())
        if fmt == "json":
            response = json_response(result.to_dict())
        else:
            response = _report(result, fmt, deadline.check)
        deadline.check()
        return response
