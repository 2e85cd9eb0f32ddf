"""POST /v1/comparisons, /v1/sensitivity and /v1/portfolios: results, errors and the
work budget, which counts every run a request needs."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from models.analyses import SOBOL_N, TORNADO_TRIALS, compare, sensitivity

from .conftest import SCENARIO

ALTERNATIVES = [
    {"name": "decline", "overrides": {"honor_rate": 0}},
    {"name": "half", "overrides": {"honor_rate": 0.5}},
]


def test_comparison(client: FlaskClient) -> None:
    response = client.post(
        "/v1/comparisons", json={"baseline": SCENARIO, "alternatives": ALTERNATIVES}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert [a["name"] for a in body["alternatives"]] == ["decline", "half"]
    expected = compare(SCENARIO, ALTERNATIVES).alternatives[0].difference.annual_cost.mean
    assert body["alternatives"][0]["difference"]["annual_cost"]["mean"] == expected
    assert body["alternatives"][0]["probability_saves"] == 1.0


def test_sensitivity(client: FlaskClient) -> None:
    response = client.post("/v1/sensitivity", json=SCENARIO)
    assert response.status_code == 200
    body = response.get_json()
    swings = [bar["swing"] for bar in body["tornado"]]
    assert swings == sorted(swings, reverse=True)
    assert {r["input"] for r in body["rank_correlation"]} == {
        "extra_days_per_detainer",
        "daily_cost",
    }
    assert body["base"] == sensitivity(SCENARIO).base
    assert body["evaluations"]["sobol"] == SOBOL_N * 4


def test_portfolio(client: FlaskClient) -> None:
    body = {"members": [SCENARIO, {**SCENARIO, "name": "Other"}], "threshold": 100_000}
    response = client.post("/v1/portfolios", json=body)
    assert response.status_code == 200
    result = response.get_json()
    assert [m["name"] for m in result["members"]] == ["Test county", "Other"]
    assert result["total"]["exceedance"][0]["threshold"] == 100_000
    assert sum(m["share"] for m in result["members"]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("path", "body", "pointer"),
    [
        ("/v1/comparisons", {"baseline": SCENARIO}, "/alternatives"),
        ("/v1/comparisons", {"baseline": SCENARIO, "alternatives": "x"}, "/alternatives"),
        (
            "/v1/comparisons",
            {"baseline": {**SCENARIO, "colour": 1}, "alternatives": ALTERNATIVES},
            "/baseline/colour",
        ),
        (
            "/v1/comparisons",
            {"baseline": SCENARIO, "alternatives": [{"name": "a", "overrides": {"trials": 9}}]},
            "/alternatives/0/overrides/trials",
        ),
        (
            "/v1/comparisons",
            {
                "baseline": SCENARIO,
                "alternatives": [{"name": "a", "overrides": {"daily_cost": -1}}],
            },
            "/alternatives/0/overrides/daily_cost",
        ),
        ("/v1/sensitivity", {**SCENARIO, "honor_rate": 2}, "/honor_rate"),
        ("/v1/portfolios", {"members": []}, "/members"),
        (
            "/v1/portfolios",
            {"members": [SCENARIO], "threshold": {"umra_year": 2000}},
            "/threshold/umra_year",
        ),
        ("/v1/portfolios", {"members": [SCENARIO], "threshold": "big"}, "/threshold"),
        ("/v1/portfolios", {"members": [SCENARIO, {**SCENARIO, "seed": 4}]}, "/members/1/seed"),
    ],
)
def test_invalid_bodies_are_422_with_pointers(
    client: FlaskClient, path: str, body: Any, pointer: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert pointer in {e["pointer"] for e in response.get_json(force=True)["errors"]}


def test_comparison_budget_counts_every_alternative(make_app: Any) -> None:
    client = make_app(MAX_WORK=3 * SCENARIO["trials"] - 1).test_client()
    response = client.post(
        "/v1/comparisons", json={"baseline": SCENARIO, "alternatives": ALTERNATIVES}
    )
    assert response.status_code == 422
    error = response.get_json(force=True)["errors"][0]
    assert error["pointer"] == "/baseline/trials"
    assert str(3 * SCENARIO["trials"]) in error["detail"]
    ok = make_app(MAX_WORK=3 * SCENARIO["trials"]).test_client()
    assert (
        ok.post(
            "/v1/comparisons", json={"baseline": SCENARIO, "alternatives": ALTERNATIVES}
        ).status_code
        == 200
    )


def test_sensitivity_budget_counts_swings_and_sobol(make_app: Any) -> None:
    work = SCENARIO["trials"] + 5 * TORNADO_TRIALS + 4 * SOBOL_N
    assert (
        make_app(MAX_WORK=work - 1).test_client().post("/v1/sensitivity", json=SCENARIO).status_code
        == 422
    )
    assert (
        make_app(MAX_WORK=work).test_client().post("/v1/sensitivity", json=SCENARIO).status_code
        == 200
    )


def test_portfolio_trials_limit_points_at_the_member(make_app: Any) -> None:
    client = make_app(MAX_TRIALS=400).test_client()
    members = [{**SCENARIO, "trials": 300}, {**SCENARIO, "trials": 300}]
    assert client.post("/v1/portfolios", json={"members": members}).status_code == 200
    members = [{**SCENARIO, "trials": 500}, {**SCENARIO, "trials": 500}]
    response = client.post("/v1/portfolios", json={"members": members})
    assert response.status_code == 422
    assert response.get_json(force=True)["errors"][0]["pointer"] == "/members/0/trials"


def test_comparison_past_the_deadline_is_503(make_app: Any) -> None:
    client = make_app(REQUEST_DEADLINE=1e-9).test_client()
    body = {"baseline": {**SCENARIO, "trials": 9000}, "alternatives": ALTERNATIVES}
    assert client.post("/v1/comparisons", json=body).status_code == 503
