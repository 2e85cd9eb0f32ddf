"""Presets: every one loads and is checked on load; study presets reproduce their published
headline (a reproduction: some inputs were derived from the headline itself); the source and
basis of every input reach the scenario; the documentation is the generated table."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from models import ScenarioError, parse_scenario, simulate
from models.overrides import merge
from models.presets import (
    BASES,
    INTERNAL_PHRASES,
    Preset,
    PresetError,
    expand,
    get_preset,
    load_presets,
    parse_expanded,
)
from models.presets import _check as check_preset_file
from service.cli.engine_commands import presets_markdown
from service.spec import load_yaml

PRESETS = load_presets()
STUDIES = [p for p in PRESETS.values() if p.headline]
ROOT = Path(__file__).resolve().parents[2]


def test_the_promised_presets_exist() -> None:
    assert {
        "los-angeles-2011",
        "king-county-2011",
        "colorado-2011",
        "cook-county-2011",
        "miami-dade-2018",
        "new-york-city-2008",
        "national-2012",
        "arlington-va",
        "santa-clara-ca",
        "san-francisco-ca",
        "washington-dc",
    } <= set(PRESETS)


@pytest.mark.parametrize("preset", PRESETS.values(), ids=lambda p: p.id)
def test_every_input_has_a_basis_and_a_note(preset: Preset) -> None:
    assert preset.source["publisher"]
    for name, entry in preset.parameters.items():
        assert entry["basis"] in BASES, name
        assert len(entry["note"]) > 20, name
    if preset.kind == "template":
        assert "template" in preset.title
        assert all(
            e["basis"] != "published" or "bookings" not in n for n, e in preset.parameters.items()
        )


def _headline_figure(preset: Preset, result: Any) -> float:
    """The model's figure for the preset's published measure: the detainer-days cost when
    the preset gives detainer-days (never part of the cost totals), else year-1 net cost."""
    if "detainer_days_per_detainer" in preset.parameters:
        return float(result.detainer_days_cost.mean)
    return float(result.annual_cost.mean)


@pytest.mark.parametrize("preset", STUDIES, ids=lambda p: p.id)
def test_study_presets_reproduce_their_headline(preset: Preset) -> None:
    """Mean year-1 figure within 2% of the published headline: the derived inputs were
    rounded (under 1%) and the Monte Carlo mean has a standard error well under 0.5% at
    10,000 trials (checked below). The inputs in ``derived_from_headline`` were computed
    from the headline itself, so for those presets this is a reproduction by construction,
    not an independent check of the study."""
    assert preset.headline is not None
    result = simulate(preset.scenario)
    headline = preset.headline["annual_cost"]
    assert abs(_headline_figure(preset, result) - headline) <= 0.02 * headline
    assert abs(result.annual_cost.se) < 0.005 * headline


@pytest.mark.parametrize("preset", STUDIES, ids=lambda p: p.id)
def test_a_derived_input_says_how_it_was_derived(preset: Preset) -> None:
    for name in preset.derived_from_headline:
        assert preset.parameters[name]["basis"] == "derived"
        assert preset.parameters[name]["note"].startswith("Derived from the headline")
    for name, entry in preset.parameters.items():
        if entry["note"].startswith("Derived from the headline"):
            assert name in preset.derived_from_headline


@pytest.mark.parametrize("preset", PRESETS.values(), ids=lambda p: p.id)
def test_every_preset_sets_its_year_and_says_which_hold_rule_it_runs(preset: Preset) -> None:
    """The form I-247A (48 clock hours) is the only one ICE issues since 2 April 2017;
    before, the hold counted 48 business hours. A preset's summary names the rule its
    year runs under (both for 2017)."""
    year = preset.parsed.start_year
    assert year == preset.scenario["start_year"]
    change = dt.date(2017, 4, 2)
    business = dt.date(year, 1, 1) < change
    clock = dt.date(year, 12, 31) >= change
    assert ("48 business hours" in preset.summary) == business
    assert ("clock hours" in preset.summary) == clock


@pytest.mark.parametrize("preset", PRESETS.values(), ids=lambda p: p.id)
def test_source_and_basis_reach_the_scenario(preset: Preset) -> None:
    description = preset.parsed.canonical["description"]
    assert preset.source["title"] in description
    assert preset.source["publisher"] in description
    for name, entry in preset.parameters.items():
        node: Any = preset.parsed.canonical
        for part in name.split("."):
            node = node[part]
        assert node["note"] == f"{entry['basis']}: {entry['note']}", name
    if preset.derived_from_headline:
        assert "reproduction by construction" in description


def test_an_overridden_input_loses_the_presets_note() -> None:
    sc = parse_expanded({"preset": "colorado-2011", "daily_cost_average": 60})
    assert sc.canonical["daily_cost_average"] == 60
    assert sc.canonical["ice_pickup_rate"]["note"].startswith("published: ")


def test_a_users_distribution_replaces_the_presets_input_whole() -> None:
    # The preset's honor_rate is {"dist": "fixed", "value": 1, "note": "published: ...
    # 1 by construction"}: none of it may ride on what the user gave.
    assert "by construction" in PRESETS["cook-county-2011"].scenario["honor_rate"]["note"]
    given = {"dist": "uniform", "low": 0.5, "high": 0.9}
    sc = parse_expanded({"preset": "cook-county-2011", "honor_rate": given})
    assert sc.canonical["honor_rate"] == given
    fixed = parse_expanded(
        {"preset": "cook-county-2011", "honor_rate": {"dist": "fixed", "value": 0.7}}
    )
    assert fixed.canonical["honor_rate"] == {"dist": "fixed", "value": 0.7}
    # Half a distribution is not completed from the preset's: refused, naming the field.
    with pytest.raises(ScenarioError) as info:
        parse_expanded({"preset": "cook-county-2011", "honor_rate": {"value": 0.7}})
    assert info.value.field == "honor_rate.dist"
    result = simulate(
        parse_expanded(
            {
                "preset": "cook-county-2011",
                "honor_rate": {"dist": "fixed", "value": 0.7},
                "trials": 20,
            }
        )
    )
    assert "honor_rate" not in result.provenance.input_notes
    assert "detainers_per_year" in result.provenance.input_notes


def test_groups_still_merge_key_by_key_but_their_inputs_replace_whole() -> None:
    base = {
        "offsets": {
            "scaap_eligible_share": {"dist": "fixed", "value": 0.5, "note": "published: x"},
            "other_reimbursement": 1000,
        }
    }
    share = {"dist": "uniform", "low": 0.2, "high": 0.4}
    out = merge(base, {"offsets": {"scaap_eligible_share": share}})
    assert out == {"offsets": {"scaap_eligible_share": share, "other_reimbursement": 1000}}
    assert merge(base, {"offsets": {"other_reimbursement": None}}) == {
        "offsets": {"scaap_eligible_share": base["offsets"]["scaap_eligible_share"]}
    }
    # A comparison's alternative works the same way: its input replaces the baseline's.
    assert merge(
        {"daily_cost": {"dist": "pert", "low": 1, "mode": 2, "high": 3}},
        {"daily_cost": {"dist": "fixed", "value": 2}},
    ) == {"daily_cost": {"dist": "fixed", "value": 2}}


@pytest.mark.parametrize("preset", PRESETS.values(), ids=lambda p: p.id)
def test_no_wording_for_developers_reaches_users(preset: Preset) -> None:
    text = json.dumps(preset.to_dict()).lower()
    for phrase in INTERNAL_PHRASES:
        assert phrase not in text


def _good_file() -> dict[str, Any]:
    data = json.loads((ROOT / "models" / "preset_data" / "colorado-2011.json").read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(start_year=None), "start_year"),
        (lambda d: d["source"].update(title=None), "title"),
        (lambda d: d["source"].update(year=None), "year"),
        (lambda d: d["source"].update(url="www.example.org"), "url"),
        (lambda d: d.update(summary=d["summary"] + " From the founding article."), "founding"),
        (
            lambda d: d["parameters"]["daily_cost_average"].update(note="Validation data."),
            "validation",
        ),
        (lambda d: d["parameters"]["daily_cost_average"].update(basis="guess"), "basis"),
    ],
)
def test_the_loader_refuses_a_preset_that_does_not_say_what_it_is(
    change: Any, message: str
) -> None:
    data = copy.deepcopy(_good_file())
    check_preset_file(data, "good.json")  # the file as shipped passes
    change(data)
    with pytest.raises(PresetError, match=message):
        check_preset_file(data, "bad.json")


def test_uncertainty_is_real_where_sources_disagree() -> None:
    assert not get_preset("new-york-city-2008").parsed.params["detainers_per_year"].is_fixed  # type: ignore[union-attr]
    assert not get_preset("national-2012").parsed.params["honor_rate"].is_fixed  # type: ignore[union-attr]


def test_a_scenario_can_name_a_preset_and_override_it() -> None:
    sc = parse_expanded(
        {
            "preset": "colorado-2011",
            "honor_rate": 0.5,
            "offsets": {"other_reimbursement": 1000},
            "trials": 100,
        }
    )
    assert sc.params["honor_rate"].mean() == 0.5
    assert sc.params["daily_cost_average"].mean() == 55
    assert sc.trials == 100
    assert sc.name == "Colorado statewide, 2010-11"
    assert "preset" not in sc.canonical
    assert expand({"detainers_per_year": 1}) == {"detainers_per_year": 1}


def test_unknown_preset_is_named() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_expanded({"preset": "atlantis"})
    assert info.value.field == "preset"
    assert "colorado-2011" in info.value.errors[0].reason


def test_parsing_does_not_expand_presets() -> None:
    # Expanding is a step before parsing: to the parser, ``preset`` is not a field.
    with pytest.raises(ScenarioError) as info:
        parse_scenario({"preset": "colorado-2011"})
    assert info.value.field == "preset"


def _without_model_numbers(text: str) -> str:
    return re.sub(r"\$[\d,]+ \(\$[\d,]+-\$[\d,]+\)", "$N ($N-$N)", text)


def test_presets_doc_is_the_generated_one() -> None:
    """Equal but for the model's figures, which are checked to within 1% (they move
    only if numpy or scipy change their samplers)."""
    fresh = presets_markdown()
    doc = (ROOT / "docs" / "presets.md").read_text()
    assert "validat" not in doc.lower()  # a reproduction, never a validation
    assert _without_model_numbers(doc) == _without_model_numbers(fresh), (
        "docs/presets.md is stale: run `detainer-cost presets --format markdown > docs/presets.md`"
    )
    money = re.compile(r"\| \$([\d,]+) \(")
    for old, new in zip(money.findall(doc), money.findall(fresh), strict=True):
        a, b = float(old.replace(",", "")), float(new.replace(",", ""))
        assert abs(a - b) <= 0.01 * b


def test_model_doc_lists_the_umra_thresholds_the_code_knows() -> None:
    """docs/model.md's table of CBO's Title I thresholds marks "yes" exactly the years
    ``umra_year`` accepts, with the same dollar figures."""
    from models.analyses import UMRA_THRESHOLDS

    doc = (ROOT / "docs" / "model.md").read_text()
    section = doc[doc.index("## The mandate framing and UMRA") :]
    rows = re.findall(r"^\| (\d{4}) \| \$(\d+) million[^|]*\|[^|]*\| (yes|no) \|$", section, re.M)
    assert rows
    in_code = {int(year): float(amount) * 1e6 for year, amount, known in rows if known == "yes"}
    assert in_code == UMRA_THRESHOLDS


def test_the_spec_accepts_exactly_the_umra_years_the_code_knows() -> None:
    """Every ``umra_year`` enum in the OpenAPI skeleton lists the years of
    ``UMRA_THRESHOLDS``, so the contract and the model accept the same years."""

    from models.analyses import UMRA_THRESHOLDS

    spec = load_yaml((ROOT / "service" / "openapi.skeleton.yaml").read_text())
    enums: list[list[int]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            umra = node.get("umra_year")
            if isinstance(umra, dict) and "enum" in umra:
                enums.append(umra["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert enums
    assert all(enum == sorted(UMRA_THRESHOLDS) for enum in enums)
