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
        "4b147e512536c7cfe837825f2b7e6d6542d21336df305f16998246a4910f05cb",
    ),
    (
        "/v1/sensitivity",
        {**SMALL, "trials": 400, "seed": 11},
        "2b38b6af4536e7b8c36ef66d9d7ed067810a6ea9f2b58268c8e0bf5225423228",
    ),
    (
        "/v1/portfolios",
        {
            "members": [SMALL, {**SMALL, "name": "Neighbour", "bookings_per_year": 9000}],
            "threshold": 2_000_000,
            "seed": 7,
        },
        "6258b3b4adbce39e07597f9676993f1d92814139a27d4116044f119911bd1cb1",
    ),
]

#: Bodies that do not depend on numpy or scipy.
STATIC_PINS: list[tuple[str, str]] = [
    ("/v1/parameters", "26ea4db3acda3440754bcc403fa5884033f2ec384502f27848c52bc4a6d76897"),
    ("/v1/presets", "781fe048754a898b355f68f5294208ad9e7a37a07407ac8436d9e55f4b6aab8a"),
    (
        "/v1/presets/cook-county-2011",
        "89fe9108cf8a9594ac3e0bae1e72faa222eb6f1144b4ce9e50e2b32a9ab14098",
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
