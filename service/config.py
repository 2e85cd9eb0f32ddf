"""Service settings: defaults, overridden by environment variables, then by the
``config`` mapping given to ``create_app``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULTS", "ENVIRONMENT", "load_settings"]

#: Defaults. ``python -m service.spec`` writes the limits in openapi.yaml from these
#: (``MAX_TRIALS`` within the engine's own); the served spec carries the configured ones.
DEFAULTS: dict[str, Any] = {
    # Largest request body, bytes (413 above it).
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # Most trials one simulation may ask for (422 above it).
    "MAX_TRIALS": 100_000,
    # Most trial-years (trials x horizon_years, summed over every evaluation a request
    # needs) one request may ask for (422 above it). The default serves every request
    # the spec allows: MAX_TRIALS x 30 years.
    "MAX_WORK": 3_000_000,
    # Most rows of the Samples sheet of an XLSX report (422 above it; CSV has no such
    # limit). A spreadsheet is built in memory: 100,000 rows took a worker past 1.5 GiB.
    "MAX_XLSX_SAMPLE_ROWS": 20_000,
    # Seconds a simulation may run before it is stopped (503).
    "REQUEST_DEADLINE": 30.0,
    # Runs (simulation, comparison, sensitivity, report, portfolio) at once in one worker.
    # One per worker: each worker has one BLAS thread and the workers are the parallelism.
    "MAX_IN_FLIGHT": 1,
    # Requests per worker that may wait for a run slot; more are shed at once with 503 +
    # Retry-After, before their body is parsed.
    "MAX_QUEUE": 1,
    # Seconds a queued request waits for a run slot before it is shed (503 + Retry-After).
    "QUEUE_WAIT": 5.0,
    # Seconds a request body may take to arrive (408 after it).
    "BODY_TIMEOUT": 10.0,
    # Request bodies being received at once in one worker; a request arriving while this
    # many bodies are still arriving waits 0.25 s for one to finish, then is shed (503 +
    # Retry-After), so that slow senders cannot hold every thread.
    "MAX_BODY_READS": 2,
    # API keys (plain, or "sha256:<hex digest>"); empty: no authentication.
    "API_KEYS": (),
    # Origins allowed by CORS; empty: CORS off.
    "CORS_ORIGINS": (),
    # Most trial-years one job (POST /v1/jobs) may ask for: a 3,500-row roll-up of
    # 10,000 trials over 5 years is 175,000,000.
    "JOB_MAX_WORK": 200_000_000,
    # Seconds a finished job and its result are kept (7 days).
    "JOB_TTL": 604_800.0,
}

#: Environment variable of each setting.
ENVIRONMENT = {
    "MAX_CONTENT_LENGTH": "DETAINER_COST_MAX_BODY_BYTES",
    "MAX_TRIALS": "DETAINER_COST_MAX_TRIALS",
    "MAX_WORK": "DETAINER_COST_MAX_WORK",
    "REQUEST_DEADLINE": "DETAINER_COST_REQUEST_DEADLINE",
    "MAX_IN_FLIGHT": "DETAINER_COST_MAX_IN_FLIGHT",
    "MAX_XLSX_SAMPLE_ROWS": "DETAINER_COST_MAX_XLSX_SAMPLE_ROWS",
    "MAX_QUEUE": "DETAINER_COST_MAX_QUEUE",
    "QUEUE_WAIT": "DETAINER_COST_QUEUE_WAIT",
    "BODY_TIMEOUT": "DETAINER_COST_BODY_TIMEOUT",
    "MAX_BODY_READS": "DETAINER_COST_MAX_BODY_READS",
    "API_KEYS": "DETAINER_COST_API_KEYS",
    "CORS_ORIGINS": "DETAINER_COST_CORS_ORIGINS",
    "JOB_MAX_WORK": "DETAINER_COST_JOB_MAX_WORK",
    "JOB_TTL": "DETAINER_COST_JOB_TTL",
}


def _parse(name: str, raw: str) -> Any:
    default = DEFAULTS[name]
    if isinstance(default, tuple):
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    try:
        value = type(default)(raw)
    except ValueError:
        raise ValueError(f"{ENVIRONMENT[name]} must be a {type(default).__name__}") from None
    if value < 0 or (value == 0 and name != "MAX_QUEUE"):
        raise ValueError(
            f"{ENVIRONMENT[name]} must be {'zero or more' if name == 'MAX_QUEUE' else 'positive'}"
        )
    return value


def load_settings(
    config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Settings from defaults, the environment, then ``config``.

    Parameters
    ----------
    config : mapping, optional
        Overrides (``create_app``'s argument), e.g. ``{"TESTING": True, "MAX_TRIALS": 10}``.
    environ : mapping, optional
        Environment variables; ``os.environ`` when omitted.

    Returns
    -------
    dict
    """
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for name, variable in ENVIRONMENT.items():
        if environ.get(variable):
            settings[name] = _parse(name, environ[variable])
    settings.update(config or {})
    for name in ("API_KEYS", "CORS_ORIGINS"):
        settings[name] = tuple(settings[name])
    return settings
