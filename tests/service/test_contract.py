"""openapi.yaml is the contract: it validates, its paths are the app's routes, its
scenario is the engine's field table, and the served copy carries the limits. (It is
generated from service/openapi.skeleton.yaml and the code: test_spec_generated.py.)"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from models.scenario import FIELDS, GROUPS
from service.config import DEFAULTS
from service.spec import load_yaml

from .conftest import SPEC, SPEC_PATH


def test_spec_is_valid_openapi_3_1() -> None:
    assert SPEC["openapi"].startswith("3.1")
    validate(SPEC)


def test_routes_equal_spec_paths_and_methods(app: Flask) -> None:
    routes = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[a-z]+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                routes.add((path, method.lower()))
    spec = {(path, method) for path, ops in SPEC["paths"].items() for method in ops}
    assert routes == spec


def test_scenario_schema_is_the_field_table() -> None:
    props = SPEC["components"]["schemas"]["Scenario"]["properties"]
    top = {f.name for f in FIELDS if "." not in f.name} | set(GROUPS)
    assert set(props) == top
    for field in FIELDS:
        if "." in field.name:
            group, name = field.name.split(".")
            schema = props[group]["properties"][name]
            assert (name in props[group]["required"]) == field.required, field.name
        else:
            schema = props[field.name]
        number = schema["anyOf"][0] if "anyOf" in schema else schema
        if field.kind in ("uncertain", "number", "integer") and field.name != "trials":
            assert number["minimum"] == field.low, field.name
            assert number["maximum"] == field.high, field.name
    assert props["trials"]["maximum"] == DEFAULTS["MAX_TRIALS"]


def test_served_spec_carries_configured_limits(make_app: Any) -> None:
    client = make_app(MAX_TRIALS=1234).test_client()
    served = load_yaml(client.get("/openapi.yaml").get_data(as_text=True))
    assert served["components"]["schemas"]["Scenario"]["properties"]["trials"]["maximum"] == 1234
    served["components"]["schemas"]["Scenario"]["properties"]["trials"]["maximum"] = 100_000
    assert served == SPEC


def test_default_served_spec_equals_the_file(client: FlaskClient) -> None:
    assert load_yaml(client.get("/openapi.yaml").get_data(as_text=True)) == SPEC


def test_default_served_spec_is_the_file_byte_for_byte(client: FlaskClient) -> None:
    assert client.get("/openapi.yaml").get_data() == SPEC_PATH.read_bytes()


def test_preset_ids_in_the_spec_are_the_presets() -> None:
    from models.presets import load_presets

    enum = SPEC["components"]["schemas"]["PresetScenario"]["properties"]["preset"]["enum"]
    assert sorted(enum) == sorted(load_presets())
