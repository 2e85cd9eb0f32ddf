"""A roll-up's members run on any ``map``-like executor (``rollup(executor=...)``), in
tasks of consecutive rows that may finish in any order, in other processes: the result
has the same bytes as the default in-process run; a portfolio's members likewise. These
fakes stand in for Dask (tests/service/test_scaleout.py runs a real cluster)."""

from __future__ import annotations

import importlib
import json
import pickle
import random
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import pytest

from models import ScenarioError
from models.analyses import portfolio
from models.analyses.rollup import (
    TASKS,
    BlockRun,
    MemberBlock,
    RollupResult,
    block_size,
    rollup,
    run_block,
    run_row,
)

BASE: dict[str, Any] = {
    "extra_days_per_detainer": {"dist": "pert", "low": 10, "mode": 20, "high": 50},
    "honor_rate": {"dist": "uniform", "low": 0.5, "high": 1},
    "daily_cost": {"dist": "uniform", "low": 55, "high": 142},
    "trials": 300,
    "horizon_years": 2,
}
ROWS: list[dict[str, Any]] = [
    {"name": f"County {i}", "detainers_per_year": 30 + 37 * i} for i in range(11)
]
Fn = Callable[[MemberBlock], BlockRun]
#: The module (models.analyses exports its function ``rollup`` under the same name).
rollup_module = importlib.import_module("models.analyses.rollup")


def _bytes(result: RollupResult) -> bytes:
    """What the service sends (service.jobs._dumps)."""
    return json.dumps(result.to_dict(), separators=(",", ":"), allow_nan=False).encode()


def _reversed(fn: Fn, tasks: Iterable[MemberBlock]) -> Iterator[BlockRun]:
    """Every task run, then the results handed back last first."""
    return reversed([fn(t) for t in tasks])


def _elsewhere(fn: Fn, tasks: Iterable[MemberBlock]) -> list[BlockRun]:
    """As another process would: each task and result pickled, in a shuffled order."""
    shipped = [pickle.dumps(t) for t in tasks]
    random.Random(5).shuffle(shipped)
    return [pickle.loads(pickle.dumps(fn(pickle.loads(t)))) for t in shipped]


@pytest.fixture
def small_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Four tasks at most, so 11 rows run three to a task (the grouping a table of more
    than TASKS rows gets) without running hundreds of rows."""
    monkeypatch.setattr(rollup_module, "TASKS", 4)


def test_block_size_is_one_row_up_to_tasks_rows_then_grows() -> None:
    assert [block_size(n) for n in (1, TASKS, TASKS + 1, 3500)] == [1, 1, 2, 14]


@pytest.mark.parametrize("executor", [_reversed, _elsewhere])
@pytest.mark.usefixtures("small_tasks")
def test_any_completion_order_gives_the_same_bytes(executor: Any) -> None:
    kwargs: dict[str, Any] = {
        "shared": ["extra_days_per_detainer"],
        "threshold": 2_000_000,
        "seed": 11,
    }
    here = rollup(BASE, ROWS, **kwargs)
    there = rollup(BASE, ROWS, executor=executor, **kwargs)
    assert _bytes(there) == _bytes(here)
    assert [j.row for j in there.jurisdictions] == list(range(len(ROWS)))


def test_one_row_a_task_in_reverse_gives_the_same_bytes() -> None:
    here = rollup(BASE, ROWS[:5], threshold={"umra_year": 2019})
    assert _bytes(rollup(BASE, ROWS[:5], threshold={"umra_year": 2019}, executor=_reversed)) == (
        _bytes(here)
    )


@pytest.mark.usefixtures("small_tasks")
def test_tasks_are_consecutive_rows_on_their_rows_streams() -> None:
    seen: list[MemberBlock] = []

    def record(fn: Fn, tasks: Iterable[MemberBlock]) -> Iterator[BlockRun]:
        for task in tasks:
            seen.append(task)
            yield fn(task)

    rollup(BASE, ROWS, seed=4, executor=record)
    assert [(t.index, t.start, len(t.scenarios)) for t in seen] == [
        (0, 0, 3),
        (1, 3, 3),
        (2, 6, 3),
        (3, 9, 2),
    ]
    streams = np.random.default_rng(4).spawn(len(ROWS))
    for task in seen:
        for j, stream in enumerate(task.streams):
            expected = streams[task.start + j].bit_generator.seed_seq
            assert stream.bit_generator.seed_seq.spawn_key == expected.spawn_key  # type: ignore[attr-defined]


@pytest.mark.usefixtures("small_tasks")
def test_progress_counts_returned_rows_and_cancel_is_asked_after_each() -> None:
    reports: list[tuple[int, int]] = []
    asked: list[int] = []

    def cancel() -> None:
        asked.append(1)

    rollup(
        BASE, ROWS, progress=lambda d, t: reports.append((d, t)), cancel=cancel, executor=_reversed
    )
    trials = BASE["trials"]
    assert reports == [(n * trials, 11 * trials) for n in (2, 5, 8, 11)]  # 2 rows came first
    assert len(asked) == 4


@pytest.mark.usefixtures("small_tasks")
def test_cancel_closes_the_executors_generator() -> None:
    closed: list[bool] = []

    def tracked(fn: Fn, tasks: Iterable[MemberBlock]) -> Iterator[BlockRun]:
        try:
            for task in tasks:
                yield fn(task)
        finally:
            closed.append(True)

    class Stop(Exception):
        pass

    def cancel() -> None:
        raise Stop

    with pytest.raises(Stop):
        rollup(BASE, ROWS, cancel=cancel, executor=tracked)
    assert closed == [True]


def test_a_failing_member_is_named_by_its_row_the_first_in_row_order(
    monkeypatch: pytest.MonkeyPatch, small_tasks: None
) -> None:
    """Rows 7 and 2 fail at run time; the task of row 7 comes back first, but the
    error is row 2's, as it is when the rows run in order."""
    real = rollup_module.run_member

    def failing(scenario: Any, **kwargs: Any) -> Any:
        if scenario.name in ("County 2", "County 7"):
            raise ScenarioError.single(("detainers_per_year",), f"{scenario.name} failed")
        return real(scenario, **kwargs)

    monkeypatch.setattr(rollup_module, "run_member", failing)
    for executor in (None, _reversed):
        with pytest.raises(ScenarioError) as exc:
            rollup(BASE, ROWS, executor=executor)
        assert [(e.pointer, e.reason) for e in exc.value.errors] == [
            ("/rows/2/detainers_per_year", "County 2 failed")
        ]


def test_an_executor_that_loses_a_task_is_an_error_not_a_short_total(
    small_tasks: None,
) -> None:
    def lossy(fn: Fn, tasks: Iterable[MemberBlock]) -> list[BlockRun]:
        return [fn(t) for t in tasks][:-1]

    with pytest.raises(RuntimeError, match="did not return every task"):
        rollup(BASE, ROWS, executor=lossy)


@pytest.mark.usefixtures("small_tasks")
def test_a_task_sums_its_rows_in_row_order_from_zeros() -> None:
    seen: list[bytes] = []

    def record(fn: Fn, tasks: Iterable[MemberBlock]) -> Iterator[BlockRun]:
        for task in tasks:
            seen.append(pickle.dumps(task))  # before it runs: running advances its streams
            yield fn(task)

    rollup(BASE, ROWS, seed=9, shared=["honor_rate"], executor=record)
    task: MemberBlock = pickle.loads(seen[1])
    result = run_block(pickle.loads(seen[1]))
    rows = [
        run_row(sc, rng=stream, shared=task.shared, keys=task.keys)
        for sc, stream in zip(task.scenarios, task.streams, strict=True)
    ]
    assert (result.index, result.start, len(rows)) == (1, 3, 3)
    for key in ("annual_cost", "total_cost", "year:1:net_cost"):
        expected = np.zeros(BASE["trials"])
        for row in rows:
            expected += row.samples[key]
        assert np.array_equal(result.partial[key], expected)
    assert result.summaries == tuple((r.annual_cost, r.total_cost) for r in rows)


# --- portfolios -------------------------------------------------------------------------

MEMBERS = [{**BASE, "name": f"M{i}", "detainers_per_year": 50 + 60 * i} for i in range(5)]


def _members_reversed(fn: Any, tasks: Iterable[Any]) -> Iterator[Any]:
    """Every member run on a pickled copy, the outcomes pickled and handed back last first."""
    outcomes: list[Any] = [
        pickle.loads(pickle.dumps(fn(pickle.loads(pickle.dumps(t))))) for t in tasks
    ]
    return iter(outcomes[::-1])


def test_a_portfolio_on_an_executor_gives_the_same_bytes() -> None:
    kwargs: dict[str, Any] = {"threshold": 1e6, "seed": 8, "shared": ["honor_rate"]}
    here = portfolio(MEMBERS, **kwargs)
    reports: list[tuple[int, int]] = []
    there = portfolio(
        MEMBERS,
        executor=_members_reversed,
        progress=lambda d, t: reports.append((d, t)),
        **kwargs,
    )
    assert json.dumps(there.to_dict()) == json.dumps(here.to_dict())
    trials = BASE["trials"]
    assert reports == [(n * trials, 5 * trials) for n in range(1, 6)]


def test_a_portfolio_member_that_fails_is_named_first_in_member_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    portfolio_module = importlib.import_module("models.analyses.portfolio")
    real = portfolio_module.run_member

    def failing(scenario: Any, **kwargs: Any) -> Any:
        if scenario.name in ("M1", "M3"):
            raise ScenarioError.single(("honor_rate",), f"{scenario.name} failed")
        return real(scenario, **kwargs)

    monkeypatch.setattr(portfolio_module, "run_member", failing)
    for executor in (None, _members_reversed):
        with pytest.raises(ScenarioError) as exc:
            portfolio(MEMBERS, executor=executor)
        assert [(e.pointer, e.reason) for e in exc.value.errors] == [
            ("/members/1/honor_rate", "M1 failed")
        ]


def test_a_portfolio_executor_that_loses_a_member_is_an_error() -> None:
    def lossy(fn: Any, tasks: Iterable[Any]) -> list[Any]:
        return [fn(t) for t in tasks][1:]

    with pytest.raises(RuntimeError, match="did not return every member"):
        portfolio(MEMBERS, executor=lossy)
