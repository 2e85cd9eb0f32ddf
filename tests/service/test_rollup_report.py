"""The roll-up report (issue 13) in HTML, PDF, XLSX and CSV: rendered directly from a
roll-up of the shipped example table (examples/counties.csv over
examples/rollup-base.json, fewer trials), through ``POST /v1/rollups?format=`` (every
response held to the contract), as a ``report`` job and from ``detainer-cost rollup
--format``.

Each format must hold the summary first (the total, the threshold named with its chance,
the shared inputs), every jurisdiction ranked with its human name and money written for
a reader, and (HTML, PDF) the chart of the largest contributors; the spreadsheet and CSV
hold every row, their numbers those of the result, their text neutralised against
formula injection. A 3,500-row table (every US jail) is rendered from a result made by
repeating the example's rows, so the long-table paths are exercised without running
3,500 members. The PDF's pages go to build/screenshots/rollup for a person to look at.
"""

from __future__ import annotations

import csv
import dataclasses
import html as html_lib
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from models.analyses.rollup import RollupResult, rollup
from service import create_app
from service.cli import main
from service.jobs import Executor, job_store
from service.reports import formatting as fmt
from service.reports.rollup import (
    PDF_ROWS,
    ROLLUP_CSV_COLUMNS,
    RollupReport,
    _cumulative,
    jurisdiction_name,
    render_rollup,
    summary_paragraphs,
    with_report_percentiles,
)

from .conftest import ROOT, ContractClient

EXAMPLES = ROOT / "examples"
TABLE = (EXAMPLES / "counties.csv").read_text()
BASE = {**json.loads((EXAMPLES / "rollup-base.json").read_text()), "trials": 200}
THRESHOLD = {"umra_year": 2019}
SHARED = ["extra_days_per_detainer"]
#: Raw names a reader must never see in the HTML or PDF.
RAW = ("extra_days_per_detainer", "annual_cost", "total_cost", "honor_rate", "None", "nan")


def _rollup(base: dict[str, Any], rows: Any, **options: Any) -> RollupResult:
    body = with_report_percentiles({"base": base, "rows": rows})
    return rollup(body["base"], body["rows"], **options)


@pytest.fixture(scope="module")
def result() -> RollupResult:
    return _rollup(BASE, TABLE, shared=SHARED, threshold=THRESHOLD, seed=11)


def visible(page: str) -> str:
    """The HTML's text as a reader sees it: no tags, styles or charts; one space apart."""
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def pdf_text(body: bytes) -> str:
    """The PDF's text (pdftotext, layout kept apart), one space apart, without footers."""
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=body, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(re.sub(r"Page \d+ of \d+", " ", text).split())


def _render(result: RollupResult, fmt_: str) -> bytes:
    return render_rollup(result, fmt_, name=BASE["name"], description=BASE["description"]).body


def assert_summary(text: str, result: RollupResult) -> None:
    """The summary's figures, in the words and formats a reader gets."""
    t = result.total
    assert f"Summed over {fmt.count(len(result.jurisdictions))} jurisdictions" in text
    assert fmt.money(t.annual_cost.percentiles["p50"]) in text
    assert fmt.money(t.annual_cost.percentiles["p5"]) in text
    assert "$82,000,000, the UMRA intergovernmental threshold for 2019 (CBO)" in text
    assert result.probability_exceeds is not None
    if result.probability_exceeds == 0:
        assert f"none of the {fmt.count(t.trials)} trials exceeded it" in text
    else:
        assert fmt.share(result.probability_exceeds) in text
    assert "\u201clonger stay per detainer\u201d, drawn once per trial" in text


# --- rendered directly ------------------------------------------------------------------


def test_summary_names_the_threshold_the_chance_and_the_shared_inputs(
    result: RollupResult,
) -> None:
    paragraphs = summary_paragraphs(RollupReport(result, BASE["name"]))
    assert_summary(" ".join(paragraphs), result)
    first = result.ranked[0]
    assert paragraphs[-1].startswith(f"The largest contributor, {first.name}, is ")


def test_a_dollar_threshold_and_no_shared_input_are_said_so(result: RollupResult) -> None:
    given = dataclasses.replace(result, threshold_source="given", shared=(), threshold=5e7)
    text = " ".join(summary_paragraphs(RollupReport(given)))
    assert "$50,000,000 (a dollar amount given with the roll-up)" in text
    assert "No input was shared" in text
    assert RollupReport(given).title == "Roll-up of 11 jurisdictions"


def test_html_report_summary_first_every_jurisdiction_ranked(result: RollupResult) -> None:
    page = _render(result, "html").decode()
    text = visible(page)
    assert_summary(text, result)
    assert text.index("Summed over") < text.index("Jurisdictions, largest first")
    assert page.count("<svg") == 2  # the largest contributors, the total's distribution
    assert "The 11 largest of 11 jurisdictions" in text
    table = text[text.index("Jurisdictions, largest first") :]
    names = [jurisdiction_name(r.name, r.row) for r in result.ranked]
    positions = [table.index(n) for n in names]
    assert positions == sorted(positions)  # ranked, largest first
    for r in result.ranked:
        assert fmt.money(r.mean) in table
    assert "ILLUSTRATIVE: invented detainers" in table  # each row's note
    assert "left out" not in text  # the HTML holds every row
    for raw in RAW:
        assert not re.search(rf"\b{raw}\b", text), raw


def test_the_last_cumulative_share_reads_100_percent() -> None:
    assert _cumulative(0.9999999999999998) == "100%"  # a float sum of shares that is 1
    assert _cumulative(1.0000000000000002) == "100%"
    assert _cumulative(0.9996) == "over 99.9%"  # a real share short of 1 stays so


def test_unnamed_rows_are_named_by_their_table_row() -> None:
    assert jurisdiction_name(None, 12) == "Row 13 (no name)"
    assert jurisdiction_name("  ", 0) == "Row 1 (no name)"


def test_xlsx_holds_every_jurisdiction_as_numbers(result: RollupResult) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(_render(result, "xlsx")))
    assert wb.sheetnames == ["About", "Jurisdictions", "Total", "Years", "Components"]
    about = {row[0]: row[1] for row in wb["About"].iter_rows(min_row=2, values_only=True)}
    assert about["Threshold"] == 82e6
    assert about["Threshold source"].endswith("UMRA intergovernmental threshold for 2019 (CBO)")
    assert about["Chance the total year-1 net cost exceeds it"] == result.probability_exceeds
    assert about["Shared inputs"] == "Longer stay per detainer"
    assert about["Jurisdictions"] == 11
    ws = wb["Jurisdictions"]
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(result.ranked)
    col = {h: i for i, h in enumerate(header)}
    for line, r in zip(rows, result.ranked, strict=True):
        assert line[col["rank"]] == r.rank
        assert line[col["jurisdiction"]] == jurisdiction_name(r.name, r.row)
        # openpyxl writes a float with 16 significant digits: equal to that precision
        p95 = result.jurisdictions[r.row].annual_cost.percentiles["p95"]
        assert line[col["mean year-1 net cost"]] == pytest.approx(r.mean, rel=1e-15)
        assert line[col["year 1, p95"]] == pytest.approx(p95, rel=1e-15)
        assert line[col["cumulative share"]] == pytest.approx(r.cumulative_share, rel=1e-15)
    assert ws.cell(2, col["mean year-1 net cost"] + 1).number_format == '"$"#,##0;-"$"#,##0'
    assert ws.cell(2, col["share of the mean total"] + 1).number_format == "0.0%"
    total = {r[0]: r for r in wb["Total"].iter_rows(min_row=2, values_only=True)}
    assert total["annual_cost"][3] == pytest.approx(result.total.annual_cost.mean, rel=1e-15)


def test_csv_holds_the_total_threshold_and_every_jurisdiction(result: RollupResult) -> None:
    body = _render(result, "csv").decode()
    assert "\r\n" in body
    rows = list(csv.DictReader(io.StringIO(body)))
    header = body.split("\r\n", 1)[0].split(",")
    assert header[: len(ROLLUP_CSV_COLUMNS)] == list(ROLLUP_CSV_COLUMNS)
    assert header[-3:] == ["share", "cumulative_share", "note"]
    total = next(r for r in rows if r["section"] == "total" and r["quantity"] == "annual_cost")
    assert float(total["mean"]) == result.total.annual_cost.mean
    (threshold,) = (r for r in rows if r["section"] == "threshold")
    assert float(threshold["mean"]) == result.probability_exceeds
    assert "UMRA" in threshold["text"]
    (shared,) = (r for r in rows if r["section"] == "shared")
    assert shared["quantity"] == "extra_days_per_detainer"
    lines = [r for r in rows if r["section"] == "jurisdiction"]
    assert [int(r["rank"]) for r in lines] == [r.rank for r in result.ranked]
    for line, r in zip(lines, result.ranked, strict=True):
        assert int(line["row"]) == r.row
        assert line["jurisdiction"] == jurisdiction_name(r.name, r.row)
        assert float(line["mean"]) == r.mean
        assert float(line["share"]) == r.share
        assert line["note"] == result.jurisdictions[r.row].note


HOSTILE = (
    "name,detainers_per_year,note\n"
    '"=HYPERLINK(""http://x"")",120,"@SUM(1)"\n'
    '"+cmd",80,"-2+3"\n'
    'Plain County,40,"line one\n=line two"\n'
)


def test_spreadsheet_and_csv_neutralise_formulas() -> None:
    result = _rollup({"daily_cost": 90, "trials": 100}, HOSTILE)
    body = render_rollup(result, "csv", name="=evil()").body.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    lines = {r["row"]: r for r in rows if r["section"] == "jurisdiction"}
    assert lines["0"]["jurisdiction"] == '\'=HYPERLINK("http://x")'
    assert lines["0"]["note"] == "'@SUM(1)"
    assert lines["1"]["jurisdiction"] == "'+cmd"
    assert lines["1"]["note"] == "'-2+3"
    assert lines["2"]["note"] == "line one\n'=line two"
    assert all(r["rollup"] == "'=evil()" for r in rows)
    wb = openpyxl.load_workbook(io.BytesIO(render_rollup(result, "xlsx").body))
    cells = [c for row in wb["Jurisdictions"].iter_rows(min_row=2, values_only=True) for c in row]
    texts = [c for c in cells if isinstance(c, str)]
    assert {'\'=HYPERLINK("http://x")', "'+cmd", "'@SUM(1)"} <= set(texts)
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)


def test_a_horizon_of_years_and_mixed_hold_rules() -> None:
    """Over five years the summary, the year table, the jurisdictions' horizon column and
    the CSV's horizon rows appear; rows on different hold rules are said to be mixed."""
    base = {**SMALL_BASE, "horizon_years": 5, "trials": 100}
    rows = "name,detainers_per_year,hold_rule\nCounty A,300,business_hours\nCounty B,120,\n"
    result = _rollup(base, rows)
    text = visible(render_rollup(result, "html").body.decode())
    assert "Over the 5 years 2026\u20132030 the total comes to" in text
    assert "The total year by year" in text
    assert "mean over 5 years" in text
    assert "Hold rule: mixed: the jurisdictions differ" in text
    assert "100%" in text  # the last cumulative share, not "over 99.9%"
    assert "over 99.9%" not in text
    lines = list(csv.DictReader(io.StringIO(render_rollup(result, "csv").body.decode())))
    horizon = [r for r in lines if r["section"] == "jurisdiction" and r["quantity"] == "total_cost"]
    assert [float(r["mean"]) for r in horizon] == [
        result.jurisdictions[r.row].total_cost.mean for r in result.ranked
    ]
    assert [r["year"] for r in lines if r["section"] == "year"][-1] == "2030"
    wb = openpyxl.load_workbook(io.BytesIO(render_rollup(result, "xlsx").body))
    assert "mean net cost, all 5 years" in [c.value for c in wb["Jurisdictions"][1]]


def test_an_unknown_format_is_refused(result: RollupResult) -> None:
    with pytest.raises(ValueError, match="html, pdf, xlsx or csv"):
        render_rollup(result, "docx")


def national(result: RollupResult, n: int) -> RollupResult:
    """A result of ``n`` rows made by repeating ``result``'s (renamed, shares scaled so
    they still sum to 1): the report renders what it is given, so this exercises the
    long-table paths without running ``n`` members."""
    k = len(result.jurisdictions)
    jurisdictions = []
    ranked = []
    for i in range(n):
        j = result.jurisdictions[i % k]
        name = f"County {i:04d}, {j.name}"
        jurisdictions.append(dataclasses.replace(j, row=i, name=name, rank=i + 1))
    for i in range(n):
        r = result.ranked[i % k]
        ranked.append(
            dataclasses.replace(
                r,
                rank=i + 1,
                row=i,
                name=jurisdictions[i].name,
                share=r.share * k / n,
                cumulative_share=(i + 1) / n,
            )
        )
    return dataclasses.replace(result, jurisdictions=tuple(jurisdictions), ranked=tuple(ranked))


@pytest.mark.slow
def test_every_us_jail_in_the_html_spreadsheet_and_csv(result: RollupResult) -> None:
    big = national(result, 3500)
    page = _render(big, "html").decode()
    table = page[page.index('<table id="jurisdictions"') :]
    assert table.count('<tr><td class="n">') == 3500
    assert big.ranked[-1].name in visible(table)
    assert "left out" not in visible(page)
    wb = openpyxl.load_workbook(io.BytesIO(_render(big, "xlsx")), read_only=True)
    rows = list(wb["Jurisdictions"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 3500
    assert rows[-1][:3] == (3500, 3499, big.ranked[-1].name)
    lines = list(csv.DictReader(io.StringIO(_render(big, "csv").decode())))
    jurisdictions = [r for r in lines if r["section"] == "jurisdiction"]
    assert len(jurisdictions) == 3500
    assert jurisdictions[-1]["jurisdiction"] == big.ranked[-1].name


@pytest.mark.slow
def test_pdf_lists_the_largest_and_says_where_the_rest_are(result: RollupResult) -> None:
    big = national(result, 3500)
    body = _render(big, "pdf")
    assert body.startswith(b"%PDF")
    text = pdf_text(body)
    assert_summary(text, big)
    omitted = 3500 - PDF_ROWS
    assert f"lists the {PDF_ROWS} largest of 3,500 jurisdictions; {omitted:,} more are left" in text
    assert "HTML, XLSX and CSV reports" in text
    assert big.ranked[PDF_ROWS - 1].name in text
    assert big.ranked[PDF_ROWS].name not in text
    for raw in RAW:
        assert not re.search(rf"\b{raw}\b", text), raw


@pytest.mark.slow
def test_pdf_of_the_example_table_pages_for_a_person(result: RollupResult) -> None:
    body = _render(result, "pdf")
    text = pdf_text(body)
    assert_summary(text, result)
    for r in result.ranked:
        assert fmt.money(r.mean) in text
    for raw in RAW:
        assert not re.search(rf"\b{raw}\b", text), raw
    # build/screenshots/<name>/: tests/conftest.py names the folder at the end of the run
    pages = ROOT / "build" / "screenshots" / "rollup"
    shutil.rmtree(pages, ignore_errors=True)
    pages.mkdir(parents=True)
    (pages / "rollup.pdf").write_bytes(body)
    (pages / "national.pdf").write_bytes(_render(national(result, 3500), "pdf"))
    for stem in ("rollup", "national"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(pages / f"{stem}.pdf"), str(pages / stem)],
            check=True,
        )
    print(f"\nPDF pages rendered for review: {pages}")
    assert len(list(pages.glob("rollup-*.png"))) >= 3


# --- over HTTP, as a job, from the command line ------------------------------------------


SMALL_BASE: dict[str, Any] = {
    "name": "Three counties",
    "extra_days_per_detainer": {"dist": "pert", "low": 10, "mode": 20, "high": 50},
    "daily_cost": 90,
    "trials": 200,
}
SMALL = {
    "base": SMALL_BASE,
    "rows": "name,detainers_per_year\nCounty A,300\nCounty B,120\n,80\n",
    "shared": SHARED,
    "threshold": 2_000_000,
    "seed": 5,
}


@pytest.fixture(scope="module")
def client() -> Iterator[FlaskClient]:
    app: Flask = create_app({"TESTING": True})
    app.test_client_class = ContractClient
    with app.test_client() as c:
        yield c


@pytest.mark.parametrize(
    ("query", "accept", "mimetype", "disposition"),
    [
        ("?format=html", None, "text/html", 'inline; filename="Three-counties.html"'),
        ("", "text/csv", "text/csv", 'attachment; filename="Three-counties.csv"'),
        (
            "",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            'attachment; filename="Three-counties.xlsx"',
        ),
    ],
)
def test_report_by_format_or_accept(
    client: FlaskClient, query: str, accept: str | None, mimetype: str, disposition: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.post(f"/v1/rollups{query}", json=SMALL, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == mimetype
    assert response.headers["Content-Disposition"] == disposition
    if mimetype == "text/html":
        text = visible(response.get_data(as_text=True))
        assert "$2,000,000 (a dollar amount given with the roll-up)" in text
        assert "County A" in text


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_json_stays_the_default(client: FlaskClient, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.post("/v1/rollups", json=SMALL, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "Content-Disposition" not in response.headers


def test_report_renders_the_result_the_json_gives(client: FlaskClient) -> None:
    """The report's figures are the roll-up's (its base only asks for more percentiles,
    which draw nothing: the same trials)."""
    result = client.post("/v1/rollups", json=SMALL).get_json()
    body = client.post("/v1/rollups?format=csv", json=SMALL).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    total = next(r for r in rows if r["section"] == "total" and r["quantity"] == "annual_cost")
    assert float(total["mean"]) == result["total"]["annual_cost"]["mean"]
    lines = [r for r in rows if r["section"] == "jurisdiction"]
    assert [float(r["mean"]) for r in lines] == [r["mean"] for r in result["ranked"]]


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ("?format=docx", {}, 400),
        ("?format=", {}, 400),
        ("", {"Accept": "image/png"}, 406),
    ],
)
def test_bad_format_requests(
    client: FlaskClient, query: str, headers: dict[str, str], status: int
) -> None:
    response = client.post(f"/v1/rollups{query}", json=SMALL, headers=headers)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_bad_cells_asked_as_a_report_still_get_the_problem(client: FlaskClient) -> None:
    bad = {**SMALL, "rows": "name,detainers_per_year,daily_cost\nA,300,-5\nB,x,\n"}
    response = client.post("/v1/rollups?format=pdf", json=bad)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    pointers = [e["pointer"] for e in response.get_json(force=True)["errors"]]
    assert pointers == ["/rows/1/detainers_per_year", "/rows/0/daily_cost"]


@pytest.mark.slow
def test_pdf_report_over_http(client: FlaskClient) -> None:
    response = client.post("/v1/rollups", json=SMALL, headers={"Accept": "application/pdf"})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="Three-counties.pdf"'
    text = pdf_text(response.get_data())
    assert "The largest contributors" in text
    assert "County A" in text


def test_report_job_of_a_rollup_gives_the_synchronous_bytes(make_app: Any, tmp_path: Path) -> None:
    app: Flask = make_app(DATA_DIR=str(tmp_path))
    with app.test_client() as c:
        job = c.post("/v1/jobs", json={"kind": "report", "input": SMALL, "format": "csv"})
        assert job.status_code == 202, job.get_data(as_text=True)[:300]
        assert job.get_json()["progress"]["total"] == 3 * 200
        assert Executor(job_store(app)).run_once()
        done = c.get(f"/v1/jobs/{job.get_json()['id']}/result")
        assert done.status_code == 200
        assert done.mimetype == "text/csv"
        assert done.get_data() == c.post("/v1/rollups?format=csv", json=SMALL).get_data()


def test_report_job_of_a_rollup_refuses_samples_and_names_bad_cells(
    make_app: Any, tmp_path: Path
) -> None:
    app: Flask = make_app(DATA_DIR=str(tmp_path))
    with app.test_client() as c:
        asked = {"kind": "report", "input": SMALL, "format": "xlsx", "samples": True}
        response = c.post("/v1/jobs", json=asked)
        assert response.status_code == 422
        assert [e["pointer"] for e in response.get_json()["errors"]] == ["/samples"]
        bad = {**SMALL, "rows": "name,daily_cost\nA,-5\n"}
        response = c.post("/v1/jobs", json={"kind": "report", "input": bad, "format": "pdf"})
        assert response.status_code == 422
        assert "/input/rows/0/daily_cost" in [e["pointer"] for e in response.get_json()["errors"]]


def _cli(tmp_path: Path, *extra: str) -> int:
    base = tmp_path / "base.json"
    base.write_text(json.dumps(BASE))
    return main(
        [
            "rollup", str(EXAMPLES / "counties.csv"), "--base", str(base),
            "--umra-year", "2019", "--shared", "extra_days_per_detainer", "--seed", "11",
            *extra,
        ]
    )  # fmt: skip


def test_cli_writes_the_xlsx_report(tmp_path: Path, result: RollupResult) -> None:
    out = tmp_path / "state.xlsx"
    assert _cli(tmp_path, "--format", "xlsx", "-o", str(out)) == 0
    wb = openpyxl.load_workbook(out)
    names = [row[2] for row in wb["Jurisdictions"].iter_rows(min_row=2, values_only=True)]
    assert names == [jurisdiction_name(r.name, r.row) for r in result.ranked]
    means = [row[3] for row in wb["Jurisdictions"].iter_rows(min_row=2, values_only=True)]
    # the same seed, the same figures (to the 16 digits openpyxl writes)
    assert means == [pytest.approx(r.mean, rel=1e-15) for r in result.ranked]


def test_cli_writes_csv_to_standard_output(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert _cli(tmp_path, "--format", "csv", "-o", "-") == 0
    out = capsysbinary.readouterr().out.decode()
    assert out.startswith(",".join(ROLLUP_CSV_COLUMNS))
    assert sum(1 for r in csv.DictReader(io.StringIO(out)) if r["section"] == "jurisdiction") == 11


def test_cli_output_is_for_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(tmp_path, "--format", "table", "-o", str(tmp_path / "x")) == 2
    assert "-o/--output is for a report" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_cli_says_when_the_report_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "state.html"
    assert _cli(tmp_path, "--format", "html", "-o", str(target)) == 2
    assert "cannot write" in capsys.readouterr().err


def test_a_field_label_with_a_qualifier_reads_as_a_phrase_in_running_text() -> None:
    """A description naming `daily_cost` reads "daily cost ... (marginal)" in a report, not
    a label whose comma breaks the sentence."""
    from service.reports.labels import label, plain_text

    words = label("daily_cost")
    assert ", " in words  # the label this guards: "..., marginal"
    text = plain_text("a preset whose back-solved `daily_cost` puts it on the marginal basis")
    head, _, qualifier = words.partition(", ")
    assert f"{head[:1].lower()}{head[1:]} ({qualifier})" in text
    assert ", " not in text
