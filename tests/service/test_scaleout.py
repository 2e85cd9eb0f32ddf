"""Roll-ups on a Dask cluster (service/scaleout.py): a real
``dask.distributed.LocalCluster`` of two worker processes on the loopback gives the
in-process result to the byte, by the model, by a job and by the command line (and a
portfolio's, by the model and a job); a scheduler that cannot be reached is told in one
line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.analyses import portfolio
from models.analyses.rollup import RollupResult, block_size, rollup
from service import create_app
from service.cli import main
from service.jobs import Executor, job_store
from service.scaleout import SCHEDULER_ENV, DaskExecutor, ScaleoutError, scheduler_address

from .conftest import ContractClient

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "examples" / "counties.csv"
BASE = ROOT / "examples" / "rollup-base.json"


def _bytes(result: RollupResult) -> bytes:
    return json.dumps(result.to_dict(), separators=(",", ":"), allow_nan=False).encode()


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A LocalCluster of two single-threaded worker processes on 127.0.0.1."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # every HTTP server on the loopback too, on a free port (None means 8787, or a
        # random port, on every interface)
        dashboard_address="127.0.0.1:0",
        worker_dashboard_address="127.0.0.1:0",
    ) as cluster:
        yield str(cluster.scheduler_address)


def _base(trials: int = 400) -> dict[str, Any]:
    base: dict[str, Any] = json.loads(BASE.read_text())
    return {**base, "trials": trials}


@pytest.mark.slow
def test_the_example_table_on_two_workers_gives_the_in_process_bytes(scheduler: str) -> None:
    options: dict[str, Any] = {
        "shared": ["extra_days_per_detainer"],
        "threshold": {"umra_year": 2019},
        "seed": 17,
    }
    table = TABLE.read_text()
    here = rollup(_base(), table, **options)
    there = rollup(_base(), table, executor=DaskExecutor(scheduler), **options)
    assert _bytes(there) == _bytes(here)


@pytest.mark.slow
def test_several_rows_a_task_and_a_small_window_give_the_in_process_bytes(scheduler: str) -> None:
    """260 rows run two to a task; a window of 3 keeps most tasks waiting to be sent."""
    rows = [{"name": f"J{i}", "detainers_per_year": 20 + (i * 37) % 900} for i in range(260)]
    assert block_size(len(rows)) == 2
    base = _base(40)
    here = rollup(base, rows, shared=["honor_rate"], threshold=5e6)
    executor = DaskExecutor(scheduler, window=3)
    there = rollup(base, rows, shared=["honor_rate"], threshold=5e6, executor=executor)
    assert _bytes(there) == _bytes(here)


@pytest.mark.slow
def test_a_portfolio_on_two_workers_gives_the_in_process_bytes(scheduler: str) -> None:
    members = [{**_base(500), "detainers_per_year": 40 + 90 * i} for i in range(5)]
    options: dict[str, Any] = {"threshold": 3e6, "seed": 2, "shared": ["honor_rate"]}
    here = portfolio(members, **options)
    there = portfolio(members, executor=DaskExecutor(scheduler), **options)
    assert json.dumps(there.to_dict()) == json.dumps(here.to_dict())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "route"),
    [
        ("rollup", "/v1/rollups"),
        ("portfolio", "/v1/portfolios"),
        ("report", "/v1/rollups?format=csv"),  # a roll-up's report
    ],
)
def test_a_job_on_the_scheduler_gives_the_synchronous_bytes(
    scheduler: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, route: str
) -> None:
    """The executors take the scheduler from DETAINER_COST_DASK_SCHEDULER (and the job's
    members go there: the executor is called once)."""
    monkeypatch.setenv(SCHEDULER_ENV, scheduler)
    calls: list[str] = []
    real = DaskExecutor.__call__

    def spy(self: DaskExecutor, fn: Any, tasks: Any) -> Any:
        calls.append(self.address)
        return real(self, fn, tasks)

    monkeypatch.setattr(DaskExecutor, "__call__", spy)
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)})
    app.test_client_class = ContractClient
    job: dict[str, Any] = {"kind": kind}
    if kind in ("rollup", "report"):
        body: dict[str, Any] = {"base": _base(300), "rows": _rows(), "seed": 5}
        job |= {"format": "csv"} if kind == "report" else {}
    else:
        scenario = {k: v for k, v in _base(300).items() if k not in ("name", "description")}
        body = {"members": [{**scenario, "detainers_per_year": d} for d in (30, 300)], "seed": 5}
    with app.test_client() as client:
        submitted = client.post("/v1/jobs", json={**job, "input": body})
        assert submitted.status_code == 202, submitted.get_data(as_text=True)[:500]
        executor = Executor(job_store(app), scheduler_address(app.config))
        assert executor.scheduler == scheduler
        assert executor.run_once()
        state = client.get(submitted.headers["Location"]).get_json()
        assert state["state"] == "succeeded", state
        assert state["progress"]["done"] == state["progress"]["total"]
        assert calls == [scheduler]
        result = client.get(state["result_url"])
        direct = client.post(route, json=body)
        assert direct.status_code == 200
        assert result.get_data() == direct.get_data()


def _rows() -> list[dict[str, Any]]:
    """The example table's rows as JSON (the form POST /v1/rollups takes)."""
    from models.analyses.rollup import rows_from_csv

    rows, errors = rows_from_csv(TABLE.read_text())
    assert errors == []
    return rows


@pytest.mark.slow
def test_the_command_line_with_scheduler_prints_the_in_process_json(
    scheduler: str, tmp_path: Path
) -> None:
    base = tmp_path / "base.json"
    base.write_text(json.dumps(_base(100)))
    command = [sys.executable, "-m", "service.cli", "rollup", str(TABLE), "--base", str(base)]
    command += ["--umra-year", "2019", "--format", "json"]
    env = {k: v for k, v in os.environ.items() if k != SCHEDULER_ENV}

    def run(extra: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command + extra, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env
        )

    here, there = run([]), run(["--scheduler", scheduler])
    assert here.returncode == 0, here.stderr[-2000:]
    assert there.returncode == 0, there.stderr[-2000:]
    assert there.stdout == here.stdout
    assert len(json.loads(there.stdout)["jurisdictions"]) == 11


def test_the_command_line_tells_a_scheduler_it_cannot_reach(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing listens on port 9 of the loopback: one line, status 1, no traceback."""
    monkeypatch.setattr(DaskExecutor, "TIMEOUT", 0.5)
    base = tmp_path / "base.json"
    base.write_text(json.dumps(_base(100)))
    status = main(["rollup", str(TABLE), "--base", str(base), "--scheduler", "tcp://127.0.0.1:9"])
    assert status == 1
    out, err = capsys.readouterr()
    assert err.startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert "Traceback" not in err
    assert out == ""


def test_an_unreachable_scheduler_is_a_scaleout_error() -> None:
    executor = DaskExecutor("tcp://127.0.0.1:9", timeout=0.5)
    with pytest.raises(ScaleoutError, match=r"cannot reach the Dask scheduler at tcp://127"):
        next(iter(executor(abs, [1])))


def test_the_scheduler_comes_from_the_settings_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    assert scheduler_address({}) is None
    monkeypatch.setenv(SCHEDULER_ENV, " tcp://scheduler.example:8786 ")
    assert scheduler_address({}) == "tcp://scheduler.example:8786"
    assert scheduler_address({"DASK_SCHEDULER": "tcp://a:1"}) == "tcp://a:1"
    monkeypatch.setenv(SCHEDULER_ENV, "")
    assert scheduler_address(None) is None
