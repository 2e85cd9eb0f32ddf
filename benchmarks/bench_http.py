"""The service's overhead and throughput: end-to-end HTTP latency of a 10,000-trial
simulation against the engine's own time for it, and throughput with 1 and 2 workers.

Run: ``make bench`` or ``PYTHONPATH=. .venv/bin/python benchmarks/bench_http.py``. It
starts gunicorn on 127.0.0.1 itself (benchmarks/load.py) and stops it. Latencies are
medians of sequential requests; throughput is successful simulations a second with
twice as many clients as workers, each request on a new connection, for a fixed time. The load
generator runs on the same 2 cores as the server.
"""

from __future__ import annotations

import argparse
import statistics
import time

import requests

from benchmarks.load import BODY, drive, gunicorn
from models import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    engine = []
    for _ in range(args.requests):
        start = time.perf_counter()
        simulate(BODY)
        engine.append(time.perf_counter() - start)
    with gunicorn(1) as (url, _):
        session = requests.Session()
        http = []
        for _ in range(args.requests):
            start = time.perf_counter()
            assert session.post(url + "/v1/simulations", json=BODY, timeout=60).ok
            http.append(time.perf_counter() - start)
    e, h = statistics.median(engine), statistics.median(http)
    print(
        f"10,000-trial simulation, median of {args.requests}: engine {1e3 * e:.1f} ms, "
        f"HTTP end to end {1e3 * h:.1f} ms; service overhead {h / e:.2f}x "
        f"(+{1e3 * (h - e):.1f} ms)\n"
    )
    print("| workers | clients | ok/s | p50 ms | p95 ms | statuses |")
    print("|---:|---:|---:|---:|---:|---|")
    rates = {}
    for workers in (1, 2):
        with gunicorn(workers) as (url, _):
            r = drive(url, 2 * workers, args.seconds, BODY, fresh=True)
        rates[workers] = r["throughput_ok_per_s"]
        statuses = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
        print(
            f"| {workers} | {2 * workers} | {r['throughput_ok_per_s']} | {r['p50_ms']} | "
            f"{r['p95_ms']} | {statuses} |"
        )
    print(f"\nthroughput 2 workers / 1 worker: {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
