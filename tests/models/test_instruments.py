"""The policy instruments of issue 13, each against a hand computation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from benchmarks.reference import simulate_reference
from models import ScenarioError, simulate
from models.analyses import compare
from models.engine import ALL_COMPONENTS, COMPONENTS

#: Nothing random: 1,000 bookings each with a detainer (a binomial of rate 1 is exact),
#: no hold (0 hours) and no longer stay, so every dollar comes from the instrument tested.
PLAIN: dict[str, Any] = {
    "bookings_per_year": 1000,
    "detainer_rate": 1,
    "hold_hours": 0,
    "daily_cost": 100,
    "start_year": 2026,
    "trials": 40,
}


def test_payment_per_honored_detainer_is_a_nominal_offset() -> None:
    result = simulate(
        {**PLAIN, "payment_per_honored_detainer": 50, "horizon_years": 2, "cost_inflation": 0.1}
    )
    # 1,000 honored x $50, paid back: -$50,000 a year, not grown by the 10% inflation.
    payment = result.components["federal_payment"]
    assert payment.mean == payment.min == payment.max == -50_000
    assert result.annual_cost.mean == -50_000
    assert result.total_cost.mean == -100_000
    for year in result.years:
        assert year.offsets.mean == -50_000
        assert year.gross_cost.mean == 0
    assert result.parameter_range["annual_cost"].mean == -50_000
    np.testing.assert_array_equal(
        result.samples["annual_cost"], sum(result.samples[f"component:{k}"] for k in ALL_COMPONENTS)
    )


def test_payment_follows_the_honored_count() -> None:
    n = 2000
    result = simulate({**PLAIN, "honor_rate": 0.5, "payment_per_honored_detainer": 50, "trials": n})
    # Honored ~ Binomial(1000, 0.5): mean 500, so the payment's mean is -$25,000; its sd is
    # 50 x sqrt(1000 x 0.25) = 790.6, the standard error of the mean over 2,000 trials
    # 17.7; the tolerance is 4 standard errors.
    se = 50 * math.sqrt(1000 * 0.25) / math.sqrt(n)
    assert result.components["federal_payment"].mean == pytest.approx(-25_000, abs=4 * se)
    np.testing.assert_array_equal(
        result.samples["component:federal_payment"], -50 * result.samples["honored"]
    )


def test_components_without_the_instruments_keep_their_shape() -> None:
    result = simulate(PLAIN)
    assert tuple(result.components) == COMPONENTS
    # a comparison lists an optional component when either side has it
    out = compare(
        {**PLAIN, "payment_per_honored_detainer": 50},
        [{"name": "decline", "overrides": {"honor_rate": 0}}],
    )
    diff = out.alternatives[0].difference.components["federal_payment"]
    # baseline -$50,000, the alternative honors none and is paid nothing
    assert diff.mean == -50_000


def test_staff_time_per_detainer_lodged_and_program_cost() -> None:
    result = simulate(
        {
            **PLAIN,
            "honor_rate": 0.5,
            "staff_hours_per_detainer": 2,
            "staff_hourly_cost": 40,
            "program_cost_per_year": 150_000,
            "horizon_years": 2,
            "cost_inflation": 0.1,
        }
    )
    # Staff: every one of the 1,000 detainers lodged (honored or not) x 2 h x $40 =
    # $80,000; the program $150,000; year 2 both grown by 10%.
    assert result.components["staff"].mean == 80_000
    assert result.components["staff"].sd == 0
    assert result.components["program"].mean == 150_000
    assert result.annual_cost.mean == 230_000
    assert result.years[1].gross_cost.mean == pytest.approx(253_000, rel=1e-12)
    assert result.total_cost.mean == pytest.approx(483_000, rel=1e-12)


def test_uncertain_staff_hours_and_program_cost() -> None:
    n = 2000
    result = simulate(
        {
            **PLAIN,
            "staff_hours_per_detainer": {"dist": "uniform", "low": 1, "high": 3},
            "staff_hourly_cost": 40,
            "program_cost_per_year": {"dist": "uniform", "low": 100_000, "high": 200_000},
            "trials": n,
        }
    )
    # Staff: 1,000 x U(1, 3) h x $40, mean $80,000, sd 40,000 x 2 / sqrt(12) = 23,094;
    # program: U(100,000, 200,000), mean 150,000, sd 28,868. Tolerance: 4 standard errors
    # of the mean over 2,000 trials.
    staff_se = 40_000 * 2 / math.sqrt(12) / math.sqrt(n)
    program_se = 100_000 / math.sqrt(12) / math.sqrt(n)
    assert result.components["staff"].mean == pytest.approx(80_000, abs=4 * staff_se)
    assert result.components["program"].mean == pytest.approx(150_000, abs=4 * program_se)
    hours = result.samples["input:staff_hours_per_detainer"]
    np.testing.assert_allclose(result.samples["component:staff"], 1000 * hours * 40)


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"staff_hours_per_detainer": 2}, "staff_hourly_cost"),
        ({"staff_hourly_cost": 40}, "staff_hours_per_detainer"),
    ],
)
def test_staff_hours_and_their_cost_come_together(given: dict[str, Any], missing: str) -> None:
    with pytest.raises(ScenarioError) as info:
        simulate({**PLAIN, **given})
    assert [(e.pointer, e.reason) for e in info.value.errors] == [
        (f"/{missing}", f"is required with {next(iter(given))}")
    ]


def test_holds_never_picked_up_run_the_full_window() -> None:
    n = 400
    scenario = {
        **PLAIN,
        "hold_hours": 48,
        "hold_rule": "clock_hours",
        "ice_pickup_rate": 0.6,
        "hold_window_used": 0.25,
        "trials": n,
    }
    result = simulate(scenario)
    s = result.samples
    # Clock hours: every window is exactly 2 days. T picked up use a quarter of it
    # (0.5 days), the 1,000 - T others all of it (2 days).
    np.testing.assert_allclose(
        s["hold_bed_days"], 0.5 * s["transfers"] + 2.0 * (1000 - s["transfers"]), rtol=1e-12
    )
    # T ~ Binomial(1000, 0.6): mean 1,000 x (0.6 x 0.5 + 0.4 x 2) = 1,100 days, sd
    # 1.5 x sqrt(1000 x 0.24) = 23.2, so a standard error of 1.16 over 400 trials;
    # tolerance 4 standard errors. The expected cost given the inputs is exact.
    se = 1.5 * math.sqrt(1000 * 0.24) / math.sqrt(n)
    assert result.hold_bed_days.mean == pytest.approx(1100, abs=4 * se)
    assert result.parameter_range["annual_cost"].mean == pytest.approx(1100 * 100, rel=1e-12)


def test_a_fully_used_window_or_everyone_picked_up_draws_as_before() -> None:
    """With ``hold_window_used`` 1, or every hold picked up, the split changes nothing:
    the hold days are one group's draws (the same streams as before the split)."""
    base = {**PLAIN, "hold_hours": 48, "honor_rate": 0.9, "trials": 200}
    full_window = simulate({**base, "ice_pickup_rate": 0.5})
    assert not np.array_equal(full_window.samples["transfers"], full_window.samples["honored"])
    shortened = simulate({**base, "hold_window_used": 0.5})
    np.testing.assert_array_equal(
        shortened.samples["hold_bed_days"], 0.5 * full_window.samples["hold_bed_days"]
    )


@pytest.mark.slow
def test_the_split_agrees_with_the_per_person_simulation() -> None:
    scenario = {
        "detainers_per_year": 150,
        "honor_rate": 0.9,
        "ice_pickup_rate": 0.5,
        "hold_window_used": 0.3,
        "hold_rule": "business_hours",
        "daily_cost": 100,
        "start_year": 2026,
        "trials": 1000,
    }
    engine = simulate(scenario, rng=np.random.default_rng(11))
    reference = simulate_reference(scenario, rng=np.random.default_rng(12))
    for key in ("hold_bed_days", "transfers", "annual_cost"):
        p = stats.ks_2samp(engine.samples[key], reference.samples[key]).pvalue
        assert p > 0.001, f"{key} differs (KS p = {p:.2g})"


#: 1,000 honored detainers a year, each 10 extra days at $100: $1,000,000 a year.
STAYS: dict[str, Any] = {**PLAIN, "extra_days_per_detainer": 10, "extra_days_cv": 0}


def test_a_schedule_holds_each_value_until_the_next() -> None:
    result = simulate(
        {
            **STAYS,
            "horizon_years": 4,
            "cost_inflation": 0.1,
            "honor_rate": {"schedule": {"2026": 1, "2028": 0}},
            "daily_cost": {"schedule": {"2025": 90, "2026": 100, "2027": 120}},
        }
    )
    # 2026: 1,000 x 10 x $100; 2027: x $120 x 1.1 (inflation still grows a scheduled
    # cost); from 2028 the jail honors none.
    assert [y.net_cost.mean for y in result.years] == pytest.approx(
        [1_000_000, 1_320_000, 0, 0], rel=1e-12
    )
    assert [y.honored.mean for y in result.years] == [1000, 1000, 0, 0]
    assert result.parameter_range["total_cost"].mean == pytest.approx(2_320_000, rel=1e-12)


def test_a_scheduled_value_may_be_uncertain() -> None:
    n = 2000
    result = simulate(
        {
            **STAYS,
            "horizon_years": 3,
            "honor_rate": {
                "schedule": {"2026": 1, "2027": {"dist": "uniform", "low": 0, "high": 0.1}}
            },
            "trials": n,
        }
    )
    # From 2027 h ~ U(0, 0.1), drawn once a trial and held: honored ~ Binomial(1000, h),
    # mean 50, variance E[1000 h (1 - h)] + Var(1000 h) = 46.7 + 833.3 = 880, so the
    # year's cost (x $1,000 a person) has mean $50,000 and sd 29,665; the standard error
    # over 2,000 trials is 663 and the tolerance 4 of them.
    se = 1000 * math.sqrt(880) / math.sqrt(n)
    for year in result.years[1:]:
        assert year.net_cost.mean == pytest.approx(50_000, abs=4 * se)
    h = result.samples["input:honor_rate@2027"]
    assert result.samples["input:honor_rate"].min() == 1
    np.testing.assert_allclose(
        result.samples["expected:total_cost"], 1_000_000 + 2 * 1000 * h * 10 * 100, rtol=1e-12
    )


def test_the_state_law_takes_effect_in_2028() -> None:
    out = compare(
        {**STAYS, "horizon_years": 4},
        [
            {
                "name": "state law from 2028",
                "overrides": {"honor_rate": {"schedule": {"2026": 1, "2028": 0}}},
            }
        ],
    )
    saving = out.alternatives[0].difference
    # Nothing changes in 2026 and 2027; from 2028 the $1,000,000 a year is saved.
    assert saving.summaries["annual_cost"].mean == 0
    assert saving.summaries["total_cost"].mean == 2_000_000
    assert saving.summaries["total_cost"].sd == 0


@pytest.mark.parametrize(
    ("value", "pointer", "words"),
    [
        ({"schedule": {"2026": 1, "2028": 1.5}}, "/honor_rate/schedule/2028", "between 0 and 1"),
        ({"schedule": {"2027": 1}}, "/honor_rate/schedule", "start_year 2026"),
        (
            {"schedule": {"2026": 1, "2027": 0.5}},
            "/honor_rate/schedule/2027",
            "after the last simulated year, 2026",
        ),
        ({"schedule": {"next year": 1}}, "/honor_rate/schedule/next year", "is not a year"),
        ({"schedule": {}}, "/honor_rate/schedule", "object of years"),
        ({"schedule": {"2026": 1}, "from": 2026}, "/honor_rate/from", "not a field"),
        (
            {"schedule": {"2026": {"dist": "uniform", "low": 0.5}}},
            "/honor_rate/schedule/2026/high",
            "",
        ),
    ],
)
def test_a_bad_schedule_is_named_by_its_pointer(value: Any, pointer: str, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        simulate({**STAYS, "honor_rate": value})
    assert [e.pointer for e in info.value.errors] == [pointer]
    assert words in info.value.errors[0].reason


def test_growth_rates_cannot_be_scheduled() -> None:
    with pytest.raises(ScenarioError) as info:
        simulate({**STAYS, "cost_inflation": {"schedule": {"2026": 0.1}}})
    assert [e.pointer for e in info.value.errors] == ["/cost_inflation/schedule"]


def test_fiscal_years_are_labelled_and_named_by_the_year_they_end_in() -> None:
    result = simulate({**STAYS, "fiscal_year_start_month": 7, "horizon_years": 2})
    assert [(y.year, y.label) for y in result.years] == [(2026, "FY2026"), (2027, "FY2027")]
    assert result.years[0].to_dict()["label"] == "FY2026"
    calendar = simulate({**STAYS, "horizon_years": 2})
    assert [y.label for y in calendar.years] == [None, None]
    assert "label" not in calendar.years[0].to_dict()


@pytest.mark.parametrize(
    ("start_year", "month", "rule"),
    [
        # FY2018 from April: 1 April 2017 to 31 March 2018. Only 1 April 2017 falls before
        # the I-247A (2 April 2017), so the year mixes the two forms...
        (2018, 4, "business_hours_then_clock_hours"),
        # ... and FY2018 from May (1 May 2017 - 30 April 2018) is clock hours alone,
        (2018, 5, "clock_hours"),
        # FY2017 from April (1 April 2016 - 31 March 2017) business hours alone, where
        # calendar 2017 mixes them.
        (2017, 4, "business_hours"),
        (2017, None, "business_hours_then_clock_hours"),
    ],
)
def test_the_hold_calendar_follows_the_fiscal_year(
    start_year: int, month: int | None, rule: str
) -> None:
    scenario = {**STAYS, "hold_hours": 48, "start_year": start_year}
    if month is not None:
        scenario["fiscal_year_start_month"] = month
    result = simulate(scenario)
    assert result.years[0].hold_rule == rule
    if rule == "clock_hours":
        # the I-247A counts no weekend: every one of the 1,000 holds is exactly 2 days
        assert result.hold_bed_days.mean == result.hold_bed_days.max == 2000


def test_a_fiscal_year_has_its_own_days() -> None:
    # FY2025 from February (1 February 2024 - 31 January 2025) holds 29 February 2024:
    # 366 days, where calendar 2025 has 365. 1,000 x 36.6 extra days = 36,600 bed-days.
    fiscal = simulate(
        {**STAYS, "extra_days_per_detainer": 36.6, "start_year": 2025, "fiscal_year_start_month": 2}
    )
    assert fiscal.average_beds_occupied.mean == pytest.approx(36_600 / 366, rel=1e-12)
    calendar = simulate({**STAYS, "extra_days_per_detainer": 36.6, "start_year": 2025})
    assert calendar.average_beds_occupied.mean == pytest.approx(36_600 / 365, rel=1e-12)
