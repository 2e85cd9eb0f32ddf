"""docs/model.md states what the code does about the hold rule in force, the cost basis
and the parameter range (issue 12): each claim is checked against the code it describes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from models import simulate
from models.analyses.portfolio import MIXED
from models.calendar import MIXED_RULE, rule_in_force, year_hold_rule

DOC = (Path(__file__).resolve().parents[2] / "docs" / "model.md").read_text()


def _section(title: str) -> str:
    start = DOC.index(f"## {title}")
    end = DOC.find("\n## ", start + 1)
    return " ".join(DOC[start : end if end != -1 else None].split())


def test_the_default_hold_follows_the_form_in_force_and_2017_mixes_both() -> None:
    trial = _section("One trial")
    assert year_hold_rule(2017, None) == MIXED_RULE
    assert rule_in_force(dt.date(2017, 4, 1)) == "business_hours"
    assert rule_in_force(dt.date(2017, 4, 2)) == "clock_hours"
    assert (
        "A simulated 2017 therefore mixes the two: release dates to 1 April on business "
        f"hours, from 2 April on clock hours (its `years[].hold_rule` is `{MIXED_RULE}`)"
    ) in trial


def test_the_pep_era_i247d_is_said_unconfirmed_and_treated_as_business_hours() -> None:
    assert rule_in_force(dt.date(2015, 6, 1)) == "business_hours"
    assert rule_in_force(dt.date(2016, 6, 1)) == "business_hours"
    assert (
        "The wording of the 2015 PEP-era form I-247D is unconfirmed here, so 2015 to "
        "1 April 2017 is treated as business hours"
    ) in _section("One trial")
    assert "so the model treats 2015 to 1 April 2017 like the I-247 (business hours)" in (
        _section("Policy context")
    )


def test_cost_basis_parameter_range_and_mixed_are_explained() -> None:
    marginal = simulate({"detainers_per_year": 10, "daily_cost": 90, "trials": 20})
    average = simulate({"detainers_per_year": 10, "daily_cost_average": 90, "trials": 20})
    assert (marginal.cost_basis, average.cost_basis) == ("marginal", "average")
    cost = _section("Marginal and average cost")
    assert (
        "`cost_basis` names the basis of every dollar figure in it: `marginal` when "
        "`daily_cost` is given (at `daily_cost`), `average` when `daily_cost_average` is "
        "the only daily cost"
    ) in cost
    assert set(marginal.parameter_range) == {"annual_cost", "total_cost"}
    results = _section("Results")
    assert (
        "`parameter_range` summarizes, for year-1 net cost and the horizon total, the "
        "expected cost given each trial's drawn inputs"
    ) in results
    analyses = _section("Analyses")
    assert f"the total's provenance says `{MIXED}`" in analyses
    assert "is a 422 at `members/i/daily_cost`" in analyses
    assert "named at `/rows/N/daily_cost`" in analyses
