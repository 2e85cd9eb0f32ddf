"""Service settings: defaults, overridden by environment variables, then by the
``config`` mapping given to ``create_app``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULTS", "ENVIRONMENT", "load_settings"]

#: Defaults. The maxima of openapi.yaml are these values; the served spec carries the
#: configured ones.
DEFAULTS: dict[str, Any] = {
    # Largest request body, bytes (413 above it).
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # Most trials one simulation may ask for (422 above it).
    "MAX_TRIALS": 100_000,
    # Most trial-years (trials x horizon_years, summed over every evaluation a request
    # needs) one request may ask for (422 above it). The default serves every request
    # the spec allows: MAX_TRIALS x 30 years.
    "MAX_WORK": 3_000_000,
    # Seconds a simulation may run before it is stopped (503).
    "REQUEST_DEADLINE": 30.0,
    # Simulations running at once in one worker; more are shed with 503 + Retry-After.
    "MAX_IN_FLIGHT": 2,
    # API keys (plain, or "sha256:<hex digest>"); empty: no authentication.
    "API_KEYS": (),
    # Origins allowed by CORS; empty: CORS off.
    "CORS_ORIGINS": (),
}

#: Environment variable of each setting.
ENVIRONMENT = {
    "MAX_CONTENT_LENGTH": "DETAINER_COST_MAX_BODY_BYTES",
    "MAX_TRIALS": "DETAINER_COST_MAX_TRIALS",
    "MAX_WORK": "DETAINER_COST_MAX_WORK",
    "REQUEST_DEADLINE": "DETAINER_COST_REQUEST_DEADLINE",
    "MAX_IN_FLIGHT": "DETAINER_COST_MAX_IN_FLIGHT",
    "API_KEYS": "DETAINER_COST_API_KEYS",
    "CORS_ORIGINS": "DETAINER_COST_CORS_ORIGINS",
}


def _parse(name: str, raw: str) -> Any:
    default = DEFAULTS[name]
    if isinstance(default, tuple):
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    try:
        value = type(default)(raw)
    except ValueError:
        raise ValueError(f"{ENVIRONMENT[name]} must be a {type(default).__name__}") from None
    if value <= 0:
        raise ValueError(f"{ENVIRONMENT[name]} must be positive")
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
