"""Questions a budget office asks after "what does it cost", one module and one
function each: what a policy saves (:func:`compare`), which input drives the answer
(:func:`sensitivity`), and what several jurisdictions cost together
(:func:`portfolio`), and a table of them summed into a state or national total
(:func:`rollup`)."""

from .common import Budget, Progress, WorkItem
from .compare import Alternative, ComparisonResult, Difference, compare
from .portfolio import UMRA_THRESHOLDS, Member, PortfolioResult, portfolio
from .rollup import Jurisdiction, RankedRow, RollupResult, rollup
from .sensitivity import (
    SOBOL_N,
    TORNADO_TRIALS,
    RankCorrelation,
    SensitivityResult,
    SobolIndex,
    TornadoBar,
    sensitivity,
    sensitivity_work,
)

__all__ = [
    "SOBOL_N",
    "TORNADO_TRIALS",
    "UMRA_THRESHOLDS",
    "Alternative",
    "Budget",
    "ComparisonResult",
    "Difference",
    "Jurisdiction",
    "Member",
    "PortfolioResult",
    "Progress",
    "RankCorrelation",
    "RankedRow",
    "RollupResult",
    "SensitivityResult",
    "SobolIndex",
    "TornadoBar",
    "WorkItem",
    "compare",
    "portfolio",
    "rollup",
    "sensitivity",
    "sensitivity_work",
]
