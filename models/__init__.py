"""detainer-cost engine: Monte Carlo costs of honoring ICE immigration detainers.

Pure numpy/scipy; importable without any web framework::

    from models import simulate
    result = simulate({"detainers_per_year": 1200, "daily_cost": 105, "trials": 10_000})
    result.annual_cost.percentiles["p50"]
"""

from .distributions import Distribution, parse_distribution
from .engine import __version__, simulate
from .errors import FieldError, ScenarioError
from .results import SimulationResult, Summary
from .scenario import FIELDS, Scenario, parse_scenario

__all__ = [
    "FIELDS",
    "Distribution",
    "FieldError",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "Summary",
    "__version__",
    "parse_distribution",
    "parse_scenario",
    "simulate",
]
