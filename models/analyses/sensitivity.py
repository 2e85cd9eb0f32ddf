"""Sensitivity: which input drives year-1 net cost (a tornado, Spearman rank
correlations and, unless turned off, Sobol indices)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from scipy.stats import qmc

from ..engine import Cancel, build_result, run, run_trials, scheduled_keys
from ..presets import parse_expanded
from ..results import SimulationResult
from ..scenario import BY_NAME, UNCERTAIN, Scenario
from .common import Array, Budget, Progress, Streams, part

__all__ = [
    "SOBOL_N",
    "TORNADO_TRIALS",
    "RankCorrelation",
    "SensitivityResult",
    "SobolIndex",
    "TornadoBar",
    "reported_index",
    "sensitivity",
    "sensitivity_work",
    "uncertain_inputs",
]


class Purpose(IntEnum):
    """The streams the Sobol estimator draws for itself (:meth:`Streams.own`)."""

    SOBOL_POINTS = 1
    MODEL_NOISE = 2
    BOOTSTRAP = 3


@dataclass(frozen=True)
class TornadoBar:
    """Mean year-1 net cost with one input at its 10th and 90th percentiles."""

    input: str
    input_low: float
    input_high: float
    low: float
    high: float
    swing: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class RankCorrelation:
    """Spearman correlation of an input with year-1 net cost, and its share of variance."""

    input: str
    rho: float
    contribution: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class SobolIndex:
    """First- and total-order Sobol indices of an input, with bootstrap 95% CIs.

    The indices are estimates of shares of variance, which cannot be negative: one whose
    95% CI reaches 0 (or lies below it) is reported as 0, with its CI as estimated, since
    the data do not tell it from no contribution (:func:`reported_index`).
    """

    input: str
    first_order: float
    first_order_ci95: tuple[float, float]
    total_order: float
    total_order_ci95: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        d = dict(self.__dict__)
        d["first_order_ci95"] = list(self.first_order_ci95)
        d["total_order_ci95"] = list(self.total_order_ci95)
        return d


@dataclass(frozen=True)
class SensitivityResult:
    """Result of :func:`sensitivity`; every figure concerns year-1 net cost."""

    base: float
    tornado: tuple[TornadoBar, ...]
    rank_correlation: tuple[RankCorrelation, ...]
    sobol: tuple[SobolIndex, ...]
    model_noise_share: float
    evaluations: Mapping[str, int]
    result: SimulationResult = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "output": "annual_cost",
            "base": self.base,
            "tornado": [t.to_dict() for t in self.tornado],
            "rank_correlation": [r.to_dict() for r in self.rank_correlation],
            "sobol": [s.to_dict() for s in self.sobol],
            "model_noise_share": self.model_noise_share,
            "evaluations": dict(self.evaluations),
        }


TORNADO_TRIALS = 1000
SOBOL_N = 512


def uncertain_inputs(sc: Scenario) -> list[str]:
    """The inputs of ``sc`` given as distributions, in field-table order."""
    return [n for n in UNCERTAIN if n in sc.params and not sc.params[n].is_fixed]


def sensitivity_work(
    sc: Scenario, tornado_trials: int = TORNADO_TRIALS, sobol_n: int = SOBOL_N
) -> dict[str, int]:
    """Trials each part of :func:`sensitivity` runs (for work budgets)."""
    d = len(uncertain_inputs(sc))
    return {
        "main": sc.trials,
        "tornado": (2 * d + 1) * tornado_trials if d else 0,
        "sobol": sobol_n * (d + 2) if d and sobol_n else 0,
    }


def _fixed_inputs(sc: Scenario, size: int, values: Mapping[str, float]) -> dict[str, Array]:
    inputs = {}
    for name, dist in sc.params.items():
        value = values.get(name, float(dist.ppf(0.5)))
        inputs[name] = np.full(size, np.rint(value) if BY_NAME[name].count else value)
    # Scheduled values of later years (NAME@YEAR) at their medians too: they change no
    # year-1 figure, but every year is simulated.
    for key in scheduled_keys(sc):
        name, year = key.split("@")
        median = float(sc.schedules[name].at(int(year)).ppf(0.5))
        inputs[key] = np.full(size, np.rint(median) if BY_NAME[name].count else median)
    return inputs


def sensitivity(
    scenario: Mapping[str, Any] | Scenario,
    *,
    rng: Any = None,
    tornado_trials: int = TORNADO_TRIALS,
    sobol_n: int = SOBOL_N,
    sobol: bool = True,
    budget: Budget | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> SensitivityResult:
    """Which inputs drive year-1 net cost.

    Parameters
    ----------
    scenario : mapping or Scenario
    rng : numpy.random.Generator, int or None, keyword-only
        ``None`` uses the scenario's seed.
    tornado_trials : int
        Trials per tornado evaluation; all evaluations share their random numbers.
    sobol_n : int
        Base sample size of the Sobol estimator (a power of 2); it evaluates the model
        ``sobol_n * (d + 2)`` times for ``d`` uncertain inputs.
    sobol : bool
        Whether to compute Sobol indices at all (a report needs only the tornado).
    budget, progress, cancel : callable, optional
        As in :func:`compare`; every evaluation counts (progress counts the trials of
        the main run, the tornado and the Sobol evaluations).

    Returns
    -------
    SensitivityResult
        ``tornado``: each uncertain input at its 10th and 90th percentile, the others at
        their medians, sorted by swing. ``rank_correlation``: Spearman correlation of each
        input with the cost in the main run, and rho^2 over the sum of rho^2.
        ``sobol``: first- and total-order indices (``scipy.stats.sobol_indices``,
        Saltelli 2010) with bootstrap CIs, for independent inputs. The model's own
        randomness (who is booked, which day they are released) is part of the cost's
        variance: ``model_noise_share`` estimates its share, which also appears in the
        total-order indices.
    """
    sc = parse_expanded(scenario)
    if sobol and (sobol_n < 2 or sobol_n & (sobol_n - 1)):
        raise ValueError("sobol_n must be a power of 2")
    names = uncertain_inputs(sc)
    work = sensitivity_work(sc, tornado_trials, sobol_n if sobol else 0)
    if budget is not None:
        budget(
            [(("trials",), sc.trials, sc.horizon_years)]
            + [((), work[k], sc.horizon_years) for k in ("tornado", "sobol") if work[k]]
        )
    total = sum(work.values())
    done = [sc.trials]

    def advance(trials: int) -> None:
        """Count ``trials`` more done, and give ``cancel`` its chance to stop the work."""
        done[0] += trials
        if progress is not None:
            progress(done[0], total)
        if cancel is not None:
            cancel()

    streams = Streams(sc, rng)
    samples, conv = run(sc, rng=streams.common(), progress=part(progress, 0, total), cancel=cancel)
    result = build_result(sc, samples, sc.seed if rng is None else None, conv)
    annual = samples["annual_cost"]

    def mean_cost(values: Mapping[str, float]) -> tuple[float, Array]:
        out = run_trials(
            sc,
            tornado_trials,
            rng=streams.common(),
            inputs=_fixed_inputs(sc, tornado_trials, values),
        )["annual_cost"]
        advance(tornado_trials)
        return float(np.mean(out)), out

    base, at_medians = mean_cost({})
    bars = []
    for name in names:
        lo_in, hi_in = (float(v) for v in sc.params[name].ppf([0.1, 0.9]))
        lo, _ = mean_cost({name: lo_in})
        hi, _ = mean_cost({name: hi_in})
        bars.append(TornadoBar(name, lo_in, hi_in, lo, hi, abs(hi - lo)))
    bars.sort(key=lambda b: -b.swing)

    rhos = []
    for name in names:
        x = samples[f"input:{name}"]
        ok = np.ptp(x) > 0 and np.ptp(annual) > 0
        rhos.append(float(stats.spearmanr(x, annual).statistic) if ok else 0.0)
    total_sq = sum(r * r for r in rhos)
    ranks = tuple(
        RankCorrelation(n, r, (r * r / total_sq) if total_sq > 0 else 0.0)
        for n, r in zip(names, rhos, strict=True)
    )

    variance = float(np.var(annual))
    noise = float(np.var(at_medians))
    noise_share = min(1.0, noise / variance) if variance > 0 else 0.0

    indices = _sobol(sc, names, sobol_n, streams, advance) if names and sobol else ()
    return SensitivityResult(base, tuple(bars), ranks, indices, noise_share, work, result)


def _sobol(
    sc: Scenario,
    names: list[str],
    n: int,
    streams: Streams,
    advance: Callable[[int], None],
) -> tuple[SobolIndex, ...]:
    """Saltelli (2010) indices from ``scipy.stats.sobol_indices`` on model runs at
    scrambled-Sobol points, with percentile bootstrap CIs from ``scipy.stats.bootstrap``
    (BCa would need jackknife samples of n - 1 points, which sobol_indices refuses).

    The model is evaluated here (matrices A, B and the d pages AB) and handed to
    ``sobol_indices`` as arrays, so that every draw, bootstrap included, comes from the
    scenario's seed (``SobolResult.bootstrap`` takes no generator).
    """
    d = len(names)
    sampler = streams.own(Purpose.SOBOL_POINTS)
    noise_rng = streams.own(Purpose.MODEL_NOISE)
    boot_rng = streams.own(Purpose.BOOTSTRAP)
    dists = [sc.params[name] for name in names]
    u = qmc.Sobol(d=2 * d, scramble=True, rng=sampler).random_base2(int(math.log2(n)))
    u = np.clip(u, 1e-15, 1 - 1e-15)
    a = np.array([dists[i].ppf(u[:, i]) for i in range(d)])
    b = np.array([dists[i].ppf(u[:, d + i]) for i in range(d)])

    def model(x: Array) -> Array:
        inputs = _fixed_inputs(sc, n, {})
        for row, name in enumerate(names):
            inputs[name] = np.rint(x[row]) if BY_NAME[name].count else x[row]
        out = run_trials(sc, n, rng=noise_rng, inputs=inputs)["annual_cost"]
        advance(n)
        return out

    f_a, f_b = model(a), model(b)
    f_ab = np.empty((d, n))
    for i in range(d):
        page = a.copy()
        page[i] = b[i]
        f_ab[i] = model(page)

    def indices(idx: NDArray[np.intp]) -> Array:
        # Two identical outputs: sobol_indices squeezes its results, and with one input
        # and one output they would become scalars it then fails to edit.
        arrays = {
            "f_A": np.vstack([f_a[idx]] * 2),
            "f_B": np.vstack([f_b[idx]] * 2),
            "f_AB": np.stack([f_ab[:, idx]] * 2, axis=1),
        }
        res = stats.sobol_indices(func=arrays, n=idx.size)
        first = np.asarray(res.first_order, dtype=np.float64).reshape(2, d)[0]
        total = np.asarray(res.total_order, dtype=np.float64).reshape(2, d)[0]
        return np.concatenate([first, total])

    everything = np.arange(n)
    point = indices(everything)
    boot = stats.bootstrap(
        (everything,),
        indices,
        vectorized=False,
        method="percentile",
        n_resamples=999,
        confidence_level=0.95,
        rng=boot_rng,
    )
    low = np.asarray(boot.confidence_interval.low)
    high = np.asarray(boot.confidence_interval.high)
    return tuple(
        SobolIndex(
            name,
            reported_index(point[i], low[i]),
            (_finite(low[i]), _finite(high[i])),
            reported_index(point[d + i], low[d + i]),
            (_finite(low[d + i]), _finite(high[d + i])),
        )
        for i, name in enumerate(names)
    )


def reported_index(estimate: float, ci_low: float) -> float:
    """A Sobol index as reported: the estimate when its 95% CI lies above 0, else 0.

    A share of variance is never negative; Saltelli's estimator can be, and an estimate
    whose interval contains 0 cannot be told from no contribution. Reporting it as 0
    (the interval stays as estimated) keeps a reader from reading noise as a share.

    Parameters
    ----------
    estimate : float
        The point estimate.
    ci_low : float
        The lower end of its 95% confidence interval.

    Returns
    -------
    float
        ``estimate`` if ``ci_low > 0`` (and both are finite), else ``0.0``.
    """
    value, low = _finite(estimate), _finite(ci_low)
    return value if low > 0 and value > 0 else 0.0


def _finite(x: Any) -> float:
    value = float(x)
    return value if math.isfinite(value) else 0.0
