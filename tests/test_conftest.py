"""The pauses of coverage (tests/coverage_pause.py), each in a pytest run of its own as
`make test` runs (xdist workers, --cov):

* tests/conftest.py runs a slow test with no tracer, and the tests after it are measured
  again;
* ``this_thread_untraced`` leaves unmeasured what its thread runs meanwhile, and only
  that: the lines before and after it, and those another thread runs meanwhile, are
  measured.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SLOW = """
import sys

import pytest


def test_measured_before():
    assert sys.gettrace() is not None


@pytest.mark.slow
def test_slow_runs_untraced():
    assert sys.gettrace() is None


def test_measured_after():
    assert sys.gettrace() is not None
"""

MEASURED = """
def before():
    return "before"


def inside():
    return "inside"


def in_thread():
    return "in a thread"


def after():
    return "after"
"""

PAUSED = """
import threading

import measured
from tests.coverage_pause import this_thread_untraced


def test_only_this_thread_goes_unmeasured():
    go, done = threading.Event(), threading.Event()

    def other():
        go.wait(30)
        measured.in_thread()
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    measured.before()
    with this_thread_untraced():
        measured.inside()
        go.set()
        assert done.wait(30)
    measured.after()
    thread.join(30)
"""


def _project(tmp_path: Path, tests: str) -> Path:
    """A copy of tests/conftest.py and tests/coverage_pause.py in a project of its own,
    with ``tests`` as the test module."""
    package = tmp_path / "tests"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("conftest.py", "coverage_pause.py"):
        shutil.copy(ROOT / "tests" / name, package / name)
    (package / "test_traced.py").write_text(tests)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: slow\n")
    return package


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "1"]
    return subprocess.run(
        [*command, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_slow_tests_run_untraced_and_the_rest_measured(tmp_path: Path) -> None:
    package = _project(tmp_path, SLOW)
    done = _pytest(tmp_path, "--cov", "--cov-report=", str(package))
    assert done.returncode == 0, done.stdout[-3000:]
    assert "3 passed" in done.stdout


def test_this_thread_untraced_leaves_only_its_own_calls_unmeasured(tmp_path: Path) -> None:
    package = _project(tmp_path, PAUSED)
    (tmp_path / "measured.py").write_text(MEASURED)
    done = _pytest(tmp_path, "--cov=measured", "--cov-report=term-missing", str(package))
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 passed" in done.stdout
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("measured.py"))
    # the body of inside(), line 7, alone is missing
    assert line.split()[-1] == "7", line
