"""Peak memory and time of the largest requests the default limits allow, on one real
gunicorn worker on 127.0.0.1 (started and stopped here).

    PYTHONPATH=. .venv/bin/python benchmarks/memory.py

Peak resident memory is the worker's VmHWM from /proc (cumulative over its life, so each
row is the peak so far). Prints a Markdown table.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from benchmarks.load import BODY, gunicorn, worker_peak_rss_mb

SCENARIO = {k: v for k, v in BODY.items() if k != "trials"}
ALTERNATIVES = [{"name": f"a{i}", "overrides": {"daily_cost": 50 + i}} for i in range(20)]
CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "portfolio 50 x 60,000 trials",
        "/v1/portfolios",
        {"members": [{**SCENARIO, "trials": 60_000}] * 50},
    ),
    (
        "comparison 21 x 100,000",
        "/v1/comparisons",
        {"baseline": {**SCENARIO, "trials": 100_000}, "alternatives": ALTERNATIVES},
    ),
    (
        "simulation 100,000 x 30 years",
        "/v1/simulations",
        {**SCENARIO, "trials": 100_000, "horizon_years": 30},
    ),
    (
        "sensitivity 100,000 x 25 years",
        "/v1/sensitivity",
        {**SCENARIO, "trials": 100_000, "horizon_years": 25},
    ),
    (
        "XLSX report, samples, 20,000 trials",
        "/v1/reports?format=xlsx&samples=true",
        {**SCENARIO, "trials": 20_000},
    ),
    (
        "CSV report, samples, 100,000 trials",
        "/v1/reports?format=csv&samples=true",
        {**SCENARIO, "trials": 100_000},
    ),
    (
        "PDF report, 100,000 x 20 years",
        "/v1/reports?format=pdf",
        {**SCENARIO, "trials": 100_000, "horizon_years": 20},
    ),
]


def main() -> None:
    with gunicorn(1) as (url, master):
        print("| request | status | seconds | worker peak RSS MiB |")
        print("|---|---:|---:|---:|")
        for name, path, body in CASES:
            started = time.monotonic()
            response = requests.post(url + path, json=body, timeout=300)
            elapsed = time.monotonic() - started
            status = str(response.status_code)
            if not response.ok:
                status += " " + response.json().get("type", "").rsplit(":", 1)[-1]
            peak = worker_peak_rss_mb(master)
            print(f"| {name} | {status} | {elapsed:.1f} | {peak[0]:.0f} |", flush=True)


if __name__ == "__main__":
    main()
