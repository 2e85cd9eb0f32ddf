"""Roll-up speed and memory: a table of N jurisdictions summed trial by trial.

Each configuration runs in a fresh interpreter (so its peak resident memory is its own):
parse the table, run every member, add it to the total as it finishes, summarize. The
claim checked is that memory is bounded by the total's trials, not by the rows: the
peak grows by the rows' summaries only.

Usage: ``python benchmarks/bench_rollup.py`` (500 and 3,500 rows at 1,000 trials, 1 year,
and 3,500 rows at 1,000 trials, 5 years); ``--full`` adds the issue's 3,500 rows at
10,000 trials and 5 years (several minutes). ``--dask`` runs the issue's roll-up in the
process and on a Dask ``LocalCluster`` (loopback, single-threaded worker processes) of
1 and of 2 workers (the ``scale`` extra; tens of minutes): wall and CPU time, the ratio
of 2 workers to 1, the peak memory here and of the largest worker, and whether the three
results have the same bytes. ``--rows/--trials/--years`` change its size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

CHILD = r"""
import hashlib, json, resource, sys, time
from models.analyses.rollup import rollup

rows_n, trials, years, workers = (int(a) for a in sys.argv[1:5])
base = {
    "extra_days_per_detainer": {"dist": "pert", "low": 10, "mode": 20, "high": 50},
    "honor_rate": {"dist": "uniform", "low": 0.5, "high": 1},
    "daily_cost": {"dist": "uniform", "low": 55, "high": 142},
    "trials": trials,
    "horizon_years": years,
    "start_year": 2026,
}
rows = [{"name": f"J{i}", "detainers_per_year": 20 + (i * 37) % 900} for i in range(rows_n)]
cluster = executor = None
if workers:
    from distributed import LocalCluster
    from service.scaleout import DaskExecutor
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address="127.0.0.1:0",
                           worker_dashboard_address="127.0.0.1:0")
    executor = DaskExecutor(cluster.scheduler_address)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0, c0 = time.perf_counter(), time.process_time()
result = rollup(base, rows, shared=["extra_days_per_detainer"], threshold={"umra_year": 2019},
                executor=executor)
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
worker_cpu = 0.0
if cluster is not None:
    cluster.close()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the worker processes, ended
    worker_cpu, worker_peak = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
data = json.dumps(result.to_dict(), separators=(",", ":"), allow_nan=False).encode()
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mib": peak / 1024,
                  "import_mib": before / 1024, "mean": result.total.annual_cost.mean,
                  "worker_cpu": worker_cpu,
                  "worker_peak_mib": worker_peak if cluster is not None else 0.0,
                  "sha256": hashlib.sha256(data).hexdigest()}))
"""


def measure(rows: int, trials: int, years: int, workers: int = 0) -> dict[str, Any]:
    """One configuration in a fresh interpreter (``workers``: 0 in the process, else a
    LocalCluster of that many): seconds, peak and import RSS (MiB), the result's SHA-256."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(rows), str(trials), str(years), str(workers)],
        capture_output=True,
        text=True,
        check=True,
        env={
            "OPENBLAS_NUM_THREADS": "1",
            "PYTHONPATH": ".",
            "HOME": os.environ.get("HOME", "/tmp"),
        },
    )
    out: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return out


def scale_out(rows: int, trials: int, years: int, order: tuple[int, ...] = (0, 1, 2)) -> None:
    """The roll-up in the process (0), then on 1 and on 2 Dask workers, in ``order``."""
    print(
        f"{rows:,} rows x {trials:,} trials x {years} years "
        f"(load average before: {os.getloadavg()[0]:.1f})"
    )
    print("| run on | wall s | CPU s here | CPU s workers | peak MiB here | peak MiB worker |")
    print("|---|---:|---:|---:|---:|---:|")
    runs = {}
    for workers in order:
        m = runs[workers] = measure(rows, trials, years, workers)
        where = f"LocalCluster, {workers} worker{'s' * (workers > 1)}" if workers else "process"
        worker_peak = f"{m['worker_peak_mib']:.0f}" if workers else "-"
        print(
            f"| {where} | {m['seconds']:.1f} | {m['cpu']:.1f} | {m['worker_cpu']:.1f} | "
            f"{m['peak_mib']:.0f} | {worker_peak} |",
            flush=True,
        )
    if {1, 2} <= set(runs):
        ratio = runs[1]["seconds"] / runs[2]["seconds"]
        print(f"2 workers against 1: {ratio:.2f}x faster (wall)")
    if {0, 1} <= set(runs):
        print(f"in-process against 1 worker: {runs[0]['seconds'] / runs[1]['seconds']:.2f}x (wall)")
    digests = {m["sha256"] for m in runs.values()}
    print(f"same bytes in every run: {len(digests) == 1} ({min(digests)[:16]}...)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="also 3,500 x 10,000 x 5")
    parser.add_argument(
        "--dask", action="store_true", help="in the process against 1 and 2 Dask workers"
    )
    parser.add_argument("--rows", type=int, default=3500, help="--dask: rows")
    parser.add_argument("--trials", type=int, default=10_000, help="--dask: trials")
    parser.add_argument("--years", type=int, default=5, help="--dask: years")
    parser.add_argument(
        "--order", default="0,1,2", help="--dask: runs in order (0: in the process, N: N workers)"
    )
    args = parser.parse_args()
    if args.dask:
        scale_out(args.rows, args.trials, args.years, tuple(int(w) for w in args.order.split(",")))
        return
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
