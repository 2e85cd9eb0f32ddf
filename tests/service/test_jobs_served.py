"""A job accepted is never lost: a roll-up job running when `detainer-cost serve` stops
is run again by the next start, and its result is the same bytes as the roll-up run in
process (results are deterministic by seed)."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

from benchmarks.load import free_port
from models.analyses.rollup import rollup
from service.jobs_store import JobStore

from .test_served import COMMAND, served
from .test_served import pytestmark as served_marks

pytestmark = served_marks

BODY: dict[str, Any] = {
    "base": {
        "extra_days_per_detainer": {"dist": "pert", "low": 10, "mode": 20, "high": 50},
        "honor_rate": {"dist": "uniform", "low": 0.5, "high": 1},
        "daily_cost": 90,
        "trials": 5000,
    },
    # 200 rows x 5,000 trials: some 3 s of CPU, so the server stops mid-job. The test
    # sees the first progress in the job database itself (a heartbeat writes it each
    # second, the first a second into the job), not by asking the server, whose answers
    # wait behind the job's work; on SIGTERM the worker gives the job back at its next
    # row (service/gunicorn_conf.py). Before it did, it worked on until it exited, and
    # under load it once finished the job first.
    "rows": [{"name": f"County {i}", "detainers_per_year": 100 + i} for i in range(200)],
    "shared": ["extra_days_per_detainer"],
    "threshold": {"umra_year": 2019},
}


@functools.cache
def _in_process() -> bytes:
    """The roll-up run in this process, as the job's result bytes (some 3 s of CPU: once
    for both tests that compare with it)."""
    expected = rollup(
        BODY["base"], BODY["rows"], shared=BODY["shared"], threshold=BODY["threshold"]
    ).to_dict()
    return json.dumps(expected, separators=(",", ":"), allow_nan=False).encode()


def _wait(base: str, job_id: str, until: Any, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        job: dict[str, Any] = requests.get(f"{base}/v1/jobs/{job_id}", timeout=30).json()
        if until(job):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def _wait_in_store(data: Path, job_id: str, seconds: float) -> None:
    """Until the job database says the job is running and has made progress."""
    store = JobStore(data / "jobs.sqlite3", ttl=60)
    deadline = time.monotonic() + seconds
    while True:
        job = store.get(job_id, "")
        if job is not None and job.state == "running" and job.done > 0:
            return
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_a_running_job_survives_a_server_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = {"DETAINER_COST_DATA_DIR": str(data), "DETAINER_COST_DRAIN_SECONDS": "0"}
    with served(tmp_path, settings) as base:
        submitted = requests.post(
            f"{base}/v1/jobs", json={"kind": "rollup", "input": BODY}, timeout=60
        )
        assert submitted.status_code == 202, submitted.text[:500]
        job_id = submitted.json()["id"]
        _wait_in_store(data, job_id, 90)
    # The server stopped part-way (SIGTERM): the job is still on disk, not finished.
    stopped = JobStore(data / "jobs.sqlite3", ttl=60).get(job_id, "")
    assert stopped is not None
    # Given back to the queue as the worker stopped (or, had it died, queued again once
    # its heartbeat is stale).
    assert stopped.state in ("queued", "running")
    assert stopped.finished is None
    with served(tmp_path, settings) as base:
        done = _wait(base, job_id, lambda j: j["state"] in ("succeeded", "failed"), 180)
        assert done["state"] == "succeeded", done
        result = requests.get(f"{base}{done['result_url']}", timeout=60).content
    assert result == _in_process()


def test_jobs_need_nothing_but_the_data_dir(tmp_path: Path) -> None:
    """`detainer-cost serve` with no settings keeps its jobs under the working directory."""
    with served(tmp_path, {}) as base:
        body = {"kind": "simulation", "input": {"detainers_per_year": 10, "daily_cost": 1}}
        job = requests.post(f"{base}/v1/jobs", json=body, timeout=60).json()
        done = _wait(base, job["id"], lambda j: j["state"] == "succeeded", 60)
        assert requests.get(f"{base}{done['result_url']}", timeout=60).json()["trials"] > 0
    assert (tmp_path / "detainer-cost-data" / "jobs.sqlite3").exists()


def test_a_job_survives_its_server_being_killed(tmp_path: Path) -> None:
    """SIGKILL (no chance to give the job back): the next start finds the job's heartbeat
    stale and runs it again."""
    data = tmp_path / "data"
    settings = {"DETAINER_COST_DATA_DIR": str(data)}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(tmp_path, settings, port)
    try:
        submitted = requests.post(
            f"{base}/v1/jobs", json={"kind": "rollup", "input": BODY}, timeout=60
        )
        job_id = submitted.json()["id"]
        _wait_in_store(data, job_id, 90)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    killed = JobStore(data / "jobs.sqlite3", ttl=60).get(job_id, "")
    assert killed is not None
    assert killed.state == "running"  # as the dead worker left it
    with served(tmp_path, settings) as base:
        done = _wait(base, job_id, lambda j: j["state"] in ("succeeded", "failed"), 240)
        assert done["state"] == "succeeded", done
        assert done["attempts"] == 2
        result = requests.get(f"{base}{done['result_url']}", timeout=60).content
    assert result == _in_process()


def _start(tmp_path: Path, settings: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """`detainer-cost serve` on ``port`` in its own process group, once /livez answers."""
    with (tmp_path / "killed.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(COMMAND), "serve", "--port", str(port), "--workers", "1"],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **settings},
            cwd=tmp_path, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 90
    while True:
        assert proc.poll() is None
        try:
            if requests.get(f"http://127.0.0.1:{port}/livez", timeout=2).ok:
                return proc
        except (requests.ConnectionError, requests.Timeout):
            pass
        assert time.monotonic() < deadline
        time.sleep(0.2)
