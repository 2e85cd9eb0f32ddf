"""Running the engine for a request: limits, deadline, in-flight cap and metrics around
``models.simulate``. No HTTP here.

A request is admitted first (:meth:`Runner.admit`: a run slot, perhaps after a short
wait, and a :class:`~service.limits.Deadline` from then), before its body is parsed; the
deadline then covers the runs, the rendering and the serialization."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from models import SimulationResult, simulate
from models.analyses import (
    Budget,
    ComparisonResult,
    PortfolioResult,
    SensitivityResult,
    WorkItem,
    compare,
    portfolio,
    sensitivity,
)
from models.engine import Cancel
from models.errors import pointer
from models.presets import parse_expanded
from models.scenario import Scenario

from . import metrics
from .limits import Deadline, InFlight, check_work
from .problems import WorkBudgetExceeded
from .reports import REPORT_PERCENTILES, Rendered, Report, render

__all__ = ["Runner", "ServiceState"]


def _with_report_percentiles(scenario: Any) -> Any:
    """The scenario with the report's percentiles added to its own (if it is an object
    with a valid list; otherwise unchanged, for the engine to report)."""
    if not isinstance(scenario, Mapping):
        return scenario
    given = scenario.get("percentiles", [5, 25, 50, 75, 95])
    if not isinstance(given, list) or not all(isinstance(p, int | float) for p in given):
        return scenario
    missing = [p for p in REPORT_PERCENTILES if p not in given]
    return {**scenario, "percentiles": [*given, *missing]}


def build_report(
    body: Mapping[str, Any],
    *,
    budget: Budget | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Cancel | None = None,
) -> tuple[Report, int]:
    """Run what a report of ``body`` needs; return the report and the trials run.

    A body with ``baseline`` is a comparison; any other is a scenario, whose report
    includes a tornado (sensitivity without Sobol indices). Reports always show the 5th,
    25th, 50th, 75th and 95th percentiles; they are added to the scenario's own.
    """
    if "baseline" in body:
        baseline = _with_report_percentiles(body["baseline"])
        comparison = compare(
            baseline, body.get("alternatives"), budget=budget, progress=progress, cancel=cancel
        )
        trials = comparison.baseline.trials * (1 + len(comparison.alternatives))
        overrides = {
            str(a["name"]): a.get("overrides") or {} for a in body.get("alternatives") or ()
        }
        report = Report(parse_expanded(baseline), comparison.baseline, None, comparison, overrides)
        return report, trials
    scenario = parse_expanded(_with_report_percentiles(body))
    drivers = sensitivity(scenario, sobol=False, budget=budget, progress=progress, cancel=cancel)
    return Report(scenario, drivers.result, drivers), sum(drivers.evaluations.values())


@dataclass
class ServiceState:
    """Per-process state: readiness for ``/readyz`` and the in-flight cap."""

    in_flight: InFlight
    ready: bool = False
    draining: bool = False


class Runner:
    """Runs validated scenarios within the configured limits.

    Every run method takes the :class:`Deadline` that :meth:`admit` gave the request.
    """

    def __init__(self, settings: Mapping[str, Any], state: ServiceState) -> None:
        self.settings = settings
        self.state = state

    @contextmanager
    def admit(self) -> Iterator[Deadline]:
        """Hold a run slot (or raise ``Overloaded``) and start the request's deadline."""
        with self.state.in_flight.slot():
            yield Deadline(self.settings["REQUEST_DEADLINE"])

    def parse(self, body: Mapping[str, Any]) -> Scenario:
        """Validate a scenario body (which may name a preset) with the engine (raises
        ``ScenarioError``)."""
        return parse_expanded(body)

    def _budget(self, items: list[WorkItem]) -> None:
        check_work(items, self.settings)

    def simulate(self, scenario: Scenario, deadline: Deadline) -> SimulationResult:
        """Check the work budget, then simulate under the deadline."""
        self._budget([(("trials",), scenario.trials, scenario.horizon_years)])
        result = simulate(scenario, cancel=deadline.check)
        metrics.TRIALS.inc(result.trials)
        return result

    def compare(self, body: Mapping[str, Any], deadline: Deadline) -> ComparisonResult:
        """A policy comparison within the limits; every alternative counts."""
        result = compare(
            body["baseline"], body["alternatives"], budget=self._budget, cancel=deadline.check
        )
        metrics.TRIALS.inc(result.baseline.trials * (1 + len(result.alternatives)))
        return result

    def sensitivity(self, body: Mapping[str, Any], deadline: Deadline) -> SensitivityResult:
        """A sensitivity analysis within the limits; every swing and Sobol run counts."""
        result = sensitivity(body, budget=self._budget, cancel=deadline.check)
        metrics.TRIALS.inc(sum(result.evaluations.values()))
        return result

    def report(
        self, body: Mapping[str, Any], fmt: str, samples: bool, deadline: Deadline
    ) -> Rendered:
        """A report within the limits; every run counts, and the rendering (sample rows
        included) runs under the same deadline."""

        def budget(items: list[WorkItem]) -> None:
            self._budget(items)
            path, rows, _ = items[0]  # the main run: its trials are the sample rows
            if samples and fmt == "xlsx" and rows > self.settings["MAX_XLSX_SAMPLE_ROWS"]:
                limit = self.settings["MAX_XLSX_SAMPLE_ROWS"]
                raise WorkBudgetExceeded(
                    pointer(path),
                    f"an XLSX report has at most {limit} sample rows (asked {rows}); ask "
                    "for fewer trials, or for format=csv",
                )

        report, trials = build_report(body, budget=budget, cancel=deadline.check)
        metrics.TRIALS.inc(trials)
        rendered = render(report, fmt, samples=samples, check=deadline.check)
        deadline.check()
        return rendered

    def portfolio(self, body: Mapping[str, Any], deadline: Deadline) -> PortfolioResult:
        """A portfolio within the limits; every member counts."""
        result = portfolio(
            body["members"],
            threshold=body.get("threshold"),
            seed=body.get("seed"),
            shared=body.get("shared"),
            budget=self._budget,
            cancel=deadline.check,
        )
        metrics.TRIALS.inc(sum(m.result.trials for m in result.members))
        return result
