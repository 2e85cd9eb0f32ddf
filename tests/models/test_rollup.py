"""Roll-ups (a table of jurisdictions summed trial by trial) and shared inputs (drawn
once per trial for every member of a portfolio or a roll-up)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

from models import ScenarioError
from models.analyses import portfolio
from models.analyses.rollup import MAX_ROWS, rollup, rows_from_csv
from models.analyses.shared import SharedInputs, run_member
from models.engine import CHUNK_TRIALS, run
from models.presets import parse_expanded

BASE: dict[str, Any] = {
    "extra_days_per_detainer": {"dist": "pert", "low": 10, "mode": 20, "high": 50},
    "honor_rate": {"dist": "uniform", "low": 0.5, "high": 1},
    "daily_cost": 90,
    "trials": 600,
    "horizon_years": 2,
}
ROWS: list[dict[str, Any]] = [
    {"name": f"County {i}", "detainers_per_year": 100 + 40 * i, "daily_cost": 60 + 10 * i}
    for i in range(6)
]


def _pointers(exc: pytest.ExceptionInfo[ScenarioError]) -> list[str]:
    return [e.pointer for e in exc.value.errors]


def test_rollup_total_is_the_portfolio_of_its_rows_trial_by_trial() -> None:
    """Without shared inputs member i runs on the i-th stream of the seed, as in a
    portfolio: the totals agree to the bit."""
    result = rollup(BASE, ROWS, seed=3, threshold=600_000)
    together = portfolio([{**BASE, **row} for row in ROWS], seed=3, threshold=600_000)
    for key in ("annual_cost", "total_cost", "year:1:net_cost"):
        assert np.array_equal(result.total.samples[key], together.total.samples[key])
    assert result.probability_exceeds == together.total.exceedance[0].probability
    for j, member in zip(result.jurisdictions, together.members, strict=True):
        assert j.annual_cost == member.result.annual_cost
        assert j.share == pytest.approx(member.share)


def test_ranked_table_orders_by_mean_with_cumulative_shares() -> None:
    result = rollup(BASE, ROWS)
    means = [r.mean for r in result.ranked]
    assert means == sorted(means, reverse=True)
    assert [r.rank for r in result.ranked] == list(range(1, len(ROWS) + 1))
    assert result.ranked[-1].cumulative_share == pytest.approx(1.0)
    by_row = {j.row: j for j in result.jurisdictions}
    for r in result.ranked:
        assert by_row[r.row].rank == r.rank
        assert by_row[r.row].annual_cost.mean == r.mean
    d = result.to_dict()
    assert set(d) == {
        "total",
        "jurisdictions",
        "ranked",
        "threshold",
        "threshold_source",
        "probability_exceeds",
        "shared",
    }


def test_blank_cells_take_the_base_value() -> None:
    with_blank = rollup(BASE, [{"detainers_per_year": 200, "daily_cost": None, "name": ""}])
    explicit = rollup(BASE, [{"detainers_per_year": 200, "daily_cost": 90}])
    assert with_blank.total.annual_cost == explicit.total.annual_cost


def test_a_group_may_be_a_dotted_column_or_an_object() -> None:
    dotted = rollup(BASE, [{"detainers_per_year": 100, "offsets.scaap_eligible_share": 0.5}])
    nested = rollup(BASE, [{"detainers_per_year": 100, "offsets": {"scaap_eligible_share": 0.5}}])
    assert dotted.total.annual_cost == nested.total.annual_cost
    with pytest.raises(ScenarioError) as exc:
        rollup(BASE, [{"detainers_per_year": 100, "offsets": {"scaap_eligible_share": 2}}])
    assert _pointers(exc) == ["/rows/0/offsets/scaap_eligible_share"]


def test_a_row_volume_form_replaces_the_base_one() -> None:
    base = {**BASE, "detainers_per_year": 300}
    result = rollup(base, [{"bookings_per_year": 10_000, "detainer_rate": 0.01}, {}])
    alone = rollup(BASE, [{"bookings_per_year": 10_000, "detainer_rate": 0.01}])
    assert result.jurisdictions[0].annual_cost == alone.jurisdictions[0].annual_cost


def test_a_preset_row_starts_from_the_preset_with_the_base_common_fields() -> None:
    result = rollup(BASE, [{"preset": "cook-county-2011", "note": "published (see preset)"}])
    assert result.jurisdictions[0].name == "Cook County, IL, 2011"
    assert result.jurisdictions[0].note == "published (see preset)"
    assert result.total.trials == BASE["trials"]
    assert len(result.total.years) == BASE["horizon_years"]


def test_every_bad_row_is_named_and_the_base_once() -> None:
    rows: list[Any] = [
        {"detainers_per_year": 10},
        {"detainers_per_year": 10, "daily_cost": -1},
        {"daily_cost": "cheap"},
        {"county": 1, "detainers_per_year": 10},
        {"detainers_per_year": 10, "trials": 5},
        "not a row",
        {"detainers_per_year": 10, "note": "bell \u0007"},
        {"detainers_per_year": 10, "daily_cost": {"dist": "uniform", "low": 5, "high": 1}},
    ]
    with pytest.raises(ScenarioError) as exc:
        rollup({**BASE, "honor_rate": 2}, rows, shared=["nope"], threshold="x")
    assert _pointers(exc) == [
        "/threshold",
        "/shared/0",
        "/base/honor_rate",
        "/rows/1/daily_cost",
        "/rows/2/daily_cost",
        "/rows/2/detainers_per_year",
        "/rows/3/county",
        "/rows/4/trials",
        "/rows/5",
        "/rows/6/note",
        "/rows/7/daily_cost/high",
    ]


@pytest.mark.slow  # parses 3,500 rows: about 2 s
def test_the_17th_bad_row_of_3500_is_named() -> None:
    rows: list[dict[str, Any]] = [{"detainers_per_year": 50 + i % 7} for i in range(3500)]
    rows[17] = {"detainers_per_year": 50, "daily_cost": -3}
    rows[3499] = {"detainers_per_year": -1}
    with pytest.raises(ScenarioError) as exc:
        rollup({**BASE, "trials": 10}, rows)
    assert _pointers(exc) == ["/rows/17/daily_cost", "/rows/3499/detainers_per_year"]


def test_row_count_is_bounded() -> None:
    with pytest.raises(ScenarioError) as exc:
        rollup(BASE, [{}] * (MAX_ROWS + 1))
    assert _pointers(exc) == ["/rows"]
    with pytest.raises(ScenarioError) as exc:
        rollup(BASE, [])
    assert _pointers(exc) == ["/rows"]


def test_csv_rows_cells_and_errors() -> None:
    text = (
        "name,detainers_per_year,daily_cost,offsets.scaap_eligible_share,note\n"
        "A,100,,0.5,illustrative\n"
        'B,abc,"{""dist"": ""uniform"", ""low"": 50, ""high"": 90}",,\n'
        "C,5,3,x\n"
    )
    rows, errors = rows_from_csv(text)
    assert rows[0] == {
        "name": "A",
        "detainers_per_year": 100,
        "offsets.scaap_eligible_share": 0.5,
        "note": "illustrative",
    }
    assert rows[1]["daily_cost"] == {"dist": "uniform", "low": 50, "high": 90}
    assert [(e.pointer, e.reason[:20]) for e in errors] == [
        ("/rows/1/detainers_per_year", "must be a number, or"),
        ("/rows/2/offsets.scaap_eligible_share", "must be a number, or"),
    ]
    assert rows_from_csv("")[1][0].pointer == "/rows"


def test_shared_input_is_one_draw_per_trial_for_every_member() -> None:
    members = [{**BASE, **row} for row in ROWS[:3]]
    shared = portfolio(members, shared=["extra_days_per_detainer"], member_samples=True)
    own = portfolio(members, member_samples=True)
    key = "input:extra_days_per_detainer"
    draws = [m.result.samples[key] for m in shared.members]
    assert all(np.array_equal(draws[0], d) for d in draws[1:])
    assert not np.array_equal(
        own.members[0].result.samples[key], own.members[1].result.samples[key]
    )
    # Inputs not shared are drawn as each member alone would draw them.
    for a, b in zip(shared.members, own.members, strict=True):
        assert np.array_equal(
            a.result.samples["input:honor_rate"], b.result.samples["input:honor_rate"]
        )
    assert shared.to_dict()["shared"] == ["extra_days_per_detainer"]
    assert "shared" not in own.to_dict()


def test_different_distributions_of_a_shared_input_move_at_one_quantile() -> None:
    members = [
        {**BASE, "detainers_per_year": 100},
        {
            **BASE,
            "detainers_per_year": 100,
            "extra_days_per_detainer": {"dist": "lognormal", "mean": 30, "sd": 10},
        },
    ]
    result = portfolio(members, shared=["extra_days_per_detainer"], member_samples=True)
    a, b = (m.result.samples["input:extra_days_per_detainer"] for m in result.members)
    assert stats.spearmanr(a, b).statistic == pytest.approx(1.0)


def test_shared_members_run_in_the_engine_chunks_and_streams() -> None:
    """With the shared draws replaced by the member's own, ``run_member`` gives ``run``'s
    samples to the bit, across more than one chunk: the loop mirrors the engine's."""
    sc = parse_expanded({**BASE, "detainers_per_year": 80, "trials": CHUNK_TRIALS + 5})

    class Own(SharedInputs):
        def draws(self, scenario: Any, chunk: int, size: int) -> dict[str, Any]:
            return {}

    rng = np.random.default_rng(9)
    own = Own(["honor_rate"], rng)
    mine, conv = run_member(sc, rng=np.random.default_rng(9), shared=own)
    theirs, conv2 = run(sc, rng=np.random.default_rng(9))
    assert set(mine) == set(theirs)
    for key in theirs:
        assert np.array_equal(mine[key], theirs[key]), key
    assert conv == conv2


def test_shared_inputs_cannot_be_correlated_within_a_member() -> None:
    member = {
        **BASE,
        "detainers_per_year": 100,
        "daily_cost": {"dist": "uniform", "low": 50, "high": 100},
        "correlations": [{"a": "daily_cost", "b": "extra_days_per_detainer", "rho": 0.5}],
    }
    with pytest.raises(ScenarioError) as exc:
        portfolio([member], shared=["daily_cost"])
    assert _pointers(exc) == ["/members/0/correlations/0"]
    with pytest.raises(ScenarioError) as exc:
        rollup(member, [{}], shared=["daily_cost", "daily_cost"])
    assert _pointers(exc) == ["/shared/1"]


def test_sharing_raises_the_probability_the_total_passes_a_threshold() -> None:
    """Ten equal members; the threshold is the independent total's 84th percentile.
    Sharing the extra stay and the honor rate makes the members move together, so the
    total's spread and its exceedance probability grow. 4,000 trials: the standard
    error of each probability is at most 0.008, and the two differ by far more."""
    base = {**BASE, "detainers_per_year": 300, "trials": 4000, "horizon_years": 1}
    rows: list[dict[str, Any]] = [{}] * 10
    independent = rollup(base, rows, seed=1)
    threshold = independent.total.annual_cost.mean + independent.total.annual_cost.sd
    p_own = rollup(base, rows, seed=1, threshold=threshold).probability_exceeds
    p_shared = rollup(
        base, rows, seed=1, threshold=threshold, shared=["extra_days_per_detainer", "honor_rate"]
    ).probability_exceeds
    assert p_own is not None
    assert p_shared is not None
    assert p_own == pytest.approx(0.16, abs=0.04)
    assert p_shared > p_own + 0.08


def test_rows_on_another_cost_basis_are_each_named_at_their_daily_cost() -> None:
    # daily_cost given: marginal; daily_cost_average alone: average. A sum of the two has
    # no basis to label, so every row off the first good row's basis is named, in row
    # order among the other faults (a bad row still does not hide them).
    base = {k: v for k, v in BASE.items() if k != "daily_cost"}
    rows: list[Any] = [
        {"detainers_per_year": -1, "daily_cost_average": 100},
        {"detainers_per_year": 10, "daily_cost": 90},
        {"detainers_per_year": 10, "daily_cost_average": 150},
        {"detainers_per_year": "many", "daily_cost_average": 150},
        {"preset": "cook-county-2011"},
        {"detainers_per_year": 10, "daily_cost": 80},
    ]
    with pytest.raises(ScenarioError) as exc:
        rollup(base, rows)
    assert _pointers(exc) == [
        "/rows/0/detainers_per_year",
        "/rows/2/daily_cost",
        "/rows/3/detainers_per_year",
        "/rows/4/daily_cost",
    ]
    reason = exc.value.errors[1].reason
    assert reason.startswith("rows[1]'s costs are on the marginal basis")
    assert rollup(base, [rows[2], rows[4]]).total.cost_basis == "average"


def test_a_total_says_mixed_where_its_members_settings_differ() -> None:
    rows = [
        {"detainers_per_year": 50, "hold_rule": "business_hours"},
        {"detainers_per_year": 60, "extra_stay_applies_to": "lodged"},
    ]
    base = {**BASE, "start_year": 2017, "trials": 50}
    total = rollup(base, rows).total
    assert total.provenance.hold_rule == "mixed"
    assert total.provenance.extra_stay_applies_to == "mixed"
    # 2017: business hours for row 0, business then clock hours for row 1 (the default).
    assert [y.hold_rule for y in total.years] == ["mixed", "mixed"]
    same = rollup({**base, "hold_rule": "clock_hours"}, [rows[0], {"detainers_per_year": 9}])
    assert same.total.provenance.extra_stay_applies_to == "honored"
    assert same.total.provenance.hold_rule == "mixed"
    alike = rollup(base, [{"detainers_per_year": 5}, {"detainers_per_year": 9}]).total
    assert alike.provenance.hold_rule == "form_in_force"
    assert [y.hold_rule for y in alike.years] == ["business_hours_then_clock_hours", "clock_hours"]
    members = [{**BASE, **r, "start_year": 2017, "trials": 50} for r in rows]
    both = portfolio(members).total
    assert (both.provenance.hold_rule, both.provenance.extra_stay_applies_to) == ("mixed",) * 2
    assert [y.hold_rule for y in both.years] == ["mixed", "mixed"]


def test_a_row_without_a_name_is_row_n_never_the_base_name() -> None:
    """Blank cells take the base's values, but not its name: an unnamed row is "Row N",
    N its place in the table from 1; a preset row keeps the preset's name."""
    base = {k: v for k, v in BASE.items() if k != "daily_cost"}  # the preset's basis
    base |= {"daily_cost_average": 90, "name": "Statewide base", "trials": 50}
    rows: list[dict[str, Any]] = [
        {"name": "A", "detainers_per_year": 10},
        {"detainers_per_year": 400},
        {"detainers_per_year": 20, "name": ""},
        {"preset": "cook-county-2011"},
    ]
    result = rollup(base, rows)
    names = ["A", "Row 2", "Row 3", "Cook County, IL, 2011"]
    assert [j.name for j in result.jurisdictions] == names
    assert {r.row: r.name for r in result.ranked} == dict(enumerate(names))
    assert [j["name"] for j in result.to_dict()["jurisdictions"]] == names
    table, errors = rows_from_csv("name,detainers_per_year\n,10\nB,20\n")
    assert errors == []
    assert [j.name for j in rollup(base, table).jurisdictions] == ["Row 1", "B"]


def test_the_base_alone_sets_the_fiscal_year_for_every_row() -> None:
    """Members summed under one year's labels and bounds must share the fiscal year's
    start month: a row giving one is refused at its cell (as a row's start year is),
    and a preset row takes the base's."""
    base = {k: v for k, v in BASE.items() if k != "daily_cost"}  # the preset's basis
    base |= {"daily_cost_average": 90, "fiscal_year_start_month": 7, "trials": 50}
    rows: list[dict[str, Any]] = [
        {"detainers_per_year": 10},
        {"detainers_per_year": 10, "fiscal_year_start_month": 10},
        {"detainers_per_year": 10, "fiscal_year_start_month": None},
        {"detainers_per_year": 10, "fiscal_year_start_month": 1},
    ]
    with pytest.raises(ScenarioError) as exc:
        rollup(base, rows)
    assert _pointers(exc) == [
        "/rows/1/fiscal_year_start_month",
        "/rows/3/fiscal_year_start_month",
    ]
    with pytest.raises(ScenarioError) as csv_exc:
        rollup(base, "detainers_per_year,fiscal_year_start_month\n10,\n10,10\n")
    assert _pointers(csv_exc) == ["/rows/1/fiscal_year_start_month"]
    dated = {**base, "start_year": 2026}
    for table in ([rows[0], {"preset": "cook-county-2011"}], [{"preset": "cook-county-2011"}]):
        years = rollup(dated, table).total.years
        assert [y.label for y in years] == ["FY2026", "FY2027"]
