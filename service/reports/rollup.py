"""The roll-up report (issue 13): a state or national total of a table of jurisdictions,
as HTML (charts inline as SVG), PDF (the HTML through WeasyPrint), XLSX or CSV.

Every format shows the summary first (the total in year 1 and over the horizon, the
chance that it exceeds the threshold and which threshold that is, the inputs shared
across jurisdictions), then the jurisdictions ranked by what they contribute, and (HTML
and PDF) a chart of the largest contributors. It renders a
:class:`models.analyses.rollup.RollupResult` as it stands: nothing is run or re-derived
here. The HTML, XLSX and CSV hold every jurisdiction (3,500 rows or more); the PDF's
table holds the largest :data:`PDF_ROWS` and says how many it leaves out and where they
are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from models import __version__
from models.analyses.rollup import Jurisdiction, RankedRow, RollupResult
from models.results import Summary

from . import FORMATS, REPORT_PERCENTILES, Rendered
from . import formatting as fmt
from .document import (
    first_year_name,
    fiscal_year_text,
    generation_date,
    period_text,
    year_cell,
    year_columns,
    year_name,
)
from .labels import describe_value, label, plain_text

__all__ = [
    "CHART_ROWS",
    "PDF_ROWS",
    "ROLLUP_CSV_COLUMNS",
    "RollupReport",
    "render_rollup",
    "render_rollup_of",
    "report_fiscal_month",
    "report_names",
    "rollup_csv",
    "rollup_html",
    "rollup_pdf",
    "rollup_xlsx",
    "summary_paragraphs",
    "with_report_percentiles",
]

#: Jurisdictions the PDF's ranked table lists (the other formats list every one).
PDF_ROWS = 100
#: Jurisdictions the chart of the largest contributors draws.
CHART_ROWS = 15

_ENV = Environment(
    loader=PackageLoader("service.reports", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def with_report_percentiles(body: Mapping[str, Any]) -> dict[str, Any]:
    """A roll-up body whose base asks for the report's percentiles (5th, 25th, 50th,
    75th, 95th) besides its own, as every report does; a base that is not an object, or
    whose percentiles are not a list of numbers, is left for the engine to name."""
    base = body.get("base")
    if not isinstance(base, Mapping):
        return dict(body)
    given = base.get("percentiles", [5, 25, 50, 75, 95])
    if not isinstance(given, list) or not all(
        isinstance(p, int | float) and not isinstance(p, bool) for p in given
    ):
        return dict(body)
    missing = [p for p in REPORT_PERCENTILES if p not in given]
    return {**body, "base": {**base, "percentiles": [*given, *missing]}}


def report_fiscal_month(base: object) -> int | None:
    """The base scenario's ``fiscal_year_start_month`` (None when it gives none, or not
    a month), for the report's statement of when fiscal years start."""
    if not isinstance(base, Mapping):
        return None
    month = base.get("fiscal_year_start_month")
    ok = isinstance(month, int) and not isinstance(month, bool) and 1 <= month <= 12
    return month if ok else None


def report_names(base: object) -> tuple[str | None, str | None]:
    """The base scenario's name and description, for a report's title (None when it
    gives none)."""
    if not isinstance(base, Mapping):
        return None, None
    name, description = base.get("name"), base.get("description")
    return (
        name if isinstance(name, str) else None,
        description if isinstance(description, str) else None,
    )


@dataclass(frozen=True)
class RollupReport:
    """A roll-up's result, the name and description the base gave it (if any), when
    the report was made (UTC; ``SOURCE_DATE_EPOCH`` fixes it), and the month the base's
    fiscal years start in (None: not given, or calendar years)."""

    result: RollupResult
    name: str | None = None
    description: str | None = None
    generated: dt.date = field(default_factory=generation_date)
    fiscal_year_start_month: int | None = None

    @property
    def title(self) -> str:
        """The base's name, or "Roll-up of 11 jurisdictions"."""
        if self.name and self.name.strip():
            return plain_text(self.name)
        n = len(self.result.jurisdictions)
        return f"Roll-up of {fmt.count(n)} jurisdiction{'' if n == 1 else 's'}"

    @property
    def period(self) -> str:
        """2026, or 2026-2030 (with an en dash) over several years; fiscal years by
        their labels (FY2027\u2013FY2029)."""
        return period_text(self.result.total)

    @property
    def fiscal_year(self) -> str | None:
        """When the years are fiscal years, when they start, in words (None otherwise)."""
        return fiscal_year_text(self.fiscal_year_start_month, self.result.total)

    @property
    def about(self) -> str | None:
        """The base's description, as plain text."""
        text = self.description
        return plain_text(text) if isinstance(text, str) and text.strip() else None


def jurisdiction_name(name: str | None, row: int) -> str:
    """A jurisdiction's name, or "Row 13 (no name)" for ``row`` 12 (counted from 1 as the
    model names unnamed rows; ``row`` and the error pointers ``/rows/12/...`` count from
    0)."""
    if name and name.strip():
        return plain_text(name)
    return f"Row {row + 1} (no name)"


def _range(s: Summary) -> str:
    return f"{fmt.money(s.percentiles['p5'])} to {fmt.money(s.percentiles['p95'])}"


def threshold_text(result: RollupResult) -> str | None:
    """Which threshold, in words: "$82,000,000, the UMRA intergovernmental threshold for
    2019 (CBO)" or "$5,000,000 (a dollar amount given with the roll-up)"."""
    if result.threshold is None:
        return None
    amount = fmt.money(result.threshold)
    source = result.threshold_source
    if source is None or source == "given":
        return f"{amount} (a dollar amount given with the roll-up)"
    return f"{amount}, the {source}"


def shared_labels(result: RollupResult) -> list[str]:
    """The shared inputs' labels ("Longer stay per detainer")."""
    return [label(name) for name in result.shared]


def _chance_text(result: RollupResult) -> str | None:
    p = result.probability_exceeds
    what = threshold_text(result)
    if p is None or what is None:
        return None
    trials = result.total.trials
    if p == 0:
        how = f"0%: none of the {fmt.count(trials)} trials exceeded it"
    elif p == 1:
        how = f"100%: every one of the {fmt.count(trials)} trials exceeded it"
    else:
        how = f"{fmt.share(p)} (of {fmt.count(trials)} trials)"
    return f"The chance that the total year-1 net cost exceeds {what} is {how}."


def _shared_text(result: RollupResult) -> str:
    names = shared_labels(result)
    if not names:
        return (
            "No input was shared: every jurisdiction's inputs were drawn independently, so "
            "their uncertainties partly cancel in the total. An input that is unknown "
            "nationally rather than county by county (the longer stay a detainer causes, the "
            "honor rate under a federal policy) should be shared, or the total's range and "
            "the chance of exceeding a threshold come out too small."
        )
    listed = ", ".join(f"\u201c{n.lower()}\u201d" for n in names)
    return (
        f"Shared across jurisdictions: {listed}, drawn once per trial for every "
        "jurisdiction (each at the same quantile of its own distribution), so their "
        "uncertainty moves together across the jurisdictions where it is uncertain rather "
        "than cancelling between them. A jurisdiction that gives one of them as a single "
        "number (a preset's fixed figure, say) keeps that number and does not move with "
        "the rest, so the total moves only as much as the jurisdictions that leave it "
        "uncertain weigh in it. Every other input is drawn independently for each "
        "jurisdiction."
    )


def _concentration(result: RollupResult) -> str | None:
    ranked = result.ranked
    if len(ranked) < 2:
        return None
    top = ranked[: min(5, len(ranked) - 1)]
    first = ranked[0]
    text = (
        f"The largest contributor, {jurisdiction_name(first.name, first.row)}, is "
        f"{fmt.share(first.share)} of the mean total"
    )
    if len(top) < 2:  # "the largest 1 together" says nothing more
        return text + "."
    return text + (f"; the largest {len(top)} together are {fmt.share(top[-1].cumulative_share)}.")


def setting_text(name: str, value: str) -> str:
    """A setting of the total in words; ``mixed`` when the jurisdictions differ."""
    if value == "mixed":
        return "mixed: the jurisdictions differ (each follows its own row's setting)"
    return describe_value(name, value)


def cost_basis_text(result: RollupResult) -> str:
    """The daily cost every figure uses, in words."""
    if result.total.cost_basis == "average":
        return "the fully loaded average daily cost"
    return "the marginal daily cost"


def summary_paragraphs(report: RollupReport) -> list[str]:
    """The summary in sentences a reader can quote: the total in year 1 and over the
    horizon, the threshold and its chance, the shared inputs, the concentration."""
    r = report.result
    t = r.total
    n = len(r.jurisdictions)
    first = [
        f"Summed over {fmt.count(n)} jurisdiction{'' if n == 1 else 's'}, honoring "
        f"immigration detainers is estimated to cost {fmt.money(t.annual_cost.percentiles['p50'])} "
        f"in {first_year_name(t)} (median total net cost at "
        f"{cost_basis_text(r)}; mean {fmt.money(t.annual_cost.mean)}), with a 90% range of "
        f"{_range(t.annual_cost)}."
    ]
    years = len(t.years)
    if years > 1:
        first.append(
            f"Over the {years} years {report.period} the total comes to "
            f"{fmt.money(t.total_cost.percentiles['p50'])} (median; 90% range "
            f"{_range(t.total_cost)}), a present value of "
            f"{fmt.money(t.present_value.percentiles['p50'])}."
        )
    paragraphs = [" ".join(first)]
    if (chance := _chance_text(r)) is not None:
        paragraphs.append(chance)
    paragraphs.append(_shared_text(r))
    if (concentration := _concentration(r)) is not None:
        paragraphs.append(concentration)
    return paragraphs


def _by_row(result: RollupResult) -> dict[int, Jurisdiction]:
    return {j.row: j for j in result.jurisdictions}


@dataclass(frozen=True)
class _Line:
    """One line of the ranked table, in words."""

    rank: int
    row: int
    name: str
    note: str
    mean: str
    p5: str
    p95: str
    share: str
    cumulative: str
    horizon: str


def _cumulative(share: float) -> str:
    """A cumulative share in words: the last row's sum of shares, 1 but for the float
    rounding of the sum (0.9999999999999998), reads 100%, not "over 99.9%"."""
    return "100%" if abs(share - 1) < 1e-9 else fmt.share(share)


def _lines(result: RollupResult, limit: int | None) -> list[_Line]:
    by_row = _by_row(result)
    out = []
    for r in result.ranked[:limit]:
        j = by_row.get(r.row)
        note = plain_text(j.note) if j is not None and j.note else ""
        horizon = fmt.money(j.total_cost.mean) if j is not None else ""
        out.append(
            _Line(
                r.rank,
                r.row,
                jurisdiction_name(r.name, r.row),
                note,
                fmt.money(r.mean),
                fmt.money(r.p5),
                fmt.money(r.p95),
                fmt.share(r.share),
                _cumulative(r.cumulative_share),
                horizon,
            )
        )
    return out


def _key_rows(result: RollupResult) -> list[tuple[str, Summary, Callable[[float], str]]]:
    t = result.total
    rows: list[tuple[str, Summary, Callable[[float], str]]] = [
        ("Total net cost, year 1", t.annual_cost, fmt.money)
    ]
    if len(t.years) > 1:
        rows += [
            (f"Total net cost, all {len(t.years)} years", t.total_cost, fmt.money),
            ("Present value, all years", t.present_value, fmt.money),
        ]
    rows += [
        (label("detainers"), t.detainers, fmt.count),
        (label("honored"), t.honored, fmt.count),
        (label("hold_bed_days"), t.hold_bed_days, fmt.count),
        (label("extra_bed_days"), t.extra_bed_days, fmt.count),
        (label("average_beds_occupied"), t.average_beds_occupied, fmt.number),
    ]
    return rows


def _charts(result: RollupResult) -> dict[str, Markup]:
    from . import charts

    top = result.ranked[:CHART_ROWS]
    bars = [(jurisdiction_name(r.name, r.row), r.mean, r.p5, r.p95, r.share) for r in top]
    t = result.total
    thresholds = [] if result.threshold is None else [result.threshold]
    return {
        "contributors": Markup(charts.contributors(bars)),
        "distribution": Markup(
            charts.distribution(
                t.samples["annual_cost"], t.annual_cost, thresholds, "total year-1 net cost"
            )
        ),
    }


def _others(result: RollupResult, shown: int) -> str | None:
    """The jurisdictions a list of the largest ``shown`` leaves out, in words."""
    left = len(result.ranked) - shown
    if left <= 0 or shown <= 0:
        return None
    share = 1 - result.ranked[shown - 1].cumulative_share
    return (
        f"The other {fmt.count(left)} jurisdiction{'' if left == 1 else 's'} together "
        f"contribute {fmt.share(share)} of the mean total."
    )


def rollup_html(report: RollupReport, *, limit: int | None = None) -> str:
    """The full HTML document; ``limit`` lists only the largest jurisdictions (the PDF)."""
    result = report.result
    total = result.total
    lines = _lines(result, limit)
    return _ENV.get_template("rollup.html").render(
        report=report,
        result=result,
        total=total,
        summary=summary_paragraphs(report),
        charts=_charts(result),
        key_rows=_key_rows(result),
        lines=lines,
        omitted=len(result.ranked) - len(lines),
        chart_others=_others(result, min(CHART_ROWS, len(result.ranked))),
        table_others=_others(result, len(lines)),
        chart_rows=min(CHART_ROWS, len(result.ranked)),
        shared=shared_labels(result),
        shared_text=_shared_text(result),
        threshold=threshold_text(result),
        cost_basis=cost_basis_text(result),
        hold_rule=setting_text("hold_rule", total.provenance.hold_rule),
        extra_stay=setting_text("extra_stay_applies_to", total.provenance.extra_stay_applies_to),
        year_columns=year_columns(total.years),
        year_cell=year_cell,
        year_name=year_name,
        first_year=first_year_name(total),
        fiscal_year=report.fiscal_year,
        version=__version__,
        fmt=fmt,
    )


def rollup_pdf(report: RollupReport) -> bytes:
    """PDF bytes (Letter, page numbers), the ranked table cut to the largest
    :data:`PDF_ROWS`, loading nothing from outside the document."""
    import weasyprint

    from .pdf import RefusingFetcher

    html = weasyprint.HTML(
        string=rollup_html(report, limit=PDF_ROWS), url_fetcher=RefusingFetcher(), base_url="."
    )
    pdf: bytes = html.write_pdf()
    return pdf


# --- XLSX and CSV ---------------------------------------------------------------------


def _about_rows(report: RollupReport) -> list[tuple[str, Any]]:
    r = report.result
    t = r.total
    p = t.provenance
    rows: list[tuple[str, Any]] = [
        ("Report", report.title),
        ("Description", report.about or ""),
        ("Jurisdictions", len(r.jurisdictions)),
        ("Years", report.period),
        ("Generated", report.generated.isoformat()),
        ("Model version", f"detainer-cost {p.model_version}"),
        ("Total's hash (SHA-256 of its members' scenarios)", p.scenario_sha256),
        ("Random seed", "" if p.seed is None else str(p.seed)),
        ("Trials", t.trials),
        ("First year", first_year_name(t) if report.fiscal_year else p.start_year),
        *([("Year boundaries", report.fiscal_year)] if report.fiscal_year else []),
        ("Cost basis", cost_basis_text(r)),
        ("Hold rule", setting_text("hold_rule", p.hold_rule)),
        ("Longer stay applies to", setting_text("extra_stay_applies_to", p.extra_stay_applies_to)),
        ("Threshold", r.threshold if r.threshold is not None else "none given"),
        ("Threshold source", threshold_text(r) or ""),
        (
            "Chance the total year-1 net cost exceeds it",
            r.probability_exceeds if r.probability_exceeds is not None else "",
        ),
        ("Shared inputs", "; ".join(shared_labels(r)) or "none"),
        ("Shared inputs (fields)", ", ".join(r.shared)),
    ]
    rows += [
        ("Summary" if i == 0 else "", text) for i, text in enumerate(summary_paragraphs(report))
    ]
    return rows


#: The Jurisdictions sheet's columns before the percentiles.
_JURISDICTION_HEADER = (
    "rank",
    "table row (from 0)",
    "jurisdiction",
    "mean year-1 net cost",
    "sd",
)


def rollup_xlsx(report: RollupReport, *, check: Callable[[], None] | None = None) -> bytes:
    """XLSX bytes: About, Jurisdictions (every one, ranked), Total (its summaries),
    Years and Components of the total."""
    from openpyxl import Workbook

    from .tables import (
        COUNT,
        MONEY,
        SHARE,
        YEAR,
        components_sheet,
        finish_sheet,
        summary_sheet,
        write_rows,
        years_sheet,
    )

    r = report.result
    wb = Workbook()
    ws = wb.active
    ws.title = "About"
    write_rows(ws, [("item", "value")])
    for name, value in _about_rows(report):
        number = isinstance(value, int | float)
        f = {"First year": YEAR, "Threshold": MONEY}.get(name, COUNT)
        if name.startswith("Chance"):
            f = SHARE
        write_rows(ws, [(name, value)], [None, f if number else None])
    finish_sheet(ws, (34, 100))

    ws = wb.create_sheet("Jurisdictions")
    keys = list(r.total.annual_cost.percentiles)
    horizon = len(r.total.years) > 1
    header = [
        *_JURISDICTION_HEADER,
        *(f"year 1, {k}" for k in keys),
        "share of the mean total",
        "cumulative share",
    ]
    if horizon:
        header += [
            f"mean net cost, all {len(r.total.years)} years",
            *(f"all years, {k}" for k in keys),
        ]
    header.append("note")
    write_rows(ws, [header])
    formats: list[str | None] = [COUNT, COUNT, None, MONEY, MONEY, *[MONEY] * len(keys)]
    formats += [SHARE, SHARE]
    if horizon:
        formats += [MONEY] * (1 + len(keys))
    by_row = _by_row(r)
    for i, line in enumerate(r.ranked):
        if check is not None and i % 2000 == 0:
            check()
        j = by_row[line.row]
        cells: list[Any] = [
            line.rank,
            line.row,
            jurisdiction_name(line.name, line.row),
            line.mean,
            j.annual_cost.sd,
            *(j.annual_cost.percentiles.get(k) for k in keys),
            line.share,
            line.cumulative_share,
        ]
        if horizon:
            cells += [j.total_cost.mean, *(j.total_cost.percentiles.get(k) for k in keys)]
        cells.append(plain_text(j.note) if j.note else "")
        write_rows(ws, [cells], formats)
    finish_sheet(ws, (8, 10, 40, *([16] * (len(header) - 4)), 60))

    summary_sheet(wb.create_sheet("Total"), r.total)
    years_sheet(wb.create_sheet("Years"), r.total)
    components_sheet(wb.create_sheet("Components"), r.total)
    if check is not None:
        check()
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


#: The CSV's columns before the statistics (docs/reports.md documents them all).
ROLLUP_CSV_COLUMNS = (
    "rollup",
    "section",
    "rank",
    "row",
    "jurisdiction",
    "year",
    "year_label",
    "quantity",
    "label",
    "unit",
    "text",
)
#: Its columns after the statistics.
_CSV_TAIL = ("share", "cumulative_share", "note")


def _text(
    section: str,
    year: Any,
    quantity: str,
    what: str,
    unit: str,
    text: str = "",
) -> list[Any]:
    """The text columns of a CSV row (after ``rollup``), no jurisdiction named; the
    year's label (``year_label``) is filled in by the writer."""
    return [section, "", "", "", year, "", quantity, what, unit, text]


def _csv_rows(report: RollupReport) -> Iterator[list[Any]]:
    """Rows of text (neutralised by the writer), numbers (``repr``), then the note."""
    from .tables import (
        YEAR_UNITS,
        quantity_label,
        result_summary_rows,
        stat_header,
        summary_values,
    )

    r = report.result
    t = r.total
    first = t.provenance.start_year
    width = len(stat_header(t))
    blank = [""] * width
    no_share = ["", "", ""]

    def stats(s: Summary) -> list[str]:
        return [repr(float(v)) for v in summary_values(s)]

    for name, unit, s in result_summary_rows(t):
        year = "" if name.endswith(("total_cost", "present_value")) else first
        yield [*_text("total", year, name, quantity_label(name), unit), *stats(s), *no_share]
    for y in t.years:
        for col in year_columns(t.years):
            value = getattr(y, col.key)
            if col.text:
                text = setting_text(col.key, value)
                yield [*_text("year", y.year, col.key, col.label, "", text), *blank, *no_share]
            else:
                unit = "US dollars" if col.money else YEAR_UNITS.get(col.key, "count")
                yield [*_text("year", y.year, col.key, col.label, unit), *stats(value), *no_share]
    if r.threshold is not None and r.probability_exceeds is not None:
        chance = [repr(float(r.probability_exceeds)), *blank[1:]]
        what = "Chance the total year-1 net cost exceeds the threshold"
        head = _text("threshold", first, "exceedance", what, "share", threshold_text(r) or "")
        yield [*head, *chance, *no_share]
    for name in r.shared:
        head = _text("shared", "", name, label(name), "", "drawn once per trial for every row")
        yield [*head, *blank, *no_share]
    by_row = _by_row(r)
    for line in r.ranked:
        j = by_row[line.row]
        note = plain_text(j.note) if j.note else ""
        head = _text("jurisdiction", first, "annual_cost", label("annual_cost"), "US dollars")
        shares = [repr(float(line.share)), repr(float(line.cumulative_share)), note]
        yield [*_text_of(head, line), *stats(j.annual_cost), *shares]
        if len(t.years) > 1:
            head = _text("jurisdiction", "", "total_cost", label("total_cost"), "US dollars")
            yield [*_text_of(head, line), *stats(j.total_cost), "", "", note]


def _text_of(head: list[Any], line: RankedRow) -> list[Any]:
    """``head`` with the jurisdiction's rank, row and name filled in."""
    return [head[0], line.rank, line.row, jurisdiction_name(line.name, line.row), *head[4:]]


def rollup_csv(report: RollupReport, *, check: Callable[[], None] | None = None) -> str:
    """CSV text (RFC 4180, CRLF rows): the total, its years, the threshold, the shared
    inputs, then every jurisdiction in rank order (docs/reports.md)."""
    from .tables import safe_cell, safe_text, stat_header, year_labels

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = [*ROLLUP_CSV_COLUMNS, *stat_header(report.result.total), *_CSV_TAIL]
    writer.writerow(header)
    title = safe_text(report.title)
    texts = len(ROLLUP_CSV_COLUMNS) - 1
    labels = year_labels(report.result.total)
    at = ROLLUP_CSV_COLUMNS.index("year_label") - 1
    for i, row in enumerate(_csv_rows(report)):
        if check is not None and i % 2000 == 0:
            check()
        row[at] = labels.get(row[at - 1], "")  # FY2027 beside the year, for fiscal years
        head, numbers, note = row[:texts], row[texts:-1], row[-1]
        writer.writerow([title, *(safe_cell(v) for v in head), *numbers, safe_cell(note)])
    return out.getvalue()


def render_rollup(
    result: RollupResult,
    fmt_: str,
    *,
    name: str | None = None,
    description: str | None = None,
    generated: dt.date | None = None,
    check: Callable[[], None] | None = None,
    fiscal_year_start_month: int | None = None,
) -> Rendered:
    """The roll-up report as ``fmt_`` (``html``, ``pdf``, ``xlsx`` or ``csv``).

    ``name`` and ``description`` are the base scenario's, if it gives them, and so is
    ``fiscal_year_start_month`` (:func:`report_fiscal_month`): with it the report says
    when the fiscal years start, without it only that they are fiscal years. ``check``
    (the service's deadline, or a job's cancel) is called before and after rendering and
    every few thousand rows; an exception it raises propagates.

    Raises
    ------
    ValueError
        For another format.
    """
    if fmt_ not in FORMATS:
        raise ValueError(f"a roll-up report is html, pdf, xlsx or csv, not {fmt_!r}")
    report = RollupReport(
        result, name, description, generated or generation_date(), fiscal_year_start_month
    )
    media_type, extension = FORMATS[fmt_]
    if check is not None:
        check()
    if fmt_ == "html":
        body = rollup_html(report).encode("utf-8")
    elif fmt_ == "pdf":
        body = rollup_pdf(report)
    elif fmt_ == "xlsx":
        body = rollup_xlsx(report, check=check)
    else:
        body = rollup_csv(report, check=check).encode("utf-8")
    if check is not None:
        check()
    return Rendered(body, media_type, extension)


def render_rollup_of(
    result: RollupResult,
    fmt_: str,
    base: object,
    *,
    check: Callable[[], None] | None = None,
) -> Rendered:
    """:func:`render_rollup` with what the base scenario says of the report (its name,
    description and fiscal year's start month): the one call the route, the report job
    and the CLI make, so their reports cannot differ in what they state."""
    name, description = report_names(base)
    return render_rollup(
        result,
        fmt_,
        name=name,
        description=description,
        check=check,
        fiscal_year_start_month=report_fiscal_month(base),
    )
