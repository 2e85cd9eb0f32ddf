"""The job store: jobs and their results in one database, through SQLAlchemy Core.

Two databases run the same schema:

- **SQLite** (the embedded default): a file under ``DETAINER_COST_DATA_DIR`` in WAL mode
  that every worker process of every server on the machine shares. Write transactions
  begin ``IMMEDIATE``, so there is one writer at a time.
- **PostgreSQL** (``DETAINER_COST_DATABASE_URL``, e.g.
  ``postgresql+psycopg://user:password@host/db``): one database that several service
  replicas share. A worker claims a job with ``SELECT ... FOR UPDATE SKIP LOCKED`` inside
  the ``UPDATE ... RETURNING`` that marks it running, so two replicas never take the
  same job and neither waits for the other's lock. Times (created, heartbeats, expiry)
  are the database server's, so replicas whose clocks disagree still agree on them.

A job is a row: who owns it, what to run (kind, input, report format), its state
(``queued``, ``running``, ``succeeded``, ``failed``, ``cancelled``), its progress, and
when done its result (bytes and media type) or its error (a problem document). Workers
claim queued jobs one at a time, oldest first, in one statement that only changes a row
still queued, so no two run the same job. A running job carries its worker's id and a
heartbeat; a job whose heartbeat is older than ``STALE_SECONDS`` (its worker died) is
queued again, and after ``MAX_ATTEMPTS`` starts it fails. Results are deterministic by
seed, so a job run again gives the same bytes. Finished jobs (with their results) are
deleted ``ttl`` seconds after they finish; queued and running jobs never expire.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Double,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    RowMapping,
    Table,
    Text,
    and_,
    case,
    cast,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

__all__ = [
    "FINISHED",
    "MAX_ATTEMPTS",
    "RECOVERY_LOCK",
    "STALE_SECONDS",
    "STATES",
    "Claimed",
    "Job",
    "JobStore",
    "JobStoreError",
]

STATES = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED = ("succeeded", "failed", "cancelled")
#: Seconds without a heartbeat after which a running job's worker is taken for dead.
STALE_SECONDS = 15.0
#: Starts of one job before it is failed (a job that kills its worker is not retried
#: for ever).
MAX_ATTEMPTS = 3
#: The key of the PostgreSQL advisory lock under which a replica creates the schema (two
#: replicas starting at once would otherwise race to create the same table).
_SCHEMA_LOCK = 0x6A6F6273  # "jobs"
#: The key of the PostgreSQL advisory lock that one replica's recovery holds at a time
#: (two recoveries updating the same rows in different orders could deadlock).
RECOVERY_LOCK = 0x6A6F6274

METADATA = MetaData()
#: The one table. Times are seconds since the epoch; ``input`` and ``error`` are JSON.
#: The SQLite form is the one the store wrote before SQLAlchemy (``CREATE TABLE IF NOT
#: EXISTS`` with these columns), so an existing data directory keeps its jobs.
JOBS = Table(
    "jobs",
    METADATA,
    Column("id", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("input", Text, nullable=False),
    Column("format", Text),
    Column("samples", Boolean, nullable=False, server_default=text("false")),
    Column("state", Text, nullable=False),
    Column("done", Integer, nullable=False, server_default=text("0")),
    Column("total", Integer, nullable=False, server_default=text("0")),
    Column("result", LargeBinary),
    Column("media_type", Text),
    Column("error", Text),
    Column("created", Double, nullable=False),
    Column("started", Double),
    Column("finished", Double),
    Column("expires", Double),
    Column("worker", Text),
    Column("heartbeat", Double),
    Column("cancel_requested", Boolean, nullable=False, server_default=text("false")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Index("jobs_queue", "state", "created"),
)
_STATUS = [
    JOBS.c[name]
    for name in (
        "id",
        "owner",
        "kind",
        "format",
        "samples",
        "state",
        "done",
        "total",
        "media_type",
        "error",
        "created",
        "started",
        "finished",
        "expires",
        "cancel_requested",
        "attempts",
    )
]


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
    def from_row(cls, row: RowMapping) -> Job:
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


class JobStoreError(RuntimeError):
    """The job database cannot be opened (the message names it, without its password)."""


def database_url(location: str | os.PathLike[str]) -> str:
    """The SQLAlchemy URL of ``location``: a URL as it is (``postgresql+psycopg://...``,
    ``sqlite:///...``), a path as the SQLite file there. A PostgreSQL URL that names no
    driver (``postgresql://``, ``postgres://``) takes psycopg 3, the one the ``postgres``
    extra installs."""
    if isinstance(location, str) and "://" in location:
        scheme, rest = location.split("://", 1)
        if scheme in ("postgresql", "postgres"):
            return f"postgresql+psycopg://{rest}"
        return location
    return f"sqlite:///{Path(location)}"


def _sqlite_engine(url: str) -> Engine:
    """An engine on a SQLite file, in WAL mode, whose write transactions (execution
    option ``immediate``) begin IMMEDIATE: one writer at a time, the others waiting up to
    30 s for it (SQLAlchemy's documented recipe for the driver's transactions)."""
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30.0})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver begins nothing by itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class JobStore:
    """Jobs in the database at ``location``.

    Parameters
    ----------
    location : str or Path
        A SQLAlchemy URL (``postgresql+psycopg://user:password@host:5432/db``,
        ``sqlite:///path``), or the path of a SQLite file (its directory is created if
        missing).
    ttl : float
        Seconds a finished job and its result are kept.
    """

    def __init__(self, location: str | os.PathLike[str], ttl: float) -> None:
        self.url = database_url(location)
        self.ttl = ttl
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._pid = 0
        self._closer: Any = None  # weakref.finalize: disposes of the engine
        try:
            with self._write() as db:
                if db.dialect.name == "postgresql":
                    db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
                METADATA.create_all(db)
        except ModuleNotFoundError as exc:
            raise JobStoreError(
                f"the job database {self._shown()} needs the Python module {exc.name}, "
                "which is not installed (the postgres extra, pip install "
                "'detainer-cost[postgres]', installs psycopg 3 for postgresql+psycopg:// URLs)"
            ) from exc
        except (SQLAlchemyError, OSError) as exc:  # OSError: the SQLite file's directory
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise JobStoreError(
                f"the job database {self._shown()} cannot be opened: {reason}"
            ) from exc

    def _now(self) -> Any:
        """The time (seconds since the epoch) the store writes and compares: this
        machine's clock on SQLite (one machine's file), the database server's on
        PostgreSQL, so that replicas whose clocks disagree still agree on which job's
        heartbeat is stale and which result has expired."""
        if self.dialect == "postgresql":
            return cast(func.extract("epoch", func.statement_timestamp()), Double)
        return time.time()

    def _shown(self) -> str:
        """The URL, its password hidden."""
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except SQLAlchemyError:
            return "(an unreadable URL)"

    @property
    def dialect(self) -> str:
        """The database's kind: ``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @property
    def engine(self) -> Engine:
        """This process's engine (a forked process opens its own connections)."""
        with self._lock:
            if self._engine is None or self._pid != os.getpid():
                if self._engine is not None:
                    self._closer.detach()
                    self._engine.dispose(close=False)  # the parent's connections stay its own
                if self.url.startswith("sqlite"):
                    self._engine = _sqlite_engine(self.url)
                else:
                    # Two connections kept per process (the executor's and its heartbeat's),
                    # up to ten more for requests at busy times; checked before use, so a
                    # restarted database costs no failed request.
                    self._engine = create_engine(
                        self.url, pool_pre_ping=True, pool_size=2, max_overflow=10
                    )
                self._pid = os.getpid()
                # A store dropped (an app's, a test's) closes its pooled connections.
                self._closer = weakref.finalize(self, self._engine.dispose)
            return self._engine

    def close(self) -> None:
        """Close the database connections (the store opens them again when used)."""
        with self._lock:
            if self._engine is not None:
                self._closer()
                self._engine = None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction, committed at the end (rolled back on an exception)."""
        with self.engine.connect() as db:
            db.execution_options(immediate=True)
            with db.begin():
                yield db

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as db:
            yield db

    def submit(
        self, owner: str, kind: str, body: Any, fmt: str | None, samples: bool, total: int
    ) -> Job:
        """Queue a job; it is in the database (committed) when this returns."""
        job_id = uuid.uuid4().hex
        with self._write() as db:
            db.execute(
                insert(JOBS).values(
                    id=job_id,
                    owner=owner,
                    kind=kind,
                    input=json.dumps(body),
                    format=fmt,
                    samples=samples,
                    state="queued",
                    total=total,
                    created=self._now(),
                )
            )
        job = self.get(job_id, owner)
        assert job is not None
        return job

    def _visible(self, job_id: str, owner: str) -> Any:
        """Job ``job_id`` of ``owner``, unexpired."""
        return and_(
            JOBS.c.id == job_id,
            JOBS.c.owner == owner,
            or_(JOBS.c.expires.is_(None), JOBS.c.expires > self._now()),
        )

    def get(self, job_id: str, owner: str) -> Job | None:
        """The job ``job_id`` if ``owner`` owns it and it has not expired."""
        with self._read() as db:
            row = db.execute(select(*_STATUS).where(self._visible(job_id, owner))).first()
        return None if row is None else Job.from_row(row._mapping)

    def result(self, job_id: str, owner: str) -> tuple[bytes, str] | None:
        """The result bytes and media type of a succeeded job ``owner`` owns."""
        query = select(JOBS.c.result, JOBS.c.media_type).where(
            self._visible(job_id, owner), JOBS.c.state == "succeeded"
        )
        with self._read() as db:
            row = db.execute(query).first()
        return None if row is None else (bytes(row.result), row.media_type)

    def cancel(self, job_id: str, owner: str) -> Job | None:
        """Cancel a queued job at once, ask a running one to stop. Returns the job as it
        now is (None when unknown)."""
        now = self._now()
        mine = and_(JOBS.c.id == job_id, JOBS.c.owner == owner)
        with self._write() as db:
            db.execute(
                update(JOBS)
                .where(mine, JOBS.c.state == "queued")
                .values(state="cancelled", finished=now, expires=now + self.ttl)
            )
            db.execute(
                update(JOBS).where(mine, JOBS.c.state == "running").values(cancel_requested=True)
            )
        return self.get(job_id, owner)

    def delete(self, job_id: str, owner: str) -> bool:
        """Delete a finished job ``owner`` owns; whether one was deleted."""
        with self._write() as db:
            deleted = db.execute(
                delete(JOBS).where(
                    JOBS.c.id == job_id, JOBS.c.owner == owner, JOBS.c.state.in_(FINISHED)
                )
            )
            return deleted.rowcount > 0

    # --- the workers' side ----------------------------------------------------------

    def claim(self, worker: str) -> Claimed | None:
        """Take the oldest queued job for ``worker`` (None when there is none).

        One statement: the oldest queued row, locked and skipped by other claimers on
        PostgreSQL (``FOR UPDATE SKIP LOCKED``; SQLite has one writer at a time), becomes
        this worker's, and only while it is still queued.
        """
        now = self._now()
        queued = JOBS.alias("queued")  # not correlated with the UPDATE's table
        oldest = (
            select(queued.c.id)
            .where(queued.c.state == "queued")
            .order_by(queued.c.created, queued.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        statement = (
            update(JOBS)
            .where(JOBS.c.id == oldest, JOBS.c.state == "queued")
            .values(
                state="running",
                worker=worker,
                heartbeat=now,
                started=now,
                done=0,
                attempts=JOBS.c.attempts + 1,
            )
            .returning(JOBS.c.id, JOBS.c.kind, JOBS.c.input, JOBS.c.format, JOBS.c.samples)
        )
        with self._write() as db:
            row = db.execute(statement).first()
        if row is None:
            return None
        return Claimed(row.id, row.kind, json.loads(row.input), row.format, bool(row.samples))

    def _running(self, job_id: str, worker: str) -> Any:
        return and_(JOBS.c.id == job_id, JOBS.c.worker == worker, JOBS.c.state == "running")

    def heartbeat(self, job_id: str, worker: str, done: int, total: int) -> bool:
        """Record progress; whether the job is still this worker's and not asked to stop."""
        with self._write() as db:
            row = db.execute(
                update(JOBS)
                .where(self._running(job_id, worker))
                .values(heartbeat=self._now(), done=done, total=total)
                .returning(JOBS.c.cancel_requested)
            ).first()
        return row is not None and not row.cancel_requested

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
        now = self._now()
        with self._write() as db:
            db.execute(
                update(JOBS)
                .where(self._running(job_id, worker))
                .values(
                    state=state,
                    result=result,
                    media_type=media_type,
                    error=None if error is None else json.dumps(error),
                    finished=now,
                    expires=now + self.ttl,
                    done=JOBS.c.total if state == "succeeded" else JOBS.c.done,
                    worker=None,
                )
            )

    def requeue(self, job_id: str, worker: str) -> None:
        """Give back a job this worker will not finish (it is stopping)."""
        with self._write() as db:
            db.execute(
                update(JOBS)
                .where(self._running(job_id, worker))
                .values(
                    state="queued",
                    worker=None,
                    heartbeat=None,
                    attempts=case((JOBS.c.attempts > 0, JOBS.c.attempts - 1), else_=0),
                )
            )

    def recover(self, stale: float = STALE_SECONDS) -> int:
        """Queue again the running jobs whose worker stopped beating (fail those started
        ``MAX_ATTEMPTS`` times), and delete expired finished ones. Returns how many were
        queued again (0 when another replica's recovery is under way on PostgreSQL)."""
        now = self._now()
        dead = and_(JOBS.c.state == "running", JOBS.c.heartbeat < now - stale)
        crashed = {
            "type": "urn:detainer-cost:problem:job-crashed",
            "title": "Job failed",
            "status": 500,
            "detail": f"the job stopped its worker {MAX_ATTEMPTS} times",
        }
        with self._write() as db:
            if db.dialect.name == "postgresql" and not db.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": RECOVERY_LOCK}
            ):
                return 0  # another replica is recovering; this one tries again later
            db.execute(
                update(JOBS)
                .where(dead, JOBS.c.attempts >= MAX_ATTEMPTS)
                .values(
                    state="failed",
                    worker=None,
                    finished=now,
                    expires=now + self.ttl,
                    error=json.dumps(crashed),
                )
            )
            requeued = db.execute(
                update(JOBS).where(dead).values(state="queued", worker=None, heartbeat=None)
            ).rowcount
            db.execute(delete(JOBS).where(JOBS.c.expires.is_not(None), JOBS.c.expires <= now))
        return requeued
