"""The scenario page's answer time, as a person waits for it: from the click on "Run"
(or "Compare") to the result drawn in the page, in headless Chromium against a real
gunicorn on 127.0.0.1 (issue 14's targets: a 10,000-trial run under 1 s, a comparison of
three alternatives under 2 s).

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_page.py`` (needs Debian's
chromium-headless-shell, which ``make test`` installs, or chromium: tests/browser.py).
Each figure is the median of ``--repeat`` clicks on the page's default scenario (10,000
trials, one year); the browser, the server and this script share the same cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from playwright.sync_api import expect, sync_playwright

from benchmarks.load import gunicorn
from models import simulate
from models.analyses.compare import compare
from tests.browser import ARGS, CHROMIUM

WAIT = 60_000


def _click_and_wait(page: Any, button: str, done: str) -> tuple[float, float]:
    """Seconds from the click to the drawn result, measured here and by the page."""
    page.evaluate(f"delete document.querySelector('{done}').dataset.ranIn")
    start = time.perf_counter()
    page.locator(button).click()
    expect(page.locator(f"{done}[data-ran-in]")).to_be_attached(timeout=WAIT)
    outside = time.perf_counter() - start
    inside = float(page.locator(done).get_attribute("data-ran-in") or "nan")
    return outside, inside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with gunicorn(1) as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/")
        expect(page.locator("#field-daily_cost-low")).to_be_visible(timeout=WAIT)
        page.locator("#tab-compare").click()
        for template in ("warrant", "all"):
            page.locator("#add-alternative").select_option(template)
            page.locator("#add-alternative-button").click()
        page.locator(".alternative").nth(1).locator(".ov-value").fill("5%")
        scenario = page.evaluate("JSON.stringify(readScenario().scenario)")
        alternatives = page.evaluate("JSON.stringify(readAlternatives().alternatives)")
        runs = [_click_and_wait(page, "#run", "#results") for _ in range(args.repeat)]
        page.locator("#tab-compare").click()
        comparisons = [_click_and_wait(page, "#compare", "#comparison") for _ in range(args.repeat)]
        browser.close()

    body, alts = json.loads(scenario), json.loads(alternatives)
    engine_run, engine_compare = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        simulate(body)
        engine_run.append(time.perf_counter() - start)
        start = time.perf_counter()
        compare(body, alts)
        engine_compare.append(time.perf_counter() - start)
    rows = [
        ("10,000-trial run", runs, engine_run, 1.0),
        ("comparison, 3 alternatives", comparisons, engine_compare, 2.0),
    ]
    print(f"median of {args.repeat}, seconds")
    print(
        "| what | click to drawn | page's own fetch + draw | engine alone | target "
        "| share of target |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, timed, engine, target in rows:
        outside = statistics.median(t[0] for t in timed)
        inside = statistics.median(t[1] for t in timed)
        e = statistics.median(engine)
        print(
            f"| {name} | {outside:.3f} | {inside:.2f} | {e:.3f} | {target:.0f} | "
            f"{outside / target:.2f}x |"
        )


if __name__ == "__main__":
    main()
