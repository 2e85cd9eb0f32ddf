"""The scenario page at / in a real headless Chromium (Debian's package, driven by
Playwright): load, run the default scenario, see the summary and a chart, download the
PDF; with API keys on, the key field unlocks it.

`make test` installs Chromium; where no browser can be installed the test is skipped
with the reason printed."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
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


def _run_and_download(page: Any) -> None:
    page.fill("#field-trials", "2000")
    page.click("#run")
    page.wait_for_selector("#report:not([hidden])", timeout=60_000)
    frame = page.frame_locator("#report")
    summary = frame.locator("#summary")
    summary.wait_for(timeout=60_000)
    assert "honoring immigration detainers is estimated to cost" in summary.inner_text()
    assert frame.locator("svg").count() >= 3
    with page.expect_download(timeout=60_000) as info:
        page.click("button[data-format=pdf]")
    path = info.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert info.value.suggested_filename == "My-county.pdf"


def test_page_runs_a_scenario_and_downloads_the_pdf(serve: Any, page: Any) -> None:
    base = serve()
    page.goto(base + "/")
    page.wait_for_selector("#field-daily_cost", timeout=30_000)
    assert page.input_value("#field-name") == "My county"
    _run_and_download(page)
    assert page.errors == []  # type: ignore[attr-defined]


def test_page_shows_the_fields_at_fault(serve: Any, page: Any) -> None:
    page.goto(serve() + "/")
    page.wait_for_selector("#field-honor_rate", timeout=30_000)
    page.fill("#field-honor_rate", "1.5")
    page.click("#run")
    page.wait_for_selector("#errors li", timeout=30_000)
    assert "honor_rate" in page.inner_text("#errors")
    assert page.locator("label.invalid[data-name=honor_rate]").count() == 1


def test_page_with_api_keys(serve: Any, page: Any) -> None:
    page.goto(serve(API_KEYS=("page-key",)) + "/")
    page.wait_for_function(
        "document.getElementById('status').textContent.includes('API key')", timeout=30_000
    )
    page.fill("#api-key", "page-key")
    page.dispatch_event("#api-key", "change")
    page.wait_for_selector("#field-daily_cost", timeout=30_000)
    _run_and_download(page)
