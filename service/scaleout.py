"""Scale-out: a roll-up's tasks (consecutive rows each) on a Dask distributed cluster.

``DETAINER_COST_DASK_SCHEDULER=tcp://host:8786`` (or the app's ``DASK_SCHEDULER``
setting) makes the job executors run roll-ups there; ``detainer-cost rollup --scheduler
tcp://host:8786`` does the same from the command line. Without it everything runs in
the process. The cluster's workers need this package installed (the same version: they
import ``models`` to run a task), and Dask needs the ``scale`` extra
(``pip install 'detainer-cost[scale]'``); Dask is imported only when a scheduler is used.

The result has the same bytes whichever ran it: every member draws from the stream
spawned for its row, and the tasks' sums are added to the total in task order
(:mod:`models.analyses.rollup`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

__all__ = ["SCHEDULER_ENV", "DaskExecutor", "ScaleoutError", "scheduler_address"]

#: The environment variable naming the Dask scheduler the job executors use.
SCHEDULER_ENV = "DETAINER_COST_DASK_SCHEDULER"

T = TypeVar("T")
R = TypeVar("R")


class ScaleoutError(RuntimeError):
    """The Dask scheduler cannot be used: Dask is not installed, or the scheduler
    cannot be reached."""


def scheduler_address(config: Mapping[str, Any] | None = None) -> str | None:
    """The scheduler to run on: ``config["DASK_SCHEDULER"]``, else the environment's
    ``DETAINER_COST_DASK_SCHEDULER``; None (run in the process) when neither is set."""
    configured = (config or {}).get("DASK_SCHEDULER") or os.environ.get(SCHEDULER_ENV) or ""
    return str(configured).strip() or None


class DaskExecutor:
    """A ``map``-like executor (:data:`models.analyses.rollup.Executor`) on a Dask
    scheduler: ``executor(fn, tasks)`` submits ``fn(task)`` for the tasks and yields
    the results as they finish, in any order.

    It keeps at most ``window`` tasks submitted beyond the first unfinished one, so the
    results that finish ahead of it (and wait for it) stay few, and it releases each
    result once yielded: memory stays bounded on the cluster and here. Closing the
    generator (an error, a cancelled job) cancels the tasks not yet finished.

    Parameters
    ----------
    address : str
        The scheduler, ``tcp://host:8786``.
    window : int, optional
        Tasks ahead of the first unfinished one; default four per worker thread
        (at least 8).
    timeout : float, optional
        Seconds to wait for the scheduler to answer (default ``TIMEOUT``).
    """

    #: Seconds to wait for the scheduler to answer, by default.
    TIMEOUT = 10.0

    def __init__(
        self, address: str, *, window: int | None = None, timeout: float | None = None
    ) -> None:
        self.address = address
        self.window = window
        self.timeout = self.TIMEOUT if timeout is None else timeout

    def __call__(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Run ``fn`` on every task on the cluster; the results as they finish.

        Raises
        ------
        ScaleoutError
            When Dask is missing or the scheduler does not answer (on the first result
            asked for).
        Exception
            What a task raised, as raised there.
        """
        client = self._connect()
        try:
            yield from self._results(client, fn, iter(tasks))
        finally:
            client.close()

    def _connect(self) -> Any:
        try:
            from distributed import Client
        except ImportError as exc:
            raise ScaleoutError(
                "Dask is not installed: pip install 'detainer-cost[scale]'"
            ) from exc
        try:
            return Client(self.address, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ScaleoutError(
                f"cannot reach the Dask scheduler at {self.address}: {exc}"
            ) from exc

    def _results(self, client: Any, fn: Callable[[T], R], tasks: Iterator[T]) -> Iterator[R]:
        from distributed import as_completed

        window = self.window or max(8, 4 * sum(client.nthreads().values()))
        prefix = f"detainer-cost-{uuid.uuid4().hex}"
        running: dict[str, tuple[int, Any]] = {}  # key -> (the task's place, its future)
        finished: set[int] = set()  # places finished past the first unfinished one
        lowest = submitted = 0  # the first unfinished task's place; tasks submitted
        pending = as_completed(loop=client.loop)
        exhausted = False
        try:
            while True:
                while not exhausted and submitted < lowest + window:
                    try:
                        task = next(tasks)
                    except StopIteration:
                        exhausted = True
                        break
                    future = client.submit(fn, task, key=f"{prefix}-{submitted}", pure=False)
                    running[future.key] = (submitted, future)
                    pending.add(future)
                    submitted += 1
                if not running:
                    return
                future = next(pending)
                result: R = future.result()
                finished.add(running.pop(future.key)[0])
                future.release()
                while lowest in finished:
                    finished.remove(lowest)
                    lowest += 1
                yield result
        finally:
            if running:
                client.cancel([future for _, future in running.values()])
