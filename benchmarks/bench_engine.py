"""Engine speed: cost per trial by county size, against per-person simulation and
against the floor of drawing the same random variates bare.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_engine.py``). Every figure
of one run is printed as a Markdown table; docs/benchmarks.md records one run. Times
are the best of several repeats (``time.perf_counter``), so they are the least
disturbed by other work on the machine. Targets (issue 2): per-trial cost flat in
county size (1e7 vs 1e3 bookings within 1.2x); at least 1,000x faster than per-person
simulation at 100,000 bookings; within 3x of the floor.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy

from models import parse_scenario, simulate
from models.calendar import hold_table
from models.engine import IRWIN_HALL_EXACT_MAX
from models.reference import simulate_reference

TRIALS = 10_000


def county(bookings: int, trials: int = TRIALS) -> dict[str, Any]:
    """The benchmark county: bookings thinned to detainers, the usual uncertainties."""
    return {
        "bookings_per_year": bookings,
        "detainer_rate": {"dist": "beta", "mean": 0.014, "sd": 0.003},
        "honor_rate": 0.9,
        "ice_pickup_rate": 0.7,
        "extra_days_per_detainer": {"dist": "pert", "low": 20, "mode": 25, "high": 73},
        "extra_days_cv": 1.0,
        "daily_cost": {"dist": "uniform", "low": 55, "high": 142},
        "start_year": 2026,
        "trials": trials,
    }


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """Smallest wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def floor(bookings: int, trials: int) -> None:
    """The same random variates the engine draws for ``county``, drawn bare."""
    rng = np.random.default_rng(1)
    sc = parse_scenario(county(bookings, trials))
    table = hold_table(2026, 48.0, (1.0,) * 7)
    k = 0.014 * 0.986 / 0.003**2 - 1  # beta(mean, sd) -> a = mean k, b = (1 - mean) k
    rate = rng.beta(0.014 * k, 0.986 * k, trials)  # detainer_rate
    extra_mean = 20 + 53 * rng.beta(1.4, 4.4, trials)  # pert
    rng.uniform(55, 142, trials)  # daily_cost
    detainers = rng.binomial(bookings, rate)
    honored = rng.binomial(detainers, sc.params["honor_rate"].mean())
    rng.binomial(honored, 0.7)
    counts = rng.multinomial(honored, table.probabilities)
    weekend = counts[:, table.n_business :].sum(axis=1)
    small = weekend <= IRWIN_HALL_EXACT_MAX
    rng.random(int(weekend[small].sum()))
    rng.normal(0.0, 1.0, int((~small).sum()))
    rng.gamma(np.maximum(honored, 1), extra_mean)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--reference-trials", type=int, default=20)
    args = parser.parse_args()

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}"
        f", {platform.machine()}; {TRIALS:,} trials, best of {args.repeats}\n"
    )
    print("| bookings a year | engine s / 10k trials | us per trial | floor s | engine / floor |")
    print("|---:|---:|---:|---:|---:|")
    per_trial = {}
    for bookings in (1_000, 100_000, 10_000_000):
        t_engine = best_of(lambda b=bookings: simulate(county(b)), args.repeats)
        t_floor = best_of(lambda b=bookings: floor(b, TRIALS), args.repeats)
        per_trial[bookings] = t_engine / TRIALS
        print(
            f"| {bookings:,} | {t_engine:.4f} | {1e6 * t_engine / TRIALS:.2f} | "
            f"{t_floor:.4f} | {t_engine / t_floor:.2f}x |"
        )
    print(
        f"\nflatness: 1e7 vs 1e3 bookings per trial = "
        f"{per_trial[10_000_000] / per_trial[1_000]:.3f}x"
    )

    n_ref = args.reference_trials
    t_ref = best_of(lambda: simulate_reference(county(100_000, n_ref)), 1) / n_ref
    print(
        f"per-person reference at 100,000 bookings: {1e3 * t_ref:.1f} ms per trial "
        f"({n_ref} trials); engine {1e6 * per_trial[100_000]:.2f} us per trial; "
        f"engine is {t_ref / per_trial[100_000]:,.0f}x faster"
    )


if __name__ == "__main__":
    main()
