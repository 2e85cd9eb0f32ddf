"""What every test run shares: the run names, at its end, each folder of screenshots that
its browser tests wrote (build/screenshots/<name>/) for a person to look at; and under
``--cov`` the ``slow`` tests run unmeasured. This file sits at the top of tests/ so that
pytest loads it in the controlling process, with or without workers (pytest-xdist)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.coverage_pause import coverage_paused

SCREENSHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"
_LOADED = time.time()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not SCREENSHOTS.is_dir():
        return
    written = {p.parent for p in SCREENSHOTS.rglob("*.png") if p.stat().st_mtime >= _LOADED}
    for folder in sorted(written):
        terminalreporter.write_line(f"screenshots to look at: {folder}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Coverage paused for each ``slow`` test, its fixtures included.

    `make test` runs every test but the deep ones in one pytest run, measured (--cov) for
    the lines of models/ and service/ that the in-process tests run. The slow tests
    (statistical comparisons, the fuzzing, real servers and browsers) ran in a second
    run, unmeasured: the tracer slowed them by half, and their servers run in other
    processes anyway. One run spares a second run's workers their start (some 9 s of CPU
    each: the imports and the collection of every test) and lets each worker take either
    kind of test.
    """
    if item.get_closest_marker("slow") is None:
        return (yield)
    with coverage_paused():
        return (yield)
