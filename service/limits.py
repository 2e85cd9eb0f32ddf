"""Bounds on the work of one request: budgets checked before a run, a deadline during
it, and a cap on runs in flight per worker."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from models.scenario import Scenario

from .problems import DeadlineExceeded, Overloaded, WorkBudgetExceeded

__all__ = ["Deadline", "InFlight", "check_work"]


def check_work(scenarios: list[tuple[str, Scenario]], settings: Mapping[str, Any]) -> int:
    """Check trials and trial-years against the settings; return the trial-years.

    Parameters
    ----------
    scenarios : list of (pointer, Scenario)
        Every evaluation a request needs, with the pointer to its body (``""`` for a
        simulation's body itself).
    settings : mapping
        ``MAX_TRIALS`` and ``MAX_WORK``.

    Raises
    ------
    WorkBudgetExceeded
        Naming the ``trials`` field at fault.
    """
    total = 0
    for pointer, scenario in scenarios:
        if scenario.trials > settings["MAX_TRIALS"]:
            raise WorkBudgetExceeded(
                f"{pointer}/trials",
                f"at most {settings['MAX_TRIALS']} trials per request (asked {scenario.trials})",
            )
        total += scenario.trials * scenario.horizon_years
    if total > settings["MAX_WORK"]:
        first = scenarios[0][0]
        raise WorkBudgetExceeded(
            f"{first}/trials",
            f"trials x horizon_years = {total} trial-years is over the budget of "
            f"{settings['MAX_WORK']} per request; ask for fewer trials or years",
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
