"""Hypothesis hunts for input that still reaches a 500: adversarial JSON for every POST
operation, through the app's test client (every response held to openapi.yaml).

Each body starts from a valid request and has one place replaced, added or removed with
hostile JSON: integers past any float, extreme and subnormal floats, lone surrogates and
control characters, distribution specs with extreme parameters, deep nesting. Whatever
comes back must be below 500; a 4xx must be problem+json, and a 422 must point (RFC
6901) into the body that was sent: the parent of every pointer exists in it.

Default runs are short and derandomized (repeatable in CI); the ``deep`` variants draw
many more examples (`make test-deep`, which .ci/run runs after `make test`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service import create_app

from ..hostile import field_values, hostile, keys
from .conftest import ContractClient

QUICK = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DEEP = settings(QUICK, max_examples=300)


@pytest.fixture(scope="module")
def hunted() -> Iterator[FlaskClient]:
    # Limits small enough that every request answers quickly.
    app: Flask = create_app(
        {"TESTING": True, "MAX_TRIALS": 200, "MAX_WORK": 60_000, "REQUEST_DEADLINE": 20.0}
    )
    app.test_client_class = ContractClient
    with app.test_client() as client:
        yield client


# --- valid bodies to start from --------------------------------------------------------------

SCENARIO: dict[str, Any] = {
    "name": "Hunted county",
    "description": "valid start",
    "detainers_per_year": {"dist": "poisson", "mean": 40},
    "daily_cost": {"dist": "uniform", "low": 60, "high": 120, "note": "source"},
    "extra_days_per_detainer": {"dist": "pert", "low": 1, "mode": 3, "high": 9},
    "liability": {"claims_per_1000_honored": 2, "cost_per_claim": 5000},
    "capacity": {"rated_beds": 100, "baseline_adp": 90, "overflow_daily_cost": 150},
    "thresholds": [1000],
    "trials": 50,
    "seed": 7,
}
MEMBER: dict[str, Any] = {"detainers_per_year": 10, "daily_cost": 50, "trials": 20}
BODIES: dict[str, dict[str, Any]] = {
    "/v1/simulations": SCENARIO,
    "/v1/sensitivity": {
        "detainers_per_year": 20,
        "daily_cost": {"dist": "uniform", "low": 60, "high": 120},
        "trials": 40,
    },
    "/v1/comparisons": {
        "baseline": SCENARIO,
        "alternatives": [{"name": "half", "overrides": {"honor_rate": 0.5}}],
    },
    "/v1/portfolios": {
        "members": [MEMBER, {**MEMBER, "name": "B"}],
        "threshold": {"umra_year": 2019},
        "seed": 3,
    },
    "/v1/reports?format=csv": SCENARIO,
    "/v1/reports?format=xlsx": {
        "baseline": MEMBER,
        "alternatives": [{"name": "half", "overrides": {"honor_rate": 0.5}}],
    },
}


def _places(body: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(body, dict):
        for key, value in body.items():
            yield from _places(value, (*path, key))
    elif isinstance(body, list):
        for i, value in enumerate(body):
            yield from _places(value, (*path, i))


def _mutate(body: Any, path: tuple[Any, ...], action: str, key: Any, value: Any) -> Any:
    if not path:
        if action == "add" and isinstance(body, dict):
            return {**body, key: value}
        if action == "add" and isinstance(body, list):
            return [*body, value]
        if action == "drop":
            return body
        return value
    head, rest = path[0], path[1:]
    if isinstance(body, dict):
        if action == "drop" and not rest:
            return {k: v for k, v in body.items() if k != head}
        return {**body, head: _mutate(body[head], rest, action, key, value)}
    copy = list(body)
    if action == "drop" and not rest:
        del copy[head]
        return copy
    copy[head] = _mutate(copy[head], rest, action, key, value)
    return copy


def _scenarios(body: Any) -> list[tuple[Any, ...]]:
    """Where scenarios (or overrides of one) sit in a request body."""
    if "baseline" in body:
        places: list[tuple[Any, ...]] = [("baseline",)]
        places += [("alternatives", i, "overrides") for i in range(len(body["alternatives"]))]
        return places
    if "members" in body:
        return [("members", i) for i in range(len(body["members"]))]
    return [()]


@st.composite
def hostile_bodies(draw: st.DrawFn, base: dict[str, Any]) -> Any:
    """``base`` with one or two changes: a scenario field set to a plausible but extreme
    value (most often), or any place replaced, added to or removed with hostile JSON."""
    body: Any = base
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.integers(0, 2)) and isinstance(body, dict):
            places = [p for p in _scenarios(base) if p in set(_places(body))]
            if places:
                where = draw(st.sampled_from(places))
                field, value = draw(field_values())
                group, _, member = field.rpartition(".")
                if group:
                    value = {**_get(body, (*where, group), {}), member: value}
                body = _mutate(body, where, "add", group or member, value)
                continue
        path = draw(st.sampled_from(list(_places(body))))
        action = draw(st.sampled_from(["replace", "add", "drop"]))
        body = _mutate(body, path, action, draw(keys), draw(hostile))
    return body


def _get(body: Any, path: tuple[Any, ...], default: Any) -> Any:
    for step in path:
        if (isinstance(body, dict) and step in body) or (
            isinstance(body, list) and isinstance(step, int) and step < len(body)
        ):
            body = body[step]
        else:
            return default
    return body if isinstance(body, dict) else default


# --- what every answer must be ----------------------------------------------------------------


def _resolves(body: Any, pointer: str) -> bool:
    """Whether the RFC 6901 ``pointer`` names a place in ``body`` (its last step may be a
    member that is missing: "is required")."""
    if pointer == "":
        return True
    if not pointer.startswith("/"):
        return False
    steps = [s.replace("~1", "/").replace("~0", "~") for s in pointer[1:].split("/")]
    node = body
    for step in steps[:-1]:
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return False
    return isinstance(node, dict | list)


def check(client: FlaskClient, path: str, body: Any) -> None:
    text = json.dumps(body)  # lone surrogates go as \\udXXX escapes, as a client sends them
    response = client.post(path, data=text, content_type="application/json")
    status = response.status_code
    assert status < 500, (status, response.get_data(as_text=True)[:500], text[:500])
    if status >= 400:
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == status
        assert problem["detail"]
        if status == 422:
            assert problem["errors"], problem
            for error in problem["errors"]:
                assert error["detail"]
                assert _resolves(body, error["pointer"]), (error, text[:500])


# --- the hunters ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(BODIES))
def test_valid_starting_bodies_are_answered(hunted: FlaskClient, path: str) -> None:
    response = hunted.post(path, json=BODIES[path])
    assert response.status_code == 200, response.get_data(as_text=True)[:500]


def _hunt(path: str, examples: settings) -> Callable[[FlaskClient], None]:
    @examples
    @given(body=hostile_bodies(BODIES[path]))
    def hunt(hunted: FlaskClient, body: Any) -> None:
        check(hunted, path, body)

    return hunt


test_simulations_survive_hostile_json = _hunt("/v1/simulations", QUICK)
test_sensitivity_survives_hostile_json = _hunt("/v1/sensitivity", QUICK)
test_comparisons_survive_hostile_json = _hunt("/v1/comparisons", QUICK)
test_portfolios_survive_hostile_json = _hunt("/v1/portfolios", QUICK)
test_csv_reports_survive_hostile_json = _hunt("/v1/reports?format=csv", QUICK)
test_xlsx_comparison_reports_survive_hostile_json = _hunt("/v1/reports?format=xlsx", QUICK)


@QUICK
@given(body=st.one_of(hostile, st.dictionaries(keys, hostile, max_size=6)))
def test_any_json_at_all_is_answered_below_500(hunted: FlaskClient, body: Any) -> None:
    for path in ("/v1/simulations", "/v1/comparisons", "/v1/portfolios"):
        check(hunted, path, body)


for _path in BODIES:
    _name = "test_deep_hunt_" + _path.strip("/").replace("/", "_").replace("?format=", "_")
    globals()[_name] = pytest.mark.deep(_hunt(_path, DEEP))
