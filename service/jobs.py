"""Jobs: work longer than a request (``POST /v1/jobs``, ``GET /v1/jobs/{id}``,
``GET /v1/jobs/{id}/result``, ``DELETE /v1/jobs/{id}``), kept in the SQLite job store
(:mod:`service.jobs_store`) under ``DETAINER_COST_DATA_DIR`` and run by executor threads
in the service's worker processes.

A job's input is exactly the body its synchronous route takes; it is validated (shape,
values and the job work budget) when the job is submitted, so a bad input is a 422 then,
never a failed job. Each job belongs to the API key that submitted it (by its SHA-256);
another key sees a 404. Results are deterministic by seed: a job re-run after a restart
gives the same bytes as the synchronous route.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from models.analyses import compare, portfolio, sensitivity
from models.analyses.common import WorkItem
from models.analyses.rollup import rollup
from models.engine import simulate
from models.errors import ScenarioError, pointer
from models.presets import parse_expanded

from .http import json_body, json_response, require_api_key
from .jobs_store import FINISHED, Job, JobStore
from .limits import check_work
from .problems import (
    ApiProblem,
    InvalidBody,
    NotFound,
    PointerError,
    WorkBudgetExceeded,
)
from .scaleout import DaskExecutor, ScaleoutError, scheduler_address
from .schemas import load_body

__all__ = ["KINDS", "Executor", "bp", "job_store", "start_executors"]

log = logging.getLogger("detainer_cost.jobs")
bp = Blueprint("jobs", __name__, url_prefix="/v1")
bp.before_request(require_api_key)

KINDS = ("simulation", "comparison", "sensitivity", "portfolio", "rollup", "report")
REPORT_FORMATS = ("html", "pdf", "xlsx", "csv")
#: Seconds between an idle executor's looks at the queue.
POLL_SECONDS = 0.5
#: Seconds between a running job's heartbeats (progress and cancel checks).
BEAT_SECONDS = 1.0
DATA_FILE = "jobs.sqlite3"


def _dumps(data: Any) -> bytes:
    """The bytes ``json_response`` sends: the same as the synchronous route's."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()


class _Valid(Exception):
    """Raised by the validating budget once the inputs are valid: carries the work."""

    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.total = total


Progress = Callable[[int, int], None]
Cancel = Callable[[], None]
Budget = Callable[[list[WorkItem]], None]


def _run(
    kind: str,
    body: Mapping[str, Any],
    *,
    fmt: str | None = None,
    samples: bool = False,
    budget: Budget | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    executor: DaskExecutor | None = None,
) -> tuple[bytes, str]:
    """Run job ``kind`` on ``body`` (the synchronous route's body); the result's bytes
    and media type. With a raising ``budget`` it stops once the inputs are valid; a
    roll-up's or a portfolio's members run on ``executor`` when one is given (the
    same bytes)."""
    if kind == "simulation":
        scenario = parse_expanded(body)
        if budget is not None:
            budget([(("trials",), scenario.trials, scenario.horizon_years)])
        result: Any = simulate(scenario, progress=progress, cancel=cancel)
    elif kind == "comparison":
        result = compare(
            body["baseline"], body["alternatives"], budget=budget, progress=progress, cancel=cancel
        )
    elif kind == "sensitivity":
        result = sensitivity(body, budget=budget, progress=progress, cancel=cancel)
    elif kind == "portfolio":
        result = portfolio(
            body["members"],
            threshold=body.get("threshold"),
            seed=body.get("seed"),
            shared=body.get("shared"),
            budget=budget,
            progress=progress,
            cancel=cancel,
            executor=executor,
        )
    elif kind == "rollup":
        result = rollup(
            body["base"],
            body["rows"],
            shared=body.get("shared"),
            threshold=body.get("threshold"),
            seed=body.get("seed"),
            budget=budget,
            progress=progress,
            cancel=cancel,
            executor=executor,
        )
    else:
        return _report(body, fmt or "html", samples, budget, progress, cancel, executor)
    return _dumps(result.to_dict()), "application/json"


def _report(
    body: Mapping[str, Any],
    fmt: str,
    samples: bool,
    budget: Budget | None,
    progress: Progress | None,
    cancel: Cancel | None,
    executor: DaskExecutor | None = None,
) -> tuple[bytes, str]:
    from .reports import render
    from .runner import build_report

    if "rows" in body:  # a roll-up's report
        from .reports.rollup import render_rollup_of, with_report_percentiles

        body = with_report_percentiles(body)
        result = rollup(
            body["base"],
            body["rows"],
            shared=body.get("shared"),
            threshold=body.get("threshold"),
            seed=body.get("seed"),
            budget=budget,
            progress=progress,
            cancel=cancel,
            executor=executor,
        )
        rendered = render_rollup_of(result, fmt, body["base"], check=cancel)
        return rendered.body, rendered.media_type
    report, _ = build_report(body, budget=budget, progress=progress, cancel=cancel)
    rendered = render(report, fmt, samples=samples, check=cancel)
    return rendered.body, rendered.media_type


# --- the store and the executors --------------------------------------------------------


def _data_dir(app: Flask) -> Path:
    configured = app.config.get("DATA_DIR") or os.environ.get("DETAINER_COST_DATA_DIR")
    if configured:
        return Path(configured)
    if app.config.get("TESTING"):  # never a file in the working directory from a test
        return Path(tempfile.mkdtemp(prefix="detainer-cost-jobs-"))
    return Path.cwd() / "detainer-cost-data"


_STORE_LOCK = threading.Lock()


def job_store(app: Flask) -> JobStore:
    """The app's job store, opened on first use: the database at ``DATABASE_URL`` (or
    ``DETAINER_COST_DATABASE_URL``, e.g. PostgreSQL that several replicas share), else
    the SQLite file under the data directory."""
    with _STORE_LOCK:
        store: JobStore | None = app.extensions.get("detainer_cost.jobs")
        if store is None:
            url = app.config.get("DATABASE_URL") or os.environ.get("DETAINER_COST_DATABASE_URL")
            location = url or _data_dir(app) / DATA_FILE
            store = JobStore(location, float(app.config.get("JOB_TTL", 604800)))
            app.extensions["detainer_cost.jobs"] = store
        return store


class _Stop(Exception):
    """Raised in a running job: it was cancelled, or its executor is stopping."""

    def __init__(self, cancelled: bool) -> None:
        super().__init__("cancelled" if cancelled else "stopping")
        self.cancelled = cancelled


class Executor:
    """Runs queued jobs one at a time in a thread of this process.

    Parameters
    ----------
    store : JobStore
    scheduler : str, optional
        A Dask scheduler (``tcp://host:8786``) to run roll-ups' and portfolios' members on
        (:mod:`service.scaleout`); default: in this thread.
    """

    def __init__(self, store: JobStore, scheduler: str | None = None) -> None:
        self.store = store
        self.scheduler = scheduler
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the executor thread."""
        self._thread = threading.Thread(target=self._loop, name="detainer-cost-jobs", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Stop without waiting (it sets an Event, whose lock makes it unsafe in a signal
        handler; gunicorn's drain thread calls it): a running job is given back at its
        next progress or cancel check, and no job is claimed after."""
        self.stopping.set()

    def stop(self, wait: float = 5.0) -> None:
        """Stop: a running job is given back to the queue (another worker, or the next
        start, runs it again)."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(wait)

    def _loop(self) -> None:
        last_recovery = 0.0
        while not self.stopping.is_set():
            try:
                if time.monotonic() - last_recovery > 5.0:
                    self.store.recover()
                    last_recovery = time.monotonic()
                if not self.run_once():
                    self.stopping.wait(POLL_SECONDS)
            except Exception:  # the store failed (disk full, locked past the timeout)
                log.exception("job executor error; retrying")
                self.stopping.wait(POLL_SECONDS * 4)

    def run_once(self) -> bool:
        """Run the oldest queued job, if any; whether there was one."""
        claimed = self.store.claim(self.worker)
        if claimed is None:
            return False
        try:
            with _Tracker(self, claimed.id) as tracker:
                body, media_type = _run(
                    claimed.kind,
                    claimed.input,
                    fmt=claimed.format,
                    samples=claimed.samples,
                    progress=tracker.progress,
                    cancel=tracker.beat,
                    executor=DaskExecutor(self.scheduler) if self.scheduler else None,
                )
        except _Stop as stop:
            if stop.cancelled:
                self.store.finish(claimed.id, self.worker, "cancelled")
            else:
                self.store.requeue(claimed.id, self.worker)
            return True
        except ScenarioError as exc:
            errors = [{"pointer": "/input" + e.pointer, "detail": e.reason} for e in exc.errors]
            self.store.finish(claimed.id, self.worker, "failed", error=_problem(422, errors))
            return True
        except ScaleoutError as exc:  # the Dask scheduler is down or Dask is missing
            log.warning("job %s failed: %s", claimed.id, exc)
            self.store.finish(claimed.id, self.worker, "failed", error=_unavailable(exc))
            return True
        except Exception:
            log.exception("job %s failed", claimed.id)
            self.store.finish(claimed.id, self.worker, "failed", error=_problem(500, []))
            return True
        self.store.finish(claimed.id, self.worker, "succeeded", result=body, media_type=media_type)
        return True


class _Tracker:
    """A running job's heartbeat and its progress and cancel hooks.

    A thread records the progress every ``BEAT_SECONDS`` (so a job stays alive through
    long steps between chunks) and learns from the store whether the job was cancelled;
    the cancel hook the engine calls between chunks only reads flags.
    """

    def __init__(self, executor: Executor, job_id: str) -> None:
        self.executor = executor
        self.job_id = job_id
        self.done = 0
        self.total = 0
        self.cancelled = False
        self._ended = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="job-heartbeat", daemon=True)

    def __enter__(self) -> _Tracker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._ended.set()
        self._thread.join()

    def _loop(self) -> None:
        store, worker = self.executor.store, self.executor.worker
        while not self._ended.wait(BEAT_SECONDS):
            try:
                if not store.heartbeat(self.job_id, worker, self.done, self.total):
                    self.cancelled = True
            except Exception:  # a locked or failing store: try again next beat
                log.exception("job %s: heartbeat failed", self.job_id)

    def beat(self) -> None:
        """The engine's cancel hook: raises ``_Stop`` to end the run."""
        if self.executor.stopping.is_set():
            raise _Stop(cancelled=False)
        if self.cancelled:
            raise _Stop(cancelled=True)

    def progress(self, done: int, total: int) -> None:
        """The engine's progress hook."""
        self.done, self.total = done, total
        self.beat()


def _problem(status: int, errors: list[dict[str, str]]) -> dict[str, Any]:
    if status == 422:
        return {
            "type": "urn:detainer-cost:problem:invalid-scenario",
            "title": "Invalid scenario",
            "status": 422,
            "detail": f"{errors[0]['pointer']}: {errors[0]['detail']}",
            "errors": errors,
        }
    return {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "the job failed; the error was logged",
    }


def _unavailable(exc: ScaleoutError) -> dict[str, Any]:
    """A job's error when its Dask scheduler cannot be used: the scheduler's address and
    why, in one line (the job is not run again: submit it again once the scheduler is
    up, or run the service without ``DETAINER_COST_DASK_SCHEDULER``)."""
    return {
        "type": "urn:detainer-cost:problem:scheduler-unavailable",
        "title": "Dask scheduler unavailable",
        "status": 503,
        "detail": f"{exc}; the job was not run: submit it again once the scheduler is up",
    }


def start_executors(app: Flask) -> None:
    """Start ``JOB_WORKERS`` executor threads for this process (none under TESTING
    unless asked); they run roll-ups and portfolios on the Dask scheduler ``DASK_SCHEDULER`` or
    ``DETAINER_COST_DASK_SCHEDULER`` names, if any."""
    configured = app.config.get("JOB_WORKERS", os.environ.get("DETAINER_COST_JOB_WORKERS"))
    count = (
        int(configured) if configured not in (None, "") else (0 if app.config.get("TESTING") else 1)
    )
    if count <= 0:
        return
    store = job_store(app)
    scheduler = scheduler_address(app.config)
    executors = [Executor(store, scheduler) for _ in range(count)]
    for executor in executors:
        executor.start()
    app.extensions["detainer_cost.executors"] = executors

    def stop_all() -> None:
        for executor in executors:
            executor.stop()

    atexit.register(stop_all)


def request_stop(app: Flask) -> None:
    """Ask ``app``'s job executors to stop, without waiting (the drain thread that a
    worker's SIGTERM wakes, service/gunicorn_conf.py): a draining worker gives its running
    job back to the queue at once, for another replica or the next start, rather than
    working on until it exits."""
    for executor in app.extensions.get("detainer_cost.executors", ()):
        executor.request_stop()


# --- the routes -------------------------------------------------------------------------


def _owner() -> str:
    """The SHA-256 of the API key presented (empty without keys)."""
    if not current_app.config["API_KEYS"]:
        return ""
    auth = request.headers.get("Authorization", "")
    presented = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    presented = presented or request.headers.get("X-API-Key", "")
    return hashlib.sha256(presented.encode()).hexdigest()


def _prefixed(errors: list[PointerError]) -> list[PointerError]:
    return [PointerError("/input" + e.pointer, e.detail) for e in errors]


def _shape(kind: str, body: Any) -> dict[str, Any]:
    """The input's shape, by the synchronous route's schema."""
    from .rollups import _SCHEMA as ROLLUP_SCHEMA

    schemas = current_app.extensions["detainer_cost.schemas"]
    if kind == "rollup":
        schema = ROLLUP_SCHEMA
    elif kind in ("simulation", "sensitivity"):
        schema = schemas["scenario"]
    elif kind == "report" and isinstance(body, Mapping) and "rows" in body:
        schema = ROLLUP_SCHEMA  # a roll-up's report
    elif kind == "report":
        is_comparison = isinstance(body, Mapping) and "baseline" in body
        schema = schemas["comparison" if is_comparison else "scenario"]
    else:
        schema = schemas[kind]
    try:
        return load_body(schema, body)
    except ValueError as exc:
        raise InvalidBody(_prefixed(exc.args[0])) from None


def _request() -> tuple[str, dict[str, Any], str, bool]:
    body = json_body()
    errors: list[PointerError] = []
    if not isinstance(body, Mapping):
        raise InvalidBody([PointerError("", "must be a JSON object")])
    errors += [
        PointerError(pointer((k,)), "is not a field here")
        for k in body
        if k not in ("kind", "input", "format", "samples")
    ]
    kind = body.get("kind")
    if kind not in KINDS:
        errors.append(PointerError("/kind", "must be one of: " + ", ".join(KINDS)))
    if "input" not in body:
        errors.append(PointerError("/input", "is required"))
    fmt = body.get("format")
    if kind != "report" and "format" in body:
        errors.append(PointerError("/format", "is for a report job only"))
    elif fmt is not None and fmt not in REPORT_FORMATS:
        errors.append(PointerError("/format", "must be one of: " + ", ".join(REPORT_FORMATS)))
    samples = body.get("samples", False)
    if not isinstance(samples, bool) or (samples and kind != "report"):
        errors.append(PointerError("/samples", "must be true or false, for a report job"))
    elif samples and isinstance(body.get("input"), Mapping) and "rows" in body["input"]:
        errors.append(PointerError("/samples", "is not for a roll-up's report"))
    if errors:
        raise InvalidBody(errors)
    return str(kind), _shape(str(kind), body["input"]), str(fmt or "html"), samples


def _validate(kind: str, body: Mapping[str, Any], fmt: str, samples: bool) -> int:
    """Check the input's values and the job work budget without running it; the work
    (trials over every run) its progress will count."""
    settings = current_app.config
    limits = {"MAX_TRIALS": settings["MAX_TRIALS"], "MAX_WORK": settings["JOB_MAX_WORK"]}

    def budget(items: list[WorkItem]) -> None:
        try:
            check_work(items, limits)
        except WorkBudgetExceeded as exc:
            raise WorkBudgetExceeded(
                "/input" + exc.errors[0].pointer, exc.detail.replace("request", "job")
            ) from None
        raise _Valid(sum(trials for _, trials, _ in items))

    try:
        _run(kind, body, fmt=fmt, samples=samples, budget=budget)
    except _Valid as valid:
        return valid.total
    except ScenarioError as exc:
        raise InvalidBody(
            [PointerError("/input" + e.pointer, e.reason) for e in exc.errors]
        ) from None
    raise AssertionError("the budget was not called")  # pragma: no cover


def _status(job: Job) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "progress": {"done": job.done, "total": job.total},
        "created": _iso(job.created),
        "started": _iso(job.started),
        "finished": _iso(job.finished),
        "expires": _iso(job.expires),
        "cancel_requested": job.cancel_requested,
        "attempts": job.attempts,
        "format": job.format if job.kind == "report" else None,
        "result_url": f"/v1/jobs/{job.id}/result" if job.state == "succeeded" else None,
        "media_type": job.media_type,
        "error": job.error,
    }
    return out


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


def _found(job: Job | None, job_id: str) -> Job:
    if job is None:
        raise NotFound(f"no job {job_id!r} (jobs belong to the key that created them)")
    return job


@bp.post("/jobs")
def create_job() -> Response:
    """Queue a job: 202 with Location."""
    kind, body, fmt, samples = _request()
    total = _validate(kind, body, fmt, samples)
    job = _store().submit(_owner(), kind, body, fmt if kind == "report" else None, samples, total)
    response = json_response(_status(job), status=202)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return response


def _store() -> JobStore:
    return job_store(current_app)


@bp.get("/jobs/<job_id>")
def get_job(job_id: str) -> Response:
    """A job's state, progress and, when done, its result's address or its error."""
    return json_response(_status(_found(_store().get(job_id, _owner()), job_id)))


@bp.get("/jobs/<job_id>/result")
def get_job_result(job_id: str) -> Response:
    """The result of a succeeded job: the synchronous route's body, to the byte."""
    job = _found(_store().get(job_id, _owner()), job_id)
    found = _store().result(job_id, _owner())
    if found is None:
        raise JobNotDone(job.state)
    body, media_type = found
    response = Response(body, mimetype=media_type)
    if job.kind == "report":
        extension = {"html": "html", "pdf": "pdf", "xlsx": "xlsx", "csv": "csv"}[
            job.format or "html"
        ]
        disposition = "inline" if job.format == "html" else "attachment"
        response.headers["Content-Disposition"] = (
            f'{disposition}; filename="job-{job.id}.{extension}"'
        )
    return response


@bp.delete("/jobs/<job_id>")
def delete_job(job_id: str) -> Response:
    """Cancel a queued or running job; delete a finished one and its result (204)."""
    store = _store()
    job = _found(store.get(job_id, _owner()), job_id)
    if job.state in FINISHED:
        store.delete(job_id, _owner())
        return Response(status=204)
    job = _found(store.cancel(job_id, _owner()), job_id)
    return json_response(_status(job), status=202 if job.state == "running" else 200)


class JobNotDone(ApiProblem):
    """The result of a job that has not succeeded (409)."""

    def __init__(self, state: str) -> None:
        super().__init__(
            f"the job is {state}; its result is there once its state is succeeded",
            409,
            "urn:detainer-cost:problem:job-not-done",
            "Job not done",
        )
