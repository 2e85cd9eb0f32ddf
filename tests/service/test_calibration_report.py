"""The calibration report (issue 15), HTML and PDF, from a small synthetic jail (the
generator of tests/models/test_calibrate.py) with a rare charge class (pooled) and a bad
row (skipped): rendered directly, through ``POST /v1/calibrations`` (every response held
to the contract) and through ``detainer-cost calibrate --report``.

The text of each render must carry the counts, both estimates of the extra stay with
their intervals (and the regression's), every warning and the per-class table, and no
booking id, name or date of birth. The PDF's pages are written as PNG to
build/screenshots/calibration for a person to look at.
"""

from __future__ import annotations

import csv
import html as html_lib
import io
import math
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models.calibrate import Calibration, calibrate, read_bookings, read_csv, records_to_table
from service import create_app
from service.cli import main
from service.reports import formatting as fmt
from service.reports.calibration import days, interval, render_calibration, stay_bands
from service.reports.labels import plain_text
from tests.models.test_calibrate import jail

from .conftest import ROOT, ContractClient

ROWS, TRUTH = jail(5, per_year=600)
for _row in ROWS[:6]:
    _row["charge_class"] = "rare"  # too few bookings: pooled, and said so
BAD = {**ROWS[7], "booking_id": "X-BAD", "booked_at": "13/45/2024 10:00"}  # skipped
IDS = [r["booking_id"] for r in ROWS]


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


CSV = _csv([*ROWS[:10], BAD, *ROWS[10:]])


@pytest.fixture(scope="module")
def result() -> Calibration:
    bookings = read_csv(io.StringIO(CSV), skip_bad_rows=True, extract_date=TRUTH["end"])
    return calibrate(bookings, rng=7, resamples=50, source="booking records (county.csv)")


def visible(page: str) -> str:
    """The HTML's text as a reader sees it: no tags, styles or charts; one space apart."""
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def pdf_text(body: bytes) -> str:
    """The PDF's text (pdftotext), one space apart, without the page footers."""
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=body, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(re.sub(r"Page \d+ of \d+", " ", text).split())


def assert_reports(text: str, result: Calibration, *, hyphens: bool = True) -> None:
    """What the report must say, found in its text (``hyphens=False`` for pdftotext's,
    which drops the hyphen of a word broken at the end of a line)."""

    def has(needle: str) -> bool:
        return needle in text if hyphens else needle.replace("-", "") in text.replace("-", "")

    c = result.counts
    stay = result.extra_stay
    assert has(
        f"{fmt.count(c['bookings'])} bookings from {result.date_range[0][:10]} to "
        f"{result.date_range[1][:10]}"
    )
    assert has(f"({fmt.count(c['rows'])} rows read, {fmt.count(c['skipped_rows'])} skipped)")
    assert c["skipped_rows"] == 1
    assert has(f"{fmt.count(c['detainer_bookings'])} with an immigration detainer")
    assert has(f"{fmt.count(c['other_bookings'])} without")
    assert has(f"{fmt.count(c['censored'])} were still in custody at the extract date")
    # Both estimates with their intervals, and the regression, in the summary and the table.
    adjusted = f"{days(stay.adjusted)} {interval(*stay.adjusted_ci)}"
    unadjusted = f"{days(stay.unadjusted)} {interval(*stay.unadjusted_ci)}"
    regression = f"{days(stay.regression)} {interval(*stay.regression_ci)}"
    for figures in (adjusted, unadjusted, regression):
        assert has(f" {figures} "), figures
    assert has(f"stays {days(stay.adjusted)} longer than one without (95% interval ")
    assert has(f"Within charge classes (used) {adjusted}")
    assert has(f"The scenario uses {stay.used}: {plain_text(stay.why)}")
    assert has(f"estimate: {fmt.number(stay.disagreement, 1)} days")
    assert has(f"{days(stay.extra_days)} (95% interval {interval(*stay.extra_days_ci)})")
    # Every warning, the classes (the pooled one named) and the skipped row.
    assert len(result.warnings) >= 3
    for warning in result.warnings:
        assert has(plain_text(warning)), warning
    assert any("rare" in w for w in result.warnings)
    for row in result.extra_stay.classes:
        assert has(f"{row.label} ")
    assert has("pooled: ")
    skipped = result.skipped[0]
    assert skipped.column == "booked_at"
    # the row and its line of the file, then the reason (pdftotext may read the table's
    # header between them)
    assert re.search(
        rf" {skipped.row} {skipped.row + 2} .*booked_at {re.escape(skipped.reason)}", text
    )
    # The stays by group, band by band.
    bands = stay_bands(result.stays.edges)
    s = result.stays
    first = (
        f"{bands[0]} {fmt.count(s.detainer_released[0])} {fmt.count(s.detainer_in_custody[0])} "
        f"{fmt.count(s.other_released[0])} {fmt.count(s.other_in_custody[0])}"
    )
    assert has(first)
    # Every fitted input, with its note.
    for e in result.estimates:
        if isinstance(e.spec, dict):
            assert has(plain_text(e.spec["note"])), e.field
    # No raw identifier: no booking id, name or date of birth.
    found = set(re.findall(r"\b[BX]-?[A-Z0-9]+\b", text)) & {*IDS, "X-BAD"}
    assert not found, sorted(found)[:5]
    assert "Jane" not in text
    assert "1970-01-01" not in text


def test_stay_bands_read_as_words() -> None:
    edges = (0.0, 0.25, 1.0, 2.0, 7.0, 365.0)
    assert stay_bands(edges) == [
        "under 6 hours",
        "6 hours to 1 day",
        "1 to 2 days",
        "2 to 7 days",
        "7 to 365 days",
        "365 days or more",
    ]
    assert stay_bands(edges, short=True) == ["<6h", "6h-1d", "1-2d", "2-7d", "7-365d", "365d+"]


def test_html_report_says_what_the_calibration_holds(result: Calibration) -> None:
    rendered = render_calibration(result, "html")
    assert rendered.media_type == "text/html"
    page = rendered.body.decode()
    assert page.count("<svg") == 1  # the stay histograms, inline
    assert "With a detainer" in page
    assert "Without a detainer" in page
    assert_reports(visible(page), result)


def test_what_could_not_be_computed_says_so() -> None:
    rows, truth = jail(41, per_year=600)
    for r in rows:
        if r["detainer"] == "Y":
            r["released_at"] = ""  # no completed detainer stay: no regression
    header, table = records_to_table(rows)
    result = calibrate(read_bookings(header, table, extract_date=truth["end"]), rng=1, resamples=50)
    assert math.isnan(result.extra_stay.regression)
    text = visible(render_calibration(result, "html").body.decode())
    assert "the log-linear regression gives no estimate." in text
    assert "Log-linear regression not computed not computed" in text
    assert "Completed stays only not computed not computed" in text
    assert "The regression could not be fitted, so the two cannot be compared." in text
    assert "nan" not in text.lower().split()
    for warning in result.warnings:
        assert plain_text(warning) in text, warning


def test_a_report_is_html_or_pdf() -> None:
    with pytest.raises(ValueError, match="html or pdf"):
        render_calibration(None, "xlsx")  # type: ignore[arg-type]


@pytest.mark.slow
def test_pdf_report_says_the_same_and_pages_for_a_person(result: Calibration) -> None:
    body = render_calibration(result, "pdf").body
    assert body.startswith(b"%PDF")
    assert_reports(pdf_text(body), result, hyphens=False)
    # build/screenshots/<name>/: tests/conftest.py names the folder at the end of the run
    pages = ROOT / "build" / "screenshots" / "calibration"
    shutil.rmtree(pages, ignore_errors=True)
    pages.mkdir(parents=True)
    (pages / "calibration.pdf").write_bytes(body)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", str(pages / "calibration.pdf"), str(pages / "page")],
        check=True,
    )
    print(f"\nPDF pages rendered for review: {pages}")
    assert len(list(pages.glob("page-*.png"))) >= 3


# --- over HTTP ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Iterator[FlaskClient]:
    app: Flask = create_app({"TESTING": True})
    app.test_client_class = ContractClient
    with app.test_client() as c:
        yield c


BODY = {
    "rows": CSV,
    "skip_bad_rows": True,
    "extract_date": TRUTH["end"],
    "seed": 7,
    "resamples": 50,
}


def _visible_answer(response: Any) -> str:
    return visible(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("query", "accept"),
    [("?format=html", None), ("", "text/html,application/xhtml+xml,*/*;q=0.8")],
)
def test_html_report_by_format_or_accept(
    client: FlaskClient, query: str, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.post(f"/v1/calibrations{query}", json=BODY, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/html"
    assert response.headers["Content-Disposition"] == 'inline; filename="calibration.html"'
    text = _visible_answer(response)
    assert "Within charge classes (used)" in text
    assert "booking records (CSV text)" in text
    assert "X-BAD" not in text
    assert "Jane" not in text


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_json_stays_the_default(client: FlaskClient, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.post("/v1/calibrations", json=BODY, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "Content-Disposition" not in response.headers
    assert set(response.get_json()["stays"]) == {"edges_days", "detainer", "other"}


@pytest.mark.slow
def test_pdf_report_over_http(client: FlaskClient) -> None:
    response = client.post("/v1/calibrations", json=BODY, headers={"Accept": "application/pdf"})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="calibration.pdf"'
    text = pdf_text(response.get_data())
    assert "Within charge classes (used)" in text
    assert "X-BAD" not in text


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ("?format=xlsx", {}, 400),
        ("?format=", {}, 400),
        ("", {"Accept": "text/csv"}, 406),
    ],
)
def test_bad_format_requests(
    client: FlaskClient, query: str, headers: dict[str, str], status: int
) -> None:
    response = client.post(f"/v1/calibrations{query}", json=BODY, headers=headers)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_bad_records_asked_as_a_report_still_get_the_problem(client: FlaskClient) -> None:
    response = client.post("/v1/calibrations?format=pdf", json={**BODY, "skip_bad_rows": False})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json(force=True)["errors"][0]["pointer"] == "/rows/10/booked_at"


# --- from the command line ------------------------------------------------------------


def _calibrate(tmp_path: Path, *extra: str) -> int:
    bookings = tmp_path / "county.csv"
    bookings.write_text(CSV, encoding="utf-8")
    return main(
        [
            "calibrate", str(bookings), "--skip-bad-rows", "--extract-date", TRUTH["end"],
            "--resamples", "50", "--seed", "7", *extra,
        ]
    )  # fmt: skip


def test_cli_writes_the_html_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "calibration.htm"
    assert _calibrate(tmp_path, "--report", str(out)) == 0
    assert f"wrote {out}" in capsys.readouterr().err
    text = visible(out.read_text(encoding="utf-8"))
    assert "Within charge classes (used)" in text
    assert "booking records (county.csv)" in text
    assert "X-BAD" not in text


def test_cli_report_format_overrides_the_extension(tmp_path: Path) -> None:
    out = tmp_path / "report.out"
    assert _calibrate(tmp_path, "--report", str(out), "--report-format", "html") == 0
    assert out.read_bytes().startswith(b"<!doctype html>")


@pytest.mark.slow
def test_cli_writes_the_pdf_report(tmp_path: Path) -> None:
    out = tmp_path / "calibration.PDF"
    assert _calibrate(tmp_path, "--report", str(out), "--format", "json") == 0
    assert "Within charge classes (used)" in pdf_text(out.read_bytes())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--report", "calibration.txt"), "name a .html or .pdf file"),
        (("--report-format", "pdf"), "--report-format needs --report FILE"),
    ],
)
def test_cli_report_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    assert _calibrate(tmp_path, *extra) == 2
    assert message in capsys.readouterr().err


def test_cli_says_when_the_report_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "calibration.html"
    assert _calibrate(tmp_path, "--report", str(out)) == 2
    assert "error: cannot write" in capsys.readouterr().err
