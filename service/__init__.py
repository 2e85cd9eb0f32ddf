"""detainer-cost HTTP service: ``create_app(config=None)`` builds the Flask app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from models import simulate
from models.presets import load_presets

from . import api, meta
from .config import load_settings
from .errors import register_error_handlers
from .http import register_hooks
from .limits import InFlight
from .runner import Runner, ServiceState

__all__ = ["create_app"]

WARM_UP = {"detainers_per_year": 10, "daily_cost": 1, "trials": 10}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app.

    Parameters
    ----------
    config : mapping, optional
        Overrides of the settings (``service.config.DEFAULTS``), applied after the
        environment; e.g. ``{"TESTING": True, "MAX_TRIALS": 1000}``.

    Returns
    -------
    flask.Flask
    """
    app = Flask(__name__, static_folder=None)
    settings = load_settings(config)
    app.config.update(settings)
    state = ServiceState(in_flight=InFlight(settings["MAX_IN_FLIGHT"]))
    app.extensions["detainer_cost"] = state
    app.extensions["detainer_cost.runner"] = Runner(settings, state)
    app.extensions["detainer_cost.schemas"] = api.make_schemas()
    app.extensions["detainer_cost.presets"] = load_presets()  # validated at start-up
    app.extensions["detainer_cost.openapi_text"] = meta.openapi_text(settings)
    register_hooks(app)
    register_error_handlers(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(meta.bp)
    simulate(WARM_UP)  # loads scipy and the calendar before the first request
    state.ready = True
    return app
