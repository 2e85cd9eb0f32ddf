"""The aggregate engine against the per-person reference simulation.

Both simulate the same scenario with different fixed seeds; a two-sample
Kolmogorov-Smirnov test compares the per-trial distributions of year-1 cost, hold
bed-days, extra bed-days and honored detainers. The p-value is the tolerance: with
the fixed seeds the tests are deterministic, and a p-value below 0.001 would mean
the engine's aggregate sampling does not reproduce the per-person model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

from benchmarks.reference import simulate_reference
from models import simulate

KEYS = ("annual_cost", "hold_bed_days", "extra_bed_days", "honored", "transfers")

CASES: dict[str, tuple[dict[str, Any], int]] = {
    # 0-5 people a year: the exact small-count paths.
    "tiny": (
        {
            "detainers_per_year": {"dist": "poisson", "mean": 2},
            "honor_rate": 0.8,
            "extra_days_per_detainer": 10,
            "extra_days_cv": 1.0,
            "daily_cost": 100,
            "ice_pickup_rate": 0.7,
            "start_year": 2026,
        },
        3000,
    ),
    # Bookings through the fingerprint chain, a 36-hour window, weekend-heavy releases.
    "chain": (
        {
            "bookings_per_year": 1500,
            "match_rate": {"dist": "beta", "mean": 0.1, "sd": 0.02},
            "detainers_per_match": 0.5,
            "honor_rate": 0.9,
            "hold_hours": 36,
            "hold_rule": "business_hours",
            "release_weekday_weights": [1, 1, 1, 1, 2, 3, 2],
            "extra_days_per_detainer": {"dist": "pert", "low": 5, "mode": 20, "high": 60},
            "extra_days_cv": 0.5,
            "daily_cost": {"dist": "uniform", "low": 60, "high": 120},
            "liability": {"claims_per_1000_honored": 20, "cost_per_claim": 10_000},
            "start_year": 2027,
        },
        1000,
    ),
    # Hundreds due on weekends: the normal approximation of the time-of-day sum.
    "large": (
        {
            "bookings_per_year": 20_000,
            "detainer_rate": 0.05,
            "hold_hours": 48,
            "hold_rule": "business_hours",
            "hold_window_used": 0.7,
            "extra_days_per_detainer": 20,
            "extra_days_cv": 1.5,
            "daily_cost": 100,
            "start_year": 2026,
        },
        300,
    ),
    # The year the I-247A replaced the earlier forms: each release date's own rule.
    "form_change": (
        {
            "detainers_per_year": {"dist": "poisson", "mean": 40},
            "release_weekday_weights": [1, 1, 1, 1, 2, 3, 2],
            "extra_days_per_detainer": 5,
            "daily_cost": 100,
            "start_year": 2017,
            "horizon_years": 2,
        },
        1000,
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_engine_matches_per_person_simulation(case: str) -> None:
    scenario, trials = CASES[case]
    scenario = {**scenario, "trials": trials}
    engine = simulate(scenario, rng=np.random.default_rng(11))
    reference = simulate_reference(scenario, rng=np.random.default_rng(12))
    for key in KEYS:
        a, b = engine.samples[key], reference.samples[key]
        if np.ptp(a) == 0 and np.ptp(b) == 0:
            assert a[0] == b[0], key
            continue
        p = stats.ks_2samp(a, b).pvalue
        assert p > 0.001, f"{case}: {key} differs (KS p = {p:.2g})"


def test_reference_agrees_exactly_when_nothing_is_random() -> None:
    scenario = {
        "detainers_per_year": 40,
        "hold_hours": 0,
        "extra_days_per_detainer": 12,
        "extra_days_cv": 0,
        "daily_cost": 90,
        "trials": 5,
    }
    assert simulate_reference(scenario).annual_cost == simulate(scenario).annual_cost
