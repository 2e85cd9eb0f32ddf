"""Shared inputs of a portfolio or roll-up: inputs unknown nationally rather than county
by county (the extra stay a detainer causes, the honor rate under a federal policy) are
drawn once per trial for every member (common random numbers across the members).

Each shared input has one stream of uniforms per chunk of trials, spawned from the
analysis's seed; a member draws it as its own distribution's inverse CDF at those
uniforms. Members with the same distribution for a shared input therefore get the same
value in every trial; members whose distributions differ get each their own value at
the same quantile (perfectly rank-correlated). Every other input of a member is drawn
exactly as it would be alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..engine import CHUNK_TRIALS, Cancel, draw_inputs, run, run_trials
from ..errors import FieldError, Path, ScenarioError
from ..results import Convergence, relative_half_widths
from ..scenario import BY_NAME, UNCERTAIN, Scenario
from .common import OWN_STREAM_OFFSET, Array, Progress

__all__ = ["SHARED_STREAM_KEY", "SharedInputs", "parse_shared", "run_member", "shared_errors"]

#: Spawn key, under an analysis's root seed, of the shared inputs' streams: past the
#: members' keys (0, 1, ...).
SHARED_STREAM_KEY = OWN_STREAM_OFFSET + 1


def parse_shared(value: object, path: Path = ("shared",)) -> tuple[str, ...]:
    """The names of the shared inputs: a list of distinct uncertain scenario fields
    (dotted for grouped ones: ``offsets.scaap_reimbursement_rate``).

    Raises
    ------
    ScenarioError
        At ``path`` (or the item at fault), naming every bad item.
    """
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ScenarioError.single(path, "must be a list of uncertain scenario fields")
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, name in enumerate(value):
        if not isinstance(name, str) or name not in UNCERTAIN:
            errors.append(
                FieldError(
                    (*path, i),
                    "is not an uncertain scenario field; one of: " + ", ".join(UNCERTAIN),
                )
            )
        elif name in seen:
            errors.append(FieldError((*path, i), f"repeats {name}"))
        else:
            seen.add(name)
    if errors:
        raise ScenarioError(errors)
    return tuple(str(n) for n in value)


def shared_errors(scenario: Scenario, shared: Sequence[str], prefix: Path) -> list[FieldError]:
    """A member's correlations that involve a shared input (a shared input is drawn for
    every member at once, so no member may reorder it by a correlation of its own)."""
    return [
        FieldError(
            (*prefix, "correlations", k),
            f"correlates {name}, which is shared: a shared input cannot be correlated "
            "within one member",
        )
        for k, c in enumerate(scenario.correlations)
        for name in (c.a, c.b)
        if name in shared
    ]


class SharedInputs:
    """The draws of the shared inputs, the same for every member of one analysis.

    Parameters
    ----------
    names : sequence of str
        The shared inputs.
    root : numpy.random.Generator
        The analysis's root stream (the one its members' streams are spawned from);
        the shared streams come from its seed under ``SHARED_STREAM_KEY``.
    """

    def __init__(self, names: Sequence[str], root: np.random.Generator) -> None:
        seed_seq: Any = root.bit_generator.seed_seq
        self.names = tuple(names)
        self._entropy = seed_seq.entropy
        self._key = (*tuple(seed_seq.spawn_key), SHARED_STREAM_KEY)

    def uniforms(self, name: str, chunk: int, size: int) -> Array:
        """The uniforms of input ``name`` in chunk ``chunk`` of the trials."""
        key = (*self._key, chunk, UNCERTAIN.index(name))
        rng = np.random.default_rng(np.random.SeedSequence(self._entropy, spawn_key=key))
        return np.clip(rng.random(size), 1e-15, 1.0 - 1e-15)

    def draws(self, scenario: Scenario, chunk: int, size: int) -> dict[str, Array]:
        """The shared inputs ``scenario`` has, drawn for chunk ``chunk`` of the trials.

        Raises
        ------
        ScenarioError
            At the input, when its distribution gives non-finite values.
        """
        out: dict[str, Array] = {}
        for name in self.names:
            dist = scenario.params.get(name)
            if dist is None:
                continue
            values = np.asarray(dist.ppf(self.uniforms(name, chunk, size)), dtype=np.float64)
            if not np.all(np.isfinite(values)):
                raise ScenarioError.single(
                    tuple(name.split(".")),
                    "this distribution gave non-finite draws; widen or simplify its parameters",
                )
            out[name] = np.rint(values) if BY_NAME[name].count else values
        return out


def run_member(
    scenario: Scenario,
    *,
    rng: np.random.Generator,
    shared: SharedInputs | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> tuple[Mapping[str, Array], Convergence]:
    """``models.engine.run`` of one member, its shared inputs taken from ``shared``.

    Without shared inputs (or when the member has none of them) this is ``run`` itself.
    Otherwise the trials run in the same chunks, on the same streams, as ``run`` would
    use; each chunk's inputs are drawn as ``run_trials`` would draw them, and the shared
    ones replaced. Members may not set ``precision`` (every trial runs).
    """
    if shared is None or not set(shared.names) & set(scenario.params):
        return run(scenario, rng=rng, progress=progress, cancel=cancel)
    n = scenario.trials
    parts: list[dict[str, Array]] = []
    done = 0
    for c, chunk_rng in enumerate(rng.spawn(math.ceil(n / CHUNK_TRIALS))):
        if cancel is not None:
            cancel()
        size = min(CHUNK_TRIALS, n - done)
        # run_trials draws the inputs from the first stream its generator spawns; a
        # fresh generator on the same seed sequence spawns that same stream first.
        seq: Any = chunk_rng.bit_generator.seed_seq
        twin = np.random.default_rng(np.random.SeedSequence(seq.entropy, spawn_key=seq.spawn_key))
        inputs = draw_inputs(scenario, size, rng=twin.spawn(1)[0])
        inputs.update(shared.draws(scenario, c, size))
        parts.append(run_trials(scenario, size, rng=chunk_rng, inputs=inputs))
        done += size
        if progress is not None:
            progress(done, n)
    if cancel is not None:
        cancel()
    samples = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    for array in samples.values():
        array.flags.writeable = False
    mean_width, p95_width = relative_half_widths(samples["annual_cost"])
    convergence = Convergence(
        target=None,
        trials_run=done,
        trial_cap=n,
        relative_half_width={"mean": mean_width, "p95": p95_width},
        stopped_by="trials",
    )
    return samples, convergence
