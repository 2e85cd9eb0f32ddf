"""The same county model and trial count in this engine and in what a user would
otherwise write with numpy, monaco or squigglepy, in two formulations.

Run: ``make bench`` (installs the ``bench`` extra with the peers), or
``PYTHONPATH=. .venv/bin/python benchmarks/bench_peers.py [--trials N] [--repeats R]``.
One run; the figures and ratios go to docs/benchmarks.md.

The county: 100,000 bookings a year thinned by a beta detainer rate (mean 1.4%, sd 0.3
points), 90% honored, 70% picked up, extra stay per person gamma with cv 1 around a PERT
mean (20, 25, 73 days), a uniform daily cost ($55-$142), and the 48-business-hour hold on
the 2026 calendar (``hold_rule`` business_hours, so that every row models the same hold as
the figures recorded before the I-247A's clock-hours rule became the default for 2026).

Two formulations of it, each written as a user of each tool would:

- **person-level**: every trial draws its people one by one (who gets a detainer, who
  is honored and picked up, each person's release date, time of day and extra stay);
  the shared inner model is :func:`one_trial`.
- **parameter-level**: year-1 cost = bookings x detainer rate x 90% x (mean hold days +
  mean extra days) x daily cost, one vectorized expression per trial of the uncertain
  inputs (:func:`expected_cost`). It has the same expected value but leaves out the
  person-level chance (its spread is parameter uncertainty only) and uses the mean hold
  length of the calendar instead of drawing release dates.

The engine simulates the person-level model in aggregate (binomial and multinomial
counts, one gamma draw per trial). Its rows: the full result (what the service returns),
and its cheapest honest path for the year-1 cost question: ``summaries=("annual_cost",)``
without percentile CIs, with the scenario given as a mapping (parsed on each call) and
already parsed; and its parameter-level path (``person_level=False``: the expected cost
given each trial's inputs in closed form, the result's ``parameter_range``), the same
question the parameter-level peers answer. ``floor`` draws the engine's random variates
bare (benchmarks/bench_engine.py). Each implementation ends with the same user summary
of its per-trial costs (mean, sd, p5, p50, p95 with numpy; the engine's own summary for its rows).
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy
from scipy import stats

from benchmarks.bench_engine import county, floor
from models import parse_scenario, simulate
from models.calendar import business_days, hold_duration, hold_table, release_date_probabilities
from models.results import Summary

BOOKINGS = 100_000
HONOR = 0.9
RATE = stats.beta(0.014 * (0.014 * 0.986 / 0.003**2 - 1), 0.986 * (0.014 * 0.986 / 0.003**2 - 1))
EXTRA = stats.beta(1 + 4 * 5 / 53, 1 + 4 * 48 / 53, loc=20, scale=53)  # PERT(20, 25, 73)
DAILY = stats.uniform(55, 87)
PERCENTILES = (5.0, 50.0, 95.0)

#: What every implementation returns: mean, sd and the p5, p50, p95 of year-1 cost.
Stats = tuple[float, float, float, float, float]


def calendar_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per date of 2026: probability, business flag, hold length (business) or end
    offset (non-business), for per-person draws."""
    business = business_days(2026)
    probs = release_date_probabilities(2026, (1.0,) * 7)
    days = np.arange(probs.size)
    length = np.array([hold_duration(d + 0.5, 48.0, business) for d in days])
    offset = np.array([hold_duration(float(d), 48.0, business) for d in days])
    return probs, business[: probs.size], length, offset


PROBS, BUSINESS, LENGTH, OFFSET = calendar_table()
#: Mean calendar days of one 48-hour hold in 2026 (time of day uniform): what the
#: parameter-level formulation uses instead of drawing release dates.
HOLD_MEAN = float(PROBS @ np.where(BUSINESS, LENGTH, OFFSET - 0.5))


def user_summary(costs: np.ndarray) -> Stats:
    """What a user of any peer computes from the per-trial costs."""
    p5, p50, p95 = np.percentile(costs, PERCENTILES)
    return (float(np.mean(costs)), float(np.std(costs, ddof=1)), p5, p50, p95)


def engine_summary(s: Summary) -> Stats:
    p = s.percentiles
    return (s.mean, s.sd, p["p5"], p["p50"], p["p95"])


# --- person-level -------------------------------------------------------------------


def one_trial(rate: float, extra_mean: float, daily: float, rng: np.random.Generator) -> float:
    """Year-1 cost of one trial, person by person (the person-level peers' inner model)."""
    detainers = int(np.count_nonzero(rng.random(BOOKINGS) < rate))
    honored = int(np.count_nonzero(rng.random(detainers) < HONOR))
    rng.random(honored)  # pickup (transfers do not change the bed cost)
    day = rng.choice(PROBS.size, size=honored, p=PROBS)
    u = rng.random(honored)
    hold = np.where(BUSINESS[day], LENGTH[day], OFFSET[day] - u).sum()
    extra = rng.gamma(1.0, extra_mean, size=honored).sum()  # cv 1: shape 1
    return float((hold + extra) * daily)


def numpy_person(trials: int) -> Stats:
    rng = np.random.default_rng(1)
    rates = RATE.rvs(trials, random_state=rng)
    means = EXTRA.rvs(trials, random_state=rng)
    dailies = DAILY.rvs(trials, random_state=rng)
    costs = [one_trial(r, m, d, rng) for r, m, d in zip(rates, means, dailies, strict=True)]
    return user_summary(np.asarray(costs))


def _monaco(trials: int, run: Callable[..., float]) -> Stats:
    import monaco as mc

    def preprocess(case: Any) -> tuple[Any, ...]:
        return (
            case.invals["rate"].val,
            case.invals["extra"].val,
            case.invals["daily"].val,
            case.seed,
        )

    def postprocess(case: Any, cost: float) -> None:
        case.addOutVal("cost", cost)

    sim = mc.Sim(
        name="county",
        ndraws=trials,
        seed=1,
        singlethreaded=True,
        verbose=False,
        samplemethod="random",
        fcns={
            mc.SimFunctions.PREPROCESS: preprocess,
            mc.SimFunctions.RUN: run,
            mc.SimFunctions.POSTPROCESS: postprocess,
        },
    )
    sim.addInVar(name="rate", dist=stats.beta, distkwargs={"a": RATE.args[0], "b": RATE.args[1]})
    sim.addInVar(
        name="extra",
        dist=stats.beta,
        distkwargs={"a": EXTRA.args[0], "b": EXTRA.args[1], "loc": 20, "scale": 53},
    )
    sim.addInVar(name="daily", dist=stats.uniform, distkwargs={"loc": 55, "scale": 87})
    sim.runSim()
    return user_summary(np.asarray(sim.outvars["cost"].nums, dtype=np.float64))


def monaco_person(trials: int) -> Stats:
    def run(rate: float, extra: float, daily: float, seed: int) -> float:
        return one_trial(rate, extra, daily, np.random.default_rng(seed))

    return _monaco(trials, run)


def squigglepy_person(trials: int) -> Stats:
    import squigglepy as sq

    sq.set_seed(1)
    rng = np.random.default_rng(1)
    rate = sq.beta(RATE.args[0], RATE.args[1])
    extra_shape = sq.beta(EXTRA.args[0], EXTRA.args[1])
    daily = sq.uniform(55, 142)

    def model() -> float:
        return one_trial(~rate, 20 + 53 * ~extra_shape, ~daily, rng)

    return user_summary(np.asarray(sq.sample(model, n=trials, verbose=False)))


# --- parameter-level ----------------------------------------------------------------


def expected_cost(rate: Any, extra_mean: Any, daily: Any) -> Any:
    """Year-1 cost from expected counts: bookings x rate x honored share x days x cost.

    Works on floats, numpy arrays and squigglepy distributions alike.
    """
    return BOOKINGS * rate * HONOR * (HOLD_MEAN + extra_mean) * daily


def numpy_parameter(trials: int) -> Stats:
    rng = np.random.default_rng(1)
    rates = RATE.rvs(trials, random_state=rng)
    means = EXTRA.rvs(trials, random_state=rng)
    dailies = DAILY.rvs(trials, random_state=rng)
    return user_summary(expected_cost(rates, means, dailies))


def monaco_parameter(trials: int) -> Stats:
    def run(rate: float, extra: float, daily: float, seed: int) -> float:
        return float(expected_cost(rate, extra, daily))

    return _monaco(trials, run)


def squigglepy_parameter(trials: int) -> Stats:
    """Each input sampled by squigglepy, the expression evaluated by numpy (the faster
    of the two squigglepy forms; the yardstick of the ratios)."""
    import squigglepy as sq

    sq.set_seed(1)
    rate = sq.sample(sq.beta(RATE.args[0], RATE.args[1]), n=trials, verbose=False)
    shape = sq.sample(sq.beta(EXTRA.args[0], EXTRA.args[1]), n=trials, verbose=False)
    daily = sq.sample(sq.uniform(55, 142), n=trials, verbose=False)
    return user_summary(expected_cost(rate, 20 + 53 * shape, daily))


def squigglepy_parameter_arithmetic(trials: int) -> Stats:
    """The expression built from squigglepy distributions and sampled as one model
    (squigglepy samples every constant in it with a Python loop over the trials)."""
    import squigglepy as sq

    sq.set_seed(1)
    rate = sq.beta(RATE.args[0], RATE.args[1])
    extra_mean = 20 + 53 * sq.beta(EXTRA.args[0], EXTRA.args[1])
    daily = sq.uniform(55, 142)
    cost = expected_cost(rate, extra_mean, daily)
    return user_summary(np.asarray(sq.sample(cost, n=trials, verbose=False)))


# --- the engine ---------------------------------------------------------------------


def scenario(bookings: int, trials: int) -> dict[str, Any]:
    """The benchmark county on the business-hours hold (see the module docstring)."""
    return {**county(bookings, trials), "hold_rule": "business_hours"}


def engine_full(trials: int) -> Stats:
    return engine_summary(simulate(scenario(BOOKINGS, trials)).annual_cost)


def engine_lean(trials: int) -> Stats:
    result = simulate(scenario(BOOKINGS, trials), summaries=("annual_cost",), percentile_ci=False)
    return engine_summary(result.summaries["annual_cost"])


def engine_lean_parsed(trials: int, _cache: dict[int, Any] = {}) -> Stats:  # noqa: B006
    if trials not in _cache:
        _cache[trials] = parse_scenario(scenario(BOOKINGS, trials))
    sc = _cache[trials]
    result = simulate(sc, summaries=("annual_cost",), percentile_ci=False)
    return engine_summary(result.summaries["annual_cost"])


def engine_parameter(trials: int, _cache: dict[int, Any] = {}) -> Stats:  # noqa: B006
    """The engine's parameter-level path: the expected year-1 cost given each trial's
    drawn inputs (``person_level=False``), the scenario parsed once, no percentile CIs."""
    if trials not in _cache:
        _cache[trials] = parse_scenario(scenario(BOOKINGS, trials))
    result = simulate(
        _cache[trials],
        summaries=("expected:annual_cost",),
        percentile_ci=False,
        person_level=False,
    )
    return engine_summary(result.summaries["expected:annual_cost"])


def engine_floor(trials: int) -> Stats:
    floor(BOOKINGS, trials)
    return (float("nan"),) * 5


def chance_spread(bookings: int, trials: int) -> tuple[float, float]:
    """sd of year-1 cost with and without the person-level chance, on the same input
    draws: the full range and the parameter range of one engine run."""
    result = simulate(scenario(bookings, trials))
    return result.annual_cost.sd, result.parameter_range["annual_cost"].sd


Row = tuple[str, str, Callable[[int], Stats], bool]
FULL = "engine, full result (the service's)"
LEAN = "engine, annual_cost only, no percentile CIs"
EXPECTED = "engine, parameter level (person_level=False), parsed once, lean"

#: (formulation, implementation, function, repeated): repeated rows are timed best of
#: ``--repeats``, interleaved round by round; the slow person-level peers run once.
ROWS: tuple[Row, ...] = (
    ("parameter", "bare numpy", numpy_parameter, True),
    ("parameter", "squigglepy, inputs sampled, numpy arithmetic", squigglepy_parameter, True),
    (
        "parameter",
        "squigglepy, distribution arithmetic",
        squigglepy_parameter_arithmetic,
        True,
    ),
    ("parameter", "monaco", monaco_parameter, True),
    ("engine", FULL, engine_full, True),
    ("engine", LEAN, engine_lean, True),
    ("engine", "engine, the same, scenario parsed once", engine_lean_parsed, True),
    ("engine", "floor: the engine's random variates drawn bare", engine_floor, True),
    ("engine", EXPECTED, engine_parameter, True),
    ("person", "plain numpy", numpy_person, False),
    ("person", "monaco", monaco_person, False),
    ("person", "squigglepy", squigglepy_person, False),
)


def timed(
    fn: Callable[[int], Stats], trials: int, clock: Callable[[], float] = time.perf_counter
) -> tuple[float, Stats]:
    start = clock()
    out = fn(trials)
    return clock() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-person", action="store_true", help="skip the slow rows")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time, or this process's CPU time (less disturbed on a shared machine)",
    )
    parser.add_argument(
        "--rotate",
        action="store_true",
        help="start each round one row later, so that no row always follows the same "
        "one (a row run after a heavy one is slowed by what that one left in the caches "
        "and the heap)",
    )
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    n = args.trials
    rows = [r for r in ROWS if r[3] or not args.skip_person]
    for _, _, fn, _ in rows[:3]:
        fn(min(n, 100))  # imports and first-call set-up out of the timings
    engine_lean(n)
    best: dict[str, float] = {}
    result: dict[str, Stats] = {}
    for round_ in range(args.repeats):
        shift = round_ % len(rows) if args.rotate else 0
        for formulation, name, fn, repeated in rows[shift:] + rows[:shift]:
            key = f"{formulation}:{name}"
            if not repeated and round_ > 0:
                continue
            seconds, out = timed(fn, n, clock)
            best[key] = min(best.get(key, seconds), seconds)
            result[key] = out
    lean = best["engine:" + LEAN]
    full = best["engine:" + FULL]
    squiggle = best["parameter:squigglepy, inputs sampled, numpy arithmetic"]
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}"
        f", {platform.machine()}; {n:,} trials, {BOOKINGS:,} bookings a year; fast rows best "
        f"of {args.repeats} (interleaved{', rotated' if args.rotate else ''}), person-level "
        f"rows once; {args.clock} time\n"
    )
    print(
        "| formulation | implementation | per trial (us) | x squigglepy parameter-level "
        "| x engine lean | mean | sd | p95 |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for formulation, name, _, _ in rows:
        key = f"{formulation}:{name}"
        seconds = best[key]
        mean, sd, _, _, p95 = result[key]
        figures = "| | | |" if np.isnan(mean) else f"| ${mean:,.0f} | ${sd:,.0f} | ${p95:,.0f} |"
        print(
            f"| {formulation} | {name} | {1e6 * seconds / n:,.2f} | {seconds / squiggle:,.1f}x "
            f"| {seconds / lean:,.2f}x {figures}"
        )
    print(f"\nmean hold of one person (calendar 2026, 48 h): {HOLD_MEAN:.4f} days")
    for bookings in (1_000, BOOKINGS):
        with_chance, without = chance_spread(bookings, n)
        print(
            f"sd of year-1 cost at {bookings:,} bookings, same input draws: full range "
            f"${with_chance:,.0f}, parameter range ${without:,.0f} ({with_chance / without:.3f}x)"
        )
    engine_hold = hold_table(2026, 48.0, (1.0,) * 7, "business_hours").mean_days
    print(f"the engine's mean hold (HoldTable.mean_days): {engine_hold:.4f} days")
    print(
        f"engine lean / squigglepy parameter-level: {lean / squiggle:.2f}x; "
        f"engine full / engine lean: {full / lean:.2f}x; "
        f"engine parameter level / squigglepy: {best['engine:' + EXPECTED] / squiggle:.2f}x"
    )


if __name__ == "__main__":
    main()
