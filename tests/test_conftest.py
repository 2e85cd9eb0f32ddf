"""tests/conftest.py's pause of coverage around the `slow` tests, in a pytest run of its
own as `make test` runs (xdist workers, --cov): a slow test runs with no tracer, and the
tests after it are measured again."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TESTS = """
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


def test_slow_tests_run_untraced_and_the_rest_measured(tmp_path: Path) -> None:
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_traced.py").write_text(TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: slow\n")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*command, "-n", "1", "--cov", "--cov-report=", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "3 passed" in done.stdout
