"""What every test run shares: the run names, at its end, each folder of screenshots that
its browser tests wrote (build/screenshots/<name>/) for a person to look at. This file
sits at the top of tests/ so that pytest loads it in the controlling process, with or
without workers (pytest-xdist)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"
_LOADED = time.time()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not SCREENSHOTS.is_dir():
        return
    written = {p.parent for p in SCREENSHOTS.rglob("*.png") if p.stat().st_mtime >= _LOADED}
    for folder in sorted(written):
        terminalreporter.write_line(f"screenshots to look at: {folder}")
