"""The same county model and trial count in this engine and in what a user would
otherwise write: a plain per-person numpy simulation, monaco, and squigglepy.

Run: ``make bench`` (installs the ``bench`` extra with the peers), or
``.venv/bin/python benchmarks/bench_peers.py [--trials N]``. One run; the figures and
ratios go to docs/benchmarks.md.

The county: 100,000 bookings a year thinned by a beta detainer rate (mean 1.4%, sd 0.3
points), 90% honored, 70% picked up, extra stay per person gamma with cv 1 around a PERT
mean (20, 25, 73 days), a uniform daily cost ($55-$142), and the 48-business-hour hold on
the 2026 calendar. Each peer computes the same quantities per trial (people drawn one by
one, as a user of that tool would write it); the hold uses the same calendar table.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
from scipy import stats

from benchmarks.bench_engine import county
from models import simulate
from models.calendar import business_days, hold_duration, release_date_probabilities

BOOKINGS = 100_000
RATE = stats.beta(0.014 * (0.014 * 0.986 / 0.003**2 - 1), 0.986 * (0.014 * 0.986 / 0.003**2 - 1))
EXTRA = stats.beta(1 + 4 * 5 / 53, 1 + 4 * 48 / 53, loc=20, scale=53)  # PERT(20, 25, 73)
DAILY = stats.uniform(55, 87)


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


def one_trial(rate: float, extra_mean: float, daily: float, rng: np.random.Generator) -> float:
    """Year-1 cost of one trial, person by person (the peers' shared inner model)."""
    detainers = int(np.count_nonzero(rng.random(BOOKINGS) < rate))
    honored = int(np.count_nonzero(rng.random(detainers) < 0.9))
    rng.random(honored)  # pickup (transfers do not change the bed cost)
    day = rng.choice(PROBS.size, size=honored, p=PROBS)
    u = rng.random(honored)
    hold = np.where(BUSINESS[day], LENGTH[day], OFFSET[day] - u).sum()
    extra = rng.gamma(1.0, extra_mean, size=honored).sum()  # cv 1: shape 1
    return float((hold + extra) * daily)


def plain_numpy(trials: int) -> float:
    rng = np.random.default_rng(1)
    rates = RATE.rvs(trials, random_state=rng)
    means = EXTRA.rvs(trials, random_state=rng)
    dailies = DAILY.rvs(trials, random_state=rng)
    costs = [one_trial(r, m, d, rng) for r, m, d in zip(rates, means, dailies, strict=True)]
    return float(np.mean(costs))


def with_monaco(trials: int) -> float:
    import monaco as mc

    def preprocess(case: Any) -> tuple[Any, ...]:
        return (
            case.invals["rate"].val,
            case.invals["extra"].val,
            case.invals["daily"].val,
            case.seed,
        )

    def run(rate: float, extra: float, daily: float, seed: int) -> float:
        return one_trial(rate, extra, daily, np.random.default_rng(seed))

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
    return float(np.mean(sim.outvars["cost"].nums))


def with_squigglepy(trials: int) -> float:
    import squigglepy as sq

    rng = np.random.default_rng(1)
    rate = sq.beta(RATE.args[0], RATE.args[1])
    extra_shape = sq.beta(EXTRA.args[0], EXTRA.args[1])
    daily = sq.uniform(55, 142)

    def model() -> float:
        return one_trial(~rate, 20 + 53 * ~extra_shape, ~daily, rng)

    return float(np.mean(sq.sample(model, n=trials, verbose=False)))


def engine(trials: int) -> float:
    return simulate(
        {**county(BOOKINGS, trials), "start_year": 2026, "ice_pickup_rate": 0.7}
    ).annual_cost.mean


def timed(fn: Any, trials: int) -> tuple[float, float]:
    start = time.perf_counter()
    mean = fn(trials)
    return time.perf_counter() - start, mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    args = parser.parse_args()
    n = args.trials
    rows = [
        ("detainer-cost engine", engine),
        ("plain per-person numpy", plain_numpy),
        ("monaco", with_monaco),
        ("squigglepy", with_squigglepy),
    ]
    results = [(name, *timed(fn, n)) for name, fn in rows]
    base = results[0][1]
    print(f"{n:,} trials, 100,000 bookings a year, one run\n")
    print("| implementation | seconds | per trial (us) | mean year-1 cost | x engine time |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds, mean in results:
        print(
            f"| {name} | {seconds:.3f} | {1e6 * seconds / n:,.1f} | ${mean:,.0f} | "
            f"{seconds / base:,.0f}x |"
        )


if __name__ == "__main__":
    main()
