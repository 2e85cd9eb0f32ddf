"""The trials limit as a user meets it: `detainer-cost serve` under gunicorn on a loopback
port, configured by its environment variable. /v1/parameters, the served /openapi.yaml
and the 422 boundary state one limit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from benchmarks.load import free_port

from .conftest import SCENARIO

pytestmark = pytest.mark.slow
COMMAND = Path(sys.executable).with_name("detainer-cost")


@pytest.mark.skipif(not COMMAND.exists(), reason="needs the installed detainer-cost command")
def test_configured_trials_limit_agrees_under_gunicorn(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DETAINER_COST_MAX_TRIALS": "700"}
    command = [str(COMMAND), "serve", "--port", str(port), "--workers", "1"]
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
            start_new_session=True,
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
        listed = {
            p["name"]: p
            for p in requests.get(f"{base}/v1/parameters", timeout=60).json()["parameters"]
        }
        spec = yaml.safe_load(requests.get(f"{base}/openapi.yaml", timeout=60).text)
        in_spec = spec["components"]["schemas"]["Scenario"]["properties"]["trials"]["maximum"]
        assert listed["trials"]["maximum"] == in_spec == 700
        assert listed["seed"]["maximum"] == 2**64 - 1
        at = requests.post(f"{base}/v1/simulations", json={**SCENARIO, "trials": 700}, timeout=60)
        over = requests.post(f"{base}/v1/simulations", json={**SCENARIO, "trials": 701}, timeout=60)
        assert at.status_code == 200 and at.json()["trials"] == 700
        assert over.status_code == 422
        assert [e["pointer"] for e in over.json()["errors"]] == ["/trials"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
