"""The request schemas only shape a body; the engine decides its values.

What the shape layer still refuses is what the engine cannot see: a JSON null, which the
engine reads as an absent field (a preset's overrides rely on that), so that a body's
``"honor_rate": null`` would otherwise run with the default 1.0, silently.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from .conftest import SCENARIO

ALTERNATIVES = [{"name": "decline", "overrides": {"honor_rate": 0}}]


@pytest.mark.parametrize(
    ("path", "body", "pointer"),
    [
        ("/v1/simulations", {**SCENARIO, "honor_rate": None}, "/honor_rate"),
        (
            "/v1/simulations",
            {**SCENARIO, "offsets": {"scaap_eligible_share": None}},
            "/offsets/scaap_eligible_share",
        ),
        (
            "/v1/comparisons",
            {"baseline": {**SCENARIO, "honor_rate": None}, "alternatives": ALTERNATIVES},
            "/baseline/honor_rate",
        ),
        ("/v1/portfolios", {"members": [{**SCENARIO, "seed": None}]}, "/members/0/seed"),
        ("/v1/sensitivity", {**SCENARIO, "percentiles": None}, "/percentiles"),
    ],
)
def test_a_null_field_is_refused_not_read_as_absent(
    client: FlaskClient, path: str, body: dict[str, Any], pointer: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert pointer in {e["pointer"] for e in response.get_json(force=True)["errors"]}


@pytest.mark.parametrize(
    ("change", "pointer", "engine_words"),
    [
        # Checked by the engine alone now (its words), at the same pointers as before.
        ({"trials": 2.5}, "/trials", "whole number"),
        ({"percentiles": [5, "fifty"]}, "/percentiles/1", "finite number"),
        ({"correlations": [1]}, "/correlations/0", "must be an object {a, b, rho}"),
        ({"seed": -1}, "/seed", "between"),
    ],
)
def test_values_are_the_engines_to_check(
    client: FlaskClient, change: dict[str, Any], pointer: str, engine_words: str
) -> None:
    response = client.post("/v1/simulations", json={**SCENARIO, **change})
    assert response.status_code == 422
    errors = {e["pointer"]: e["detail"] for e in response.get_json(force=True)["errors"]}
    assert engine_words in errors[pointer], errors
