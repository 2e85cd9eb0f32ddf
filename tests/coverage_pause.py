"""Coverage paused for a while in a test process: around each ``slow`` test
(tests/conftest.py), and around the contract check of each response
(tests/service/conftest.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def coverage_paused() -> Iterator[None]:
    """Every running coverage instance stopped, then started again in order.

    In an xdist worker pytest-cov starts two (its controller's, at start-up, and the
    worker's), and stopping the one on top resumes the other. Without coverage loaded
    (no --cov) nothing happens. Threads that run meanwhile go untraced, and those that
    were running stay so: for a whole test only.
    """
    coverage = sys.modules.get("coverage")
    stopped = []
    while coverage is not None and (current := coverage.Coverage.current()) is not None:
        current.stop()
        stopped.append(current)
    try:
        yield
    finally:
        for instance in reversed(stopped):
            instance.start()


@contextmanager
def this_thread_untraced() -> Iterator[None]:
    """The coverage tracer of this thread stopped, then started again; other threads
    (an app's job runner) go on being traced.

    For a call inside a test that runs no line of models/ or service/ (those would go
    unmeasured) and that no frame of theirs is waiting on: the tracer keeps one entry per
    frame, and the frames that start and end meanwhile are never seen. The tracer is
    coverage.py's, ``sys.gettrace()`` of the thread, with its ``stop()`` and ``start()``
    (coverage.types.Tracer); with no tracer, or another kind, nothing is paused.
    """
    tracer = sys.gettrace()
    stop, start = getattr(tracer, "stop", None), getattr(tracer, "start", None)
    if not (callable(stop) and callable(start)):
        yield
        return
    stop()
    try:
        yield
    finally:
        start()
