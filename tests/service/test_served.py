"""Promises as a user meets them: `detainer-cost serve` under gunicorn on a loopback port,
configured by environment variables.

* The trials limit: /v1/parameters, the served /openapi.yaml and the 422 boundary state
  one limit.
* Reports: identical requests arriving at once at a fresh server (gunicorn's threads in
  one worker) get byte-identical HTML.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from threading import Barrier

import pytest
import requests

from benchmarks.load import free_port
from service.spec import load_yaml

from .conftest import SCENARIO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(sys.executable).with_name("detainer-cost").exists(),
        reason="needs the installed detainer-cost command",
    ),
]
COMMAND = Path(sys.executable).with_name("detainer-cost")


@contextmanager
def served(tmp_path: Path, settings: Mapping[str, str]) -> Iterator[str]:
    """`detainer-cost serve` with one worker and ``settings`` in its environment; yields
    its base URL once /livez answers."""
    port = free_port()
    command = [str(COMMAND), "serve", "--port", str(port), "--workers", "1"]
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **settings},
            cwd=tmp_path, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if requests.get(f"{base}/livez", timeout=2).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_configured_trials_limit_agrees_under_gunicorn(tmp_path: Path) -> None:
    with served(tmp_path, {"DETAINER_COST_MAX_TRIALS": "700"}) as base:
        response = requests.get(f"{base}/v1/parameters", timeout=60)
        listed = {p["name"]: p for p in response.json()["parameters"]}
        spec = load_yaml(requests.get(f"{base}/openapi.yaml", timeout=60).text)
        in_spec = spec["components"]["schemas"]["Scenario"]["properties"]["trials"]["maximum"]
        assert listed["trials"]["maximum"] == in_spec == 700
        assert listed["seed"]["maximum"] == 2**64 - 1
        at = requests.post(f"{base}/v1/simulations", json={**SCENARIO, "trials": 700}, timeout=60)
        over = requests.post(f"{base}/v1/simulations", json={**SCENARIO, "trials": 701}, timeout=60)
        assert at.status_code == 200
        assert at.json()["trials"] == 700
        assert over.status_code == 422
        assert [e["pointer"] for e in over.json()["errors"]] == ["/trials"]


def test_concurrent_first_html_reports_are_byte_identical_under_gunicorn(
    tmp_path: Path,
) -> None:
    n = 6
    settings = {  # room for all n at once in the one worker
        "DETAINER_COST_THREADS": str(n + 2),
        "DETAINER_COST_MAX_IN_FLIGHT": str(n),
        "DETAINER_COST_MAX_QUEUE": str(n),
        "DETAINER_COST_REQUEST_DEADLINE": "120",
    }
    body = {**SCENARIO, "trials": 200, "horizon_years": 3}
    start = Barrier(n)

    def post(_: int) -> requests.Response:
        start.wait()
        return requests.post(f"{base}/v1/reports?format=html", json=body, timeout=240)

    with served(tmp_path, settings) as base:
        with ThreadPoolExecutor(n) as pool:
            responses = list(pool.map(post, range(n)))
        again = requests.post(f"{base}/v1/reports?format=html", json=body, timeout=240)
    assert [r.status_code for r in responses] == [200] * n
    assert {r.content for r in responses} == {again.content}
    assert again.content.count(b"<svg") >= 3
