"""POST /v1/simulations and GET /v1/parameters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from models import simulate
from models.scenario import FIELDS
from service.cli import main as cli_main

from .conftest import SCENARIO


def test_simulation_returns_the_engine_result(client: FlaskClient) -> None:
    response = client.post("/v1/simulations", json=SCENARIO)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body == json.loads(json.dumps(simulate(SCENARIO).to_dict()))
    assert body["provenance"]["seed"] == 2877
    assert len(body["provenance"]["scenario_sha256"]) == 64
    assert response.headers["Cache-Control"] == "no-store"


def test_same_request_gives_byte_identical_json_from_any_worker(make_app: Any) -> None:
    """Two apps stand for two workers."""
    first = make_app().test_client().post("/v1/simulations", json=SCENARIO).get_data()
    second = make_app().test_client().post("/v1/simulations", json=SCENARIO).get_data()
    assert first == second


def test_cli_json_equals_api_json(
    client: FlaskClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SCENARIO))
    assert cli_main(["simulate", str(path), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == client.post("/v1/simulations", json=SCENARIO).get_json()


def test_parameters_list_every_field(client: FlaskClient) -> None:
    response = client.get("/v1/parameters")
    assert response.status_code == 200
    listed = response.get_json()["parameters"]
    assert [p["name"] for p in listed] == [f.name for f in FIELDS]
    honor = next(p for p in listed if p["name"] == "honor_rate")
    assert honor["minimum"] == 0
    assert honor["maximum"] == 1
    assert honor["default"] == 1.0
    assert honor["unit"]
    assert honor["description"]


def test_json_with_charset_and_plus_json_are_accepted(client: FlaskClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/scenario+json"):
        response = client.post(
            "/v1/simulations", data=json.dumps(SCENARIO), content_type=content_type
        )
        assert response.status_code == 200, content_type


def test_presets_are_listed_and_served(client: FlaskClient) -> None:
    listed = client.get("/v1/presets").get_json()["presets"]
    ids = [p["id"] for p in listed]
    assert "cook-county-2011" in ids
    assert "national-2012" in ids
    cook = client.get("/v1/presets/cook-county-2011").get_json()
    assert cook["measure"] == "detainer-days"
    assert cook["parameters"]["daily_cost_average"]["basis"] == "published"
    assert cook["scenario"]["detainers_per_year"]["value"] == 721
    assert cook["scenario"]["detainers_per_year"]["note"].startswith("published: ")


def test_unknown_preset_is_404_problem(client: FlaskClient) -> None:
    response = client.get("/v1/presets/atlantis")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_simulation_from_a_preset_with_overrides(client: FlaskClient) -> None:
    response = client.post(
        "/v1/simulations", json={"preset": "king-county-2011", "trials": 500, "honor_rate": 0}
    )
    assert response.status_code == 200
    assert response.get_json()["annual_cost"]["max"] == 0
    bad = client.post("/v1/simulations", json={"preset": "atlantis"})
    assert bad.status_code == 422
    assert bad.get_json(force=True)["errors"][0]["pointer"] == "/preset"
