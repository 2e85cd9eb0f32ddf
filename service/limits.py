"""Bounds on the work of one request: budgets checked before a run, a deadline over the
whole of its work (runs, rendering, serialization), a cap on runs in flight per worker
with a short bounded queue, and a bound on the time a request body may take to arrive."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from models.analyses import WorkItem
from models.errors import pointer

from .problems import (
    DeadlineExceeded,
    Overloaded,
    RequestTimeout,
    WorkBudgetExceeded,
)

__all__ = ["Deadline", "InFlight", "bound_body_reads", "check_body", "check_work"]

#: WSGI environ key set when the body could not be received (``"timeout"``/``"busy"``).
BODY_STATUS = "detainer_cost.body"
#: Seconds a request waits for a body-reading slot before it is shed (short, so that
#: requests waiting behind slow senders hold a thread only briefly).
BODY_SLOT_WAIT = 0.25


def check_work(items: Sequence[WorkItem], settings: Mapping[str, Any]) -> int:
    """Check every run's trials and the request's total trial-years against the settings.

    Parameters
    ----------
    items : sequence of (path, trials, years)
        Every evaluation a request needs; ``path`` leads to the ``trials`` field that set
        it (empty for evaluations the service adds, such as sensitivity swings).
    settings : mapping
        ``MAX_TRIALS`` and ``MAX_WORK``.

    Returns
    -------
    int
        Trial-years of the request.

    Raises
    ------
    WorkBudgetExceeded
        With the pointer of the ``trials`` field at fault.
    """
    for path, trials, _ in items:
        if path and trials > settings["MAX_TRIALS"]:
            raise WorkBudgetExceeded(
                pointer(path),
                f"at most {settings['MAX_TRIALS']} trials per run (asked {trials})",
            )
    total = sum(trials * years for _, trials, years in items)
    if total > settings["MAX_WORK"]:
        raise WorkBudgetExceeded(
            pointer(items[0][0]),
            f"this request needs {total} trial-years (trials x horizon_years over every "
            f"run it asks for), over the budget of {settings['MAX_WORK']}; ask for fewer "
            "trials, years or runs",
        )
    return total


class Deadline:
    """The time a request's work may take, from the moment it holds a run slot.

    ``check()`` raises ``DeadlineExceeded`` once ``seconds`` have passed. The engine calls
    it as its ``cancel`` hook between chunks; the service calls it between rendering
    stages and once more when the response body is ready, so that no answer is late.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        """Raise ``DeadlineExceeded`` if the deadline has passed."""
        if time.monotonic() > self.end:
            raise DeadlineExceeded(self.seconds)


class InFlight:
    """At most ``limit`` runs at once in this process; up to ``queue`` more requests wait
    at most ``wait`` seconds for a slot, and any others are refused at once."""

    def __init__(self, limit: int, queue: int = 0, wait: float = 0.0) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._waiting = 0
        self.queue = queue
        self.wait = wait

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the duration of a run, or raise ``Overloaded``."""
        if not self._slots.acquire(blocking=False):
            with self._lock:
                if self._waiting >= self.queue:
                    raise Overloaded()
                self._waiting += 1
            try:
                acquired = self._slots.acquire(timeout=self.wait)
            finally:
                with self._lock:
                    self._waiting -= 1
            if not acquired:
                raise Overloaded()
        try:
            yield
        finally:
            self._slots.release()


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _shut_reads(sock: socket.socket | None) -> None:
    """Stop receiving on ``sock``: a blocked read returns at once, and the server then
    closes the connection instead of waiting for the rest of the body."""
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RD)


def bound_body_reads(app: WsgiApp, seconds: float, max_bytes: int, readers: int) -> WsgiApp:
    """WSGI middleware: receive each request body in full, within ``seconds``, before the
    app runs, with at most ``readers`` bodies arriving at once in this process.

    Under gunicorn (``environ["gunicorn.socket"]``) a body that has not arrived after
    ``seconds`` is cut off (the socket stops receiving) and the request is answered 408;
    a body that arrives while ``readers`` others are still arriving waits up to
    ``BODY_SLOT_WAIT`` for one of them to finish (a burst of ordinary clients reads its
    bodies in microseconds each), and is otherwise not read and answered 503 with
    Retry-After. In both cases the connection is then closed.
    Bodies over ``max_bytes`` are left for the app to refuse (413). Elsewhere (test
    clients) bodies are read as they are.
    """
    slots = threading.BoundedSemaphore(readers)

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        sock = environ.get("gunicorn.socket")
        length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if sock is None or not (chunked or (length.isdigit() and 0 < int(length) <= max_bytes)):
            return app(environ, start_response)
        if not slots.acquire(timeout=BODY_SLOT_WAIT):
            _shut_reads(sock)
            environ[BODY_STATUS] = "busy"
            environ["wsgi.input"] = io.BytesIO()
            return app(environ, start_response)
        timer = threading.Timer(seconds, _shut_reads, (sock,))
        timer.daemon = True
        timer.start()
        started = time.monotonic()
        try:
            want = int(length) if length else max_bytes + 1
            body = environ["wsgi.input"].read(want)
        except OSError:
            body = b""
        finally:
            timer.cancel()
            slots.release()
        if (length and len(body) < int(length)) or time.monotonic() - started >= seconds:
            _shut_reads(sock)
            environ[BODY_STATUS] = "timeout"
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        return app(environ, start_response)

    return wrapped


def check_body(environ: Mapping[str, Any], seconds: float) -> None:
    """Raise the problem of a request whose body ``bound_body_reads`` did not receive:
    ``RequestTimeout`` (408) or ``Overloaded`` (503)."""
    status = environ.get(BODY_STATUS)
    if status == "timeout":
        raise RequestTimeout(seconds)
    if status == "busy":
        raise Overloaded()
