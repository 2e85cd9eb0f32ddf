"""The browser of the page and report tests (tests/service/test_page.py,
test_report_phone.py) and of benchmarks/bench_page.py: one place that says which Chromium
and how it is started.

Debian's ``chromium-headless-shell`` first, which ``make test`` installs: the same Blink
and V8 as Debian's ``chromium`` at the same version, built for headless use alone (no
browser window code, no GPU process), which is what Playwright itself runs for a
headless launch. The two browser test modules took 27 s of CPU with it against 43 s with
the full browser in its new headless mode, every assertion the same (2026-11-29,
docs/benchmarks.md "Session 8"). The full ``chromium`` is used where the shell is
missing.

The binary is started itself, not Debian's ``/usr/bin/chromium-headless-shell``: that is a
``sh`` script that runs the binary as its child without ``exec``, so a browser closed by
Playwright would leave it behind.
"""

from __future__ import annotations

import os
import shutil

HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell"


def chromium_path() -> str | None:
    """The Chromium to drive: the headless shell, else the full browser, else None."""
    if os.access(HEADLESS_SHELL, os.X_OK):
        return HEADLESS_SHELL
    return shutil.which("chromium")


CHROMIUM = chromium_path()

#: Chromium's switches: no sandbox (the tests run as root, in CI too), and none of the
#: background connections (updates, sync, QUIC) that a machine without internet refuses,
#: many at a time.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Why a browser test is skipped where no Chromium can be found.
MISSING = (
    "no Chromium on this machine (make test installs Debian's chromium-headless-shell; "
    "the full chromium works too)"
)
