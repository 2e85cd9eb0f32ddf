"""Load test: drive a real gunicorn on 127.0.0.1 at several concurrencies for a fixed
time each, and record throughput, latency percentiles, the count of each status and the
memory of the workers.

    .venv/bin/python benchmarks/load.py --seconds 10 --concurrency 1 4 16 --workers 2

Clients wait the seconds of a 503's Retry-After before sending again (unless
``--ignore-retry-after``); ``--trials`` sets the work of each request.

It starts the server itself (``--url`` to use a running one), sends only to loopback,
bounds every loop by count and time, and stops the server when done. Prints Markdown
(and JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import requests

from service.cli import gunicorn_command

BODY = {
    "detainers_per_year": 1200,
    "extra_days_per_detainer": {"dist": "pert", "low": 20, "mode": 25, "high": 73},
    "daily_cost": {"dist": "uniform", "low": 55, "high": 142},
    "trials": 10_000,
}
MAX_REQUESTS_PER_LEVEL = 100_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def gunicorn(workers: int, env: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """A gunicorn of the service on a free loopback port; yields (url, master pid)."""
    port = free_port()
    command = [*gunicorn_command(f"127.0.0.1:{port}", workers), "--access-logfile", "/dev/null"]
    proc = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "/readyz", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start")
        yield url, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def worker_rss_mb(master: int) -> list[float]:
    """Resident memory of each child of the gunicorn master, MiB (from /proc)."""
    out = []
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            if ppid != master:
                continue
            with open(f"/proc/{pid}/status") as fh:
                rss = next(ln for ln in fh if ln.startswith("VmRSS"))
            out.append(int(rss.split()[1]) / 1024)
        except (OSError, StopIteration, ValueError):
            continue
    return sorted(out)


def worker_peak_rss_mb(master: int) -> list[float]:
    """Peak resident memory (VmHWM) of each child of the gunicorn master, MiB."""
    out = []
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            if ppid != master:
                continue
            with open(f"/proc/{pid}/status") as fh:
                peak = next(ln for ln in fh if ln.startswith("VmHWM"))
            out.append(int(peak.split()[1]) / 1024)
        except (OSError, StopIteration, ValueError):
            continue
    return sorted(out)


def drive(
    url: str,
    concurrency: int,
    seconds: float,
    body: dict[str, Any],
    *,
    fresh: bool = False,
    retry_after: bool = True,
) -> dict[str, Any]:
    """``concurrency`` clients posting ``body`` for ``seconds``; returns the figures.

    With ``fresh`` every request opens a new connection (``Connection: close``), so the
    kernel spreads requests over the workers instead of each client keeping one. With
    ``retry_after`` a client that gets 503 waits the seconds of its Retry-After before
    sending again, as a well-behaved client does.
    """
    latencies: list[float] = []
    ok_latencies: list[float] = []
    statuses: Counter[str] = Counter()
    problems: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        session = requests.Session()
        headers = {"Connection": "close"} if fresh else {}
        while time.monotonic() < stop and len(latencies) < MAX_REQUESTS_PER_LEVEL:
            start = time.perf_counter()
            try:
                post = requests.post if fresh else session.post
                response = post(url + "/v1/simulations", json=body, timeout=60, headers=headers)
                status = str(response.status_code)
                if response.status_code == 503 and "Retry-After" not in response.headers:
                    problems.append("503 without Retry-After")
                if (
                    response.status_code >= 400
                    and response.headers.get("Content-Type") != "application/problem+json"
                ):
                    problems.append(f"{status} not problem+json")
            except requests.RequestException as exc:
                status = type(exc).__name__
                response = None
            with lock:
                latencies.append(time.perf_counter() - start)
                if status == "200":
                    ok_latencies.append(latencies[-1])
                statuses[status] += 1
            wait = response.headers.get("Retry-After", "") if response is not None else ""
            if retry_after and status == "503" and wait.isdigit():
                time.sleep(max(0.0, min(float(wait), stop - time.monotonic())))

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 90)
    elapsed = time.perf_counter() - began
    ok = statuses.get("200", 0)
    lat = np.array(latencies) * 1000 if latencies else np.zeros(1)
    ok_lat = np.array(ok_latencies) * 1000 if ok_latencies else np.zeros(1)
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "throughput_ok_per_s": round(ok / elapsed, 2),
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p95_ms": round(float(np.percentile(lat, 95)), 1),
        "p99_ms": round(float(np.percentile(lat, 99)), 1),
        "ok_p50_ms": round(float(np.percentile(ok_lat, 50)), 1),
        "ok_p99_ms": round(float(np.percentile(ok_lat, 99)), 1),
        "statuses": dict(sorted(statuses.items())),
        "problems": sorted(set(problems)),
    }


def run(
    url: str,
    master: int | None,
    levels: Sequence[int],
    seconds: float,
    body: dict[str, Any] = BODY,
    retry_after: bool = True,
) -> dict[str, Any]:
    """Warm up, then every level; worker memory before and after."""
    for _ in range(4):
        requests.post(url + "/v1/simulations", json=body, timeout=60)
    before = worker_rss_mb(master) if master else []
    results = [drive(url, c, seconds, body, retry_after=retry_after) for c in levels]
    after = worker_rss_mb(master) if master else []
    return {"levels": results, "worker_rss_mb_before": before, "worker_rss_mb_after": after}


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "| clients | requests | ok/s | p50 ms | p95 ms | p99 ms | 200s: p50 ms | 200s: p99 ms "
        "| statuses |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["levels"]:
        statuses = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
        lines.append(
            f"| {r['concurrency']} | {r['requests']} | {r['throughput_ok_per_s']} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['ok_p50_ms']} | "
            f"{r['ok_p99_ms']} | {statuses} |"
        )
    lines.append(
        f"\nworker RSS MiB before: {report['worker_rss_mb_before']}, "
        f"after: {report['worker_rss_mb_after']}"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--url", help="a running service (default: start one)")
    parser.add_argument("--trials", type=int, default=BODY["trials"], help="trials per request")
    parser.add_argument(
        "--ignore-retry-after",
        action="store_true",
        help="clients send again at once after a 503 (default: wait Retry-After seconds)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    body = {**BODY, "trials": args.trials}
    honor = not args.ignore_retry_after
    if args.url:
        report = run(args.url, None, args.concurrency, args.seconds, body, honor)
    else:
        with gunicorn(args.workers) as (url, master):
            report = run(url, master, args.concurrency, args.seconds, body, honor)
    print(json.dumps(report, indent=2) if args.json else markdown(report))


if __name__ == "__main__":
    main()
