"""Two replicas of the service on one PostgreSQL database (the deployment of
docs/deployment.md, on this machine): two real `detainer-cost serve` processes with the
same DETAINER_COST_DATABASE_URL. A job submitted to one is seen by the other; the replica
running it is stopped mid-job, and the other finishes it to the bytes of the roll-up run
in process."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, select

from benchmarks.load import free_port
from service.jobs_store import FINISHED, JOBS

from .conftest import SCENARIO
from .postgres import PostgresServer
from .test_served import COMMAND
from .test_served import pytestmark as served_marks

pytestmark = served_marks


@contextmanager
def _replica(
    directory: Path, settings: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`detainer-cost serve` in its own process group; its base URL and process."""
    directory.mkdir()
    port = free_port()
    log = directory / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(COMMAND), "serve", "--port", str(port), "--workers", "1"],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **settings},
            cwd=directory, start_new_session=True,
        )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _live(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            if requests.get(f"{base}/livez", timeout=2).ok:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)


def _wait(base: str, job_id: str, until: Any, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        job: dict[str, Any] = requests.get(f"{base}/v1/jobs/{job_id}", timeout=30).json()
        if until(job):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def test_two_replicas_share_the_jobs(postgresql: PostgresServer, tmp_path: Path) -> None:
    """Jobs submitted to either replica are run once each, by whichever executor claims
    them, and read from the other replica, to the synchronous route's bytes."""
    url = postgresql.database()
    settings = {"DETAINER_COST_DATABASE_URL": url, "DETAINER_COST_DRAIN_SECONDS": "0"}
    with ExitStack() as stack:
        replicas = [stack.enter_context(_replica(tmp_path / n, settings)) for n in "ab"]
        for (base, proc), name in zip(replicas, "ab", strict=True):
            _live(base, proc, tmp_path / name / "serve.log")
        bases = [base for base, _ in replicas]
        bodies = [{**SCENARIO, "seed": seed} for seed in range(6)]
        submitted = []
        for i, body in enumerate(bodies):
            job = {"kind": "simulation", "input": body}
            response = requests.post(f"{bases[i % 2]}/v1/jobs", json=job, timeout=60)
            assert response.status_code == 202, response.text[:500]
            submitted.append(response.json()["id"])
        for i, (job_id, body) in enumerate(zip(submitted, bodies, strict=True)):
            other = bases[1 - i % 2]
            done = _wait(other, job_id, lambda j: j["state"] in FINISHED, 120)
            assert (done["state"], done["attempts"]) == ("succeeded", 1), done
            result = requests.get(f"{other}{done['result_url']}", timeout=60).content
            direct = requests.post(f"{other}/v1/simulations", json=body, timeout=60).content
            assert result == direct
        engine = create_engine(url)
        with engine.connect() as db:
            rows = db.execute(select(JOBS.c.id, JOBS.c.state)).all()
        engine.dispose()
        assert sorted(rows) == sorted((job_id, "succeeded") for job_id in submitted)
    assert not list(tmp_path.rglob("jobs.sqlite3"))  # nothing kept beside the database
