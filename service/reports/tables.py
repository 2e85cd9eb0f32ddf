"""The spreadsheet (XLSX) and CSV forms of a report.

The XLSX has one sheet per table (About, Summary, Thresholds, Inputs, Percentiles,
Years, Components, Alternatives for a comparison, and Samples when asked), each with a
bold, frozen header row and set column widths; every number, inputs included, is a
number with a format (dollars, percent, year). The CSV is one long table of the
summary, year, component, threshold and savings rows; docs/reports.md documents its
columns.

Numbers are written as numbers with formats, never as text. Every text cell that a
spreadsheet could read as a formula (starting with =, +, -, @, tab or carriage return)
is prefixed with an apostrophe (OWASP's advice against CSV injection), and so is every
line of a text cell after a line break (CR, LF or CRLF), because a reader that takes a
bare CR or LF as the end of a row would start a cell there. The CSV is RFC 4180: CRLF
ends a row, and a field holding CR or LF is quoted.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from models.engine import PER_TRIAL_KEYS
from models.results import SimulationResult, Summary

from .document import (
    Report,
    first_year_name,
    input_rows,
    summary_paragraphs,
    year_columns,
    year_name,
)
from .labels import component_label, describe_value, label

__all__ = [
    "components_sheet",
    "finish_sheet",
    "render_csv",
    "render_xlsx",
    "result_summary_rows",
    "safe_cell",
    "safe_text",
    "stat_header",
    "summary_sheet",
    "summary_values",
    "write_rows",
    "year_labels",
    "years_sheet",
]

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
#: The start of the text and every line break, where followed by a dangerous character.
_LINE_STARTS = re.compile(r"(\A|\r\n|\r|\n)(?=[=+\-@\t\r])")
MONEY = '"$"#,##0;-"$"#,##0'
NUMBER = "#,##0.0"
COUNT = "#,##0"
SHARE = "0.0%"
YEAR = "0"
CENTS = '"$"#,##0.00;-"$"#,##0.00'


def safe_text(value: str) -> str:
    """Neutralize text a spreadsheet would evaluate as a formula: an apostrophe before
    the text, and after every line break, that starts with a character in ``DANGEROUS``."""
    return _LINE_STARTS.sub(lambda m: m.group(1) + "'", value)


def safe_cell(value: Any) -> Any:
    return safe_text(value) if isinstance(value, str) else value


def summary_rows(report: Report) -> list[tuple[str, str, Summary]]:
    """(quantity, unit, summary) for every summary of the result, year 1 first; the
    average basis as ``average_basis.NAME``."""
    return result_summary_rows(report.result)


def result_summary_rows(r: SimulationResult) -> list[tuple[str, str, Summary]]:
    """:func:`summary_rows` of a result (a simulation's, or a roll-up's total)."""
    rows = [
        ("annual_cost", "US dollars", r.annual_cost),
        ("total_cost", "US dollars", r.total_cost),
        ("present_value", "US dollars", r.present_value),
        ("bed_days", "bed-days", r.bed_days),
        ("hold_bed_days", "bed-days", r.hold_bed_days),
        ("extra_bed_days", "bed-days", r.extra_bed_days),
        ("detainers", "detainers", r.detainers),
        ("honored", "detainers", r.honored),
        ("transfers", "transfers", r.transfers),
        ("average_beds_occupied", "beds", r.average_beds_occupied),
    ]
    rows += [(f"parameter_range.{k}", "US dollars", s) for k, s in r.parameter_range.items()]
    if r.average_basis is not None:
        rows += [(f"average_basis.{k}", "US dollars", s) for k, s in r.average_basis.items()]
    for key, unit in (("detainer_bed_days", "bed-days"), ("detainer_days_cost", "US dollars")):
        upper = getattr(r, key)  # an upper bound, beside the cost and in no total
        if upper is not None:
            rows.append((key, unit, upper))
    if r.per_capita_cost is not None:
        rows.append(("per_capita_cost", "US dollars per resident", r.per_capita_cost))
    if r.budget_share is not None:
        rows.append(("budget_share", "share", r.budget_share))
    return rows


def quantity_label(name: str) -> str:
    """The label of a summary row (``average_basis.total_cost``: "Net cost, whole
    horizon, average basis")."""
    if name.startswith("average_basis."):
        return f"{label(name.split('.', 1)[1])}, average basis"
    if name.startswith("parameter_range."):
        return f"{label(name.split('.', 1)[1])}, from the inputs alone (parameter range)"
    return label(name)


def stat_header(result: SimulationResult) -> list[str]:
    """The statistics' column names: mean, sd, se, the mean's interval, min, max, pN."""
    keys = list(result.annual_cost.percentiles)
    return ["mean", "sd", "se", "ci95_mean_low", "ci95_mean_high", "min", "max", *keys]


def summary_values(s: Summary) -> list[float]:
    return [
        s.mean,
        s.sd,
        s.se,
        s.ci95_mean[0],
        s.ci95_mean[1],
        s.min,
        s.max,
        *s.percentiles.values(),
    ]


def _sample_columns(report: Report) -> list[str]:
    keys = list(PER_TRIAL_KEYS)
    keys += [k for k in report.result.samples if k.startswith("input:")]
    return keys


def _unit_format(unit: str) -> str:
    if unit == "US dollars per resident":
        return CENTS
    if unit.startswith("US dollars"):
        return MONEY
    if unit == "share":
        return SHARE
    if unit == "beds":
        return NUMBER
    return COUNT


def write_rows(ws: Any, rows: Iterable[Sequence[Any]], formats: Sequence[str | None] = ()) -> None:
    """Append ``rows`` (text neutralised), the ``formats`` on their columns. The cells are
    made with their formats and appended as cells: looking the row up again afterwards
    (``ws.max_row``) scans every cell of the sheet, quadratic in a long sheet."""
    from openpyxl.cell.cell import Cell

    for row in rows:
        cells = [Cell(ws, value=safe_cell(v)) for v in row]
        for cell, fmt in zip(cells, formats, strict=False):
            if fmt:
                cell.number_format = fmt
        ws.append(cells)


def finish_sheet(ws: Any, widths: Sequence[int] = ()) -> None:
    """Bold and freeze the header row; set each column's width from its longest cell
    (at most 60 characters) unless ``widths`` gives it."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    longest: dict[int, int] = {}
    for row in ws.iter_rows(max_row=min(ws.max_row, 200)):
        for cell in row:
            if cell.value is None:
                continue
            if isinstance(cell.value, float | int):
                n = 14
            else:
                n = max(len(line) for line in str(cell.value).splitlines() or [""])
            longest[cell.column] = max(longest.get(cell.column, 0), n)
    for col, n in longest.items():
        width = widths[col - 1] if col <= len(widths) and widths[col - 1] else min(n + 2, 60)
        ws.column_dimensions[get_column_letter(col)].width = max(width, 8)
        if n > 60:
            for (cell,) in ws.iter_rows(min_col=col, max_col=col, min_row=2):
                cell.alignment = Alignment(wrap_text=True, vertical="top")


#: Sample rows written between two calls of a renderer's ``check``.
CHECK_ROWS = 2000


def _about_sheet(ws: Any, report: Report) -> None:
    """What the report is of and what produced it, then the summary in sentences."""
    r = report.result
    p = r.provenance
    rows: list[tuple[str, Any]] = [
        ("Report", report.title),
        ("Description", report.description or ""),
        ("Years", report.period),
        ("Generated", report.generated.isoformat()),
        ("Model version", f"detainer-cost {p.model_version}"),
        ("Scenario hash (SHA-256)", p.scenario_sha256),
        ("Random seed", "" if p.seed is None else str(p.seed)),
        ("Trials", r.trials),
        ("First year", first_year_name(r) if report.fiscal_year else p.start_year),
    ]
    if report.fiscal_year:
        rows.append(("Year boundaries", report.fiscal_year))
    rows += [
        ("Sampling method", p.sampling.replace("_", " ")),
    ]
    rows += [
        ("Hold rule", describe_value("hold_rule", p.hold_rule)),
        (
            "Longer stay applies to",
            describe_value("extra_stay_applies_to", p.extra_stay_applies_to),
        ),
        ("Cost basis", r.cost_basis),
    ]
    if report.scenario.population is not None:
        rows.append(("County population", report.scenario.population))
    if report.scenario.annual_budget is not None:
        rows.append(("Annual budget", report.scenario.annual_budget))
    rows += [
        ("Summary" if i == 0 else "", text) for i, text in enumerate(summary_paragraphs(report))
    ]
    write_rows(ws, [("item", "value")])
    for name, value in rows:
        fmt = {"Trials": COUNT, "First year": YEAR, "Annual budget": MONEY}.get(name, COUNT)
        write_rows(ws, [(name, value)], [None, fmt if isinstance(value, int | float) else None])
    finish_sheet(ws, (26, 100))


def summary_sheet(ws: Any, result: SimulationResult) -> None:
    """Each quantity's summary (year 1, the horizon, both bases)."""
    header = ["quantity", "label", "unit", *stat_header(result)]
    write_rows(ws, [header])
    for name, unit, s in result_summary_rows(result):
        fmt = _unit_format(unit)
        write_rows(
            ws, [(name, quantity_label(name), unit, *summary_values(s))], [None] * 3 + [fmt] * 30
        )
    finish_sheet(ws)


def _thresholds_sheet(ws: Any, report: Report) -> None:
    """The chance that year-1 net cost exceeds each threshold."""
    write_rows(ws, [("threshold", "chance year-1 net cost exceeds it")])
    for e in report.result.exceedance:
        write_rows(ws, [(e.threshold, e.probability)], [MONEY, SHARE])
    finish_sheet(ws, (16, 34))


def _inputs_sheet(ws: Any, report: Report) -> None:
    """One row per input: label, value in words, and its numbers as numbers."""
    write_rows(
        ws,
        [
            (
                "field",
                "input",
                "value or distribution",
                "value",
                "distribution",
                "low",
                "most likely",
                "high",
                "mean",
                "sd",
                "unit",
                "meaning",
                "source note",
                "basis",
            )
        ],
    )
    for row in input_rows(report.scenario):
        fmt = SHARE if row["share"] else MONEY if row["money"] else YEAR if row["year"] else None
        write_rows(
            ws,
            [
                (
                    row["key"],
                    row["label"],
                    row["value"],
                    row["number"],
                    row["dist"] or "",
                    *(row[k] for k in ("low", "mode", "high", "mean", "sd")),
                    row["unit"],
                    row["meaning"],
                    row["note"],
                    row["basis"],
                )
            ],
            [None, None, None, fmt, None, *([fmt] * 5)],
        )
    finish_sheet(ws, (0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0, 60, 60, 12))


def _percentiles_sheet(ws: Any, report: Report) -> None:
    """Each quantity's percentiles."""
    keys = list(report.result.annual_cost.percentiles)
    write_rows(ws, [("quantity", "label", *keys)])
    for name, unit, s in summary_rows(report):
        fmt = _unit_format(unit)
        write_rows(
            ws,
            [(name, quantity_label(name), *s.percentiles.values())],
            [None, None] + [fmt] * len(keys),
        )
    finish_sheet(ws)


def years_sheet(ws: Any, result: SimulationResult) -> None:
    """One row per year of the horizon: every quantity's mean, net cost's percentiles."""
    years = result.years
    cols = year_columns(years)
    keys = list(result.annual_cost.percentiles)
    fiscal = any(y.label for y in years)
    # fiscal years: the label (FY2027) first, then the year as a number to sort by
    header: list[str] = ["fiscal year", "year it ends in"] if fiscal else ["year"]
    formats: list[str | None] = [None, YEAR] if fiscal else [YEAR]
    for col in cols:
        if col.text:
            header.append(col.label)
            formats.append(None)
            continue
        header.append(f"{col.label}, mean")
        formats.append(MONEY if col.money else NUMBER if "beds" in col.key else COUNT)
        if col.key == "net_cost":
            header += [f"{col.label}, {k}" for k in keys]
            formats += [MONEY] * len(keys)
    write_rows(ws, [header])
    for y in years:
        row: list[Any] = [year_name(y), y.year] if fiscal else [y.year]
        for col in cols:
            value = getattr(y, col.key)
            if col.text:
                row.append(describe_value(col.key, value))
                continue
            row.append(value.mean)
            if col.key == "net_cost":
                row += list(value.percentiles.values())
        write_rows(ws, [row], formats)
    finish_sheet(ws)


def components_sheet(ws: Any, result: SimulationResult) -> None:
    """One row per cost component (offsets negative)."""
    keys = list(result.annual_cost.percentiles)
    write_rows(ws, [("component", "label", "mean", "sd", *keys)])
    for name, s in result.components.items():
        write_rows(
            ws,
            [(name, component_label(name), s.mean, s.sd, *s.percentiles.values())],
            [None, None] + [MONEY] * (2 + len(keys)),
        )
    finish_sheet(ws)


def _alternatives_sheet(ws: Any, report: Report) -> None:
    """Each policy alternative: what it changes and what it saves."""
    from .document import alternative_changes

    assert report.comparison is not None
    header = [
        "alternative",
        "what it changes",
        "saves in year 1, median",
        "saves in year 1, p5",
        "saves in year 1, p95",
        "saves over the horizon, median",
        "present value of savings, median",
        "chance it saves",
    ]
    write_rows(ws, [header])
    for alt in report.comparison.alternatives:
        d = alt.difference
        write_rows(
            ws,
            [
                (
                    alt.name,
                    alternative_changes(report, alt.name),
                    d.annual_cost.percentiles["p50"],
                    d.annual_cost.percentiles["p5"],
                    d.annual_cost.percentiles["p95"],
                    d.total_cost.percentiles["p50"],
                    d.present_value.percentiles["p50"],
                    alt.probability_saves,
                )
            ],
            [None, None] + [MONEY] * 5 + [SHARE],
        )
    finish_sheet(ws, (24, 60))


def _samples_sheet(ws: Any, report: Report, check: Callable[[], None] | None) -> None:
    """One row per trial on a write-only sheet ``ws``, calling ``check`` every CHECK_ROWS
    rows: each row is written out as it is appended, so the deadline covers the writing
    (the workbook's save then only packs it; saved with the rest, 20,000 rows took 4-5 s
    of CPU that no check could stop)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    r = report.result
    columns = _sample_columns(report)
    # a write-only sheet takes its widths and frozen header before its first row
    for col, width in enumerate([8] + [16] * len(columns), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"
    header = [WriteOnlyCell(ws, value=safe_cell(v)) for v in ("trial", *columns)]
    for cell in header:
        cell.font = Font(bold=True)
    ws.append(header)
    arrays = [r.samples[c] for c in columns]
    for i in range(r.samples["annual_cost"].size):
        if check is not None and i % CHECK_ROWS == 0:
            check()
        ws.append([i + 1, *(float(a[i]) for a in arrays)])


def _copy_sheet(source: Any, wb: Any) -> None:
    """``source``, a finished sheet, onto a new sheet of the write-only workbook ``wb``:
    its column widths, frozen header, values and each cell's font, number format and
    alignment (all that write_rows and finish_sheet set)."""
    from copy import copy

    from openpyxl.cell import WriteOnlyCell

    ws = wb.create_sheet(source.title)
    for key, dimension in source.column_dimensions.items():
        if dimension.width:
            ws.column_dimensions[key].width = dimension.width
    ws.freeze_panes = source.freeze_panes
    for row in source.iter_rows():
        cells = []
        for cell in row:
            out = WriteOnlyCell(ws, value=cell.value)
            if cell.has_style:
                out.font = copy(cell.font)
                out.number_format = cell.number_format
                out.alignment = copy(cell.alignment)
            cells.append(out)
        ws.append(cells)


def render_xlsx(
    report: Report, *, samples: bool = False, check: Callable[[], None] | None = None
) -> bytes:
    """XLSX bytes: About, Summary, Thresholds, Inputs, Percentiles, Years, Components,
    Alternatives (for a comparison) and Samples (when asked), one table a sheet.

    The tables are made in an ordinary workbook (their widths are read off their cells),
    then copied into a write-only one, where the samples are written row by row under
    ``check``."""
    from openpyxl import Workbook  # imported here: only this format needs it

    tables = Workbook()
    ws = tables.active
    ws.title = "About"
    _about_sheet(ws, report)
    summary_sheet(tables.create_sheet("Summary"), report.result)
    if report.result.exceedance:
        _thresholds_sheet(tables.create_sheet("Thresholds"), report)
    _inputs_sheet(tables.create_sheet("Inputs"), report)
    _percentiles_sheet(tables.create_sheet("Percentiles"), report)
    years_sheet(tables.create_sheet("Years"), report.result)
    components_sheet(tables.create_sheet("Components"), report.result)
    if report.comparison is not None:
        _alternatives_sheet(tables.create_sheet("Alternatives"), report)
    wb = Workbook(write_only=True)
    try:
        for sheet in tables.worksheets:
            _copy_sheet(sheet, wb)
        if samples:
            _samples_sheet(wb.create_sheet("Samples"), report, check)
        if check is not None:
            check()
    except BaseException:
        # each write-only sheet writes to a temporary file from its first row, removed by
        # the save: saved to nowhere, a report stopped by its deadline leaves none behind
        with contextlib.suppress(Exception):
            wb.save(io.BytesIO())
        raise
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


#: The CSV's columns before the statistics (docs/reports.md documents them all).
CSV_COLUMNS = (
    "scenario",
    "section",
    "alternative",
    "year",
    "year_label",
    "quantity",
    "label",
    "unit",
    "text",
)


def _stats(s: Summary) -> list[str]:
    return [repr(float(v)) for v in summary_values(s)]


def _csv_summary_rows(report: Report) -> Iterator[list[Any]]:
    """Summary rows (year-1 quantities carry the first year; horizon ones none), then
    component rows."""
    first = report.result.provenance.start_year
    for name, unit, s in summary_rows(report):
        horizon = name.endswith(("total_cost", "present_value"))
        year = "" if horizon else first
        yield ["summary", "", year, name, quantity_label(name), unit, "", *_stats(s)]
    for name, s in report.result.components.items():
        yield ["component", "", first, name, component_label(name), "US dollars", "", *_stats(s)]


YEAR_UNITS = {
    "bed_days": "bed-days",
    "detainers": "detainers",
    "honored": "detainers",
    "average_beds_occupied": "beds",
    "beds_occupied": "beds",
}


def year_labels(result: SimulationResult) -> dict[Any, str]:
    """Each simulated year's label (FY2027) by its number, for fiscal years; empty for
    calendar years, which have none."""
    return {y.year: y.label for y in result.years if y.label}


def _csv_year_rows(report: Report) -> Iterator[list[Any]]:
    """One row per year and quantity of the year summaries."""
    years = report.result.years
    blank = [""] * len(stat_header(report.result))
    for y in years:
        for col in year_columns(years):
            value = getattr(y, col.key)
            if col.text:
                text = describe_value(col.key, value)
                yield ["year", "", y.year, col.key, col.label, "", text, *blank]
                continue
            unit = "US dollars" if col.money else YEAR_UNITS.get(col.key, "count")
            yield ["year", "", y.year, col.key, col.label, unit, "", *_stats(value)]


def _csv_chance_rows(report: Report) -> Iterator[list[Any]]:
    """Threshold rows and, for a comparison, savings rows (a chance in the mean column)."""
    first = report.result.provenance.start_year
    rest = [""] * (len(stat_header(report.result)) - 1)
    for e in report.result.exceedance:
        what = f"Chance year-1 net cost exceeds {e.threshold:,.0f} dollars"
        chance = [repr(float(e.probability)), *rest]
        yield ["threshold", "", first, "exceedance", what, "share", repr(e.threshold), *chance]
    if report.comparison is None:
        return
    from .document import alternative_changes

    for alt in report.comparison.alternatives:
        changes = alternative_changes(report, alt.name)
        for key in ("annual_cost", "total_cost", "present_value"):
            year = first if key == "annual_cost" else ""
            what = f"Savings: {quantity_label(key).lower()}"
            s = getattr(alt.difference, key)
            yield ["savings", alt.name, year, key, what, "US dollars", changes, *_stats(s)]
        what = "Chance the alternative saves money in year 1"
        chance = [repr(float(alt.probability_saves)), *rest]
        yield ["savings", alt.name, first, "probability_saves", what, "share", changes, *chance]


def _csv_input_rows(report: Report) -> Iterator[list[Any]]:
    """One row per input: its field name, label, unit and value in words (a schedule as
    each value from its year), the statistics blank (an input is not a result)."""
    blank = [""] * len(stat_header(report.result))
    for row in input_rows(report.scenario):
        yield ["input", "", "", row["key"], row["label"], row["unit"], row["value"], *blank]


def render_csv(
    report: Report, *, samples: bool = False, check: Callable[[], None] | None = None
) -> str:
    """CSV text: the report's rows (docs/reports.md), or with ``samples`` one row per trial."""
    out = io.StringIO()
    # CRLF rows (RFC 4180); a field that holds CR or LF is then quoted, as the csv
    # module quotes every field holding a character of the line terminator.
    writer = csv.writer(out, lineterminator="\r\n")
    if samples:
        columns = _sample_columns(report)
        writer.writerow(["trial", *columns])
        arrays = [report.result.samples[c] for c in columns]
        for i in range(arrays[0].size):
            if check is not None and i % CHECK_ROWS == 0:
                check()
            writer.writerow([i + 1, *(repr(float(a[i])) for a in arrays)])
        return out.getvalue()
    writer.writerow([*CSV_COLUMNS, *stat_header(report.result)])
    title = safe_text(report.title)
    rows = (
        *_csv_summary_rows(report),
        *_csv_year_rows(report),
        *_csv_chance_rows(report),
        *_csv_input_rows(report),
    )
    labels = year_labels(report.result)
    for row in rows:
        # the year's label (FY2027) beside the year, for fiscal years; empty otherwise
        row = [*row[:3], labels.get(row[2], ""), *row[3:]]
        # text columns neutralized; the statistics are numbers written by repr
        text, numbers = row[: len(CSV_COLUMNS) - 1], row[len(CSV_COLUMNS) - 1 :]
        writer.writerow([title, *(safe_cell(v) for v in text), *numbers])
    return out.getvalue()
