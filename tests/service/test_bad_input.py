"""Bad input that once reached a 500 (issue 10), through the HTTP paths a client takes:
every class answers 422 problem+json with the field's RFC 6901 pointer; a streamed
(chunked) body over the limit answers 413 under a real server too."""

from __future__ import annotations

import http.client
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from models.inputs import MAX_DEPTH
from service.spec import load_yaml

from .conftest import ROOT, SCENARIO
from .test_errors import problem

SMALL: dict[str, Any] = {**SCENARIO, "trials": 50}
MEMBER: dict[str, Any] = {"detainers_per_year": 10, "daily_cost": 50, "trials": 20}


def pointers(response: Any) -> dict[str, str]:
    body = problem(response, 422)
    return {e["pointer"]: e["detail"] for e in body["errors"]}


def post_raw(client: FlaskClient, path: str, text: str) -> Any:
    return client.post(path, data=text.encode(), content_type="application/json")


# --- numbers past any float ------------------------------------------------------------

BIG = "1" + "0" * 400  # 10**400: valid JSON, no float can hold it


@pytest.mark.parametrize(
    ("path", "text", "pointer"),
    [
        ("/v1/simulations", f'{{"detainers_per_year": 5, "daily_cost": {BIG}}}', "/daily_cost"),
        (
            "/v1/simulations",
            f'{{"detainers_per_year": 5, "daily_cost": 1, "trials": {BIG}}}',
            "/trials",
        ),
        (
            "/v1/simulations",
            f'{{"detainers_per_year": 5, "daily_cost": 1, "seed": -{BIG}}}',
            "/seed",
        ),
        (
            "/v1/simulations",
            f'{{"detainers_per_year": 5, "daily_cost": 1, "thresholds": [1, {BIG}]}}',
            "/thresholds/1",
        ),
        (
            "/v1/sensitivity",
            '{"detainers_per_year": 5, "daily_cost": {"dist": "uniform", "low": 1, '
            f'"high": {BIG}}}}}',
            "/daily_cost",
        ),
        (
            "/v1/portfolios",
            f'{{"members": [{json.dumps(MEMBER)}], "threshold": {BIG}}}',
            "/threshold",
        ),
        ("/v1/portfolios", f'{{"members": [{json.dumps(MEMBER)}], "seed": {BIG}}}', "/seed"),
        # Past Python's 4300-digit limit on int(): still the field's 422, not a 400.
        (
            "/v1/simulations",
            '{"detainers_per_year": 5, "daily_cost": ' + "9" * 5000 + "}",
            "/daily_cost",
        ),
        ("/v1/simulations", '{"detainers_per_year": 5, "daily_cost": 1e400}', "/daily_cost"),
    ],
)
def test_numbers_past_any_float_are_422_at_the_field(
    client: FlaskClient, path: str, text: str, pointer: str
) -> None:
    found = pointers(post_raw(client, path, text))
    assert pointer in found or any(p.startswith(pointer) for p in found), found


def test_a_comparison_override_past_any_float_is_422_at_the_override(client: FlaskClient) -> None:
    text = (
        f'{{"baseline": {json.dumps(SMALL)}, "alternatives": '
        f'[{{"name": "x", "overrides": {{"daily_cost": {BIG}}}}}]}}'
    )
    found = pointers(post_raw(client, "/v1/comparisons", text))
    assert "/alternatives/0/overrides/daily_cost" in found, found


# --- sums that overflow ------------------------------------------------------------------


def test_weights_whose_sum_overflows_are_422(client: FlaskClient) -> None:
    body = {**SMALL, "release_weekday_weights": [1e308] * 7}
    found = pointers(client.post("/v1/simulations", json=body))
    assert "below 1.8e308" in found["/release_weekday_weights"]


# --- nesting ---------------------------------------------------------------------------


def _deep(depth: int) -> Any:
    node: Any = 1
    for _ in range(depth):
        node = {"a": node}
    return node


@pytest.mark.parametrize("depth", [MAX_DEPTH, 300, 900])
def test_overrides_nested_deeply_are_422_with_a_pointer(client: FlaskClient, depth: int) -> None:
    body = {
        "baseline": SMALL,
        "alternatives": [{"name": "deep", "overrides": {"capacity": _deep(depth)}}],
    }
    found = pointers(client.post("/v1/comparisons", json=body))
    (pointer,) = found
    assert pointer.startswith("/alternatives/0/overrides/capacity")


def test_the_body_depth_bound_points_at_the_value_too_deep(client: FlaskClient) -> None:
    body = {**SMALL, "description": _deep(MAX_DEPTH + 10)}
    found = pointers(client.post("/v1/simulations", json=body))
    (pointer,) = found
    # The body is level 1; its first value past MAX_DEPTH levels is named.
    assert pointer == "/description" + "/a" * (MAX_DEPTH - 1)
    assert f"deeper than {MAX_DEPTH} levels" in found[pointer]


def test_a_body_beyond_the_decoder_is_still_a_clean_400(client: FlaskClient) -> None:
    body = problem(
        post_raw(client, "/v1/comparisons", '{"a":' * 100_000 + "1" + "}" * 100_000), 400
    )
    assert "nested too deeply" in body["detail"]


# --- seeds -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [-1, 2**64, -(2**70), 0.5])
def test_portfolio_seeds_outside_0_to_2_64_minus_1_are_422(client: FlaskClient, seed: Any) -> None:
    found = pointers(client.post("/v1/portfolios", json={"members": [MEMBER], "seed": seed}))
    assert set(found) == {"/seed"}


@pytest.mark.parametrize("seed", [0, 2**64 - 1])
def test_the_whole_seed_range_is_served(client: FlaskClient, seed: int) -> None:
    response = client.post("/v1/portfolios", json={"members": [MEMBER], "seed": seed})
    assert response.status_code == 200
    assert response.get_json()["total"]["provenance"]["seed"] == seed
    response = client.post("/v1/simulations", json={**MEMBER, "seed": seed})
    assert response.get_json()["provenance"]["seed"] == seed


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/simulations", {**MEMBER, "seed": 2**64}),
        ("/v1/comparisons", {"baseline": {**MEMBER, "seed": -5}, "alternatives": [{"name": "a"}]}),
    ],
)
def test_scenario_seeds_outside_the_range_are_422(
    client: FlaskClient, path: str, body: dict[str, Any]
) -> None:
    found = pointers(client.post(path, json=body))
    assert any(p.endswith("/seed") for p in found), found
    assert "between 0 and 18446744073709551615" in next(iter(found.values()))


def test_spec_and_parameters_state_the_same_seed_range(client: FlaskClient) -> None:
    served = load_yaml(client.get("/openapi.yaml").get_data(as_text=True))
    schemas = served["components"]["schemas"]
    params = {p["name"]: p for p in client.get("/v1/parameters").get_json()["parameters"]}
    # Exact integers in JSON: a float would state 2**64 (18446744073709551616).
    assert params["seed"]["minimum"] == 0
    assert params["seed"]["maximum"] == 2**64 - 1
    portfolio_seed = schemas["PortfolioRequest"]["properties"]["seed"]
    scenario_seed = schemas["Scenario"]["properties"]["seed"]
    for spec in (portfolio_seed, scenario_seed):
        assert (spec["type"], spec["minimum"], spec["maximum"]) == ("integer", 0, 2**64 - 1)


# --- text that reports cannot carry -------------------------------------------------------

TEXTS = [("a\ud800b", "U+D800"), ("x\u0001", "U+0001"), ("\x0b", "U+000B"), ("\uffff", "U+FFFF")]


@pytest.mark.parametrize("fmt", ["html", "pdf", "csv", "xlsx"])
@pytest.mark.parametrize(("text", "code"), TEXTS)
@pytest.mark.parametrize("field", ["name", "description"])
def test_free_text_no_report_can_carry_is_422_before_rendering(
    client: FlaskClient, fmt: str, text: str, code: str, field: str
) -> None:
    body = {**SMALL, field: text}
    # json.dumps writes a lone surrogate as the escape \ud800, as a client would.
    response = client.post(f"/v1/reports?format={fmt}", json=body)
    assert code in pointers(response)[f"/{field}"]


@pytest.mark.parametrize(
    ("path", "body", "pointer"),
    [
        (
            "/v1/comparisons",
            {"baseline": SMALL, "alternatives": [{"name": "decline\ud83d", "overrides": {}}]},
            "/alternatives/0/name",
        ),
        (
            "/v1/comparisons",
            {"baseline": {**SMALL, "name": "\x1b[2J"}, "alternatives": [{"name": "a"}]},
            "/baseline/name",
        ),
        ("/v1/portfolios", {"members": [MEMBER, {**MEMBER, "name": "\x00"}]}, "/members/1/name"),
        (
            "/v1/simulations",
            {**SMALL, "daily_cost": {"dist": "uniform", "low": 1, "high": 2, "note": "\x7f\x08"}},
            "/daily_cost/note",
        ),
        (
            "/v1/reports",
            {"baseline": SMALL, "alternatives": [{"name": "\udfff", "overrides": {}}]},
            "/alternatives/0/name",
        ),
    ],
)
def test_every_free_text_field_gets_the_text_check(
    client: FlaskClient, path: str, body: dict[str, Any], pointer: str
) -> None:
    assert pointer in pointers(client.post(path, json=body))


@pytest.mark.parametrize(
    "fmt", ["html", "csv", "xlsx", pytest.param("pdf", marks=pytest.mark.slow)]
)
def test_text_in_any_language_with_tabs_and_newlines_reaches_every_report(
    client: FlaskClient, fmt: str
) -> None:
    body = {**SMALL, "name": "Condado de Harris 😀", "description": "línea\tuno\r\nzwei 中文"}
    assert client.post(f"/v1/reports?format={fmt}", json=body).status_code == 200


# --- numpy's own domains ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (
            {
                "detainers_per_year": {
                    "dist": "negative_binomial",
                    "mean": 1e9,
                    "dispersion": 1e-300,
                }
            },
            "/detainers_per_year",
        ),
        (
            {
                "detainers_per_year": {"dist": "empirical", "values": [0] * 19 + [2e10]},
                "bookings_growth": 1.0,
                "horizon_years": 30,
            },
            "/detainers_per_year",
        ),
    ],
)
def test_parameters_numpy_refuses_are_422_at_the_field(
    make_app: Callable[..., Flask], change: dict[str, Any], pointer: str
) -> None:
    client = make_app(MAX_WORK=10_000_000).test_client()
    assert pointer in pointers(client.post("/v1/simulations", json={**SMALL, **change}))
    # The horizon is the baseline's (an alternative cannot change it); the rest overrides.
    baseline = {**SMALL, **{k: v for k, v in change.items() if k == "horizon_years"}}
    overrides = {k: v for k, v in change.items() if k != "horizon_years"}
    body = {"baseline": baseline, "alternatives": [{"name": "wide", "overrides": overrides}]}
    found = pointers(client.post("/v1/comparisons", json=body))
    assert "/alternatives/0/overrides" + pointer in found, found


@pytest.mark.parametrize(
    "value",
    [-0.0, {"dist": "fixed", "value": -0.0}, {"dist": "empirical", "values": [-0.0, 1]}],
    ids=["number", "fixed", "empirical"],
)
def test_a_negative_zero_is_zero(client: FlaskClient, value: Any) -> None:
    """JSON's -0 is the number zero; numpy's samplers refuse -0.0 as a scale, and a fixed
    -0.0 extra days per detainer ended in a 500 (found by the deep hypothesis hunt)."""
    signed = client.post("/v1/simulations", json={**SMALL, "extra_days_per_detainer": value})
    assert signed.status_code == 200, signed.get_data(as_text=True)[:500]
    zero = json.loads(json.dumps(value).replace("-0.0", "0.0"))
    plain = client.post("/v1/simulations", json={**SMALL, "extra_days_per_detainer": zero})
    assert signed.get_json()["annual_cost"] == plain.get_json()["annual_cost"]


# --- streamed bodies over the limit --------------------------------------------------------

LIMIT = 1000
OVER = json.dumps({**MEMBER, "description": "x" * 2 * LIMIT}).encode()
UNDER = json.dumps(MEMBER).encode()
# A body of exactly the limit: not over it.
EXACT = json.dumps({**MEMBER, "description": ""}).encode()
EXACT = EXACT.replace(b'""', b'"' + b"x" * (LIMIT - len(EXACT)) + b'"')


def _chunked(client: FlaskClient, body: bytes) -> Any:
    # wsgi.input_terminated: what a server that decodes chunked bodies says (werkzeug's
    # and gunicorn's do); without it werkzeug cannot read a body of unknown length.
    from io import BytesIO

    return client.post(
        "/v1/simulations",
        input_stream=BytesIO(body),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_base={"wsgi.input_terminated": True},
    )


def test_a_chunked_body_over_the_limit_is_413(make_app: Callable[..., Flask]) -> None:
    client = make_app(MAX_CONTENT_LENGTH=LIMIT).test_client()
    assert len(EXACT) == LIMIT
    problem(_chunked(client, OVER), 413)
    assert _chunked(client, UNDER).status_code == 200
    assert _chunked(client, EXACT).status_code == 200


def _send_chunked(port: int, body: bytes) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        pieces = iter([body[i : i + 300] for i in range(0, len(body), 300)])
        conn.request(
            "POST",
            "/v1/simulations",
            body=pieces,
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@contextmanager
def werkzeug_server(app: Flask) -> Iterator[int]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(10)


def test_a_chunked_body_over_the_limit_is_413_from_a_real_server(
    make_app: Callable[..., Flask],
) -> None:
    with werkzeug_server(make_app(MAX_CONTENT_LENGTH=LIMIT)) as port:
        status, body = _send_chunked(port, OVER)
        assert status == 413
        assert body["status"] == 413
        status, body = _send_chunked(port, UNDER)
        assert status == 200
        assert body["trials"] == MEMBER["trials"]
        status, _ = _send_chunked(port, EXACT)
        assert status == 200


@pytest.mark.slow
def test_a_chunked_body_over_the_limit_is_413_from_gunicorn(tmp_path: Path) -> None:
    from benchmarks.load import free_port
    from service.cli import gunicorn_command

    from .test_server import server

    port = free_port()
    env = {**os.environ, "DETAINER_COST_MAX_BODY_BYTES": str(LIMIT)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = gunicorn_command(f"127.0.0.1:{port}", 1)
    with server(command, port, tmp_path / "gunicorn.log", cwd=ROOT, env=env):
        status, body = _send_chunked(port, OVER)
        assert status == 413
        assert body["status"] == 413
        status, body = _send_chunked(port, UNDER)
        assert status == 200
        assert body["trials"] == MEMBER["trials"]
        status, _ = _send_chunked(port, EXACT)
        assert status == 200


# --- the command line reads files the same way ---------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"a":' * 5000 + "1" + "}" * 5000, "nested too deeply"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        ('{"detainers_per_year": 5, "daily_cost": 1' + "0" * 5000 + "}", "daily_cost: must be"),
        ('{"detainers_per_year": 5, "daily_cost": 1, "seed": -' + "9" * 400 + "}", "seed: must"),
        ('{"detainers_per_year": 5, "daily_cost": 1, "name": "\\ud800"}', "name: contains U+D800"),
    ],
)
def test_the_cli_answers_bad_files_with_a_message_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, words: str
) -> None:
    path = tmp_path / "scenario.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    from service.cli import main  # the detainer-cost command

    assert main(["simulate", str(path)]) == 2  # usage error
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err
