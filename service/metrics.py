"""Prometheus metrics: request counts and latency per route and status, trials run.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` is set by ``service.gunicorn_conf`` before
any worker imports this module, so every worker writes its samples there and
``/metrics`` sums them (prometheus_client multiprocess mode). prometheus_client chooses
its mode when it is first imported; if that happened before the variable was set in
this process, the mode is chosen again here, before the metrics are made.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

__all__ = ["LATENCY", "REQUESTS", "TRIALS", "render"]

if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and values.ValueClass is values.MutexValue:
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]

REQUESTS = Counter(
    "detainer_cost_http_requests_total",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "detainer_cost_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template, method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
TRIALS = Counter(
    "detainer_cost_simulation_trials_total",
    "Monte Carlo trials run (all years of a trial count once).",
)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
