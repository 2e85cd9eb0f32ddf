"""The scenario page at / in a real headless Chromium (Debian's package, driven by
Playwright): load, run the default scenario, see the summary and a chart, download the
PDF; with API keys on, the key field unlocks it.

Every wait is a Playwright locator or `expect(...)` assertion, which poll from Playwright's
own isolated world. The page's Content-Security-Policy forbids `eval`, and
`page.wait_for_function` evaluates its predicate string with `eval` on every poll, so it
is never used here (tests/test_browser_waits.py holds every test to that).

`make test` installs Chromium; where no browser can be installed the test is skipped
with the reason printed."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from service import create_app

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_or_skip() -> None:
    if not os.path.exists(CHROMIUM):
        reason = "no Chromium on this machine (make test installs Debian's chromium)"
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)


@pytest.fixture
def serve() -> Iterator[Any]:
    servers = []

    def start(**settings: Any) -> str:
        app = create_app({"TESTING": True, **settings})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def page() -> Iterator[Any]:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(accept_downloads=True)
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
                if r.status >= 400 and not r.url.endswith("/v1/presets")
                else None
            ),
        )
        page.errors = errors  # type: ignore[attr-defined]
        yield page
        browser.close()


# Generous: under a busy 2-core machine a report of 2000 trials and its PDF take seconds.
LOAD = 30_000
RUN = 60_000


def _run_and_download(page: Any) -> None:
    page.locator("#field-trials").fill("2000")
    page.locator("#run").click()
    expect(page.locator("#report")).to_be_visible(timeout=RUN)
    frame = page.frame_locator("#report")
    expect(frame.locator("#summary")).to_contain_text(
        "honoring immigration detainers is estimated to cost", timeout=RUN
    )
    expect(frame.locator("svg").nth(2)).to_be_attached()  # at least three charts
    expect(page.locator("#status")).to_contain_text("Done.")
    with page.expect_download(timeout=RUN) as info:
        page.locator("button[data-format=pdf]").click()
    path = info.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert info.value.suggested_filename == "My-county.pdf"


def test_page_runs_a_scenario_and_downloads_the_pdf(serve: Any, page: Any) -> None:
    base = serve()
    page.goto(base + "/")
    expect(page.locator("#field-daily_cost")).to_be_visible(timeout=LOAD)
    expect(page.locator("#field-name")).to_have_value("My county")
    _run_and_download(page)
    assert page.errors == []


def test_page_shows_the_fields_at_fault(serve: Any, page: Any) -> None:
    page.goto(serve() + "/")
    expect(page.locator("#field-honor_rate")).to_be_visible(timeout=LOAD)
    page.locator("#field-honor_rate").fill("1.5")
    page.locator("#run").click()
    expect(page.locator("#errors li").first).to_contain_text("honor_rate", timeout=LOAD)
    expect(page.locator("label.invalid[data-name=honor_rate]")).to_have_count(1)
    expect(page.locator("#report")).to_be_hidden()


def test_page_with_api_keys(serve: Any, page: Any) -> None:
    base = serve(API_KEYS=("page-key",))
    page.goto(base + "/")
    expect(page.locator("#status")).to_contain_text("API key", timeout=LOAD)
    expect(page.locator("#field-daily_cost")).to_have_count(0)
    page.locator("#api-key").fill("page-key")
    page.locator("#api-key").dispatch_event("change")
    expect(page.locator("#field-daily_cost")).to_be_visible(timeout=LOAD)
    _run_and_download(page)
    # The only failure is the keyless first load the page answers with its message.
    assert page.errors == [f"401 {base}/v1/parameters"]
