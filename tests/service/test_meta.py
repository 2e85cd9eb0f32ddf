"""Health, readiness, metrics and the interactive docs."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models.scenario import MAX_TRIALS as ENGINE_MAX_TRIALS
from service.config import DEFAULTS, ENVIRONMENT, load_settings
from service.spec import load_yaml

from .conftest import ROOT, SCENARIO, SPEC


def test_livez(client: FlaskClient) -> None:
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_ready_then_draining(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    app.extensions["detainer_cost"].draining = True
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "draining" in response.get_json(force=True)["detail"]
    assert response.headers["Retry-After"] == "1"


def test_readyz_while_starting(app: Flask) -> None:
    app.extensions["detainer_cost"].ready = False
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "starting" in response.get_json(force=True)["detail"]


def _sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith((name + "{", name + " ")) and all(
            f'{k}="{v}"' in line for k, v in labels.items()
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_and_trials(client: FlaskClient) -> None:
    before = client.get("/metrics").get_data(as_text=True)
    client.post("/v1/simulations", json=SCENARIO)
    client.get("/nope")
    response = client.get("/metrics")
    assert response.mimetype == "text/plain"
    after = response.get_data(as_text=True)
    labels = {"route": "/v1/simulations", "method": "POST", "status": "200"}
    name = "detainer_cost_http_requests_total"
    assert _sample(after, name, **labels) == _sample(before, name, **labels) + 1
    hist = "detainer_cost_http_request_duration_seconds_count"
    assert _sample(after, hist, **labels) == _sample(before, hist, **labels) + 1
    trials = "detainer_cost_simulation_trials_total"
    assert _sample(after, trials) == _sample(before, trials) + SCENARIO["trials"]
    unmatched = {"route": "(unmatched)", "status": "404"}
    assert _sample(after, name, **unmatched) == _sample(before, name, **unmatched) + 1


def test_docs_page_uses_local_assets_only(client: FlaskClient) -> None:
    html = client.get("/docs").get_data(as_text=True)
    assert "http://" not in html
    assert "https://" not in html
    for asset in (
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "docs-init.js",
    ):
        assert f"/docs/assets/{asset}" in html
        response = client.get(f"/docs/assets/{asset}")
        assert response.status_code == 200
        assert len(response.get_data()) > 100


def test_swagger_ui_is_version_5_for_openapi_3_1(client: FlaskClient) -> None:
    bundle = client.get("/docs/assets/swagger-ui-bundle.js").get_data(as_text=True)
    assert "OpenAPI 3.1" in bundle or "openapi31" in bundle.lower()


@pytest.mark.parametrize("name", ["../__init__.py", "%2e%2e/__init__.py", "nothing.js"])
def test_docs_assets_do_not_leave_their_folder(client: FlaskClient, name: str) -> None:
    assert client.get(f"/docs/assets/{name}").status_code == 404


def test_settings_come_from_the_environment() -> None:
    settings = load_settings(
        environ={
            "DETAINER_COST_MAX_TRIALS": "500",
            "DETAINER_COST_CORS_ORIGINS": "https://a, https://b",
            "DETAINER_COST_REQUEST_DEADLINE": "2.5",
        }
    )
    assert settings["MAX_TRIALS"] == 500
    assert settings["CORS_ORIGINS"] == ("https://a", "https://b")
    assert settings["REQUEST_DEADLINE"] == 2.5
    assert (
        load_settings({"MAX_TRIALS": 7}, environ={"DETAINER_COST_MAX_TRIALS": "500"})["MAX_TRIALS"]
        == 7
    )


@pytest.mark.parametrize("value", ["many", "-1", "0"])
def test_bad_environment_setting_names_the_variable(value: str) -> None:
    with pytest.raises(ValueError, match="DETAINER_COST_MAX_TRIALS"):
        load_settings(environ={"DETAINER_COST_MAX_TRIALS": value})


def test_create_app_configures_nothing_at_import() -> None:
    import service

    assert not hasattr(service, "app")
    assert callable(service.create_app)


def test_two_apps_are_independent(make_app: Any) -> None:
    a, b = make_app(MAX_TRIALS=10), make_app()
    assert a.config["MAX_TRIALS"] == 10
    assert b.config["MAX_TRIALS"] != 10
    assert a.extensions["detainer_cost"] is not b.extensions["detainer_cost"]


def _served_trials_limits(client: FlaskClient) -> tuple[Any, Any]:
    listed = {p["name"]: p for p in client.get("/v1/parameters").get_json()["parameters"]}
    spec = load_yaml(client.get("/openapi.yaml").get_data(as_text=True))
    in_spec = spec["components"]["schemas"]["Scenario"]["properties"]["trials"]["maximum"]
    return listed["trials"]["maximum"], in_spec


def _trials_status(client: FlaskClient, trials: int) -> tuple[int, list[str]]:
    response = client.post("/v1/simulations", json={**SCENARIO, "trials": trials})
    body = response.get_json()
    pointers = [e["pointer"] for e in body.get("errors", [])] if response.status_code != 200 else []
    return response.status_code, pointers


@pytest.mark.parametrize("how", ["environment", "config"])
def test_trials_limit_is_the_same_in_parameters_spec_and_422(
    make_app: Any, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """What /v1/parameters and /openapi.yaml promise is what the service enforces."""
    if how == "environment":
        monkeypatch.setenv(ENVIRONMENT["MAX_TRIALS"], "500")
        app = make_app()
    else:
        app = make_app(MAX_TRIALS=500)
    client = app.test_client()
    listed, in_spec = _served_trials_limits(client)
    assert listed == in_spec == 500
    assert type(listed) is int
    assert type(in_spec) is int
    assert _trials_status(client, 500) == (200, [])
    assert _trials_status(client, 501) == (422, ["/trials"])


def test_default_trials_limit_is_the_spec_files_and_the_docs(client: FlaskClient) -> None:
    listed, in_spec = _served_trials_limits(client)
    assert listed == in_spec == DEFAULTS["MAX_TRIALS"]
    assert SPEC["components"]["schemas"]["Scenario"]["properties"]["trials"]["maximum"] == listed
    doc = (ROOT / "docs" / "parameters.md").read_text()
    assert f"{DEFAULTS['MAX_TRIALS']:,} by default" in doc
    assert ENVIRONMENT["MAX_TRIALS"] in doc
    readme = (ROOT / "README.md").read_text()
    assert f"`{ENVIRONMENT['MAX_TRIALS']}` | {DEFAULTS['MAX_TRIALS']} |" in readme


def test_trials_limit_above_the_engines_serves_the_engines(make_app: Any) -> None:
    client = make_app(MAX_TRIALS=ENGINE_MAX_TRIALS * 2).test_client()
    assert _served_trials_limits(client) == (ENGINE_MAX_TRIALS, ENGINE_MAX_TRIALS)
    assert _trials_status(client, ENGINE_MAX_TRIALS + 1) == (422, ["/trials"])


def test_parameter_ranges_of_integers_are_integers(client: FlaskClient) -> None:
    response = client.get("/v1/parameters")
    listed = {p["name"]: p for p in response.get_json()["parameters"]}
    assert listed["seed"]["minimum"] == 0
    assert type(listed["seed"]["minimum"]) is int
    assert listed["seed"]["maximum"] == 2**64 - 1
    assert type(listed["seed"]["maximum"]) is int
    assert '"maximum":18446744073709551615' in response.get_data(as_text=True)
    for field in listed.values():
        if field["type"] == "integer":
            assert type(field["minimum"]) is int, field
            assert type(field["maximum"]) is int, field
