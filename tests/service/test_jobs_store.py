"""The job store on both of its databases: every test runs on SQLite (the embedded
default) and on a real PostgreSQL server (tests/service/postgres.py; `slow`: the server
takes seconds to initialise). Restart survival, expiry, per-key ownership, and claiming
by many workers of two stores on one database (two replicas), each job exactly once."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from benchmarks.load import free_port
from service import create_app, jobs_store
from service.jobs import Executor, job_store
from service.jobs_store import (
    MAX_ATTEMPTS,
    RECOVERY_LOCK,
    JobStore,
    JobStoreError,
    database_url,
)

from .conftest import SCENARIO, ContractClient
from .postgres import PostgresServer


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a store's database is: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "data" / "jobs.sqlite3"
    server: PostgresServer = request.getfixturevalue("postgresql")
    return server.database()


def _kind(location: str | Path) -> str:
    return "sqlite" if isinstance(location, Path) else "postgresql"


def test_a_job_goes_from_queued_to_its_result(location: str | Path) -> None:
    store = JobStore(location, ttl=60.0)
    assert store.dialect == _kind(location)
    job = store.submit("k", "report", {"trials": 10, "name": "é"}, "pdf", True, 500)
    assert (job.state, job.format, job.samples, job.total, job.attempts) == (
        "queued", "pdf", True, 500, 0,
    )  # fmt: skip
    claimed = store.claim("w1")
    assert claimed is not None
    assert (claimed.id, claimed.kind, claimed.format, claimed.samples) == (
        job.id, "report", "pdf", True,
    )  # fmt: skip
    assert claimed.input == {"trials": 10, "name": "é"}
    assert store.claim("w2") is None  # nothing else queued
    assert store.heartbeat(job.id, "w1", 200, 500)
    assert not store.heartbeat(job.id, "w2", 300, 500)  # not w2's job
    running = store.get(job.id, "k")
    assert running is not None
    assert (running.state, running.done, running.attempts) == ("running", 200, 1)
    assert store.result(job.id, "k") is None
    body = bytes(range(256)) * 40  # every byte value survives the column
    store.finish(job.id, "w1", "succeeded", result=body, media_type="application/pdf")
    done = store.get(job.id, "k")
    assert done is not None
    assert (done.state, done.done, done.media_type) == ("succeeded", 500, "application/pdf")
    assert done.finished is not None
    assert done.expires == pytest.approx(done.finished + 60.0)
    assert store.result(job.id, "k") == (body, "application/pdf")


def test_a_job_belongs_to_its_owner(location: str | Path) -> None:
    store = JobStore(location, ttl=60.0)
    job = store.submit("alpha", "simulation", SCENARIO, None, False, 500)
    assert store.get(job.id, "beta") is None
    assert store.cancel(job.id, "beta") is None
    again = store.get(job.id, "alpha")
    assert again is not None
    assert again.state == "queued"  # beta's cancel did nothing
    claimed = store.claim("w")
    assert claimed is not None
    store.finish(job.id, "w", "succeeded", result=b"{}", media_type="application/json")
    assert store.result(job.id, "beta") is None
    assert not store.delete(job.id, "beta")
    assert store.result(job.id, "alpha") == (b"{}", "application/json")
    assert store.delete(job.id, "alpha")
    assert store.get(job.id, "alpha") is None


def test_jobs_survive_a_restart(location: str | Path) -> None:
    """A new store on the same database (the next start of the server) has every job:
    the queued one is claimed, the one a dead worker ran is queued again."""
    before = JobStore(location, ttl=60.0)
    running = before.submit("k", "simulation", SCENARIO, None, False, 500)
    queued = before.submit("k", "rollup", {"rows": []}, None, False, 900)
    assert before.claim("gone") is not None
    before.close()
    after = JobStore(location, ttl=60.0)
    assert after.recover(stale=0.0) == 1
    first, second = after.claim("w"), after.claim("w")
    assert first is not None
    assert second is not None
    assert [first.id, second.id] == [running.id, queued.id]  # oldest first
    assert second.input == {"rows": []}
    again = after.get(running.id, "k")
    assert again is not None
    assert again.attempts == 2


def test_cancel_delete_and_requeue(location: str | Path) -> None:
    store = JobStore(location, ttl=60.0)
    queued = store.submit("", "simulation", SCENARIO, None, False, 500)
    running = store.submit("", "simulation", SCENARIO, None, False, 500)
    cancelled = store.cancel(queued.id, "")
    assert cancelled is not None
    assert cancelled.state == "cancelled"
    assert cancelled.expires is not None
    assert store.claim("w") is not None  # the cancelled one is not claimed: `running` is
    assert not store.delete(running.id, "")  # a running job is cancelled, never deleted
    asked = store.cancel(running.id, "")
    assert asked is not None
    assert (asked.state, asked.cancel_requested) == ("running", True)
    assert not store.heartbeat(running.id, "w", 1, 500)  # told to stop
    store.requeue(running.id, "other")  # not other's job: nothing happens
    still = store.get(running.id, "")
    assert still is not None
    assert still.state == "running"
    store.requeue(running.id, "w")
    given_back = store.get(running.id, "")
    assert given_back is not None
    assert (given_back.state, given_back.attempts) == ("queued", 0)  # a stop is no attempt
    assert store.delete(queued.id, "")
    assert store.get(queued.id, "") is None


def test_a_worker_that_lost_its_job_cannot_finish_it(location: str | Path) -> None:
    """A worker taken for dead whose job another worker claimed: its late finish is
    dropped, so the job has one result, the live worker's."""
    store = JobStore(location, ttl=60.0)
    job = store.submit("", "simulation", SCENARIO, None, False, 500)
    assert store.claim("slow") is not None
    assert store.recover(stale=0.0) == 1
    assert store.claim("live") is not None
    store.finish(job.id, "slow", "failed", error={"status": 500})
    assert not store.heartbeat(job.id, "slow", 1, 500)
    state = store.get(job.id, "")
    assert state is not None
    assert (state.state, state.attempts) == ("running", 2)
    store.finish(job.id, "live", "succeeded", result=b"live", media_type="text/plain")
    assert store.result(job.id, "") == (b"live", "text/plain")


def test_a_job_that_keeps_killing_its_worker_fails(location: str | Path) -> None:
    store = JobStore(location, ttl=60.0)
    job = store.submit("", "simulation", SCENARIO, None, False, 500)
    for _ in range(MAX_ATTEMPTS):
        assert store.claim("w") is not None
        store.recover(stale=0.0)
    failed = store.get(job.id, "")
    assert failed is not None
    assert failed.state == "failed"
    assert failed.error is not None
    assert failed.error["type"] == "urn:detainer-cost:problem:job-crashed"
    assert store.claim("w") is None


def test_finished_jobs_expire_and_unfinished_ones_never(location: str | Path) -> None:
    store = JobStore(location, ttl=0.0)
    finished = store.submit("k", "simulation", SCENARIO, None, False, 500)
    waiting = store.submit("k", "simulation", SCENARIO, None, False, 500)
    assert store.claim("w") is not None
    store.finish(finished.id, "w", "succeeded", result=b"{}", media_type="application/json")
    assert store.get(finished.id, "k") is None  # expired at once: hidden before it is deleted
    assert store.result(finished.id, "k") is None
    store.recover()
    kept = store.get(waiting.id, "k")
    assert kept is not None
    assert kept.state == "queued"
    assert kept.expires is None


def test_two_replicas_claim_each_job_exactly_once(location: str | Path) -> None:
    """Two stores on one database (two replicas, each with its own connections), four
    claiming threads each, racing for 40 jobs: every job is claimed once."""
    replicas = [JobStore(location, ttl=60.0), JobStore(location, ttl=60.0)]
    submitted = {replicas[i % 2].submit("k", "simulation", {"i": i}, None, False, 1).id
                 for i in range(40)}  # fmt: skip
    claims: list[tuple[str, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def claimer(store: JobStore, worker: str) -> None:
        start.wait()
        while (claimed := store.claim(worker)) is not None:
            with lock:
                claims.append((claimed.id, worker))
            store.finish(claimed.id, worker, "succeeded", result=b"1", media_type="text/plain")

    threads = [
        threading.Thread(target=claimer, args=(store, f"r{r}-t{t}"))
        for r, store in enumerate(replicas)
        for t in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    counts = Counter(job_id for job_id, _ in claims)
    assert set(counts) == submitted
    assert set(counts.values()) == {1}
    assert {worker[:2] for _, worker in claims} == {"r0", "r1"}  # both replicas worked
    for job_id in submitted:
        job = replicas[0].get(job_id, "k")
        assert job is not None
        assert (job.state, job.attempts) == ("succeeded", 1)


@pytest.mark.slow
def test_replicas_whose_clocks_disagree_agree_on_stale_jobs(
    postgresql: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the store's times are the database's: a replica whose clock runs an
    hour ahead neither takes a live job for dead nor an unexpired result for expired."""
    url = postgresql.database()
    store = JobStore(url, ttl=600.0)
    live = store.submit("k", "simulation", SCENARIO, None, False, 500)
    finished = store.submit("k", "simulation", SCENARIO, None, False, 500)
    assert store.claim("w") is not None
    assert store.claim("w") is not None
    store.finish(finished.id, "w", "succeeded", result=b"{}", media_type="application/json")

    class Ahead:
        @staticmethod
        def time() -> float:
            return time.time() + 3600.0

    monkeypatch.setattr(jobs_store, "time", Ahead)
    ahead = JobStore(url, ttl=600.0)
    assert ahead.recover() == 0
    running = ahead.get(live.id, "k")
    assert running is not None
    assert running.state == "running"
    assert ahead.result(finished.id, "k") == (b"{}", "application/json")
    assert abs(running.created - time.time()) < 60  # the database's clock, not the replica's


@pytest.mark.slow
def test_one_replica_recovers_at_a_time(postgresql: PostgresServer) -> None:
    """Recovery updates many rows: while one replica's runs (it holds the advisory lock),
    another's does nothing rather than risk a deadlock, and does the work once it may."""
    url = postgresql.database()
    store = JobStore(url, ttl=60.0)
    store.submit("k", "simulation", SCENARIO, None, False, 500)
    assert store.claim("dead") is not None
    with store.engine.connect() as other, other.begin():
        held = other.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": RECOVERY_LOCK})
        assert held
        assert store.recover(stale=0.0) == 0
    assert store.recover(stale=0.0) == 1


# The schema the store created with the standard library's sqlite3, before SQLAlchemy.
_OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL, input TEXT NOT NULL,
    format TEXT, samples INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0, result BLOB,
    media_type TEXT, error TEXT, created REAL NOT NULL, started REAL, finished REAL,
    expires REAL, worker TEXT, heartbeat REAL, cancel_requested INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (state, created);
"""


def test_an_existing_sqlite_data_directory_keeps_its_jobs(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(_OLD_SCHEMA)
        db.execute(
            "INSERT INTO jobs (id, owner, kind, input, format, samples, state, total, created) "
            "VALUES ('old', 'k', 'report', '{\"trials\": 5}', 'csv', 1, 'queued', 5, ?)",
            (time.time(),),
        )
    store = JobStore(path, ttl=60.0)
    job = store.get("old", "k")
    assert job is not None
    assert (job.samples, job.cancel_requested, job.format) == (True, False, "csv")
    claimed = store.claim("w")
    assert claimed is not None
    assert (claimed.id, claimed.input, claimed.samples) == ("old", {"trials": 5}, True)


def test_a_url_is_a_database_and_a_path_a_sqlite_file(tmp_path: Path) -> None:
    assert JobStore(f"sqlite:///{tmp_path / 'a.db'}", ttl=1.0).dialect == "sqlite"
    assert (tmp_path / "a.db").exists()
    JobStore(tmp_path / "new" / "dir" / "b.db", ttl=1.0)
    assert (tmp_path / "new" / "dir" / "b.db").exists()


def test_a_postgresql_url_without_a_driver_takes_psycopg() -> None:
    for scheme in ("postgresql", "postgres"):
        assert (
            database_url(f"{scheme}://u:p@db:5432/jobs") == "postgresql+psycopg://u:p@db:5432/jobs"
        )
    assert database_url("postgresql+psycopg://u@db/jobs") == "postgresql+psycopg://u@db/jobs"
    assert database_url(Path("/data/jobs.sqlite3")) == "sqlite:////data/jobs.sqlite3"


def test_a_database_that_cannot_be_opened_is_named_without_its_password(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    with pytest.raises(
        JobStoreError, match=rf"u:\*\*\*@127\.0\.0\.1:{closed}/jobs cannot be opened"
    ):
        JobStore(f"postgresql://u:hunter2@127.0.0.1:{closed}/jobs", ttl=1.0)
    with pytest.raises(JobStoreError, match="needs the Python module psycopg2"):
        JobStore("postgresql+psycopg2://u@127.0.0.1/jobs", ttl=1.0)
    (tmp_path / "file").write_text("")
    with pytest.raises(JobStoreError, match=r"file/jobs\.sqlite3 cannot be opened"):
        JobStore(tmp_path / "file" / "jobs.sqlite3", ttl=1.0)  # a file where a directory goes


@pytest.mark.slow
def test_the_service_keeps_jobs_in_the_database_it_is_given(
    postgresql: PostgresServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """DETAINER_COST_DATABASE_URL puts the service's jobs on PostgreSQL: a job submitted
    by HTTP, run by an executor of another app on the same database (another replica),
    gives the synchronous route's bytes."""
    url = postgresql.database()
    monkeypatch.setenv("DETAINER_COST_DATABASE_URL", url)
    apps: list[Flask] = []
    for _ in range(2):
        app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)})
        app.test_client_class = ContractClient
        apps.append(app)
    assert job_store(apps[0]).dialect == "postgresql"
    assert job_store(apps[0]).url == url
    plain = JobStore(url.replace("postgresql+psycopg://", "postgresql://"), ttl=1.0)
    assert plain.dialect == "postgresql"  # the same database, by psycopg
    assert not (tmp_path / "jobs.sqlite3").exists()
    body: dict[str, Any] = {**SCENARIO, "trials": 300}
    with apps[0].test_client() as client:
        submitted = client.post("/v1/jobs", json={"kind": "simulation", "input": body})
        assert submitted.status_code == 202
        job_id = submitted.get_json()["id"]
        assert Executor(job_store(apps[1])).run_once()
        with apps[1].test_client() as other:
            state = other.get(f"/v1/jobs/{job_id}").get_json()
            assert state["state"] == "succeeded"
            result = other.get(state["result_url"])
        assert result.get_data() == client.post("/v1/simulations", json=body).get_data()
