"""Result types of the engine: frozen dataclasses with a JSON-able ``to_dict``."""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from .scenario import percentile_key

__all__ = [
    "ChunkedSamples",
    "Convergence",
    "Exceedance",
    "HalfWidths",
    "LeanResult",
    "Provenance",
    "RankTable",
    "SimulationResult",
    "Summary",
    "YearSummary",
    "ci_ranks",
    "lerp",
    "order_statistics",
    "rank_table",
    "relative_half_widths",
    "summarize",
]

_Z975 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Summary:
    """Summary of one quantity over the trials.

    Attributes
    ----------
    mean, sd : float
        Sample mean and standard deviation (``ddof=1``; 0 for a single trial).
    se : float
        Standard error of the mean, sd / sqrt(n).
    ci95_mean : tuple of float
        95% confidence interval of the mean (normal approximation, mean +/- 1.96 se): the
        Monte Carlo precision of the estimated mean, not a range of costs.
    min, max : float
    percentiles : mapping of str to float
        Keyed ``p5``, ``p50``, ... (linear interpolation between order statistics, as
        ``numpy.percentile``).
    percentile_ci95 : mapping of str to (float, float)
        Distribution-free 95% confidence interval of each percentile: the order
        statistics whose ranks are the 2.5% and 97.5% points of Binomial(n, q).
    """

    mean: float
    sd: float
    se: float
    ci95_mean: tuple[float, float]
    min: float
    max: float
    percentiles: Mapping[str, float]
    percentile_ci95: Mapping[str, tuple[float, float]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "mean": self.mean,
            "sd": self.sd,
            "se": self.se,
            "ci95_mean": list(self.ci95_mean),
            "min": self.min,
            "max": self.max,
            "percentiles": dict(self.percentiles),
            "percentile_ci95": {k: list(v) for k, v in self.percentile_ci95.items()},
        }


def ci_ranks(n: int, qs: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """0-based order-statistic indices of the 95% CI of each quantile ``q``."""
    lo = stats.binom.ppf(0.025, n, qs) - 1
    hi = stats.binom.ppf(0.975, n, qs)
    return (np.clip(lo, 0, n - 1).astype(np.intp), np.clip(hi, 0, n - 1).astype(np.intp))


def _frozen(a: NDArray[Any]) -> NDArray[Any]:
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class RankTable:
    """Where the percentiles of ``n`` sorted values and their 95% CIs lie.

    The same for every quantity of a run with ``n`` trials, so it is computed once per
    ``(n, percentiles)`` (:func:`rank_table`). Arrays are read-only.

    Attributes
    ----------
    keys : tuple of str
        ``p5``, ``p50``, ... in the order of the percentiles.
    below, above : ndarray of intp
        Order statistics each percentile interpolates between.
    fraction : ndarray of float
        Interpolation weight of ``above`` (as ``numpy.percentile``, method linear).
    ci_lo, ci_hi : ndarray of intp
        Order statistics bounding each percentile's 95% CI (:func:`ci_ranks`).
    kth : ndarray of intp
        Every index above plus the first and last, for ``numpy.partition``.
    """

    keys: tuple[str, ...]
    below: NDArray[np.intp]
    above: NDArray[np.intp]
    fraction: NDArray[np.float64]
    ci_lo: NDArray[np.intp]
    ci_hi: NDArray[np.intp]
    kth: NDArray[np.intp]


@functools.lru_cache(maxsize=256)
def rank_table(n: int, percentiles: tuple[float, ...]) -> RankTable:
    """The :class:`RankTable` of ``n`` trials and ``percentiles`` (in percent); cached.

    Parameters
    ----------
    n : int
        Number of values, at least 1.
    percentiles : tuple of float
        In percent, 0 to 100.

    Returns
    -------
    RankTable
    """
    qs = np.asarray(percentiles, dtype=np.float64) / 100.0
    position = qs * (n - 1)
    below = np.floor(position).astype(np.intp)
    above = np.minimum(below + 1, n - 1)
    ci_lo, ci_hi = ci_ranks(n, qs)
    kth = np.unique(np.concatenate([[0, n - 1], below, above, ci_lo, ci_hi]))
    return RankTable(
        keys=tuple(percentile_key(p) for p in percentiles),
        below=_frozen(below),
        above=_frozen(above),
        fraction=_frozen(position - below),
        ci_lo=_frozen(ci_lo),
        ci_hi=_frozen(ci_hi),
        kth=_frozen(kth.astype(np.intp)),
    )


def lerp(a: NDArray[np.float64], b: NDArray[np.float64], t: NDArray[np.float64]) -> Any:
    """numpy.percentile's linear interpolation, to the last bit."""
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def _lerp_each(a: list[float], b: list[float], t: list[float]) -> list[float]:
    """:func:`lerp` of a few values as Python floats (the same IEEE operations, without
    numpy's per-call cost)."""
    out = []
    for low, high, w in zip(a, b, t, strict=True):
        diff = high - low
        out.append(high - diff * (1 - w) if w >= 0.5 else low + diff * w)
    return out


def order_statistics(x: NDArray[np.float64], ranks: RankTable) -> NDArray[np.float64]:
    """``x`` arranged so that every index of ``ranks.kth`` holds that order statistic.

    One sort (numpy's vectorized sort is several times faster than a partition at the
    ~20 indices a summary needs). Equal floats are the same bits except 0.0 and -0.0;
    when both occur, which lands at an index is up to the algorithm (the vectorized
    sort may even give one sign to all), so those arrays are partitioned exactly as
    before (same ``kth``), keeping every figure and its sign unchanged. Whether ``x``
    holds a zero at all is read off the sorted values (none when every value is on one
    side of 0; else by bisection), their signs off ``x``.
    """
    ordered = np.sort(x)
    n = ordered.size
    if n and not (ordered[0] > 0 or ordered[n - 1] < 0):
        lo = int(np.searchsorted(ordered, 0.0, side="left"))
        hi = int(np.searchsorted(ordered, 0.0, side="right"))
        if hi > lo:
            signs = np.signbit(x[x == 0])
            if signs.any() and not signs.all():
                return np.partition(x, ranks.kth)
    return ordered


def _mean_sd(x: NDArray[np.float64]) -> tuple[float, float]:
    """``numpy.mean(x)`` and ``numpy.std(x, ddof=1)`` (0 for one value) to the bit: the
    same operations as numpy's (the sum, over the count; the deviations from it,
    squared in place, summed, over ``n - 1``, square root), the sum taken once."""
    n = x.size
    total = np.add.reduce(x, axis=None)
    mean = total / n
    if n < 2:
        return float(mean), 0.0
    deviations = x - mean
    np.multiply(deviations, deviations, out=deviations)
    return float(mean), math.sqrt(np.add.reduce(deviations, axis=None) / (n - 1))


def summarize(
    values: NDArray[np.float64], percentiles: Sequence[float], *, percentile_ci: bool = True
) -> Summary:
    """Summarize per-trial values.

    Parameters
    ----------
    values : ndarray
        One value per trial (at least one).
    percentiles : sequence of float
        In percent, 0 to 100.
    percentile_ci : bool, default True, keyword-only
        Whether to give each percentile's 95% CI; without it ``percentile_ci95`` is
        empty. Every other figure is the same to the bit either way.

    Returns
    -------
    Summary
    """
    x = np.asarray(values, dtype=np.float64)
    n = x.size
    mean, sd = _mean_sd(x)
    se = sd / math.sqrt(n)
    r = rank_table(n, tuple(float(p) for p in percentiles))
    part = order_statistics(x, r)
    values_q = _lerp_each(part[r.below].tolist(), part[r.above].tolist(), r.fraction.tolist())
    return Summary(
        mean=mean,
        sd=sd,
        se=se,
        ci95_mean=(mean - _Z975 * se, mean + _Z975 * se),
        min=float(part[0]),
        max=float(part[n - 1]),
        percentiles=dict(zip(r.keys, values_q, strict=True)),
        percentile_ci95={
            k: (float(part[lo]), float(part[hi]))
            for k, lo, hi in zip(r.keys, r.ci_lo, r.ci_hi, strict=True)
        }
        if percentile_ci
        else {},
    )


def relative_half_widths(values: NDArray[np.float64]) -> tuple[float, float]:
    """Half-widths of the 95% CIs of the mean and of the 95th percentile, each over the
    absolute value of its estimate (0 when both are 0, infinity when only the estimate is)."""
    s = summarize(values, (95.0,))

    def ratio(half: float, estimate: float) -> float:
        if half == 0:
            return 0.0
        return half / abs(estimate) if estimate != 0 else math.inf

    lo, hi = s.percentile_ci95["p95"]
    return (ratio(_Z975 * s.se, s.mean), ratio((hi - lo) / 2, s.percentiles["p95"]))


class ChunkedSamples(Mapping[str, NDArray[np.float64]]):
    """Per-trial values of a run made in chunks: each key's chunks are joined the first
    time it is read, then kept (read-only). A run's samples hold every per-trial
    quantity, while a lean result reads a few; joining only those spares copying the
    rest (issue 10). With one chunk the chunk's arrays are the values themselves.

    Parameters
    ----------
    parts : sequence of mapping of str to ndarray or float
        Each chunk's per-trial values, with the same keys, in trial order (the
        mappings are not changed; a key's chunk arrays are let go once it is joined, so
        a result that keeps its samples holds each value once, never chunks and joined
        copy both). A float is that value in every trial of its chunk (a fixed input),
        made an array only when read.
    sizes : sequence of int, optional
        The trials of each chunk; needed when a chunk gives a float, else taken from
        the arrays.
    """

    def __init__(
        self,
        parts: Sequence[Mapping[str, NDArray[np.float64] | float]],
        sizes: Sequence[int] | None = None,
    ) -> None:
        if not parts:
            raise ValueError("samples need at least one chunk")
        if sizes is None:
            sizes = [_size(p) for p in parts]
        if len(sizes) != len(parts):
            raise ValueError("samples need one size per chunk")
        self._keys = tuple(parts[0])
        self._parts: tuple[dict[str, NDArray[np.float64] | float], ...] | None = tuple(
            dict(p) for p in parts
        )
        self._sizes = tuple(sizes)
        self._joined: dict[str, NDArray[np.float64]] = {}
        self._lock = threading.Lock()

    def __getitem__(self, key: str) -> NDArray[np.float64]:
        joined = self._joined.get(key)
        if joined is not None:
            return joined
        if key not in self._keys:
            raise KeyError(key)
        with self._lock:  # one thread joins a key and lets its chunks go
            joined = self._joined.get(key)
            if joined is not None:
                return joined
            parts = self._parts
            assert parts is not None  # set to None only once every key is joined
            values = [p.pop(key) for p in parts]
            joined = self._join(values)
            joined.flags.writeable = False
            self._joined[key] = joined
            if len(self._joined) == len(self._keys):
                self._parts = None
        return joined

    def _join(self, values: Sequence[NDArray[np.float64] | float]) -> NDArray[np.float64]:
        if all(isinstance(v, float) for v in values) and len(set(values)) == 1:
            return np.full(sum(self._sizes), values[0])
        if len(values) == 1:
            # One chunk: its array, not a copy (unless it is a strided view).
            return np.ascontiguousarray(values[0])
        return np.concatenate(
            [
                np.full(n, v) if isinstance(v, float) else v
                for v, n in zip(values, self._sizes, strict=True)
            ]
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._joined or (isinstance(key, str) and key in self._keys)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (to another process) as the plain dict of every joined key.
        return (dict, (dict(self.items()),))


def _size(part: Mapping[str, NDArray[np.float64] | float]) -> int:
    """The trials of a chunk: the size of its first array."""
    for value in part.values():
        if not isinstance(value, float):
            return int(np.size(value))
    raise ValueError("give the sizes of chunks whose every value is a float")


class HalfWidths(Mapping[str, float]):
    """:func:`relative_half_widths` of per-trial values as ``{"mean": ..., "p95": ...}``,
    computed the first time either is read (a lean result whose caller reads only its
    summaries does without them: issue 10)."""

    def __init__(self, values: NDArray[np.float64]) -> None:
        self._values: NDArray[np.float64] | None = values
        self._widths: dict[str, float] | None = None

    def _get(self) -> dict[str, float]:
        widths = self._widths
        if widths is None:
            assert self._values is not None
            mean_width, p95_width = relative_half_widths(self._values)
            widths = self._widths = {"mean": mean_width, "p95": p95_width}
            self._values = None
        return widths

    def __getitem__(self, key: str) -> float:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(("mean", "p95"))

    def __len__(self) -> int:
        return 2

    def __repr__(self) -> str:
        return repr(self._get())

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (self._get(),))


@dataclass(frozen=True)
class Convergence:
    """How precise the Monte Carlo estimates are, and what stopped the run."""

    target: float | None
    trials_run: int
    trial_cap: int
    relative_half_width: Mapping[str, float]
    stopped_by: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "target": self.target,
            "trials_run": self.trials_run,
            "trial_cap": self.trial_cap,
            # Undefined (an estimate of 0 with some spread) is null, never infinity.
            "relative_half_width": {
                k: (v if math.isfinite(v) else None) for k, v in self.relative_half_width.items()
            },
            "stopped_by": self.stopped_by,
        }


@dataclass(frozen=True)
class YearSummary:
    """One simulated year.

    Attributes
    ----------
    year : int
    gross_cost : Summary
        The year's cost before offsets: ``net_cost`` less ``offsets``.
    offsets : Summary
        The year's offsets (SCAAP and other reimbursement), negative as in
        ``SimulationResult.components``, so ``gross_cost + offsets = net_cost``.
    net_cost, bed_days, detainers, honored : Summary
    beds_occupied : Summary
        Average daily beds occupied: the year's detainer-caused bed-days over its days.
    label : str or None
        ``FY2027`` when the scenario gives ``fiscal_year_start_month`` (``year`` is then
        the fiscal year, named by the calendar year it ends in); None otherwise, and
        then absent from ``to_dict``.
    hold_rule : str
        The hold rule the year's holds followed: ``business_hours``, ``clock_hours``, or
        ``business_hours_then_clock_hours`` (2017 under the default, release dates
        before 2 April 2017 on business hours, from then on clock hours).
    """

    year: int
    net_cost: Summary
    bed_days: Summary
    detainers: Summary
    honored: Summary
    hold_rule: str
    gross_cost: Summary
    offsets: Summary
    beds_occupied: Summary
    label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "year": self.year,
            **({"label": self.label} if self.label is not None else {}),
            "hold_rule": self.hold_rule,
            "gross_cost": self.gross_cost.to_dict(),
            "offsets": self.offsets.to_dict(),
            "net_cost": self.net_cost.to_dict(),
            "bed_days": self.bed_days.to_dict(),
            "beds_occupied": self.beds_occupied.to_dict(),
            "detainers": self.detainers.to_dict(),
            "honored": self.honored.to_dict(),
        }


@dataclass(frozen=True)
class Exceedance:
    """Probability that year-1 net cost exceeds a threshold."""

    threshold: float
    probability: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"threshold": self.threshold, "probability": self.probability}


@dataclass(frozen=True)
class Provenance:
    """What produced a result, to reproduce it.

    ``hold_rule`` is the scenario's: ``business_hours``, ``clock_hours``, or
    ``form_in_force`` (none given: each year's rule is in ``YearSummary.hold_rule``).
    ``extra_stay_applies_to`` is ``honored`` or ``lodged``: which detainers lengthened
    the stay, and so what not honoring them saves. In a portfolio's or roll-up's total
    either is ``mixed`` when the members differ.

    ``description`` is the scenario's ``description`` as given (for a preset: what it
    is, its source (title, author, year, URL where public), its published headline and
    how its inputs were obtained), or None. ``input_notes`` holds each input's ``note``
    as given, by dotted field name (for a preset: ``"<basis>: <note>"``, the basis being
    published, derived or assumption); an input given without a note is absent. A
    portfolio's or roll-up's total has neither (each member's own result carries them).
    """

    model_version: str
    numpy_version: str
    scipy_version: str
    seed: int | None
    scenario_sha256: str
    trials: int
    start_year: int
    sampling: str
    hold_rule: str
    extra_stay_applies_to: str
    description: str | None = None
    input_notes: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "model_version": self.model_version,
            "numpy_version": self.numpy_version,
            "scipy_version": self.scipy_version,
            "seed": self.seed,
            "scenario_sha256": self.scenario_sha256,
            "trials": self.trials,
            "start_year": self.start_year,
            "sampling": self.sampling,
            "hold_rule": self.hold_rule,
            "extra_stay_applies_to": self.extra_stay_applies_to,
            "description": self.description,
            "input_notes": dict(self.input_notes),
        }


def _opt(summary: Summary | None) -> dict[str, Any] | None:
    return None if summary is None else summary.to_dict()


@dataclass(frozen=True)
class SimulationResult:
    """Result of :func:`models.simulate`.

    Dollar figures are net costs on the basis ``cost_basis`` names (``marginal``: at
    ``daily_cost``; ``average``: at ``daily_cost_average``, the only daily cost given)
    unless named otherwise. In ``components`` the offsets (``scaap_reimbursement``,
    ``other_reimbursement``) are negative, so the components add up to ``annual_cost``
    trial by trial. Detainer-days (``detainer_bed_days``, ``detainer_days_cost``) are an
    upper bound reported beside the cost and are in no cost total.

    Attributes
    ----------
    name : str or None
        The scenario's name.
    trials : int
    annual_cost : Summary
        Year-1 net cost.
    total_cost : Summary
        Net cost summed over the horizon.
    present_value : Summary
        Net cost over the horizon discounted at ``discount_rate``.
    bed_days, hold_bed_days, extra_bed_days : Summary
        Detainer-caused bed-days of year 1: all, the hold itself, the lengthened stay.
    detainers, honored, transfers : Summary
        Year-1 counts.
    components : mapping of str to Summary
        Year-1 cost components and offsets.
    cost_basis : str
        ``marginal`` or ``average``: the daily cost every cost figure uses.
    parameter_range : mapping of str to Summary
        ``annual_cost`` and ``total_cost``: the spread of the expected cost given each
        trial's drawn inputs (closed form, no person-to-person chance), i.e. what the
        uncertainty about the county's inputs alone gives. ``annual_cost`` itself is the
        full range: that plus person-to-person chance. ``ci95_mean`` of either is the
        Monte Carlo precision of the estimate of the mean, not a range of costs.
    average_basis : mapping of str to Summary or None
        ``annual_cost``, ``total_cost``, ``present_value`` at the fully loaded daily cost,
        when both ``daily_cost`` and ``daily_cost_average`` are given.
    detainer_bed_days, detainer_days_cost : Summary or None
        Year-1 detainer-days (every detainer lodged times ``detainer_days_per_detainer``)
        and their cost at the ``cost_basis`` daily cost, when that input is given: an
        upper bound on what detainers cost the jail, never added to ``annual_cost``,
        ``total_cost`` or ``present_value``.
    years : tuple of YearSummary
    exceedance : tuple of Exceedance
    per_capita_cost, budget_share : Summary or None
        Year-1 net cost per resident and as a share of the annual budget.
    cost_per_honored_detainer : float or None
        Mean year-1 net cost over mean honored detainers (None when none are honored).
    average_beds_occupied : Summary
        Year-1 detainer-caused bed-days over the days of the year.
    provenance : Provenance
    convergence : Convergence
        Relative half-widths of the 95% CIs of the mean and 95th percentile of year-1 net
        cost, and whether the trial count, the precision target or the trial cap ended
        the run.
    samples : mapping of str to ndarray
        Per-trial values (year-1 quantities, totals, and drawn inputs under ``input:NAME``).
        Read-only; not part of ``to_dict``.
    """

    name: str | None
    trials: int
    annual_cost: Summary
    total_cost: Summary
    present_value: Summary
    bed_days: Summary
    hold_bed_days: Summary
    extra_bed_days: Summary
    detainers: Summary
    honored: Summary
    transfers: Summary
    components: Mapping[str, Summary]
    cost_basis: str
    parameter_range: Mapping[str, Summary]
    average_basis: Mapping[str, Summary] | None
    detainer_bed_days: Summary | None
    detainer_days_cost: Summary | None
    years: tuple[YearSummary, ...]
    exceedance: tuple[Exceedance, ...]
    per_capita_cost: Summary | None
    budget_share: Summary | None
    cost_per_honored_detainer: float | None
    average_beds_occupied: Summary
    provenance: Provenance
    convergence: Convergence
    samples: Mapping[str, NDArray[np.float64]] = field(
        repr=False, compare=False, default_factory=dict
    )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: what the CLI's ``--format json`` and the HTTP API return."""
        return {
            "name": self.name,
            "trials": self.trials,
            "annual_cost": self.annual_cost.to_dict(),
            "total_cost": self.total_cost.to_dict(),
            "present_value": self.present_value.to_dict(),
            "bed_days": self.bed_days.to_dict(),
            "hold_bed_days": self.hold_bed_days.to_dict(),
            "extra_bed_days": self.extra_bed_days.to_dict(),
            "detainers": self.detainers.to_dict(),
            "honored": self.honored.to_dict(),
            "transfers": self.transfers.to_dict(),
            "components": {k: v.to_dict() for k, v in self.components.items()},
            "cost_basis": self.cost_basis,
            "parameter_range": {k: v.to_dict() for k, v in self.parameter_range.items()},
            "average_basis": None
            if self.average_basis is None
            else {k: v.to_dict() for k, v in self.average_basis.items()},
            "detainer_bed_days": _opt(self.detainer_bed_days),
            "detainer_days_cost": _opt(self.detainer_days_cost),
            "years": [y.to_dict() for y in self.years],
            "exceedance": [e.to_dict() for e in self.exceedance],
            "per_capita_cost": _opt(self.per_capita_cost),
            "budget_share": _opt(self.budget_share),
            "cost_per_honored_detainer": self.cost_per_honored_detainer,
            "average_beds_occupied": self.average_beds_occupied.to_dict(),
            "convergence": self.convergence.to_dict(),
            "provenance": self.provenance.to_dict(),
        }


@dataclass(frozen=True)
class LeanResult:
    """Result of :func:`models.simulate` called with ``summaries=``: only what was asked.

    The simulation is the same as for a full :class:`SimulationResult` (same seed, same
    draws, same per-trial values); only the summaries not asked for are skipped. Each
    summary is the same to the bit as the full result's figure for the same quantity
    (``summaries["annual_cost"]`` equals ``SimulationResult.annual_cost``,
    ``summaries["component:hold"]`` equals ``components["hold"]``, and so on).

    Attributes
    ----------
    name : str or None
        The scenario's name.
    trials : int
    summaries : mapping of str to Summary
        One per requested per-trial key, in the order asked (keys as in ``samples``).
    provenance : Provenance
    convergence : Convergence
    samples : mapping of str to ndarray
        Every per-trial value, as in :class:`SimulationResult`. Read-only.
    """

    name: str | None
    trials: int
    summaries: Mapping[str, Summary]
    provenance: Provenance
    convergence: Convergence
    samples: Mapping[str, NDArray[np.float64]] = field(
        repr=False, compare=False, default_factory=dict
    )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "name": self.name,
            "trials": self.trials,
            "summaries": {k: v.to_dict() for k, v in self.summaries.items()},
            "convergence": self.convergence.to_dict(),
            "provenance": self.provenance.to_dict(),
        }
