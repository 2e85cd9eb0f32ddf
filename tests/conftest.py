"""What every test run shares: the `slow` tests first and unmeasured, and, at the run's
end, each folder of screenshots that its browser tests wrote (build/screenshots/<name>/)
for a person to look at. This file sits at the top of tests/ so that pytest loads it in
the controlling process, with or without workers (pytest-xdist)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"
_LOADED = time.time()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test` runs every test in one pytest-xdist run under --cov. The `slow` tests
    (real servers, browsers, the fuzzing: seconds each, much of it waiting) go first, so
    that the workers that steal from the first worker's share spread them out while the
    in-process tests fill the cores their waits leave idle, and none is left for the end
    alone. They are not measured (pytest-cov's `no_cover`): their servers run in other
    processes, and tracing their in-process work slowed them by half; the coverage floor
    is of the in-process tests."""
    slow = [item for item in items if item.get_closest_marker("slow")]
    for item in slow:
        item.add_marker(pytest.mark.no_cover)
    fast = [item for item in items if not item.get_closest_marker("slow")]
    items[:] = slow + fast


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not SCREENSHOTS.is_dir():
        return
    written = {p.parent for p in SCREENSHOTS.rglob("*.png") if p.stat().st_mtime >= _LOADED}
    for folder in sorted(written):
        terminalreporter.write_line(f"screenshots to look at: {folder}")
