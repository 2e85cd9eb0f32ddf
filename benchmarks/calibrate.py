"""Calibrating from a large bookings extract (issue 15): time and peak memory of
``detainer-cost calibrate`` on a synthetic jail of 250,000, 500,000 and 1,000,000 bookings.

    PYTHONPATH=. .venv/bin/python benchmarks/calibrate.py [--sizes 250000,500000,1000000]

The extract is written once per size to a temporary CSV (7 columns, ISO 8601 dates, a
name column the calibration never reads); each calibration runs in a fresh process
(``detainer-cost calibrate FILE --out ...``, the command a user runs, 400 bootstrap
resamples), whose wall time, CPU time and peak resident memory (the child's ``ru_maxrss``, from
``os.wait4``) are
reported. The extract is written by a separate process, so that the parent stays small: a
child's peak counts what it inherited at the fork. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CLASSES = np.array(["felony", "misdemeanor", "other"])
MIX_DETAINER = [0.6, 0.3, 0.1]
MIX_OTHER = [0.25, 0.55, 0.2]
BASE_DAYS = np.array([40.0, 8.0, 3.0])
EXTRA_DAYS = np.array([25.0, 10.0, 5.0])


def write_extract(path: Path, n: int, seed: int = 1) -> None:
    """A jail's extract of about ``n`` bookings over four years (vectorized: seconds)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2022-01-01T00:00:00", "s")
    span = 4 * 365 * 86400
    booked = np.sort(rng.integers(0, span, n))
    detainer = rng.uniform(size=n) < 0.06
    cls = np.where(detainer, rng.choice(3, n, p=MIX_DETAINER), rng.choice(3, n, p=MIX_OTHER))
    stay = rng.gamma(0.7, BASE_DAYS[cls] / 0.7) + np.where(
        detainer, rng.gamma(2.0, EXTRA_DAYS[cls] / 2.0), 0.0
    )
    released = booked + (stay * 86400).astype(np.int64)
    open_ = released > span
    b_text = (start + booked).astype(str)
    r_text = np.where(open_, "", (start + released).astype(str))
    flag = np.where(detainer, "Y", "N")
    with path.open("w", encoding="utf-8") as fh:
        fh.write("booking_id,booked_at,released_at,detainer,charge_class,name,dob\n")
        for chunk in range(0, n, 100_000):
            end = min(chunk + 100_000, n)
            fh.write(
                "".join(
                    f"B{i},{b_text[i]},{r_text[i]},{flag[i]},{CLASSES[cls[i]]},Doe,1970-01-01\n"
                    for i in range(chunk, end)
                )
            )


def run_one(path: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident MB of ``detainer-cost calibrate`` on
    ``path``."""
    command = [sys.executable, "-m", "service.cli", "calibrate", str(path), "--out", os.devnull]
    t0 = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own resource usage
    seconds = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"calibrate failed with status {child.returncode}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="250000,500000,1000000")
    parser.add_argument("--write", nargs=2, metavar=("PATH", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_extract(Path(args.write[0]), int(args.write[1]))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print("| bookings | file (MB) | wall (s) | CPU (s) | peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"bookings-{n}.csv"
            # Written by another process: a child forked from a parent holding the
            # generator's arrays would count them in its own peak (ru_maxrss).
            subprocess.run([sys.executable, __file__, "--write", str(path), str(n)], check=True)
            seconds, cpu, peak = run_one(path)
            size = path.stat().st_size / 1e6
            print(f"| {n:,} | {size:.0f} | {seconds:.1f} | {cpu:.1f} | {peak:.0f} |", flush=True)
            path.unlink()
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
