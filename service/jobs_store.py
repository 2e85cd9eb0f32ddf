"""The job store: jobs and their results in one SQLite database (standard library
``sqlite3``, WAL mode) that every worker process of every server on the machine shares.

A job is a row: who owns it, what to run (kind, input, report format), its state
(``queued``, ``running``, ``succeeded``, ``failed``, ``cancelled``), its progress, and
when done its result (bytes and media type) or its error (a problem document). Workers
claim queued jobs one at a time in a write transaction, so no two run the same job. A
running job carries its worker's id and a heartbeat; a job whose heartbeat is older
than ``STALE_SECONDS`` (its worker died) is queued again, and after ``MAX_ATTEMPTS``
starts it fails. Results are deterministic by seed, so a job run again gives the same
bytes. Finished jobs (with their results) are deleted ``ttl`` seconds after they finish;
queued and running jobs never expire.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "FINISHED",
    "MAX_ATTEMPTS",
    "STALE_SECONDS",
    "STATES",
    "Job",
    "JobStore",
]

STATES = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED = ("succeeded", "failed", "cancelled")
#: Seconds without a heartbeat after which a running job's worker is taken for dead.
STALE_SECONDS = 15.0
#: Starts of one job before it is failed (a job that kills its worker is not retried
#: for ever).
MAX_ATTEMPTS = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    input TEXT NOT NULL,
    format TEXT,
    samples INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    result BLOB,
    media_type TEXT,
    error TEXT,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    expires REAL,
    worker TEXT,
    heartbeat REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (state, created);
"""

_STATUS_COLUMNS = (
    "id, owner, kind, format, samples, state, done, total, media_type, error, created, "
    "started, finished, expires, cancel_requested, attempts"
)


@dataclass(frozen=True)
class Job:
    """A job's record, without its input and result."""

    id: str
    owner: str
    kind: str
    format: str | None
    samples: bool
    state: str
    done: int
    total: int
    media_type: str | None
    error: Mapping[str, Any] | None
    created: float
    started: float | None
    finished: float | None
    expires: float | None
    cancel_requested: bool
    attempts: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        """A job from its status columns."""
        error = json.loads(row["error"]) if row["error"] else None
        return cls(
            row["id"],
            row["owner"],
            row["kind"],
            row["format"],
            bool(row["samples"]),
            row["state"],
            row["done"],
            row["total"],
            row["media_type"],
            error,
            row["created"],
            row["started"],
            row["finished"],
            row["expires"],
            bool(row["cancel_requested"]),
            row["attempts"],
        )


@dataclass(frozen=True)
class Claimed:
    """A job a worker claimed: its id, kind, input and report options."""

    id: str
    kind: str
    input: Any
    format: str | None
    samples: bool


class JobStore:
    """Jobs in the SQLite database ``path``.

    Parameters
    ----------
    path : str or Path
        The database file; its directory is created if missing.
    ttl : float
        Seconds a finished job and its result are kept.
    """

    def __init__(self, path: str | os.PathLike[str], ttl: float) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.ttl = ttl
        self._local = threading.local()
        self._connection().executescript(_SCHEMA)  # commits by itself

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE: one writer at a time)."""
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def submit(
        self, owner: str, kind: str, body: Any, fmt: str | None, samples: bool, total: int
    ) -> Job:
        """Queue a job; it is on disk when this returns."""
        job_id = uuid.uuid4().hex
        with self._connect() as db:
            db.execute(
                "INSERT INTO jobs (id, owner, kind, input, format, samples, state, total, "
                "created) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
                (job_id, owner, kind, json.dumps(body), fmt, int(samples), total, time.time()),
            )
        job = self.get(job_id, owner)
        assert job is not None
        return job

    def get(self, job_id: str, owner: str) -> Job | None:
        """The job ``job_id`` if ``owner`` owns it and it has not expired."""
        row = (
            self._connection()
            .execute(
                f"SELECT {_STATUS_COLUMNS} FROM jobs WHERE id = ? AND owner = ? "
                "AND (expires IS NULL OR expires > ?)",
                (job_id, owner, time.time()),
            )
            .fetchone()
        )
        return None if row is None else Job.from_row(row)

    def result(self, job_id: str, owner: str) -> tuple[bytes, str] | None:
        """The result bytes and media type of a succeeded job ``owner`` owns."""
        row = (
            self._connection()
            .execute(
                "SELECT result, media_type FROM jobs WHERE id = ? AND owner = ? "
                "AND state = 'succeeded' AND (expires IS NULL OR expires > ?)",
                (job_id, owner, time.time()),
            )
            .fetchone()
        )
        return None if row is None else (bytes(row["result"]), row["media_type"])

    def cancel(self, job_id: str, owner: str) -> Job | None:
        """Cancel a queued job at once, ask a running one to stop, delete a finished one
        (with its result). Returns the job as it now is (None once deleted or unknown)."""
        now = time.time()
        with self._connect() as db:
            db.execute(
                "UPDATE jobs SET state = 'cancelled', finished = ?, expires = ? "
                "WHERE id = ? AND owner = ? AND state = 'queued'",
                (now, now + self.ttl, job_id, owner),
            )
            db.execute(
                "UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND owner = ? "
                "AND state = 'running'",
                (job_id, owner),
            )
        return self.get(job_id, owner)

    def delete(self, job_id: str, owner: str) -> bool:
        """Delete a finished job ``owner`` owns; whether one was deleted."""
        with self._connect() as db:
            cursor = db.execute(
                "DELETE FROM jobs WHERE id = ? AND owner = ? AND state IN "
                "('succeeded', 'failed', 'cancelled')",
                (job_id, owner),
            )
            return cursor.rowcount > 0

    # --- the workers' side ----------------------------------------------------------

    def claim(self, worker: str) -> Claimed | None:
        """Take the oldest queued job for ``worker`` (None when there is none)."""
        now = time.time()
        with self._connect() as db:
            row = db.execute(
                "SELECT id, kind, input, format, samples FROM jobs WHERE state = 'queued' "
                "ORDER BY created LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET state = 'running', worker = ?, heartbeat = ?, started = ?, "
                "done = 0, attempts = attempts + 1 WHERE id = ?",
                (worker, now, now, row["id"]),
            )
        return Claimed(
            row["id"], row["kind"], json.loads(row["input"]), row["format"], bool(row["samples"])
        )

    def heartbeat(self, job_id: str, worker: str, done: int, total: int) -> bool:
        """Record progress; whether the job is still this worker's and not asked to stop."""
        with self._connect() as db:
            db.execute(
                "UPDATE jobs SET heartbeat = ?, done = ?, total = ? WHERE id = ? AND worker = ? "
                "AND state = 'running'",
                (time.time(), done, total, job_id, worker),
            )
            row = db.execute(
                "SELECT cancel_requested, state, worker FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
        return (
            row is not None
            and row["state"] == "running"
            and row["worker"] == worker
            and not row["cancel_requested"]
        )

    def finish(
        self,
        job_id: str,
        worker: str,
        state: str,
        *,
        result: bytes | None = None,
        media_type: str | None = None,
        error: Mapping[str, Any] | None = None,
    ) -> None:
        """Record the end of a job this worker ran."""
        now = time.time()
        with self._connect() as db:
            db.execute(
                "UPDATE jobs SET state = ?, result = ?, media_type = ?, error = ?, "
                "finished = ?, expires = ?, done = CASE WHEN ? = 'succeeded' THEN total "
                "ELSE done END, worker = NULL WHERE id = ? AND worker = ? AND state = 'running'",
                (
                    state,
                    result,
                    media_type,
                    None if error is None else json.dumps(error),
                    now,
                    now + self.ttl,
                    state,
                    job_id,
                    worker,
                ),
            )

    def requeue(self, job_id: str, worker: str) -> None:
        """Give back a job this worker will not finish (it is stopping)."""
        with self._connect() as db:
            db.execute(
                "UPDATE jobs SET state = 'queued', worker = NULL, heartbeat = NULL, "
                "attempts = MAX(attempts - 1, 0) WHERE id = ? AND worker = ? "
                "AND state = 'running'",
                (job_id, worker),
            )

    def recover(self, stale: float = STALE_SECONDS) -> int:
        """Queue again the running jobs whose worker stopped beating (fail those started
        ``MAX_ATTEMPTS`` times), and delete expired finished ones. Returns how many were
        queued again."""
        now = time.time()
        with self._connect() as db:
            db.execute(
                "UPDATE jobs SET state = 'failed', worker = NULL, finished = ?, expires = ?, "
                "error = ? WHERE state = 'running' AND heartbeat < ? AND attempts >= ?",
                (
                    now,
                    now + self.ttl,
                    json.dumps(
                        {
                            "type": "urn:detainer-cost:problem:job-crashed",
                            "title": "Job failed",
                            "status": 500,
                            "detail": f"the job stopped its worker {MAX_ATTEMPTS} times",
                        }
                    ),
                    now - stale,
                    MAX_ATTEMPTS,
                ),
            )
            cursor = db.execute(
                "UPDATE jobs SET state = 'queued', worker = NULL, heartbeat = NULL "
                "WHERE state = 'running' AND heartbeat < ?",
                (now - stale,),
            )
            requeued = cursor.rowcount
            db.execute("DELETE FROM jobs WHERE expires IS NOT NULL AND expires <= ?", (now,))
        return requeued
