"""How long a roll-up's report takes to render (issue 13: every US jail, 3,500 rows).

A real roll-up of ``--rows`` synthetic jurisdictions (detainers 5 to 904 a year over a base
with an uncertain extra stay, ``--trials`` trials: the trials do not change the tables'
size) is run once; then each format is rendered from its result (``render_rollup``), each
row the best of ``--repeats`` after one warm-up (fonts, matplotlib, openpyxl), by the wall
clock or this process's CPU time (``--clock cpu``). Last, the XLSX's jurisdiction sheet
written the way every report's sheets were before (``ws.append`` then each formatted cell
found again through ``ws.max_row``, which scans the sheet: quadratic) against the way they
are now (cells made with their formats, then appended), on the same rows, as a ratio
measured in this run.

Usage: ``.venv/bin/python benchmarks/bench_rollup_report.py [--rows 3500] [--trials 100]
[--repeats 3] [--clock wall|cpu]``
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable, Sequence
from typing import Any


def best(fn: Callable[[], Any], repeats: int, clock: Callable[[], float]) -> float:
    """The shortest of ``repeats`` timings of ``fn``."""
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times)


def _old_write(ws: Any, rows: Sequence[Sequence[Any]], formats: Sequence[str | None]) -> None:
    """The former ``write_rows``: append, then find each formatted cell by ``max_row``."""
    for row in rows:
        ws.append(list(row))
        for col, fmt in enumerate(formats, start=1):
            if fmt:
                ws.cell(row=ws.max_row, column=col).number_format = fmt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=3500)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time

    from openpyxl import Workbook

    from models.analyses.rollup import rollup
    from service.reports.rollup import render_rollup, with_report_percentiles
    from service.reports.tables import write_rows

    base = {
        "name": "Synthetic national roll-up",
        "extra_days_per_detainer": {"dist": "pert", "low": 10, "mode": 20, "high": 50},
        "daily_cost": 90,
        "trials": args.trials,
    }
    rows = [
        {"name": f"County {i:04d}, ST", "detainers_per_year": 5 + (i * 37) % 900}
        for i in range(args.rows)
    ]
    body = with_report_percentiles({"base": base, "rows": rows})
    start = time.perf_counter()
    result = rollup(body["base"], body["rows"], threshold={"umra_year": 2019})
    print(
        f"roll-up of {args.rows:,} rows x {args.trials} trials: {time.perf_counter() - start:.1f} s"
    )
    print(f"{'format':<8}{'bytes':>12}{args.clock + ' s':>10}")
    for fmt in ("html", "pdf", "xlsx", "csv"):
        size = len(render_rollup(result, fmt).body)  # warm-up
        seconds = best(functools.partial(render_rollup, result, fmt), args.repeats, clock)
        print(f"{fmt:<8}{size:>12,}{seconds:>10.2f}")

    money = '"$"#,##0;-"$"#,##0'
    table = [
        (r.rank, r.row, r.name, r.mean, r.p5, r.p95, r.share, r.cumulative_share)
        for r in result.ranked
    ]
    formats = [None, None, None, money, money, money, "0.0%", "0.0%"]

    def new() -> None:
        write_rows(Workbook().active, table, formats)

    def old() -> None:
        _old_write(Workbook().active, table, formats)

    t_new = best(new, args.repeats, clock)
    t_old = best(old, 1, clock)
    print(
        f"XLSX jurisdiction sheet, {len(table):,} rows: before {t_old:.2f} s, now {t_new:.2f} s "
        f"({t_old / t_new:.0f}x faster)"
    )


if __name__ == "__main__":
    main()
