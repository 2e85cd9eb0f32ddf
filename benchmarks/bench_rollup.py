"""Roll-up speed and memory: a table of N jurisdictions summed trial by trial.

Each configuration runs in a fresh interpreter (so its peak resident memory is its own):
parse the table, run every member, add it to the total as it finishes, summarize. The
claim checked is that memory is bounded by the total's trials, not by the rows: the
peak grows by the rows' summaries only.

Usage: ``python benchmarks/bench_rollup.py`` (500 and 3,500 rows at 1,000 trials, 1 year,
and 3,500 rows at 1,000 trials, 5 years); ``--full`` adds the issue's 3,500 rows at
10,000 trials and 5 years (several minutes).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from models.analyses.rollup import rollup

rows_n, trials, years = (int(a) for a in sys.argv[1:4])
base = {
    "extra_days_per_detainer": {"dist": "pert", "low": 10, "mode": 20, "high": 50},
    "honor_rate": {"dist": "uniform", "low": 0.5, "high": 1},
    "daily_cost": {"dist": "uniform", "low": 55, "high": 142},
    "trials": trials,
    "horizon_years": years,
    "start_year": 2026,
}
rows = [{"name": f"J{i}", "detainers_per_year": 20 + (i * 37) % 900} for i in range(rows_n)]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0, c0 = time.perf_counter(), time.process_time()
result = rollup(base, rows, shared=["extra_days_per_detainer"], threshold={"umra_year": 2019})
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mib": peak / 1024,
                  "import_mib": before / 1024, "mean": result.total.annual_cost.mean}))
"""


def measure(rows: int, trials: int, years: int) -> dict[str, float]:
    """One configuration in a fresh interpreter: seconds, peak and import RSS (MiB)."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(rows), str(trials), str(years)],
        capture_output=True,
        text=True,
        check=True,
        env={"OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": "."},
    )
    out: dict[str, float] = json.loads(done.stdout)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="also 3,500 x 10,000 x 5")
    args = parser.parse_args()
    configs = [(500, 1000, 1), (3500, 1000, 1), (3500, 1000, 5)]
    if args.full:
        configs.append((3500, 10000, 5))
    print("| rows | trials | years | wall s | CPU s | CPU us per member-trial-year | peak MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for rows, trials, years in configs:
        m = measure(rows, trials, years)
        per = m["cpu"] / (rows * trials * years) * 1e6
        print(
            f"| {rows:,} | {trials:,} | {years} | {m['seconds']:.1f} | {m['cpu']:.1f} | "
            f"{per:.2f} | {m['peak_mib']:.0f} (imports {m['import_mib']:.0f}) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
