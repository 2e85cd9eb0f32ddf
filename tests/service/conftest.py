"""Fixtures in the manner of Flask's tutorial: an app built by the factory with test
config, and a client whose every response is checked against openapi.yaml."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

from service import create_app
from service.spec import load_yaml
from tests.coverage_pause import this_thread_untraced

from .postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "openapi.yaml"
SPEC = load_yaml(SPEC_PATH.read_text())
# The spec is validated once, by tests/service/test_contract.py (and `make lint`); not again
# here in every test process (1 s of CPU each, openapi-core's check at load).
OPENAPI = OpenAPI.from_file_path(
    str(SPEC_PATH),
    config=Config(
        extra_media_type_deserializers={"application/problem+json": json.loads},
        spec_validator_cls=None,
    ),
)
PROBLEM = {
    **SPEC["components"]["schemas"]["Problem"],
    "$schema": jsonschema.Draft202012Validator.META_SCHEMA["$id"],
}


class _RequestForResponse(WerkzeugOpenAPIRequest):
    """The request, for locating the operation only: its body was read by the app."""

    @property
    def body(self) -> bytes | None:
        return b""


def check_against_spec(response: Any) -> None:
    """Validate a test response against openapi.yaml (raises on any mismatch).

    This thread's coverage tracer is stopped meanwhile (tests/coverage_pause.py):
    openapi-core and jsonschema run no line of models/ or service/, and every Python call
    goes through the tracer, measured file or not (the in-process service tests took 120 s
    of CPU against 128 s traced)."""
    request = response.request
    try:
        with this_thread_untraced():
            OPENAPI.validate_response(
                _RequestForResponse(request), WerkzeugOpenAPIResponse(response)
            )
    except (PathNotFound, OperationNotFound):
        if request.method in ("OPTIONS", "HEAD"):
            return  # automatic methods: CORS preflight and HEAD, not part of the contract
        # Unknown routes and methods: still problem+json.
        assert response.status_code in (404, 405), response.status_code
        assert response.mimetype == "application/problem+json"
        jsonschema.validate(json.loads(response.get_data()), PROBLEM)
        return


class ContractClient(FlaskClient):
    """A test client that holds every response to the contract."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)  # read and close file-backed bodies
        response = super().open(*args, **kwargs)
        check_against_spec(response)
        return response


@pytest.fixture(scope="session")
def postgresql() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (tests/service/postgres.py): initdb, start,
    and stop at the end. ``postgresql.database()`` gives a fresh database's URL."""
    with PostgresServer() as server:
        yield server


@pytest.fixture
def make_app() -> Callable[..., Flask]:
    """Build an app with extra test settings."""

    def build(**settings: Any) -> Flask:
        app = create_app({"TESTING": True, **settings})
        app.test_client_class = ContractClient
        return app

    return build


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        yield c


SCENARIO: dict[str, Any] = {
    "detainers_per_year": 120,
    "extra_days_per_detainer": {"dist": "pert", "low": 10, "mode": 20, "high": 40},
    "daily_cost": {"dist": "uniform", "low": 60, "high": 120},
    "trials": 500,
    "name": "Test county",
}
