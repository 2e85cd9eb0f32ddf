"""detainer-cost HTTP service: ``create_app(config=None)`` builds the Flask app.

Importing this package imports nothing else: ``gunicorn -c python:service.gunicorn_conf``
imports it in the master before the config sets ``PROMETHEUS_MULTIPROC_DIR``, and
``prometheus_client`` chooses its mode once, when it is first imported. The app and its
dependencies are imported by ``create_app``, in each worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

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
    from flask import Flask, request

    from models import simulate
    from models.presets import load_presets

    from . import api, calibrations, jobs, meta, rollups
    from .config import load_settings
    from .errors import register_error_handlers
    from .http import register_hooks
    from .limits import InFlight, bound_body_reads, check_body
    from .runner import Runner, ServiceState

    app = Flask(__name__, static_folder=None)
    settings = load_settings(config)
    app.config.update(settings)
    state = ServiceState(
        in_flight=InFlight(settings["MAX_IN_FLIGHT"], settings["MAX_QUEUE"], settings["QUEUE_WAIT"])
    )
    app.extensions["detainer_cost"] = state
    app.extensions["detainer_cost.runner"] = Runner(settings, state)
    app.extensions["detainer_cost.schemas"] = api.make_schemas()
    app.extensions["detainer_cost.presets"] = load_presets()  # validated at start-up
    app.extensions["detainer_cost.openapi_text"] = meta.openapi_text(settings)
    register_hooks(app)
    app.before_request(lambda: check_body(request.environ, settings["BODY_TIMEOUT"]))
    register_error_handlers(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(meta.bp)
    app.register_blueprint(rollups.bp)
    app.register_blueprint(calibrations.bp)
    app.register_blueprint(jobs.bp)
    app.wsgi_app = bound_body_reads(  # type: ignore[method-assign,assignment]
        app.wsgi_app,
        settings["BODY_TIMEOUT"],
        settings["MAX_CONTENT_LENGTH"],
        settings["MAX_BODY_READS"],
    )
    simulate(WARM_UP)  # loads scipy and the calendar before the first request
    state.ready = True
    jobs.start_executors(app)  # this process runs queued jobs (none under TESTING)
    return app
