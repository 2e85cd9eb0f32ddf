"""``POST /v1/calibrations`` (JSON rows, a CSV text, a CSV or XLSX upload); every response
is held to the contract by the client."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models.calibrate import calibrate, records_to_table
from models.calibrate import read_bookings as read
from models.scenario import DEFAULT_SEED, parse_scenario
from service import calibrations, create_app
from tests.models.test_calibrate import jail

from .conftest import ContractClient

ROWS, TRUTH = jail(3, per_year=600)
PUBLIC = [{k: v for k, v in r.items() if k not in ("name", "date_of_birth")} for r in ROWS]


@pytest.fixture(scope="module")
def client() -> Iterator[FlaskClient]:
    """One app for the module (building one takes a second or two); the calibrations
    keep no state between requests."""
    app: Flask = create_app({"TESTING": True})
    app.test_client_class = ContractClient
    with app.test_client() as c:
        yield c


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _pointers(response: Any) -> list[str]:
    return [e["pointer"] for e in response.get_json()["errors"]]


def test_json_rows_csv_text_and_upload_agree(client: FlaskClient) -> None:
    body = {"rows": ROWS, "resamples": 50, "extract_date": TRUTH["end"]}
    by_rows = client.post("/v1/calibrations", json=body)
    assert by_rows.status_code == 200, by_rows.get_data(as_text=True)[:500]
    result = by_rows.get_json()
    header, table = records_to_table(ROWS)
    expected = calibrate(
        read(header, table, extract_date=TRUTH["end"]),
        rng=DEFAULT_SEED,
        resamples=50,
        source="booking records (JSON rows)",
    )
    assert result == json.loads(json.dumps(expected.to_dict()))
    parse_scenario({**result["scenario"], "daily_cost": 90})
    text = by_rows.get_data(as_text=True)
    assert "Jane Q. Doe" not in text  # the name column is never read
    by_text = client.post("/v1/calibrations", json={**body, "rows": _csv(ROWS)})
    assert by_text.status_code == 200
    assert by_text.get_json()["extra_stay"] == result["extra_stay"]
    upload = client.post(
        "/v1/calibrations",
        data={
            "rows": (io.BytesIO(("\ufeff" + _csv(ROWS)).encode()), "bookings.csv"),
            "resamples": "50",
            "extract_date": TRUTH["end"],
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200, upload.get_data(as_text=True)[:500]
    assert upload.get_json()["extra_stay"] == result["extra_stay"]
    assert "uploaded booking records" in upload.get_json()["scenario"]["detainer_rate"]["note"]


def test_a_mapped_upload_with_bad_rows_names_them_or_skips_them(client: FlaskClient) -> None:
    renamed = [
        {"BOOKING_NO": r["booking_id"], "BOOKING_DT": r["booked_at"],
         "RELEASE_DT": r["released_at"], "IMM_HOLD": r["detainer"],
         "TOP_CHARGE": r["charge_class"]}
        for r in PUBLIC
    ]  # fmt: skip
    renamed[2]["RELEASE_DT"] = "2020-01-01T00:00:00"  # before its booking
    renamed[5]["IMM_HOLD"] = "maybe"
    renamed[7]["BOOKING_NO"] = renamed[6]["BOOKING_NO"]
    mapping = {"booking_id": "BOOKING_NO", "booked_at": "BOOKING_DT", "released_at": "RELEASE_DT",
               "detainer": "IMM_HOLD", "charge_class": "TOP_CHARGE"}  # fmt: skip
    data = {"rows": (io.BytesIO(_csv(renamed).encode()), "x.csv"), "map": json.dumps(mapping)}
    refused = client.post("/v1/calibrations", data=data, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert _pointers(refused) == ["/rows/2/RELEASE_DT", "/rows/5/IMM_HOLD", "/rows/7/BOOKING_NO"]
    data = {
        "rows": (io.BytesIO(_csv(renamed).encode()), "x.csv"),
        "map": json.dumps(mapping),
        "skip_bad_rows": "true",
        "resamples": "50",
    }
    skipped = client.post("/v1/calibrations", data=data, content_type="multipart/form-data")
    assert skipped.status_code == 200, skipped.get_data(as_text=True)[:500]
    result = skipped.get_json()
    assert [(s["row"], s["column"]) for s in result["skipped_rows"]] == [
        (2, "RELEASE_DT"),
        (5, "IMM_HOLD"),
        (7, "BOOKING_NO"),
    ]
    assert result["counts"]["skipped_rows"] == 3
    assert result["columns"]["booked_at"] == "BOOKING_DT"


def _xlsx() -> io.BytesIO:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    columns = list(PUBLIC[0])
    sheet.append(columns)
    for r in PUBLIC:
        sheet.append([r[c] for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def test_an_xlsx_upload(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = _xlsx()
    data = buffer.getvalue()
    response = client.post(
        "/v1/calibrations",
        data={"rows": (buffer, "bookings.xlsx"), "resamples": "50"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.get_json()["counts"]["bookings"] == len(PUBLIC)
    # A workbook that unpacks to more than a request may (a ZIP bomb) is refused unread.
    monkeypatch.setattr(calibrations, "MAX_XLSX_UNPACKED", 10_000)
    response = client.post(
        "/v1/calibrations",
        data={"rows": (io.BytesIO(data), "bookings.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "unpacks to" in response.get_json()["errors"][0]["detail"]


def test_bad_bodies_are_422_naming_the_member(client: FlaskClient) -> None:
    cases: list[tuple[Any, list[str]]] = [
        ({}, ["/rows"]),
        ({"rows": 3}, ["/rows"]),
        ({"rows": PUBLIC, "skip_bad_rows": "yes"}, ["/skip_bad_rows"]),
        ({"rows": PUBLIC, "resamples": 10}, ["/resamples"]),
        ({"rows": PUBLIC, "map": {"surname": "LAST"}}, ["/map/surname"]),
        ({"rows": [{"booking_id": {"x": 1}}]}, ["/rows/0/booking_id"]),
        ({"rows": PUBLIC[:40]}, ["/rows"]),  # too few detainer bookings: refused
        ({"rows": PUBLIC, "extract_date": "someday"}, ["/extract_date"]),
    ]
    for body, pointers in cases:
        response = client.post("/v1/calibrations", json=body)
        assert response.status_code == 422, body
        assert _pointers(response) == pointers, (body, response.get_json())


def test_other_media_and_garbage_uploads(client: FlaskClient) -> None:
    response = client.post("/v1/calibrations", data="x", content_type="text/csv")
    assert response.status_code == 415
    response = client.post(
        "/v1/calibrations",
        data={"rows": (io.BytesIO(b"\xff\xfe\x00bad"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert _pointers(response) == ["/rows"]
    response = client.post(
        "/v1/calibrations",
        data={"rows": (io.BytesIO(b"PK\x03\x04 not a workbook"), "x.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "XLSX" in response.get_json()["errors"][0]["detail"]
    response = client.post(
        "/v1/calibrations",
        data={"map": "{"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert _pointers(response) == ["/rows", "/map"]
