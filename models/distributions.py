"""Distribution specs: how a scenario states an uncertain quantity.

A spec is a bare number (a fixed value) or an object ``{"dist": NAME, ...}``.
Every family is a frozen ``scipy.stats`` distribution except ``fixed`` and
``empirical`` (resampling of the given values). Parameters are stated the way a
budget analyst reads them: mean and standard deviation of the quantity itself,
or a 90% interval, never the parameters of the log.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from .errors import FieldError, Path, ScenarioError
from .inputs import text_problem

__all__ = ["DISTRIBUTIONS", "Distribution", "is_number", "parse_distribution"]

#: z such that P(Z <= z) = 0.95: a 90% interval spans mean +/- z sd.
Z95 = float(stats.norm.ppf(0.95))

#: Parameters each family takes: (required, optional). ``beta`` takes either
#: ``mean``/``sd`` or ``successes``/``trials``.
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fixed": (("value",), ()),
    "uniform": (("low", "high"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "pert": (("low", "mode", "high"), ("lambda",)),
    "normal": (("mean", "sd"), ("low", "high")),
    "lognormal": (("mean", "sd"), ()),
    "gamma": (("mean", "sd"), ()),
    "range": (("low", "high"), ("shape",)),
    "beta": ((), ("mean", "sd", "successes", "trials")),
    "poisson": (("mean",), ()),
    "negative_binomial": (("mean", "dispersion"), ()),
    "empirical": (("values",), ()),
}

#: Keys any object spec may carry besides its parameters.
COMMON_KEYS = ("dist", "note")

MAX_EMPIRICAL_VALUES = 100_000


def is_number(value: object) -> bool:
    """True for a finite int or float that is not a bool.

    The one number check of the engine and the service. JSON integers decode to Python
    ints of any size; one that no float can hold (beyond about 1.8e308) is not a usable
    number, as infinity is not.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int too large for a float
        return False


@dataclass(frozen=True)
class Distribution:
    """A validated distribution spec.

    Attributes
    ----------
    kind : str
        Family name (``"fixed"``, ``"pert"``, ...).
    spec : float or dict
        The spec as given (validated), used for canonical JSON.
    """

    kind: str
    spec: float | Mapping[str, Any]
    _frozen: Any = field(repr=False, compare=False, default=None)
    _values: tuple[float, ...] = field(repr=False, compare=False, default=())
    # The support as the spec states it (``low``/``high``), when it states one: scipy's
    # ``loc + scale * x`` can round a hair past a stated edge, which would wrongly fail a
    # field's range check and could draw a share a hair below 0.
    _bounds: tuple[float, float] | None = field(repr=False, compare=False, default=None)

    @property
    def is_fixed(self) -> bool:
        """True when the quantity has no uncertainty."""
        return self.kind == "fixed"

    def sample(self, size: int, *, rng: np.random.Generator) -> NDArray[np.float64]:
        """Draw ``size`` independent values.

        Parameters
        ----------
        size : int
            Number of draws.
        rng : numpy.random.Generator
            Source of randomness.

        Returns
        -------
        ndarray of float64
        """
        if self.kind == "fixed":
            return np.full(size, self._values[0])
        if self.kind == "empirical":
            return rng.choice(np.asarray(self._values), size=size, replace=True)
        return self._clip(
            np.asarray(self._frozen.rvs(size=size, random_state=rng), dtype=np.float64)
        )

    def _clip(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        if self._bounds is None:
            return values
        return np.clip(values, *self._bounds)

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Inverse CDF at probabilities ``q`` (for quantiles and stratified sampling)."""
        q = np.asarray(q, dtype=np.float64)
        if self.kind == "fixed":
            return np.full(q.shape, self._values[0])
        if self.kind == "empirical":
            values = np.asarray(self._values)
            return np.asarray(np.quantile(values, q, method="inverted_cdf"), dtype=np.float64)
        return self._clip(np.asarray(self._frozen.ppf(q), dtype=np.float64))

    def mean(self) -> float:
        """The distribution's mean."""
        if self.kind in ("fixed", "empirical"):
            values = np.asarray(self._values)
            with np.errstate(over="ignore"):
                mean = float(np.mean(values))
            if not math.isfinite(mean):
                # The sum overflowed. The mean of the values scaled into [-1, 1] cannot,
                # and the mean lies within the values (rounding cannot take it out).
                scale = float(np.max(np.abs(values)))
                mean = float(np.mean(values / scale)) * scale
                mean = min(max(mean, float(np.min(values))), float(np.max(values)))
            return mean
        # scipy computes skewness and kurtosis along with the mean; with extreme (yet
        # valid) parameters those overflow and warn, while the mean itself is fine.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return float(self._frozen.mean())

    def support(self) -> tuple[float, float]:
        """Smallest and largest values a draw can take."""
        if self.kind in ("fixed", "empirical"):
            return (min(self._values), max(self._values))
        if self._bounds is not None:
            return self._bounds
        low, high = self._frozen.support()
        return (float(low), float(high))


def parse_distribution(spec: object, path: Path) -> Distribution:
    """Validate a distribution spec and build it.

    Parameters
    ----------
    spec : number or mapping
        A bare number, or an object with ``dist`` and the family's parameters.
    path : tuple
        Where the spec sits in the scenario, for error messages.

    Returns
    -------
    Distribution

    Raises
    ------
    ScenarioError
        Naming the field (and parameter) at fault.
    """
    if is_number(spec):
        return Distribution("fixed", spec, None, (float(spec),))  # type: ignore[arg-type]
    if isinstance(spec, (bool, int | float)):
        raise ScenarioError.single(path, "must be a finite number or a distribution object")
    if not isinstance(spec, Mapping):
        raise ScenarioError.single(
            path, 'must be a number or an object with \'dist\' (e.g. {"dist": "pert", ...})'
        )
    kind = spec.get("dist")
    if not isinstance(kind, str) or kind not in DISTRIBUTIONS:
        names = ", ".join(DISTRIBUTIONS)
        raise ScenarioError.single((*path, "dist"), f"must be one of: {names}")
    errors = _key_errors(kind, spec, path)
    if errors:
        raise ScenarioError(errors)
    return _build_cached(kind, spec, path)


#: Distributions built, by (spec as JSON, path): building one asks scipy for its
#: support and quantiles (about 1 ms), and a roll-up parses the base's same specs once
#: per row. Only valid specs are kept (an error is raised, never cached).
_BUILT: dict[tuple[str, Path], Distribution] = {}
_BUILT_MAX = 4096


def _build_cached(kind: str, spec: Mapping[str, Any], path: Path) -> Distribution:
    """``_build_usable``, remembered for specs that are plain JSON."""
    try:
        text = json.dumps(spec, allow_nan=False)
    except (TypeError, ValueError):
        return _build_usable(kind, spec, path)
    key = (text, path)
    built = _BUILT.get(key)
    if built is None:
        built = replace(_build_usable(kind, spec, path), spec=json.loads(text))
        if len(_BUILT) >= _BUILT_MAX:
            _BUILT.clear()
        _BUILT[key] = built
    return built


def _key_errors(kind: str, spec: Mapping[str, Any], path: Path) -> list[FieldError]:
    """What is wrong with the keys of a ``kind`` spec: unknown ones, missing required
    ones, and a ``note`` that is not acceptable text."""
    required, optional = DISTRIBUTIONS[kind]
    allowed = set(required) | set(optional) | set(COMMON_KEYS)
    errors = [
        FieldError((*path, key), f"is not a parameter of '{kind}'")
        for key in spec
        if key not in allowed
    ]
    errors += [FieldError((*path, key), "is required") for key in required if key not in spec]
    if "note" in spec:
        if not isinstance(spec["note"], str):
            errors.append(FieldError((*path, "note"), "must be a string"))
        elif (problem := text_problem(spec["note"])) is not None:
            errors.append(FieldError((*path, "note"), problem))
    return errors


def _build_usable(kind: str, spec: Mapping[str, Any], path: Path) -> Distribution:
    """The ``kind`` distribution of ``spec``, refused at ``path`` when its parameters are
    too extreme to compute with (no finite support, quantiles or draws)."""
    builder = _BUILDERS[kind]
    too_extreme = "these parameters cannot be computed with (too extreme); widen or simplify them"
    try:
        # Extreme but valid parameters make scipy warn about its own intermediate
        # values; what matters is whether the distribution it gives is usable.
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            dist = builder(spec, path)
            low, high = dist.support()
            probe = dist.ppf([0.001, 0.5, 0.999])
            # numpy's samplers refuse some parameters scipy accepts (a negative binomial
            # with a tiny dispersion: "n too large or p too small"); its domain checks
            # depend on the parameters only, so one small draw finds them here rather
            # than mid-run.
            drawn = dist.sample(8, rng=np.random.default_rng(0))
    except ScenarioError:
        raise
    except (ArithmeticError, ValueError):
        raise ScenarioError.single(path, too_extreme) from None
    finite = np.all(np.isfinite(probe)) and np.all(np.isfinite(drawn))
    if math.isnan(low) or math.isnan(high) or not finite:
        raise ScenarioError.single(path, too_extreme)
    return dist


def _num(spec: Mapping[str, Any], key: str, path: Path) -> float:
    value = spec[key]
    if not is_number(value):
        raise ScenarioError.single((*path, key), "must be a finite number")
    return float(value)


def _positive(spec: Mapping[str, Any], key: str, path: Path) -> float:
    value = _num(spec, key, path)
    if value <= 0:
        raise ScenarioError.single((*path, key), "must be greater than 0")
    return value


def _ordered(spec: Mapping[str, Any], path: Path, keys: tuple[str, ...]) -> list[float]:
    values = [_num(spec, k, path) for k in keys]
    for i in range(1, len(keys)):
        if values[i] < values[i - 1]:
            reason = f"must be at least {keys[i - 1]} ({values[i - 1]:g})"
            raise ScenarioError.single((*path, keys[i]), reason)
    if values[-1] <= values[0]:
        raise ScenarioError.single((*path, keys[-1]), f"must be greater than {keys[0]}")
    return values


def _make(
    kind: str,
    spec: Mapping[str, Any],
    frozen: Any,
    path: Path,
    bounds: tuple[float, float] | None = None,
) -> Distribution:
    dist = Distribution(kind, dict(spec), frozen, _bounds=bounds)
    mean = dist.mean()
    if not math.isfinite(mean):
        raise ScenarioError.single(path, "parameters give a distribution without a finite mean")
    return dist


def _fixed(spec: Mapping[str, Any], path: Path) -> Distribution:
    value = _num(spec, "value", path)
    return Distribution("fixed", dict(spec), None, (value,))


def _uniform(spec: Mapping[str, Any], path: Path) -> Distribution:
    low, high = _ordered(spec, path, ("low", "high"))
    return _make("uniform", spec, stats.uniform(loc=low, scale=high - low), path, (low, high))


def _triangular(spec: Mapping[str, Any], path: Path) -> Distribution:
    low, mode, high = _ordered(spec, path, ("low", "mode", "high"))
    c = (mode - low) / (high - low)
    frozen = stats.triang(c, loc=low, scale=high - low)
    return _make("triangular", spec, frozen, path, (low, high))


def _pert(spec: Mapping[str, Any], path: Path) -> Distribution:
    low, mode, high = _ordered(spec, path, ("low", "mode", "high"))
    lam = _positive(spec, "lambda", path) if "lambda" in spec else 4.0
    width = high - low
    a = 1.0 + lam * (mode - low) / width
    b = 1.0 + lam * (high - mode) / width
    return _make("pert", spec, stats.beta(a, b, loc=low, scale=width), path, (low, high))


def _normal(spec: Mapping[str, Any], path: Path) -> Distribution:
    mean = _num(spec, "mean", path)
    sd = _positive(spec, "sd", path)
    if "low" not in spec and "high" not in spec:
        return _make("normal", spec, stats.norm(loc=mean, scale=sd), path)
    low = _num(spec, "low", path) if "low" in spec else -math.inf
    high = _num(spec, "high", path) if "high" in spec else math.inf
    if high <= low:
        raise ScenarioError.single((*path, "high"), "must be greater than low")
    a, b = (low - mean) / sd, (high - mean) / sd
    if stats.norm.cdf(b) - stats.norm.cdf(a) < 1e-6:
        raise ScenarioError.single(path, "the truncation keeps almost none of the distribution")
    frozen = stats.truncnorm(a, b, loc=mean, scale=sd)
    return _make("normal", spec, frozen, path, (low, high))


def _lognormal(spec: Mapping[str, Any], path: Path) -> Distribution:
    mean = _positive(spec, "mean", path)
    sd = _positive(spec, "sd", path)
    sigma2 = math.log1p((sd / mean) ** 2)
    mu = math.log(mean) - sigma2 / 2
    return _make("lognormal", spec, stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(mu)), path)


def _gamma(spec: Mapping[str, Any], path: Path) -> Distribution:
    mean = _positive(spec, "mean", path)
    sd = _positive(spec, "sd", path)
    shape = (mean / sd) ** 2
    return _make("gamma", spec, stats.gamma(shape, scale=sd * sd / mean), path)


def _range(spec: Mapping[str, Any], path: Path) -> Distribution:
    low, high = _ordered(spec, path, ("low", "high"))
    shape = spec.get("shape", "lognormal")
    if shape == "normal":
        frozen = stats.norm(loc=(low + high) / 2, scale=(high - low) / (2 * Z95))
    elif shape == "lognormal":
        if low <= 0:
            raise ScenarioError.single(
                (*path, "low"), "must be greater than 0 for shape 'lognormal'"
            )
        sigma = (math.log(high) - math.log(low)) / (2 * Z95)
        frozen = stats.lognorm(s=sigma, scale=math.sqrt(low * high))
    else:
        raise ScenarioError.single((*path, "shape"), "must be 'lognormal' or 'normal'")
    return _make("range", spec, frozen, path)


def _beta(spec: Mapping[str, Any], path: Path) -> Distribution:
    moments = {"mean", "sd"} & set(spec)
    counts = {"successes", "trials"} & set(spec)
    if moments and counts:
        raise ScenarioError.single(path, "give either mean and sd, or successes and trials")
    if counts:
        for key in ("successes", "trials"):
            if key not in spec:
                raise ScenarioError.single((*path, key), "is required")
        successes = _num(spec, "successes", path)
        trials = _positive(spec, "trials", path)
        if not 0 <= successes <= trials:
            raise ScenarioError.single((*path, "successes"), "must lie between 0 and trials")
        # Jeffreys prior Beta(1/2, 1/2) updated with the observed counts.
        return _make("beta", spec, stats.beta(successes + 0.5, trials - successes + 0.5), path)
    for key in ("mean", "sd"):
        if key not in spec:
            raise ScenarioError.single((*path, key), "is required (or give successes and trials)")
    mean = _num(spec, "mean", path)
    sd = _positive(spec, "sd", path)
    if not 0 < mean < 1:
        raise ScenarioError.single((*path, "mean"), "must lie strictly between 0 and 1")
    if sd * sd >= mean * (1 - mean):
        limit = math.sqrt(mean * (1 - mean))
        raise ScenarioError.single((*path, "sd"), f"must be below {limit:.6g} for this mean")
    k = mean * (1 - mean) / (sd * sd) - 1
    return _make("beta", spec, stats.beta(mean * k, (1 - mean) * k), path)


#: Largest mean of a discrete family: far above any count or dollar figure a scenario
#: needs, and below the sizes at which scipy's discrete quantiles stop answering.
MAX_DISCRETE_MEAN = 1e12


def _poisson(spec: Mapping[str, Any], path: Path) -> Distribution:
    mean = _num(spec, "mean", path)
    if not 0 <= mean <= MAX_DISCRETE_MEAN:
        raise ScenarioError.single((*path, "mean"), f"must lie between 0 and {MAX_DISCRETE_MEAN:g}")
    return _make("poisson", spec, stats.poisson(mean), path)


def _negative_binomial(spec: Mapping[str, Any], path: Path) -> Distribution:
    mean = _positive(spec, "mean", path)
    size = _positive(spec, "dispersion", path)
    for key, value in (("mean", mean), ("dispersion", size)):
        if value > MAX_DISCRETE_MEAN:
            raise ScenarioError.single((*path, key), f"must be at most {MAX_DISCRETE_MEAN:g}")
    # Variance = mean + mean**2 / dispersion (dispersion is the "size" r).
    return _make("negative_binomial", spec, stats.nbinom(size, size / (size + mean)), path)


def _empirical(spec: Mapping[str, Any], path: Path) -> Distribution:
    values = spec["values"]
    if not isinstance(values, list | tuple) or not values:
        raise ScenarioError.single((*path, "values"), "must be a non-empty list of numbers")
    if len(values) > MAX_EMPIRICAL_VALUES:
        raise ScenarioError.single(
            (*path, "values"), f"must hold at most {MAX_EMPIRICAL_VALUES} values"
        )
    for i, value in enumerate(values):
        if not is_number(value):
            raise ScenarioError.single((*path, "values", i), "must be a finite number")
    return Distribution("empirical", dict(spec), None, tuple(float(v) for v in values))


_BUILDERS = {
    "fixed": _fixed,
    "uniform": _uniform,
    "triangular": _triangular,
    "pert": _pert,
    "normal": _normal,
    "lognormal": _lognormal,
    "gamma": _gamma,
    "range": _range,
    "beta": _beta,
    "poisson": _poisson,
    "negative_binomial": _negative_binomial,
    "empirical": _empirical,
}
