"""Stratified sampling, induced rank correlations, and convergence reporting."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

from models import ScenarioError, simulate
from models.engine import CHUNK_TRIALS
from models.results import summarize
from models.sampling import iman_conover, spearman_to_pearson

UNCERTAIN: dict[str, Any] = {
    "detainers_per_year": 5000,
    "extra_days_cv": 0.05,
    "hold_hours": 0,
    "extra_days_per_detainer": {"dist": "pert", "low": 10, "mode": 20, "high": 60},
    "daily_cost": {"dist": "uniform", "low": 55, "high": 142},
    "admin_cost_per_detainer": {"dist": "gamma", "mean": 20, "sd": 10},
}


@pytest.mark.parametrize("method", ["lhs", "sobol"])
def test_stratified_sampling_narrows_the_spread_of_the_mean(method: str) -> None:
    """Across 40 seeds at 256 trials, the sd of the estimated mean is below 60% of plain
    random sampling's (LHS removes the additive part of the variance)."""

    def spread(sampling: str) -> float:
        means = [
            simulate({**UNCERTAIN, "trials": 256, "sampling": sampling, "seed": s}).annual_cost.mean
            for s in range(40)
        ]
        return float(np.std(means, ddof=1))

    assert spread(method) < 0.6 * spread("random")


def test_stratified_sampling_keeps_the_marginals() -> None:
    """LHS draws of a uniform input fall one per stratum."""
    result = simulate({**UNCERTAIN, "trials": 1000, "sampling": "lhs"})
    daily = result.samples["input:daily_cost"]
    strata = np.floor((daily - 55) / 87 * 1000).astype(int)
    assert sorted(strata) == list(range(1000))


CORRELATED: dict[str, Any] = {
    **UNCERTAIN,
    "trials": 20_000,
    "correlations": [
        {"a": "daily_cost", "b": "extra_days_per_detainer", "rho": 0.7},
        {"a": "admin_cost_per_detainer", "b": "extra_days_per_detainer", "rho": -0.4},
    ],
}


def test_iman_conover_reaches_the_target_rank_correlations() -> None:
    result = simulate(CORRELATED)
    s = result.samples
    rho = stats.spearmanr(s["input:daily_cost"], s["input:extra_days_per_detainer"]).statistic
    assert abs(rho - 0.7) <= 0.03
    rho = stats.spearmanr(
        s["input:admin_cost_per_detainer"], s["input:extra_days_per_detainer"]
    ).statistic
    assert abs(rho + 0.4) <= 0.03
    rho = stats.spearmanr(s["input:daily_cost"], s["input:admin_cost_per_detainer"]).statistic
    assert abs(rho) <= 0.1  # implied by the two targets: near 0.7 * -0.4 / something small


def test_correlation_keeps_every_marginal_exactly() -> None:
    plain = simulate({**CORRELATED, "correlations": []}).samples
    correlated = simulate(CORRELATED).samples
    for name in ("daily_cost", "extra_days_per_detainer", "admin_cost_per_detainer"):
        key = f"input:{name}"
        np.testing.assert_array_equal(np.sort(plain[key]), np.sort(correlated[key]))


def test_iman_conover_on_a_matrix() -> None:
    rng = np.random.default_rng(1)
    values = rng.random((5000, 3))
    target = np.array(
        [[1, spearman_to_pearson(0.5), 0], [spearman_to_pearson(0.5), 1, 0], [0, 0, 1]]
    )
    out = iman_conover(values, target, rng=rng)
    assert abs(stats.spearmanr(out[:, 0], out[:, 1]).statistic - 0.5) <= 0.03
    for j in range(3):
        np.testing.assert_array_equal(np.sort(out[:, j]), np.sort(values[:, j]))


@pytest.mark.parametrize(
    ("correlations", "field", "words"),
    [
        ([{"a": "daily_cost", "b": "nothing", "rho": 0.5}], "correlations[0].b", "not an"),
        (
            [{"a": "daily_cost", "b": "detainers_per_year", "rho": 0.5}],
            "correlations[0].b",
            "distribution",
        ),
        ([{"a": "daily_cost", "b": "daily_cost", "rho": 0.5}], "correlations[0]", "differ"),
        (
            [{"a": "daily_cost", "b": "extra_days_per_detainer", "rho": 1}],
            "correlations[0].rho",
            "strictly",
        ),
        (
            [
                {"a": "daily_cost", "b": "extra_days_per_detainer", "rho": 0.5},
                {"a": "extra_days_per_detainer", "b": "daily_cost", "rho": 0.2},
            ],
            "correlations[1]",
            "repeats",
        ),
        (
            [
                {"a": "daily_cost", "b": "extra_days_per_detainer", "rho": 0.6},
                {"a": "extra_days_per_detainer", "b": "admin_cost_per_detainer", "rho": 0.6},
                {"a": "daily_cost", "b": "admin_cost_per_detainer", "rho": -0.6},
            ],
            "correlations[2]",
            "daily_cost and admin_cost_per_detainer",
        ),
        ("x", "correlations", "list"),
        ([{"a": "daily_cost"}], "correlations[0].b", "name"),
    ],
)
def test_invalid_correlations_name_the_field(correlations: Any, field: str, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        simulate({**UNCERTAIN, "correlations": correlations})
    reasons = {e.field: e.reason for e in info.value.errors}
    assert field in reasons, reasons
    assert words in reasons[field]


def test_percentiles_match_numpy_and_their_intervals_cover() -> None:
    rng = np.random.default_rng(3)
    x = rng.exponential(size=5001)
    s = summarize(x, (5.0, 50.0, 95.0))
    assert list(s.percentiles.values()) == list(np.percentile(x, [5, 50, 95]))
    for key, q in (("p5", 0.05), ("p50", 0.5), ("p95", 0.95)):
        lo, hi = s.percentile_ci95[key]
        assert lo <= s.percentiles[key] <= hi
        assert hi - lo < 0.2 * stats.expon.ppf(q) + 0.02
    assert s.se == pytest.approx(np.std(x, ddof=1) / np.sqrt(x.size))


def test_percentile_interval_coverage_is_about_95_percent() -> None:
    """Over 400 samples of 200 normals, the p50 interval covers 0 in 95% +/- 4 SE."""
    rng = np.random.default_rng(9)
    hits = 0
    for _ in range(400):
        lo, hi = summarize(rng.normal(size=200), (50.0,)).percentile_ci95["p50"]
        hits += lo <= 0 <= hi
    se = np.sqrt(0.95 * 0.05 / 400)
    assert abs(hits / 400 - 0.95) <= 4 * se + 0.01  # + the discreteness of ranks


def test_precision_stops_when_the_target_is_met() -> None:
    result = simulate({**UNCERTAIN, "precision": 0.01, "trials": 500_000})
    c = result.convergence
    assert c.stopped_by == "precision"
    assert c.trials_run < 500_000
    assert c.trials_run % CHUNK_TRIALS == 0
    assert max(c.relative_half_width.values()) <= 0.01
    assert result.trials == c.trials_run == result.samples["annual_cost"].size


def test_precision_reports_the_trial_cap() -> None:
    result = simulate({**UNCERTAIN, "precision": 1e-5, "trials": 2 * CHUNK_TRIALS})
    assert result.convergence.stopped_by == "trial_cap"
    assert result.trials == 2 * CHUNK_TRIALS
    assert max(result.convergence.relative_half_width.values()) > 1e-5


def test_every_result_reports_its_precision() -> None:
    c = simulate({**UNCERTAIN, "trials": 1000}).convergence
    assert c.stopped_by == "trials"
    assert c.target is None
    assert 0 < c.relative_half_width["mean"] < 1
