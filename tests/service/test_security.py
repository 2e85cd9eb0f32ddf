"""Optional API keys, the CORS allowlist and security headers."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import SCENARIO

KEY = "s3cret-key"
HASHED = "sha256:" + hashlib.sha256(b"hashed-key").hexdigest()


@pytest.fixture
def secured(make_app: Any) -> Flask:
    app: Flask = make_app(API_KEYS=(KEY, HASHED))
    return app


def test_without_keys_configured_the_api_is_open(client: FlaskClient) -> None:
    assert client.get("/v1/parameters").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"X-API-Key": "wrong"},
        {"Authorization": KEY},
        {"Authorization": "Basic " + KEY},
        {"X-API-Key": HASHED},
    ],
)
def test_missing_or_wrong_key_is_401(secured: Flask, headers: dict[str, str]) -> None:
    response = secured.test_client().post("/v1/simulations", json=SCENARIO, headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {KEY}"},
        {"authorization": f"bearer {KEY}"},
        {"X-API-Key": KEY},
        {"X-API-Key": "hashed-key"},
        {"Authorization": "Bearer hashed-key"},
    ],
)
def test_right_key_is_accepted(secured: Flask, headers: dict[str, str]) -> None:
    client = secured.test_client()
    assert client.post("/v1/simulations", json=SCENARIO, headers=headers).status_code == 200
    assert client.get("/v1/parameters", headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/metrics", "/openapi.yaml", "/docs"])
def test_health_and_docs_stay_open(secured: Flask, path: str) -> None:
    assert secured.test_client().get(path).status_code == 200


def test_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch, make_app: Any) -> None:
    monkeypatch.setenv("DETAINER_COST_API_KEYS", f"{KEY}, other")
    client = make_app().test_client()
    assert client.get("/v1/parameters").status_code == 401
    assert client.get("/v1/parameters", headers={"X-API-Key": "other"}).status_code == 200


def test_cors_is_off_by_default(client: FlaskClient) -> None:
    response = client.get("/v1/parameters", headers={"Origin": "https://example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_allows_listed_origins_only(make_app: Any) -> None:
    client = make_app(CORS_ORIGINS=("https://budget.example.gov",)).test_client()
    ok = client.get("/v1/parameters", headers={"Origin": "https://budget.example.gov"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://budget.example.gov"
    assert "Origin" in ok.headers["Vary"]
    other = client.get("/v1/parameters", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/v1/simulations",
        headers={
            "Origin": "https://budget.example.gov",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, Authorization",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_preflight_needs_no_key(make_app: Any) -> None:
    client = make_app(API_KEYS=(KEY,), CORS_ORIGINS=("https://a.example",)).test_client()
    response = client.options("/v1/simulations", headers={"Origin": "https://a.example"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/livez", "/v1/parameters", "/nope", "/docs"])
def test_security_headers_on_every_response(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
