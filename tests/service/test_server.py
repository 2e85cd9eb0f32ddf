"""The service under a real gunicorn on a loopback port: metrics across two workers,
`make serve`, graceful shutdown, and the wheel the Dockerfile installs.

Every server is started in its own session on a free 127.0.0.1 port, waited for with a
bounded timeout, and always stopped (SIGTERM, then SIGKILL)."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.mmap_dict import MmapedDict

from benchmarks.load import free_port
from service.cli import gunicorn_command

from .conftest import ROOT, SCENARIO

pytestmark = pytest.mark.slow
STARTUP_SECONDS = 90


@contextmanager
def server(
    command: Sequence[str], port: int, log: Path, **kwargs: Any
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if proc.poll() is not None:
                    raise AssertionError(f"server exited early:\n{log.read_text()[-3000:]}")
                try:
                    if requests.get(f"http://127.0.0.1:{port}/livez", timeout=2).ok:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"server did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            yield proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[bytes], timeout: float = 40) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _livez_counts(metrics_dir: Path) -> dict[str, float]:
    """Requests to /livez counted in each worker's metric file."""
    counts = {}
    for path in glob.glob(str(metrics_dir / "counter_*.db")):
        entries = MmapedDict.read_all_values_from_file(path)  # (key, value, ...)
        total = sum(
            e[1]
            for e in entries
            if "detainer_cost_http_requests_total" in e[0] and "/livez" in e[0]
        )
        counts[path] = total
    return counts


def test_metrics_add_up_across_two_workers(tmp_path: Path) -> None:
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    command = gunicorn_command(f"127.0.0.1:{port}", 2)
    with server(command, port, tmp_path / "log", env=env, cwd=tmp_path):
        base = f"http://127.0.0.1:{port}"
        before = _livez_total(requests.get(f"{base}/metrics", timeout=10).text)  # probes
        sent = 0
        deadline = time.monotonic() + 30
        # New connections until both workers have answered some (bounded).
        while time.monotonic() < deadline and sent < 2000:
            threads = [
                threading.Thread(target=requests.get, args=(f"{base}/livez",)) for _ in range(8)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(10)
            sent += len(threads)
            if sum(1 for c in _livez_counts(metrics_dir).values() if c > 0) >= 2:
                break
        assert sum(1 for c in _livez_counts(metrics_dir).values() if c > 0) >= 2
        assert requests.post(f"{base}/v1/simulations", json=SCENARIO, timeout=30).ok
        text = requests.get(f"{base}/metrics", timeout=10).text
    assert before >= 1
    assert _livez_total(text) == before + sent
    trials = next(
        ln for ln in text.splitlines() if ln.startswith("detainer_cost_simulation_trials_total ")
    )
    assert float(trials.rsplit(" ", 1)[1]) == SCENARIO["trials"], text


def _worker_pids(master: int) -> list[int]:
    pids = []
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if int(fh.read().rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(pid)
        except (OSError, ValueError, IndexError):
            continue
    return pids


def test_serve_sums_metrics_over_workers_without_the_variable(tmp_path: Path) -> None:
    """The user's path: `detainer-cost serve --workers 2` with PROMETHEUS_MULTIPROC_DIR
    unset. /metrics is the exposition summed over both workers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    command = [
        *(sys.executable, "-m", "service.cli", "serve", "--port", str(port)),
        *("--workers", "2"),
    ]
    with server(command, port, tmp_path / "log", env=env, cwd=tmp_path) as proc:
        base = f"http://127.0.0.1:{port}"
        workers = _worker_pids(proc.pid)  # `serve` execs gunicorn: proc is the master
        assert len(workers) == 2
        files = [glob.glob(f"/dev/shm/detainer-cost-metrics-*/counter_{w}.db") for w in workers]
        before = _livez_total(requests.get(f"{base}/metrics", timeout=10).text)
        sent = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sent < 2000:
            threads = [
                threading.Thread(target=requests.get, args=(f"{base}/livez",)) for _ in range(8)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(10)
            sent += len(threads)
            files = [glob.glob(f"/dev/shm/detainer-cost-metrics-*/counter_{w}.db") for w in workers]
            if all(files):
                counts = [_livez_counts(Path(f[0]).parent).get(f[0], 0) for f in files]
                if all(c > 0 for c in counts):
                    break
        assert all(files), "a worker wrote no metric file"
        text = requests.get(f"{base}/metrics", timeout=10).text
    assert "# TYPE detainer_cost_http_requests_total counter" in text, text[:500]
    assert before >= 1  # the start-up probes
    assert _livez_total(text) == before + sent


def _livez_total(text: str) -> float:
    line = next(
        ln
        for ln in text.splitlines()
        if ln.startswith("detainer_cost_http_requests_total{")
        and 'route="/livez"' in ln
        and '"200"' in ln
    )
    return float(line.rsplit(" ", 1)[1])


def test_gunicorn_config_loads_no_metrics_library(tmp_path: Path) -> None:
    """prometheus_client picks its mode when first imported: the master must not import it
    before the config has set PROMETHEUS_MULTIPROC_DIR (the cause of an empty /metrics)."""
    code = "import sys, service.gunicorn_conf; print('prometheus_client' in sys.modules)"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done
    assert done.stdout.decode().strip() == "False", done


def test_the_masters_preload_opens_nothing_the_workers_must_own(tmp_path: Path) -> None:
    """The master imports third-party libraries before it forks the workers
    (gunicorn_conf.when_ready): that must load no metrics library and no module of the
    service or the engine (the app, its job store and metrics are each worker's), start no
    thread and leave no file open, and freeze what it loaded out of the workers' garbage
    collection."""
    code = (
        "import gc, os, sys, threading, service.gunicorn_conf as c\n"
        "fds = len(os.listdir('/proc/self/fd'))\n"
        "c.when_ready(None)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('prometheus_client',"
        " 'service', 'models') and m not in ('service', 'service.gunicorn_conf')))\n"
        "print(all(m in sys.modules for m in c.PRELOAD), threading.active_count(),"
        " len(os.listdir('/proc/self/fd')) - fds, gc.get_freeze_count() > 10000)\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done
    assert done.stdout.decode().split("\n") == ["[]", "True 1 0 True", ""], done


def test_missing_metrics_directory_is_a_one_line_start_up_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(missing)}
    command = [sys.executable, "-m", "service.cli", "serve", "--port", str(free_port())]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, timeout=60)
    assert done.returncode != 0
    err = done.stderr.decode()
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if "PROMETHEUS_MULTIPROC_DIR" in ln]
    assert len(lines) == 1
    assert str(missing) in lines[0]
    assert "not a directory" in lines[0]


def test_make_serve_answers_and_stops_without_dropping_a_request(tmp_path: Path) -> None:
    port = free_port()
    command = ["make", "--no-print-directory", "serve", f"PORT={port}"]
    long_run = {**SCENARIO, "trials": 100_000, "horizon_years": 10}
    with server(command, port, tmp_path / "log", cwd=ROOT) as proc:
        base = f"http://127.0.0.1:{port}"
        quick = requests.post(f"{base}/v1/simulations", json=SCENARIO, timeout=30)
        assert quick.status_code == 200
        assert quick.json()["trials"] == SCENARIO["trials"]
        result: dict[str, Any] = {}

        def in_flight() -> None:
            response = requests.post(f"{base}/v1/simulations", json=long_run, timeout=60)
            result["status"] = response.status_code
            result["trials"] = response.json().get("trials")

        thread = threading.Thread(target=in_flight)
        thread.start()
        time.sleep(0.5)  # the request is being computed
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        thread.join(60)
        assert result == {"status": 200, "trials": 100_000}
        proc.wait(40)
        assert time.monotonic() - started < 40
    log = (tmp_path / "log").read_text()
    assert f"http://127.0.0.1:{port}/docs" in log
    assert "Control socket" not in log  # gunicorn's, off (service/gunicorn_conf.py)


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel of the source tree installed.

    The wheel is built by uv (installed beside the tests by the Makefile) with the build
    backend pyproject.toml names, as `pip wheel` in the Dockerfile builds it with the
    same backend: the same files (compared on 2026-11-29), in 1.4 s of CPU against pip's
    4.6 s. It is installed without its dependencies, which the venv borrows from the test
    environment's site-packages (installed at requirements.lock's pins, as the image's
    are) through a ``.pth`` line: what is tested is that the wheel alone carries the code
    and every data file the service needs. Installing the dependencies afresh took
    minutes of the suite; that the lock pins them is tests/test_packaging.py's.
    """
    root = tmp_path_factory.mktemp("wheel")
    uv = Path(sys.executable).with_name("uv")
    subprocess.run(
        [str(uv), "build", "--quiet", "--wheel", "--out-dir", str(root / "dist"), str(ROOT)],
        check=True,
        timeout=300,
    )
    venv = root / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    wheels = glob.glob(str(root / "dist" / "*.whl"))
    python = str(venv / "bin" / "python")
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--python", python, "--no-deps", *wheels],
        check=True,
        timeout=600,
    )
    # A plain path line: the test venv's own .pth files (the editable install of the
    # source tree among them) are not processed, so `service` and `models` come from the
    # wheel.
    own = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    Path(own, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def test_installed_wheel_serves_spec_and_docs(wheel_venv: Path, tmp_path: Path) -> None:
    """What the Docker image runs: the wheel alone, outside the source tree."""
    where = subprocess.run(
        [str(wheel_venv / "bin" / "python"), "-c", "import service; print(service.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    ).stdout
    assert where.startswith(str(wheel_venv)), where  # the wheel's copy, not the source tree
    port = free_port()
    env = {**os.environ, "DETAINER_COST_BIND": f"127.0.0.1:{port}"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [
        str(wheel_venv / "bin" / "python"),
        "-m",
        "gunicorn",
        "-c",
        "python:service.gunicorn_conf",
        "--workers",
        "1",
    ]
    with server(command, port, tmp_path / "log", env=env, cwd=tmp_path):
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/openapi.yaml", timeout=10).text.startswith("# The")
        assert requests.get(f"{base}/docs/assets/docs-init.js", timeout=10).ok
        assert requests.get(f"{base}/docs/assets/swagger-ui-bundle.js", timeout=10).ok
        assert requests.post(f"{base}/v1/simulations", json=SCENARIO, timeout=30).ok
        pdf = requests.post(f"{base}/v1/reports?format=pdf", json=SCENARIO, timeout=60)
        assert pdf.ok
        assert pdf.content.startswith(b"%PDF")
        assert "<form" in requests.get(f"{base}/", timeout=10).text
        assert requests.get(f"{base}/assets/app.js", timeout=10).ok
        # the Docker CMD's metrics, without PROMETHEUS_MULTIPROC_DIR: not an empty body
        metrics = requests.get(f"{base}/metrics", timeout=10).text
        assert "# TYPE detainer_cost_http_requests_total counter" in metrics
        assert 'route="/v1/simulations"' in metrics


def test_dockerfile_follows_the_deployment_rules() -> None:
    text = (ROOT / "Dockerfile").read_text()
    froms = [ln for ln in text.splitlines() if ln.startswith("FROM")]
    assert len(froms) == 2
    assert " AS build" in froms[0]
    assert "ARG PYTHON_IMAGE=python:3.11.7-slim" in text  # pinned slim base
    assert "pip wheel --no-cache-dir --no-deps" in text  # the same build as `make wheel`
    assert "USER 10001" in text  # non-root
    makefile = (ROOT / "Makefile").read_text()
    serve_packages = next(ln for ln in makefile.splitlines() if ln.startswith("SERVE_PACKAGES"))
    for package in serve_packages.split(":=")[1].split():
        assert package in text  # what PDF reports need, as `make serve` installs it
    assert "HEALTHCHECK" in text
    assert "/livez" in text
    assert "curl" not in text
    cmd = next(ln for ln in text.splitlines() if ln.startswith("CMD"))
    assert cmd.startswith('CMD ["gunicorn"')  # exec form
