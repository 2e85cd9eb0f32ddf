"""A client generated from openapi.yaml by a third-party generator (openapi-python-client)
gets a typed scenario, and works against a real served app.

Before issue 11 the Scenario was a ``oneOf`` of required-only branches (the volume's
three forms) and the generator typed a scenario body as ``Any``; the engine now checks
the form and the schema states each field once.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from werkzeug.serving import make_server

from service import create_app

from .conftest import SPEC_PATH

PACKAGE = "detainer_cost_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The generated package, imported from a temporary directory."""
    out = tmp_path_factory.mktemp("client") / "client"
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [bin_dir / "openapi-python-client", "generate", "--path", SPEC_PATH, "--output-path", out],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """A real server (werkzeug, threaded) on a free loopback port."""
    server = make_server("127.0.0.1", 0, create_app({"TESTING": True}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.mark.slow
def test_generated_scenario_model_has_typed_fields(generated: Any) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    fields = {f.name: str(f.type) for f in attrs.fields(models.Scenario)}
    assert "float" in fields["daily_cost"]
    assert "DistUniform" in fields["daily_cost"]
    for name in ("detainers_per_year", "bookings_per_year", "detainer_rate", "trials"):
        assert name in fields, name
    assert fields["trials"].startswith("int")
    create = importlib.import_module(f"{PACKAGE}.api.simulations.create_simulation")
    assert "Scenario" in str(create.sync_detailed.__annotations__["body"])
    assert "Any" not in str(create.sync_detailed.__annotations__["body"])


@pytest.mark.slow
def test_generated_client_runs_a_simulation_on_a_served_app(generated: Any, base_url: str) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    create = importlib.import_module(f"{PACKAGE}.api.simulations.create_simulation")
    scenario = models.Scenario(
        name="Generated client county",
        detainers_per_year=120.0,
        daily_cost=models.DistUniform(dist="uniform", low=60.0, high=120.0),
        extra_days_per_detainer=models.DistPert(dist="pert", low=10.0, mode=20.0, high=40.0),
        trials=500,
        seed=7,
    )
    with generated.Client(base_url=base_url, raise_on_unexpected_status=True) as client:
        response = create.sync_detailed(client=client, body=scenario)
    assert response.status_code == 200, response.content[:500]
    result = response.parsed
    assert isinstance(result, models.SimulationResult)
    assert result.name == "Generated client county"
    assert result.trials == 500
    assert result.annual_cost.mean > 0
