"""Policy comparison: what a policy saves, with common random numbers (every scenario
on the same streams, so differences are paired)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import EXPECTED_KEYS, PER_TRIAL_KEYS, Cancel, build_result, result_components
from ..errors import FieldError, Path, ScenarioError
from ..inputs import text_problem
from ..overrides import merge
from ..results import SimulationResult, Summary, summarize
from .common import Array, Budget, Progress, Streams, parse_at, part, run_at

__all__ = [
    "FROZEN_IN_ALTERNATIVES",
    "MAX_ALTERNATIVES",
    "Alternative",
    "ComparisonResult",
    "Difference",
    "compare",
]

MAX_ALTERNATIVES = 20
#: Fields an alternative may not change: its trials must pair with the baseline's.
FROZEN_IN_ALTERNATIVES = ("trials", "seed", "horizon_years", "start_year", "precision")


@dataclass(frozen=True)
class Difference:
    """Baseline minus alternative, trial by trial (positive: the alternative saves)."""

    summaries: Mapping[str, Summary]
    components: Mapping[str, Summary]
    #: ``annual_cost`` and ``total_cost``: baseline minus alternative of the expected
    #: cost given each trial's inputs (what the policy saves by the inputs alone).
    parameter_range: Mapping[str, Summary] = field(default_factory=dict)
    samples: Mapping[str, Array] = field(default_factory=dict, repr=False, compare=False)

    def __getattr__(self, name: str) -> Summary:
        try:
            return self.summaries[name]
        except KeyError:
            raise AttributeError(name) from None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: the summary shape of a simulation result."""
        out: dict[str, Any] = {k: v.to_dict() for k, v in self.summaries.items()}
        out["components"] = {k: v.to_dict() for k, v in self.components.items()}
        out["parameter_range"] = {k: v.to_dict() for k, v in self.parameter_range.items()}
        return out


@dataclass(frozen=True)
class Alternative:
    """One policy alternative: its own result and its paired difference."""

    name: str
    result: SimulationResult
    difference: Difference
    probability_saves: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "name": self.name,
            "result": self.result.to_dict(),
            "difference": self.difference.to_dict(),
            "probability_saves": self.probability_saves,
        }


@dataclass(frozen=True)
class ComparisonResult:
    """Result of :func:`compare`."""

    baseline: SimulationResult
    alternatives: tuple[Alternative, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "baseline": self.baseline.to_dict(),
            "alternatives": [a.to_dict() for a in self.alternatives],
        }


def _alternatives(baseline: Mapping[str, Any], alternatives: object) -> list[tuple[str, Any]]:
    if not isinstance(alternatives, Sequence) or isinstance(alternatives, str):
        raise ScenarioError.single(("alternatives",), "must be a list of {name, overrides}")
    if not 1 <= len(alternatives) <= MAX_ALTERNATIVES:
        raise ScenarioError.single(("alternatives",), f"must hold 1 to {MAX_ALTERNATIVES} items")
    out: list[tuple[str, Any]] = []
    errors: list[FieldError] = []
    names: set[str] = set()
    for i, alt in enumerate(alternatives):
        here: Path = ("alternatives", i)
        if not isinstance(alt, Mapping):
            errors.append(FieldError(here, "must be an object {name, overrides}"))
            continue
        errors += [
            FieldError((*here, k), "is not a field of an alternative")
            for k in alt
            if k not in ("name", "overrides")
        ]
        name: Any = alt.get("name")
        overrides: Any = alt.get("overrides", {})
        if not isinstance(name, str) or not name or len(name) > 200:
            errors.append(FieldError((*here, "name"), "must be a non-empty string"))
        elif (problem := text_problem(name)) is not None:
            errors.append(FieldError((*here, "name"), problem))
        elif name in names:
            errors.append(FieldError((*here, "name"), "repeats another alternative's name"))
        names.add(name)
        if not isinstance(overrides, Mapping):
            errors.append(FieldError((*here, "overrides"), "must be an object of scenario fields"))
            continue
        errors += [
            FieldError(
                (*here, "overrides", k), "cannot differ from the baseline in a paired comparison"
            )
            for k in overrides
            if k in FROZEN_IN_ALTERNATIVES
        ]
        out.append((str(name), merge(baseline, overrides, (*here, "overrides"))))
    if errors:
        raise ScenarioError(errors)
    return out


def _paired(
    base: Mapping[str, Array], alt: Mapping[str, Array], percentiles: Sequence[float]
) -> Difference:
    diffs = {k: base[k] - alt[k] for k in PER_TRIAL_KEYS}
    return Difference(
        summaries={k: summarize(diffs[k], percentiles) for k in PER_TRIAL_KEYS},
        components={
            k: summarize(base[f"component:{k}"] - alt[f"component:{k}"], percentiles)
            for k in dict.fromkeys((*result_components(base), *result_components(alt)))
        },
        parameter_range={
            k.split(":")[1]: summarize(base[k] - alt[k], percentiles) for k in EXPECTED_KEYS
        },
        samples=diffs,
    )


def compare(
    baseline: Mapping[str, Any],
    alternatives: object,
    *,
    rng: Any = None,
    budget: Budget | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ComparisonResult:
    """Compare policy alternatives with the baseline, with common random numbers.

    Every scenario runs on identical random streams, and each input has its own stream,
    so an input an alternative does not change takes the same value in the same trial:
    differences are paired and their spread is the policy's, not the sampler's.

    Parameters
    ----------
    baseline : mapping
        A scenario (without ``precision``: pairing needs equal trial counts).
    alternatives : sequence of mappings
        Each ``{"name": str, "overrides": {...}}``; overrides are scenario fields merged
        into the baseline (groups key by key; ``null`` removes a field). ``trials``,
        ``seed``, ``horizon_years``, ``start_year`` and ``precision`` cannot be overridden.
    rng : numpy.random.Generator, int or None, keyword-only
        ``None`` uses the baseline's seed.
    budget : callable, optional
        Called with the work (one item per scenario run) before any is done.
    progress : callable, optional
        Called as ``progress(done, total)`` with the trials done over every run.
    cancel : callable, optional
        Called between chunks of every run, as in :func:`models.simulate`.

    Returns
    -------
    ComparisonResult
        Per alternative: its result, the distribution of baseline minus alternative (and
        of the expected costs given the inputs, ``parameter_range``), and the probability
        that it saves money in year 1. What not honoring saves depends on
        ``extra_stay_applies_to``, which every result's provenance states.
    """
    if not isinstance(baseline, Mapping):
        raise ScenarioError.single(("baseline",), "must be a JSON object")
    base_sc = parse_at(baseline, ("baseline",))
    if base_sc.precision is not None:
        raise ScenarioError.single(
            ("baseline", "precision"), "is not available in comparisons (trials must pair)"
        )
    alts = [
        (name, parse_at(merged, ("alternatives", i, "overrides")))
        for i, (name, merged) in enumerate(_alternatives(baseline, alternatives))
    ]
    if budget is not None:
        budget(
            [(("baseline", "trials"), base_sc.trials, base_sc.horizon_years)]
            + [
                (("alternatives", i, "overrides", "trials"), sc.trials, sc.horizon_years)
                for i, (_, sc) in enumerate(alts)
            ]
        )
    streams = Streams(base_sc, rng)
    seed = base_sc.seed if rng is None else None
    total = base_sc.trials * (1 + len(alts))
    base_samples, base_conv = run_at(
        ("baseline",),
        base_sc,
        rng=streams.common(),
        progress=part(progress, 0, total),
        cancel=cancel,
    )
    base_result = build_result(base_sc, base_samples, seed, base_conv)
    out = []
    for i, (name, sc) in enumerate(alts, start=1):
        progress_i = part(progress, i * base_sc.trials, total)
        where = ("alternatives", i - 1, "overrides")
        samples, conv = run_at(where, sc, rng=streams.common(), progress=progress_i, cancel=cancel)
        saves = float(np.mean(base_samples["annual_cost"] - samples["annual_cost"] > 0))
        out.append(
            Alternative(
                name,
                build_result(sc, samples, seed, conv),
                _paired(base_samples, samples, base_sc.percentiles),
                saves,
            )
        )
    return ComparisonResult(base_result, tuple(out))
