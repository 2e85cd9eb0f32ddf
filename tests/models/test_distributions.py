"""Distribution specs: parameterization checked against analytic moments.

Each family is sampled N = 200,000 times with a fixed seed. The sample mean must lie
within 4 standard errors (sd / sqrt(N)) of the analytic mean, and the sample variance
within 4 standard errors of the analytic variance, the standard error of a sample
variance being var * sqrt((kurtosis - 1) / N).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from models.distributions import Z95, parse_distribution
from models.errors import ScenarioError

N = 200_000


def _beta_var(a: float, b: float, width: float = 1.0) -> float:
    return a * b * width**2 / ((a + b) ** 2 * (a + b + 1))


PERT_A, PERT_B = 1 + 4 * 2 / 7, 1 + 4 * 5 / 7
TRUNC_A, TRUNC_B = (0 - 0.5) / 0.3, (1 - 0.5) / 0.3
_Z = stats.norm.cdf(TRUNC_B) - stats.norm.cdf(TRUNC_A)
TRUNC_MEAN = 0.5 + 0.3 * (stats.norm.pdf(TRUNC_A) - stats.norm.pdf(TRUNC_B)) / _Z
TRUNC_VAR = 0.09 * (
    1
    + (TRUNC_A * stats.norm.pdf(TRUNC_A) - TRUNC_B * stats.norm.pdf(TRUNC_B)) / _Z
    - ((stats.norm.pdf(TRUNC_A) - stats.norm.pdf(TRUNC_B)) / _Z) ** 2
)

# spec, analytic mean, analytic variance
CASES = [
    ({"dist": "uniform", "low": 2, "high": 10}, 6.0, 64 / 12),
    (
        {"dist": "triangular", "low": 1, "mode": 3, "high": 8},
        4.0,
        (1 + 9 + 64 - 3 - 8 - 24) / 18,
    ),
    ({"dist": "pert", "low": 1, "mode": 3, "high": 8}, 3.5, _beta_var(PERT_A, PERT_B, 7)),
    (
        {"dist": "pert", "low": 0, "mode": 1, "high": 4, "lambda": 2},
        (0 + 2 * 1 + 4) / 4,
        _beta_var(1 + 2 / 4, 1 + 2 * 3 / 4, 4),
    ),
    ({"dist": "normal", "mean": 10, "sd": 2}, 10.0, 4.0),
    ({"dist": "normal", "mean": 0.5, "sd": 0.3, "low": 0, "high": 1}, TRUNC_MEAN, TRUNC_VAR),
    ({"dist": "lognormal", "mean": 100, "sd": 50}, 100.0, 2500.0),
    ({"dist": "gamma", "mean": 20, "sd": 10}, 20.0, 100.0),
    ({"dist": "beta", "mean": 0.3, "sd": 0.1}, 0.3, 0.01),
    ({"dist": "beta", "successes": 3, "trials": 10}, 3.5 / 11, _beta_var(3.5, 7.5)),
    ({"dist": "poisson", "mean": 4}, 4.0, 4.0),
    ({"dist": "negative_binomial", "mean": 10, "dispersion": 2}, 10.0, 10 + 100 / 2),
    ({"dist": "empirical", "values": [1, 2, 2, 5]}, 2.5, 2.25),
    ({"dist": "fixed", "value": 7}, 7.0, 0.0),
    (7.5, 7.5, 0.0),
]


@pytest.mark.parametrize(("spec", "mean", "var"), CASES, ids=lambda c: str(c)[:40])
def test_moments_match_analytic_values(spec: object, mean: float, var: float) -> None:
    dist = parse_distribution(spec, ("x",))
    x = dist.sample(N, rng=np.random.default_rng(20240601))
    assert x.shape == (N,)
    assert dist.mean() == pytest.approx(mean, rel=1e-9, abs=1e-12)
    if var == 0:
        assert np.all(x == mean)
        return
    assert abs(x.mean() - mean) <= 4 * math.sqrt(var / N)
    kurtosis = float(np.mean((x - x.mean()) ** 4) / x.var() ** 2)
    se_var = var * math.sqrt((kurtosis - 1) / N)
    assert abs(x.var(ddof=1) - var) <= 4 * se_var


@pytest.mark.parametrize("shape", ["lognormal", "normal"])
def test_range_is_a_90_percent_interval(shape: str) -> None:
    dist = parse_distribution({"dist": "range", "low": 10, "high": 40, "shape": shape}, ("x",))
    assert dist.ppf([0.05, 0.95]) == pytest.approx([10, 40], rel=1e-9)
    x = dist.sample(N, rng=np.random.default_rng(7))
    se = math.sqrt(0.05 * 0.95 / N)
    assert abs(np.mean(x < 10) - 0.05) <= 4 * se
    assert abs(np.mean(x > 40) - 0.05) <= 4 * se


def test_range_defaults_to_lognormal() -> None:
    dist = parse_distribution({"dist": "range", "low": 10, "high": 40}, ("x",))
    assert dist.support()[0] == 0.0
    assert dist.ppf(0.5) == pytest.approx(20.0)  # geometric midpoint
    assert pytest.approx(1.6448536, rel=1e-7) == Z95


def test_empirical_resamples_only_given_values() -> None:
    dist = parse_distribution({"dist": "empirical", "values": [3, 9]}, ("x",))
    x = dist.sample(1000, rng=np.random.default_rng(1))
    assert set(np.unique(x)) == {3.0, 9.0}
    assert dist.ppf([0.25, 0.75]).tolist() == [3.0, 9.0]


def test_sampling_is_reproducible_by_generator() -> None:
    dist = parse_distribution({"dist": "gamma", "mean": 5, "sd": 1}, ("x",))
    a = dist.sample(10, rng=np.random.default_rng(3))
    b = dist.sample(10, rng=np.random.default_rng(3))
    c = dist.sample(10, rng=np.random.default_rng(4))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


BAD = [
    ("abc", ("x",), "number"),
    (True, ("x",), "finite number"),
    (float("nan"), ("x",), "finite number"),
    (float("inf"), ("x",), "finite number"),
    ([1, 2], ("x",), "object with 'dist'"),
    ({"dist": "cauchy"}, ("x", "dist"), "must be one of"),
    ({"low": 1}, ("x", "dist"), "must be one of"),
    ({"dist": "uniform", "low": 1}, ("x", "high"), "required"),
    ({"dist": "uniform", "low": 1, "high": 2, "mode": 1}, ("x", "mode"), "not a parameter"),
    ({"dist": "uniform", "low": 2, "high": 2}, ("x", "high"), "greater than low"),
    ({"dist": "uniform", "low": "a", "high": 2}, ("x", "low"), "finite number"),
    ({"dist": "triangular", "low": 1, "mode": 0, "high": 2}, ("x", "mode"), "at least low"),
    ({"dist": "pert", "low": 1, "mode": 3, "high": 2}, ("x", "high"), "at least mode"),
    ({"dist": "pert", "low": 1, "mode": 1, "high": 2, "lambda": 0}, ("x", "lambda"), "> 0"),
    ({"dist": "normal", "mean": 1, "sd": 0}, ("x", "sd"), "greater than 0"),
    ({"dist": "normal", "mean": 1, "sd": 1, "low": 2, "high": 1}, ("x", "high"), "low"),
    ({"dist": "normal", "mean": 0, "sd": 1, "low": 50, "high": 51}, ("x",), "almost none"),
    ({"dist": "lognormal", "mean": 0, "sd": 1}, ("x", "mean"), "greater than 0"),
    ({"dist": "gamma", "mean": 1, "sd": -1}, ("x", "sd"), "greater than 0"),
    ({"dist": "range", "low": 0, "high": 1}, ("x", "low"), "lognormal"),
    ({"dist": "range", "low": 1, "high": 2, "shape": "cube"}, ("x", "shape"), "lognormal"),
    ({"dist": "beta", "mean": 0.5, "sd": 0.6}, ("x", "sd"), "below"),
    ({"dist": "beta", "mean": 1.5, "sd": 0.1}, ("x", "mean"), "between 0 and 1"),
    ({"dist": "beta", "mean": 0.5}, ("x", "sd"), "required"),
    ({"dist": "beta", "mean": 0.5, "sd": 0.1, "trials": 3}, ("x",), "either"),
    ({"dist": "beta", "successes": 5, "trials": 3}, ("x", "successes"), "between 0"),
    ({"dist": "beta", "successes": 1}, ("x", "trials"), "required"),
    ({"dist": "poisson", "mean": -1}, ("x", "mean"), "between 0 and 1e+12"),
    ({"dist": "poisson", "mean": 1e300}, ("x", "mean"), "between 0 and 1e+12"),
    ({"dist": "negative_binomial", "mean": 1e308, "dispersion": 1}, ("x", "mean"), "at most"),
    ({"dist": "negative_binomial", "mean": 1, "dispersion": 0}, ("x", "dispersion"), "> 0"),
    ({"dist": "empirical", "values": []}, ("x", "values"), "non-empty"),
    ({"dist": "empirical", "values": [1, "2"]}, ("x", "values", 1), "finite number"),
    ({"dist": "fixed", "value": 1, "note": 3}, ("x", "note"), "string"),
    # Integers past any float (JSON numbers decode to Python ints of any size).
    (10**400, ("x",), "finite number"),
    (-(10**400), ("x",), "finite number"),
    ({"dist": "uniform", "low": 0, "high": 10**400}, ("x", "high"), "finite number"),
    ({"dist": "empirical", "values": [1, 10**309]}, ("x", "values", 1), "finite number"),
    # Parameters scipy takes but numpy's sampler refuses ("n too large or p too small").
    ({"dist": "negative_binomial", "mean": 1e9, "dispersion": 1e-300}, ("x",), "too extreme"),
    ({"dist": "negative_binomial", "mean": 1e12, "dispersion": 1e-12}, ("x",), "too extreme"),
    # Notes end up in reports: the text check of every free-text field.
    ({"dist": "fixed", "value": 1, "note": "KEYE\ud800"}, ("x", "note"), "U+D800"),
    ({"dist": "fixed", "value": 1, "note": "\x01"}, ("x", "note"), "control character"),
]


@pytest.mark.parametrize(("spec", "path", "words"), BAD, ids=lambda c: str(c)[:40])
def test_invalid_specs_name_the_parameter(
    spec: object, path: tuple[object, ...], words: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_distribution(spec, ("x",))
    error = info.value.errors[0]
    assert error.path == path
    words = words.replace("> 0", "greater than 0")
    assert words in error.reason


def test_note_is_allowed_and_kept() -> None:
    spec = {"dist": "uniform", "low": 1, "high": 2, "note": "KEYE 2014"}
    assert parse_distribution(spec, ("x",)).spec == spec


def test_the_mean_of_values_whose_sum_overflows_is_still_their_mean() -> None:
    # Found by the hunt in test_properties: numpy's mean overflowed (and warned).
    dist = parse_distribution({"dist": "empirical", "values": [1.7e308, 1.7e308, 1.6e308]}, ("x",))
    assert dist.mean() == pytest.approx(1.7e308 / 3 * 2 + 1.6e308 / 3, rel=1e-12)
    assert parse_distribution({"dist": "empirical", "values": [1, 2]}, ("x",)).mean() == 1.5
    # Found by the deep hunt: a third of the largest float, three times, summed past it.
    largest = 1.7976931348623157e308
    spec = {"dist": "empirical", "values": [largest] * 3}
    assert parse_distribution(spec, ("x",)).mean() == largest
    spec = {"dist": "empirical", "values": [largest, -largest, largest]}
    assert parse_distribution(spec, ("x",)).mean() == pytest.approx(largest / 3, rel=1e-12)


@pytest.mark.parametrize("kind", [{}, [1], None, 3, True])
def test_a_dist_that_is_not_a_family_name_is_named(kind: object) -> None:
    # Found by Schemathesis: {"dist": {}} raised TypeError (unhashable) instead of the
    # field's error.
    with pytest.raises(ScenarioError) as info:
        parse_distribution({"dist": kind}, ("daily_cost",))
    assert [e.field for e in info.value.errors] == ["daily_cost.dist"]


def test_a_normal_truncated_at_a_field_edge_stays_within_it() -> None:
    """scipy gives truncnorm(a, b, loc=0.03, scale=0.1) with a = (-0.9 - 0.03) / 0.1 a
    support starting at -0.9000000000000001; the stated edge is the support, and neither
    draws nor quantiles pass it (bookings_growth's range starts at -0.9)."""
    from models.scenario import parse_scenario

    spec = {"dist": "normal", "mean": 0.03, "sd": 0.1, "low": -0.9, "high": 0.5}
    dist = parse_distribution(spec, ("bookings_growth",))
    assert dist.support() == (-0.9, 0.5)
    draws = dist.sample(10_000, rng=np.random.default_rng(1))
    quantiles = dist.ppf(np.array([0.0, 1e-300, 1.0]))
    assert draws.min() >= -0.9
    assert quantiles.min() >= -0.9
    assert quantiles.max() <= 0.5
    parse_scenario({"detainers_per_year": 10, "daily_cost": 100, "bookings_growth": spec})


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "uniform", "low": 0.1, "high": 0.7},
        {"dist": "triangular", "low": 0.1, "mode": 0.2, "high": 0.7},
        {"dist": "pert", "low": 0.1, "mode": 0.2, "high": 0.7},
    ],
)
def test_bounded_families_report_their_stated_support(spec: dict[str, object]) -> None:
    dist = parse_distribution(spec, ("honor_rate",))
    assert dist.support() == (0.1, 0.7)
    assert dist.ppf(np.array([0.0, 1.0])).tolist() == [0.1, 0.7]


BIT_CASES = [
    *[s for s, _, _ in CASES if isinstance(s, dict) and s["dist"] not in ("fixed", "empirical")],
    {"dist": "range", "low": 10, "high": 40},
    {"dist": "range", "low": -10, "high": 40, "shape": "normal"},
    {"dist": "normal", "mean": 0, "sd": 1},  # loc 0: scipy's -0.0 + 0 is +0.0
    {"dist": "beta", "mean": 0.014, "sd": 0.003},  # a shape below 1
    {"dist": "gamma", "mean": 1, "sd": 10},
    {"dist": "poisson", "mean": 0},
    {"dist": "poisson", "mean": 1e9},
    {"dist": "negative_binomial", "mean": 1e6, "dispersion": 0.5},
]


@pytest.mark.parametrize("spec", BIT_CASES, ids=lambda c: str(c)[:60])
@pytest.mark.parametrize("size", [1, 7, 1000])
def test_draws_are_scipys_to_the_bit(spec: dict[str, object], size: int) -> None:
    """Draws come from the Generator's own methods (issue 10: scipy's argument handling
    cost a tenth of a millisecond a call); they are the variates scipy's frozen
    distribution gives from the same stream, bit for bit, and leave the stream where
    scipy leaves it."""
    dist = parse_distribution(spec, ("x",))
    for seed in (0, 20240601):
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        drawn = dist.sample(size, rng=ours)
        expected = dist._clip(
            np.asarray(dist._frozen.rvs(size=size, random_state=theirs), dtype=np.float64)
        )
        assert drawn.dtype == np.float64
        assert drawn.tobytes() == expected.tobytes()
        assert ours.random() == theirs.random()


def test_parsing_again_asks_scipy_for_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mean and support of a built distribution are kept: parsing a scenario asks
    for every input's, and scipy took about a millisecond a parse for them."""
    spec = {"dist": "lognormal", "mean": 100, "sd": 50}
    first = parse_distribution(spec, ("x",))
    mean, support = first.mean(), first.support()
    calls: list[str] = []
    for name in ("mean", "support", "stats"):
        original = getattr(stats.rv_continuous, name)

        def spy(*args: object, _name: str = name, _f: object = original, **kw: object) -> object:
            calls.append(_name)
            return _f(*args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(stats.rv_continuous, name, spy)
    again = parse_distribution(dict(spec), ("x",))
    assert (again.mean(), again.support()) == (mean, support)
    assert calls == []
