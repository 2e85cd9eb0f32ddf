"""Full response bodies pinned to the byte, beside test_simulation_bytes.py's.

Pinned before the contract work of issue 11 (responses serialized from ``to_dict()``
without marshmallow response schemas; the spec generated from the code), so that no
change to how bodies are serialized can change what the service returns. Result hashes
hold for the numpy and scipy versions recorded in test_simulation_bytes.py; with other
versions those tests are skipped, not weakened.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pytest
import scipy
from flask.testing import FlaskClient

from .test_simulation_bytes import FULL_SCENARIO, PINNED_VERSIONS

SMALL: dict[str, Any] = {
    **{k: v for k, v in FULL_SCENARIO.items() if k != "seed"},
    "name": "Pinned small county",
    "horizon_years": 2,
    "trials": 2000,
}

#: (path, body, sha256 of the 200 body). /v1/sensitivity has no switch for its Sobol
#: indices; they come with a small scenario.
RESULT_PINS: list[tuple[str, dict[str, Any], str]] = [
    (
        "/v1/comparisons",
        {
            "baseline": {**SMALL, "seed": 5},
            "alternatives": [
                {"name": "decline", "overrides": {"honor_rate": 0}},
                {"name": "half", "overrides": {"honor_rate": 0.5, "extra_days_per_detainer": 5}},
            ],
        },
        "9290f3e6638682aa9aebf39cf52ef61fc867306bf43e70c0a7ab746f548b8ef4",
    ),
    (
        "/v1/sensitivity",
        {**SMALL, "trials": 400, "seed": 11},
        "faf85d67688b38e61010d61ab8462f0a04ca90ae884d35a1198871d6adef26fd",
    ),
    (
        "/v1/portfolios",
        {
            "members": [SMALL, {**SMALL, "name": "Neighbour", "bookings_per_year": 9000}],
            "threshold": 2_000_000,
            "seed": 7,
        },
        "328dfba887cb3ac1ca693574178ffeb6f160a170dedd6abcd861f93205a07892",
    ),
]

#: Bodies that do not depend on numpy or scipy.
STATIC_PINS: list[tuple[str, str]] = [
    ("/v1/parameters", "aa8d86fde7259666f654c670ae845f243dfb5fef660ad00d0a47f2169f2a0db7"),
    ("/v1/presets", "30319ea23131457ea6b08453e91f744cc5645ea0bc613fddb486c12d575036f0"),
    (
        "/v1/presets/cook-county-2011",
        "d95d40ad7711c656b6fd5cd269286e9309d8d9bdc453601b1467ef441e606e28",
    ),
]


def _sha(client: FlaskClient, method: str, path: str, body: Any = None) -> str:
    response = client.open(path, method=method, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return hashlib.sha256(response.get_data()).hexdigest()


@pytest.mark.skipif(
    (np.__version__, scipy.__version__) != PINNED_VERSIONS,
    reason=f"the pinned bodies were computed with numpy/scipy {PINNED_VERSIONS}",
)
@pytest.mark.parametrize(("path", "body", "sha256"), RESULT_PINS, ids=[p[0] for p in RESULT_PINS])
def test_result_body_is_byte_identical(
    client: FlaskClient, path: str, body: dict[str, Any], sha256: str
) -> None:
    assert _sha(client, "POST", path, body) == sha256


@pytest.mark.parametrize(("path", "sha256"), STATIC_PINS, ids=[p[0] for p in STATIC_PINS])
def test_static_body_is_byte_identical(client: FlaskClient, path: str, sha256: str) -> None:
    assert _sha(client, "GET", path) == sha256
