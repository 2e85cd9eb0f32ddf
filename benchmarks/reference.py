"""Per-person reference simulation: the same model, one person at a time.

Readable and slow: a test oracle for the engine (tests/models/test_reference.py) and a
baseline for benchmarks/bench_engine.py, kept out of the ``models`` package users
import. It shares the input draws and the accounting with the engine (``draw_inputs``,
``account``) and replaces the aggregate sampling of people
(``models.engine.year_volumes``) with a literal simulation of each booking and each
honored person. The tests compare the two distributions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np

from models.calendar import business_days, hold_duration, rule_in_force
from models.engine import (
    YEAR_LAYERS,
    Array,
    YearVolumes,
    build_result,
    detainer_rate,
    expected_detainers,
    run,
    volume,
)
from models.results import SimulationResult
from models.scenario import Scenario, VolumeForm, parse_scenario

__all__ = ["person_year_volumes", "simulate_reference"]


def _dates_by_weekday(year: int) -> list[list[int]]:
    start = dt.date(year, 1, 1)
    n = (dt.date(year + 1, 1, 1) - start).days
    by_weekday: list[list[int]] = [[] for _ in range(7)]
    for day in range(n):
        by_weekday[(start + dt.timedelta(days=day)).weekday()].append(day)
    return by_weekday


def person_year_volumes(
    scenario: Scenario, inputs: Mapping[str, Array], year_index: int, *, rng: np.random.Generator
) -> YearVolumes:
    """Simulate one year person by person, trial by trial."""
    size = inputs["honor_rate"].size
    year = scenario.start_year + year_index
    business = business_days(year)
    dates = _dates_by_weekday(year)
    weights = np.asarray(scenario.release_weekday_weights)
    weights = weights / weights.sum()
    fields = ("detainers", "honored", "transfers", "hold_days", "extra_days", "claims")
    out = {name: np.zeros(size) for name in fields}
    first = dt.date(year, 1, 1)

    def rule(day: int) -> str:
        """The scenario's hold rule, or the form's in use on ``day``."""
        return scenario.hold_rule or rule_in_force(first + dt.timedelta(days=int(day)))

    form = scenario.volume_form
    if form is VolumeForm.DETAINERS:
        # The count given directly is a Poisson draw around its expectation, from the
        # engine's own stream for it (the first of its year layers), so that a scenario
        # with nothing else random agrees with the engine exactly.
        counts_rng = rng.spawn(len(YEAR_LAYERS))[0]
        level = counts_rng.poisson(expected_detainers(inputs, year_index))
    else:
        level = volume(inputs, form.fields[0], year_index)
    rate = None if form is VolumeForm.DETAINERS else detainer_rate(inputs)
    for i in range(size):
        if form is VolumeForm.DETAINERS:
            detainers = int(level[i])
        elif form is VolumeForm.BOOKINGS_AND_RATE:
            assert rate is not None
            detainers = int(np.sum(rng.random(level[i]) < rate[i]))
        else:
            matches = int(np.sum(rng.random(level[i]) < inputs["match_rate"][i]))
            detainers = int(np.sum(rng.random(matches) < inputs["detainers_per_match"][i]))
        honored = int(np.sum(rng.random(detainers) < inputs["honor_rate"][i]))
        picked_up = rng.random(honored) < inputs["ice_pickup_rate"][i]
        transfers = int(np.sum(picked_up))
        hold = 0.0
        for j, weekday in enumerate(rng.choice(7, size=honored, p=weights)):
            day = rng.choice(dates[weekday])
            # a pickup ends the hold after the share used; never picked up: the full window
            used = inputs["hold_window_used"][i] if picked_up[j] else 1.0
            length = hold_duration(day + rng.random(), scenario.hold_hours, business, rule(day))
            hold += used * length
        mean = inputs["extra_days_per_detainer"][i]
        cv = inputs["extra_days_cv"][i]
        lengthened = detainers if scenario.extra_stay_applies_to == "lodged" else honored
        if cv > 0:
            extra = float(np.sum(rng.gamma(1 / cv**2, mean * cv**2, size=lengthened)))
        else:
            extra = lengthened * mean
        claims = 0.0
        if "liability.claims_per_1000_honored" in inputs:
            per_person = inputs["liability.claims_per_1000_honored"][i] / 1000.0
            claims = float(np.sum(rng.poisson(per_person, size=honored)))
        out["detainers"][i] = detainers
        out["honored"][i] = honored
        out["transfers"][i] = transfers
        out["hold_days"][i] = hold
        out["extra_days"][i] = extra
        out["claims"][i] = claims
    return YearVolumes(**out)


def simulate_reference(
    scenario: Mapping[str, Any] | Scenario, *, rng: Any = None
) -> SimulationResult:
    """Simulate ``scenario`` person by person (slow; for tests).

    Parameters
    ----------
    scenario : mapping or Scenario
    rng : numpy.random.Generator, int or None, keyword-only
        ``None`` uses the scenario's seed.

    Returns
    -------
    SimulationResult
    """
    sc = parse_scenario(scenario)
    generator = np.random.default_rng(sc.seed if rng is None else rng)
    samples, convergence = run(sc, rng=generator, volumes=person_year_volumes)
    return build_result(sc, samples, sc.seed if rng is None else None, convergence)
