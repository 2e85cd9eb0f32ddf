"""``detainer-cost``: each command imports only what it needs.

The engine's commands must not pay for the web service and the report renderers
(Flask, WeasyPrint, matplotlib, openpyxl take seconds to import). Each check runs the
command in a fresh interpreter, as the console script does, and lists what got imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("flask", "werkzeug", "weasyprint", "matplotlib", "openpyxl", "gunicorn")

RUN = """
import contextlib, io, json, sys
from service.cli import main

with contextlib.redirect_stdout(io.StringIO()) as out:
    status = main(json.loads(sys.argv[1]))
heavy = sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)
print(json.dumps({"status": status, "heavy": heavy, "out": out.getvalue()}))
"""


def run_cli(args: list[str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(args), json.dumps(HEAVY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


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
