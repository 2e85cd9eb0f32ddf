"""Overload and shutdown under load, against a real gunicorn on 127.0.0.1 (bounded in
time and count; the server is always stopped): the service sheds load with 503 +
Retry-After instead of queueing, answers nothing else of the 5xx family, keeps its
workers' memory bounded, and drops no accepted request when stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter

import pytest
import requests

from benchmarks.load import BODY, drive, gunicorn, worker_rss_mb

pytestmark = pytest.mark.slow


def test_overload_is_shed_with_503_and_memory_stays_bounded() -> None:
    env = {"DETAINER_COST_MAX_IN_FLIGHT": "1"}
    with gunicorn(2, env) as (url, master):
        for _ in range(3):
            requests.post(url + "/v1/simulations", json=BODY, timeout=60)
        before = worker_rss_mb(master)
        result = drive(url, concurrency=8, seconds=3, body=BODY)
        after = worker_rss_mb(master)
    assert result["problems"] == []
    assert set(result["statuses"]) <= {"200", "503"}, result
    assert result["statuses"].get("200", 0) > 0 and result["statuses"].get("503", 0) > 0
    assert len(before) == len(after) == 2
    for b, a in zip(before, after, strict=True):
        assert a < 1.5 * b + 64, (before, after)  # MiB


def test_sigterm_under_load_drops_no_accepted_request() -> None:
    """Clients send on fresh connections until shortly after SIGTERM (as a load balancer
    would until readiness fails). Every request gets its full answer: the workers keep
    serving through the drain period with /readyz at 503, then finish what they hold."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    body = {**BODY, "trials": 50_000}
    stopped_at: list[float] = []

    with gunicorn(2, {"DETAINER_COST_DRAIN_SECONDS": "2"}) as (url, master):

        def client() -> None:
            while not stopped_at or time.monotonic() < stopped_at[0] + 0.5:
                try:
                    r = requests.post(
                        url + "/v1/simulations",
                        json=body,
                        timeout=60,
                        headers={"Connection": "close"},
                    )
                    outcome = str(r.status_code)
                    if r.status_code == 200:
                        assert r.json()["trials"] == 50_000
                except requests.ConnectionError as exc:
                    outcome = f"dropped: {exc}"
                with lock:
                    outcomes[outcome] += 1

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(2.0)
        os.kill(master, signal.SIGTERM)
        stopped_at.append(time.monotonic())
        time.sleep(0.2)
        readiness = requests.get(url + "/readyz", timeout=10, headers={"Connection": "close"})
        for t in threads:
            t.join(90)
    assert readiness.status_code == 503 and "draining" in readiness.text
    assert outcomes.get("200", 0) > 0
    assert set(outcomes) <= {"200", "503"}, outcomes
