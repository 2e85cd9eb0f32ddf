"""Distribution specs: how a scenario states an uncertain quantity.

A spec is a bare number (a fixed value) or an object ``{"dist": NAME, ...}``.
Every family is a ``scipy.stats`` distribution except ``fixed`` and
``empirical`` (resampling of the given values). Parameters are stated the way a
budget analyst reads them: mean and standard deviation of the quantity itself,
or a 90% interval, never the parameters of the log. Draws go straight to the
``numpy.random.Generator`` method scipy would call (the same variates to the bit);
scipy's frozen distribution serves quantiles, and the mean and support are found once
when a spec is built.
"""

from __future__ import annotations

import functools
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


def as_float(value: int | float) -> float:
    """A number :func:`is_number` accepts, as a float; a negative zero as zero.

    The one conversion of the engine's input numbers. ``-0.0`` is zero (JSON's ``-0`` is
    the number zero), but numpy's samplers read its sign bit and refuse it as a scale or
    a shape (``rng.gamma(1.0, -0.0)``: "scale < 0"): a fixed ``-0.0`` extra days per
    detainer reached one as ``mean * cv**2`` and ended in an unhandled ValueError.
    """
    return float(value) + 0.0


#: The ``scipy.stats`` family behind each drawable parametrization, and how it draws:
#: ``scipy.stats`` draws ``loc + scale * x`` with ``x`` from its ``_rvs``, itself one
#: ``numpy.random.Generator`` method; :meth:`Distribution.sample` calls that method
#: directly (the same variates to the bit, without scipy's per-call argument handling,
#: about 0.1 ms a call). ``truncnorm`` has no single method and draws through scipy.
_DRAWS: dict[str, Any] = {
    "uniform": lambda rng, size: rng.uniform(0.0, 1.0, size),
    "triang": lambda rng, size, c: rng.triangular(0, c, 1, size),
    "beta": lambda rng, size, a, b: rng.beta(a, b, size),
    "norm": lambda rng, size: rng.standard_normal(size),
    "lognorm": lambda rng, size, s: np.exp(s * rng.standard_normal(size)),
    "gamma": lambda rng, size, a: rng.standard_gamma(a, size),
    "poisson": lambda rng, size, mu: rng.poisson(mu, size),
    "nbinom": lambda rng, size, n, p: rng.negative_binomial(n, p, size),
}
_DISCRETE = ("poisson", "nbinom")


@dataclass(frozen=True)
class ScipyFamily:
    """A ``scipy.stats`` family and its parameters: what to freeze, and what to draw
    from without freezing (see ``_DRAWS``). Plain data, so a scenario pickles small."""

    name: str
    shapes: tuple[float, ...] = ()
    loc: float = 0.0
    scale: float = 1.0

    def freeze(self) -> Any:
        """The frozen ``scipy.stats`` distribution."""
        family = getattr(stats, self.name)
        if self.name in _DISCRETE:
            return family(*self.shapes)
        return family(*self.shapes, loc=self.loc, scale=self.scale)

    def draw(self, size: int, rng: np.random.Generator) -> NDArray[np.float64]:
        """``size`` variates, the same to the bit as the frozen distribution's
        ``rvs(size=size, random_state=rng)`` (as ``float64``)."""
        if self.name in _DISCRETE:
            return np.asarray(_DRAWS[self.name](rng, size, *self.shapes), dtype=np.float64)
        if self.scale == 0:  # scipy's answer for a scale that underflowed
            return np.asarray(self.loc * np.ones(size, "d"), dtype=np.float64)
        draws = np.asarray(_DRAWS[self.name](rng, size, *self.shapes), dtype=np.float64)
        draws *= self.scale  # in place: scipy's ``vals * scale + loc``, to the bit
        draws += self.loc
        return draws


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
    _family: ScipyFamily | None = field(repr=False, compare=False, default=None)
    _values: tuple[float, ...] = field(repr=False, compare=False, default=())
    # The support as the spec states it (``low``/``high``), when it states one: scipy's
    # ``loc + scale * x`` can round a hair past a stated edge, which would wrongly fail a
    # field's range check and could draw a share a hair below 0.
    _bounds: tuple[float, float] | None = field(repr=False, compare=False, default=None)
    # The mean, computed once when built (scipy's ``mean`` costs about 0.3 ms a call, and
    # parsing a scenario asks for each input's).
    _mean: float | None = field(repr=False, compare=False, default=None)
    # The support, found once when built (scipy's ``support`` of a frozen distribution
    # costs about 0.1 ms, and parsing asks for each input's).
    _support: tuple[float, float] | None = field(repr=False, compare=False, default=None)

    @functools.cached_property
    def _frozen(self) -> Any:
        """The frozen ``scipy.stats`` distribution, built on first use (quantiles,
        support, the mean, and draws of a truncated normal)."""
        if self._family is None:
            raise TypeError(f"a {self.kind} distribution has no scipy form")
        return self._family.freeze()

    @property
    def is_fixed(self) -> bool:
        """True when the quantity has no uncertainty."""
        return self.kind == "fixed"

    @property
    def value(self) -> float:
        """The value of a ``fixed`` distribution (ValueError for any other)."""
        if self.kind != "fixed":
            raise ValueError(f"a {self.kind} distribution has no single value")
        return self._values[0]

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
        family = self._family
        if family is not None and family.name in _DRAWS:
            return self._clip(family.draw(size, rng))
        return self._clip(
            np.asarray(self._frozen.rvs(size=size, random_state=rng), dtype=np.float64)
        )

    def _clip(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """``values`` (a fresh array) clipped in place to the stated bounds."""
        if self._bounds is None:
            return values
        return np.clip(values, *self._bounds, out=values)

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
        if self._mean is not None:
            return self._mean
        return self._compute_mean()

    def _compute_mean(self) -> float:
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
        if self._support is not None:
            return self._support
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
        return Distribution("fixed", spec, None, (as_float(spec),))  # type: ignore[arg-type]
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
            if dist._family is not None:
                # scipy's own domain checks, as when every draw went through it.
                dist._frozen.rvs(size=1, random_state=np.random.default_rng(0))
    except ScenarioError:
        raise
    except (ArithmeticError, ValueError):
        raise ScenarioError.single(path, too_extreme) from None
    finite = np.all(np.isfinite(probe)) and np.all(np.isfinite(drawn))
    if math.isnan(low) or math.isnan(high) or not finite:
        raise ScenarioError.single(path, too_extreme)
    return _with(dist, _support=(low, high))


def _num(spec: Mapping[str, Any], key: str, path: Path) -> float:
    value = spec[key]
    if not is_number(value):
        raise ScenarioError.single((*path, key), "must be a finite number")
    return as_float(value)


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
    family: ScipyFamily,
    path: Path,
    bounds: tuple[float, float] | None = None,
) -> Distribution:
    dist = Distribution(kind, dict(spec), family, _bounds=bounds)
    mean = dist.mean()
    if not math.isfinite(mean):
        raise ScenarioError.single(path, "parameters give a distribution without a finite mean")
    return _with(dist, _mean=mean)


def _with(dist: Distribution, **changes: Any) -> Distribution:
    """``dataclasses.replace``, keeping the frozen scipy distribution if built."""
    new = replace(dist, **changes)
    if "_frozen" in dist.__dict__:
        new.__dict__["_frozen"] = dist.__dict__["_frozen"]
    return new


def _fixed(spec: Mapping[str, Any], path: Path) -> Distribution:
    value = _num(spec, "value", path)
    return Distribution("fixed", dict(spec), None, (value,))


def _uniform(spec: Mapping[str, Any], path: Path) -> Distribution:
    low, high = _ordered(spec, path, ("low", "high"))
    family = ScipyFamily("uniform", loc=low, scale=high - low)
    return _make("uniform", spec, family, path, (low, high))


def _triangular(spec: Mapping[str, Any], path: Path) -> Distribution:
    low, mode, high = _ordered(spec, path, ("low", "mode", "high"))
    c = (mode - low) / (high - low)
    family = ScipyFamily("triang", (c,), loc=low, scale=high - low)
    return _make("triangular", spec, family, path, (low, high))


def _pert(spec: Mapping[str, Any], path: Path) -> Distribution:
    low, mode, high = _ordered(spec, path, ("low", "mode", "high"))
    lam = _positive(spec, "lambda", path) if "lambda" in spec else 4.0
    width = high - low
    a = 1.0 + lam * (mode - low) / width
    b = 1.0 + lam * (high - mode) / width
    family = ScipyFamily("beta", (a, b), loc=low, scale=width)
    return _make("pert", spec, family, path, (low, high))


def _normal(spec: Mapping[str, Any], path: Path) -> Distribution:
    mean = _num(spec, "mean", path)
    sd = _positive(spec, "sd", path)
    if "low" not in spec and "high" not in spec:
        return _make("normal", spec, ScipyFamily("norm", loc=mean, scale=sd), path)
    low = _num(spec, "low", path) if "low" in spec else -math.inf
    high = _num(spec, "high", path) if "high" in spec else math.inf
    if high <= low:
        raise ScenarioError.single((*path, "high"), "must be greater than low")
    a, b = (low - mean) / sd, (high - mean) / sd
    if stats.norm.cdf(b) - stats.norm.cdf(a) < 1e-6:
        raise ScenarioError.single(path, "the truncation keeps almost none of the distribution")
    family = ScipyFamily("truncnorm", (a, b), loc=mean, scale=sd)
    return _make("normal", spec, family, path, (low, high))


def _lognormal(spec: Mapping[str, Any], path: Path) -> Distribution:
    mean = _positive(spec, "mean", path)
    sd = _positive(spec, "sd", path)
    sigma2 = math.log1p((sd / mean) ** 2)
    mu = math.log(mean) - sigma2 / 2
    family = ScipyFamily("lognorm", (math.sqrt(sigma2),), scale=math.exp(mu))
    return _make("lognormal", spec, family, path)


def _gamma(spec: Mapping[str, Any], path: Path) -> Distribution:
    mean = _positive(spec, "mean", path)
    sd = _positive(spec, "sd", path)
    shape = (mean / sd) ** 2
    return _make("gamma", spec, ScipyFamily("gamma", (shape,), scale=sd * sd / mean), path)


def _range(spec: Mapping[str, Any], path: Path) -> Distribution:
    low, high = _ordered(spec, path, ("low", "high"))
    shape = spec.get("shape", "lognormal")
    if shape == "normal":
        family = ScipyFamily("norm", loc=(low + high) / 2, scale=(high - low) / (2 * Z95))
    elif shape == "lognormal":
        if low <= 0:
            raise ScenarioError.single(
                (*path, "low"), "must be greater than 0 for shape 'lognormal'"
            )
        sigma = (math.log(high) - math.log(low)) / (2 * Z95)
        family = ScipyFamily("lognorm", (sigma,), scale=math.sqrt(low * high))
    else:
        raise ScenarioError.single((*path, "shape"), "must be 'lognormal' or 'normal'")
    return _make("range", spec, family, path)


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
        family = ScipyFamily("beta", (successes + 0.5, trials - successes + 0.5))
        return _make("beta", spec, family, path)
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
    return _make("beta", spec, ScipyFamily("beta", (mean * k, (1 - mean) * k)), path)


#: Largest mean of a discrete family: far above any count or dollar figure a scenario
#: needs, and below the sizes at which scipy's discrete quantiles stop answering.
MAX_DISCRETE_MEAN = 1e12


def _poisson(spec: Mapping[str, Any], path: Path) -> Distribution:
    mean = _num(spec, "mean", path)
    if not 0 <= mean <= MAX_DISCRETE_MEAN:
        raise ScenarioError.single((*path, "mean"), f"must lie between 0 and {MAX_DISCRETE_MEAN:g}")
    return _make("poisson", spec, ScipyFamily("poisson", (mean,)), path)


def _negative_binomial(spec: Mapping[str, Any], path: Path) -> Distribution:
    mean = _positive(spec, "mean", path)
    size = _positive(spec, "dispersion", path)
    for key, value in (("mean", mean), ("dispersion", size)):
        if value > MAX_DISCRETE_MEAN:
            raise ScenarioError.single((*path, key), f"must be at most {MAX_DISCRETE_MEAN:g}")
    # Variance = mean + mean**2 / dispersion (dispersion is the "size" r).
    family = ScipyFamily("nbinom", (size, size / (size + mean)))
    return _make("negative_binomial", spec, family, path)


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
    return Distribution("empirical", dict(spec), None, tuple(as_float(v) for v in values))


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
