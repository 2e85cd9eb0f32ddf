"""The scenario page at / in a real headless Chromium (Debian's, tests/browser.py, driven
by Playwright), used as an analyst would: type numbers as people write them, enter a range,
run, read the result, compare policies, see what drives the cost, download the scenario
and a report, share a link and open it, calibrate the form from a bookings extract (and
see a bad one's rows named), on a desktop and at a phone's 390 px, with the keyboard
alone, checked by axe-core for accessibility.

Every state is saved as a PNG under ``build/screenshots/page/`` (the path is printed at
the end of the run) for a person to look at.

Every wait is a Playwright locator or `expect(...)` assertion, which poll from Playwright's
own isolated world. The page's Content-Security-Policy forbids `eval`, and
`page.wait_for_function` evaluates its predicate string with `eval` on every poll, so it
is never used here (tests/test_browser_waits.py holds every test to that).

`make test` installs Chromium's headless shell and axe-core (`make axe-core`: npm, into
build/node); where no browser can be installed the tests are skipped with the reason
printed."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
from playwright.sync_api import expect
from werkzeug.serving import make_server

from service import create_app
from tests.browser import ARGS, CHROMIUM, MISSING

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
AXE = Path(os.environ.get("AXE_CORE_JS", ROOT / "build/node/node_modules/axe-core/axe.min.js"))
SHOTS = ROOT / "build" / "screenshots" / "page"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Generous: on a busy 2-core machine a run and a PDF take seconds.
LOAD = 30_000
RUN = 60_000


def _browser_or_skip() -> None:
    if CHROMIUM is None:
        print(f"SKIPPED: {MISSING}")
        pytest.skip(MISSING)


@pytest.fixture(scope="module")
def serve() -> Iterator[Any]:
    """A server per set of settings, started once for the module (an app takes seconds
    to create)."""
    servers = []
    started: dict[str, str] = {}

    def start(**settings: Any) -> str:
        key = repr(sorted(settings.items()))
        if key in started:
            return started[key]
        app = create_app({"TESTING": True, **settings})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append(server)
        started[key] = f"http://127.0.0.1:{server.server_port}"
        return started[key]

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture(scope="module")
def _chromium() -> Iterator[Any]:
    """One Chromium for the module's tests (Playwright's driver and the browser took a
    few seconds of CPU to start for each test)."""
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser(_chromium: Any) -> Iterator[Any]:
    """The module's Chromium; every context a test opened (its pages, cookies, storage) is
    closed after it, so each test starts from none."""
    yield _chromium
    for context in _chromium.contexts:
        context.close()


def _page(browser: Any, viewport: dict[str, int], ignore: tuple[str, ...] = ()) -> Any:
    context = browser.new_context(accept_downloads=True, viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith(ignore)
            else None
        ),
    )
    page.errors = errors
    return page


def _shot(page: Any, name: str, part: str | None = None) -> None:
    """The whole page, or the element `part` only, as build/screenshots/page/NAME.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SHOTS / f"{name}.png")
    if part:
        page.locator(part).screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=True)


def _axe(page: Any) -> list[str]:
    """Serious and critical axe-core violations of the page as it stands. The script is
    evaluated from the driver, which the page's CSP does not govern."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"axe-core missing at {AXE}: `make axe-core` installs it")
        pytest.skip(f"axe-core missing at {AXE}: `make axe-core` installs it")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['nodes']}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def _no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"the page scrolls sideways: {width} px wide in {inner} px"


def _field(page: Any, name: str) -> Any:
    return page.locator(f'.field[data-name="{name}"]')


# How the page reads what people type: (field, typed, value or None for refused).
TYPED = [
    ("bookings_per_year", "25,000", 25000),
    ("bookings_per_year", "1.2M", 1_200_000),
    ("bookings_per_year", "25k", 25000),
    ("bookings_per_year", " 1,234,567.5 ", 1234567.5),
    ("daily_cost", "$75", 75),
    ("daily_cost", "$1.2 million", 1_200_000),
    ("daily_cost", "75", 75),
    ("honor_rate", "85%", 0.85),
    ("honor_rate", "85", 0.85),
    ("honor_rate", "0.5%", 0.005),
    ("discount_rate", "3%", 0.03),
    ("bookings_growth", "-2%", -0.02),
    ("cost_inflation", "7%", 0.07),
    ("start_year", "2026", 2026),
    ("daily_cost", "4%", None),  # a percent of a dollar figure
    ("detainers_per_year", "$100", None),  # dollars of a count
    ("honor_rate", "1k", None),
    ("bookings_per_year", "1,5", None),  # a decimal comma is not guessed at
    ("bookings_per_year", "12,34", None),
    ("start_year", "2,026", None),
    ("horizon_years", "2.5", None),
    ("bookings_per_year", "about 300", None),
]


def test_an_analyst_runs_compares_and_shares_on_a_desktop(serve: Any, browser: Any) -> None:
    page = _page(browser, DESKTOP)
    base = serve()
    page.goto(base + "/")
    expect(page.locator("#field-daily_cost-low")).to_be_visible(timeout=LOAD)
    expect(page.locator("#field-name")).to_have_value("My county")
    expect(page.locator("#api-key")).to_be_hidden()  # this service asks for no key
    read = page.evaluate(
        "cases => cases.map(([name, text]) => parseAmount(text, byName.get(name)))",
        [[name, text] for name, text, _ in TYPED],
    )
    for (name, text, expected), got in zip(TYPED, read, strict=True):
        if expected is None:
            assert "error" in got, (name, text, got)
        else:
            assert got == {"value": expected}, (name, text, got)
    # Groups in the order of the chain; the optional ones off, their fields hidden.
    legends = page.locator("fieldset.group > legend").all_inner_texts()
    chain = ["How many", "honored", "The hold", "extra stay", "Costs", "Offsets", "Horizon"]
    positions = [next(i for i, t in enumerate(legends) if c in t) for c in chain]
    assert positions == sorted(positions), legends
    expect(page.locator("#include-liability")).not_to_be_checked()
    expect(page.locator("#field-liability-cost_per_claim-shape")).to_be_hidden()
    expect(page.locator("#field-seed")).to_be_hidden()  # run settings folded away
    # Hints fit their field: a percent for a share, dollars for a cost, a count for a count.
    expect(page.locator("#field-honor_rate")).to_have_attribute("placeholder", "e.g. 100%")
    expect(page.locator("#field-daily_cost_average")).to_have_attribute("placeholder", "e.g. $120")
    expect(page.locator("#field-population")).to_have_attribute("placeholder", "e.g. 250,000")
    _shot(page, "desktop-1-form")

    # Numbers as people type them: bookings and a rate, shares as percents.
    page.locator("#volume-bookings").check()
    expect(page.locator("#field-detainers_per_year")).to_be_hidden()
    page.locator("#field-bookings_per_year").fill("25,000")
    page.locator("#field-detainer_rate").fill("4.8%")
    page.locator("#field-daily_cost-shape").select_option("pert")
    page.locator("#field-daily_cost-low").fill("$55")
    page.locator("#field-daily_cost-mode").fill("$75")
    page.locator("#field-daily_cost-high").fill("1.2k")
    expect(_field(page, "daily_cost").locator(".spark svg rect")).to_have_count(24)
    # A percent on a dollar figure is refused beside the field, and announced.
    page.locator("#field-daily_cost-high").fill("4%")
    page.locator("#run").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#field-daily_cost-error")).to_contain_text("only a share")
    expect(page.locator("#field-daily_cost-high")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-daily_cost-low")).not_to_have_attribute("aria-invalid", "true")
    _shot(page, "desktop-2-error", "#group-costs")
    page.locator("#field-daily_cost-high").fill("$142")
    # What only the service can judge comes back beside the field too, in its terms.
    page.locator("#field-honor_rate").fill("150%")
    page.locator("#run").click()
    expect(page.locator("#field-honor_rate-error")).to_contain_text("between 0% and 100%")
    expect(page.locator("#field-honor_rate")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-daily_cost-high")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#errors a")).to_have_attribute("href", "#field-honor_rate")
    page.locator("#field-honor_rate").fill("")
    page.locator("#field-horizon_years").fill("5")
    page.locator("#group-run summary").click()
    page.locator("#field-trials").fill("2,000")
    page.locator("#field-discount_rate").fill("3%")
    page.locator("#run").click()
    expect(page.locator("#key-sentence")).to_contain_text(
        "My county: honoring immigration detainers is estimated to cost $", timeout=RUN
    )
    expect(page.locator("#result-empty")).to_be_hidden()
    expect(page.locator("#error-summary")).to_be_hidden()
    expect(page.locator("#result svg.chart")).to_have_count(3)
    expect(page.locator("#result table tbody tr")).to_have_count(5)
    expect(page.locator("#result")).to_contain_text("Over 5 years")
    assert _axe(page) == []
    _shot(page, "desktop-3-result")

    # The scenario as sent: the typed numbers read as the analyst meant them.
    with page.expect_download(timeout=RUN) as saved:
        page.locator("#save-json").click()
    scenario = json.loads(Path(saved.value.path()).read_text())
    assert scenario["bookings_per_year"] == 25000
    assert scenario["detainer_rate"] == 0.048
    assert scenario["daily_cost"] == {"dist": "pert", "low": 55, "mode": 75, "high": 142}
    assert scenario["discount_rate"] == 0.03
    assert scenario["trials"] == 2000
    assert "detainers_per_year" not in scenario
    with page.expect_download(timeout=RUN) as info:
        page.locator("button[data-format=csv]").click()
    assert "2026" in Path(info.value.path()).read_text()
    assert info.value.suggested_filename == "My-county.csv"

    # Three named alternatives; the judicial-warrant one asks for its share.
    page.locator("#tab-compare").click()
    page.locator("#add-alternative").select_option("warrant")
    page.locator("#add-alternative-button").click()
    page.locator("#add-alternative").select_option("all")
    page.locator("#add-alternative-button").click()
    page.locator("#compare").click()
    expect(page.locator(".alternative").nth(1).locator(".override .field-error")).to_contain_text(
        "give the new value"
    )
    page.locator(".alternative").nth(1).locator(".ov-value").fill("5%")
    page.locator("#compare").click()
    rows = page.locator("#comparison table").first.locator("tbody tr")
    expect(rows).to_have_count(3, timeout=RUN)
    expect(rows.nth(0)).to_contain_text("Decline all detainers")
    expect(rows.nth(1)).to_contain_text("detainers the jail honors: 5%")
    expect(page.locator("#comparison thead").first).to_contain_text("Saves over 2026 to 2030")
    expect(page.locator("#comparison thead").first).to_contain_text("Present value")
    assert _axe(page) == []
    _shot(page, "desktop-4-compare", "#results")
    with page.expect_download(timeout=RUN) as info:
        page.locator("#comparison button[data-format=csv]").click()
    assert "Decline all detainers" in Path(info.value.path()).read_text()

    page.locator("#tab-sensitivity").click()
    page.locator("#sensitivity").click()
    expect(page.locator("#sensitivity-result svg.chart")).to_be_visible(timeout=RUN)
    expect(page.locator("#sensitivity-result")).to_contain_text("moves it most")
    _shot(page, "desktop-5-sensitivity", "#results")

    # A result says when the inputs have changed since it was worked out.
    expect(page.locator("#stale")).to_be_hidden()
    page.locator("#field-population").fill("250,000")
    page.locator("#tab-result").click()
    expect(page.locator("#stale")).to_be_visible()
    page.locator("#run").click()
    expect(page.locator("#stale")).to_be_hidden(timeout=RUN)
    expect(page.locator("#result")).to_contain_text("Cost per resident")

    # A link restores the whole page in a fresh tab: inputs, alternatives, the tab.
    page.locator("#tab-compare").click()
    page.locator("#share").click()
    link = page.locator("#share-link").input_value()
    assert re.search(r"#s=[A-Za-z0-9_-]+$", link)
    state = json.loads(base64.urlsafe_b64decode(link.split("#s=")[1] + "=="))
    assert state["scenario"] == scenario | {"population": 250000}
    other = _page(browser, DESKTOP)
    other.goto(link)
    expect(other.locator("#field-bookings_per_year")).to_have_value("25,000", timeout=LOAD)
    expect(other.locator("#volume-bookings")).to_be_checked()
    expect(other.locator("#field-detainer_rate")).to_have_value("4.8%")
    expect(other.locator("#field-daily_cost-high")).to_have_value("$142")
    expect(other.locator("#tab-compare")).to_have_attribute("aria-selected", "true")
    expect(other.locator(".alternative .alt-name")).to_have_count(3)
    expect(other.locator(".alternative").nth(1).locator(".ov-value")).to_have_value("5%")
    # What had been worked out is worked out again: the same numbers.
    expect(other.locator("#comparison table").first.locator("tbody tr")).to_have_count(
        3, timeout=RUN
    )
    expect(other.locator("#key-sentence")).to_have_text(page.locator("#key-sentence").inner_text())
    expect(other.locator("#sensitivity-result svg.chart")).to_be_attached(timeout=RUN)
    _shot(other, "desktop-6-restored")
    assert page.errors == [f"422 {base}/v1/simulations"]  # the 150% honor rate
    assert other.errors == []


def test_on_a_phone_with_presets_a_file_and_the_keyboard(
    serve: Any, browser: Any, tmp_path: Path
) -> None:
    page = _page(browser, PHONE)
    base = serve()
    page.goto(base + "/")
    expect(page.locator("#field-daily_cost-low")).to_be_visible(timeout=LOAD)
    _no_horizontal_scroll(page)
    assert _axe(page) == []
    _shot(page, "phone-1-form")

    # A preset fills the form and shows its source and the basis of each input.
    preset = requests.get(f"{base}/v1/presets/king-county-2011", timeout=30).json()
    uniform = next(
        name
        for name, spec in preset["scenario"].items()
        if isinstance(spec, dict) and spec.get("dist") == "uniform" and "cost" in name
    )
    low = preset["scenario"][uniform]["low"]
    page.locator("#preset").select_option("king-county-2011")
    expect(page.locator("#preset-info")).to_contain_text("Source:")
    expect(page.locator("#preset-info")).to_contain_text(preset["source"]["publisher"])
    expect(page.locator("#field-detainers_per_year")).to_have_value("538")
    expect(page.locator("#field-detainers_per_year-basis")).to_contain_text(
        preset["parameters"]["detainers_per_year"]["basis"]
    )
    expect(page.locator(f"#field-{uniform}-shape")).to_have_value("uniform")
    expect(page.locator(f"#field-{uniform}-low")).to_have_value(f"${low:,}")
    expect(page.locator("#field-honor_rate")).to_have_value("100%")
    _no_horizontal_scroll(page)
    _shot(page, "phone-2-preset")
    # The blank scenario clears it.
    page.locator("#preset").select_option("")
    expect(page.locator("#field-detainers_per_year")).to_have_value("")
    expect(page.locator("#preset-info")).to_be_hidden()
    expect(page.locator("#field-detainers_per_year-basis")).to_be_hidden()

    # A scenario file with a distribution the boxes cannot show, and liability.
    path = tmp_path / "county.json"
    path.write_text(
        json.dumps(
            {
                "name": "Loaded county",
                "detainers_per_year": 800,
                "extra_days_per_detainer": {"dist": "gamma", "mean": 20, "sd": 8},
                "daily_cost": 90,
                "liability": {"claims_per_1000_honored": 0.5, "cost_per_claim": 100000},
            }
        )
    )
    page.locator("#load-json").set_input_files(str(path))
    expect(page.locator("#field-name")).to_have_value("Loaded county")
    expect(page.locator("#include-liability")).to_be_checked()
    expect(page.locator("#field-liability-cost_per_claim")).to_have_value("$100,000")
    expect(page.locator("#field-extra_days_per_detainer-kept")).to_contain_text("gamma")
    expect(_field(page, "extra_days_per_detainer").locator(".spark svg rect")).to_have_count(24)

    # Keyboard only: from the trials box, Tab to the run button and press Enter.
    page.locator("#group-run summary").click()
    page.locator("#field-trials").fill("2000")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "run":
            break
    expect(page.locator("#run")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#key-sentence")).to_contain_text("Loaded county", timeout=RUN)
    components = page.locator("#result figure").nth(1)
    expect(components).to_contain_text("Liability claims")
    # Tabs follow the arrow keys.
    page.locator("#tab-result").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-compare")).to_be_focused()
    expect(page.locator("#panel-compare")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#panel-result")).to_be_visible()
    _no_horizontal_scroll(page)
    assert _axe(page) == []
    _shot(page, "phone-3-result")

    # An alternative that changes a choice: its list, not a box.
    page.locator("#tab-compare").click()
    page.locator("#add-alternative").select_option("custom")
    page.locator("#add-alternative-button").click()
    custom = page.locator(".alternative").nth(1)
    custom.locator(".add-override").click()
    custom.locator(".ov-field").select_option("hold_rule")
    custom.locator("select.ov-value").select_option("clock_hours")
    page.locator("#compare").click()
    rows = page.locator("#comparison table tbody tr")
    expect(rows).to_have_count(2, timeout=RUN)
    expect(rows.nth(1)).to_contain_text("how the 48 hours are counted: clock hours")
    _no_horizontal_scroll(page)
    _shot(page, "phone-4-compare", "#results")
    assert page.errors == []


def _table(page: Any, caption: str) -> list[list[str]]:
    """The body cells of the table whose caption starts with `caption`, row by row."""
    block = page.locator(".table-block").filter(has=page.locator(".caption", has_text=caption))
    expect(block).to_have_count(1)
    return [
        [c.strip() for c in row.locator("th, td").all_inner_texts()]
        for row in block.locator("tbody tr").all()
    ]


def _posted(page: Any, path: str, action: Any) -> Any:
    """The JSON body the page POSTs to `path` when `action` runs."""
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith(path), timeout=RUN
    ) as sent:
        action()
    return sent.value.post_data_json


def test_a_state_law_from_a_year_and_inputs_given_per_year(
    serve: Any, browser: Any, tmp_path: Path
) -> None:
    base = serve()
    fields = {
        p["name"] for p in requests.get(f"{base}/v1/parameters", timeout=30).json()["parameters"]
    }
    page = _page(browser, DESKTOP)
    page.goto(base + "/")
    expect(page.locator("#field-daily_cost-low")).to_be_visible(timeout=LOAD)
    # The instruments sit in the chain with their own labels: none falls to "Other inputs".
    expect(page.locator("#group-other")).to_have_count(0)
    for name, group, label in [
        ("staff_hours_per_detainer", "costs", "Staff time per detainer (staff hours per detainer)"),
        ("staff_hourly_cost", "costs", "Cost of a staff hour ($ per staff hour)"),
        (
            "program_cost_per_year",
            "costs",
            "Program cost (287(g) officers, training, software) ($ a year)",
        ),
        ("payment_per_honored_detainer", "offsets", "Federal payment per honored detainer"),
        ("hold_window_used", "hold", "Share of the hold spent before ICE picks the person up"),
        ("fiscal_year_start_month", "horizon", "Month the fiscal year starts"),
    ]:
        if name not in fields:  # an instrument the engine does not have yet
            continue
        field = page.locator(f"#group-{group}").locator(f'.field[data-name="{name}"]')
        expect(field.locator("label").first).to_contain_text(label)
    if "fiscal_year_start_month" in fields:
        expect(page.locator("#field-fiscal_year_start_month option")).to_have_count(13)

    # Five years from 2026 with an uncertain share honored, and a law from a later year.
    page.locator("#field-honor_rate-shape").select_option("uniform")
    page.locator("#field-honor_rate-low").fill("50%")
    page.locator("#field-honor_rate-high").fill("90%")
    page.locator("#field-horizon_years").fill("4")
    page.locator("#field-start_year").fill("2026")
    page.locator("#group-run summary").click()
    page.locator("#field-trials").fill("1,000")
    page.locator("#tab-compare").click()
    page.locator("#add-alternative").select_option("state")
    page.locator("#add-alternative-button").click()
    law = page.locator('.alternative[data-template="state"]')
    year = law.locator(".alt-year")
    expect(year).to_be_focused()
    expect(year).to_have_value("2027")  # the year after the first by default
    expect(law.locator(".alt-name")).to_have_value("A state law takes effect in 2027")
    expect(law.locator(".law .help")).to_have_text(
        "A year from 2026 to 2029, the years simulated above."
    )
    # A year outside the horizon is refused beside the card, before anything is sent.
    year.fill("2031")
    page.locator("#compare").click()
    expect(law.locator(".law .field-error")).to_contain_text("2031 is not simulated")
    expect(year).to_have_attribute("aria-invalid", "true")
    year.fill("2028")
    expect(law.locator(".alt-name")).to_have_value("A state law takes effect in 2028")
    expect(law.locator(".law-sends")).to_contain_text("from 2026: uniform distribution")
    body = _posted(page, "/v1/comparisons", lambda: page.locator("#compare").click())
    # Exactly what the engine takes: the baseline's value as entered until 2028, none from then.
    honor = {"dist": "uniform", "low": 0.5, "high": 0.9}
    assert body["baseline"]["honor_rate"] == honor
    assert body["alternatives"][1] == {
        "name": "A state law takes effect in 2028",
        "overrides": {"honor_rate": {"schedule": {"2026": honor, "2028": 0}}},
    }
    answer = requests.post(f"{base}/v1/comparisons", json=body, timeout=RUN / 1000).json()
    savings = _table(page, "Savings against the baseline")
    assert [r[0] for r in savings] == ["Decline all detainers", "A state law takes effect in 2028"]
    law_result = answer["alternatives"][1]
    # Savings over the horizon and their present value, as the service worked them out.
    shown = page.evaluate(
        "d => [money(middle(d.total_cost)), money(middle(d.present_value))]",
        law_result["difference"],
    )
    assert [savings[1][2], savings[1][4]] == shown
    assert law_result["difference"]["total_cost"]["percentiles"]["p50"] > 0
    assert "per-year schedule (from 2026: uniform distribution" in savings[1][6]
    # Year by year the law changes nothing before 2028 and the cost is gone from then.
    years = _table(page, "Net cost each year")
    assert [r[0] for r in years] == ["2026", "2027", "2028", "2029"]
    for row in years[:2]:
        assert row[3] == row[1] != "$0", row
    for row in years[2:]:
        assert row[3] == "$0" != row[1], row
    assert all(r[2] == "$0" for r in years)  # declining every year
    assert _axe(page) == []
    _shot(page, "desktop-9-state-law", "#results")
    _shot(page, "desktop-10-offsets", "#group-offsets")
    if "fiscal_year_start_month" in fields:  # fiscal years: the law's year is named FY2028
        page.locator("#field-fiscal_year_start_month").select_option("7")
        expect(law.locator(".alt-name")).to_have_value("A state law takes effect in FY2028")
        expect(law.locator(".law .help")).to_contain_text("fiscal years: FY2026 to FY2029")
        _shot(page, "desktop-11-fiscal-year", "#group-horizon")
        page.locator("#field-fiscal_year_start_month").select_option("")
        expect(law.locator(".alt-name")).to_have_value("A state law takes effect in 2028")

    # A link restores the law as a law (its year, not a frozen schedule); on a phone.
    page.locator("#share").click()
    link = page.locator("#share-link").input_value()
    phone = _page(browser, PHONE)
    phone.goto(link)
    expect(phone.locator('.alternative[data-template="state"] .alt-year')).to_have_value(
        "2028", timeout=LOAD
    )
    expect(phone.locator("#comparison table").first).to_be_visible(timeout=RUN)
    assert _table(phone, "Net cost each year") == years
    _no_horizontal_scroll(phone)
    assert _axe(phone) == []
    _shot(phone, "phone-8-state-law", "#results")

    # A comparison file giving inputs per year: shown as schedules, sent unchanged. Its
    # state law (the baseline's own schedule up to 2028, none from then) is read back as
    # one; a phase-out schedule that is not one is kept as loaded.
    honor_schedule = {
        "schedule": {"2025": 0.9, "2028": {"dist": "pert", "low": 0.02, "mode": 0.05, "high": 0.1}}
    }
    program = {"schedule": {"2026": 250000, "2027": 300000}, "note": "two deputies from 2027"}
    scenario = {
        "name": "Scheduled county",
        "detainers_per_year": 800,
        "daily_cost": 90,
        "extra_days_per_detainer": 10,
        "honor_rate": honor_schedule,
        "program_cost_per_year": program,
        "horizon_years": 4,
        "start_year": 2026,
        "trials": 500,
    }
    alternatives = [
        {
            "name": "Phase-out",
            "overrides": {"honor_rate": {"schedule": {"2026": 0.7, "2028": 0.2}}},
        },
        {
            "name": "A state law takes effect in 2028",
            "overrides": {"honor_rate": {"schedule": {"2025": 0.9, "2028": 0}}},
        },
    ]
    path = tmp_path / "scheduled.json"
    path.write_text(json.dumps({"baseline": scenario, "alternatives": alternatives}))
    phone.locator("#load-json").set_input_files(str(path))
    expect(phone.locator("#field-name")).to_have_value("Scheduled county")
    kept = phone.locator("#field-honor_rate-kept")
    expect(kept).to_contain_text("per-year schedule (from 2025: 90%; from 2028: pert distribution")
    expect(phone.locator("#field-honor_rate-shape")).to_have_value("kept")
    # Figures alone are shown year by year to edit (folded open), the note kept with them.
    program_rows = _field(phone, "program_cost_per_year").locator(".year-row")
    expect(program_rows).to_have_count(2)
    expect(program_rows.nth(1).locator("input.year")).to_have_value("2027")
    expect(program_rows.nth(1).locator("input.from-value")).to_have_value("$300,000")
    expect(phone.locator("#field-program_cost_per_year-shape")).to_have_value("by-year")
    cards = phone.locator(".alternative")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_have_attribute("data-template", "custom")
    expect(cards.nth(0).locator(".override .help")).to_contain_text(
        "Kept as loaded: per-year schedule (from 2026: 70%; from 2028: 20%)"
    )
    expect(cards.nth(1).locator(".alt-year")).to_have_value("2028")
    sent = _posted(phone, "/v1/simulations", lambda: phone.locator("#run").click())
    assert sent == scenario
    expect(phone.locator("#key-sentence")).to_contain_text("Scheduled county", timeout=RUN)
    phone.locator("#tab-compare").click()
    body = _posted(phone, "/v1/comparisons", lambda: phone.locator("#compare").click())
    assert body == {"baseline": scenario, "alternatives": alternatives}
    expect(phone.locator("#comparison table").first).to_be_visible(timeout=RUN)
    _shot(phone, "phone-11-loaded-alternatives", "#alternatives")
    # A cost typed year by year: the figure already there is its first year's.
    phone.locator("#field-daily_cost-shape").select_option("by-year")
    cost_rows = _field(phone, "daily_cost").locator(".year-row")
    expect(cost_rows.nth(0).locator("input.year")).to_have_value("2026")
    expect(cost_rows.nth(0).locator("input.from-value")).to_have_value("$90")
    _field(phone, "daily_cost").locator(".add-year").click()
    expect(cost_rows.nth(1).locator("input.year")).to_be_focused()
    expect(cost_rows.nth(1).locator("input.year")).to_have_value("2027")
    cost_rows.nth(1).locator("input.year").fill("2028")
    phone.locator("#run").click()
    expect(phone.locator("#field-daily_cost-error")).to_contain_text("Give the figure from 2028")
    expect(cost_rows.nth(1).locator("input.from-value")).to_have_attribute("aria-invalid", "true")
    cost_rows.nth(1).locator("input.from-value").fill("$95")
    sent = _posted(phone, "/v1/simulations", lambda: phone.locator("#run").click())
    assert sent == scenario | {"daily_cost": {"schedule": {"2026": 90, "2028": 95}}}
    expect(phone.locator("#stale")).to_be_hidden(timeout=RUN)
    _no_horizontal_scroll(phone)
    assert _axe(phone) == []
    _shot(phone, "phone-9-schedules", "#group-honoring")
    _shot(phone, "phone-10-schedules-in-costs", "#group-costs")
    assert page.errors == []
    assert phone.errors == []


def test_page_with_api_keys(serve: Any, browser: Any) -> None:
    page = _page(browser, DESKTOP)
    base = serve(API_KEYS=("page-key",))
    page.goto(base + "/")
    expect(page.locator("#status")).to_contain_text("API key", timeout=LOAD)
    expect(page.locator("#field-daily_cost-low")).to_have_count(0)
    page.locator("#api-key").fill("page-key")
    page.locator("#api-key").dispatch_event("change")
    expect(page.locator("#field-daily_cost-low")).to_be_visible(timeout=LOAD)
    page.locator("#group-run summary").click()
    page.locator("#field-trials").fill("2000")
    page.locator("#run").click()
    expect(page.locator("#key-sentence")).to_contain_text("My county", timeout=RUN)
    # The only failure is the keyless first load the page answers with its message.
    assert page.errors == [f"401 {base}/v1/parameters"]


# The county's own column names, ours -> theirs, for the calibration's column boxes.
COUNTY_COLUMNS = {
    "booking_id": "BOOK_NO",
    "booked_at": "IN_DT",
    "released_at": "OUT_DT",
    "detainer": "IMM_HOLD",
    "charge_class": "SEVERITY",
}


def _bookings_csv(path: Path, *, n: int = 400, seed: int = 15) -> list[list[str]]:
    """A small jail's extract in its own column names and US dates: detainer bookings
    (20%) stay 15 days longer and are more often felonies (which stay longer anyway),
    and the bookings released after the extract date (day 380) are still in custody. A
    name column the calibration must never need nor echo. Returns the rows written."""
    rng = np.random.default_rng(seed)
    start = dt.datetime(2024, 1, 1)
    booked = rng.uniform(0, 365, n)
    detainer = rng.uniform(size=n) < 0.2
    felony = rng.uniform(size=n) < np.where(detainer, 0.7, 0.3)
    released = booked + rng.gamma(1.0, np.where(felony, 20.0, 5.0)) + np.where(detainer, 15, 0)

    def when(day: float) -> str:
        return (start + dt.timedelta(days=float(day))).strftime("%m/%d/%Y %H:%M")

    rows = [["BOOK_NO", "IN_DT", "OUT_DT", "IMM_HOLD", "SEVERITY", "INMATE_NAME"]]
    for i in range(n):
        rows.append(
            [
                f"J{i:04d}",
                when(booked[i]),
                when(released[i]) if released[i] <= 380 else "",
                "Y" if detainer[i] else "N",
                "felony" if felony[i] else "misdemeanor",
                "Jane Q. Doe",
            ]
        )
    _write_csv(path, rows)
    return rows


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)


def _map_columns(page: Any) -> None:
    for ours, theirs in COUNTY_COLUMNS.items():
        page.locator(f"#calibrate-col-{ours}").fill(theirs)


def test_calibrate_from_records_fills_the_form(serve: Any, browser: Any, tmp_path: Path) -> None:
    base = serve()
    good = tmp_path / "county-bookings.csv"
    rows = _bookings_csv(good)
    # What the service answers for this file, to hold the page's summary and form to.
    with good.open("rb") as f:
        answer = requests.post(
            f"{base}/v1/calibrations",
            files={"rows": ("county-bookings.csv", f, "text/csv")},
            data={"map": json.dumps(COUNTY_COLUMNS)},
            timeout=RUN / 1000,
        )
    assert answer.status_code == 200, answer.text[:500]
    expected = answer.json()
    assert expected["counts"]["censored"] > 0
    assert expected["warnings"]

    page = _page(browser, DESKTOP)
    page.goto(base + "/")
    expect(page.locator("#field-daily_cost-low")).to_be_visible(timeout=LOAD)
    page.locator("#calibrate > summary").click()
    page.locator("#calibrate-file").set_input_files(str(good))
    # The file's header is read: the boxes offer its columns and open, as it lacks ours.
    expect(page.locator("#calibrate-map")).to_have_attribute("open", "")
    expect(page.locator("#calibrate-map-help")).to_contain_text("It has no booking_id")
    expect(page.locator("#calibrate-file-columns option")).to_have_count(len(rows[0]))
    _map_columns(page)
    page.locator("#calibrate-run").click()
    summary = page.locator("#calibration")
    expect(summary).to_be_focused(timeout=RUN)
    expect(page.locator("#calibration-title")).to_have_text("Calibrated from county-bookings.csv")
    counts = page.locator("#calibration-counts")
    expect(counts.locator("div").filter(has_text="Records read")).to_contain_text("400")
    expect(counts.locator("div").filter(has_text="Still in custody")).to_contain_text(
        str(expected["counts"]["censored"])
    )
    stay = expected["extra_stay"]
    low, high = stay["adjusted_ci95"]
    expect(page.locator("#calibration-extra")).to_have_text(
        f"A detainer adds {stay['adjusted']:.1f} days to a stay (95% interval {low:.1f} to "
        f"{high:.1f} days), by {stay['used']}."
    )
    expect(page.locator("#calibration-warnings li")).to_have_count(len(expected["warnings"]))
    fitted = page.locator("#calibration-filled")
    expect(fitted).to_contain_text("extra days of stay per honored detainer")
    expect(fitted).to_contain_text("yearly growth of bookings (under “More inputs” in")
    expect(page.locator("#status")).to_contain_text("400 records read")
    # The form holds the calibrated scenario, each fitted input with its note as basis.
    scenario = expected["scenario"]
    expect(page.locator("#volume-bookings")).to_be_checked()
    expect(page.locator("#field-name")).to_have_value(scenario["name"])
    expect(page.locator("#field-bookings_per_year-kept")).to_contain_text("gamma")
    extra = page.locator("#field-extra_days_per_detainer-basis")
    expect(extra.locator(".badge")).to_have_text("calibrated")
    expect(extra).to_contain_text("within-charge-class difference of Kaplan-Meier mean stays")
    expect(page.locator("#field-detainer_rate-basis")).to_contain_text("Jeffreys prior")
    expect(page.locator("#field-release_weekday_weights-basis")).to_contain_text("weekday")
    assert "Jane Q. Doe" not in page.locator("body").inner_text()
    # The calibration's report: the same upload sent again, the same numbers.
    with page.expect_download(timeout=RUN) as info:
        page.locator("#calibration button[data-format=html]").click()
    report = Path(info.value.path()).read_text()
    assert info.value.suggested_filename.endswith(".html")
    assert f"{stay['adjusted']:.1f}" in report
    assert "Jane Q. Doe" not in report
    with page.expect_download(timeout=RUN) as info:
        page.locator("#calibration button[data-format=pdf]").click()
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF")
    assert _axe(page) == []
    _shot(page, "desktop-7-calibrated")
    _shot(page, "desktop-8-calibration-summary", "#setup")
    # As the form states it, the scenario is the service's, notes and all; with a cost
    # of a bed-day added, it runs.
    stated = page.evaluate("readScenario()")
    assert stated["errors"] == []
    assert {k: v for k, v in stated["scenario"].items() if k != "description"} == {
        k: v for k, v in scenario.items() if k != "description"
    }
    with page.expect_download(timeout=RUN) as saved:
        page.locator("#save-json").click()
    calibrated = Path(saved.value.path()).read_text()
    page.locator("#field-daily_cost").fill("$90")
    page.locator("#group-run summary").click()
    page.locator("#field-trials").fill("2,000")
    page.locator("#run").click()
    expect(page.locator("#key-sentence")).to_contain_text(scenario["name"], timeout=RUN)
    assert page.errors == []

    # A bad file on a phone: each bad cell named by line and column beside the upload,
    # announced and focused; then calibrated without its bad rows, each one listed.
    bad = tmp_path / "bad-bookings.csv"
    broken = [list(r) for r in rows]
    broken[6][2] = "01/01/2020 00:00"  # row 5 (line 7): released before booked
    broken[10][3] = "maybe"  # row 9 (line 11): not a flag
    _write_csv(bad, broken)
    phone = _page(browser, PHONE)
    phone.goto(base + "/")
    expect(phone.locator("#field-daily_cost-low")).to_be_visible(timeout=LOAD)
    # The calibrated scenario, saved and loaded again, still shows each input's basis.
    saved_path = tmp_path / "calibrated.json"
    saved_path.write_text(calibrated)
    phone.locator("#load-json").set_input_files(str(saved_path))
    basis = phone.locator("#field-extra_days_per_detainer-basis")
    expect(basis.locator(".badge")).to_have_text("calibrated")
    expect(basis).to_contain_text("within-charge-class difference of Kaplan-Meier mean stays")
    phone.locator("#calibrate > summary").click()
    phone.locator("#calibrate-file").set_input_files(str(bad))
    # Sent without the column boxes: each missing column is named, its box marked.
    phone.locator("#calibrate-run").click()
    error = phone.locator("#calibrate-error")
    expect(error).to_be_focused(timeout=RUN)
    expect(error.locator("li")).to_have_count(4)
    expect(error.locator("li").nth(0)).to_contain_text("Column booking_id: the column is missing")
    expect(phone.locator("#calibrate-col-booking_id")).to_have_attribute("aria-invalid", "true")
    _map_columns(phone)
    phone.locator("#calibrate-run").click()
    expect(phone.locator("#calibrate-col-booking_id")).not_to_have_attribute(
        "aria-invalid", "true", timeout=RUN
    )
    expect(error).to_be_focused(timeout=RUN)
    expect(error).to_have_attribute("role", "alert")
    expect(error.locator("li")).to_have_count(2)
    expect(error.locator("li").nth(0)).to_contain_text("Line 7, column OUT_DT:")
    expect(error.locator("li").nth(0)).to_contain_text("/rows/5/OUT_DT")
    expect(error.locator("li").nth(1)).to_contain_text("Line 11, column IMM_HOLD:")
    expect(error).to_contain_text("Skip bad rows")
    expect(phone.locator("#calibrate-file")).to_have_attribute("aria-invalid", "true")
    expect(phone.locator("#calibration")).to_be_hidden()
    _no_horizontal_scroll(phone)
    assert _axe(phone) == []
    _shot(phone, "phone-5-calibration-error", "#setup")
    # By keyboard: tick "skip bad rows", Tab to the button, Enter.
    phone.locator("#calibrate-skip").focus()
    phone.keyboard.press("Space")
    expect(phone.locator("#calibrate-skip")).to_be_checked()
    phone.keyboard.press("Tab")
    expect(phone.locator("#calibrate-run")).to_be_focused()
    phone.keyboard.press("Enter")
    expect(phone.locator("#calibration")).to_be_focused(timeout=RUN)
    expect(error).to_be_hidden()
    skipped = phone.locator("#calibration-skipped li")
    expect(skipped).to_have_count(2)
    expect(skipped.nth(0)).to_contain_text("Line 7, column OUT_DT")
    counts = phone.locator("#calibration-counts")
    expect(counts.locator("div").filter(has_text="Rows skipped")).to_contain_text("2")
    expect(counts.locator("div").filter(has_text="Bookings used")).to_contain_text("398")
    _no_horizontal_scroll(phone)
    assert _axe(phone) == []
    _shot(phone, "phone-6-calibrated")
    _shot(phone, "phone-7-calibration-summary", "#setup")
    assert phone.errors == [f"422 {base}/v1/calibrations"] * 2
