"""The HTML report on a phone (390 px wide, headless Chromium): no horizontal scroll, and
every table cell visible inside the screen (no lost column). Screenshots are saved for a
person to look at, under a folder the test prints."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.reports import render
from service.runner import build_report

from .conftest import ROOT
from .test_report_format import COMPARISON, SCENARIO

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "build" / "screenshots" / "report"
PHONE = {"width": 390, "height": 844}

# Every cell's box, and the widest thing on the page.
MEASURE = """() => {
  const cells = [...document.querySelectorAll('table td')].map(td => {
    const r = td.getBoundingClientRect();
    return {text: td.textContent.trim().slice(0, 40), left: r.left, right: r.right,
            width: r.width, shown: getComputedStyle(td).display !== 'none'};
  });
  return {scroll: document.documentElement.scrollWidth, cells};
}"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium on this machine (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def test_report_fits_a_phone(chromium: Any) -> None:
    baseline: dict[str, Any] = {**SCENARIO, "trials": 200}
    report, _ = build_report({**COMPARISON, "baseline": baseline})
    html = render(report, "html").body.decode()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("phone", PHONE), ("desktop", {"width": 1280, "height": 900})):
        page = chromium.new_page(viewport=viewport)
        page.route("**/*", lambda route: route.abort())  # a report loads nothing
        page.set_content(html)
        measured = page.evaluate(MEASURE)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        page.close()
        width = viewport["width"]
        assert measured["scroll"] <= width, (name, measured["scroll"])
        for cell in measured["cells"]:
            assert cell["shown"], (name, cell)
            assert cell["width"] > 0, (name, cell)
            assert cell["left"] >= 0, (name, cell)
            assert cell["right"] <= width + 0.5, (name, cell)
    print(f"\nReport screenshots for review: {Path(SHOTS)}")
