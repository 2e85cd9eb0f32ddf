"""How long a report takes (issue 14: a PDF in under three seconds).

The example county (examples/county.json, 10,000 trials, 5 years) through the path the
service and the command line take: ``build_report`` (the simulation and the tornado's
runs) then ``render`` in each format, and the PDF split into its HTML (charts included)
and WeasyPrint's layout and writing. Each row is the best of ``--repeats`` runs in one
process after one warm-up (the first render loads fonts and matplotlib), timed by the
wall clock and by this process's CPU time (``--clock cpu``: what a busy machine does not
inflate; rendering is single-threaded).

Usage: ``.venv/bin/python benchmarks/bench_report.py [--repeats 5] [--clock wall|cpu]``
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def best(fn: Callable[[], Any], repeats: int, clock: Callable[[], float]) -> float:
    """The shortest of ``repeats`` timings of ``fn``."""
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    parser.add_argument("--scenario", default=str(ROOT / "examples" / "county.json"))
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time

    import weasyprint

    from service.reports import render
    from service.reports.html import render_html
    from service.reports.pdf import RefusingFetcher
    from service.runner import build_report

    body = json.loads(Path(args.scenario).read_text())
    report, _ = build_report(body)
    for fmt in ("html", "pdf", "xlsx", "csv"):  # warm-up: fonts, matplotlib, openpyxl
        render(report, fmt)
    html = render_html(report)

    def weasy() -> bytes:
        pdf: bytes = weasyprint.HTML(
            string=html, url_fetcher=RefusingFetcher(), base_url="."
        ).write_pdf()
        return pdf

    rows = [
        ("build_report (simulation + tornado runs)", lambda: build_report(body)),
        ("HTML (charts included)", lambda: render(report, "html")),
        ("PDF, whole (HTML + WeasyPrint)", lambda: render(report, "pdf")),
        ("PDF, WeasyPrint part alone", weasy),
        ("XLSX", lambda: render(report, "xlsx")),
        ("CSV", lambda: render(report, "csv")),
    ]
    print(f"{args.clock} clock, best of {args.repeats}; {Path(args.scenario).name}")
    print("| step | seconds |\n|---|---:|")
    results = {}
    for name, fn in rows:
        results[name] = best(fn, args.repeats, clock)
        print(f"| {name} | {results[name]:.2f} |")
    end_to_end = (
        results["build_report (simulation + tornado runs)"]
        + results["PDF, whole (HTML + WeasyPrint)"]
    )
    print(f"| PDF report end to end (build + PDF) | {end_to_end:.2f} |")
    pages = len(weasyprint.HTML(string=html, url_fetcher=RefusingFetcher()).render().pages)
    print(f"PDF pages: {pages}")


if __name__ == "__main__":
    main()
