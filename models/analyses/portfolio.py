"""Portfolio: several jurisdictions summed trial by trial, and the probability that
their total passes a threshold (such as UMRA's)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..calendar import year_hold_rule
from ..distributions import is_number
from ..engine import Cancel, build_result, cost_basis
from ..errors import FieldError, ScenarioError
from ..results import Convergence, SimulationResult
from ..scenario import Scenario, parse_seed
from .common import Array, Budget, InOrder, Progress, parse_at, part, prefixed
from .shared import SharedInputs, parse_shared, run_member, shared_errors

__all__ = [
    "MAX_MEMBERS",
    "MIXED",
    "UMRA_THRESHOLDS",
    "Member",
    "MemberExecutor",
    "MemberOutcome",
    "MemberTask",
    "PortfolioResult",
    "basis_errors",
    "parse_threshold",
    "portfolio",
    "run_portfolio_member",
    "with_members_settings",
]

MAX_MEMBERS = 50

#: What a total's provenance (``hold_rule``, ``extra_stay_applies_to``) and a year's
#: ``hold_rule`` say when its members differ: no one value describes the sum.
MIXED = "mixed"

#: UMRA Title I intergovernmental mandate threshold by year, US dollars: $50M when UMRA
#: took effect in 1996, adjusted annually for inflation, as the Congressional Budget
#: Office stated it for that year. Only years whose figure was found in a CBO statement
#: (or a report of one) are here; docs/model.md names the document for each year, and a
#: test keeps the two equal.
UMRA_THRESHOLDS: dict[int, float] = {
    1996: 50e6,
    2009: 69e6,
    2011: 71e6,
    2012: 73e6,
    2013: 75e6,
    2015: 77e6,
    2016: 77e6,
    2019: 82e6,
    2020: 84e6,
    2021: 85e6,
    2024: 100e6,
    2025: 103e6,
}


@dataclass(frozen=True)
class Member:
    """One jurisdiction of a portfolio."""

    name: str | None
    result: SimulationResult
    share: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"name": self.name, "result": self.result.to_dict(), "share": self.share}


@dataclass(frozen=True)
class PortfolioResult:
    """Result of :func:`portfolio`."""

    total: SimulationResult
    members: tuple[Member, ...]
    threshold: float | None
    threshold_source: str | None
    shared: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``shared`` only when some input is shared)."""
        out: dict[str, Any] = {
            "total": self.total.to_dict(),
            "members": [m.to_dict() for m in self.members],
            "threshold": self.threshold,
            "threshold_source": self.threshold_source,
        }
        if self.shared:
            out["shared"] = list(self.shared)
        return out


def parse_threshold(value: object) -> tuple[float | None, str | None]:
    """A threshold (dollars, or ``{"umra_year": YEAR}``) and where it comes from."""
    if value is None:
        return None, None
    if isinstance(value, Mapping):
        unknown = [k for k in value if k != "umra_year"]
        if unknown:
            raise ScenarioError.single(("threshold", unknown[0]), "is not a threshold option")
        year = value.get("umra_year")
        if not isinstance(year, int) or isinstance(year, bool) or year not in UMRA_THRESHOLDS:
            known = ", ".join(str(y) for y in UMRA_THRESHOLDS)
            raise ScenarioError.single(
                ("threshold", "umra_year"), f"must be one of the years CBO published: {known}"
            )
        return UMRA_THRESHOLDS[year], f"UMRA intergovernmental threshold for {year} (CBO)"
    if not is_number(value):
        raise ScenarioError.single(("threshold",), 'must be a dollar amount or {"umra_year": YEAR}')
    assert isinstance(value, int | float)
    return float(value), "given"


def portfolio(
    members: object,
    *,
    threshold: object = None,
    seed: int | None = None,
    shared: object = None,
    rng: Any = None,
    budget: Budget | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    executor: MemberExecutor | None = None,
    member_samples: bool = False,
) -> PortfolioResult:
    """Sum several jurisdictions trial by trial.

    Parameters
    ----------
    members : sequence of mappings
        Scenarios with equal ``trials``, ``horizon_years``, ``start_year``,
        ``percentiles`` and ``fiscal_year_start_month`` (the total's years are the
        first member's, labels and bounds); none may set ``seed`` or ``precision``.
    threshold : float or {"umra_year": int}, optional
        Dollar amount for P(total year-1 cost > threshold); ``umra_year`` takes CBO's
        published UMRA intergovernmental threshold of that year.
    seed : int, optional
        Seed of the portfolio (default 2877), a whole number from 0 to 2**64 - 1 like a
        scenario's; each member gets its own spawned stream.
    rng : numpy.random.Generator, keyword-only, optional
        Overrides ``seed``.
    shared : list of str, optional
        Uncertain inputs drawn once per trial for every member (common random numbers
        across the members; see :mod:`models.analyses.shared`); no member may correlate
        them.
    budget, progress, cancel : callable, optional
        As in :func:`compare`.
    executor : callable, optional
        Runs the members (:class:`MemberTask`, :func:`run_portfolio_member`):
        ``executor(fn, tasks)`` yields ``fn(task)`` for every task, in any order,
        possibly in other processes or machines (a Dask cluster:
        ``service.scaleout.DaskExecutor``). Default: here, one after another. The result
        has the same bytes whichever ran it (each member draws from its own stream, and
        the members are summed in their order).
    member_samples : bool, default False
        Keep each member's per-trial values in its result (``members[i].result.samples``).
        Off by default: the total is summed as members arrive and a member's result keeps
        its summaries only, so memory holds one member's values at a time (a 50-member,
        60,000-trial portfolio peaked at 1.5 GB when every member kept them).

    Returns
    -------
    PortfolioResult
        Its ``total``'s provenance gives the members' ``hold_rule`` and
        ``extra_stay_applies_to`` when they all share one, else ``"mixed"`` (each
        member's own is in its result); each year's ``hold_rule`` likewise.

    Raises
    ------
    ScenarioError
        Naming every fault; ``members/i/daily_cost`` for a member whose costs are on
        another basis than ``members[0]``'s (a sum of marginal and average costs has no
        basis to label).
    """
    if (
        not isinstance(members, Sequence)
        or isinstance(members, str)
        or not 1 <= len(members) <= MAX_MEMBERS
    ):
        raise ScenarioError.single(("members",), f"must be a list of 1 to {MAX_MEMBERS} scenarios")
    value, source = parse_threshold(threshold)
    names = parse_shared(shared)
    seed, parsed = _parse_members(members, seed)
    problems = [e for i, sc in enumerate(parsed) for e in shared_errors(sc, names, ("members", i))]
    if problems:
        raise ScenarioError(problems)
    if budget is not None:
        budget(
            [(("members", i, "trials"), sc.trials, sc.horizon_years) for i, sc in enumerate(parsed)]
        )
    root = np.random.default_rng(
        rng if rng is not None else (seed if seed is not None else parsed[0].seed)
    )
    common = SharedInputs(names, root) if names else None
    tasks = [
        MemberTask(i, sc, child, common)
        for i, (sc, child) in enumerate(zip(parsed, root.spawn(len(parsed)), strict=True))
    ]
    runs = _member_runs(tasks, (progress, cancel), executor)
    summed, first_conv, results = _fold(parsed, runs, cancel, keep=member_samples)
    first = parsed[0]
    populations = [sc.population for sc in parsed]
    total_sc = replace(
        first,
        name="Portfolio",
        thresholds=() if value is None else (value,),
        population=None if None in populations else float(sum(p or 0 for p in populations)),
        annual_budget=None,
        canonical={"members": [sc.canonical for sc in parsed], "threshold": value}
        | ({"shared": list(names)} if names else {}),
    )
    used_seed = None if rng is not None else (seed if seed is not None else first.seed)
    total = with_members_settings(build_result(total_sc, summed, used_seed, first_conv), parsed)
    total_mean = float(np.mean(summed["annual_cost"]))
    out = tuple(
        Member(sc.name, result, result.annual_cost.mean / total_mean if total_mean else 0.0)
        for sc, result in zip(parsed, results, strict=True)
    )
    return PortfolioResult(total, out, value, source, names)


@dataclass(frozen=True)
class MemberTask:
    """One member of a portfolio as an executor runs it (picklable): the member's
    scenario, the stream spawned for it from the portfolio's seed, and the shared
    inputs' draws."""

    index: int
    scenario: Scenario
    stream: np.random.Generator
    shared: SharedInputs | None


@dataclass(frozen=True)
class MemberOutcome:
    """A member's run: its per-trial values and convergence, or the errors of its draws
    (under ``members/i``; a ``ScenarioError`` does not survive pickling)."""

    index: int
    samples: Mapping[str, Array]
    convergence: Convergence | None
    errors: tuple[FieldError, ...] = ()


#: Runs ``fn`` on every task and yields the results in any order, as the builtin
#: ``map`` does in order (a Dask client, a process pool).
MemberExecutor = Callable[
    [Callable[[MemberTask], MemberOutcome], Iterable[MemberTask]], Iterable[MemberOutcome]
]


def run_portfolio_member(task: MemberTask) -> MemberOutcome:
    """Run one member of a portfolio on its own stream."""
    try:
        samples, conv = run_member(task.scenario, rng=task.stream, shared=task.shared)
    except ScenarioError as exc:
        errors = prefixed(exc, ("members", task.index)).errors
        return MemberOutcome(task.index, {}, None, tuple(errors))
    return MemberOutcome(task.index, samples, conv)


def _fold(
    parsed: Sequence[Scenario],
    runs: Iterable[tuple[Mapping[str, Array], Convergence]],
    cancel: Cancel | None,
    *,
    keep: bool,
) -> tuple[dict[str, Array], Convergence, list[SimulationResult]]:
    """The members' per-trial values summed as each run arrives (in member order, so the
    sum has the bits of ``numpy.sum`` over the stacked members), and each member's
    result built from its run and its values let go: memory holds the total and one
    member's values, never every member's, unless ``keep`` keeps each member's values in
    its result. Keys absent from any member are dropped,
    as are the drawn inputs (``input:*``)."""
    summed: dict[str, Array] = {}
    first_conv: Convergence | None = None
    results: list[SimulationResult] = []
    for sc, (samples, conv) in zip(parsed, runs, strict=True):
        if cancel is not None:
            cancel()
        if first_conv is None:
            first_conv = conv
            summed = {
                k: np.array(samples[k], copy=True)
                for k in sorted(samples)
                if not k.startswith("input:")
            }
        else:
            for k in list(summed):
                if k in samples:
                    summed[k] = summed[k] + samples[k]
                else:
                    del summed[k]
        result = build_result(sc, samples, None, conv)
        results.append(result if keep else replace(result, samples={}))
    assert first_conv is not None  # a portfolio has at least one member
    return summed, first_conv, results


def _member_runs(
    tasks: Sequence[MemberTask],
    hooks: tuple[Progress | None, Cancel | None],
    executor: MemberExecutor | None,
) -> Iterator[tuple[Mapping[str, Array], Convergence]]:
    """Every member's run, yielded in member order: here one after another (progress by
    trials), or on ``executor`` (progress by members come back; a member that comes back
    early waits for those before it).

    Raises
    ------
    ScenarioError
        The first member's, in member order, whose draws failed.
    """
    progress, cancel = hooks
    all_trials = sum(t.scenario.trials for t in tasks)
    if executor is None:
        for t in tasks:
            try:
                yield run_member(
                    t.scenario,
                    rng=t.stream,
                    shared=t.shared,
                    progress=part(progress, t.index * t.scenario.trials, all_trials),
                    cancel=cancel,
                )
            except ScenarioError as exc:
                raise prefixed(exc, ("members", t.index)) from None
        return
    yield from _in_member_order(executor(run_portfolio_member, tasks), tasks, hooks, all_trials)


def _in_member_order(
    results: Iterable[MemberOutcome],
    tasks: Sequence[MemberTask],
    hooks: tuple[Progress | None, Cancel | None],
    all_trials: int,
) -> Iterator[tuple[Mapping[str, Array], Convergence]]:
    """An executor's outcomes, which come back in any order, yielded in member order as
    soon as each member's turn comes, reporting progress and asking ``cancel`` as each
    comes back; the executor's generator is closed at the end (it cancels what it has not
    finished)."""
    progress, cancel = hooks
    order: InOrder[MemberOutcome] = InOrder()
    done = 0
    try:
        for outcome in results:
            if cancel is not None:
                cancel()
            if outcome.convergence is not None:
                done += outcome.convergence.trial_cap
            if progress is not None:
                progress(done, all_trials)
            for ready in order.add(outcome.index, outcome):
                if ready.errors:
                    raise ScenarioError(list(ready.errors))
                assert ready.convergence is not None
                yield ready.samples, ready.convergence
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
    if order.next != len(tasks) or order.waiting:
        raise RuntimeError("the executor did not return every member of the portfolio")


def _parse_members(members: Sequence[object], seed: object) -> tuple[int | None, list[Scenario]]:
    """The portfolio's seed and its members parsed, or a ScenarioError listing every
    fault: a bad seed, a member's own ``seed`` or ``precision``, a member that does not
    parse, and (when all parse) a member whose shared settings differ from the first's."""
    errors: list[FieldError] = []
    if seed is not None:
        try:
            seed = parse_seed(seed, ("seed",))
        except ScenarioError as exc:
            errors += exc.errors
    parsed: list[Scenario] = []
    for i, member in enumerate(members):
        errors += _portfolio_keys(member, i)
        try:
            parsed.append(parse_at(member, ("members", i)))
        except ScenarioError as exc:
            errors += exc.errors
    if not errors:
        errors = _mismatches(parsed)
    if errors:
        raise ScenarioError(errors)
    assert seed is None or isinstance(seed, int)
    return seed, parsed


def _portfolio_keys(member: object, i: int) -> list[FieldError]:
    """Fields member ``i`` sets that only the portfolio may set."""
    if not isinstance(member, Mapping):
        return []
    return [
        FieldError(("members", i, k), "is set by the portfolio, not a member")
        for k in ("seed", "precision")
        if k in member
    ]


def _mismatches(parsed: Sequence[Scenario]) -> list[FieldError]:
    """Members whose trials, horizon, start year, percentiles or fiscal year start month
    (given or not: a member that gives none has calendar years, labelled 2027 rather
    than FY2027) differ from the first's, or whose costs are on another basis (a sum of
    marginal and average costs has none)."""
    first = parsed[0]
    return [
        FieldError(("members", i, key), f"must equal members[0]'s {key}")
        for i, sc in enumerate(parsed[1:], start=1)
        for key in (
            "trials",
            "horizon_years",
            "start_year",
            "percentiles",
            "fiscal_year_start_month",
        )
        if getattr(sc, key) != getattr(first, key)
    ] + basis_errors(list(enumerate(parsed)), "members")


def basis_errors(members: Sequence[tuple[int, Scenario]], where: str) -> list[FieldError]:
    """``(where, i, "daily_cost")`` for every member whose costs are on another basis
    than the first one's (``cost_basis``: ``daily_cost`` given, marginal, or
    ``daily_cost_average`` alone, average): a sum of the two has no basis to label."""
    if not members:
        return []
    j, first = members[0]
    basis = cost_basis(first.params)
    give = "daily_cost (marginal)" if basis == "marginal" else "daily_cost_average only"
    return [
        FieldError(
            (where, i, "daily_cost"),
            f"{where}[{j}]'s costs are on the {basis} basis; give every {where[:-1]} a {give}",
        )
        for i, sc in members[1:]
        if cost_basis(sc.params) != basis
    ]


def with_members_settings(total: SimulationResult, parsed: Sequence[Scenario]) -> SimulationResult:
    """``total`` (built from ``parsed[0]``'s settings) with its provenance's
    ``hold_rule`` and ``extra_stay_applies_to``, and each year's ``hold_rule``, set to
    ``MIXED`` where the members differ, so the total never claims the first member's
    setting for all of them. A year's rule is worked out over each member's year (its
    fiscal year when it gives ``fiscal_year_start_month``), as the engine does."""
    rules = {sc.hold_rule or "form_in_force" for sc in parsed}
    applies = {sc.extra_stay_applies_to for sc in parsed}
    provenance = replace(
        total.provenance,
        hold_rule=rules.pop() if len(rules) == 1 else MIXED,
        extra_stay_applies_to=applies.pop() if len(applies) == 1 else MIXED,
    )
    years = []
    for y in total.years:
        used = {year_hold_rule(y.year, sc.hold_rule, sc.start_month) for sc in parsed}
        years.append(replace(y, hold_rule=used.pop() if len(used) == 1 else MIXED))
    return replace(total, provenance=provenance, years=tuple(years))
