"""Bounds on the work of one request: budgets checked before a run, a deadline during
it, and a cap on runs in flight per worker."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from models.analysis import WorkItem
from models.errors import pointer

from .problems import DeadlineExceeded, Overloaded, WorkBudgetExceeded

__all__ = ["Deadline", "InFlight", "check_work"]


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
    """A progress callback that stops a run once ``seconds`` have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def __call__(self, done: int, total: int) -> None:
        if done < total and time.monotonic() > self.end:
            raise DeadlineExceeded(self.seconds)


class InFlight:
    """At most ``limit`` runs at once in this process; the next one is refused at once."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the duration of a run, or raise ``Overloaded``."""
        if not self._slots.acquire(blocking=False):
            raise Overloaded()
        try:
            yield
        finally:
            self._slots.release()
