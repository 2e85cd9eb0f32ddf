"""Policy comparison (common random numbers), sensitivity (known answers) and
portfolios."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pytest

from models import ScenarioError, simulate
from models.analyses import UMRA_THRESHOLDS, compare, portfolio, sensitivity
from models.analyses.sensitivity import reported_index
from models.overrides import merge
from models.presets import expand

BASE: dict[str, Any] = {
    "detainers_per_year": {"dist": "poisson", "mean": 800},
    "extra_days_per_detainer": {"dist": "pert", "low": 10, "mode": 20, "high": 50},
    "daily_cost": {"dist": "uniform", "low": 60, "high": 140},
    "trials": 4000,
}


def test_common_random_numbers_pair_the_differences() -> None:
    """The paired difference has a far smaller sd than two independent runs'."""
    result = compare(BASE, [{"name": "90%", "overrides": {"honor_rate": 0.9}}])
    alt = result.alternatives[0]
    paired_sd = alt.difference.annual_cost.sd
    independent = (
        simulate(BASE).samples["annual_cost"]
        - simulate({**BASE, "honor_rate": 0.9, "seed": 1}).samples["annual_cost"]
    )
    assert paired_sd < 0.2 * independent.std(ddof=1)
    assert alt.probability_saves == 1.0
    assert alt.difference.annual_cost.mean == pytest.approx(
        result.baseline.annual_cost.mean - alt.result.annual_cost.mean
    )
    assert result.baseline.annual_cost == simulate(BASE).annual_cost


def test_declining_all_detainers_saves_everything() -> None:
    result = compare(BASE, [{"name": "decline", "overrides": {"honor_rate": 0}}])
    alt = result.alternatives[0]
    assert alt.result.annual_cost.max == 0
    assert alt.difference.annual_cost.mean == pytest.approx(result.baseline.annual_cost.mean)
    d = result.to_dict()
    assert set(d["alternatives"][0]) == {"name", "result", "difference", "probability_saves"}
    assert set(d["alternatives"][0]["difference"]["components"]) >= {"hold", "extra_stay"}


def test_merge_groups_and_removal() -> None:
    base = {"detainers_per_year": 5, "offsets": {"scaap_eligible_share": 0.5}}
    merged = merge(
        base,
        {
            "detainers_per_year": None,
            "bookings_per_year": 100,
            "detainer_rate": 0.1,
            "offsets": {"scaap_reimbursement_rate": 0.2},
        },
    )
    assert merged == {
        "bookings_per_year": 100,
        "detainer_rate": 0.1,
        "offsets": {"scaap_eligible_share": 0.5, "scaap_reimbursement_rate": 0.2},
    }
    assert base == {"detainers_per_year": 5, "offsets": {"scaap_eligible_share": 0.5}}


@pytest.mark.parametrize(
    ("alternatives", "field"),
    [
        ("x", "alternatives"),
        ([], "alternatives"),
        ([{"name": "a", "overrides": {"trials": 5}}], "alternatives[0].overrides.trials"),
        ([{"name": "a", "overrides": {"honor_rate": 2}}], "alternatives[0].overrides.honor_rate"),
        ([{"name": "a"}, {"name": "a"}], "alternatives[1].name"),
        ([{"overrides": {}}], "alternatives[0].name"),
        ([{"name": "a", "colour": 1}], "alternatives[0].colour"),
    ],
)
def test_comparison_errors_name_the_field(alternatives: Any, field: str) -> None:
    with pytest.raises(ScenarioError) as info:
        compare(BASE, alternatives)
    assert field in {e.field for e in info.value.errors}


def test_baseline_errors_are_under_baseline() -> None:
    with pytest.raises(ScenarioError) as info:
        compare({**BASE, "daily_cost": -1}, [{"name": "a", "overrides": {}}])
    assert info.value.field == "baseline.daily_cost"
    with pytest.raises(ScenarioError) as info:
        compare({**BASE, "precision": 0.01}, [{"name": "a", "overrides": {}}])
    assert info.value.field == "baseline.precision"


# Sensitivity on a model with an analytic answer: 100 detainers, all honored, no hold,
# every person exactly X extra days at Y dollars a day, so cost = 100 X Y with
# X ~ U(10, 30) and Y ~ U(80, 120) independent, and no randomness of the model's own
# (100 bookings each with a detainer: Binomial(100, 1) is exactly 100, where a count
# given as detainers_per_year has Poisson chance variation).
PRODUCT: dict[str, Any] = {
    "bookings_per_year": 100,
    "detainer_rate": 1,
    "hold_hours": 0,
    "extra_days_cv": 0,
    "extra_days_per_detainer": {"dist": "uniform", "low": 10, "high": 30},
    "daily_cost": {"dist": "uniform", "low": 80, "high": 120},
    "trials": 4000,
}
EX, VX, EY, VY = 20.0, 20.0**2 / 12, 100.0, 40.0**2 / 12
V = (VX + EX**2) * (VY + EY**2) - (EX * EY) ** 2
S_X, S_Y, S_XY = EY**2 * VX / V, EX**2 * VY / V, VX * VY / V


def test_sensitivity_known_answer() -> None:
    result = sensitivity(PRODUCT, sobol_n=4096, tornado_trials=10)
    # Tornado: exact (no model randomness): 100 * p10/p90 of one input * median of other.
    bars = {b.input: b for b in result.tornado}
    assert [b.input for b in result.tornado] == ["extra_days_per_detainer", "daily_cost"]
    assert bars["extra_days_per_detainer"].low == pytest.approx(100 * 12 * 100)
    assert bars["extra_days_per_detainer"].high == pytest.approx(100 * 28 * 100)
    assert bars["daily_cost"].swing == pytest.approx(100 * 20 * (116 - 84))
    assert result.base == pytest.approx(100 * 20 * 100)
    assert result.model_noise_share == 0.0
    # Sobol: within two bootstrap half-widths (about 4 standard errors) of the analytic
    # first-order (S_X, S_Y) and total-order (S_X + S_XY, S_Y + S_XY) indices.
    truth = {"extra_days_per_detainer": (S_X, S_X + S_XY), "daily_cost": (S_Y, S_Y + S_XY)}
    for s in result.sobol:
        first, total = truth[s.input]
        half = (s.first_order_ci95[1] - s.first_order_ci95[0]) / 2
        assert abs(s.first_order - first) <= 2 * half, (s, first)
        half = (s.total_order_ci95[1] - s.total_order_ci95[0]) / 2
        assert abs(s.total_order - total) <= 2 * half, (s, total)
    # Rank correlation: both matter equally here up to the ratio of their variances.
    ranks = {r.input: r for r in result.rank_correlation}
    assert sum(r.contribution for r in result.rank_correlation) == pytest.approx(1.0)
    assert ranks["extra_days_per_detainer"].rho > ranks["daily_cost"].rho > 0


def test_sensitivity_with_no_uncertain_input_is_empty() -> None:
    result = sensitivity({"detainers_per_year": 10, "daily_cost": 1, "trials": 10})
    assert result.tornado == ()
    assert result.sobol == ()
    assert result.rank_correlation == ()


def test_sensitivity_counts_its_evaluations() -> None:
    result = sensitivity(PRODUCT, sobol_n=64, tornado_trials=10)
    assert result.evaluations == {"main": 4000, "tornado": 50, "sobol": 64 * 4}


def test_portfolio_sums_members_trial_by_trial() -> None:
    members = [dict(BASE, name="A"), dict(BASE, name="B", daily_cost=100)]
    result = portfolio(members, threshold={"umra_year": 2019}, member_samples=True)
    total = result.total.samples["annual_cost"]
    parts = [m.result.samples["annual_cost"] for m in result.members]
    np.testing.assert_allclose(total, parts[0] + parts[1])
    assert sum(m.share for m in result.members) == pytest.approx(1.0)
    assert result.threshold == UMRA_THRESHOLDS[2019] == 82e6
    assert result.total.exceedance[0].probability == float(np.mean(total > 82e6))
    assert "CBO" in (result.threshold_source or "")
    # Independent streams: the two members do not share draws.
    twins = portfolio([members[0], members[0]], member_samples=True)
    assert not np.array_equal(
        result.members[0].result.samples["detainers"],
        twins.members[1].result.samples["detainers"],
    )


@pytest.mark.parametrize(
    ("members", "threshold", "field"),
    [
        ([BASE, {**BASE, "trials": 10}], None, "members[1].trials"),
        ([{**BASE, "seed": 3}], None, "members[0].seed"),
        ([{**BASE, "daily_cost": -1}], None, "members[0].daily_cost"),
        ([BASE], {"umra_year": 2001}, "threshold.umra_year"),
        ([BASE], "lots", "threshold"),
        ([], None, "members"),
    ],
)
def test_portfolio_errors_name_the_field(members: Any, threshold: Any, field: str) -> None:
    with pytest.raises(ScenarioError) as info:
        portfolio(members, threshold=threshold)
    assert field in {e.field for e in info.value.errors}


def test_portfolio_members_share_the_fiscal_year_start_month() -> None:
    """The total's years are the first member's (labels and bounds): a member with
    another start month, or calendar years beside fiscal ones, is refused at its field."""
    july = {**BASE, "fiscal_year_start_month": 7, "trials": 50}
    members = [july, {**july, "fiscal_year_start_month": 10}, {**BASE, "trials": 50}, july]
    with pytest.raises(ScenarioError) as info:
        portfolio(members)
    assert [e.pointer for e in info.value.errors] == [
        "/members/1/fiscal_year_start_month",
        "/members/2/fiscal_year_start_month",
    ]


def test_portfolio_years_hold_rule_follows_the_fiscal_year() -> None:
    """The I-247A (clock hours) came into use on 2 April 2017. Fiscal years from April:
    FY2017 (April 2016-March 2017) is all business hours and FY2018 (from 1 April 2017)
    both; the calendar years 2017 and 2018 would be both, then clock hours."""
    member = {
        **BASE,
        "fiscal_year_start_month": 4,
        "start_year": 2017,
        "horizon_years": 2,
        "trials": 50,
    }
    result = portfolio([member, {**member, "daily_cost": 100}])
    expected = ["business_hours", "business_hours_then_clock_hours"]
    assert [y.hold_rule for y in result.members[0].result.years] == expected
    assert [y.hold_rule for y in result.total.years] == expected


def test_sensitivity_is_reproducible_bootstrap_included() -> None:
    a = sensitivity(BASE, sobol_n=64, tornado_trials=50).to_dict()
    b = sensitivity(BASE, sobol_n=64, tornado_trials=50).to_dict()
    assert a == b
    c = sensitivity({**BASE, "seed": 5}, sobol_n=64, tornado_trials=50).to_dict()
    assert c["sobol"] != a["sobol"]


def test_sobol_works_with_a_single_uncertain_input() -> None:
    single = {**PRODUCT, "extra_days_per_detainer": 20}
    (index,) = sensitivity(single, sobol_n=256, tornado_trials=10).sobol
    assert index.input == "daily_cost"
    assert index.first_order == pytest.approx(1.0, abs=0.05)


def test_a_sobol_index_whose_interval_contains_zero_is_reported_as_zero() -> None:
    """Shares of variance are never negative: an input with a negligible effect (an admin
    cost of at most $1 against bed-days worth about $200,000) has a first-order estimate
    whose 95% CI straddles 0; it is reported as 0 with that interval, never as a share
    (negative or not). Its total-order index, estimated precisely above 0, is kept."""
    scenario = {**PRODUCT, "admin_cost_per_detainer": {"dist": "uniform", "low": 0, "high": 1}}
    result = sensitivity(scenario, sobol_n=256, tornado_trials=10)
    by_input = {s.input: s for s in result.sobol}
    tiny = by_input["admin_cost_per_detainer"]
    assert tiny.first_order_ci95[0] < 0 < tiny.first_order_ci95[1]
    assert tiny.first_order == 0.0
    assert tiny.total_order_ci95[0] > 0
    assert tiny.total_order > 0
    for s in result.sobol:
        for value, (low, _) in (
            (s.first_order, s.first_order_ci95),
            (s.total_order, s.total_order_ci95),
        ):
            assert value >= 0
            assert value == 0 or low > 0


@pytest.mark.parametrize(
    ("estimate", "low", "reported"),
    [
        (0.3, 0.1, 0.3),
        (0.05, -0.02, 0.0),
        (-0.04, -0.1, 0.0),
        (0.02, 0.0, 0.0),
        (float("nan"), 0.1, 0.0),
    ],
)
def test_reported_index(estimate: float, low: float, reported: float) -> None:
    assert reported_index(estimate, low) == reported


def test_umra_year_of_the_wrong_type_is_a_field_error() -> None:  # found by schemathesis
    with pytest.raises(ScenarioError) as info:
        portfolio([BASE], threshold={"umra_year": {}})
    assert info.value.field == "threshold.umra_year"


def test_analyses_expand_presets_first_and_name_their_fields() -> None:
    """A preset is expanded before parsing, at the scenario's place in the request."""
    preset = {"preset": "king-county-2011", "trials": 200}
    result = compare(preset, [{"name": "none", "overrides": {"honor_rate": 0}}])
    assert (
        result.baseline.annual_cost == simulate(cast("dict[str, Any]", expand(preset))).annual_cost
    )
    assert sensitivity(preset, sobol=False).result.annual_cost == result.baseline.annual_cost
    with pytest.raises(ScenarioError) as info:
        compare({"preset": "atlantis"}, [{"name": "a", "overrides": {}}])
    assert info.value.errors[0].path == ("baseline", "preset")
    with pytest.raises(ScenarioError) as info:
        portfolio([preset, {"preset": "atlantis"}])
    assert [e.path for e in info.value.errors] == [("members", 1, "preset")]


def test_portfolio_members_keep_summaries_not_per_trial_values_by_default() -> None:
    """Memory holds one member's per-trial values at a time: by default a member's result
    keeps its summaries only (the total keeps its values, for its report)."""
    members = [dict(BASE, name="A"), dict(BASE, name="B", daily_cost=100)]
    result = portfolio(members)
    assert all(m.result.samples == {} for m in result.members)
    assert "annual_cost" in result.total.samples
    kept = portfolio(members, member_samples=True)
    assert kept.total.to_dict() == result.total.to_dict()
    assert [m.result.to_dict() for m in kept.members] == [
        m.result.to_dict() for m in result.members
    ]
