"""Hostile input to the engine's entry points (simulate, compare, sensitivity,
portfolio): each class that once escaped as another exception now raises ScenarioError
at the field's path, for the CLI and the service alike."""

from __future__ import annotations

from typing import Any, cast

import pytest

from models import ScenarioError, simulate
from models.analyses import compare, portfolio, sensitivity
from models.engine import MAX_COUNT
from models.inputs import MAX_DEPTH
from models.overrides import merge
from models.presets import expand

SMALL: dict[str, Any] = {"detainers_per_year": 20, "daily_cost": 50, "trials": 20}


def _paths(info: pytest.ExceptionInfo[ScenarioError]) -> dict[tuple[Any, ...], str]:
    return {e.path: e.reason for e in info.value.errors}


def _deep(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {}
    root = node
    for _ in range(depth - 1):
        node["a"] = {}
        node = node["a"]
    return root


# --- nesting ---------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000])
def test_overrides_nested_too_deeply_are_refused_before_merging(depth: int) -> None:
    alternatives = [
        {"name": "ok", "overrides": {"honor_rate": 0.5}},
        {"name": "deep", "overrides": {"capacity": _deep(depth)}},
    ]
    with pytest.raises(ScenarioError) as info:
        compare(SMALL, alternatives)
    (path,) = _paths(info)
    assert path[:4] == ("alternatives", 1, "overrides", "capacity")
    assert "deeper than" in info.value.errors[0].reason


def test_merge_checks_both_sides_and_points_into_the_overrides() -> None:
    with pytest.raises(ScenarioError) as info:
        merge({"x": _deep(MAX_DEPTH + 5)}, {})
    assert info.value.errors[0].path[0] == "x"
    with pytest.raises(ScenarioError) as info:
        merge({}, {"x": _deep(MAX_DEPTH + 5)}, ("alternatives", 0, "overrides"))
    assert info.value.errors[0].path[:4] == ("alternatives", 0, "overrides", "x")
    assert merge({"a": {"b": 1}}, {"a": {"c": 2}}) == {"a": {"b": 1, "c": 2}}


def test_preset_overrides_nested_too_deeply_are_refused() -> None:
    with pytest.raises(ScenarioError) as info:
        simulate(
            cast("dict[str, Any]", expand({"preset": "king-county-2011", "liability": _deep(3000)}))
        )
    assert info.value.errors[0].path[0] == "liability"


# --- text -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["alt\ud800", "\x07bell", "\ufffe"])
def test_alternative_names_get_the_text_check(name: str) -> None:
    with pytest.raises(ScenarioError) as info:
        compare(SMALL, [{"name": name, "overrides": {}}])
    assert ("alternatives", 0, "name") in _paths(info)


def test_member_names_get_the_text_check() -> None:
    members = [SMALL, {**SMALL, "name": "ok\u0000"}]
    with pytest.raises(ScenarioError) as info:
        portfolio(members)
    assert "U+0000" in _paths(info)[("members", 1, "name")]


# --- seeds ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [-1, 2**64, 10**400, 2.5, True, "7", float("inf")])
def test_portfolio_seed_is_a_whole_number_from_0_to_2_64_minus_1(seed: Any) -> None:
    with pytest.raises(ScenarioError) as info:
        portfolio([SMALL], seed=seed)
    assert set(_paths(info)) == {("seed",)}


@pytest.mark.parametrize("seed", [0, 2**64 - 1, 7.0])
def test_portfolio_seed_range_is_all_usable(seed: Any) -> None:
    result = portfolio([SMALL, SMALL], seed=seed)
    assert result.total.provenance.seed == int(seed)
    again = portfolio([SMALL, SMALL], seed=int(seed))
    assert result.total.annual_cost.mean == again.total.annual_cost.mean


def test_portfolio_threshold_past_any_float_is_a_field_error() -> None:
    with pytest.raises(ScenarioError) as info:
        portfolio([SMALL], threshold=10**400)
    assert set(_paths(info)) == {("threshold",)}


# --- counts numpy cannot hold -------------------------------------------------------------

#: 1 trial in 20 draws 2e10 detainers (mean 1e9, the field's cap): grown 100% a year
#: for 29 years that is 1.07e19 people, past int64 and numpy's Poisson.
WIDE_GROWN = {
    "detainers_per_year": {"dist": "empirical", "values": [0] * 19 + [2e10]},
    "bookings_growth": 1.0,
    "horizon_years": 30,
    "daily_cost": 1,
    "trials": 200,
}


def test_counts_past_what_numpy_can_count_are_a_field_error() -> None:
    assert MAX_COUNT < 2e10 * 2.0**29
    with pytest.raises(ScenarioError) as info:
        simulate(WIDE_GROWN)
    assert "more than the 4.61e+18" in _paths(info)[("detainers_per_year",)]


def test_the_largest_fixed_volume_the_field_table_allows_still_runs() -> None:
    result = simulate({**WIDE_GROWN, "detainers_per_year": 1e9, "trials": 20})
    assert result.years[-1].detainers.mean == pytest.approx(1e9 * 2.0**29)


def test_expected_claims_past_numpy_poisson_are_a_field_error() -> None:
    scenario = {
        **WIDE_GROWN,
        "detainers_per_year": 1e9,
        "liability": {
            "claims_per_1000_honored": {"dist": "empirical", "values": [0] * 99 + [1e5]},
            "cost_per_claim": 1,
        },
    }
    with pytest.raises(ScenarioError) as info:
        simulate(scenario)
    assert ("liability", "claims_per_1000_honored") in _paths(info)


def test_sensitivity_reports_counts_past_numpy_at_the_field() -> None:
    with pytest.raises(ScenarioError) as info:
        sensitivity({**WIDE_GROWN, "trials": 40}, tornado_trials=20, sobol=False)
    assert ("detainers_per_year",) in _paths(info)


def test_weights_whose_sum_overflows_are_a_field_error() -> None:
    with pytest.raises(ScenarioError) as info:
        simulate({**SMALL, "release_weekday_weights": [1e308] * 7})
    assert ("release_weekday_weights",) in _paths(info)


def test_negative_binomial_numpy_refuses_is_a_field_error() -> None:
    spec = {"dist": "negative_binomial", "mean": 1e9, "dispersion": 1e-300}
    with pytest.raises(ScenarioError) as info:
        simulate({**SMALL, "detainers_per_year": spec})
    assert ("detainers_per_year",) in _paths(info)


def test_a_comparison_names_the_scenario_whose_draws_numpy_cannot_count() -> None:
    baseline = {**WIDE_GROWN, "detainers_per_year": 10, "trials": 40}
    wide = {"detainers_per_year": WIDE_GROWN["detainers_per_year"]}
    alternatives = [{"name": "same", "overrides": {}}, {"name": "wide", "overrides": wide}]
    with pytest.raises(ScenarioError) as info:
        compare(baseline, alternatives)
    assert set(_paths(info)) == {("alternatives", 1, "overrides", "detainers_per_year")}
    with pytest.raises(ScenarioError) as info:
        compare({**baseline, **wide}, [{"name": "narrow", "overrides": {"detainers_per_year": 1}}])
    assert set(_paths(info)) == {("baseline", "detainers_per_year")}


def test_a_portfolio_names_the_member_whose_draws_numpy_cannot_count() -> None:
    member = {k: v for k, v in WIDE_GROWN.items() if k != "detainers_per_year"}
    members = [{**member, "detainers_per_year": 10}, WIDE_GROWN]
    with pytest.raises(ScenarioError) as info:
        portfolio(members)
    assert set(_paths(info)) == {("members", 1, "detainers_per_year")}
