"""The HTML report on a phone (390 px wide, headless Chromium): no horizontal scroll, and
every table cell visible inside the screen (no lost column). Screenshots are saved for a
person to look at, under a folder the test prints."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.reports import render
from service.runner import build_report
from tests.browser import ARGS, CHROMIUM, MISSING

from .conftest import ROOT
from .test_report_format import COMPARISON, SCENARIO

pytestmark = pytest.mark.slow
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
    if CHROMIUM is None:
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


BODIES: dict[str, Any] = {
    "comparison": {**COMPARISON, "baseline": {**SCENARIO, "trials": 200}},
    "preset": {"preset": "cook-county-2011", "trials": 100},
    # an address with nowhere to break, in the description and in a note
    "long-address": {
        **SCENARIO,
        "description": "Source: https://example.org/" + "a" * 150,
        "daily_cost": {"dist": "uniform", "low": 55, "high": 105, "note": "b" * 150},
        "trials": 100,
    },
}


@pytest.mark.parametrize("which", sorted(BODIES))
def test_report_fits_a_phone(chromium: Any, which: str) -> None:
    report, _ = build_report(BODIES[which])
    html = render(report, "html").body.decode()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in (("phone", PHONE), ("desktop", {"width": 1280, "height": 900})):
        name = f"{which}-{size}"
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


def test_a_long_address_stays_on_the_pdf_page(tmp_path: Path) -> None:
    """In the PDF too, a word longer than a line wraps: every word of every page lies
    inside the page (pdftotext -bbox)."""
    report, _ = build_report(BODIES["long-address"])
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(render(report, "pdf").body)
    box = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    width = float(re.findall(r'<page width="([\d.]+)"', box)[0])
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', box))
    assert right <= width, (right, width)
    assert sum(len(word) for word in re.findall(r">(b+)<", box)) == 150  # all of the note
