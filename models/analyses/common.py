"""What the analyses share: the work they announce to a budget, their progress
reports, parsing and running a scenario that sits somewhere in a request (so errors
name the field there), and the random streams of an analysis."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from ..engine import run
from ..errors import FieldError, Path, ScenarioError
from ..presets import parse_expanded
from ..results import Convergence
from ..scenario import Scenario

__all__ = [
    "OWN_STREAM_OFFSET",
    "Array",
    "Budget",
    "Progress",
    "Streams",
    "WorkItem",
    "parse_at",
    "part",
    "run_at",
]

Array = NDArray[np.float64]
#: (path to a ``trials`` field, trials, years): one piece of the work a call will do.
WorkItem = tuple[Path, int, int]
#: Called with every piece of work once the inputs are valid, before any is done; may
#: raise to refuse it (the service checks its budgets there).
Budget = Callable[[list[WorkItem]], None]
#: Called as ``progress(done, total)`` with trials done.
Progress = Callable[[int, int], None]

#: Spawn-key offset of the streams an analysis draws for itself, past the keys its runs
#: use for their chunks (0, 1, ...).
OWN_STREAM_OFFSET = 2**31


def prefixed(exc: ScenarioError, prefix: Path) -> ScenarioError:
    """``exc`` with every field's path under ``prefix``."""
    return ScenarioError([FieldError((*prefix, *e.path), e.reason) for e in exc.errors])


def parse_at(data: object, prefix: Path) -> Scenario:
    """The scenario at ``prefix`` in a request (a preset expanded first); its errors
    name the fields there."""
    try:
        return parse_expanded(data)
    except ScenarioError as exc:
        raise prefixed(exc, prefix) from None


def run_at(
    prefix: Path, scenario: Scenario, **kwargs: Any
) -> tuple[Mapping[str, Array], Convergence]:
    """``run`` of the scenario at ``prefix`` in the request: what its draws find wrong
    (counts past what numpy can hold) names the field there, as a parse error would."""
    try:
        return run(scenario, **kwargs)
    except ScenarioError as exc:
        raise prefixed(exc, prefix) from None


def part(progress: Progress | None, offset: int, total: int) -> Progress | None:
    """``progress`` for one part of a larger job: reports ``offset + done`` of ``total``."""
    if progress is None:
        return None
    report = progress
    return lambda done, _: report(offset + done, total)


class Streams:
    """The random streams of one analysis, from the scenario's seed (``rng`` None) or
    from a stream spawned off ``rng``.

    Every generator is built from a fresh ``SeedSequence`` (spawning children advances a
    sequence, so one sequence must not be shared by two runs).
    """

    def __init__(self, scenario: Scenario, rng: Any) -> None:
        if rng is None:
            self._entropy, self._key = scenario.seed, ()
        else:
            seed_seq = np.random.default_rng(rng).bit_generator.seed_seq
            child = seed_seq.spawn(1)[0]  # type: ignore[attr-defined]
            self._entropy, self._key = child.entropy, tuple(child.spawn_key)

    def common(self) -> np.random.Generator:
        """The same stream at every call: runs made from it draw the same numbers
        (common random numbers)."""
        return np.random.default_rng(np.random.SeedSequence(self._entropy, spawn_key=self._key))

    def own(self, purpose: int) -> np.random.Generator:
        """A stream independent of the runs' for the analysis's own draws; ``purpose``
        (1, 2, ...) tells them apart."""
        if purpose < 1:
            raise ValueError("purpose must be 1 or more")
        key = (*self._key, OWN_STREAM_OFFSET + purpose)
        return np.random.default_rng(np.random.SeedSequence(self._entropy, spawn_key=key))


_T = TypeVar("_T")


class InOrder(Generic[_T]):
    """Results that come back in any order (an executor's tasks), let through in index
    order from 0: one that comes back before those ahead of it waits here. Floating-point
    sums depend on the order, so a total added in this order has the same bits whichever
    executor ran the tasks."""

    def __init__(self) -> None:
        self._waiting: dict[int, _T] = {}
        #: The index whose turn it is (how many have been let through).
        self.next = 0

    def add(self, index: int, item: _T) -> list[_T]:
        """Take result ``index``; the results it lets through, in order."""
        self._waiting[index] = item
        ready = []
        while self.next in self._waiting:
            ready.append(self._waiting.pop(self.next))
            self.next += 1
        return ready

    @property
    def waiting(self) -> int:
        """How many results wait for their turn."""
        return len(self._waiting)
