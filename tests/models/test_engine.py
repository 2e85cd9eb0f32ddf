"""The aggregate engine: hand computations, reproducibility, result shape."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from models import ScenarioError, sampling, simulate
from models.analyses import compare, portfolio
from models.calendar import hold_table
from models.engine import CHUNK_TRIALS, COMPONENTS, gamma_sum, irwin_hall, sample_keys
from models.presets import expand, get_preset, parse_expanded
from models.results import LeanResult, Summary, summarize
from models.scenario import parse_scenario

#: Nothing random: 1,000 bookings each with a detainer (a binomial of rate 1 is exact;
#: detainers given directly are a Poisson draw).
FIXED: dict[str, Any] = {
    "bookings_per_year": 1000,
    "detainer_rate": 1,
    "hold_hours": 0,
    "extra_days_per_detainer": 20,
    "extra_days_cv": 0,
    "daily_cost": 100,
    "daily_cost_average": 150,
    "admin_cost_per_detainer": 10,
    "transport_cost_per_transfer": 50,
    "offsets": {
        "scaap_eligible_share": 0.5,
        "scaap_reimbursement_rate": 0.2,
        "other_reimbursement": 5000,
    },
    "capacity": {"rated_beds": 100, "baseline_adp": 90, "overflow_daily_cost": 200},
    "horizon_years": 3,
    "start_year": 2026,
    "bookings_growth": 0.1,
    "cost_inflation": 0.03,
    "discount_rate": 0.05,
    "population": 500_000,
    "annual_budget": 100_000_000,
    "thresholds": [3_000_000, 3_500_000],
    "trials": 50,
}


def _year(detainers: int, inflation: float, days: int, daily: float) -> float:
    """Hand computation of one year's net cost of the FIXED scenario."""
    bed_days = detainers * 20
    rate = daily * inflation
    overflow = min(bed_days, max(0, 90 * days + bed_days - 100 * days))
    extra = bed_days * rate
    premium = overflow * (200 * inflation - rate)
    admin = detainers * 10 * inflation
    transport = detainers * 50 * inflation
    scaap = 0.5 * 0.2 * (extra + premium)
    return extra + premium + admin + transport - scaap - 5000


def test_each_year_gives_gross_cost_offsets_and_beds_occupied_by_hand() -> None:
    result = simulate(FIXED)
    # Year by year (detainers 1000, 1100, 1210; inflation 1, 1.03, 1.03**2; 365, 365, 366
    # days): gross = extra stay + overflow premium + admin + transport, e.g. 2026:
    # 2,000,000 + 16,350 * (200 - 100) + 10,000 + 50,000; offsets = -(0.5 * 0.2 *
    # (extra stay + premium) + 5,000 other reimbursement); beds = 20 * detainers / days.
    gross = [3_695_000.00, 4_224_030.00, 4_823_487.94]
    offsets = [-368_500.00, -420_605.00, -479_646.66]
    beds = [20_000 / 365, 22_000 / 365, 24_200 / 366]
    assert [y.gross_cost.mean for y in result.years] == pytest.approx(gross, abs=0.005)
    assert [y.offsets.mean for y in result.years] == pytest.approx(offsets, abs=0.005)
    assert [y.beds_occupied.mean for y in result.years] == pytest.approx(beds, rel=1e-12)
    for y in result.years:
        assert y.gross_cost.mean + y.offsets.mean == pytest.approx(y.net_cost.mean, abs=0.005)
        for fixed in (y.gross_cost, y.offsets, y.beds_occupied):
            assert fixed.min == fixed.max
    # Year 1's offsets are the result's offset components; its beds the year-1 figure.
    year1 = (
        result.components["scaap_reimbursement"].mean
        + result.components["other_reimbursement"].mean
    )
    assert result.years[0].offsets.mean == pytest.approx(year1, abs=0.005)
    assert result.years[0].beds_occupied == result.average_beds_occupied
    as_dict = result.to_dict()["years"][2]
    assert as_dict["gross_cost"]["mean"] == pytest.approx(gross[2], abs=0.005)
    assert as_dict["beds_occupied"]["mean"] == pytest.approx(beds[2], rel=1e-12)
    lean = simulate(FIXED, summaries=["year:1:offsets"])
    assert lean.summaries["year:1:offsets"] == result.years[1].offsets


def test_all_fixed_scenario_equals_hand_computation_to_the_cent() -> None:
    result = simulate(FIXED)
    # 2026 and 2027 have 365 days, 2028 has 366; detainers 1000, 1100, 1210.
    years = [
        _year(1000, 1.0, 365, 100),
        _year(1100, 1.03, 365, 100),
        _year(1210, 1.03**2, 366, 100),
    ]
    assert years[0] == pytest.approx(3_326_500.00, abs=0.005)
    assert years[1] == pytest.approx(3_803_425.00, abs=0.005)
    assert years[2] == pytest.approx(4_343_841.28, abs=0.005)
    assert result.annual_cost.mean == pytest.approx(years[0], abs=0.005)
    assert result.annual_cost.sd == 0.0
    assert set(result.annual_cost.percentiles.values()) == {result.annual_cost.mean}
    assert result.total_cost.mean == pytest.approx(sum(years), abs=0.005)
    pv = years[0] + years[1] / 1.05 + years[2] / 1.05**2
    assert result.present_value.mean == pytest.approx(pv, abs=0.005)
    assert [y.net_cost.mean for y in result.years] == pytest.approx(years, abs=0.005)
    assert [y.year for y in result.years] == [2026, 2027, 2028]
    assert result.components["extra_stay"].mean == pytest.approx(2_000_000, abs=0.005)
    assert result.components["overflow_premium"].mean == pytest.approx(1_635_000, abs=0.005)
    assert result.components["scaap_reimbursement"].mean == pytest.approx(-363_500, abs=0.005)
    assert result.components["other_reimbursement"].mean == -5000
    assert result.components["hold"].mean == 0
    assert result.extra_bed_days.mean == 20_000
    assert result.transfers.mean == 1000
    assert result.average_basis is not None
    assert result.average_basis["annual_cost"].mean == pytest.approx(3_490_750, abs=0.005)
    assert result.per_capita_cost is not None
    assert result.per_capita_cost.mean == pytest.approx(years[0] / 500_000)
    assert result.budget_share is not None
    assert result.budget_share.mean == pytest.approx(years[0] / 1e8)
    assert result.cost_per_honored_detainer == pytest.approx(years[0] / 1000)
    assert result.average_beds_occupied.mean == pytest.approx(20_000 / 365)
    assert [e.probability for e in result.exceedance] == [1.0, 0.0]
    # Nothing uncertain: the parameter range is the one expected cost.
    assert result.parameter_range["annual_cost"].mean == pytest.approx(years[0], abs=0.005)
    assert result.parameter_range["annual_cost"].sd == 0.0
    assert result.parameter_range["total_cost"].mean == pytest.approx(sum(years), abs=0.005)


def test_components_add_up_to_net_cost_trial_by_trial() -> None:
    scenario = {
        "bookings_per_year": 20_000,
        "match_rate": {"dist": "beta", "mean": 0.1, "sd": 0.02},
        "detainers_per_match": 0.5,
        "honor_rate": {"dist": "uniform", "low": 0.5, "high": 1},
        "extra_days_per_detainer": {"dist": "pert", "low": 10, "mode": 20, "high": 60},
        "daily_cost": {"dist": "range", "low": 60, "high": 140},
        "liability": {"claims_per_1000_honored": 2, "cost_per_claim": 50_000},
        "offsets": {"scaap_eligible_share": 0.4, "scaap_reimbursement_rate": 0.2},
        "capacity": {
            "rated_beds": 1000,
            "baseline_adp": {"dist": "uniform", "low": 900, "high": 1000},
            "overflow_daily_cost": 180,
        },
        "trials": 2000,
    }
    result = simulate(scenario)
    s = result.samples
    total = sum(s[f"component:{k}"] for k in COMPONENTS)
    np.testing.assert_allclose(total, s["annual_cost"], rtol=1e-12)
    np.testing.assert_allclose(s["bed_days"], s["hold_bed_days"] + s["extra_bed_days"])
    assert np.all(s["honored"] <= s["detainers"])
    assert np.all(s["transfers"] <= s["honored"])
    assert result.components["liability"].mean > 0
    assert result.components["overflow_premium"].mean > 0


def test_hold_days_match_the_calendar_mean() -> None:
    """Mean hold bed-days per honored person equals the table's exact mean.

    Tolerance: 4 standard errors of the per-trial mean over 4,000 trials.
    """
    scenario = {
        "detainers_per_year": 500,
        "daily_cost": 1,
        "start_year": 2026,
        "hold_rule": "business_hours",
        "hold_window_used": 0.8,
        "trials": 4000,
    }
    result = simulate(scenario)
    per_person = result.samples["hold_bed_days"] / result.samples["honored"]
    expected = hold_table(2026, 48.0, (1.0,) * 7, "business_hours").mean_days * 0.8
    se = per_person.std(ddof=1) / math.sqrt(per_person.size)
    assert abs(per_person.mean() - expected) <= 4 * se


def test_clock_hours_hold_exactly_two_days_per_fully_used_hold() -> None:
    """I-247A: 48 hours beyond release, no weekend or holiday exclusion, so every
    honored person is held 48/24 = 2.0 calendar days, whatever day they are due."""
    scenario = {
        "detainers_per_year": {"dist": "poisson", "mean": 500},
        "honor_rate": 0.7,
        "release_weekday_weights": [0, 0, 0, 1, 3, 3, 1],
        "hold_rule": "clock_hours",
        "daily_cost": 100,
        "start_year": 2016,
        "trials": 200,
    }
    result = simulate(scenario)
    s = result.samples
    np.testing.assert_array_equal(s["hold_bed_days"], s["honored"] * (48 / 24))
    np.testing.assert_array_equal(s["annual_cost"], s["honored"] * 2.0 * 100)
    assert result.years[0].hold_rule == "clock_hours"
    assert result.provenance.hold_rule == "clock_hours"


def test_default_hold_rule_follows_the_form_of_each_year() -> None:
    """No rule given: business hours before the I-247A (2 April 2017), clock hours
    after, and 2017 mixed by release date; the result says which rule each year used."""
    scenario = {
        "detainers_per_year": 400,
        "daily_cost": 1,
        "start_year": 2016,
        "horizon_years": 3,
        "trials": 300,
    }
    result = simulate(scenario)
    assert [y.hold_rule for y in result.years] == [
        "business_hours",
        "business_hours_then_clock_hours",
        "clock_hours",
    ]
    assert result.provenance.hold_rule == "form_in_force"
    assert result.to_dict()["years"][1]["hold_rule"] == "business_hours_then_clock_hours"
    s = result.samples
    np.testing.assert_array_equal(s["year:2:bed_days"], s["year:2:honored"] * 2.0)
    per_person = s["hold_bed_days"] / s["honored"]
    # 2016 on business hours: more than 2 days on average (weekends), never less.
    assert per_person.min() >= 2.0
    assert per_person.mean() == pytest.approx(
        hold_table(2016, 48.0, (1.0,) * 7, "business_hours").mean_days, rel=1e-2
    )
    given = simulate({**scenario, "hold_rule": "business_hours"})
    assert [y.hold_rule for y in given.years] == ["business_hours"] * 3
    assert given.provenance.hold_rule == "business_hours"


def test_same_seed_same_result_other_seed_differs() -> None:
    scenario = {
        "detainers_per_year": {"dist": "poisson", "mean": 300},
        "extra_days_per_detainer": 20,
        "daily_cost": 90,
        "trials": 500,
    }
    a = simulate(scenario).to_dict()
    b = simulate(scenario).to_dict()
    c = simulate({**scenario, "seed": 99}).to_dict()
    assert json.dumps(a) == json.dumps(b)
    assert a["annual_cost"] != c["annual_cost"]
    assert a["provenance"]["seed"] == 2877
    assert c["provenance"]["seed"] == 99


def test_rng_argument_overrides_the_seed() -> None:
    scenario = {
        "detainers_per_year": 300,
        "extra_days_per_detainer": 20,
        "daily_cost": 90,
        "trials": 200,
    }
    from_rng = simulate(scenario, rng=np.random.default_rng(2877))
    assert from_rng.provenance.seed is None
    assert from_rng.annual_cost == simulate(scenario).annual_cost
    other = simulate(scenario, rng=np.random.default_rng(1))
    assert other.annual_cost != from_rng.annual_cost


def test_chunks_are_independent_of_the_trial_count() -> None:
    scenario = {"detainers_per_year": 300, "extra_days_per_detainer": 20, "daily_cost": 90}
    short = simulate({**scenario, "trials": CHUNK_TRIALS})
    long = simulate({**scenario, "trials": 2 * CHUNK_TRIALS + 7})
    assert long.samples["annual_cost"].size == 2 * CHUNK_TRIALS + 7
    np.testing.assert_array_equal(
        long.samples["annual_cost"][:CHUNK_TRIALS], short.samples["annual_cost"]
    )


def test_progress_is_reported_per_chunk() -> None:
    calls: list[tuple[int, int]] = []
    simulate(
        {"detainers_per_year": 3, "daily_cost": 1, "trials": CHUNK_TRIALS + 1},
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(CHUNK_TRIALS, CHUNK_TRIALS + 1), (CHUNK_TRIALS + 1, CHUNK_TRIALS + 1)]


class Stop(Exception):
    pass


def test_cancel_is_asked_between_chunks_and_stops_the_run() -> None:
    asked: list[int] = []
    progress: list[int] = []

    def cancel() -> None:
        asked.append(len(progress))
        if len(progress) == 1:
            raise Stop

    with pytest.raises(Stop):
        simulate(
            {"detainers_per_year": 3, "daily_cost": 1, "trials": 3 * CHUNK_TRIALS},
            progress=lambda done, total: progress.append(done),
            cancel=cancel,
        )
    assert asked == [0, 1]
    assert progress == [CHUNK_TRIALS]


def test_no_detainers_gives_zero_cost_and_no_nan() -> None:
    result = simulate(
        {
            "detainers_per_year": 0,
            "daily_cost": 100,
            "trials": 10,
            "population": 10,
            "annual_budget": 10,
        }
    )
    assert result.annual_cost.mean == 0
    assert result.cost_per_honored_detainer is None
    json.dumps(result.to_dict(), allow_nan=False)


def test_single_trial_has_zero_sd() -> None:
    result = simulate({"detainers_per_year": 10, "daily_cost": 100, "trials": 1})
    assert result.annual_cost.sd == 0.0
    assert result.annual_cost.ci95_mean[0] == result.annual_cost.ci95_mean[1]


def test_result_shape_and_percentile_keys() -> None:
    result = simulate(
        {
            "detainers_per_year": 10,
            "daily_cost": 100,
            "trials": 100,
            "percentiles": [2.5, 50, 99.9],
            "horizon_years": 2,
        }
    )
    d = result.to_dict()
    for key in (
        "annual_cost",
        "total_cost",
        "present_value",
        "bed_days",
        "hold_bed_days",
        "extra_bed_days",
        "detainers",
        "honored",
        "transfers",
    ):
        assert set(d[key]) == {
            "mean",
            "sd",
            "se",
            "ci95_mean",
            "min",
            "max",
            "percentiles",
            "percentile_ci95",
        }
        assert list(d[key]["percentiles"]) == ["p2.5", "p50", "p99.9"]
        assert list(d[key]["percentile_ci95"]) == ["p2.5", "p50", "p99.9"]
    assert set(d["components"]) == set(COMPONENTS)
    assert len(d["years"]) == 2
    assert d["average_basis"] is None
    assert d["per_capita_cost"] is None
    assert set(d["provenance"]) >= {
        "model_version",
        "numpy_version",
        "scipy_version",
        "seed",
        "scenario_sha256",
    }
    with pytest.raises(AttributeError):
        result.trials = 5  # type: ignore[misc]
    assert not result.samples["annual_cost"].flags.writeable


def test_invalid_scenario_raises_before_any_work() -> None:
    with pytest.raises(ScenarioError) as info:
        simulate({"detainers_per_year": 10})
    assert info.value.field == "daily_cost"


def test_irwin_hall_is_exact_for_small_counts_and_bounded_for_large() -> None:
    rng = np.random.default_rng(5)
    n = np.array([0, 1, 2, 64, 65, 10_000])
    draws = np.array([irwin_hall(n, rng=rng) for _ in range(4000)])
    assert np.all(draws[:, 0] == 0)
    assert np.all((draws >= 0) & (draws <= n))
    # Mean n/2 and variance n/12; mean within 4 standard errors.
    se = np.sqrt(n / 12 / 4000)
    assert np.all(np.abs(draws.mean(axis=0) - n / 2) <= 4 * se + 1e-12)


def test_gamma_sum_handles_zero_people_and_zero_cv() -> None:
    rng = np.random.default_rng(1)
    people = np.array([0, 5, 5, 0])
    out = gamma_sum(
        people, np.array([10.0, 10.0, 0.0, 10.0]), np.array([1.0, 0.0, 1.0, 0.0]), rng=rng
    )
    assert out.tolist() == [0.0, 50.0, 0.0, 0.0]


# --- lean results (issue 10): the same numbers, fewer of them ---------------------

#: Draws inputs (with a correlation), several years, the average basis, liability,
#: capacity and offsets, and more trials than one chunk.
RICH: dict[str, Any] = {
    "bookings_per_year": 30000,
    "detainer_rate": {"dist": "beta", "mean": 0.014, "sd": 0.003},
    "honor_rate": 0.9,
    "extra_days_per_detainer": {"dist": "pert", "low": 20, "mode": 25, "high": 73},
    "extra_days_cv": 1,
    "daily_cost": {"dist": "uniform", "low": 55, "high": 105},
    "daily_cost_average": {"dist": "uniform", "low": 105, "high": 142},
    "liability": {"claims_per_1000_honored": 2, "cost_per_claim": 50000},
    "capacity": {"rated_beds": 2000, "baseline_adp": 1950, "overflow_daily_cost": 160},
    "offsets": {"scaap_eligible_share": 0.5, "scaap_reimbursement_rate": 0.2},
    "correlations": [{"a": "daily_cost", "b": "daily_cost_average", "rho": 0.6}],
    "horizon_years": 3,
    "population": 800000,
    "annual_budget": 250000000,
    "percentiles": [1, 5, 50, 95, 99.5],
    "trials": CHUNK_TRIALS + 500,
}


def _without_ci(d: Any) -> Any:
    """A result's JSON form with every percentile CI emptied."""
    if isinstance(d, dict):
        return {k: {} if k == "percentile_ci95" else _without_ci(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_without_ci(v) for v in d]
    return d


@pytest.mark.parametrize("scenario", [FIXED, RICH], ids=["fixed", "rich"])
def test_sample_keys_are_the_keys_of_the_samples(scenario: dict[str, Any]) -> None:
    keys = sample_keys(parse_scenario(scenario))
    assert len(keys) == len(set(keys))
    assert set(keys) == set(simulate({**scenario, "trials": 3}).samples)


def test_lean_summaries_equal_the_full_result_to_the_bit() -> None:
    full = simulate(RICH)
    twins: dict[str, Summary] = {
        "annual_cost": full.annual_cost,
        "total_cost": full.total_cost,
        "present_value": full.present_value,
        "bed_days": full.bed_days,
        "transfers": full.transfers,
        "component:overflow_premium": full.components["overflow_premium"],
        "component:scaap_reimbursement": full.components["scaap_reimbursement"],
        "average:present_value": full.average_basis["present_value"],  # type: ignore[index]
        "year:0:net_cost": full.years[0].net_cost,
        "year:2:net_cost": full.years[2].net_cost,
        "year:1:honored": full.years[1].honored,
    }
    lean = simulate(RICH, summaries=list(twins))
    assert isinstance(lean, LeanResult)
    assert list(lean.summaries) == list(twins)
    # json.dumps writes floats with repr, so equal strings mean equal bits.
    for key, summary in twins.items():
        assert json.dumps(lean.summaries[key].to_dict()) == json.dumps(summary.to_dict()), key
    assert lean.provenance == full.provenance
    assert lean.convergence == full.convergence
    assert lean.trials == full.trials
    assert lean.name == full.name
    for key, values in full.samples.items():
        assert values.tobytes() == lean.samples[key].tobytes(), key


def test_lean_without_percentile_ci_keeps_every_other_figure() -> None:
    full = simulate(RICH, summaries=["annual_cost", "input:daily_cost"])
    lean = simulate(RICH, summaries=["annual_cost", "input:daily_cost"], percentile_ci=False)
    assert json.dumps(_without_ci(full.to_dict())) == json.dumps(lean.to_dict())
    assert (
        summarize(full.samples["input:daily_cost"], RICH["percentiles"])
        == (full.summaries["input:daily_cost"])
    )


def test_full_result_without_percentile_ci_keeps_every_other_figure() -> None:
    full = simulate(RICH).to_dict()
    lean = simulate(RICH, percentile_ci=False).to_dict()
    assert lean["annual_cost"]["percentile_ci95"] == {}
    assert json.dumps(_without_ci(full)) == json.dumps(lean)


def test_year_one_of_the_years_is_the_year_one_summary() -> None:
    result = simulate(RICH)
    first = result.years[0]
    assert first.net_cost == result.annual_cost
    assert first.bed_days == result.bed_days
    assert first.detainers == result.detainers
    assert first.honored == result.honored
    assert first.net_cost == summarize(result.samples["year:0:net_cost"], RICH["percentiles"])
    assert first.bed_days == summarize(result.samples["year:0:bed_days"], RICH["percentiles"])


def test_unknown_or_string_summaries_are_refused_before_any_work() -> None:
    calls: list[int] = []
    with pytest.raises(ValueError, match="'annual_costs'"):
        simulate(RICH, summaries=["annual_costs"], progress=lambda d, t: calls.append(d))
    with pytest.raises(ValueError, match="'year:3:net_cost'"):
        simulate(RICH, summaries=["year:3:net_cost"], progress=lambda d, t: calls.append(d))
    with pytest.raises(ValueError, match="sequence of keys"):
        simulate(RICH, summaries="annual_cost", progress=lambda d, t: calls.append(d))
    assert calls == []


# --- three measures kept apart (issue 12 §2) --------------------------------------

MEASURES: dict[str, Any] = {
    "bookings_per_year": 20_000,
    "detainer_rate": {"dist": "beta", "mean": 0.02, "sd": 0.004},
    "honor_rate": 0.8,
    "extra_days_per_detainer": {"dist": "pert", "low": 10, "mode": 20, "high": 60},
    "daily_cost": {"dist": "uniform", "low": 60, "high": 140},
    "daily_cost_average": {"dist": "uniform", "low": 140, "high": 180},
    "capacity": {"rated_beds": 1000, "baseline_adp": 980, "overflow_daily_cost": 200},
    "offsets": {"scaap_eligible_share": 0.5, "scaap_reimbursement_rate": 0.2},
    "horizon_years": 3,
    "discount_rate": 0.03,
    "trials": 3000,
}


def test_detainer_days_are_reported_and_never_added_to_any_cost() -> None:
    """Every per-trial value is the same to the bit with and without detainer-days (the
    input draws from a stream spawned after every other), so every cost total is too."""
    without = simulate(MEASURES)
    with_days = simulate(
        {**MEASURES, "detainer_days_per_detainer": {"dist": "uniform", "low": 100, "high": 150}}
    )
    for key, values in without.samples.items():
        np.testing.assert_array_equal(with_days.samples[key], values, err_msg=key)
    a, b = without.to_dict(), with_days.to_dict()
    for key in ("annual_cost", "total_cost", "present_value", "average_basis", "components"):
        assert json.dumps(a[key]) == json.dumps(b[key]), key
    assert [y["net_cost"] for y in a["years"]] == [y["net_cost"] for y in b["years"]]
    assert a["detainer_bed_days"] is None
    assert a["detainer_days_cost"] is None
    s = with_days.samples
    np.testing.assert_array_equal(
        s["detainer_bed_days"], s["detainers"] * s["input:detainer_days_per_detainer"]
    )
    np.testing.assert_array_equal(
        s["detainer_days_cost"], s["detainer_bed_days"] * s["input:daily_cost"]
    )
    assert with_days.detainer_days_cost is not None
    # An upper bound: far above the cost it sits beside, and not in it.
    assert with_days.detainer_days_cost.mean > with_days.annual_cost.mean


def test_extra_stay_applies_to_lodged_or_honored_detainers() -> None:
    base = {
        "detainers_per_year": 1000,
        "honor_rate": 0.0,
        "extra_days_per_detainer": 20,
        "extra_days_cv": 0,
        "daily_cost": 100,
        "trials": 20,
    }
    honored = simulate(base)
    lodged = simulate({**base, "extra_stay_applies_to": "lodged"})
    assert honored.provenance.extra_stay_applies_to == "honored"
    assert lodged.provenance.extra_stay_applies_to == "lodged"
    # Not honoring saves the extra stay only when the stay follows the honored ones.
    assert honored.extra_bed_days.max == 0
    np.testing.assert_array_equal(
        lodged.samples["extra_bed_days"], lodged.samples["detainers"] * 20.0
    )
    assert lodged.hold_bed_days.max == 0
    # With every detainer honored the two agree to the bit.
    all_honored = simulate({**base, "honor_rate": 1.0})
    assert (
        all_honored.annual_cost
        == simulate({**base, "honor_rate": 1.0, "extra_stay_applies_to": "lodged"}).annual_cost
    )


def test_an_average_daily_cost_alone_is_valid_and_labelled_average() -> None:
    both = simulate(MEASURES)
    assert both.cost_basis == "marginal"
    assert both.average_basis is not None
    alone = simulate({k: v for k, v in MEASURES.items() if k != "daily_cost"})
    assert alone.cost_basis == "average"
    assert alone.average_basis is None
    assert alone.to_dict()["cost_basis"] == "average"
    # Every cost is at the fully loaded rate: the same trials as the average basis.
    for key in ("annual_cost", "total_cost", "present_value"):
        assert json.dumps(getattr(alone, key).to_dict()) == json.dumps(
            both.average_basis[key].to_dict()
        ), key
    assert "average:annual_cost" not in sample_keys(
        parse_scenario({k: v for k, v in MEASURES.items() if k != "daily_cost"})
    )
    with pytest.raises(ScenarioError) as info:
        simulate({"detainers_per_year": 10, "daily_cost_average": None})
    assert info.value.field == "daily_cost"
    assert "daily_cost_average" in str(info.value)


# --- honest uncertainty (issue 12 §3) ---------------------------------------------


def test_parameter_range_of_one_linear_input_is_its_transformed_percentiles() -> None:
    """Hand computation: with clock hours (2.0 days a hold), every detainer honored and
    10 extra days, the expected year-1 cost given the daily cost d is 1,000 x 12 x d
    exactly, so the parameter range's percentiles are 12,000 x the percentiles of the
    drawn daily costs (linear interpolation commutes with a positive scale), and over
    3 years without growth or inflation the total is 3 x that."""
    scenario = {
        "detainers_per_year": 1000,
        "hold_rule": "clock_hours",
        "extra_days_per_detainer": 10,
        "daily_cost": {"dist": "uniform", "low": 50, "high": 150},
        "horizon_years": 3,
        "percentiles": [5, 25, 50, 75, 95],
        "trials": 4000,
    }
    result = simulate(scenario)
    daily = result.samples["input:daily_cost"]
    np.testing.assert_allclose(
        result.samples["expected:annual_cost"], 12_000 * daily, rtol=1e-15, atol=0
    )
    expected = np.percentile(12_000 * daily, [5, 25, 50, 75, 95])
    got = result.parameter_range["annual_cost"].percentiles
    assert list(got.values()) == pytest.approx(list(expected), rel=1e-12)
    drawn = np.percentile(daily, [5, 25, 50, 75, 95])
    assert list(got.values()) == pytest.approx(list(12_000 * drawn), rel=1e-12)
    total = result.parameter_range["total_cost"].percentiles
    assert list(total.values()) == pytest.approx(list(3 * 12_000 * drawn), rel=1e-12)
    # The full range adds person-to-person chance: wider, same centre. The mean of the
    # difference is within 4 standard errors of 0.
    full = result.samples["annual_cost"]
    assert full.std() > result.samples["expected:annual_cost"].std()
    diff = full - result.samples["expected:annual_cost"]
    assert abs(diff.mean()) <= 4 * diff.std(ddof=1) / math.sqrt(diff.size)


def test_parameter_range_is_the_mean_of_the_simulation_given_the_inputs() -> None:
    """With every input fixed the full range is person-to-person chance alone, centred on
    the closed-form expectation: the simulated mean is within 4 standard errors of it,
    on both the bookings and the direct form, with capacity, liability and offsets."""
    for volume in (
        {"bookings_per_year": 5000, "detainer_rate": 0.03},
        {"detainers_per_year": 150.0},
    ):
        scenario = {
            **volume,
            "honor_rate": 0.8,
            "ice_pickup_rate": 0.6,
            "hold_rule": "business_hours",
            "extra_days_per_detainer": 25,
            "extra_days_cv": 1.2,
            "daily_cost": 90,
            "transport_cost_per_transfer": 40,
            "liability": {"claims_per_1000_honored": 5, "cost_per_claim": 20_000},
            "offsets": {"scaap_eligible_share": 0.5, "scaap_reimbursement_rate": 0.2},
            "horizon_years": 2,
            "bookings_growth": 0.1,
            "trials": 6000,
        }
        result = simulate(scenario)
        expected = result.samples["expected:annual_cost"]
        assert np.ptp(expected) == 0
        for key in ("annual_cost", "total_cost"):
            x = result.samples[key]
            se = x.std(ddof=1) / math.sqrt(x.size)
            assert abs(x.mean() - result.parameter_range[key].mean) <= 4 * se, (volume, key)


def test_the_parameter_level_path_equals_the_full_run_to_the_bit() -> None:
    keys = ["expected:annual_cost", "expected:total_cost", "input:daily_cost"]
    full = simulate(RICH)
    fast = simulate(RICH, summaries=keys, person_level=False)
    for key in keys:
        assert fast.samples[key].tobytes() == full.samples[key].tobytes(), key
    assert fast.summaries["expected:annual_cost"] == full.parameter_range["annual_cost"]
    assert "annual_cost" not in fast.samples
    with pytest.raises(ValueError, match="without person-level"):
        simulate(RICH, summaries=["annual_cost"], person_level=False)
    with pytest.raises(ValueError, match="needs summaries"):
        simulate(RICH, person_level=False)


def test_detainers_given_directly_vary_like_poisson_and_are_never_rounded() -> None:
    """100 detainers over 3 years is 33.33 a year in expectation, not 33: each year's
    count is Poisson with that mean, so its mean and variance are both 33.33. Tolerances
    from the standard errors at 20,000 trials: the mean's SE is sqrt(33.33/n); the
    sample variance's SE is sqrt((mu4 - sigma^4 (n-3)/(n-1)) / n) with the Poisson
    central moment mu4 = lambda (1 + 3 lambda)."""
    lam = 100 / 3
    n = 20_000
    result = simulate(
        {
            "detainers_per_year": lam,
            "hold_rule": "clock_hours",
            "daily_cost": 100,
            "trials": n,
            "horizon_years": 2,
        }
    )
    for key in ("detainers", "year:1:detainers"):
        x = result.samples[key]
        assert np.all(x == np.round(x))
        assert abs(x.mean() - lam) <= 4 * math.sqrt(lam / n), key
        mu4 = lam * (1 + 3 * lam)
        se_var = math.sqrt((mu4 - lam**2 * (n - 3) / (n - 1)) / n)
        assert abs(x.var(ddof=1) - lam) <= 4 * se_var, key
    # The expected count is the unrounded one: 33.33 holds of 2.0 days at $100.
    assert result.parameter_range["annual_cost"].mean == pytest.approx(lam * 2.0 * 100)
    assert result.parameter_range["annual_cost"].mean != pytest.approx(33 * 2.0 * 100)
    assert parse_scenario({"detainers_per_year": lam, "daily_cost": 1}).canonical[
        "detainers_per_year"
    ] == pytest.approx(lam)
    draws = simulate({"detainers_per_year": lam, "daily_cost": 1, "trials": 5}).samples
    assert draws["input:detainers_per_year"].tolist() == [lam] * 5


def test_spawned_streams_equal_those_spawn_gives() -> None:
    """draw_inputs builds only the streams it uses (models.sampling.spawned); each must
    be the generator Generator.spawn gives at that position, also after earlier spawns."""
    for make in (np.random.PCG64, np.random.Philox):
        a = np.random.Generator(make(np.random.SeedSequence(2877, spawn_key=(4,))))
        b = np.random.Generator(make(np.random.SeedSequence(2877, spawn_key=(4,))))
        a.spawn(2)
        b.spawn(2)
        every = a.spawn(7)
        some = sampling.spawned(b, [0, 3, 6])
        for i, g in zip([0, 3, 6], some, strict=True):
            assert type(g.bit_generator) is make
            assert g.random(5).tolist() == every[i].random(5).tolist()


def test_a_comparison_pairs_the_parameter_ranges_too() -> None:
    """Baseline minus alternative of the expected costs, trial by trial: for honoring
    none of the detainers, with the extra stay following honored detainers, the whole
    expected cost is saved; with it following lodged ones, only the hold is."""
    base = {
        "detainers_per_year": 200,
        "hold_rule": "clock_hours",
        "extra_days_per_detainer": 10,
        "daily_cost": {"dist": "uniform", "low": 50, "high": 150},
        "trials": 500,
    }
    alternatives = [{"name": "none", "overrides": {"honor_rate": 0}}]
    for applies, saved_days in (("honored", 12.0), ("lodged", 2.0)):
        result = compare({**base, "extra_stay_applies_to": applies}, alternatives)
        (alt,) = result.alternatives
        daily = result.baseline.samples["input:daily_cost"]
        saved = alt.difference.parameter_range["annual_cost"]
        assert saved.mean == pytest.approx(200 * saved_days * float(np.mean(daily)))
        assert alt.result.provenance.extra_stay_applies_to == applies
        assert alt.difference.to_dict()["parameter_range"]["total_cost"] == (
            alt.difference.parameter_range["total_cost"].to_dict()
        )


def test_a_portfolio_sums_costs_on_one_basis_only() -> None:
    marginal = {"detainers_per_year": 50, "daily_cost": 100, "trials": 20}
    average = {"detainers_per_year": 50, "daily_cost_average": 150, "trials": 20}
    with pytest.raises(ScenarioError) as info:
        portfolio([marginal, average])
    assert info.value.errors[0].path == ("members", 1, "daily_cost")
    assert "marginal basis" in info.value.errors[0].reason
    total = portfolio([average, average]).total
    assert total.cost_basis == "average"


def test_a_preset_source_and_input_notes_reach_the_provenance() -> None:
    preset = get_preset("cook-county-2011")
    assert preset is not None
    result = simulate(parse_expanded({"preset": "cook-county-2011", "trials": 20}))
    provenance = result.provenance.to_dict()
    # The preset's description (its source, headline and how its inputs were obtained)
    # and each input's "<basis>: <note>", exactly as the preset gives them.
    assert provenance["description"] == preset.scenario["description"]
    assert "Source: " in provenance["description"]
    assert provenance["input_notes"] == {
        name: f"{entry['basis']}: {entry['note']}" for name, entry in preset.parameters.items()
    }
    # A user's own notes; an overridden input loses the preset's note.
    own = simulate(
        parse_expanded(
            {
                "preset": "cook-county-2011",
                "honor_rate": {"dist": "fixed", "value": 0.8, "note": "our guess"},
                "daily_cost_average": 120,
                "trials": 20,
            }
        )
    ).provenance
    assert own.input_notes["honor_rate"] == "our guess"
    assert "daily_cost_average" not in own.input_notes
    bare = simulate({"detainers_per_year": 5, "daily_cost": 90, "trials": 20}).provenance
    assert (bare.description, dict(bare.input_notes)) == (None, {})
    # A total claims no member's notes.
    total = portfolio([expand({"preset": "cook-county-2011", "trials": 20})] * 2).total.provenance
    assert (total.description, dict(total.input_notes)) == (None, {})
