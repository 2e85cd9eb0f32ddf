"""``detainer-cost``: each command imports only what it needs.

The engine's commands must not pay for the web service and the report renderers
(Flask, WeasyPrint, matplotlib, openpyxl take seconds to import). Each check runs the
command in a process that has imported nothing else of its own, and lists what got
imported: a child forked, for each command, from one interpreter per test process that has
imported the engine alone (numpy, scipy and models, which every command here loads, and
the command line's module), and has checked that none of the heavy libraries is among
what that loaded. A fresh interpreter for each command cost the import of numpy and scipy
each time (some 1.9 s of CPU).
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("flask", "werkzeug", "weasyprint", "matplotlib", "openpyxl", "gunicorn")

SERVER = """
import contextlib, io, json, os, sys
import models, service.cli.engine_commands  # the engine and the command line's module

heavy = json.loads(sys.argv[1])
assert not [m for m in heavy if m in sys.modules], [m for m in heavy if m in sys.modules]
print("ready", flush=True)
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:  # the command, in a child that exits when it has reported
        try:
            from service.cli import main
            with contextlib.redirect_stdout(io.StringIO()) as out:
                status = main(json.loads(line))
            loaded = sorted(m for m in heavy if m in sys.modules)
            result = {"status": status, "heavy": loaded, "out": out.getvalue()}
        except BaseException as exc:
            result = {"error": repr(exc)}
        sys.stdout.write(json.dumps(result) + "\\n")
        sys.stdout.flush()
        os._exit(0)
    os.waitpid(pid, 0)
"""


class _Forks:
    """The forking interpreter of this test process, started at its first command."""

    lock = threading.Lock()
    proc: subprocess.Popen[str] | None = None

    @classmethod
    def run(cls, args: list[str]) -> dict[str, object]:
        with cls.lock:
            if cls.proc is None or cls.proc.poll() is not None:
                cls.proc = subprocess.Popen(
                    [sys.executable, "-c", SERVER, json.dumps(HEAVY)],
                    cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                    env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},  # no BLAS threads to fork
                )  # fmt: skip
                assert _line(cls.proc.stdout) == "ready\n"
                atexit.register(cls.close, cls.proc)
            assert cls.proc.stdin is not None
            cls.proc.stdin.write(json.dumps(args) + "\n")
            cls.proc.stdin.flush()
            result: dict[str, object] = json.loads(_line(cls.proc.stdout))
        assert "error" not in result, result
        return result

    @staticmethod
    def close(proc: subprocess.Popen[str]) -> None:
        """End of input: the interpreter leaves its loop and exits."""
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(30)
        if proc.stdout is not None:
            proc.stdout.close()


def _line(stream: IO[str] | None, timeout: float = 120) -> str:
    """The interpreter's next line, within ``timeout`` seconds (a command that hangs fails
    the test, as the fresh interpreter's 120 s timeout did)."""
    assert stream is not None
    ready, _, _ = select.select([stream], [], [], timeout)
    if not ready:
        assert _Forks.proc is not None
        _Forks.proc.kill()
        raise AssertionError(f"no answer from the forking interpreter in {timeout} s")
    line = stream.readline()
    assert line, "the forking interpreter exited"
    return line


def run_cli(args: list[str]) -> dict[str, object]:
    """Run ``detainer-cost ARGS`` in a child of the engine-only interpreter: its exit
    status, its standard output and the heavy libraries it imported."""
    return _Forks.run(args)


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "examples/county.json", "--trials", "200"],
        ["simulate", "examples/county.json", "--trials", "200", "--format", "json"],
        ["parameters", "--format", "json"],
        ["presets"],
    ],
    ids=["simulate-table", "simulate-json", "parameters", "presets"],
)
def test_engine_commands_import_no_web_or_report_library(args: list[str]) -> None:
    result = run_cli(args)
    assert result["status"] == 0
    assert result["out"]  # the command did its work
    assert result["heavy"] == []


def test_csv_report_imports_no_chart_pdf_or_spreadsheet_library(tmp_path: Path) -> None:
    out = tmp_path / "county.csv"
    result = run_cli(["report", "examples/county.json", "--format", "csv", "-o", str(out)])
    assert result["status"] == 0
    assert out.read_text().startswith("scenario,section,alternative,year,year_label,quantity,")
    heavy = result["heavy"]
    assert isinstance(heavy, list)
    assert not {"weasyprint", "matplotlib", "openpyxl"} & set(heavy)


SERVE = """
import json, os, sys
from service.cli import main

def execv(path, argv):
    engine = ("numpy", "scipy", "models", "flask", "gunicorn")
    print(json.dumps({"argv": argv, "loaded": sorted(m for m in engine if m in sys.modules)}))
    sys.exit(0)

os.execv = execv
main(["serve", "--port", "8123", "--workers", "1"])
"""


def test_serve_becomes_gunicorn_without_importing_the_engine() -> None:
    """`detainer-cost serve` execs gunicorn: importing numpy and scipy first (some 1.2 s
    of CPU) was start-up time spent in a process about to be replaced."""
    done = subprocess.run(
        [sys.executable, "-c", SERVE], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["loaded"] == []
    assert result["argv"][1:] == [
        "-m", "gunicorn", "-c", "python:service.gunicorn_conf",
        "--bind", "127.0.0.1:8123", "--workers", "1",
    ]  # fmt: skip
