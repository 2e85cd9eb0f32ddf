"""Every error path answers RFC 9457 problem+json that names what is wrong."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from models.engine import CHUNK_TRIALS

from .conftest import SCENARIO


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["type"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("{", "not valid JSON"),
        ('{"daily_cost": 1, "daily_cost": 2}', "duplicate key"),
        ('{"daily_cost": NaN}', "NaN is not valid JSON"),
        ('{"daily_cost": Infinity}', "Infinity is not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("", "not valid JSON"),
    ],
)
def test_malformed_json_is_400(client: FlaskClient, data: Any, words: str) -> None:
    body = problem(client.post("/v1/simulations", data=data, content_type="application/json"), 400)
    assert words in body["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_media_type_is_415(client: FlaskClient, content_type: str | None) -> None:
    kwargs = {"content_type": content_type} if content_type else {}
    body = problem(client.post("/v1/simulations", data=json.dumps(SCENARIO), **kwargs), 415)
    assert "application/json" in body["detail"]


def test_body_over_the_limit_is_413(make_app: Any) -> None:
    client = make_app(MAX_CONTENT_LENGTH=1000).test_client()
    scenario = {**SCENARIO, "description": "x" * 2000}
    problem(client.post("/v1/simulations", json=scenario), 413)


@pytest.mark.parametrize(
    ("change", "pointer", "words"),
    [
        (
            {"offsets": {"scaap_reimbursement_rate": 1.5}},
            "/offsets/scaap_reimbursement_rate",
            "between 0 and 1",
        ),
        ({"offsets": {"scaap_rate": 0.1}}, "/offsets/scaap_rate", "not a field"),
        ({"colour": "red"}, "/colour", "not a field"),
        ({"percentiles": [5, "fifty"]}, "/percentiles/1", "finite number"),
        ({"daily_cost": "80"}, "/daily_cost", "finite number"),
        ({"daily_cost": None}, "/daily_cost", "null"),
        ({"trials": 2.5}, "/trials", "whole number"),
        ({"honor_rate": {"dist": "normal", "mean": 0.5, "sd": 0.1}}, "/honor_rate", "outside"),
        ({"daily_cost": {"dist": "pert", "low": 1, "high": 3}}, "/daily_cost/mode", "required"),
        ({"daily_cost": {"dist": "cauchy"}}, "/daily_cost/dist", "must be one of"),
        ({"bookings_per_year": 100}, "/bookings_per_year", "cannot be combined"),
        ({"liability": {"claims_per_1000_honored": 1}}, "/liability/cost_per_claim", "required"),
        ({"release_weekday_weights": [1, 1]}, "/release_weekday_weights", "7 weights"),
    ],
)
def test_invalid_scenario_is_422_with_pointers(
    client: FlaskClient, change: dict[str, Any], pointer: str, words: str
) -> None:
    body = problem(client.post("/v1/simulations", json={**SCENARIO, **change}), 422)
    errors = {e["pointer"]: e["detail"] for e in body["errors"]}
    assert pointer in errors, errors
    assert words in errors[pointer]


def test_missing_required_field_is_422(client: FlaskClient) -> None:
    scenario = {k: v for k, v in SCENARIO.items() if k != "daily_cost"}
    body = problem(client.post("/v1/simulations", json=scenario), 422)
    assert body["errors"][0]["pointer"] == "/daily_cost"


def test_body_not_an_object_is_422(client: FlaskClient) -> None:
    body = problem(client.post("/v1/simulations", json=[1, 2]), 422)
    assert body["errors"] == [{"pointer": "", "detail": "must be a JSON object"}]


def test_trials_over_the_limit_is_422(make_app: Any) -> None:
    client = make_app(MAX_TRIALS=100).test_client()
    body = problem(client.post("/v1/simulations", json={**SCENARIO, "trials": 101}), 422)
    assert body["errors"][0]["pointer"] == "/trials"
    assert "at most 100 trials" in body["detail"]


def test_work_over_the_budget_is_422(make_app: Any) -> None:
    client = make_app(MAX_WORK=1000).test_client()
    scenario = {**SCENARIO, "trials": 500, "horizon_years": 3}
    body = problem(client.post("/v1/simulations", json=scenario), 422)
    assert body["type"].endswith("work-budget")
    assert body["errors"][0]["pointer"] == "/trials"
    assert "1500 trial-years" in body["detail"]


def test_unknown_route_is_404(client: FlaskClient) -> None:
    problem(client.get("/v2/nothing"), 404)


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    response = client.get("/v1/simulations")
    problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_unexpected_error_is_a_bare_500_logged_with_the_request_id(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("service.runner.simulate", boom)
    with caplog.at_level(logging.ERROR, logger="detainer_cost.service"):
        response = client.post(
            "/v1/simulations", json=SCENARIO, headers={"X-Request-ID": "req-123"}
        )
    body = problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert body["request_id"] == "req-123"
    assert "req-123" in caplog.text
    assert "secret internal detail" in caplog.text


def test_run_past_the_deadline_is_stopped_with_503(make_app: Any) -> None:
    client = make_app(REQUEST_DEADLINE=1e-9).test_client()
    scenario = {**SCENARIO, "trials": CHUNK_TRIALS + 1}
    body = problem(client.post("/v1/simulations", json=scenario), 503)
    assert body["type"].endswith("deadline")


def test_runs_beyond_the_in_flight_cap_are_shed_at_once(make_app: Any) -> None:
    app = make_app(MAX_IN_FLIGHT=1, MAX_QUEUE=0)
    state = app.extensions["detainer_cost"]
    with state.in_flight.slot():
        response = app.test_client().post("/v1/simulations", json=SCENARIO)
        # shed before the body is parsed: a body that is not JSON gets 503, not 400
        unparsed = app.test_client().post(
            "/v1/simulations", data="{not json", content_type="application/json"
        )
    problem(response, 503)
    problem(unparsed, 503)
    assert response.headers["Retry-After"] == "1"
    assert app.test_client().post("/v1/simulations", json=SCENARIO).status_code == 200


def test_a_queued_request_waits_briefly_for_a_slot(make_app: Any) -> None:
    app = make_app(MAX_IN_FLIGHT=1, MAX_QUEUE=1, QUEUE_WAIT=5.0)
    state = app.extensions["detainer_cost"]
    with state.in_flight.slot():
        freed = threading.Event()
        result: dict[str, Any] = {}

        def queued() -> None:
            result["response"] = app.test_client().post("/v1/simulations", json=SCENARIO)
            result["freed_first"] = freed.is_set()

        waiter = threading.Thread(target=queued)
        waiter.start()
        time.sleep(0.3)  # the waiter holds the one queue place: the next is shed at once
        problem(app.test_client().post("/v1/simulations", json=SCENARIO), 503)
        freed.set()
    waiter.join(30)
    assert result["response"].status_code == 200
    assert result["freed_first"]


@pytest.mark.parametrize("comparison", [False, True])
def test_xlsx_sample_rows_are_bounded_before_any_run(make_app: Any, comparison: bool) -> None:
    client = make_app(MAX_XLSX_SAMPLE_ROWS=100).test_client()
    scenario = {**SCENARIO, "trials": 101}
    alternatives = [{"name": "none", "overrides": {"honor_rate": 0}}]
    body = {"baseline": scenario, "alternatives": alternatives} if comparison else scenario
    response = client.post("/v1/reports?format=xlsx&samples=true", json=body)
    answer = problem(response, 422)
    where = "/baseline/trials" if comparison else "/trials"
    assert [e["pointer"] for e in answer["errors"]] == [where]
    assert "at most 100 sample rows" in answer["detail"]
    csv = client.post("/v1/reports?format=csv&samples=true", json=scenario)
    assert csv.status_code == 200
    assert csv.data.count(b"\n") == 102


def test_invalid_request_id_is_replaced(client: FlaskClient) -> None:
    response = client.get("/livez", headers={"X-Request-ID": "bad id; <script>"})
    assert response.headers["X-Request-ID"] != "bad id; <script>"
    assert len(response.headers["X-Request-ID"]) == 32
