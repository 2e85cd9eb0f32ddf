"""Jobs in process: submit (validated at once), run by an executor of the test's own,
read the state and the result (the synchronous route's bytes), cancel, delete, expire,
and one key never sees another's jobs. The real server's restart is in
test_jobs_served.py."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.jobs import Executor, _Tracker, job_store, request_stop

from .conftest import SCENARIO, ContractClient

ROLLUP: dict[str, Any] = {
    "base": {"extra_days_per_detainer": 20, "daily_cost": 90, "trials": 300},
    "rows": [{"name": "A", "detainers_per_year": 100}, {"name": "B", "detainers_per_year": 50}],
    "threshold": 100000,
}


@pytest.fixture(scope="module")
def jobs_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """One app (and job store) for the module: building an app takes a second or two."""
    data = tmp_path_factory.mktemp("jobs")
    app = create_app({"TESTING": True, "DATA_DIR": str(data), "API_KEYS": ("alpha", "beta")})
    app.test_client_class = ContractClient
    return app


def _headers(key: str = "alpha") -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _run_all(app: Flask) -> None:
    executor = Executor(job_store(app))
    while executor.run_once():
        pass


@pytest.mark.parametrize(
    ("kind", "body", "route"),
    [
        ("simulation", SCENARIO, "/v1/simulations"),
        ("rollup", ROLLUP, "/v1/rollups"),
        ("portfolio", {"members": [SCENARIO, SCENARIO], "seed": 3}, "/v1/portfolios"),
    ],
)
def test_a_job_gives_the_synchronous_bytes(
    jobs_app: Flask, kind: str, body: dict[str, Any], route: str
) -> None:
    with jobs_app.test_client() as client:
        submitted = client.post("/v1/jobs", json={"kind": kind, "input": body}, headers=_headers())
        assert submitted.status_code == 202, submitted.get_data(as_text=True)[:500]
        job = submitted.get_json()
        assert submitted.headers["Location"] == f"/v1/jobs/{job['id']}"
        assert job["state"] == "queued"
        assert job["progress"]["total"] > 0
        not_yet = client.get(f"/v1/jobs/{job['id']}/result", headers=_headers())
        assert not_yet.status_code == 409
        _run_all(jobs_app)
        done = client.get(f"/v1/jobs/{job['id']}", headers=_headers()).get_json()
        assert done["state"] == "succeeded"
        assert done["progress"]["done"] == done["progress"]["total"]
        assert done["result_url"] == f"/v1/jobs/{job['id']}/result"
        result = client.get(done["result_url"], headers=_headers())
        direct = client.post(route, json=body, headers=_headers())
        assert result.get_data() == direct.get_data()


def test_a_report_job_renders_its_format(jobs_app: Flask) -> None:
    with jobs_app.test_client() as client:
        body = {"kind": "report", "input": {**SCENARIO, "trials": 200}, "format": "csv"}
        job = client.post("/v1/jobs", json=body, headers=_headers()).get_json()
        _run_all(jobs_app)
        result = client.get(f"/v1/jobs/{job['id']}/result", headers=_headers())
        direct = client.post(
            "/v1/reports?format=csv", json={**SCENARIO, "trials": 200}, headers=_headers()
        )
        assert result.mimetype == "text/csv"
        assert result.get_data() == direct.get_data()


def test_bad_input_is_refused_when_submitted(jobs_app: Flask) -> None:
    with jobs_app.test_client() as client:
        bad = client.post(
            "/v1/jobs",
            json={"kind": "rollup", "input": {**ROLLUP, "rows": [{"detainers_per_year": -1}]}},
            headers=_headers(),
        )
        assert bad.status_code == 422
        assert [e["pointer"] for e in bad.get_json()["errors"]] == [
            "/input/rows/0/detainers_per_year"
        ]
        shape = client.post(
            "/v1/jobs",
            json={"kind": "nope", "format": "doc", "extra": 1},
            headers=_headers(),
        )
        assert sorted(e["pointer"] for e in shape.get_json()["errors"]) == [
            "/extra",
            "/format",
            "/input",
            "/kind",
        ]
        field = client.post(
            "/v1/jobs",
            json={"kind": "simulation", "input": {**SCENARIO, "bogus": 1}},
            headers=_headers(),
        )
        assert [e["pointer"] for e in field.get_json()["errors"]] == ["/input/bogus"]


def test_the_job_budget_is_its_own(make_app: Any, tmp_path: Path) -> None:
    app: Flask = make_app(DATA_DIR=str(tmp_path), MAX_WORK=100, JOB_MAX_WORK=2000)
    with app.test_client() as client:
        small = client.post("/v1/jobs", json={"kind": "rollup", "input": ROLLUP})
        assert small.status_code == 202  # 600 trial-years: over the request budget, not the job's
        big = client.post(
            "/v1/jobs",
            json={"kind": "rollup", "input": {**ROLLUP, "rows": ROLLUP["rows"] * 4}},
        )
        assert big.status_code == 422
        assert big.get_json()["errors"][0]["pointer"] == "/input/base/trials"


def test_one_key_never_sees_another_keys_jobs(jobs_app: Flask) -> None:
    with jobs_app.test_client() as client:
        job = client.post(
            "/v1/jobs", json={"kind": "simulation", "input": SCENARIO}, headers=_headers("alpha")
        ).get_json()
        for method in ("GET", "DELETE"):
            other = client.open(f"/v1/jobs/{job['id']}", method=method, headers=_headers("beta"))
            assert other.status_code == 404
        assert client.get(f"/v1/jobs/{job['id']}").status_code == 401
        assert client.get(f"/v1/jobs/{job['id']}", headers=_headers("alpha")).status_code == 200


def test_cancel_queued_and_delete_finished(jobs_app: Flask) -> None:
    with jobs_app.test_client() as client:
        body = {"kind": "simulation", "input": SCENARIO}
        queued = client.post("/v1/jobs", json=body, headers=_headers()).get_json()
        cancelled = client.delete(f"/v1/jobs/{queued['id']}", headers=_headers())
        assert cancelled.status_code == 200
        assert cancelled.get_json()["state"] == "cancelled"
        _run_all(jobs_app)  # nothing left to run
        assert client.get(f"/v1/jobs/{queued['id']}", headers=_headers()).get_json()["state"] == (
            "cancelled"
        )
        assert client.delete(f"/v1/jobs/{queued['id']}", headers=_headers()).status_code == 204
        assert client.get(f"/v1/jobs/{queued['id']}", headers=_headers()).status_code == 404


def test_a_running_job_stops_when_cancelled(jobs_app: Flask) -> None:
    store = job_store(jobs_app)
    job = store.submit("", "simulation", {**SCENARIO, "trials": 50000}, None, False, 50000)
    executor = Executor(store)
    claimed = store.claim(executor.worker)
    assert claimed is not None
    assert store.cancel(job.id, "") is not None
    assert not store.heartbeat(job.id, executor.worker, 0, 1)  # told to stop
    store.requeue(job.id, executor.worker)
    assert store.get(job.id, "") is not None


def test_a_dead_workers_job_is_queued_again_and_expired_ones_go(tmp_path: Path) -> None:
    from service.jobs_store import JobStore

    store = JobStore(tmp_path / "jobs.sqlite3", ttl=0.0)
    job = store.submit("k", "simulation", SCENARIO, None, False, 500)
    assert store.claim("dead-worker") is not None
    assert store.recover(stale=0.0) == 1  # its heartbeat is older than 0 s
    again = store.get(job.id, "k")
    assert again is not None
    assert again.state == "queued"
    claimed = store.claim("live-worker")
    assert claimed is not None
    store.finish(job.id, "live-worker", "succeeded", result=b"{}", media_type="application/json")
    store.recover()  # ttl 0: expired at once
    assert store.get(job.id, "k") is None


def test_a_job_that_keeps_killing_its_worker_fails(tmp_path: Path) -> None:
    from service.jobs_store import MAX_ATTEMPTS, JobStore

    store = JobStore(tmp_path / "jobs.sqlite3", ttl=60.0)
    job = store.submit("", "simulation", SCENARIO, None, False, 500)
    for _ in range(MAX_ATTEMPTS):
        assert store.claim("w") is not None
        store.recover(stale=0.0)
    failed = store.get(job.id, "")
    assert failed is not None
    assert failed.state == "failed"
    assert failed.error is not None


def test_without_keys_jobs_are_shared(make_app: Any, tmp_path: Path) -> None:
    app: Flask = make_app(DATA_DIR=str(tmp_path))
    client: FlaskClient
    with app.test_client() as client:
        job = client.post("/v1/jobs", json={"kind": "sensitivity", "input": SCENARIO}).get_json()
        assert client.get(f"/v1/jobs/{job['id']}").get_json()["kind"] == "sensitivity"
        assert client.get("/v1/jobs/nope").status_code == 404


def test_delete_stops_a_running_job(jobs_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The executor's heartbeat learns of the DELETE; the run stops at its next chunk.

    The run waits after its first chunk until the DELETE is answered and then until the
    heartbeat has read it (or a minute has passed, and the run goes on to succeed and
    the test fails): a race against the run's length, which load decided, once let the
    job end before the heartbeat's look."""
    deleted = threading.Event()
    reached = _Tracker.progress
    job: dict[str, Any] = {}

    def progress(self: _Tracker, done: int, total: int) -> None:
        if self.job_id == job["id"]:  # jobs other tests left queued run as ever
            deleted.wait(60)
            give_up = time.monotonic() + 60
            while not self.cancelled and time.monotonic() < give_up:
                time.sleep(0.02)
        reached(self, done, total)

    monkeypatch.setattr(_Tracker, "progress", progress)
    executor = Executor(job_store(jobs_app))
    with jobs_app.test_client() as client:
        body = {"kind": "simulation", "input": {**SCENARIO, "trials": 20_000}}
        job.update(client.post("/v1/jobs", json=body, headers=_headers()).get_json())
        executor.start()
        try:
            deadline = time.monotonic() + 60
            state = job["state"]
            while state != "running":
                assert time.monotonic() < deadline
                time.sleep(0.05)
                state = client.get(f"/v1/jobs/{job['id']}", headers=_headers()).get_json()["state"]
            stopping = client.delete(f"/v1/jobs/{job['id']}", headers=_headers())
            assert stopping.status_code == 202
            assert stopping.get_json()["cancel_requested"] is True
            deleted.set()
            while state == "running":
                assert time.monotonic() < deadline + 60
                time.sleep(0.1)
                state = client.get(f"/v1/jobs/{job['id']}", headers=_headers()).get_json()["state"]
            assert state == "cancelled"
        finally:
            deleted.set()
            executor.stop()


def test_a_stop_request_gives_the_running_job_back_at_once(jobs_app: Flask) -> None:
    """What gunicorn's SIGTERM handler does (service/gunicorn_conf.py): the app's
    executors stop without being waited for, and the running job is queued again at its
    next chunk, not run on to the end while the worker drains."""
    executor = Executor(job_store(jobs_app))
    jobs_app.extensions["detainer_cost.executors"] = [executor]
    with jobs_app.test_client() as client:
        body = {"kind": "simulation", "input": {**SCENARIO, "trials": 100_000, "horizon_years": 30}}
        job = client.post("/v1/jobs", json=body, headers=_headers()).get_json()
        executor.start()
        try:
            deadline = time.monotonic() + 60
            state = job["state"]
            while state != "running":
                assert time.monotonic() < deadline
                time.sleep(0.05)
                state = client.get(f"/v1/jobs/{job['id']}", headers=_headers()).get_json()["state"]
            request_stop(jobs_app)
            assert executor._thread is not None
            executor._thread.join(30)
            assert not executor._thread.is_alive()
            after = client.get(f"/v1/jobs/{job['id']}", headers=_headers()).get_json()
            assert after["state"] == "queued"
            assert after["progress"]["done"] < after["progress"]["total"]
        finally:
            executor.stop()


def test_a_job_whose_scheduler_cannot_be_reached_fails_naming_it(
    make_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing listens on port 9 of the loopback: the job ends failed with a problem
    naming the scheduler (no traceback, none logged), not a logged 500."""
    from service.scaleout import DaskExecutor

    monkeypatch.setattr(DaskExecutor, "TIMEOUT", 0.5)
    app = make_app(DATA_DIR=str(tmp_path))
    with app.test_client() as client:
        job = client.post("/v1/jobs", json={"kind": "rollup", "input": ROLLUP})
        assert job.status_code == 202
        with caplog.at_level("WARNING", logger="detainer_cost.jobs"):
            assert Executor(job_store(app), "tcp://127.0.0.1:9").run_once()
        state = client.get(job.headers["Location"]).get_json()
    assert state["state"] == "failed"
    error = state["error"]
    assert error["status"] == 503
    assert error["title"] == "Dask scheduler unavailable"
    assert error["detail"].startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert "Traceback" not in json.dumps(error)
    assert [r.exc_info for r in caplog.records] == [None]
