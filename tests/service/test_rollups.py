"""``POST /v1/rollups`` (JSON rows, a CSV text, a multipart upload) and ``shared`` on
``/v1/portfolios``; every response is held to the contract by the client."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from models.analyses import rollup
from service.jobs import Executor, job_store

BASE: dict[str, Any] = {
    "extra_days_per_detainer": {"dist": "pert", "low": 10, "mode": 20, "high": 50},
    "daily_cost": 90,
    "trials": 300,
}
ROWS: list[dict[str, Any]] = [
    {"name": "County A", "detainers_per_year": 300},
    {"name": "County B", "bookings_per_year": 20000, "detainer_rate": 0.02, "daily_cost": None},
    {"name": "County C", "detainers_per_year": 80, "daily_cost": 140},
]
CSV = (
    "name,detainers_per_year,bookings_per_year,detainer_rate,daily_cost\n"
    "County A,300,,,\n"
    "County B,,20000,0.02,\n"
    "County C,80,,,140\n"
)


def _pointers(response: Any) -> list[str]:
    return [e["pointer"] for e in response.get_json()["errors"]]


def test_rollup_json_rows_csv_text_and_upload_agree(client: FlaskClient) -> None:
    body = {"base": BASE, "rows": ROWS, "threshold": {"umra_year": 2019}, "seed": 4}
    by_rows = client.post("/v1/rollups", json=body)
    assert by_rows.status_code == 200, by_rows.get_data(as_text=True)[:500]
    result = by_rows.get_json()
    expected = rollup(BASE, ROWS, threshold={"umra_year": 2019}, seed=4).to_dict()
    assert result == json.loads(json.dumps(expected))
    assert [j["name"] for j in result["jurisdictions"]] == ["County A", "County B", "County C"]
    assert result["threshold"] == 82e6
    by_text = client.post("/v1/rollups", json={**body, "rows": CSV})
    assert by_text.get_data() == by_rows.get_data()
    upload = client.post(
        "/v1/rollups",
        data={
            "rows": (io.BytesIO(("\ufeff" + CSV).encode()), "counties.csv"),
            "base": json.dumps(BASE),
            "threshold": json.dumps({"umra_year": 2019}),
            "seed": "4",
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200, upload.get_data(as_text=True)[:500]
    assert upload.get_data() == by_rows.get_data()


def test_rollup_names_every_bad_cell(client: FlaskClient) -> None:
    rows = [*ROWS, {"detainers_per_year": -5}, {"name": "X", "daily_cost": "high"}]
    response = client.post("/v1/rollups", json={"base": {**BASE, "honor_rate": 3}, "rows": rows})
    assert response.status_code == 422
    assert _pointers(response) == [
        "/base/honor_rate",
        "/rows/3/detainers_per_year",
        "/rows/4/daily_cost",
        "/rows/4/detainers_per_year",
    ]
    bad_csv = client.post("/v1/rollups", json={"base": BASE, "rows": CSV + "D,lots,,,\n"})
    assert _pointers(bad_csv) == ["/rows/3/detainers_per_year"]


def test_rollup_upload_problems(client: FlaskClient) -> None:
    no_base = client.post(
        "/v1/rollups",
        data={"rows": (io.BytesIO(CSV.encode()), "c.csv"), "shared": "[oops"},
        content_type="multipart/form-data",
    )
    assert no_base.status_code == 422
    assert _pointers(no_base) == ["/shared"]
    missing = client.post(
        "/v1/rollups", data={"base": json.dumps(BASE)}, content_type="multipart/form-data"
    )
    assert _pointers(missing) == ["/rows"]
    not_utf8 = client.post(
        "/v1/rollups",
        data={"rows": (io.BytesIO(b"name\n\xff\n"), "c.csv"), "base": json.dumps(BASE)},
        content_type="multipart/form-data",
    )
    assert _pointers(not_utf8) == ["/rows"]
    text = client.post("/v1/rollups", data=CSV, content_type="text/csv")
    assert text.status_code == 415
    shape = client.post("/v1/rollups", json={"base": BASE, "rows": 5, "extra": 1})
    assert shape.status_code == 422
    assert sorted(_pointers(shape)) == ["/extra", "/rows"]


def test_rollup_work_budget_counts_every_row(make_app: Any) -> None:
    app: Flask = make_app(MAX_WORK=800)  # 3 rows x 300 trials x 1 year = 900
    with app.test_client() as client:
        response = client.post("/v1/rollups", json={"base": BASE, "rows": ROWS})
    assert response.status_code == 422
    assert response.get_json()["type"] == "urn:detainer-cost:problem:work-budget"
    assert _pointers(response) == ["/base/trials"]


def test_portfolio_takes_shared_inputs(client: FlaskClient) -> None:
    members = [{**BASE, **row} for row in ROWS if row.get("detainers_per_year")]
    body = {"members": members, "shared": ["extra_days_per_detainer"]}
    response = client.post("/v1/portfolios", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.get_json()["shared"] == ["extra_days_per_detainer"]
    bad = client.post("/v1/portfolios", json={**body, "shared": ["honor_rate", "nope"]})
    assert bad.status_code == 422
    assert _pointers(bad) == ["/shared/1"]


def test_the_example_table_by_upload_and_by_job(make_app: Any, tmp_path: Any) -> None:
    """examples/counties.csv over examples/rollup-base.json (fewer trials): the upload
    and a job of the same table answer the same bytes."""
    root = Path(__file__).resolve().parents[2] / "examples"
    table = (root / "counties.csv").read_text()
    base = {**json.loads((root / "rollup-base.json").read_text()), "trials": 200}
    app: Flask = make_app(DATA_DIR=str(tmp_path))
    with app.test_client() as client:
        upload = client.post(
            "/v1/rollups",
            data={
                "rows": (io.BytesIO(table.encode()), "counties.csv"),
                "base": json.dumps(base),
                "threshold": json.dumps({"umra_year": 2019}),
            },
            content_type="multipart/form-data",
        )
        assert upload.status_code == 200, upload.get_data(as_text=True)[:500]
        assert len(upload.get_json()["jurisdictions"]) == 11
        body = {"base": base, "rows": table, "threshold": {"umra_year": 2019}}
        job = client.post("/v1/jobs", json={"kind": "rollup", "input": body}).get_json()
        executor = Executor(job_store(app))
        assert executor.run_once()
        result = client.get(f"/v1/jobs/{job['id']}/result")
        assert result.get_data() == upload.get_data()


def test_rollup_rows_on_another_cost_basis_are_a_422(client: FlaskClient) -> None:
    rows = [*ROWS, {"name": "D", "preset": "cook-county-2011"}, {"preset": "colorado-2011"}]
    response = client.post("/v1/rollups", json={"base": BASE, "rows": rows})
    assert response.status_code == 422
    assert _pointers(response) == ["/rows/3/daily_cost", "/rows/4/daily_cost"]
    assert "marginal basis" in response.get_json()["errors"][0]["detail"]


def test_rollup_total_says_mixed_settings(client: FlaskClient) -> None:
    rows = [{**ROWS[0], "extra_stay_applies_to": "lodged"}, ROWS[2]]
    response = client.post("/v1/rollups", json={"base": {**BASE, "trials": 50}, "rows": rows})
    assert response.status_code == 200
    assert response.get_json()["total"]["provenance"]["extra_stay_applies_to"] == "mixed"


def test_rollup_reports_by_route_job_and_cli_state_the_fiscal_year(
    make_app: Any, tmp_path: Path
) -> None:
    """The three ways to a roll-up's report make it alike (one call renders all three):
    the same bytes, saying when the base's fiscal years start."""
    from service.cli import main

    base = {**BASE, "trials": 50, "name": "July counties", "fiscal_year_start_month": 7}
    body = {"base": base, "rows": CSV}
    app: Flask = make_app(DATA_DIR=str(tmp_path))
    with app.test_client() as client:
        route = client.post("/v1/rollups?format=html", json=body)
        assert route.status_code == 200, route.get_data(as_text=True)[:500]
        job = client.post("/v1/jobs", json={"kind": "report", "input": body, "format": "html"})
        assert job.status_code == 202, job.get_data(as_text=True)[:500]
        assert Executor(job_store(app)).run_once()
        by_job = client.get(f"/v1/jobs/{job.get_json()['id']}/result")
        assert by_job.status_code == 200
    (tmp_path / "table.csv").write_text(CSV)
    (tmp_path / "base.json").write_text(json.dumps(base))
    out = tmp_path / "report.html"
    command = ["rollup", str(tmp_path / "table.csv"), "--base", str(tmp_path / "base.json")]
    assert main([*command, "--format", "html", "-o", str(out)]) == 0
    assert "Fiscal years start in July" in route.get_data(as_text=True)
    assert by_job.get_data() == route.get_data()
    assert out.read_bytes() == route.get_data()


def test_rollup_rows_get_row_names_and_share_the_base_fiscal_year(client: FlaskClient) -> None:
    base = {**BASE, "trials": 50, "name": "Base scenario", "fiscal_year_start_month": 7}
    rows = [ROWS[0], {"detainers_per_year": 40}, {"name": "", "detainers_per_year": 60}]
    response = client.post("/v1/rollups", json={"base": base, "rows": rows})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    result = response.get_json()
    assert [j["name"] for j in result["jurisdictions"]] == ["County A", "Row 2", "Row 3"]
    assert sorted(r["name"] for r in result["ranked"]) == ["County A", "Row 2", "Row 3"]
    bad = [*rows, {"detainers_per_year": 9, "fiscal_year_start_month": 10}]
    refused = client.post("/v1/rollups", json={"base": base, "rows": bad})
    assert refused.status_code == 422
    assert _pointers(refused) == ["/rows/3/fiscal_year_start_month"]
    member = {**BASE, "detainers_per_year": 30, "trials": 50, "fiscal_year_start_month": 7}
    members = [member, {**member, "fiscal_year_start_month": 10}]
    portfolio = client.post("/v1/portfolios", json={"members": members})
    assert portfolio.status_code == 422
    assert _pointers(portfolio) == ["/members/1/fiscal_year_start_month"]
