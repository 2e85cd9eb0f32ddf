"""Questions a budget office asks after "what does it cost": what a policy saves
(``compare``), which input drives the answer (``sensitivity``), and what several
jurisdictions cost together (``portfolio``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from scipy.stats import qmc

from .distributions import is_number
from .engine import COMPONENTS, PER_TRIAL_KEYS, Cancel, build_result, run, run_trials
from .errors import FieldError, Path, ScenarioError
from .inputs import text_problem
from .overrides import merge
from .presets import parse_expanded
from .results import Convergence, SimulationResult, Summary, summarize
from .scenario import BY_NAME, UNCERTAIN, Scenario, parse_seed

__all__ = [
    "ComparisonResult",
    "PortfolioResult",
    "SensitivityResult",
    "UMRA_THRESHOLDS",
    "compare",
    "portfolio",
    "sensitivity",
]

Array = NDArray[np.float64]
#: (path to a ``trials`` field, trials, years): one piece of the work a call will do.
WorkItem = tuple[Path, int, int]
#: Called with every piece of work once the inputs are valid, before any is done; may
#: raise to refuse it (the service checks its budgets there).
Budget = Callable[[list[WorkItem]], None]
Progress = Callable[[int, int], None]
MAX_ALTERNATIVES = 20
MAX_MEMBERS = 50
#: Fields an alternative may not change: its trials must pair with the baseline's.
FROZEN_IN_ALTERNATIVES = ("trials", "seed", "horizon_years", "start_year", "precision")

#: UMRA intergovernmental mandate threshold by year, US dollars: $50M in 1996 dollars,
#: adjusted for inflation (Congressional Budget Office; the values CBO published).
UMRA_THRESHOLDS: dict[int, float] = {
    1996: 50e6,
    2009: 69e6,
    2012: 73e6,
    2015: 77e6,
    2019: 82e6,
}


def _prefixed(exc: ScenarioError, prefix: Path) -> ScenarioError:
    return ScenarioError([FieldError((*prefix, *e.path), e.reason) for e in exc.errors])


def _parse_at(data: object, prefix: Path) -> Scenario:
    try:
        return parse_expanded(data)
    except ScenarioError as exc:
        raise _prefixed(exc, prefix) from None


def _run_at(
    prefix: Path, scenario: Scenario, **kwargs: Any
) -> tuple[dict[str, Array], Convergence]:
    """``run`` of the scenario at ``prefix`` in the request: what its draws find wrong
    (counts past what numpy can hold) names the field there, as a parse error would."""
    try:
        return run(scenario, **kwargs)
    except ScenarioError as exc:
        raise _prefixed(exc, prefix) from None


#: Spawn-key offset of the extra streams an analysis needs besides its runs' (runs use
#: keys 0, 1, ... for their chunks).
_EXTRA = 2**31


def _streams(scenario: Scenario, rng: Any) -> Callable[..., np.random.Generator]:
    """A factory of generators. ``streams()`` always gives the same stream, so every run
    made from it draws the same numbers (common random numbers); ``streams(k)`` for
    k >= 1 gives other, independent streams for an analysis's own draws.

    Each call builds a fresh ``SeedSequence`` (spawning children advances a sequence, so
    one sequence must not be shared by two runs).
    """
    if rng is None:
        entropy, key = scenario.seed, ()
    else:
        child = np.random.default_rng(rng).bit_generator.seed_seq.spawn(1)[0]  # type: ignore[attr-defined]
        entropy, key = child.entropy, tuple(child.spawn_key)

    def make(purpose: int = 0) -> np.random.Generator:
        spawn_key = key if purpose == 0 else (*key, _EXTRA + purpose)
        return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=spawn_key))

    return make


# --- policy comparison ------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """Baseline minus alternative, trial by trial (positive: the alternative saves)."""

    summaries: Mapping[str, Summary]
    components: Mapping[str, Summary]
    samples: Mapping[str, Array] = field(default_factory=dict, repr=False, compare=False)

    def __getattr__(self, name: str) -> Summary:
        try:
            return self.summaries[name]
        except KeyError:
            raise AttributeError(name) from None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: the summary shape of a simulation result."""
        out: dict[str, Any] = {k: v.to_dict() for k, v in self.summaries.items()}
        out["components"] = {k: v.to_dict() for k, v in self.components.items()}
        return out


@dataclass(frozen=True)
class Alternative:
    """One policy alternative: its own result and its paired difference."""

    name: str
    result: SimulationResult
    difference: Difference
    probability_saves: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "name": self.name,
            "result": self.result.to_dict(),
            "difference": self.difference.to_dict(),
            "probability_saves": self.probability_saves,
        }


@dataclass(frozen=True)
class ComparisonResult:
    """Result of :func:`compare`."""

    baseline: SimulationResult
    alternatives: tuple[Alternative, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "baseline": self.baseline.to_dict(),
            "alternatives": [a.to_dict() for a in self.alternatives],
        }


def _alternatives(baseline: Mapping[str, Any], alternatives: object) -> list[tuple[str, Any]]:
    if not isinstance(alternatives, Sequence) or isinstance(alternatives, str):
        raise ScenarioError.single(("alternatives",), "must be a list of {name, overrides}")
    if not 1 <= len(alternatives) <= MAX_ALTERNATIVES:
        raise ScenarioError.single(("alternatives",), f"must hold 1 to {MAX_ALTERNATIVES} items")
    out: list[tuple[str, Any]] = []
    errors: list[FieldError] = []
    names: set[str] = set()
    for i, alt in enumerate(alternatives):
        here: Path = ("alternatives", i)
        if not isinstance(alt, Mapping):
            errors.append(FieldError(here, "must be an object {name, overrides}"))
            continue
        errors += [
            FieldError((*here, k), "is not a field of an alternative")
            for k in alt
            if k not in ("name", "overrides")
        ]
        name: Any = alt.get("name")
        overrides: Any = alt.get("overrides", {})
        if not isinstance(name, str) or not name or len(name) > 200:
            errors.append(FieldError((*here, "name"), "must be a non-empty string"))
        elif (problem := text_problem(name)) is not None:
            errors.append(FieldError((*here, "name"), problem))
        elif name in names:
            errors.append(FieldError((*here, "name"), "repeats another alternative's name"))
        names.add(name)
        if not isinstance(overrides, Mapping):
            errors.append(FieldError((*here, "overrides"), "must be an object of scenario fields"))
            continue
        errors += [
            FieldError(
                (*here, "overrides", k), "cannot differ from the baseline in a paired comparison"
            )
            for k in overrides
            if k in FROZEN_IN_ALTERNATIVES
        ]
        out.append((str(name), merge(baseline, overrides, (*here, "overrides"))))
    if errors:
        raise ScenarioError(errors)
    return out


def _paired(
    base: Mapping[str, Array], alt: Mapping[str, Array], percentiles: Sequence[float]
) -> Difference:
    diffs = {k: base[k] - alt[k] for k in PER_TRIAL_KEYS}
    return Difference(
        summaries={k: summarize(diffs[k], percentiles) for k in PER_TRIAL_KEYS},
        components={
            k: summarize(base[f"component:{k}"] - alt[f"component:{k}"], percentiles)
            for k in COMPONENTS
        },
        samples=diffs,
    )


def _part(progress: Progress | None, offset: int, total: int) -> Progress | None:
    """``progress`` for one part of a larger job: reports ``offset + done`` of ``total``."""
    if progress is None:
        return None
    report = progress
    return lambda done, _: report(offset + done, total)


def compare(
    baseline: Mapping[str, Any],
    alternatives: object,
    *,
    rng: Any = None,
    budget: Budget | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ComparisonResult:
    """Compare policy alternatives with the baseline, with common random numbers.

    Every scenario runs on identical random streams, and each input has its own stream,
    so an input an alternative does not change takes the same value in the same trial:
    differences are paired and their spread is the policy's, not the sampler's.

    Parameters
    ----------
    baseline : mapping
        A scenario (without ``precision``: pairing needs equal trial counts).
    alternatives : sequence of mappings
        Each ``{"name": str, "overrides": {...}}``; overrides are scenario fields merged
        into the baseline (groups key by key; ``null`` removes a field). ``trials``,
        ``seed``, ``horizon_years``, ``start_year`` and ``precision`` cannot be overridden.
    rng : numpy.random.Generator, int or None, keyword-only
        ``None`` uses the baseline's seed.
    budget : callable, optional
        Called with the work (one item per scenario run) before any is done.
    progress : callable, optional
        Called as ``progress(done, total)`` with the trials done over every run.
    cancel : callable, optional
        Called between chunks of every run, as in :func:`models.simulate`.

    Returns
    -------
    ComparisonResult
        Per alternative: its result, the distribution of baseline minus alternative, and
        the probability that it saves money in year 1.
    """
    if not isinstance(baseline, Mapping):
        raise ScenarioError.single(("baseline",), "must be a JSON object")
    base_sc = _parse_at(baseline, ("baseline",))
    if base_sc.precision is not None:
        raise ScenarioError.single(
            ("baseline", "precision"), "is not available in comparisons (trials must pair)"
        )
    alts = [
        (name, _parse_at(merged, ("alternatives", i, "overrides")))
        for i, (name, merged) in enumerate(_alternatives(baseline, alternatives))
    ]
    if budget is not None:
        budget(
            [(("baseline", "trials"), base_sc.trials, base_sc.horizon_years)]
            + [
                (("alternatives", i, "overrides", "trials"), sc.trials, sc.horizon_years)
                for i, (_, sc) in enumerate(alts)
            ]
        )
    streams = _streams(base_sc, rng)
    seed = base_sc.seed if rng is None else None
    total = base_sc.trials * (1 + len(alts))
    base_samples, base_conv = _run_at(
        ("baseline",), base_sc, rng=streams(), progress=_part(progress, 0, total), cancel=cancel
    )
    base_result = build_result(base_sc, base_samples, seed, base_conv)
    out = []
    for i, (name, sc) in enumerate(alts, start=1):
        part = _part(progress, i * base_sc.trials, total)
        where = ("alternatives", i - 1, "overrides")
        samples, conv = _run_at(where, sc, rng=streams(), progress=part, cancel=cancel)
        saves = float(np.mean(base_samples["annual_cost"] - samples["annual_cost"] > 0))
        out.append(
            Alternative(
                name,
                build_result(sc, samples, seed, conv),
                _paired(base_samples, samples, base_sc.percentiles),
                saves,
            )
        )
    return ComparisonResult(base_result, tuple(out))


# --- sensitivity --------------------------------------------------------------------------


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
    """First- and total-order Sobol indices of an input, with bootstrap 95% CIs."""

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

    def tick(trials: int) -> None:
        """Count ``trials`` more done, and give ``cancel`` its chance to stop the work."""
        done[0] += trials
        if progress is not None:
            progress(done[0], total)
        if cancel is not None:
            cancel()

    streams = _streams(sc, rng)
    samples, conv = run(sc, rng=streams(), progress=_part(progress, 0, total), cancel=cancel)
    result = build_result(sc, samples, sc.seed if rng is None else None, conv)
    annual = samples["annual_cost"]

    def mean_cost(values: Mapping[str, float]) -> tuple[float, Array]:
        out = run_trials(
            sc, tornado_trials, rng=streams(), inputs=_fixed_inputs(sc, tornado_trials, values)
        )["annual_cost"]
        tick(tornado_trials)
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

    indices = _sobol(sc, names, sobol_n, streams, tick) if names and sobol else ()
    return SensitivityResult(base, tuple(bars), ranks, indices, noise_share, work, result)


def _sobol(
    sc: Scenario,
    names: list[str],
    n: int,
    streams: Callable[..., np.random.Generator],
    tick: Callable[[int], None],
) -> tuple[SobolIndex, ...]:
    """Saltelli (2010) indices from ``scipy.stats.sobol_indices`` on model runs at
    scrambled-Sobol points, with percentile bootstrap CIs from ``scipy.stats.bootstrap``
    (BCa would need jackknife samples of n - 1 points, which sobol_indices refuses).

    The model is evaluated here (matrices A, B and the d pages AB) and handed to
    ``sobol_indices`` as arrays, so that every draw, bootstrap included, comes from the
    scenario's seed (``SobolResult.bootstrap`` takes no generator).
    """
    d = len(names)
    sampler, noise_rng, boot_rng = streams(1), streams(2), streams(3)
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
        tick(n)
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
            _finite(point[i]),
            (_finite(low[i]), _finite(high[i])),
            _finite(point[d + i]),
            (_finite(low[d + i]), _finite(high[d + i])),
        )
        for i, name in enumerate(names)
    )


def _finite(x: Any) -> float:
    value = float(x)
    return value if math.isfinite(value) else 0.0


# --- portfolio ------------------------------------------------------------------------------


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

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "total": self.total.to_dict(),
            "members": [m.to_dict() for m in self.members],
            "threshold": self.threshold,
            "threshold_source": self.threshold_source,
        }


def _threshold(value: object) -> tuple[float | None, str | None]:
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
    rng: Any = None,
    budget: Budget | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> PortfolioResult:
    """Sum several jurisdictions trial by trial.

    Parameters
    ----------
    members : sequence of mappings
        Scenarios with equal ``trials``, ``horizon_years``, ``start_year`` and
        ``percentiles``; none may set ``seed`` or ``precision``.
    threshold : float or {"umra_year": int}, optional
        Dollar amount for P(total year-1 cost > threshold); ``umra_year`` takes CBO's
        published UMRA intergovernmental threshold of that year.
    seed : int, optional
        Seed of the portfolio (default 2877), a whole number from 0 to 2**64 - 1 like a
        scenario's; each member gets its own spawned stream.
    rng : numpy.random.Generator, keyword-only, optional
        Overrides ``seed``.
    budget, progress, cancel : callable, optional
        As in :func:`compare`.

    Returns
    -------
    PortfolioResult
    """
    if (
        not isinstance(members, Sequence)
        or isinstance(members, str)
        or not 1 <= len(members) <= MAX_MEMBERS
    ):
        raise ScenarioError.single(("members",), f"must be a list of 1 to {MAX_MEMBERS} scenarios")
    value, source = _threshold(threshold)
    parsed: list[Scenario] = []
    errors: list[FieldError] = []
    if seed is not None:
        try:
            seed = parse_seed(seed, ("seed",))
        except ScenarioError as exc:
            errors += exc.errors
    for i, member in enumerate(members):
        if isinstance(member, Mapping):
            errors += [
                FieldError(("members", i, k), "is set by the portfolio, not a member")
                for k in ("seed", "precision")
                if k in member
            ]
        try:
            parsed.append(_parse_at(member, ("members", i)))
        except ScenarioError as exc:
            errors += exc.errors
    if not errors:
        first = parsed[0]
        for i, sc in enumerate(parsed[1:], start=1):
            for key in ("trials", "horizon_years", "start_year", "percentiles"):
                if getattr(sc, key) != getattr(first, key):
                    errors.append(FieldError(("members", i, key), f"must equal members[0]'s {key}"))
    if errors:
        raise ScenarioError(errors)
    if budget is not None:
        budget(
            [(("members", i, "trials"), sc.trials, sc.horizon_years) for i, sc in enumerate(parsed)]
        )
    root = np.random.default_rng(
        rng if rng is not None else (seed if seed is not None else parsed[0].seed)
    )
    all_trials = sum(sc.trials for sc in parsed)
    runs = [
        _run_at(
            ("members", i),
            sc,
            rng=child,
            progress=_part(progress, i * sc.trials, all_trials),
            cancel=cancel,
        )
        for i, (sc, child) in enumerate(zip(parsed, root.spawn(len(parsed)), strict=True))
    ]
    keys = set.intersection(*(set(s) for s, _ in runs))
    keys = {k for k in keys if not k.startswith("input:")}
    summed = {k: np.sum([s[k] for s, _ in runs], axis=0) for k in sorted(keys)}
    first = parsed[0]
    populations = [sc.population for sc in parsed]
    total_sc = replace(
        first,
        name="Portfolio",
        thresholds=() if value is None else (value,),
        population=None if None in populations else float(sum(p or 0 for p in populations)),
        annual_budget=None,
        canonical={"members": [sc.canonical for sc in parsed], "threshold": value},
    )
    used_seed = None if rng is not None else (seed if seed is not None else first.seed)
    total = build_result(total_sc, summed, used_seed, runs[0][1])
    total_mean = float(np.mean(summed["annual_cost"]))
    out = []
    for sc, (samples, conv) in zip(parsed, runs, strict=True):
        if cancel is not None:
            cancel()
        result = build_result(sc, samples, None, conv)
        share = result.annual_cost.mean / total_mean if total_mean else 0.0
        out.append(Member(sc.name, result, share))
    return PortfolioResult(total, tuple(out), value, source)
