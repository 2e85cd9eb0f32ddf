"""gunicorn settings for detainer-cost (``gunicorn -c python:service.gunicorn_conf``).

Environment: ``DETAINER_COST_BIND`` (127.0.0.1:8000), ``WEB_CONCURRENCY`` (workers; the
CPU count), ``DETAINER_COST_THREADS`` (4 per worker), ``DETAINER_COST_REQUEST_DEADLINE``
(30 s; the worker timeout is set above it), ``PROMETHEUS_MULTIPROC_DIR`` (an existing
directory for the workers' metric files; by default a fresh one per start).

Importing this module imports no more than the ``service`` package's ``__init__``, which
imports nothing: ``prometheus_client`` must not be loaded in the master before
``PROMETHEUS_MULTIPROC_DIR`` is set here, or the workers it forks would count in private
memory and ``/metrics`` would answer an empty body.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import glob
import importlib
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from typing import Any

# One BLAS thread per worker: the workers are the parallelism. Set before numpy is imported
# (by the master in `when_ready`, and so in every worker it forks).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

bind = os.environ.get("DETAINER_COST_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
worker_class = "gthread"
# Threads per worker: one run slot, one queued request, two slow bodies
# (DETAINER_COST_MAX_IN_FLIGHT, _MAX_QUEUE, _MAX_BODY_READS) and four left for everything
# else (/livez, /metrics, 503 answers).
threads = int(os.environ.get("DETAINER_COST_THREADS", "8"))
_deadline = float(os.environ.get("DETAINER_COST_REQUEST_DEADLINE", "30"))
timeout = int(_deadline) + 15  # graceful_timeout too: drain, then finish the longest run
graceful_timeout = timeout
keepalive = 5
max_requests = 1000
max_requests_jitter = 100
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
wsgi_app = "service:create_app()"
# gunicorn 25.1+ opens a control socket for `gunicornc` (scale, reload, stop) at one path per
# user ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl), which a second instance on the
# same host takes over; the service needs none of it.
control_socket_disable = True

# prometheus_client multiprocess mode: a fresh directory per server start.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if not _OWN_METRICS_DIR and not os.path.isdir(os.environ["PROMETHEUS_MULTIPROC_DIR"]):
    sys.exit(
        "detainer-cost: PROMETHEUS_MULTIPROC_DIR="
        f"{os.environ['PROMETHEUS_MULTIPROC_DIR']} is not a directory; create it, or unset "
        "the variable to use a fresh one"
    )
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
        prefix="detainer-cost-metrics-", dir=worker_tmp_dir
    )


def on_starting(server: Any) -> None:
    """Clear metric files a previous run may have left in a given directory."""
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


#: Libraries the master imports once, after it has bound the socket and before it forks
#: the workers, so that each worker starts with them loaded (their pages shared until
#: written) instead of importing them itself, at every start and every restart
#: (``max_requests``, a worker killed). Third-party libraries only: importing them opens
#: no thread, file or connection, and the app (the engine, the job store, the metrics) is
#: still imported and created by each worker. Changed code or upgraded libraries need a
#: restart of the server, not a SIGHUP (docs/deployment.md). Then ``gc.freeze()``, as
#: Python's documentation advises before a fork without exec: the workers' collections no
#: longer walk (and so write to, page by page) what was loaded. From start to ready and
#: stop, a server with two workers took about 2 s of CPU, against 4.7-5.5 s when each
#: worker imported them (2026-11-29, docs/benchmarks.md "Session 8").
PRELOAD = (
    "numpy",
    "scipy.stats",
    "scipy.optimize",
    "flask",
    "marshmallow",
    "sqlalchemy",
    "yaml",
)


def when_ready(server: Any) -> None:
    """Import :data:`PRELOAD` in the master (connections wait in the listen backlog)."""
    for name in PRELOAD:
        importlib.import_module(name)
    gc.freeze()


#: Seconds a worker keeps serving after SIGTERM while /readyz answers 503, so that a
#: load balancer stops sending before the listener closes (connections that reach a
#: closed listener are reset unanswered).
DRAIN_SECONDS = float(os.environ.get("DETAINER_COST_DRAIN_SECONDS", "2"))


#: glibc mallopt parameters: arrays of at least this many bytes get their own mapping,
#: returned to the system when freed. glibc otherwise raises its threshold after the
#: first large free, and with one malloc arena per thread a worker kept the memory of one
#: large request while the next grew another (1.5 GiB after a portfolio and a comparison,
#: against 0.9 GiB for either alone).
MMAP_THRESHOLD = 128 * 1024
MALLOC_ARENAS = 2
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8


def post_fork(server: Any, worker: Any) -> None:
    """Bound the worker's malloc: fixed mmap threshold, few arenas (glibc only)."""
    name = ctypes.util.find_library("c")
    if name is None or "libc.so" not in name:
        return
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
    except (OSError, AttributeError):  # not glibc
        return


def post_worker_init(worker: Any) -> None:
    """On SIGTERM, mark the app as draining (``/readyz`` 503) and give a running job back
    to the queue, keep serving for ``DRAIN_SECONDS``, then stop gracefully (finishing
    every accepted request).

    The handler itself only sets a flag and writes a byte to a pipe: Python runs it in
    the main thread between any two bytecodes, even inside a ``with lock:`` of that thread
    or inside itself (the master forwards the SIGTERM that ``kill`` of the process group
    already sent), so taking a lock there (an Event's, a new thread's) could wait forever
    on the main thread itself. A thread started here does the rest.
    """
    original = signal.getsignal(signal.SIGTERM)
    state = getattr(worker.wsgi, "extensions", {}).get("detainer_cost")
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)

    def drain(signum: int, frame: Any) -> None:
        if state is not None:
            state.draining = True
        with contextlib.suppress(BlockingIOError):
            os.write(wake_write, b"\0")

    def stop_after_drain() -> None:
        os.read(wake_read, 1)  # the first SIGTERM
        try:
            if state is not None:
                from service.jobs import request_stop  # the worker has it loaded already

                request_stop(worker.wsgi)
        finally:  # whatever happened above, the worker stops
            if callable(original):
                if DRAIN_SECONDS > 0:
                    time.sleep(DRAIN_SECONDS)
                original(signal.SIGTERM, None)

    threading.Thread(target=stop_after_drain, name="drain", daemon=True).start()
    signal.signal(signal.SIGTERM, drain)


def on_exit(server: Any) -> None:
    """Remove the metrics directory this config created."""
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
