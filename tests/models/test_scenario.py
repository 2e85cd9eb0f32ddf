"""Scenario validation: every invalid input raises ScenarioError naming its field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from models.errors import FieldError, ScenarioError
from models.scenario import DEFAULT_SEED, FIELDS, VolumeForm, parse_scenario

BASE: dict[str, Any] = {"detainers_per_year": 100, "daily_cost": 80}


def with_(**changes: Any) -> dict[str, Any]:
    data = dict(BASE)
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_defaults_are_filled_and_documented() -> None:
    sc = parse_scenario(BASE, today=dt.date(2031, 5, 1))
    assert sc.start_year == 2031
    assert sc.seed == DEFAULT_SEED
    assert sc.trials == 10_000
    assert sc.hold_hours == 48.0
    assert sc.percentiles == (5.0, 25.0, 50.0, 75.0, 95.0)
    assert sc.params["honor_rate"].is_fixed
    assert sc.params["honor_rate"].mean() == 1.0
    assert sc.canonical["hold_hours"] == 48.0
    assert sc.volume_form is VolumeForm.DETAINERS


def test_hash_is_stable_and_sensitive() -> None:
    a = parse_scenario(BASE, today=dt.date(2026, 1, 1))
    b = parse_scenario(dict(reversed(list(BASE.items()))), today=dt.date(2026, 1, 1))
    c = parse_scenario(with_(daily_cost=81), today=dt.date(2026, 1, 1))
    assert a.sha256 == b.sha256 != c.sha256
    assert len(a.sha256) == 64


@pytest.mark.parametrize(
    ("data", "form"),
    [
        ({"detainers_per_year": 5}, VolumeForm.DETAINERS),
        ({"bookings_per_year": 5, "detainer_rate": 0.1}, VolumeForm.BOOKINGS_AND_RATE),
        (
            {"bookings_per_year": 5, "match_rate": 0.1, "detainers_per_match": 0.5},
            VolumeForm.FINGERPRINT_CHAIN,
        ),
    ],
)
def test_volume_forms(data: dict[str, Any], form: VolumeForm) -> None:
    assert parse_scenario({**data, "daily_cost": 1}).volume_form is form


INVALID: list[tuple[Any, str, str]] = [
    ([1, 2], "(scenario)", "JSON object"),
    (with_(colour="red"), "colour", "not a scenario field"),
    (with_(offsets={"scaap_rate": 0.1}), "offsets.scaap_rate", "not a field of offsets"),
    (with_(offsets=3), "offsets", "object"),
    (with_(daily_cost=...), "daily_cost", "required"),
    (with_(daily_cost=None), "daily_cost", "required"),
    (with_(daily_cost=-5), "daily_cost", "between 0"),
    (with_(daily_cost="80"), "daily_cost", "number"),
    (with_(daily_cost=True), "daily_cost", "finite number"),
    (with_(daily_cost=float("nan")), "daily_cost", "finite number"),
    (with_(daily_cost=2e12), "daily_cost", "between 0"),
    (with_(daily_cost={"dist": "normal", "mean": 80, "sd": 10}), "daily_cost", "below 0"),
    (with_(daily_cost={"dist": "lognormal", "mean": 2e12, "sd": 1}), "daily_cost", "mean"),
    (with_(daily_cost={"dist": "pert", "low": 1}), "daily_cost.mode", "required"),
    (with_(honor_rate=1.5), "honor_rate", "between 0 and 1"),
    (with_(honor_rate={"dist": "lognormal", "mean": 0.5, "sd": 0.1}), "honor_rate", "above 1"),
    (with_(honor_rate={"dist": "normal", "mean": 0.5, "sd": 0.1}), "honor_rate", "outside [0, 1]"),
    (with_(detainers_per_year=...), "detainers_per_year", "required"),
    (with_(bookings_per_year=10), "bookings_per_year", "cannot be combined"),
    (with_(detainers_per_year=..., bookings_per_year=10), "detainer_rate", "required"),
    (with_(detainers_per_year=..., detainer_rate=0.1), "bookings_per_year", "required"),
    (
        with_(detainers_per_year=..., bookings_per_year=10, match_rate=0.1),
        "detainers_per_match",
        "required",
    ),
    (
        with_(detainers_per_year=..., bookings_per_year=10, detainer_rate=0.1, match_rate=0.1),
        "match_rate",
        "cannot be combined",
    ),
    (
        with_(detainers_per_year={"dist": "range", "low": 10, "high": 20, "shape": "normal"}),
        "detainers_per_year",
        "below 0",
    ),
    (with_(hold_rule="weekdays"), "hold_rule", "one of: business_hours, clock_hours"),
    (with_(extra_stay_applies_to="all"), "extra_stay_applies_to", "one of: honored, lodged"),
    (with_(detainer_days_per_detainer=-1), "detainer_days_per_detainer", "between 0"),
    (with_(detainer_days_per_detainer=4000), "detainer_days_per_detainer", "between 0"),
    (with_(daily_cost_average=-1), "daily_cost_average", "between 0"),
    (with_(daily_cost=..., daily_cost_average=-1), "daily_cost_average", "between 0"),
    (with_(hold_hours=121), "hold_hours", "between 0 and 120"),
    (with_(hold_hours=-1), "hold_hours", "between 0 and 120"),
    (with_(horizon_years=31), "horizon_years", "between 1 and 30"),
    (with_(horizon_years=2.5), "horizon_years", "whole number"),
    (with_(start_year=1800), "start_year", "between 1990"),
    (with_(trials=0), "trials", "between 1"),
    (with_(trials=2_000_000), "trials", "between 1"),
    (with_(seed=-1), "seed", "between 0"),
    (with_(release_weekday_weights=[1] * 6), "release_weekday_weights", "7 weights"),
    (with_(release_weekday_weights=[0] * 7), "release_weekday_weights", "positive sum"),
    (
        with_(release_weekday_weights=[1, 1, 1, "x", 1, 1, 1]),
        "release_weekday_weights[3]",
        "finite number",
    ),
    (with_(release_weekday_weights=5), "release_weekday_weights", "list"),
    (with_(percentiles=[5, 101]), "percentiles[1]", "between 0 and 100"),
    (with_(percentiles=[5, 5]), "percentiles", "repeat"),
    (with_(percentiles=[]), "percentiles", "at least one"),
    (with_(thresholds=list(range(21))), "thresholds", "at most 20"),
    (with_(liability={"claims_per_1000_honored": 1}), "liability.cost_per_claim", "required"),
    (
        with_(capacity={"rated_beds": 10, "baseline_adp": 5}),
        "capacity.overflow_daily_cost",
        "required",
    ),
    (
        with_(capacity={"rated_beds": 0, "baseline_adp": 5, "overflow_daily_cost": 1}),
        "capacity.rated_beds",
        "between 1",
    ),
    (with_(name=3), "name", "string"),
    (with_(name="x" * 201), "name", "at most 200"),
    (with_(bookings_growth=-1), "bookings_growth", "between -0.9"),
    (with_(discount_rate=1.5), "discount_rate", "between 0 and 1"),
    (with_(population=0), "population", "between 1"),
    # Integers past any float, in every kind of number field.
    (with_(daily_cost=10**400), "daily_cost", "finite number"),
    (with_(hold_hours=10**400), "hold_hours", "finite number"),
    (with_(trials=10**400), "trials", "finite number"),
    (with_(seed=10**400), "seed", "finite number"),
    (with_(thresholds=[1, -(10**400)]), "thresholds[1]", "finite number"),
    (with_(release_weekday_weights=[1] * 6 + [10**400]), "release_weekday_weights[6]", "finite"),
    (
        with_(correlations=[{"a": "daily_cost", "b": "honor_rate", "rho": 10**400}]),
        "correlations[0].rho",
        "strictly between",
    ),
    # Weights each a float whose sum is not.
    (with_(release_weekday_weights=[1e308] * 7), "release_weekday_weights", "below 1.8e308"),
    # Seeds: whole numbers from 0 to 2**64 - 1, stated exactly.
    (with_(seed=2**64), "seed", "between 0 and 18446744073709551615"),
    (with_(seed=-1), "seed", "between 0 and 18446744073709551615"),
    (with_(seed=float(2**64)), "seed", "between 0 and 18446744073709551615"),
    # Free text reaches HTML, PDF, CSV and XLSX reports.
    (with_(name="Harris\ud800"), "name", "U+D800 (a lone UTF-16 surrogate) at character 7"),
    (with_(name="\udc00x"), "name", "U+DC00"),
    (with_(name="a\x01"), "name", "U+0001 (a control character) at character 2"),
    (with_(description="line\x0bbreak"), "description", "U+000B"),
    (with_(description="\x00"), "description", "U+0000"),
    (with_(description="\uffff"), "description", "U+FFFF"),
    (
        with_(daily_cost={"dist": "uniform", "low": 1, "high": 2, "note": "\x1b[31m"}),
        "daily_cost.note",
        "U+001B",
    ),
]


@pytest.mark.parametrize(("data", "field", "words"), INVALID, ids=lambda c: str(c)[:50])
def test_invalid_scenarios_name_the_field(data: Any, field: str, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    fields = {e.field: e.reason for e in info.value.errors}
    assert field in fields, fields
    assert words in fields[field]
    assert isinstance(info.value, ValueError)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario({"daily_cost": -1, "honor_rate": 2, "colour": 1})
    assert {e.field for e in info.value.errors} == {
        "colour",
        "daily_cost",
        "honor_rate",
        "detainers_per_year",
    }
    assert "daily_cost:" in str(info.value)


def test_pointer_follows_rfc_6901() -> None:
    error = FieldError(("offsets", "scaap_reimbursement_rate"), "x")
    assert error.pointer == "/offsets/scaap_reimbursement_rate"
    assert FieldError(("a/b", "c~d", 2), "x").pointer == "/a~1b/c~0d/2"
    assert FieldError((), "x").pointer == ""


def test_field_table_describes_every_field() -> None:
    names = [f.name for f in FIELDS]
    assert len(names) == len(set(names))
    for field in FIELDS:
        d = field.describe()
        assert d["description"]
        assert d["unit"]
        assert d["type"]
    rates = [f for f in FIELDS if f.unit.startswith("share (0-1)")]
    assert all(f.bounded and f.low == 0 and f.high == 1 for f in rates)


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "beta", "mean": 0.9999999999999999, "sd": 5e-324},  # found by schemathesis
        {"dist": "gamma", "mean": 1, "sd": 1e-300},
    ],
)
def test_parameters_too_extreme_to_compute_are_rejected(spec: dict[str, Any]) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(with_(daily_cost=spec))
    assert info.value.field == "daily_cost"


def test_seed_takes_the_whole_range_exactly() -> None:
    assert parse_scenario(with_(seed=2**64 - 1)).seed == 2**64 - 1
    assert parse_scenario(with_(seed=0)).seed == 0
    assert parse_scenario(with_(seed=12.0)).seed == 12


def test_text_with_tabs_newlines_and_any_language_is_kept() -> None:
    text = "Condado de Harris\tTX\r\nnotes: 中文, emoji 😀, é"
    sc = parse_scenario(with_(name="n\tm", description=text))
    assert sc.name == "n\tm"
    assert sc.canonical["description"] == text


def test_big_integers_within_float_range_are_numbers() -> None:
    sc = parse_scenario(with_(thresholds=[10**11], population=10**10))
    assert sc.thresholds == (1e11,)
    assert sc.population == 1e10


def test_new_measures_default_and_parse() -> None:
    """issue 12: hold_rule absent means the form in use each year; the extra stay follows
    honored detainers; detainer-days are absent unless given; an average daily cost alone
    is a valid cost."""
    sc = parse_scenario({"detainers_per_year": 33.33, "daily_cost": 80})
    assert sc.hold_rule is None
    assert "hold_rule" not in sc.canonical
    assert sc.extra_stay_applies_to == "honored"
    assert sc.canonical["extra_stay_applies_to"] == "honored"
    assert "detainer_days_per_detainer" not in sc.params
    given = parse_scenario(
        {
            "detainers_per_year": 10,
            "daily_cost_average": 150,
            "hold_rule": "clock_hours",
            "extra_stay_applies_to": "lodged",
            "detainer_days_per_detainer": {"dist": "uniform", "low": 30, "high": 60},
        }
    )
    assert given.hold_rule == "clock_hours"
    assert given.extra_stay_applies_to == "lodged"
    assert "daily_cost" not in given.params
    assert given.params["detainer_days_per_detainer"].mean() == pytest.approx(45)
