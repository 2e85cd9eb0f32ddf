"""Issue 14's formatting rules, checked on real renders: the HTML's text, the PDF's text
(pdftotext), the XLSX's cells (openpyxl) and the CSV's rows.

The reports are built once per module from a small run (400 trials) through the same
path the service takes (``build_report`` then ``render``).
"""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from models.scenario import FIELDS
from service.reports import Report, render
from service.reports import formatting as fmt
from service.reports.charts import Dollars
from service.reports.document import split_basis
from service.reports.labels import label
from service.reports.tables import CSV_COLUMNS
from service.runner import build_report

from .conftest import ROOT

SCENARIO: dict[str, Any] = {
    "name": "Format county",
    "description": "Inputs for the formatting tests.Second sentence after a missing space.",
    "bookings_per_year": 30000,
    "detainer_rate": {"dist": "beta", "successes": 420, "trials": 30000},
    "honor_rate": 1,
    "hold_hours": 48,
    "extra_days_per_detainer": {"dist": "pert", "low": 20, "mode": 25, "high": 73},
    "daily_cost": {"dist": "uniform", "low": 55, "high": 105, "note": "Budget office, 2025"},
    "daily_cost_average": {"dist": "uniform", "low": 105, "high": 142},
    "admin_cost_per_detainer": 25,
    "offsets": {
        "scaap_eligible_share": 0.5,
        "scaap_reimbursement_rate": {"dist": "uniform", "low": 0.18, "high": 0.23},
    },
    "horizon_years": 3,
    "start_year": 2026,
    "cost_inflation": 0.03,
    "discount_rate": 0.03,
    "population": 800000,
    "annual_budget": 250_000_000,
    "thresholds": [1_000_000, 12_500_000],
    "trials": 400,
}
COMPARISON = {
    "baseline": SCENARIO,
    "alternatives": [
        {"name": "Decline all detainers", "overrides": {"honor_rate": 0}},
        {"name": "Half", "overrides": {"honor_rate": 0.5, "offsets": {"scaap_eligible_share": 0}}},
    ],
}


@pytest.fixture(scope="module")
def scenario_report() -> Report:
    report, _ = build_report(SCENARIO)
    return report


@pytest.fixture(scope="module")
def comparison_report() -> Report:
    report, _ = build_report(COMPARISON)
    return report


_RENDERED: dict[tuple[int, str], tuple[Report, bytes]] = {}


def rendered(report: Report, fmt_: str) -> bytes:
    """``render(report, fmt_).body``, rendered once per report and format in this module
    (the report is kept with its bytes, so its id cannot be reused)."""
    key = (id(report), fmt_)
    if key not in _RENDERED:
        _RENDERED[key] = (report, render(report, fmt_).body)
    return _RENDERED[key][1]


def html_text(report: Report) -> str:
    """The visible text of the HTML report (tags, styles and charts removed)."""
    page = rendered(report, "html").decode()
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


IDENTIFIERS = sorted(
    {f.name for f in FIELDS if "_" in f.name or "." in f.name}
    | {"extra_stay", "scaap_reimbursement", "annual_cost", "total_cost", "present_value"}
)


def assert_reads_well(text: str) -> None:
    """The rules of issue 14 that a text shows."""
    text = re.sub(r"\b[0-9a-f]{12,64}\b", "", text)  # the scenario hash is hexadecimal
    years = re.findall(r"(?<![\d$,.])(?:19|20)\d\d(?![\d,])", text)
    assert years, "a report names its years"
    # a year with a separator, where years are written: after a word that leads to a year,
    # or at the start of a line (the PDF's year table); a count such as 2,024 bed-days
    # elsewhere is a count
    near = r"\b(?:In|in|from|since|to|years?|Generated|First year)\s+(?:1,9|2,0)\d\d\b"
    assert not re.search(near, text), "a year with a separator"
    assert not re.search(r"^\s*(?:1,9|2,0)\d\d\s", text, flags=re.M), "a year with a separator"
    assert not re.search(r"\d[eE][+-]?\d", text), "e-notation"
    assert not re.search(r"\d\.0 hours", text)
    assert "`" not in text
    assert not re.search(r"[a-z0-9%)][.!?][A-Z]", text), "sentences without a space"
    assert not re.search(r"\$\d{1,3}(,\d{3})+\.\d", text), "cents on $1,000 or more"
    for name in IDENTIFIERS:
        assert not re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text), name
    snake = re.search(r".{30}\b[a-z0-9]+_[a-z0-9_]+\b.{10}", text, flags=re.S)
    assert snake is None, snake.group(0) if snake else ""


def test_formatting_rules() -> None:
    assert fmt.year(2026) == "2026"
    assert fmt.count(420.3) == "420"
    assert fmt.money(1234567.891) == "$1,234,568"
    assert fmt.money(-1234.4) == "-$1,234"
    assert fmt.money(75.0) == "$75"
    assert fmt.money(1.3456) == "$1.35"
    assert fmt.money(-0.2) == "-$0.20"
    assert fmt.share(0.524) == "52.4%"
    assert fmt.share(0.5) == "50%"
    assert fmt.share(0.0004) == "under 0.1%"
    assert fmt.hours(48.0) == "48 hours"
    assert fmt.plain(1e12) == "1,000,000,000,000"
    assert fmt.plain(0.18) == "0.18"
    assert fmt.plain(1.5e-7) == "0.00000015"
    assert label("offsets.scaap_reimbursement_rate") == "Share of eligible costs SCAAP pays"
    assert label("some_new_field") == "Some new field"


@pytest.mark.parametrize(
    "ticks",
    [
        [1.3e6, 1.35e6, 1.4e6, 1.45e6, 1.5e6],
        [800e3, 900e3, 1e6, 1.1e6, 1.2e6],
        [1.40e6, 1.41e6, 1.42e6],
        [0, 250, 500],
    ],
)
def test_dollar_ticks_are_distinct(ticks: list[float]) -> None:
    labels = Dollars().format_ticks(ticks)
    assert len(set(labels)) == len(labels), labels


def chart_ticks(page: str) -> dict[tuple[str, str], list[str]]:
    """Tick labels of every chart axis in the HTML report, by (chart, axis)."""
    out: dict[tuple[str, str], list[str]] = {}
    pattern = r'id="(\w+)-([xy])tick_\d+">.*?<text[^>]*>([^<]*)</text>'
    for chart, axis, text in re.findall(pattern, page, flags=re.S):
        out.setdefault((chart, axis), []).append(html_lib.unescape(text))
    return out


def test_html_charts_have_distinct_labelled_ticks(scenario_report: Report) -> None:
    page = rendered(scenario_report, "html").decode()
    ticks = chart_ticks(page)
    assert {c for c, _ in ticks} >= {"distribution", "components", "fan", "tornado"}
    for where, labels in ticks.items():
        assert len(set(labels)) == len(labels), (where, labels)
        for text in labels:
            assert "_" not in text, (where, text)


def test_html_summary_says_what_matters_first(scenario_report: Report) -> None:
    r = scenario_report.result
    text = html_text(scenario_report)
    summary = text[text.index("In 2026") : text.index("Year by year")]
    for figure in (
        r.annual_cost.percentiles["p50"],
        r.total_cost.percentiles["p50"],
        r.present_value.percentiles["p50"],
    ):
        assert fmt.money(figure) in summary
    assert r.average_basis is not None
    assert fmt.money(r.average_basis["annual_cost"].percentiles["p50"]) in summary
    assert fmt.money(r.average_basis["total_cost"].percentiles["p50"]) in summary
    assert "2026\u20132028" in summary
    assert "per resident" in summary
    assert "of the annual budget of $250,000,000" in summary
    assert "exceeds $12,500,000" in summary


def test_html_carries_what_the_analyst_gave(scenario_report: Report) -> None:
    text = html_text(scenario_report)
    p = scenario_report.result.provenance
    assert "Inputs for the formatting tests. Second sentence" in text
    assert "800,000" in text
    assert scenario_report.generated.isoformat() in text
    assert f"detainer-cost {p.model_version}" in text
    assert p.scenario_sha256 in text
    assert "Budget office, 2025" in text
    assert "$55 to $105, uniform" in text
    assert "50%" in text  # the SCAAP-eligible share, as a percent
    assert "48 hours" in text
    assert "Share of eligible costs SCAAP pays" in text


def test_html_reads_well(scenario_report: Report, comparison_report: Report) -> None:
    assert_reads_well(html_text(scenario_report))
    assert_reads_well(html_text(comparison_report))


def test_html_year_table_has_every_year(scenario_report: Report) -> None:
    page = rendered(scenario_report, "html").decode()
    table = page[page.index('id="years"') : page.index("</table>", page.index('id="years"'))]
    for y in scenario_report.result.years:
        assert f"<td>{y.year}</td>" in table
        assert fmt.money(y.net_cost.mean) in table


def test_comparison_summary_gives_horizon_savings_and_changes(comparison_report: Report) -> None:
    text = html_text(comparison_report)
    assert comparison_report.comparison is not None
    for alt in comparison_report.comparison.alternatives:
        d = alt.difference
        start = text.index(f"Policy \u201c{alt.name}\u201d")
        sentence = text[start : text.index("money is", start)]
        assert fmt.money(d.annual_cost.percentiles["p50"]) in sentence
        assert fmt.money(d.total_cost.percentiles["p50"]) in sentence
        assert fmt.money(d.present_value.percentiles["p50"]) in sentence
    assert "sets share of detainers honored to 0% (baseline 100%)" in text
    assert "sets share of costs eligible for SCAAP to 0% (baseline 50%)" in text


def test_xlsx_sheets_numbers_widths_and_frozen_headers(comparison_report: Report) -> None:
    wb = load_workbook(io.BytesIO(render(comparison_report, "xlsx").body))
    assert wb.sheetnames == [
        "About",
        "Summary",
        "Thresholds",
        "Inputs",
        "Percentiles",
        "Years",
        "Components",
        "Alternatives",
    ]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.bold for c in ws[1] if c.value is not None), ws.title
        for col in range(1, ws.max_column + 1):
            letter = ws.cell(row=1, column=col).column_letter
            assert ws.column_dimensions[letter].width >= 8, (ws.title, letter)
    inputs = {row[0].value: row for row in wb["Inputs"].iter_rows(min_row=2)}
    header = [c.value for c in wb["Inputs"][1]]
    daily = inputs["daily_cost"]
    assert daily[header.index("low")].value == 55
    assert daily[header.index("low")].data_type == "n"
    assert "$" in daily[header.index("low")].number_format
    share = inputs["offsets.scaap_eligible_share"][header.index("value")]
    assert (share.value, share.data_type, share.number_format) == (0.5, "n", "0.0%")
    start = inputs["start_year"][header.index("value")]
    assert (start.value, start.number_format) == (2026, "0")
    assert inputs["daily_cost"][header.index("input")].value == "Daily cost of a bed, marginal"
    years = list(wb["Years"].iter_rows(min_row=2))
    assert [r[0].value for r in years] == [2026, 2027, 2028]
    assert all(r[0].number_format == "0" for r in years)
    about = {r[0].value: r[1].value for r in wb["About"].iter_rows(min_row=2)}
    assert about["Scenario hash (SHA-256)"] == comparison_report.result.provenance.scenario_sha256
    assert about["Generated"] == comparison_report.generated.isoformat()
    alts = list(wb["Alternatives"].iter_rows(min_row=2, values_only=True))
    assert [a[0] for a in alts] == ["Decline all detainers", "Half"]
    assert all(isinstance(v, int | float) for v in alts[0][2:])


def test_csv_rows_and_documented_columns(comparison_report: Report) -> None:
    text = render(comparison_report, "csv").body.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)))
    docs = (ROOT / "docs" / "reports.md").read_text()
    for column in header:
        assert f"`{column}`" in docs, column
    assert tuple(header[: len(CSV_COLUMNS)]) == CSV_COLUMNS
    sections = {r["section"] for r in rows}
    assert sections == {"summary", "year", "component", "threshold", "savings", "input"}
    years = [r for r in rows if r["section"] == "year" and r["quantity"] == "net_cost"]
    assert [r["year"] for r in years] == ["2026", "2027", "2028"]
    hold = next(r for r in rows if r["section"] == "component" and r["quantity"] == "hold")
    assert hold["label"] == "The hold"
    saves = [r for r in rows if r["section"] == "savings" and r["quantity"] == "total_cost"]
    assert [r["alternative"] for r in saves] == ["Decline all detainers", "Half"]
    assert saves[0]["text"] == "sets share of detainers honored to 0% (baseline 100%)"
    for r in rows:
        for key in ("mean", "p50"):
            if r[key]:
                float(r[key])  # numbers, never neutralized text


def _filled(pdf: Path) -> float:
    """How far down the first page its text reaches (the page footer left out), as a
    share of the page's height (pdftotext -bbox)."""
    box = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    height = float(re.findall(r'<page width="[\d.]+" height="([\d.]+)"', box)[0])
    bottoms = [float(y) for y in re.findall(r'yMax="([\d.]+)">(?!Page<)', box)]
    footer = max(bottoms)  # "Page 1 of N"
    return max(y for y in bottoms if y < footer - 1) / height


@pytest.mark.slow
def test_pdf_reads_well_and_pages_for_a_person(
    scenario_report: Report, comparison_report: Report
) -> None:
    """The PDF's text follows the rules; its first page is the summary, the year table
    and the key figures; every page is rendered to PNG for a person to look at."""
    # build/screenshots/<name>/: tests/conftest.py names the folder at the end of the run
    pages = ROOT / "build" / "screenshots" / "report-pdf"
    shutil.rmtree(pages, ignore_errors=True)
    pages.mkdir(parents=True)
    for name, report in (("scenario", scenario_report), ("comparison", comparison_report)):
        body = render(report, "pdf").body
        (pages / f"{name}.pdf").write_bytes(body)
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=body, capture_output=True, check=True
        ).stdout.decode()
        assert_reads_well(text)
        first = text.split("\f")[0]
        assert "honoring immigration detainers is estimated to cost" in first
        assert "Year by year" in first
        assert _filled(pages / f"{name}.pdf") > 0.75, "a half-empty first page"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(pages / f"{name}.pdf"), str(pages / name)],
            check=True,
        )
    print(f"\nPDF pages rendered for review: {pages}")
    assert len(list(pages.glob("*.png"))) >= 6


MEASURES: dict[str, Any] = {
    "name": "Measures county",
    "detainers_per_year": 500,
    "extra_days_per_detainer": {"dist": "uniform", "low": 5, "high": 15},
    "detainer_days_per_detainer": 60,
    "daily_cost_average": 120,
    "start_year": 2016,
    "horizon_years": 3,
    "trials": 200,
}


@pytest.fixture(scope="module")
def measures_report() -> Report:
    body = {
        "baseline": MEASURES,
        "alternatives": [
            {"name": "Lodged", "overrides": {"extra_stay_applies_to": "lodged", "honor_rate": 0}}
        ],
    }
    report, _ = build_report(body)
    return report


def test_two_ranges_and_precision_each_said_once(scenario_report: Report) -> None:
    r = scenario_report.result
    alone = r.parameter_range["annual_cost"]
    text = html_text(scenario_report)
    summary = text[text.index("In 2026") : text.index("Year by year")]
    assert f"{fmt.money(r.annual_cost.percentiles['p5'])} to " in summary
    assert (
        f"inputs alone, {fmt.money(alone.percentiles['p5'])} to "
        f"{fmt.money(alone.percentiles['p95'])}, is the spread of the expected cost" in summary
    )
    lo, hi = r.annual_cost.ci95_mean
    assert "precision of the estimate (Monte Carlo error, not a range of costs)" in text
    assert f"between {fmt.money(lo)} and {fmt.money(hi)} with 95% confidence" in text
    rows = list(csv.DictReader(io.StringIO(render(scenario_report, "csv").body.decode())))
    alone_row = next(r for r in rows if r["quantity"] == "parameter_range.annual_cost")
    assert float(alone_row["p95"]) == alone.percentiles["p95"]
    assert "inputs alone" in alone_row["label"]


def test_measures_kept_apart_in_every_format(measures_report: Report) -> None:
    r = measures_report.result
    assert r.cost_basis == "average"
    assert r.detainer_bed_days is not None
    assert r.detainer_days_cost is not None
    text = html_text(measures_report)
    assert "at the fully loaded average daily cost (the only daily cost given)" in text
    assert "marginal basis" not in text
    assert "Net cost, year 1, average basis" in text
    upper = fmt.money(r.detainer_days_cost.percentiles["p50"])
    start = text.index("Detainer-days, every day")
    sentence = text[start : text.index("above.", start)]
    assert upper in sentence
    assert "upper bound" in sentence
    assert "in none of the totals" in sentence
    assert "Cost of detainer-days (upper bound, not in the totals)" in text
    assert "counted for every detainer lodged, honored or not" not in text  # baseline: honored
    assert "counted only for detainers the jail honors" in text
    rows = list(csv.DictReader(io.StringIO(render(measures_report, "csv").body.decode())))
    cost = next(x for x in rows if x["quantity"] == "detainer_days_cost")
    assert float(cost["p50"]) == r.detainer_days_cost.percentiles["p50"]
    assert "upper bound" in cost["label"]
    wb = load_workbook(io.BytesIO(render(measures_report, "xlsx").body))
    about = {x[0].value: x[1].value for x in wb["About"].iter_rows(min_row=2)}
    assert about["Cost basis"] == "average"
    assert about["Longer stay applies to"] == "detainers the jail honors"
    summary = {x[0].value for x in wb["Summary"].iter_rows(min_row=2)}
    assert {"detainer_bed_days", "detainer_days_cost"} <= summary


def test_each_year_names_its_hold_rule(measures_report: Report) -> None:
    page = rendered(measures_report, "html").decode()
    table = page[page.index('id="years"') : page.index("</table>", page.index('id="years"'))]
    rules = re.findall(r'data-label="Hold rule">([^<]*)<', table)
    assert rules == ["business hours", "business, then clock hours", "clock hours"]
    text = html_text(measures_report)
    assert "This report follows the rule of the detainer form in force each year" in text
    assert "I-247A" in text
    assert "an analogy, not a legal test" in text


@pytest.mark.parametrize(
    ("note", "basis", "rest"),
    [
        ("published: Published: $55 a day.", "published", "$55 a day."),
        ("derived: Derived from the headline: 146 days.", "derived", "146 days."),
        ("assumption: a range of other counties.", "assumption", "a range of other counties."),
        ("KEYE 2014 range", "", "KEYE 2014 range"),
    ],
)
def test_a_presets_note_splits_into_basis_and_note(note: str, basis: str, rest: str) -> None:
    assert split_basis(note) == (basis, rest)


def test_preset_report_shows_its_source_and_each_basis() -> None:
    report, _ = build_report({"preset": "cook-county-2011", "trials": 200})
    text = html_text(report)
    assert "Source: " in text  # the preset's source, in its description
    assert "Chicago Tribune" in text
    assert re.search(r"(Published|Derived|Assumption)\. ", text)
    assert not re.search(r"(published|derived|assumption): ", text, flags=re.I)
    assert "Detainer-days, every day" in text  # Cook's headline is detainer-days
    assert_reads_well(text)
    wb = load_workbook(io.BytesIO(render(report, "xlsx").body))
    header = [c.value for c in wb["Inputs"][1]]
    bases = {r[header.index("basis")] for r in wb["Inputs"].iter_rows(min_row=2, values_only=True)}
    assert bases & {"published", "derived", "assumption"}


def test_ticks_of_absurd_sums_and_long_horizons_stay_readable() -> None:
    labels = Dollars().format_ticks([5e17, 7.5e17, 1e18])
    assert labels == ["$500,000.0T", "$750,000.0T", "$1,000,000.0T"]
    body = {
        "detainers_per_year": 5e8,
        "extra_days_per_detainer": {"dist": "uniform", "low": 1000, "high": 3000},
        "daily_cost": 9e5,
        "horizon_years": 30,
        "start_year": 2026,
        "trials": 40,
    }
    report, _ = build_report(body)
    page = rendered(report, "html").decode()
    ticks = chart_ticks(page)
    years = ticks[("fan", "x")]
    assert years == [str(y) for y in range(2026, 2056, 5)]
    for where, found in ticks.items():
        assert len(set(found)) == len(found), (where, found)
        assert not any(re.search(r"\de[+-]?\d", t) for t in found), (where, found)
    assert_reads_well(html_text(report))


@pytest.mark.slow
@pytest.mark.parametrize(
    "preset", sorted(p.stem for p in (ROOT / "models" / "preset_data").glob("*.json"))
)
def test_every_presets_report_reads_well(preset: str) -> None:
    """A preset's description and notes (its source and each input's basis) reach the
    report as a reader expects: no field names, backticks or e-notation."""
    report, _ = build_report({"preset": preset, "trials": 100})
    text = html_text(report)
    assert_reads_well(text)
    assert "Source: " in text


def test_the_year_table_reads_cost_offsets_net_bed_days_beds(scenario_report: Report) -> None:
    """Issue 14's year table: cost, offsets, net, bed-days and beds occupied, in that
    order, each year, with beds in beds (not a bare count)."""
    rows = list(csv.reader(io.StringIO(rendered(scenario_report, "csv").decode())))
    header = rows[0]
    first_year = [r for r in rows[1:] if r[1] == "year" and r[3] == rows[1][3]]
    quantities = [r[header.index("quantity")] for r in first_year]
    assert quantities[:5] == ["gross_cost", "offsets", "net_cost", "bed_days", "beds_occupied"]
    units = {r[header.index("quantity")]: r[header.index("unit")] for r in first_year}
    assert units["beds_occupied"] == "beds"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
@pytest.mark.parametrize("which", ["scenario", "comparison"])
def test_every_word_of_the_pdf_lies_within_the_margins(
    which: str, scenario_report: Report, comparison_report: Report, tmp_path: Path
) -> None:
    """Nothing clipped: no word runs into the page's 15 mm side margins (the year table
    once ran off the page when it gained gross cost, offsets and beds columns)."""
    report = scenario_report if which == "scenario" else comparison_report
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(rendered(report, "pdf"))
    box = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    width = float(re.findall(r'<page width="([\d.]+)"', box)[0])
    margin = 15 / 25.4 * 72  # @page margin: 15 mm at the sides, in points
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', box))
    assert right <= width - margin + 0.5, (right, width - margin)
