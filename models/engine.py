"""The Monte Carlo engine: bookings -> detainers -> honored holds -> bed-days -> dollars.

Each trial draws every uncertain input once (parameter uncertainty), then simulates
the people of each year **in aggregate**: counts by binomial thinning, the hold days of
the honored people from multinomial counts over the year's release categories, and
the sum of their extra days as one gamma draw. A trial therefore costs the same for
1,000 or 10,000,000 bookings. ``benchmarks/reference.py`` simulates the same model person by
person; the tests compare the two.

Counts carry chance variation in both volume forms: bookings are thinned binomially, and
detainers given directly (``detainers_per_year``, an expected count, never rounded) are a
Poisson draw around it. Because the model is linear in its counts, the expected cost given
a trial's inputs has a closed form (:func:`expected_volumes`); its spread over the trials,
the result's ``parameter_range``, is what the uncertainty about the inputs alone gives,
beside the full range that adds person-to-person chance.
"""

from __future__ import annotations

import functools
import importlib.metadata
import math
import weakref
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast, overload

import numpy as np
import scipy
from numpy.typing import NDArray

from . import sampling
from .calendar import HoldTable, hold_table, year_bounds, year_hold_rule
from .errors import ScenarioError
from .results import (
    ChunkedSamples,
    Convergence,
    Exceedance,
    HalfWidths,
    LeanResult,
    Provenance,
    SimulationResult,
    Summary,
    YearSummary,
    relative_half_widths,
    summarize,
)
from .scenario import (
    BY_NAME,
    LATE_UNCERTAIN,
    SCHEDULE_YEARS,
    UNCERTAIN,
    Scenario,
    VolumeForm,
    parse_scenario,
)

__all__ = [
    "ALL_COMPONENTS",
    "CHUNK_TRIALS",
    "COMPONENTS",
    "DETAINER_DAYS_KEYS",
    "EXPECTED_KEYS",
    "OFFSETS",
    "OPTIONAL_COMPONENTS",
    "PER_TRIAL_KEYS",
    "Cancel",
    "YearVolumes",
    "__version__",
    "account",
    "beds_occupied",
    "build_result",
    "cost_basis",
    "daily_cost",
    "days_of_year",
    "draw_inputs",
    "expected_volumes",
    "inputs_for_year",
    "result_components",
    "run",
    "run_trials",
    "sample_keys",
    "scheduled_keys",
    "simulate",
]

#: Trials simulated at once; memory of the intermediate arrays is bounded by it.
#: Results depend on it (each chunk has its own random stream), so it is fixed.
CHUNK_TRIALS = 8192
#: Up to this many people due on non-business days, their times of day are drawn one by
#: one; above it their sum (Irwin-Hall) is drawn from its normal approximation, whose
#: CDF differs from the exact one by under 1e-3.
IRWIN_HALL_EXACT_MAX = 64
#: Above this gamma shape the sum of extra days is taken as its mean (see gamma_sum).
MAX_GAMMA_SHAPE = 1e15
#: Random streams of each simulated year, one per layer, spawned in this order.
YEAR_LAYERS = (
    "bookings",
    "honor",
    "pickup",
    "release_day",
    "release_time",
    "extra_stay",
    "liability",
    "release_day_not_picked_up",
    "release_time_not_picked_up",
)

try:
    __version__ = importlib.metadata.version("detainer-cost")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
    __version__ = "0+unknown"

Array = NDArray[np.float64]
#: Called as ``progress(done, total)`` to report progress; it only reports.
Progress = Callable[[int, int], None]
#: Called between pieces of work; raises (any exception) to stop the run there.
Cancel = Callable[[], None]


def draw_inputs(scenario: Scenario, size: int, *, rng: np.random.Generator) -> dict[str, Array]:
    """Draw every uncertain input of ``scenario`` for ``size`` trials.

    Each input has its own stream, spawned from ``rng`` in the fixed order of the field
    table, then one stream for stratified points and one for correlations, then the
    streams of the inputs added later (``LATE_UNCERTAIN``); so an input's
    draws do not depend on which other inputs are present, and two scenarios that share
    an input with the same seed share its draws (common random numbers).

    Parameters
    ----------
    scenario : Scenario
    size : int
    rng : numpy.random.Generator

    Returns
    -------
    dict of str to ndarray
        One array of ``size`` draws per present input; counts rounded to integers.
    """
    values = _draw_values(scenario, size, sampling.seed_sequence(rng), (), type(rng.bit_generator))
    return {n: np.full(size, v) if isinstance(v, float) else v for n, v in values.items()}


#: Stream positions in spawn order: the first inputs, the two shared streams (stratified
#: points, correlations), then the later inputs. Only the streams used are built
#: (``sampling.descendants``).
_QMC_STREAM = len(UNCERTAIN) - len(LATE_UNCERTAIN)
_STREAM_POSITION = {n: i if i < _QMC_STREAM else i + 2 for i, n in enumerate(UNCERTAIN)}
#: Whether each input is a count (drawn values rounded to whole numbers).
_COUNT = {n: BY_NAME[n].count for n in UNCERTAIN}

#: An input's values over the trials of a chunk: one per trial, or a float when it is
#: the same in every trial (a fixed input, which the parameter-level path does not
#: repeat into an array).
Value = Array | float


@dataclass(frozen=True)
class _DrawPlan:
    """What :func:`_draw_values` needs of a scenario, worked out once for every chunk
    of a run: the inputs present in the order of the field table, those drawn, the
    streams they are drawn from, the fixed ones' values (counts rounded) and the
    scheduled values' keys."""

    present: tuple[str, ...]
    needed: tuple[str, ...]
    wanted: tuple[int, ...]
    fixed: Mapping[str, float]
    scheduled: tuple[str, ...]

    @classmethod
    def of(cls, scenario: Scenario) -> _DrawPlan:
        """The plan of ``scenario``, worked out once per scenario object (one parsed
        once and simulated again, as a caller running many parameter-level runs does)."""
        cached = _PLANS.get(id(scenario))
        if cached is not None and cached[0]() is scenario:
            return cached[1]
        plan = cls._work_out(scenario)
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        _PLANS[id(scenario)] = (weakref.ref(scenario), plan)
        return plan

    @classmethod
    def _work_out(cls, scenario: Scenario) -> _DrawPlan:
        params = scenario.params
        present = tuple(name for name in UNCERTAIN if name in params)
        needed = tuple(n for n in present if not params[n].is_fixed)
        wanted = [_STREAM_POSITION[n] for n in needed]
        wanted += [_QMC_STREAM] if scenario.sampling != "random" else []
        wanted += [_QMC_STREAM + 1] if scenario.correlations else []
        fixed = {
            n: float(np.rint(params[n].value)) if _COUNT[n] else params[n].value
            for n in present
            if params[n].is_fixed
        }
        return cls(present, needed, tuple(wanted), fixed, scheduled_keys(scenario))


#: Plans by scenario object (its id, checked against a weak reference to it).
_PLANS: dict[int, tuple[weakref.ref[Scenario], _DrawPlan]] = {}
_PLANS_MAX = 256


def _draw_values(
    scenario: Scenario,
    size: int,
    seq: np.random.SeedSequence | sampling.SeedKey,
    prefix: tuple[int, ...],
    bit_generator: type[np.random.BitGenerator],
    plan: _DrawPlan | None = None,
) -> dict[str, Value]:
    """:func:`draw_inputs` with each fixed input as its float (counts rounded), drawn
    from the streams below ``seq`` at ``prefix`` (``()``: ``seq`` is the inputs' own;
    ``(0,)``: they are those of its first child, as ``run_trials`` spawns it), building
    only the streams drawn from. Inputs in correlations are arrays, fixed or not.
    ``plan`` is the scenario's :class:`_DrawPlan`, when a run has it."""
    plan = _DrawPlan.of(scenario) if plan is None else plan
    params = scenario.params
    wanted = plan.wanted
    keys = [(*prefix, p) for p in wanted]
    built = dict(zip(wanted, sampling.descendants(seq, keys, bit_generator), strict=True))
    draws: dict[str, Array]
    if scenario.sampling == "random" and not scenario.correlations:
        # Each input from its own stream, as sampling.draw does; the fixed ones stay floats.
        draws = {n: params[n].sample(size, rng=built[_STREAM_POSITION[n]]) for n in plan.needed}
    else:
        draws = sampling.draw(
            {n: params[n] for n in plan.present},
            size,
            method=scenario.sampling,
            streams={n: built[_STREAM_POSITION[n]] for n in plan.needed},
            qmc_rng=built.get(_QMC_STREAM),
        )
    if scenario.correlations:
        correlation_rng = built[_QMC_STREAM + 1]
        names = [n for n in UNCERTAIN if any(n in (c.a, c.b) for c in scenario.correlations)]
        target = sampling.correlation_matrix(names, scenario.correlations, ("correlations",))
        matrix = np.column_stack([draws[n] for n in names])
        shuffled = sampling.iman_conover(matrix, target, rng=correlation_rng)
        draws.update({n: shuffled[:, j] for j, n in enumerate(names)})
    for name in plan.needed:
        # A finite sum has no infinity or NaN in it (an infinite one may be an overflow).
        drawn = draws[name]
        if not math.isfinite(np.add.reduce(drawn, axis=None)) and not np.isfinite(drawn).all():
            raise ScenarioError.single(
                tuple(name.split(".")),
                "this distribution gave non-finite draws; widen or simplify its parameters",
            )
    out: dict[str, Value] = {}
    fixed = plan.fixed
    for name in plan.present:
        if name in draws:
            out[name] = np.rint(draws[name]) if _COUNT[name] else draws[name]
        else:
            out[name] = fixed[name]
    if plan.scheduled:
        schedules = _draw_schedules(scenario, plan.scheduled, size, seq, prefix, bit_generator)
        for key, values in schedules.items():
            out[key] = np.rint(values) if _COUNT[key.split("@")[0]] else values
    return out


def _schedule_position(name: str, year: int) -> int:
    """Position of the stream of ``name``'s value for ``year`` among the children of the
    schedules' stream (itself after every input's and the two shared ones): fixed by
    field and year, so a value's draws do not depend on the other schedules (common
    random numbers)."""
    low, high = SCHEDULE_YEARS
    return UNCERTAIN.index(name) * (high - low + 1) + (year - low)


def scheduled_keys(scenario: Scenario) -> tuple[str, ...]:
    """The inputs drawn for the values of schedules that take effect after the first
    year: ``NAME@YEAR`` (the first year's value is ``NAME`` itself)."""
    return tuple(
        f"{name}@{year}"
        for name in UNCERTAIN
        if name in scenario.schedules
        for year, _ in scenario.schedules[name].entries
        if year > scenario.start_year
    )


def _draw_schedules(
    scenario: Scenario,
    keys: Sequence[str],
    size: int,
    seq: np.random.SeedSequence | sampling.SeedKey,
    prefix: tuple[int, ...],
    bit_generator: type[np.random.BitGenerator],
) -> dict[str, Array]:
    """Draws of the scheduled values after the first year (``keys``, of
    :func:`scheduled_keys`), each from its own stream by independent draws (whatever
    ``sampling``), uncorrelated: the children of the schedules' stream, after the
    inputs' (see :func:`_draw_values`)."""
    out: dict[str, Array] = {}
    for key in keys:
        name, year = key.split("@")
        dist = scenario.schedules[name].at(int(year))
        at = (*prefix, len(UNCERTAIN) + 2, _schedule_position(name, int(year)))
        stream = sampling.descendants(seq, [at], bit_generator)[0]
        values = np.asarray(dist.sample(size, rng=stream), dtype=np.float64)
        if not np.all(np.isfinite(values)):
            raise ScenarioError.single(
                (*name.split("."), "schedule", year),
                "this distribution gave non-finite draws; widen or simplify its parameters",
            )
        out[key] = values
    return out


_V = TypeVar("_V")


def inputs_for_year(
    scenario: Scenario, inputs: Mapping[str, _V], year_index: int
) -> Mapping[str, _V]:
    """``inputs`` with each scheduled input's value in force in year ``year_index``
    (``inputs`` itself when nothing is scheduled)."""
    if not scenario.schedules:
        return inputs
    year = scenario.start_year + year_index
    out = dict(inputs)
    for name, schedule in scenario.schedules.items():
        since = schedule.since(year)
        if since > scenario.start_year:
            out[name] = inputs[f"{name}@{since}"]
    return out


@dataclass(frozen=True)
class YearVolumes:
    """People and days of one simulated year, per trial."""

    detainers: Array
    honored: Array
    transfers: Array
    hold_days: Array
    extra_days: Array
    claims: Array


def detainer_rate(inputs: Mapping[str, Array]) -> Array:
    """Detainers per booking: ``detainer_rate``, or match rate x detainers per match."""
    if "detainer_rate" in inputs:
        return inputs["detainer_rate"]
    return inputs["match_rate"] * inputs["detainers_per_match"]


#: Most people (or expected claims) in one year of one trial: numpy counts people in
#: int64 and its Poisson draws refuse means past about 9.2e18. Every scenario of fixed
#: values the field table allows stays below it (1e9 a year grown 100% for 29 years is
#: 5.4e17); only a distribution with a far tail can pass it.
MAX_COUNT = 2.0**62


def _countable(values: Array, path: tuple[str, ...], what: str) -> None:
    """Raise ScenarioError at ``path`` if any of ``values`` is past ``MAX_COUNT``."""
    if np.any(values > MAX_COUNT):
        raise ScenarioError.single(
            path,
            f"{what} reaches {float(np.max(values)):.3g} in some trials, more than the "
            f"{MAX_COUNT:.3g} the engine can count; narrow its distribution",
        )


def _countable_value(values: Array | float, path: tuple[str, ...], what: str) -> None:
    """:func:`_countable` of an array or of one value (a float compared as it is)."""
    if isinstance(values, float):
        if values > MAX_COUNT:
            _countable(np.asarray(values), path, what)
    else:
        _countable(values, path, what)


def volume(inputs: Mapping[str, Array], key: str, year_index: int) -> NDArray[np.int64]:
    """First-year level of ``key`` grown to ``year_index``, rounded to whole people.

    Raises ScenarioError at ``key`` past ``MAX_COUNT`` (a wide distribution grown for
    decades), before numpy's integer conversion would wrap it around.
    """
    growth = (1.0 + inputs["bookings_growth"]) ** year_index
    level = np.rint(inputs[key] * growth)
    what = f"{key} grown by bookings_growth to year {year_index + 1}" if year_index else key
    _countable(level, (key,), what)
    return level.astype(np.int64)


def expected_detainers(inputs: Mapping[str, Array], year_index: int) -> Array:
    """Expected detainers of a year in the ``detainers_per_year`` form: the first-year
    level grown to ``year_index``, not rounded (100 over 3 years is 33.33 a year).

    Raises ScenarioError at ``detainers_per_year`` past ``MAX_COUNT``.
    """
    growth = (1.0 + inputs["bookings_growth"]) ** year_index
    level = np.asarray(inputs["detainers_per_year"] * growth, dtype=np.float64)
    what = f"detainers_per_year grown by bookings_growth to year {year_index + 1}"
    _countable(level, ("detainers_per_year",), what if year_index else "detainers_per_year")
    return level


def irwin_hall(n: NDArray[np.int64], *, rng: np.random.Generator) -> Array:
    """Sum of ``n[i]`` independent U(0, 1) draws, for each ``i``.

    Exact up to ``IRWIN_HALL_EXACT_MAX`` terms; above it the normal approximation
    N(n/2, n/12), clipped to [0, n].
    """
    out = np.zeros(n.shape, dtype=np.float64)
    small = n <= IRWIN_HALL_EXACT_MAX
    owners = np.repeat(np.flatnonzero(small), n[small])
    if owners.size:
        out += np.bincount(owners, weights=rng.random(owners.size), minlength=n.size)
    big = ~small
    if big.any():
        m = n[big].astype(np.float64)
        out[big] = np.clip(rng.normal(m / 2, np.sqrt(m / 12)), 0.0, m)
    return out


def hold_days_aggregate(
    table: HoldTable,
    honored: NDArray[np.int64],
    *,
    rng_day: np.random.Generator,
    rng_time: np.random.Generator,
) -> Array:
    """Total calendar days held (full window) by ``honored`` people, per trial.

    People spread over the release categories by one multinomial draw per trial. Those
    due on business days add their category's fixed length; those due on non-business
    days add ``offset - u`` with ``u`` their uniform time of day.
    """
    counts = rng_day.multinomial(honored, table.probabilities)
    nb = table.n_business
    total = counts @ table.values
    weekend = counts[:, nb:].sum(axis=1)
    return np.asarray(total - irwin_hall(weekend, rng=rng_time), dtype=np.float64)


def hold_days(
    table: HoldTable,
    honored: NDArray[np.int64],
    transfers: NDArray[np.int64],
    window_used: Array,
    streams: Mapping[str, np.random.Generator],
) -> Array:
    """Hold days of one year, per trial: the ``transfers`` (honored holds that end in an
    ICE pickup) use ``window_used`` of their window; the others, never picked up, run
    the full window before release.

    The two groups draw their release days and times from their own streams
    (``release_day``/``release_time``, ``release_*_not_picked_up``), so with everyone
    picked up the draws are those of one group of ``honored``. When ``window_used`` is 1
    in every trial the two groups hold alike and are drawn as one, from the first
    streams.
    """
    first = {"rng_day": streams["release_day"], "rng_time": streams["release_time"]}
    if np.all(window_used == 1.0):
        return hold_days_aggregate(table, honored, **first) * window_used
    picked_up = hold_days_aggregate(table, transfers, **first)
    never = hold_days_aggregate(
        table,
        honored - transfers,
        rng_day=streams["release_day_not_picked_up"],
        rng_time=streams["release_time_not_picked_up"],
    )
    return np.asarray(picked_up * window_used + never, dtype=np.float64)


def window_share(inputs: Mapping[str, Array]) -> Array:
    """Expected share of the window an honored hold uses: ``hold_window_used`` for the
    share ``ice_pickup_rate`` picked up, the full window for the rest (exactly
    ``hold_window_used`` when all are picked up, exactly 1 when it is 1)."""
    used, pickup = inputs["hold_window_used"], inputs["ice_pickup_rate"]
    mixed = pickup * used + (1.0 - pickup)
    return np.asarray(
        np.where(pickup == 1.0, used, np.where(used == 1.0, 1.0, mixed)), dtype=np.float64
    )


def gamma_sum(
    people: NDArray[np.int64], mean: Array, cv: Array, *, rng: np.random.Generator
) -> Array:
    """Sum of ``people`` independent gamma(mean, cv) days: one gamma draw per trial.

    A sum of k gamma variables with shape 1/cv^2 and scale mean*cv^2 is gamma with shape
    k/cv^2 and the same scale. With cv = 0 every person has exactly ``mean`` days, and
    so has the sum when its shape would exceed ``MAX_GAMMA_SHAPE`` (its relative standard
    deviation is then below 3.2e-8).
    """
    cv2 = cv * cv
    random = (people > 0) & (people < MAX_GAMMA_SHAPE * cv2)
    shape = np.where(random, people / np.where(random, cv2, 1.0), 1.0)
    scale = np.where(random, mean * cv2, 1.0)
    draws = rng.gamma(shape, scale)
    return np.where(random, draws, people * mean)


def year_volumes(
    scenario: Scenario, inputs: Mapping[str, Array], year_index: int, *, rng: np.random.Generator
) -> YearVolumes:
    """Simulate one year's people in aggregate (the engine's way)."""
    r = dict(zip(YEAR_LAYERS, rng.spawn(len(YEAR_LAYERS)), strict=True))
    if scenario.volume_form is VolumeForm.DETAINERS:
        # Poisson around the expected count: the chance variation of the bookings form
        # (a binomial of many bookings at a small rate), never a rounded count.
        detainers = r["bookings"].poisson(expected_detainers(inputs, year_index))
    else:
        bookings = volume(inputs, "bookings_per_year", year_index)
        detainers = r["bookings"].binomial(bookings, detainer_rate(inputs))
    honored = r["honor"].binomial(detainers, inputs["honor_rate"])
    transfers = r["pickup"].binomial(honored, inputs["ice_pickup_rate"])
    table = hold_table(
        scenario.start_year + year_index,
        scenario.hold_hours,
        scenario.release_weekday_weights,
        scenario.hold_rule,
        scenario.start_month,
    )
    hold = hold_days(table, honored, transfers, inputs["hold_window_used"], r)
    lengthened = detainers if scenario.extra_stay_applies_to == "lodged" else honored
    extra = gamma_sum(
        lengthened,
        inputs["extra_days_per_detainer"],
        inputs["extra_days_cv"],
        rng=r["extra_stay"],
    )
    if "liability.claims_per_1000_honored" in inputs:
        expected = honored * inputs["liability.claims_per_1000_honored"] / 1000.0
        path = ("liability", "claims_per_1000_honored")
        _countable(expected, path, "the expected number of claims")
        claims = r["liability"].poisson(expected).astype(np.float64)
    else:
        claims = np.zeros(honored.shape)
    return YearVolumes(
        detainers.astype(np.float64),
        honored.astype(np.float64),
        transfers.astype(np.float64),
        hold,
        extra,
        claims,
    )


#: Per-trial outputs summarized in every result (year 1, and over the horizon).
PER_TRIAL_KEYS = (
    "annual_cost",
    "total_cost",
    "present_value",
    "bed_days",
    "hold_bed_days",
    "extra_bed_days",
    "detainers",
    "honored",
    "transfers",
)

#: Per-trial expected costs given each trial's drawn inputs (the parameter range):
#: year 1 and the horizon total.
EXPECTED_KEYS = ("expected:annual_cost", "expected:total_cost")

#: Per-trial year-1 detainer-days and their cost, when ``detainer_days_per_detainer``
#: is given: an upper bound, never part of any cost total.
DETAINER_DAYS_KEYS = ("detainer_bed_days", "detainer_days_cost")

COMPONENTS = (
    "hold",
    "extra_stay",
    "overflow_premium",
    "admin",
    "transport",
    "liability",
    "scaap_reimbursement",
    "other_reimbursement",
)

#: Components of the instruments of issue 13, zero unless their inputs are given:
#: ``federal_payment`` (``payment_per_honored_detainer``, an offset), ``staff``
#: (``staff_hours_per_detainer`` x ``staff_hourly_cost`` per detainer lodged) and
#: ``program`` (``program_cost_per_year``). Every run's samples carry them; a result
#: lists them after ``COMPONENTS`` when they are not zero in every trial
#: (:func:`result_components`), so results without them keep their shape.
OPTIONAL_COMPONENTS = ("federal_payment", "staff", "program")
ALL_COMPONENTS = COMPONENTS + OPTIONAL_COMPONENTS


def result_components(samples: Mapping[str, Array]) -> tuple[str, ...]:
    """The components a result of ``samples`` lists: every one of ``COMPONENTS``, then
    each of ``OPTIONAL_COMPONENTS`` whose ``component:NAME`` is not zero in every trial."""
    extra = [
        k
        for k in OPTIONAL_COMPONENTS
        if f"component:{k}" in samples and np.any(samples[f"component:{k}"] != 0)
    ]
    return (*COMPONENTS, *extra)


def daily_cost(inputs: Mapping[str, Array]) -> Array:
    """The daily cost of the result's basis: ``daily_cost`` (marginal) when given, else
    ``daily_cost_average`` (fully loaded)."""
    return inputs["daily_cost"] if "daily_cost" in inputs else inputs["daily_cost_average"]


def cost_basis(names: Collection[str]) -> str:
    """``marginal`` when ``daily_cost`` is among ``names`` (inputs or parameters), else
    ``average``: the basis of every cost of a result."""
    return "marginal" if "daily_cost" in names else "average"


def _second_basis(names: Collection[str]) -> bool:
    """Whether the result has the average basis beside the marginal one."""
    return "daily_cost" in names and "daily_cost_average" in names


def days_of_year(year: int, start_month: int = 1) -> int:
    """Days in year ``year`` (365 or 366): calendar, or the fiscal year starting in
    ``start_month`` (``models.calendar.year_bounds``). What the capacity premium turns an
    average daily population into bed-days with, and bed-days back into beds."""
    start, end = year_bounds(year, start_month)
    return (end - start).days


def beds_occupied(bed_days: Array, year: int, start_month: int = 1) -> Array:
    """Average daily beds occupied (average daily population) of ``bed_days`` over
    year ``year`` (:func:`days_of_year`): the inverse of the capacity premium's ADP times
    days."""
    return np.asarray(bed_days / days_of_year(year, start_month), dtype=np.float64)


#: The offsets among ``COMPONENTS`` (negative: reimbursements), whose sum is a year's
#: ``offsets`` and the rest its gross cost.
OFFSETS = ("scaap_reimbursement", "other_reimbursement", "federal_payment")


def _bed_day_costs(
    scenario: Scenario,
    inputs: Mapping[str, Array],
    v: YearVolumes,
    daily: Array,
    inflation: Array,
    days_in_year: int,
) -> dict[str, Array]:
    bed_days = v.hold_days + v.extra_days
    premium = np.zeros_like(bed_days)
    if scenario.rated_beds is not None:
        above = (
            inputs["capacity.baseline_adp"] * days_in_year
            + bed_days
            - scenario.rated_beds * days_in_year
        )
        overflow = np.clip(above, 0.0, bed_days)
        premium = overflow * (inputs["capacity.overflow_daily_cost"] * inflation - daily)
    costs = {
        "hold": v.hold_days * daily,
        "extra_stay": v.extra_days * daily,
        "overflow_premium": premium,
    }
    share = (
        inputs["offsets.scaap_eligible_share"] * inputs["offsets.scaap_reimbursement_rate"]
        if "offsets.scaap_eligible_share" in inputs
        else 0.0
    )
    costs["scaap_reimbursement"] = 0.0 - share * (costs["hold"] + costs["extra_stay"] + premium)
    return costs


def _instrument_costs(
    inputs: Mapping[str, Array], v: YearVolumes, inflation: Array
) -> dict[str, Array]:
    """The ``OPTIONAL_COMPONENTS`` of one year (zero when their inputs are absent): the
    federal payment per honored detainer (negative, nominal), staff time per detainer
    lodged and the program's yearly cost (both grown by ``cost_inflation``)."""
    zero = np.zeros_like(v.honored)
    payment = inputs.get("payment_per_honored_detainer")
    hours = inputs.get("staff_hours_per_detainer")
    program = inputs.get("program_cost_per_year")
    return {
        "federal_payment": zero if payment is None else 0.0 - v.honored * payment,
        "staff": zero
        if hours is None
        else v.detainers * (hours * inputs["staff_hourly_cost"]) * inflation,
        "program": zero if program is None else program * inflation + zero,
    }


def account(
    scenario: Scenario, inputs: Mapping[str, Array], v: YearVolumes, year_index: int
) -> tuple[dict[str, Array], Array | None]:
    """Turn one year's people and days into dollars.

    Parameters
    ----------
    scenario : Scenario
    inputs : mapping of str to ndarray
        Drawn inputs, from :func:`draw_inputs`.
    v : YearVolumes
    year_index : int
        0 for the first year; dollar figures grow by ``cost_inflation`` per year.

    Returns
    -------
    components : dict of str to ndarray
        Every entry of ``ALL_COMPONENTS`` (offsets negative) at ``daily_cost`` (marginal), or
        at ``daily_cost_average`` when it is the only daily cost given.
    net_average : ndarray or None
        Net cost on the fully loaded basis, when both daily costs are given.
    """
    inflation = (1.0 + inputs["cost_inflation"]) ** year_index
    days_in_year = days_of_year(scenario.start_year + year_index, scenario.start_month)
    costs = _bed_day_costs(
        scenario, inputs, v, daily_cost(inputs) * inflation, inflation, days_in_year
    )
    costs["admin"] = v.detainers * inputs["admin_cost_per_detainer"] * inflation
    costs["transport"] = v.transfers * inputs["transport_cost_per_transfer"] * inflation
    costs["liability"] = (
        v.claims * inputs["liability.cost_per_claim"] * inflation
        if "liability.cost_per_claim" in inputs
        else np.zeros_like(v.honored)
    )
    other = inputs.get("offsets.other_reimbursement")
    costs["other_reimbursement"] = 0.0 - other if other is not None else np.zeros_like(v.honored)
    costs.update(_instrument_costs(inputs, v, inflation))
    components = {name: np.asarray(costs[name], dtype=np.float64) for name in ALL_COMPONENTS}
    if not _second_basis(inputs):
        return components, None
    average = _bed_day_costs(
        scenario, inputs, v, inputs["daily_cost_average"] * inflation, inflation, days_in_year
    )
    rest = ("admin", "transport", "liability", "other_reimbursement", *OPTIONAL_COMPONENTS)
    net_average = sum(average.values()) + sum(components[k] for k in rest)
    return components, np.asarray(net_average, dtype=np.float64)


def _defaults(inputs: dict[str, Value]) -> dict[str, Value]:
    """``inputs`` with growth and inflation at 0 (floats) when not given."""
    for name in ("bookings_growth", "cost_inflation"):
        inputs.setdefault(name, 0.0)
    return inputs


VolumesFn = Callable[..., YearVolumes]


def _detainer_days(inputs: Mapping[str, Array], v: YearVolumes) -> dict[str, Array]:
    """Year-1 detainer-days (every detainer lodged times the mean days in jail of a
    person with one) and their cost at the result's daily cost: an upper bound kept out
    of every cost total."""
    days = v.detainers * inputs["detainer_days_per_detainer"]
    return {"detainer_bed_days": days, "detainer_days_cost": days * daily_cost(inputs)}


def expected_volumes(
    scenario: Scenario, inputs: Mapping[str, Array], year_index: int
) -> YearVolumes:
    """Expected people and days of one year given the drawn inputs, in closed form.

    The aggregate model is linear in its counts, so each expectation is the product of
    the expected count and the per-person mean: detainers (the level grown to the year;
    bookings, rounded to whole bookings as the simulation does, times the detainer rate),
    honored = detainers x ``honor_rate``, transfers = honored x ``ice_pickup_rate``, hold
    days = honored x the calendar's mean hold (``HoldTable.mean_days``, by the year's
    rule) x the share of the window used (:func:`window_share`), extra days = the
    detainers the stay applies to x ``extra_days_per_detainer``, claims = honored x the
    claim rate.
    """
    if scenario.volume_form is VolumeForm.DETAINERS:
        detainers = expected_detainers(inputs, year_index)
    else:
        bookings = volume(inputs, "bookings_per_year", year_index)
        detainers = bookings * detainer_rate(inputs)
    honored = detainers * inputs["honor_rate"]
    table = hold_table(
        scenario.start_year + year_index,
        scenario.hold_hours,
        scenario.release_weekday_weights,
        scenario.hold_rule,
        scenario.start_month,
    )
    lengthened = detainers if scenario.extra_stay_applies_to == "lodged" else honored
    claims = (
        honored * (inputs["liability.claims_per_1000_honored"] / 1000.0)
        if "liability.claims_per_1000_honored" in inputs
        else np.zeros_like(honored)
    )
    return YearVolumes(
        detainers,
        honored,
        honored * inputs["ice_pickup_rate"],
        honored * (table.mean_days * window_share(inputs)),
        lengthened * inputs["extra_days_per_detainer"],
        claims,
    )


def total_of(arrays: Iterable[Array]) -> Array:
    """Their sum, added one by one from 0: ``numpy.sum(list(arrays), axis=0)`` to the
    bit (the same order, and 0.0 first, so -0.0 + -0.0 is 0.0 as there) without
    stacking them into one array first (a tenth of the parameter-level path: issue 10)."""
    arrays = iter(arrays)
    first = next(arrays)
    out = np.zeros(np.shape(first))
    out += first
    for array in arrays:
        out += array
    return out


def _expected_costs(scenario: Scenario, inputs: Mapping[str, Value], size: int) -> dict[str, Array]:
    """Per trial, the expected year-1 net cost and horizon total given the drawn inputs
    (``expected:annual_cost``, ``expected:total_cost``): :func:`account` of
    :func:`expected_volumes`, the same to the bit (:func:`_expected_net`). ``inputs``
    may give fixed inputs as floats.

    Every term is exact except the capacity overflow premium, a piecewise-linear
    function of the year's bed-days, which is evaluated at their expectation (exact when
    the jail is on one side of its rated capacity whatever the person-level chance).
    """
    out: dict[str, Array] = {}
    total: Array | None = None
    for y in range(scenario.horizon_years):
        year_inputs = inputs_for_year(scenario, inputs, y)
        net = _expected_net(scenario, year_inputs, y, size)
        if total is None:
            # 0 + net is net to the bit: net is never -0.0 (a sum from +0.0).
            out["expected:annual_cost"] = total = net
        else:
            total = total + net if y == 1 else np.add(total, net, out=total)
    assert total is not None
    out["expected:total_cost"] = total
    return out


def _grown(rate: Array | float, year_index: int, size: int) -> Array | float:
    """``(1 + rate) ** year_index``, as :func:`account` computes it over arrays: exactly
    1.0 (a float) in the first year or when ``rate`` is fixed at 0."""
    if year_index == 0 or (isinstance(rate, float) and rate == 0.0):
        return 1.0  # x ** 0 and 1 ** y are 1 exactly
    if isinstance(rate, float):  # numpy's power of an array, as before, not Python's
        rate = np.full(size, rate)
    return np.asarray((1.0 + rate) ** year_index, dtype=np.float64)


def _times(values: Array, factor: Array | float) -> Array:
    """``values * factor``; ``values`` itself when ``factor`` is a float 1.0 (the same
    bits: x * 1.0 is x)."""
    if isinstance(factor, float) and factor == 1.0:
        return values
    return values * factor


def _product(values: Array, factor: Array | float) -> Array:
    """``values * factor``, into ``values`` when it is an array (one this module has
    just made and reads no more): the same bits, one array fewer."""
    if isinstance(values, np.ndarray) and values.ndim:
        return np.multiply(values, factor, out=values)
    return values * factor


def _is_zero(value: Value | None) -> bool:
    """Whether ``value`` is absent or a float 0: a term it multiplies is 0 in every
    trial (or not finite, when what it multiplies is not; see :func:`_expected_net`)."""
    return value is None or (isinstance(value, float) and value == 0.0)


@functools.lru_cache(maxsize=256)
def _mean_hold_days(
    year: int, hours: float, weights: tuple[float, ...], rule: str | None, start_month: int
) -> float:
    """``HoldTable.mean_days`` of the year's :func:`~models.calendar.hold_table`."""
    return hold_table(year, hours, weights, rule, start_month).mean_days


def _expected_net(
    scenario: Scenario, inputs: Mapping[str, Value], year_index: int, size: int
) -> Array:
    """The expected net cost of year ``year_index`` given the drawn inputs, per trial:
    ``total_of(account(scenario, inputs, expected_volumes(...), year_index)[0].values())``
    to the bit, computing only the components the scenario has.

    Each present component is computed by the same operations in the same order as
    :func:`expected_volumes` and :func:`account`, with fixed inputs as floats (the same
    IEEE operations as over arrays of them; powers still over arrays) and products with
    an exact 1.0 (growth and inflation in the first year or at a fixed 0) left out. A
    component whose input is absent or fixed at 0 is 0 in every trial where the volumes
    are finite, and adding 0 (of either sign) to a sum started from +0.0 changes no bit,
    so it is left out; where a trial's sum is not finite, the year is computed as
    :func:`account` does (a skipped term might be NaN there).
    """
    # Floats take part in the same arithmetic as arrays; typed as arrays from here.
    x = cast("Mapping[str, Array]", inputs)
    detainers = _expected_detainers(scenario, x, year_index, size)
    honored = detainers * x["honor_rate"]
    inflation = _grown(x["cost_inflation"], year_index, size)
    # The components that read the people, before honored's array is reused below.
    people = _expected_people_costs(x, detainers, honored, inflation)
    others = _expected_other_costs(x, detainers, honored, inflation)
    lengthened = detainers if scenario.extra_stay_applies_to == "lodged" else honored
    extra_days = lengthened * x["extra_days_per_detainer"]
    mean = _mean_hold_days(
        scenario.start_year + year_index,
        scenario.hold_hours,
        scenario.release_weekday_weights,
        scenario.hold_rule,
        scenario.start_month,
    )
    used, pickup = inputs["hold_window_used"], inputs["ice_pickup_rate"]
    if isinstance(used, float) and used == 1.0 and isinstance(pickup, float):
        hold_days = _product(honored, mean)  # window_share is 1.0, and mean * 1.0 is mean
    else:
        hold_days = _product(honored, mean * window_share(x))
    daily = _times(daily_cost(x), inflation)
    premium = None
    if scenario.rated_beds is not None:
        days_in_year = days_of_year(scenario.start_year + year_index, scenario.start_month)
        bed_days = hold_days + extra_days
        rated = scenario.rated_beds * days_in_year
        above = x["capacity.baseline_adp"] * days_in_year + bed_days - rated
        overflow = np.clip(above, 0.0, bed_days)
        premium = overflow * (_times(x["capacity.overflow_daily_cost"], inflation) - daily)
    hold = _product(hold_days, daily)
    extra = _product(extra_days, daily)
    terms = [hold, extra] if premium is None else [hold, extra, premium]
    terms += people  # in the order of ALL_COMPONENTS
    share = _scaap_share(x)
    if share is not None:
        # Without a premium, hold + extra is (hold + extra) + 0 but for the sign of a
        # zero, which share x (...) and 0.0 - (...) take to +0.0 alike.
        reimbursed = hold + extra if premium is None else hold + extra + premium
        terms.append(0.0 - share * reimbursed)
    terms += others
    # The sum from +0.0 (total_of): 0.0 + hold, in place (this function's array).
    net = np.full(size, 0.0 + hold) if np.ndim(hold) == 0 else np.add(hold, 0.0, out=hold)
    for term in terms[1:]:
        net += term
    # A finite sum has no infinity or NaN in it; an infinite one may be an overflow.
    if not math.isfinite(np.add.reduce(net, axis=None)) and not np.isfinite(net).all():
        arrays = {k: np.full(size, v) if isinstance(v, float) else v for k, v in inputs.items()}
        volumes = expected_volumes(scenario, arrays, year_index)
        return total_of(account(scenario, arrays, volumes, year_index)[0].values())
    return net


def _expected_detainers(
    scenario: Scenario, inputs: Mapping[str, Array], year_index: int, size: int
) -> Array:
    """Expected detainers of the year as :func:`expected_volumes` has them (a float
    when every input of them is); raises as :func:`volume` and
    :func:`expected_detainers` do."""
    growth = _grown(inputs["bookings_growth"], year_index, size)
    grown = f"grown by bookings_growth to year {year_index + 1}"
    if scenario.volume_form is VolumeForm.DETAINERS:
        detainers = _times(inputs["detainers_per_year"], growth)
        what = f"detainers_per_year {grown}" if year_index else "detainers_per_year"
        _countable_value(detainers, ("detainers_per_year",), what)
        return detainers
    # volume(): whole bookings (their int64 form is exact, and so back to float).
    level = np.rint(_times(inputs["bookings_per_year"], growth))
    what = f"bookings_per_year {grown}" if year_index else "bookings_per_year"
    _countable_value(level, ("bookings_per_year",), what)
    return np.asarray(level * detainer_rate(inputs), dtype=np.float64)


def _scaap_share(inputs: Mapping[str, Array]) -> Array | None:
    """The reimbursed share of bed-day costs, None when absent or fixed at 0."""
    if "offsets.scaap_eligible_share" not in inputs:
        return None
    share = inputs["offsets.scaap_eligible_share"] * inputs["offsets.scaap_reimbursement_rate"]
    return None if _is_zero(share) else share


def _expected_people_costs(
    inputs: Mapping[str, Array], detainers: Array, honored: Array, inflation: Array | float
) -> list[Array]:
    """The admin, transport and liability components, those present (see
    :func:`_expected_net`), as :func:`account` computes them."""
    terms = []
    admin = inputs["admin_cost_per_detainer"]
    if not _is_zero(admin):
        terms.append(_times(detainers * admin, inflation))
    transport = inputs["transport_cost_per_transfer"]
    if not _is_zero(transport):
        terms.append(_times(honored * inputs["ice_pickup_rate"] * transport, inflation))
    claims = inputs.get("liability.claims_per_1000_honored")
    per_claim = inputs.get("liability.cost_per_claim")
    if not (_is_zero(claims) or _is_zero(per_claim)):
        assert claims is not None
        assert per_claim is not None
        terms.append(_times(honored * (claims / 1000.0) * per_claim, inflation))
    return terms


def _expected_other_costs(
    inputs: Mapping[str, Array], detainers: Array, honored: Array, inflation: Array | float
) -> list[Array]:
    """The other reimbursement and the instruments' components, those present (see
    :func:`_expected_net`), as :func:`account` computes them."""
    terms = []
    other = inputs.get("offsets.other_reimbursement")
    if other is not None and not _is_zero(other):
        terms.append(0.0 - other)
    payment = inputs.get("payment_per_honored_detainer")
    if payment is not None and not _is_zero(payment):
        terms.append(0.0 - honored * payment)
    hours = inputs.get("staff_hours_per_detainer")
    if hours is not None:
        terms.append(_times(detainers * (hours * inputs["staff_hourly_cost"]), inflation))
    program = inputs.get("program_cost_per_year")
    if program is not None:
        terms.append(_times(program, inflation))
    return terms


def _simulate_years(
    scenario: Scenario,
    inputs: Mapping[str, Array],
    year_rngs: Sequence[np.random.Generator],
    volumes: VolumesFn,
) -> dict[str, Array]:
    """The person-level outputs of every year (see :func:`run_trials`)."""
    size = inputs["honor_rate"].size
    out: dict[str, Array] = {}
    total = np.zeros(size)
    present = np.zeros(size)
    total_avg = np.zeros(size)
    present_avg = np.zeros(size)
    for y, year_rng in enumerate(year_rngs):
        year_inputs = inputs_for_year(scenario, inputs, y)
        v = volumes(scenario, year_inputs, y, rng=year_rng)
        components, net_avg = account(scenario, year_inputs, v, y)
        net = total_of(components.values())
        discount = (1.0 + scenario.discount_rate) ** -y
        total += net
        present += net * discount
        if net_avg is not None:
            total_avg += net_avg
            present_avg += net_avg * discount
        out[f"year:{y}:net_cost"] = net
        out[f"year:{y}:offsets"] = np.sum([components[k] for k in OFFSETS], axis=0)
        out[f"year:{y}:bed_days"] = v.hold_days + v.extra_days
        out[f"year:{y}:detainers"] = v.detainers
        out[f"year:{y}:honored"] = v.honored
        if y == 0:
            out.update({f"component:{k}": c for k, c in components.items()})
            out.update(
                annual_cost=net,
                bed_days=v.hold_days + v.extra_days,
                hold_bed_days=v.hold_days,
                extra_bed_days=v.extra_days,
                detainers=v.detainers,
                honored=v.honored,
                transfers=v.transfers,
            )
            if net_avg is not None:
                out["average:annual_cost"] = net_avg
            if "detainer_days_per_detainer" in inputs:
                out.update(_detainer_days(inputs, v))
    out["total_cost"] = total
    out["present_value"] = present
    if _second_basis(inputs):
        out["average:total_cost"] = total_avg
        out["average:present_value"] = present_avg
    return out


def run_trials(
    scenario: Scenario,
    size: int,
    *,
    rng: np.random.Generator,
    volumes: VolumesFn = year_volumes,
    inputs: Mapping[str, Array] | None = None,
    person_level: bool = True,
) -> dict[str, Array]:
    """Simulate ``size`` trials of every year; return per-trial outputs.

    Keys: year-1 quantities (``annual_cost``, ``bed_days``, ``hold_bed_days``,
    ``extra_bed_days``, ``detainers``, ``honored``, ``transfers``, ``component:NAME``),
    horizon ones (``total_cost``, ``present_value`` and, with an average cost,
    ``average:annual_cost`` ...), per-year ones (``year:K:net_cost`` ...), the expected
    costs given each trial's inputs (``expected:annual_cost``, ``expected:total_cost``)
    and the drawn inputs (``input:NAME``). ``person_level=False`` gives only the last
    two kinds, the same to the bit, without simulating people.
    """
    if not person_level:  # the inputs' streams below the first child, as spawned below
        seq = sampling.seed_sequence(rng)
        values = _parameter_trials(scenario, size, seq, type(rng.bit_generator), inputs)
        return {k: np.full(size, v) if isinstance(v, float) else v for k, v in values.items()}
    param_rng, *year_rngs = rng.spawn(1 + scenario.horizon_years)
    if inputs is None:
        seq, bits = sampling.seed_sequence(param_rng), type(param_rng.bit_generator)
        drawn = _draw_values(scenario, size, seq, (), bits)
    else:
        drawn = dict(inputs)
    drawn = _defaults(drawn)
    arrays = {k: np.full(size, v) if isinstance(v, float) else v for k, v in drawn.items()}
    out: dict[str, Array] = {f"input:{k}": v for k, v in arrays.items()}
    out.update(_simulate_years(scenario, arrays, year_rngs, volumes))
    out.update(_expected_costs(scenario, drawn, size))
    return out


def _parameter_trials(
    scenario: Scenario,
    size: int,
    seq: np.random.SeedSequence | sampling.SeedKey,
    bit_generator: type[np.random.BitGenerator],
    inputs: Mapping[str, Array] | None = None,
    plan: _DrawPlan | None = None,
) -> dict[str, Value]:
    """``run_trials(..., person_level=False)`` of the chunk whose generator is seeded
    from ``seq``, without building that generator or its children but the inputs'
    streams; fixed inputs stay floats (``input:NAME`` of a fixed input is a float)."""
    drawn: dict[str, Value] = (
        _draw_values(scenario, size, seq, (0,), bit_generator, plan)
        if inputs is None
        else dict(inputs)
    )
    drawn = _defaults(drawn)
    out: dict[str, Value] = {f"input:{k}": v for k, v in drawn.items()}
    out.update(_expected_costs(scenario, drawn, size))
    return out


def run(
    scenario: Scenario,
    *,
    rng: np.random.Generator,
    volumes: VolumesFn = year_volumes,
    chunk: int = CHUNK_TRIALS,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    person_level: bool = True,
) -> tuple[Mapping[str, Array], Convergence]:
    """All trials of ``scenario``, ``chunk`` at a time, each chunk on its own stream.

    With ``precision``, stops after the first chunk at which the relative half-widths of
    the 95% CIs of the mean and of the 95th percentile of year-1 net cost are both at or
    below it; ``trials`` is then the cap. ``cancel`` is called before every chunk and
    once after the last (its exception propagates); ``progress(done, total)`` after every
    chunk. ``person_level=False`` skips the simulation of people (see
    :func:`run_trials`); the precision target then applies to the expected year-1 cost.
    """
    count = math.ceil(scenario.trials / chunk)
    # Without people, each chunk's seed sequence only (rng.spawn's, and it advances
    # rng's count of children alike): the chunk builds the inputs' streams alone.
    chunks = rng.spawn(count) if person_level else sampling.seed_sequence(rng).spawn(count)
    return _run_chunks(
        scenario,
        chunks,
        type(rng.bit_generator),
        volumes=volumes,
        chunk=chunk,
        progress=progress,
        cancel=cancel,
    )


def _run_chunks(
    scenario: Scenario,
    chunks: Sequence[np.random.Generator] | Sequence[np.random.SeedSequence | sampling.SeedKey],
    bits: type[np.random.BitGenerator],
    *,
    volumes: VolumesFn = year_volumes,
    chunk: int = CHUNK_TRIALS,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> tuple[Mapping[str, Array], Convergence]:
    """:func:`run` of the chunks' generators (with people) or seed sequences (without:
    the streams below them are built with ``bits``)."""
    person_level = isinstance(chunks[0], np.random.Generator)
    watched = "annual_cost" if person_level else "expected:annual_cost"
    n = scenario.trials
    plan = None if person_level else _DrawPlan.of(scenario)
    parts: list[Mapping[str, Value]] = []
    sizes: list[int] = []
    done = 0
    stopped_by = "trials" if scenario.precision is None else "trial_cap"
    for chunk_seed in chunks:
        if cancel is not None:
            cancel()
        size = min(chunk, n - done)
        if isinstance(chunk_seed, np.random.Generator):
            parts.append(run_trials(scenario, size, rng=chunk_seed, volumes=volumes))
        else:
            parts.append(_parameter_trials(scenario, size, chunk_seed, bits, plan=plan))
        sizes.append(size)
        done += size
        if progress is not None:
            progress(done, n)
        if scenario.precision is not None and done < n:
            annual = np.concatenate([p[watched] for p in parts])
            if max(relative_half_widths(annual)) <= scenario.precision:
                stopped_by = "precision"
                break
    if cancel is not None:
        cancel()
    # Each key joined across chunks when read; the half-widths computed when read
    # (or here, to judge a precision target): a lean result reads few of either.
    samples = ChunkedSamples(parts, sizes)
    widths = HalfWidths(samples[watched])
    if stopped_by == "trial_cap" and max(widths.values()) <= (scenario.precision or 0):
        stopped_by = "precision"
    convergence = Convergence(
        target=scenario.precision,
        trials_run=done,
        trial_cap=n,
        relative_half_width=widths,
        stopped_by=stopped_by,
    )
    return samples, convergence


@overload
def simulate(
    scenario: Mapping[str, Any] | Scenario,
    *,
    rng: Any = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    summaries: None = None,
    percentile_ci: bool = True,
    person_level: bool = True,
) -> SimulationResult: ...


@overload
def simulate(
    scenario: Mapping[str, Any] | Scenario,
    *,
    rng: Any = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    summaries: Sequence[str],
    percentile_ci: bool = True,
    person_level: bool = True,
) -> LeanResult: ...


def simulate(
    scenario: Mapping[str, Any] | Scenario,
    *,
    rng: Any = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    summaries: Sequence[str] | None = None,
    percentile_ci: bool = True,
    person_level: bool = True,
) -> SimulationResult | LeanResult:
    """Simulate the yearly cost of honoring detainers.

    Parameters
    ----------
    scenario : mapping or Scenario
        The scenario (see ``models.scenario.FIELDS``).
    rng : numpy.random.Generator, int or None, keyword-only
        Source of randomness. ``None`` uses the scenario's ``seed`` (so the same
        scenario always gives the same result); anything else is passed to
        ``numpy.random.default_rng`` and the provenance records no seed.
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk of trials.
    cancel : callable, optional
        Called with no arguments between chunks of trials; an exception it raises stops
        the run and propagates (the service stops runs at its deadline this way).
    summaries : sequence of str, optional, keyword-only
        Summarize only these per-trial quantities (keys of ``samples``, listed by
        :func:`sample_keys`: ``annual_cost``, ``component:hold``, ``year:2:net_cost``,
        ``input:daily_cost`` ...) and return a :class:`~models.results.LeanResult`.
        The simulation is the same; each summary equals the full result's to the bit.
        ``None`` (the default, and what the service uses) gives the full result.
    percentile_ci : bool, default True, keyword-only
        Whether summaries carry each percentile's 95% confidence interval (the
        order-statistic bounds); without it ``percentile_ci95`` is empty and every
        other figure is unchanged.
    person_level : bool, default True, keyword-only
        ``False`` draws the inputs and computes the expected costs given them
        (``expected:annual_cost``, ``expected:total_cost``: the parameter range) without
        simulating people: the fast parameter-level path. It needs ``summaries`` naming
        only those keys or drawn inputs; each summary equals the full run's to the bit.

    Returns
    -------
    SimulationResult or LeanResult
        ``LeanResult`` when ``summaries`` is given.

    Raises
    ------
    ScenarioError
        When the scenario is invalid; it names every field at fault.
    ValueError
        When ``summaries`` names a quantity this scenario does not produce (before
        simulating), or is a single string rather than a sequence of them.
    """
    sc = parse_scenario(scenario)
    if summaries is not None:
        summaries = _check_summaries(sc, summaries, person_level=person_level)
    elif not person_level:
        raise ValueError("person_level=False needs summaries (expected:* or input:* keys)")
    seed = sc.seed if rng is None else None
    if rng is None and not person_level:
        # default_rng(seed)'s seed sequence, without the generator run() would only
        # spawn the chunks' seed sequences from.
        root = sampling.SeedKey(sc.seed)
        chunks = root.children(math.ceil(sc.trials / CHUNK_TRIALS))
        samples, convergence = _run_chunks(
            sc, chunks, np.random.PCG64, progress=progress, cancel=cancel
        )
    else:
        generator = np.random.default_rng(sc.seed if rng is None else rng)
        samples, convergence = run(
            sc, rng=generator, progress=progress, cancel=cancel, person_level=person_level
        )
    if summaries is not None:
        return lean_result(sc, samples, seed, convergence, summaries, percentile_ci=percentile_ci)
    return build_result(sc, samples, seed, convergence, percentile_ci=percentile_ci)


def sample_keys(scenario: Scenario, *, person_level: bool = True) -> tuple[str, ...]:
    """Keys of the per-trial values (``samples``) that simulating ``scenario`` gives.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    tuple of str
        Drawn inputs (``input:NAME``), year-1 quantities and components, horizon
        totals, the average basis when both daily costs are given, detainer-days when
        ``detainer_days_per_detainer`` is given, and each
        year's ``year:K:net_cost``, ``bed_days``, ``detainers``, ``honored``,
        ``offsets`` (the sum of ``OFFSETS``, negative), then the
        expected costs given the inputs (``EXPECTED_KEYS``). With
        ``person_level=False``, the drawn inputs and the expected costs only.
    """
    drawn = {n for n in UNCERTAIN if n in scenario.params} | {"bookings_growth", "cost_inflation"}
    keys = [f"input:{n}" for n in UNCERTAIN if n in drawn]
    keys += [f"input:{k}" for k in scheduled_keys(scenario)]
    if not person_level:
        return (*keys, *EXPECTED_KEYS)
    keys += [k for k in PER_TRIAL_KEYS] + [f"component:{c}" for c in ALL_COMPONENTS]
    if _second_basis(scenario.params):
        keys += [f"average:{k}" for k in ("annual_cost", "total_cost", "present_value")]
    if "detainer_days_per_detainer" in scenario.params:
        keys += list(DETAINER_DAYS_KEYS)
    for y in range(scenario.horizon_years):
        keys += [f"year:{y}:{q}" for q in (*_YEAR_QUANTITIES, "offsets")]
    return (*keys, *EXPECTED_KEYS)


def _check_summaries(
    sc: Scenario, summaries: Sequence[str], *, person_level: bool = True
) -> tuple[str, ...]:
    if isinstance(summaries, str):
        raise ValueError(f"summaries: give a sequence of keys, e.g. ({summaries!r},)")
    always = EXPECTED_KEYS if not person_level else (*PER_TRIAL_KEYS, *EXPECTED_KEYS)
    if all(k in always for k in summaries):  # keys every scenario gives
        return tuple(dict.fromkeys(summaries))
    given = sample_keys(sc, person_level=person_level)
    known = set(given)
    unknown = [k for k in summaries if k not in known]
    if unknown:
        how = "" if person_level else " without person-level simulation"
        raise ValueError(
            f"summaries: this scenario gives no per-trial {', '.join(map(repr, unknown))}"
            f"{how}; it gives {', '.join(given)}"
        )
    return tuple(dict.fromkeys(summaries))


#: Per-year quantities; year 0's are the same per-trial values as these year-1 keys.
_YEAR_QUANTITIES = {
    "net_cost": "annual_cost",
    "bed_days": "bed_days",
    "detainers": "detainers",
    "honored": "honored",
}


def _summarizer(
    sc: Scenario, samples: Mapping[str, Array], *, percentile_ci: bool
) -> Callable[[str], Summary]:
    """``s(key)``: the summary of ``samples[key]``, each quantity summarized once.

    Year 0's per-year values are the year-1 ones (``run_trials`` stores the same
    values under both keys); when their bits agree the year-1 summary is reused.
    """
    done: dict[str, Summary] = {}

    def twin(key: str) -> str:
        parts = key.split(":")
        if len(parts) == 3 and parts[0] == "year" and parts[1] == "0":
            other = _YEAR_QUANTITIES.get(parts[2])
            if other is not None and np.array_equal(
                samples[key].view(np.uint64), samples[other].view(np.uint64)
            ):
                return other
        return key

    def s(key: str) -> Summary:
        key = twin(key)
        if key not in done:
            done[key] = summarize(samples[key], sc.percentiles, percentile_ci=percentile_ci)
        return done[key]

    return s


def _provenance(sc: Scenario, seed: int | None, convergence: Convergence) -> Provenance:
    return Provenance(
        model_version=__version__,
        numpy_version=np.__version__,
        scipy_version=scipy.__version__,
        seed=seed,
        scenario_sha256=sc.sha256,
        trials=convergence.trials_run,
        sampling=sc.sampling,
        start_year=sc.start_year,
        hold_rule=sc.hold_rule or "form_in_force",
        extra_stay_applies_to=sc.extra_stay_applies_to,
        description=_text(sc.canonical.get("description")),
        input_notes=_input_notes(sc),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


#: Each scenario's input notes by its hash (they are read from the canonical form it
#: hashes): a scenario parsed once and simulated again reads them once.
_NOTES: dict[str, dict[str, str]] = {}
_NOTES_MAX = 256


def _input_notes(sc: Scenario) -> dict[str, str]:
    """Each input's ``note`` as the canonical scenario gives it, by dotted name (a
    portfolio's total, whose canonical form lists its members, has none)."""
    notes = _NOTES.get(sc.sha256)
    if notes is None:
        notes = _read_notes(sc)
        if len(_NOTES) >= _NOTES_MAX:
            _NOTES.clear()
        _NOTES[sc.sha256] = notes
    return dict(notes)


def _read_notes(sc: Scenario) -> dict[str, str]:
    notes = {}
    for name in sorted(sc.params):
        node: object = sc.canonical
        for part in name.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and isinstance(note := node.get("note"), str):
            notes[name] = note
    return notes


def lean_result(
    sc: Scenario,
    samples: Mapping[str, Array],
    seed: int | None,
    convergence: Convergence,
    keys: Sequence[str],
    *,
    percentile_ci: bool = True,
) -> LeanResult:
    """Summarize only ``keys`` of the per-trial samples into a :class:`LeanResult`."""
    s = _summarizer(sc, samples, percentile_ci=percentile_ci)
    return LeanResult(
        name=sc.name,
        trials=convergence.trials_run,
        summaries={k: s(k) for k in keys},
        provenance=_provenance(sc, seed, convergence),
        convergence=convergence,
        samples=samples,
    )


def build_result(
    sc: Scenario,
    samples: Mapping[str, Array],
    seed: int | None,
    convergence: Convergence,
    *,
    percentile_ci: bool = True,
) -> SimulationResult:
    """Summarize per-trial samples into a :class:`SimulationResult`.

    Each quantity is summarized once (year 0's per-year summaries are the year-1 ones);
    ``percentile_ci=False`` leaves every ``percentile_ci95`` empty.
    """
    pct = sc.percentiles
    s = _summarizer(sc, samples, percentile_ci=percentile_ci)

    def derived(values: Array) -> Summary:
        return summarize(values, pct, percentile_ci=percentile_ci)

    annual = samples["annual_cost"]
    month = sc.start_month
    first_beds = derived(beds_occupied(samples["bed_days"], sc.start_year, month))

    def year(y: int) -> YearSummary:
        net, offsets = samples[f"year:{y}:net_cost"], samples[f"year:{y}:offsets"]
        return YearSummary(
            year=sc.start_year + y,
            label=sc.year_label(sc.start_year + y),
            hold_rule=year_hold_rule(sc.start_year + y, sc.hold_rule, month),
            gross_cost=derived(net - offsets),
            offsets=s(f"year:{y}:offsets"),
            beds_occupied=first_beds
            if y == 0 and s(f"year:{y}:bed_days") is s("bed_days")
            else derived(beds_occupied(samples[f"year:{y}:bed_days"], sc.start_year + y, month)),
            **{q: s(f"year:{y}:{q}") for q in _YEAR_QUANTITIES},
        )

    mean_honored = float(np.mean(samples["honored"]))
    detainer_days = {k: s(k) if k in samples else None for k in DETAINER_DAYS_KEYS}
    average_basis = None
    if "average:annual_cost" in samples:
        average_basis = {
            k: s(f"average:{k}") for k in ("annual_cost", "total_cost", "present_value")
        }
    return SimulationResult(
        name=sc.name,
        trials=convergence.trials_run,
        annual_cost=s("annual_cost"),
        total_cost=s("total_cost"),
        present_value=s("present_value"),
        bed_days=s("bed_days"),
        hold_bed_days=s("hold_bed_days"),
        extra_bed_days=s("extra_bed_days"),
        detainers=s("detainers"),
        honored=s("honored"),
        transfers=s("transfers"),
        components={k: s(f"component:{k}") for k in result_components(samples)},
        cost_basis=cost_basis(sc.params),
        parameter_range={k.split(":")[1]: s(k) for k in EXPECTED_KEYS},
        average_basis=average_basis,
        detainer_bed_days=detainer_days["detainer_bed_days"],
        detainer_days_cost=detainer_days["detainer_days_cost"],
        years=tuple(year(y) for y in range(sc.horizon_years)),
        exceedance=tuple(Exceedance(t, float(np.mean(annual > t))) for t in sc.thresholds),
        per_capita_cost=None if sc.population is None else derived(annual / sc.population),
        budget_share=None if sc.annual_budget is None else derived(annual / sc.annual_budget),
        cost_per_honored_detainer=None
        if mean_honored == 0
        else float(np.mean(annual)) / mean_honored,
        average_beds_occupied=first_beds,
        provenance=_provenance(sc, seed, convergence),
        convergence=convergence,
        samples=samples,
    )
