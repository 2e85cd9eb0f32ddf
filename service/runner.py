"""Running the engine for a request: limits, deadline, in-flight cap and metrics around
``models.simulate``. No HTTP here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from models import SimulationResult, simulate
from models.analysis import (
    ComparisonResult,
    PortfolioResult,
    SensitivityResult,
    WorkItem,
    compare,
    portfolio,
    sensitivity,
)
from models.scenario import Scenario, parse_scenario

from . import metrics
from .limits import Deadline, InFlight, check_work

__all__ = ["Runner", "ServiceState"]


@dataclass
class ServiceState:
    """Per-process state: readiness for ``/readyz`` and the in-flight cap."""

    in_flight: InFlight
    ready: bool = False
    draining: bool = False
    extras: dict[str, Any] = field(default_factory=dict)


class Runner:
    """Runs validated scenarios within the configured limits."""

    def __init__(self, settings: Mapping[str, Any], state: ServiceState) -> None:
        self.settings = settings
        self.state = state

    def parse(self, body: Mapping[str, Any]) -> Scenario:
        """Validate a scenario body with the engine (raises ``ScenarioError``)."""
        return parse_scenario(body)

    def _budget(self, items: list[WorkItem]) -> None:
        check_work(items, self.settings)

    def _deadline(self) -> Deadline:
        return Deadline(self.settings["REQUEST_DEADLINE"])

    def simulate(self, scenario: Scenario) -> SimulationResult:
        """Check the work budget, then simulate under the deadline and in-flight cap."""
        self._budget([(("trials",), scenario.trials, scenario.horizon_years)])
        with self.state.in_flight.slot():
            result = simulate(scenario, progress=self._deadline())
        metrics.TRIALS.inc(result.trials)
        return result

    def compare(self, body: Mapping[str, Any]) -> ComparisonResult:
        """A policy comparison within the limits; every alternative counts."""
        with self.state.in_flight.slot():
            result = compare(
                body["baseline"],
                body["alternatives"],
                budget=self._budget,
                progress=self._deadline(),
            )
        metrics.TRIALS.inc(result.baseline.trials * (1 + len(result.alternatives)))
        return result

    def sensitivity(self, body: Mapping[str, Any]) -> SensitivityResult:
        """A sensitivity analysis within the limits; every swing and Sobol run counts."""
        with self.state.in_flight.slot():
            result = sensitivity(body, budget=self._budget, progress=self._deadline())
        metrics.TRIALS.inc(sum(result.evaluations.values()))
        return result

    def portfolio(self, body: Mapping[str, Any]) -> PortfolioResult:
        """A portfolio within the limits; every member counts."""
        with self.state.in_flight.slot():
            result = portfolio(
                body["members"],
                threshold=body.get("threshold"),
                seed=body.get("seed"),
                budget=self._budget,
                progress=self._deadline(),
            )
        metrics.TRIALS.inc(sum(m.result.trials for m in result.members))
        return result
