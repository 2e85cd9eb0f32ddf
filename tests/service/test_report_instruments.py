"""Issue 13's instruments in every report format, checked on real renders: fiscal years
(``fiscal_year_start_month``: every year named FY2027 and the start month stated),
the components ``federal_payment``, ``staff`` and ``program`` by their labels, and
inputs given as schedules in words, never as a raw dict.

One small scenario (200 trials) through the service's path (``build_report`` then
``render``): fiscal years from July, a schedule on ``honor_rate`` (a state law from
FY2029), staff hours, a payment per hold and a scheduled, partly uncertain program
cost; a comparison whose alternative brings the law forward; and a roll-up of two
jurisdictions over a fiscal-year base. HTML text, PDF text (pdftotext), XLSX cells
(openpyxl) and CSV rows (csv) are read back.
"""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
import shutil
import subprocess
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from models.analyses.rollup import RollupResult, rollup
from service.reports import Report, render
from service.reports.document import fiscal_year_text
from service.reports.labels import describe_schedule, describe_value
from service.reports.rollup import render_rollup, with_report_percentiles
from service.runner import build_report

from .conftest import ROOT

SCENARIO: dict[str, Any] = {
    "name": "Fiscal county",
    "bookings_per_year": 20000,
    "detainer_rate": 0.015,
    "honor_rate": {"schedule": {"2027": 0.9, "2029": 0}, "note": "State law from FY2029"},
    "extra_days_per_detainer": {"dist": "uniform", "low": 5, "high": 15},
    "daily_cost": 90,
    "staff_hours_per_detainer": {"dist": "uniform", "low": 1, "high": 3},
    "staff_hourly_cost": 45,
    "payment_per_honored_detainer": 50,
    "program_cost_per_year": {
        "schedule": {"2027": 120000, "2028": {"dist": "uniform", "low": 100000, "high": 150000}}
    },
    "fiscal_year_start_month": 7,
    "start_year": 2027,
    "horizon_years": 3,
    "trials": 200,
    "seed": 7,
}
COMPARISON: dict[str, Any] = {
    "baseline": SCENARIO,
    "alternatives": [
        {
            "name": "Law from FY2028",
            "overrides": {"honor_rate": {"schedule": {"2027": 0.9, "2028": 0}}},
        }
    ],
}
#: The same without fiscal years (and without the note that names one).
CALENDAR = {
    **{k: v for k, v in SCENARIO.items() if k != "fiscal_year_start_month"},
    "honor_rate": {"schedule": {"2027": 0.9, "2029": 0}},
}

YEARS = ("FY2027", "FY2028", "FY2029")
STARTS = "Fiscal years start in July"
BOUNDS = "FY2027 = July 2026\u2013June 2027"
COMPONENTS = {
    "federal_payment": "Federal payments per hold",
    "staff": "Staff time",
    "program": "Program (e.g. 287(g))",
}
HONOR = "FY2027\u2013FY2028: 90%; FY2029 onward: 0%"
PROGRAM = "FY2027: $120,000; FY2028 onward: $100,000 to $150,000, uniform"
#: What a schedule must never read as: a dict, a repr, or the words of a missing family.
RAW = ("{", "'schedule'", '"schedule"', "None", "(None)")


@pytest.fixture(scope="module")
def scenario_report() -> Report:
    report, _ = build_report(SCENARIO)
    return report


@pytest.fixture(scope="module")
def comparison_report() -> Report:
    report, _ = build_report(COMPARISON)
    return report


def visible(page: str) -> str:
    """The HTML's text as a reader sees it (no tags, styles or charts), one space apart."""
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def cells(page: str, table: str) -> list[list[str]]:
    """The text of each body row's cells of the HTML table with id ``table``."""
    body = re.search(rf'<table id="{table}".*?<tbody>(.*?)</tbody>', page, flags=re.S)
    assert body is not None, table
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), flags=re.S)
    return [
        [visible(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)] for row in rows
    ]


def csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode())))


# --- the words ------------------------------------------------------------------------


def test_schedules_in_words() -> None:
    table = {"schedule": {"2028": 0, "2026": 0.9}}  # any order: read by year
    assert describe_value("honor_rate", table) == "2026\u20132027: 90%; 2028 onward: 0%"
    assert describe_schedule("honor_rate", table, sentence=True) == (
        "90% in 2026\u20132027 and 0% from 2028"
    )
    step = {"schedule": {"2026": 60, "2027": {"dist": "uniform", "low": 70, "high": 80}}}
    assert describe_value("daily_cost", step) == "2026: $60; 2027 onward: $70 to $80, uniform"
    assert describe_value("daily_cost", {"schedule": {"2026": 75}}) == "2026 onward: $75"
    fiscal = describe_value("honor_rate", table, year_name=lambda y: f"FY{y}")
    assert fiscal == "FY2026\u2013FY2027: 90%; FY2028 onward: 0%"


def test_fiscal_year_bounds_in_words(scenario_report: Report) -> None:
    result = scenario_report.result
    assert fiscal_year_text(7, result) == (
        f"{STARTS}, named by the calendar year they end in; {BOUNDS}."
    )
    # October: FY2027 is October 2026 to September 2027 (the engine's year_bounds)
    october = fiscal_year_text(10, result)
    assert october is not None
    assert october.endswith("FY2027 = October 2026\u2013September 2027.")
    # January, given: the calendar year, labelled
    january = fiscal_year_text(1, result)
    assert january is not None
    assert january.endswith("FY2027 = January 2027\u2013December 2027.")
    assert fiscal_year_text(None, result) == (
        "Years are fiscal years, named by the calendar year they end in (FY2027 ends in 2027)."
    )


# --- HTML -----------------------------------------------------------------------------


def test_html_names_fiscal_years_and_when_they_start(scenario_report: Report) -> None:
    page = render(scenario_report, "html").body.decode()
    text = visible(page)
    assert "costs the jail, FY2027\u2013FY2029." in text
    assert "In FY2027, honoring immigration detainers is estimated to cost" in text
    assert "Over the 3 years FY2027\u2013FY2029 the net cost totals" in text
    assert [row[0] for row in cells(page, "years")] == list(YEARS)
    assert "<th>fiscal year</th>" in page
    assert ">Label<" not in page  # the label is the year column, not a column of its own
    assert f"The years. {STARTS}, named by the calendar year they end in; {BOUNDS}." in text
    assert ["First year", "FY2027"] in cells(page, "provenance")
    fan = re.search(r"<svg\b(?:(?!</svg>).)*?fiscal year.*?</svg>", page, flags=re.S)
    assert fan is not None, "the net-cost-by-year chart names fiscal years"
    assert all(y in fan.group(0) for y in YEARS)


def test_html_components_and_method_name_the_instruments(scenario_report: Report) -> None:
    page = render(scenario_report, "html").body.decode()
    rows = {row[0]: row for row in cells(page, "components")}
    for label in COMPONENTS.values():
        assert label in rows, label
    assert rows["Federal payments per hold"][1].startswith("-$")  # an offset
    assert rows["Program (e.g. 287(g))"][1] == "$120,000"  # FY2027's value
    text = visible(page)
    assert "staff time per detainer" in text
    assert "the program's fixed yearly cost" in text
    assert "less SCAAP and other reimbursement and federal payments per honored detainer" in text
    assert "federal_payment" not in text


def test_html_inputs_read_schedules_in_words(scenario_report: Report) -> None:
    page = render(scenario_report, "html").body.decode()
    values = {row[0]: row[1] for row in cells(page, "inputs")}
    honor = next(v for k, v in values.items() if k.startswith("Share of detainers honored"))
    program = next(v for k, v in values.items() if k.startswith("Program cost a year"))
    assert honor == HONOR
    assert program == PROGRAM
    for value in (honor, program):
        assert not any(raw in value for raw in RAW), value
    first = next(v for k, v in values.items() if k.startswith("First year"))
    month = next(v for k, v in values.items() if k.startswith("First month of the fiscal"))
    assert (first, month) == ("FY2027", "July")
    units = {row[0]: row[2] for row in cells(page, "inputs")}
    weekdays = next(u for k, u in units.items() if k.startswith("Release days of the week"))
    assert weekdays == "relative weight, Monday to Sunday"  # not "Monday..Sund ay" in the PDF
    assert "State law from FY2029" in visible(page)  # the schedule's note


def test_comparison_says_what_a_scheduled_alternative_changes(
    comparison_report: Report,
) -> None:
    text = visible(render(comparison_report, "html").body.decode())
    assert (
        "sets share of detainers honored to 90% in FY2027 and 0% from FY2028 "
        "(baseline 90% in FY2027\u2013FY2028 and 0% from FY2029)"
    ) in text
    rows = csv_rows(render(comparison_report, "csv").body)
    savings = [r for r in rows if r["section"] == "savings"]
    assert savings
    assert all("0% from FY2028" in r["text"] for r in savings)
    assert {r["year_label"] for r in savings if r["year"]} == {"FY2027"}


def test_calendar_years_keep_their_plain_names() -> None:
    report, _ = build_report(CALENDAR)
    page = render(report, "html").body.decode()
    text = visible(page)
    assert "FY20" not in text
    assert "Fiscal years" not in text
    assert [row[0] for row in cells(page, "years")] == ["2027", "2028", "2029"]
    values = {row[0]: row[1] for row in cells(page, "inputs")}
    honor = next(v for k, v in values.items() if k.startswith("Share of detainers honored"))
    assert honor == "2027\u20132028: 90%; 2029 onward: 0%"
    rows = csv_rows(render(report, "csv").body)
    assert {r["year_label"] for r in rows} == {""}
    wb = load_workbook(io.BytesIO(render(report, "xlsx").body))
    assert wb["Years"]["A1"].value == "year"
    assert wb["Years"]["A2"].value == 2027


# --- XLSX and CSV ---------------------------------------------------------------------


def test_xlsx_names_fiscal_years_components_and_schedules(scenario_report: Report) -> None:
    wb = load_workbook(io.BytesIO(render(scenario_report, "xlsx").body))
    about = {r[0]: r[1] for r in wb["About"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert about["Years"] == "FY2027\u2013FY2029"
    assert about["First year"] == "FY2027"
    assert STARTS in about["Year boundaries"]
    assert BOUNDS in about["Year boundaries"]
    assert about["Summary"].startswith("In FY2027, honoring")

    years = list(wb["Years"].iter_rows(values_only=True))
    assert years[0][:2] == ("fiscal year", "year it ends in")
    assert [(r[0], r[1]) for r in years[1:]] == [(y, int(y[2:])) for y in YEARS]
    assert "Label" not in years[0]

    components = {r[0]: r for r in wb["Components"].iter_rows(min_row=2, values_only=True)}
    for key, label in COMPONENTS.items():
        assert components[key][1] == label
    assert components["federal_payment"][2] < 0
    fed = scenario_report.result.components["federal_payment"]
    assert components["federal_payment"][2] == fed.mean  # the result's figure, as a number

    header, *rows = list(wb["Inputs"].iter_rows(values_only=True))
    inputs = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert inputs["honor_rate"]["value or distribution"] == HONOR
    assert inputs["honor_rate"]["distribution"] == "schedule"
    assert inputs["program_cost_per_year"]["value or distribution"] == PROGRAM
    assert inputs["start_year"]["value or distribution"] == "FY2027"
    assert inputs["start_year"]["value"] == 2027
    assert inputs["fiscal_year_start_month"]["value or distribution"] == "July"
    for row in rows:
        assert not any(raw in str(row[2]) for raw in RAW), row


def test_csv_labels_years_and_reads_inputs_in_words(scenario_report: Report) -> None:
    rows = csv_rows(render(scenario_report, "csv").body)
    by_year = {r["year"]: r["year_label"] for r in rows if r["section"] == "year"}
    assert by_year == {"2027": "FY2027", "2028": "FY2028", "2029": "FY2029"}
    annual = next(r for r in rows if r["section"] == "summary" and r["quantity"] == "annual_cost")
    assert (annual["year"], annual["year_label"]) == ("2027", "FY2027")
    horizon = next(r for r in rows if r["quantity"] == "total_cost")
    assert (horizon["year"], horizon["year_label"]) == ("", "")
    assert not any(r["section"] == "year" and r["quantity"] == "label" for r in rows)

    components = {r["quantity"]: r for r in rows if r["section"] == "component"}
    for key, label in COMPONENTS.items():
        assert components[key]["label"] == label
        assert components[key]["year_label"] == "FY2027"
    assert float(components["federal_payment"]["mean"]) == (
        scenario_report.result.components["federal_payment"].mean
    )

    inputs = {r["quantity"]: r for r in rows if r["section"] == "input"}
    assert inputs["honor_rate"]["text"] == HONOR
    assert inputs["program_cost_per_year"]["text"] == PROGRAM
    assert inputs["staff_hours_per_detainer"]["text"] == "1 to 3, uniform"
    assert inputs["payment_per_honored_detainer"]["text"] == "$50"
    assert inputs["fiscal_year_start_month"]["text"] == "July"
    assert all(r["mean"] == "" for r in inputs.values())  # an input is not a result
    for r in inputs.values():
        assert not any(raw in r["text"] for raw in RAW), r


# --- PDF ------------------------------------------------------------------------------


@pytest.mark.slow  # WeasyPrint: about 4 s for the first PDF of a process
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_pdf_reads_fiscal_years_components_and_schedules(scenario_report: Report) -> None:
    """The PDF's text holds what the HTML holds; its pages go to
    build/screenshots/report-instruments for a person to look at."""
    body = render(scenario_report, "pdf").body
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=body, capture_output=True, check=True
    ).stdout.decode()
    flat = " ".join(re.sub(r"Page \d+ of \d+", " ", text).split())
    assert "In FY2027, honoring immigration detainers" in flat
    assert STARTS in flat
    assert BOUNDS in flat
    for year in YEARS:
        assert year in flat
    for label in COMPONENTS.values():
        assert label in flat
    assert HONOR in flat
    assert PROGRAM in flat
    assert "(None)" not in flat
    pages = ROOT / "build" / "screenshots" / "report-instruments"
    shutil.rmtree(pages, ignore_errors=True)
    pages.mkdir(parents=True)
    (pages / "scenario.pdf").write_bytes(body)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(pages / "scenario.pdf"), str(pages / "scenario")],
        check=True,
    )
    assert len(list(pages.glob("*.png"))) >= 5


# --- roll-up ----------------------------------------------------------------------------

ROLLUP_BASE: dict[str, Any] = {
    "name": "Fiscal state",
    "detainer_rate": 0.015,
    "daily_cost": 90,
    "staff_hours_per_detainer": 2,
    "staff_hourly_cost": 45,
    "payment_per_honored_detainer": 50,
    "honor_rate": {"schedule": {"2027": 0.9, "2029": 0}},
    "fiscal_year_start_month": 7,
    "start_year": 2027,
    "horizon_years": 3,
    "trials": 100,
}
ROLLUP_ROWS = [{"name": "North", "bookings_per_year": 20000}, {"name": "South"}]


@pytest.fixture(scope="module")
def rollup_result() -> RollupResult:
    base = {**ROLLUP_BASE, "bookings_per_year": 8000}
    body = with_report_percentiles({"base": base, "rows": ROLLUP_ROWS})
    return rollup(body["base"], body["rows"], seed=5)


def test_rollup_report_names_fiscal_years_and_components(rollup_result: RollupResult) -> None:
    def body(fmt_: str) -> bytes:
        return render_rollup(
            rollup_result, fmt_, name="Fiscal state", fiscal_year_start_month=7
        ).body

    page = body("html").decode()
    text = visible(page)
    assert "in FY2027 (median total net cost" in text
    # two jurisdictions: the largest, without "the largest 1 together are ..."
    assert re.search(r"The largest contributor, North, is [\d.]+% of the mean total\.", text)
    assert "the largest 1 " not in text
    assert "FY2027\u2013FY2029" in text
    assert [row[0] for row in cells(page, "years")] == list(YEARS)
    assert f"{STARTS}, named by the calendar year they end in; {BOUNDS}." in text
    assert ["First year", "FY2027"] in cells(page, "provenance")

    rows = csv_rows(body("csv"))
    years = {r["year"]: r["year_label"] for r in rows if r["section"] == "year"}
    assert years == {"2027": "FY2027", "2028": "FY2028", "2029": "FY2029"}
    assert {r["year_label"] for r in rows if r["section"] == "jurisdiction" and r["year"]} == {
        "FY2027"
    }

    wb = load_workbook(io.BytesIO(body("xlsx")))
    about = {r[0]: r[1] for r in wb["About"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert about["First year"] == "FY2027"
    assert BOUNDS in about["Year boundaries"]
    assert [r[0] for r in wb["Years"].iter_rows(min_row=2, values_only=True)] == list(YEARS)
    labels = {r[0]: r[1] for r in wb["Components"].iter_rows(min_row=2, values_only=True)}
    assert labels["federal_payment"] == COMPONENTS["federal_payment"]
    assert labels["staff"] == COMPONENTS["staff"]


def test_rollup_report_by_http_says_when_the_fiscal_years_start(client: FlaskClient) -> None:
    """The route passes the base's start month to the report (the path a user takes)."""
    base = {
        **ROLLUP_BASE,
        "bookings_per_year": 8000,
        "horizon_years": 2,
        "honor_rate": {"schedule": {"2027": 0.9, "2028": 0}},  # the years simulated
    }
    response = client.post("/v1/rollups?format=html", json={"base": base, "rows": ROLLUP_ROWS})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    text = visible(response.get_data(as_text=True))
    assert f"{STARTS}, named by the calendar year they end in; {BOUNDS}." in text
    assert "FY2027\u2013FY2028" in text


def test_scenario_report_by_http_names_fiscal_years(client: FlaskClient) -> None:
    """POST /v1/reports (the path a user takes), the response held to the contract."""
    response = client.post("/v1/reports?format=csv", json=SCENARIO)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    rows = csv_rows(response.get_data())
    assert {r["year_label"] for r in rows if r["section"] == "year"} == set(YEARS)
    inputs = {r["quantity"]: r["text"] for r in rows if r["section"] == "input"}
    assert inputs["honor_rate"] == HONOR
