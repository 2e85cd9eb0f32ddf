"""Schemathesis against the app in process (WSGI) and its own served openapi.yaml:
every operation, all default checks and phases, a fixed seed (depths below).

The schema is loaded lazily from a fixture (`schemathesis.pytest.from_fixture`), so
collecting the tests costs nothing: Schemathesis builds an operation's cases (its coverage
phase alone is some ten thousand requests for a scenario body) only when the operation's
test runs. Each scenario-taking operation has its own test and the cheap rest share one,
so `pytest -n` spreads them over the cores; a new operation falls in with the rest.

Where the coverage phase's depth runs: the scenario (ScenarioInput) is the body of
/v1/simulations and /v1/sensitivity and is embedded in /v1/comparisons, /v1/portfolios and
/v1/reports (twice there: alone and as a comparison's baseline). Its coverage phase is
some 10,000 requests, nearly all the same few mutations (each wrong type, bound, missing or
unexpected property of each distribution family) repeated for each of the 24 uncertain
inputs, which one parser reads (models/scenario.py `_parse_value`). Sending all of them to
every operation was 62,000 requests and most of `make test`. So /v1/simulations, the
cheapest, gets the whole enumeration; every other operation gets every mutation of every
shape, with its wrong values, on the first few uncertain inputs that have that shape
(`_FirstOfEachShape`), and every mutation of its own fields in full. The fuzzing and
examples phases and every check are unchanged everywhere.

Two depths, chosen by DETAINER_COST_FUZZ_DEPTH (`quick`, the default, or `deep`):
* deep (`make test-deep`, which .ci/run runs after `make test`): all of the above, 100
  fuzzing examples per operation.
* quick (`make test`): every operation, every check, the examples phase and
  `QUICK_EXAMPLES` fuzzing examples per operation; the coverage phase at the operations
  that take no scenario. The coverage phase of the five operations that take the scenario
  runs at the deep depth only: Schemathesis builds some 20,000 candidate cases for each
  before any filter sees them (33 s of CPU for /v1/simulations alone, then 5,000 requests
  for its first few of each shape: 77 s of `make test`'s CPU in all, where the target is
  300 s of wall time on 2 cores for everything). Wrong values of the scenario's inputs
  stay in `make test` through the hypothesis hunts (tests/service/test_hostile_json.py,
  tests/models/test_properties.py)."""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.meta import TestPhase
from schemathesis.pytest.lazy import LazySchema

from service import create_app

from .conftest import SPEC

# Positive (schema-valid) data may still get 422: the schema cannot state every rule
# (low < high in a distribution, a distribution whose draws can leave a field's range,
# correlations between inputs given as distributions, equal trials across portfolio
# members). The engine answers those with 422 naming the field, as the Scenario's
# description says; every other check keeps its default.
CHECKS = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429", "5xx"]
"""

DEPTH = os.environ.get("DETAINER_COST_FUZZ_DEPTH", "quick")
if DEPTH not in ("quick", "deep"):
    raise ValueError(f"DETAINER_COST_FUZZ_DEPTH must be 'quick' or 'deep', not {DEPTH!r}")
DEEP_EXAMPLES = 100
# 50 took 32 s of CPU in `make test`, 25 take 22 s; the deep depth runs 100.
QUICK_EXAMPLES = 25
# At the deep depth these are `deep` tests (`make test-deep`), at the quick one `slow`
# ones (`make test` runs them with coverage paused).
pytestmark = pytest.mark.deep if DEPTH == "deep" else pytest.mark.slow

# The operations whose body is a scenario (or several): each costs a test of its own.
SCENARIO_PATHS = (
    "/v1/simulations",
    "/v1/comparisons",
    "/v1/sensitivity",
    "/v1/portfolios",
    "/v1/reports",
)
# Their coverage phase runs at the deep depth only (see the module's docstring).
DEEP_COVERAGE_PATHS = SCENARIO_PATHS

if DEPTH == "deep":
    CONFIG = SchemathesisConfig.from_str(CHECKS)
else:
    CONFIG = SchemathesisConfig.from_str(
        CHECKS
        + f"""
[[operations]]
include-path-regex = "^({"|".join(map(re.escape, DEEP_COVERAGE_PATHS))})$"
phases.coverage.enabled = false
"""
    )


@pytest.fixture(scope="module")
def api_schema() -> schemathesis.BaseSchema:
    # Limits small enough that every generated request answers quickly; the served spec
    # carries them, so generated data stays inside what the app serves.
    app = create_app(
        {
            "TESTING": True,
            "MAX_TRIALS": 200,
            "MAX_WORK": 60_000,
            "REQUEST_DEADLINE": 20.0,
            "MAX_IN_FLIGHT": 4,
        }
    )
    loaded = schemathesis.openapi.from_wsgi("/openapi.yaml", app, config=CONFIG)
    shapes = _FirstOfEachShape(SPEC["components"]["schemas"]["Scenario"])

    def filter_case(context: Any, case: schemathesis.Case[Any]) -> bool:
        return shapes.keep(case)

    loaded.hook(filter_case)  # Schemathesis takes the hook's name from the function
    return loaded


def _uncertain_inputs(properties: dict[str, Any]) -> list[str]:
    """The names of the inputs that take a number or a distribution, groups included."""
    names: list[str] = []
    for name, prop in properties.items():
        if "anyOf" in prop and "Distribution" in json.dumps(prop):
            names.append(name)
        elif "properties" in prop:
            names += _uncertain_inputs(prop["properties"])
    return names


class _FirstOfEachShape:
    """For a `filter_case` hook: the coverage phase of every operation but /v1/simulations
    keeps, of the cases that mutate an uncertain input of a scenario, the first
    `PER_SHAPE` of each shape (the same mutation at the same schema location, whichever
    input it is on). Every other case, and every case of the other phases, passes.

    Deterministic: Schemathesis builds the coverage cases in a fixed order, and a case
    once kept is kept again if the test is built anew."""

    # The whole enumeration at the deep depth; at the quick one, no operation.
    FULL = "POST /v1/simulations" if DEPTH == "deep" else None
    # "Incorrect type" sends five wrong values to a location: keep all five.
    PER_SHAPE = 5

    def __init__(self, scenario: dict[str, Any]) -> None:
        names = sorted(_uncertain_inputs(scenario["properties"]), key=len, reverse=True)
        assert len(names) >= 20, names  # the field table's uncertain inputs
        self._input = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
        self._kept: defaultdict[tuple[str, ...], set[str]] = defaultdict(set)

    def keep(self, case: schemathesis.Case[Any]) -> bool:
        meta = case._meta
        if meta is None or meta.phase.name != TestPhase.COVERAGE:
            return True
        label = case.operation.label
        data = meta.phase.data
        description = str(getattr(data, "description", ""))
        location = str(getattr(data, "location", None) or "")
        if label == self.FULL or not self._input.search(description + " " + location):
            return True
        shape = (
            label,
            meta.generation.mode.value,
            str(getattr(data, "scenario", "")),
            self._input.sub("*", location),
            self._input.sub("*", description),
        )
        sent = json.dumps(
            [case.method, case.path, case.query, case.body],
            sort_keys=True,
            default=repr,
        )
        kept = self._kept[shape]
        if sent in kept:
            return True
        if len(kept) < self.PER_SHAPE:
            kept.add(sent)
            return True
        return False


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # Schemathesis 4.32's lazy tests read and rename `item._nodeid` to name each
    # operation's subtest; pytest 9.2 keeps the node id elsewhere (`item.nodeid` is now a
    # read-only property over `_id`). Give them the attribute to work on; the real node
    # id is untouched and each failure still names its operation.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


def _contract_test(operations: LazySchema) -> Callable[..., None]:
    @operations.parametrize()  # type: ignore[untyped-decorator]  # Any: not followed
    @hypothesis.seed(2877)
    @settings(
        max_examples=DEEP_EXAMPLES if DEPTH == "deep" else QUICK_EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def test(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate()

    wrapped: Callable[..., None] = test
    return wrapped


test_simulations_keep_their_contract = _contract_test(schema.include(path="/v1/simulations"))
test_comparisons_keep_their_contract = _contract_test(schema.include(path="/v1/comparisons"))
test_sensitivity_keeps_its_contract = _contract_test(schema.include(path="/v1/sensitivity"))
test_portfolios_keep_their_contract = _contract_test(schema.include(path="/v1/portfolios"))
test_reports_keep_their_contract = _contract_test(schema.include(path="/v1/reports"))
test_the_other_operations_keep_their_contract = _contract_test(
    schema.exclude(path=list(SCENARIO_PATHS))
)
