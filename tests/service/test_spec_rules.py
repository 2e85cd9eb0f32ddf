"""Style rules of the contract that a schema validator does not check, held to what the
app does: every operation states its security, and the public routes are public."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from .conftest import SPEC

METHODS = ("get", "put", "post", "delete", "patch", "options", "head")
OPERATIONS = [
    (path, method, op)
    for path, item in SPEC["paths"].items()
    for method, op in item.items()
    if method in METHODS
]
KEYED: list[dict[str, list[str]]] = [
    {"bearerAuth": []},
    {"apiKeyAuth": []},
    {},
]  # a key when keys are configured
#: A real file for each path parameter of a public route.
FILENAMES = {"/docs/assets/{filename}": "docs-init.js", "/assets/{filename}": "app.js"}


def _id(operation: tuple[str, str, Any]) -> str:
    return f"{operation[1].upper()} {operation[0]}"


@pytest.mark.parametrize("operation", OPERATIONS, ids=_id)
def test_every_operation_states_its_security(operation: tuple[str, str, Any]) -> None:
    path, _, op = operation
    assert "security" in op, "state `security: []` for a public route"
    expected = KEYED if path.startswith("/v1/") else []
    assert op["security"] == expected
    for requirement in op["security"]:
        assert set(requirement) <= set(SPEC["components"]["securitySchemes"])


@pytest.mark.parametrize("operation", OPERATIONS, ids=_id)
def test_every_operation_has_an_id_a_summary_and_a_tag(operation: tuple[str, str, Any]) -> None:
    _, _, op = operation
    assert re.fullmatch(r"[a-z][A-Za-z]+", op["operationId"])
    assert op["summary"]
    assert op["tags"]
    assert set(op["tags"]) <= {t["name"] for t in SPEC["tags"]}
    assert "default" in op["responses"]  # every error is problem+json


def test_operation_ids_are_unique() -> None:
    ids = [op["operationId"] for _, _, op in OPERATIONS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("operation", [o for o in OPERATIONS if o[1] == "get"], ids=_id)
def test_security_in_the_spec_is_what_the_app_does(
    make_app: Any, operation: tuple[str, str, Any]
) -> None:
    """With keys configured, a route the spec calls public answers without a key, and a
    keyed one answers 401."""
    path, _, op = operation
    app: Flask = make_app(API_KEYS=("k3y",))
    url = path
    if "{filename}" in path:
        url = path.replace("{filename}", FILENAMES[path])
    url = url.replace("{preset_id}", "no-such-preset")
    response = app.test_client().get(url)
    if op["security"] == []:
        assert response.status_code == 200, url
    else:
        assert response.status_code == 401, url
