"""Running the engine for a request: limits, deadline, in-flight cap and metrics around
``models.simulate``. No HTTP here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from models import SimulationResult, simulate
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

    def simulate(self, scenario: Scenario) -> SimulationResult:
        """Check the work budget, then simulate under the deadline and in-flight cap."""
        check_work([("", scenario)], self.settings)
        with self.state.in_flight.slot():
            result = simulate(scenario, progress=Deadline(self.settings["REQUEST_DEADLINE"]))
        metrics.TRIALS.inc(scenario.trials)
        return result
