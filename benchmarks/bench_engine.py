"""Engine speed: cost per trial by county size, against per-person simulation and
against the floor of drawing the same random variates bare.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_engine.py``). Every figure
of one run is printed as a Markdown table; docs/benchmarks.md records one run. Times
are the best of several repeats (``time.perf_counter``, or ``--clock cpu``), the least
disturbed by other work on the machine. Targets (issue 2): per-trial cost flat in
county size (1e7 vs 1e3 bookings within 1.2x); at least 1,000x faster than per-person
simulation at 100,000 bookings; within 3x of the floor.

Issue 10 adds where the time of one 100,000-booking run goes: parsing, the simulation
(``models.engine.run``), and the summaries, as they are (one sort per quantity, ranks
cached, year 1 not summarized twice) and as they were (one ``numpy.partition`` per
quantity and ``binom.ppf`` ranks computed afresh for each); and the lean results.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import scipy
from numpy.typing import NDArray

from benchmarks.reference import simulate_reference
from models import parse_scenario, simulate
from models.calendar import hold_table
from models.engine import IRWIN_HALL_EXACT_MAX, build_result, run
from models.results import ci_ranks, lerp

TRIALS = 10_000
#: The clock of every timing: wall time, or with ``--clock cpu`` this process's CPU
#: time (``time.process_time``), which other work on a shared machine disturbs less.
CLOCK: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def simulate_county(bookings: int) -> object:
    """The engine on the benchmark county."""
    return simulate(county(bookings))


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
        start = clock()
        fn()
        times.append(clock() - start)
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


def summarize_before(values: NDArray[np.float64], percentiles: tuple[float, ...]) -> object:
    """The figures of ``models.results.summarize`` computed as before issue 10."""
    x = np.asarray(values, dtype=np.float64)
    n = x.size
    qs = np.asarray(percentiles) / 100.0
    position = qs * (n - 1)
    below = np.floor(position).astype(np.intp)
    above = np.minimum(below + 1, n - 1)
    lo, hi = ci_ranks(n, qs)
    part = np.partition(x, np.unique(np.concatenate([[0, n - 1], below, above, lo, hi])))
    sd = float(np.std(x, ddof=1)) if n > 1 else 0.0
    return (float(np.mean(x)), sd, lerp(part[below], part[above], position - below), part[lo])


def summaries_before(samples: dict[str, NDArray[np.float64]], years: int) -> None:
    """The 22 summaries build_result took before issue 10 (horizon of ``years``)."""
    pct = (5.0, 25.0, 50.0, 75.0, 95.0)
    keys = [
        "annual_cost",
        "total_cost",
        "present_value",
        "bed_days",
        "hold_bed_days",
        "extra_bed_days",
        "detainers",
        "honored",
        "transfers",
    ]
    keys += [k for k in samples if k.startswith("component:")]
    keys += [
        f"year:{y}:{q}"
        for y in range(years)
        for q in ("net_cost", "bed_days", "detainers", "honored")
    ]
    for key in keys:
        summarize_before(samples[key], pct)
    summarize_before(samples["bed_days"] / 365, pct)


def time_split(repeats: int) -> None:
    """Where one 100,000-booking, 10,000-trial run spends its time, and the lean paths."""
    scenario = county(100_000)
    sc = parse_scenario(scenario)
    samples, convergence = run(sc, rng=np.random.default_rng(sc.seed))
    rows: dict[str, Callable[[], object]] = {
        "simulate, full result": lambda: simulate(scenario),
        "simulate, full result, percentile_ci=False": lambda: simulate(
            scenario, percentile_ci=False
        ),
        "simulate, summaries=('annual_cost',)": lambda: simulate(
            scenario, summaries=("annual_cost",)
        ),
        "simulate, summaries=('annual_cost',), percentile_ci=False": lambda: simulate(
            scenario, summaries=("annual_cost",), percentile_ci=False
        ),
        "parse_scenario": lambda: parse_scenario(scenario),
        "run (the simulation, no summaries)": lambda: run(sc, rng=np.random.default_rng(1)),
        "build_result (the full result's summaries)": lambda: build_result(
            sc, samples, sc.seed, convergence
        ),
        "the same summaries as before issue 10": lambda: summaries_before(
            dict(samples), sc.horizon_years
        ),
    }
    best = dict.fromkeys(rows, float("inf"))
    for _ in range(repeats):  # interleaved, so that load on the machine hits every row
        for name, fn in rows.items():
            best[name] = min(best[name], best_of(fn, 1))
    print(
        f"\n100,000 bookings, {TRIALS:,} trials, best of {repeats} (interleaved), "
        f"{'CPU' if clock is time.process_time else 'wall'} time\n"
    )
    print("| step | ms | us per trial | share of the full result |")
    print("|---|---:|---:|---:|")
    full = best["simulate, full result"]
    for name, seconds in best.items():
        print(
            f"| {name} | {1e3 * seconds:.2f} | {1e6 * seconds / TRIALS:.3f} "
            f"| {seconds / full:.0%} |"
        )
    before = best["the same summaries as before issue 10"]
    after = best["build_result (the full result's summaries)"]
    print(f"\nsummaries before / after: {before / after:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--reference-trials", type=int, default=20)
    parser.add_argument("--split-only", action="store_true", help="only the time split")
    parser.add_argument("--clock", choices=sorted(CLOCK), default="wall")
    args = parser.parse_args()
    global clock
    clock = CLOCK[args.clock]
    if args.split_only:
        time_split(args.repeats)
        return

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}"
        f", {platform.machine()}; {TRIALS:,} trials, best of {args.repeats}\n"
    )
    print("| bookings a year | engine s / 10k trials | us per trial | floor s | engine / floor |")
    print("|---:|---:|---:|---:|---:|")
    per_trial = {}
    for bookings in (1_000, 100_000, 10_000_000):
        t_engine = best_of(partial(simulate_county, bookings), args.repeats)
        t_floor = best_of(partial(floor, bookings, TRIALS), args.repeats)
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
    time_split(args.repeats)


if __name__ == "__main__":
    main()
