"""Issue 13's instruments over HTTP: their components and schedules in the contract."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

#: 1,000 bookings each with a detainer and 10 extra days at $100; no hold: nothing random.
BODY: dict[str, Any] = {
    "bookings_per_year": 1000,
    "detainer_rate": 1,
    "hold_hours": 0,
    "extra_days_per_detainer": 10,
    "extra_days_cv": 0,
    "daily_cost": 100,
    "start_year": 2026,
    "horizon_years": 3,
    "trials": 50,
}


def test_instrument_components_are_in_the_result(client: FlaskClient) -> None:
    body = {
        **BODY,
        "payment_per_honored_detainer": 50,
        "staff_hours_per_detainer": 1,
        "staff_hourly_cost": 40,
        "program_cost_per_year": {"dist": "uniform", "low": 1000, "high": 2000},
    }
    response = client.post("/v1/simulations", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    components = response.get_json()["components"]
    assert components["federal_payment"]["mean"] == -50_000
    assert components["staff"]["mean"] == 40_000
    assert 1000 <= components["program"]["mean"] <= 2000


def test_the_state_law_from_2028_as_a_comparison(client: FlaskClient) -> None:
    response = client.post(
        "/v1/comparisons",
        json={
            "baseline": BODY,
            "alternatives": [
                {
                    "name": "state law from 2028",
                    "overrides": {"honor_rate": {"schedule": {"2026": 1, "2028": 0}}},
                }
            ],
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    difference = response.get_json()["alternatives"][0]["difference"]
    # 2026 and 2027 alike; 2028's $1,000,000 saved
    assert difference["annual_cost"]["mean"] == 0
    assert difference["total_cost"]["mean"] == 1_000_000


def test_a_bad_scheduled_value_is_named_by_its_pointer(client: FlaskClient) -> None:
    body = {**BODY, "honor_rate": {"schedule": {"2026": 1, "2028": 1.5}}}
    response = client.post("/v1/simulations", json=body)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    text = response.get_data(as_text=True)
    assert "/honor_rate/schedule/2028" in text
    assert "/honor_rate/schedule/2026" not in text


def test_fiscal_years_are_labelled(client: FlaskClient) -> None:
    response = client.post("/v1/simulations", json={**BODY, "fiscal_year_start_month": 7})
    assert response.status_code == 200, response.get_data(as_text=True)
    years = response.get_json()["years"]
    assert [(y["year"], y["label"]) for y in years] == [
        (2026, "FY2026"),
        (2027, "FY2027"),
        (2028, "FY2028"),
    ]
    response = client.post("/v1/simulations", json={**BODY, "fiscal_year_start_month": 13})
    assert response.status_code == 422
    assert "/fiscal_year_start_month" in response.get_data(as_text=True)


def test_parameters_say_which_fields_take_a_schedule(client: FlaskClient) -> None:
    """`schedulable` in GET /v1/parameters is what the engine does: a schedule on a field
    it lists as schedulable draws no error at that field's `schedule`, one on any other
    field is refused there."""
    listed = client.get("/v1/parameters").get_json()["parameters"]
    assert {p["name"] for p in listed if p["type"] == "uncertain" and not p["schedulable"]} == {
        "bookings_growth",
        "cost_inflation",
        "detainer_days_per_detainer",
    }
    for parameter in listed:
        name = parameter["name"]
        if parameter["type"] != "uncertain":
            assert parameter["schedulable"] is False, name
            continue
        body: dict[str, Any] = dict(BODY)
        *groups, last = name.split(".")
        node = body
        for group in groups:
            node = node.setdefault(group, {})
        node[last] = {"schedule": {"2026": 0}}
        response = client.post("/v1/simulations", json=body)
        pointer = "/" + name.replace(".", "/") + "/schedule"
        errors = response.get_json().get("errors", []) if response.status_code == 422 else []
        refused = [e for e in errors if e["pointer"] == pointer]
        if parameter["schedulable"]:
            assert refused == [], (name, refused)
        else:
            assert [e["detail"] for e in refused] == ["cannot be given per year: give one value"]
