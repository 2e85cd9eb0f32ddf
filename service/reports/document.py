"""What a report shows, gathered from results: no model arithmetic here, only the
selection and wording of figures the engine computed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.analyses import ComparisonResult, SensitivityResult
from models.results import SimulationResult
from models.scenario import FIELDS, Scenario

__all__ = ["REPORT_PERCENTILES", "Report", "describe_spec", "input_rows"]

#: Percentiles every report shows; the service adds them to the scenario's own.
REPORT_PERCENTILES = (5.0, 25.0, 50.0, 75.0, 95.0)


@dataclass(frozen=True)
class Report:
    """Everything one report renders.

    Attributes
    ----------
    scenario : Scenario
        The scenario (for a comparison, the baseline).
    result : SimulationResult
        Its result.
    sensitivity : SensitivityResult or None
        For the tornado chart.
    comparison : ComparisonResult or None
        When the report is of a policy comparison.
    """

    scenario: Scenario
    result: SimulationResult
    sensitivity: SensitivityResult | None = None
    comparison: ComparisonResult | None = None

    @property
    def title(self) -> str:
        """The scenario's name, or a plain default."""
        return self.result.name or "Detainer costs"


def describe_spec(spec: Any) -> str:
    """A distribution spec in words: ``pert(low 20, mode 25, high 73)``, or the number."""
    if isinstance(spec, Mapping):
        params = ", ".join(f"{k} {_num(v)}" for k, v in spec.items() if k not in ("dist", "note"))
        return f"{spec.get('dist')}({params})"
    if isinstance(spec, list):
        return ", ".join(_num(v) if not isinstance(v, Mapping) else describe_spec(v) for v in spec)
    return _num(spec)


def _num(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.6g}" if abs(value) < 1e15 else f"{value:g}"


def input_rows(scenario: Scenario) -> list[dict[str, str]]:
    """One row per input given or defaulted: field, value, unit, meaning, source note."""
    rows = []
    for field in FIELDS:
        node: Any = scenario.canonical
        for part in field.name.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is None or field.name in ("name", "description"):
            continue
        note = node.get("note", "") if isinstance(node, Mapping) else ""
        if field.kind == "correlations":
            value = "; ".join(f"{c['a']} ~ {c['b']}: {c['rho']:g}" for c in node) or "none"
        else:
            value = describe_spec(node)
        rows.append(
            {
                "field": field.name,
                "value": value,
                "unit": field.unit,
                "meaning": field.description,
                "note": note,
            }
        )
    return rows
