"""compose.yaml, the deployment of docs/deployment.md (two service replicas, PostgreSQL,
a Dask scheduler and workers): its structure, and that every setting it gives the
service is one the service reads, pointing at the services the file defines. The file is
run by `docker compose config` where Docker's compose plugin exists (not on CI's machine,
which has no Docker daemon; the replicas on one PostgreSQL database are tested with real
servers in tests/service/test_jobs_replicas.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from service.config import ENVIRONMENT
from service.spec import load_yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = load_yaml((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
SCHEDULER_ENV = "DETAINER_COST_DASK_SCHEDULER"


def _read_by_the_service(variable: str) -> bool:
    """Whether the service reads ``variable``: one of its settings (service/config.py),
    or named in its code (the job store's database in service/jobs.py, the Dask
    scheduler in service/scaleout.py)."""
    if variable in ENVIRONMENT.values():
        return True
    return any(f'"{variable}"' in p.read_text() for p in (ROOT / "service").rglob("*.py"))


def _interpolated(value: str) -> str:
    """``value`` with compose's ``${NAME:?message}`` / ``${NAME:-default}`` filled in as
    `docker compose` would with POSTGRES_PASSWORD=secret."""
    return re.sub(
        r"\$\{(\w+)(?::[?-]([^}]*))?\}",
        lambda m: "secret" if m.group(1) == "POSTGRES_PASSWORD" else "",
        value,
    )


def test_the_services_are_the_documented_deployment() -> None:
    assert set(SERVICES) == {"api", "postgres", "scheduler", "worker"}
    assert SERVICES["api"]["deploy"]["replicas"] == 2
    assert SERVICES["worker"]["deploy"]["replicas"] == 2
    for name in ("api", "scheduler", "worker"):  # one image, built by the Dockerfile
        assert SERVICES[name]["build"] == "."
        assert SERVICES[name]["image"] == "detainer-cost:latest"
    assert (ROOT / "Dockerfile").exists()
    assert SERVICES["postgres"]["image"].startswith("postgres:")
    for service in SERVICES.values():
        for dependency in service.get("depends_on", {}):
            assert dependency in SERVICES
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port  # published on loopback only
    assert set(COMPOSE["volumes"]) == {
        volume.split(":")[0] for volume in SERVICES["postgres"]["volumes"]
    }


# Attributes of the Compose Specification (schema/compose-spec.json of
# compose-spec/compose-spec) that this file may use: a misspelt key fails here, as
# `docker compose config` would fail it.
TOP = {"name", "services", "volumes"}
SERVICE = {
    "build", "command", "depends_on", "deploy", "environment", "healthcheck", "image",
    "ports", "restart", "volumes",
}  # fmt: skip
HEALTHCHECK = {"disable", "interval", "retries", "start_period", "test", "timeout"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
RESTART = {"no", "always", "on-failure", "unless-stopped"}


def test_the_file_uses_only_compose_attributes() -> None:
    assert {k for k in COMPOSE if not k.startswith("x-")} <= TOP
    for name, service in SERVICES.items():
        assert set(service) <= SERVICE, (name, set(service) - SERVICE)
        assert set(service.get("healthcheck", {})) <= HEALTHCHECK, name
        assert {d["condition"] for d in service.get("depends_on", {}).values()} <= CONDITIONS
        assert service["restart"] in RESTART
        assert set(service.get("deploy", {})) <= {"replicas"}
        assert all(isinstance(v, str) for v in service.get("environment", {}).values()), name
        command = service.get("command", [])
        assert isinstance(command, list)
        assert all(isinstance(word, str) for word in command)


def test_the_replicas_settings_are_read_by_the_service_and_point_at_the_services() -> None:
    environment = SERVICES["api"]["environment"]
    assert [v for v in environment if not _read_by_the_service(v)] == []
    url = make_url(_interpolated(environment["DETAINER_COST_DATABASE_URL"]))
    database = SERVICES["postgres"]["environment"]
    assert (url.drivername, url.host, url.port) == ("postgresql+psycopg", "postgres", 5432)
    assert (url.username, url.database) == (database["POSTGRES_USER"], database["POSTGRES_DB"])
    assert url.password == _interpolated(database["POSTGRES_PASSWORD"]) == "secret"
    scheduler = environment[SCHEDULER_ENV]
    assert scheduler == "tcp://scheduler:8786"
    command = SERVICES["scheduler"]["command"]
    assert command[:2] == ["dask", "scheduler"]
    assert command[command.index("--port") + 1] == "8786"
    assert SERVICES["worker"]["command"][:3] == ["dask", "worker", scheduler]


def test_the_image_has_what_the_deployment_uses() -> None:
    """The Dockerfile installs the `postgres` (psycopg) and `scale` (Dask distributed)
    extras, which pyproject.toml defines."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(r.startswith("psycopg[binary]") for r in extras["postgres"])
    assert any(r.startswith("dask[distributed]") for r in extras["scale"])
    assert '"${wheel}[postgres,scale]"' in (ROOT / "Dockerfile").read_text()


def _compose_plugin() -> bool:
    if shutil.which("docker") is None:
        return False
    found = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return found.returncode == 0


@pytest.mark.skipif(not _compose_plugin(), reason="needs Docker's compose plugin")
def test_docker_compose_reads_the_file() -> None:
    done = subprocess.run(
        ["docker", "compose", "--file", str(ROOT / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        env={**os.environ, "POSTGRES_PASSWORD": "secret"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
