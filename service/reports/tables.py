"""The spreadsheet (XLSX) and CSV forms of a report.

Numbers are written as numbers with formats, never as text. Every text cell that a
spreadsheet could read as a formula (starting with =, +, -, @, tab or carriage return)
is prefixed with an apostrophe (OWASP's advice against CSV injection), and so is every
line of a text cell after a line break (CR, LF or CRLF), because a reader that takes a
bare CR or LF as the end of a row would start a cell there. The CSV is RFC 4180: CRLF
ends a row, and a field holding CR or LF is quoted.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from models.engine import PER_TRIAL_KEYS
from models.results import Summary

from .document import Report, input_rows

__all__ = ["render_csv", "render_xlsx", "safe_text"]

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
#: The start of the text and every line break, where followed by a dangerous character.
_LINE_STARTS = re.compile(r"(\A|\r\n|\r|\n)(?=[=+\-@\t\r])")
MONEY = '"$"#,##0;-"$"#,##0'
NUMBER = "#,##0.0"
SHARE = "0.0%"


def safe_text(value: str) -> str:
    """Neutralize text a spreadsheet would evaluate as a formula: an apostrophe before
    the text, and after every line break, that starts with a character in ``DANGEROUS``."""
    return _LINE_STARTS.sub(lambda m: m.group(1) + "'", value)


def _cell(value: Any) -> Any:
    return safe_text(value) if isinstance(value, str) else value


def summary_rows(report: Report) -> list[tuple[str, str, Summary]]:
    """(quantity, unit, summary) for every summary of the result, year 1 first."""
    r = report.result
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
    if r.average_basis is not None:
        rows += [(f"average_basis.{k}", "US dollars", s) for k, s in r.average_basis.items()]
    if r.per_capita_cost is not None:
        rows.append(("per_capita_cost", "US dollars per resident", r.per_capita_cost))
    if r.budget_share is not None:
        rows.append(("budget_share", "share", r.budget_share))
    if report.comparison is not None:
        for alt in report.comparison.alternatives:
            rows.append((f"savings.{alt.name}", "US dollars", alt.difference.annual_cost))
    return rows


def _summary_header(report: Report) -> list[str]:
    keys = list(report.result.annual_cost.percentiles)
    return [
        "quantity",
        "unit",
        "mean",
        "sd",
        "se",
        "ci95_mean_low",
        "ci95_mean_high",
        "min",
        "max",
        *keys,
    ]


def _summary_values(s: Summary) -> list[float]:
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


def _write(ws: Any, rows: Iterable[Sequence[Any]], formats: Sequence[str | None] = ()) -> None:
    for row in rows:
        ws.append([_cell(v) for v in row])
        for col, fmt in enumerate(formats, start=1):
            if fmt:
                ws.cell(row=ws.max_row, column=col).number_format = fmt


def _bold_header(ws: Any) -> None:
    from openpyxl.styles import Font

    for cell in ws[1]:
        cell.font = Font(bold=True)


#: Sample rows written between two calls of a renderer's ``check``.
CHECK_ROWS = 2000


def _summary_sheet(ws: Any, report: Report) -> None:
    """Provenance, then each quantity's summary and each threshold's exceedance."""
    r = report.result
    _write(
        ws,
        [
            ("detainer-cost report", report.title),
            ("trials", r.trials),
            ("start_year", r.provenance.start_year),
            ("scenario_sha256", r.provenance.scenario_sha256),
            ("model_version", r.provenance.model_version),
            ("seed", r.provenance.seed),
        ],
    )
    _write(ws, [()])
    _write(ws, [_summary_header(report)])
    for name, unit, s in summary_rows(report):
        fmt = MONEY if unit.startswith("US dollars") else NUMBER
        _write(ws, [(name, unit, *_summary_values(s))], [None, None] + [fmt] * 30)
    for e in r.exceedance:
        _write(
            ws,
            [(f"P(annual_cost > {e.threshold:,.0f})", "share", e.probability)],
            [None, None, SHARE],
        )


def _inputs_sheet(ws: Any, report: Report) -> None:
    """One row per input: its value or distribution, unit, meaning and source note."""
    _write(ws, [("field", "value or distribution", "unit", "meaning", "source note")])
    _write(
        ws,
        [
            (row["field"], row["value"], row["unit"], row["meaning"], row["note"])
            for row in input_rows(report.scenario)
        ],
    )


def _percentiles_sheet(ws: Any, report: Report) -> None:
    """Each quantity's percentiles."""
    keys = list(report.result.annual_cost.percentiles)
    _write(ws, [("quantity", *keys)])
    for name, unit, s in summary_rows(report):
        fmt = MONEY if unit.startswith("US dollars") else NUMBER
        _write(ws, [(name, *s.percentiles.values())], [None] + [fmt] * len(keys))


def _years_sheet(ws: Any, report: Report) -> None:
    """One row per year of the horizon."""
    keys = list(report.result.annual_cost.percentiles)
    _write(
        ws,
        [
            (
                "year",
                "net_cost_mean",
                *(f"net_cost_{k}" for k in keys),
                "bed_days_mean",
                "detainers_mean",
                "honored_mean",
            )
        ],
    )
    for y in report.result.years:
        _write(
            ws,
            [
                (
                    y.year,
                    y.net_cost.mean,
                    *y.net_cost.percentiles.values(),
                    y.bed_days.mean,
                    y.detainers.mean,
                    y.honored.mean,
                )
            ],
            [None] + [MONEY] * (1 + len(keys)) + [NUMBER] * 3,
        )


def _components_sheet(ws: Any, report: Report) -> None:
    """One row per cost component."""
    keys = list(report.result.annual_cost.percentiles)
    _write(ws, [("component", "mean", "sd", *keys)])
    for name, s in report.result.components.items():
        _write(
            ws, [(name, s.mean, s.sd, *s.percentiles.values())], [None] + [MONEY] * (2 + len(keys))
        )


def _samples_sheet(ws: Any, report: Report, check: Callable[[], None] | None) -> None:
    """One row per trial, calling ``check`` every CHECK_ROWS rows."""
    r = report.result
    columns = _sample_columns(report)
    _write(ws, [("trial", *columns)])
    arrays = [r.samples[c] for c in columns]
    for i in range(r.samples["annual_cost"].size):
        if check is not None and i % CHECK_ROWS == 0:
            check()
        ws.append([i + 1, *(float(a[i]) for a in arrays)])


def render_xlsx(
    report: Report, *, samples: bool = False, check: Callable[[], None] | None = None
) -> bytes:
    """XLSX bytes: Summary, Inputs, Percentiles, Years, Components (and Samples)."""
    from openpyxl import Workbook  # imported here: only this format needs it

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    _summary_sheet(ws, report)
    _inputs_sheet(wb.create_sheet("Inputs"), report)
    _percentiles_sheet(wb.create_sheet("Percentiles"), report)
    _years_sheet(wb.create_sheet("Years"), report)
    _components_sheet(wb.create_sheet("Components"), report)
    if samples:
        _samples_sheet(wb.create_sheet("Samples"), report, check)
    if check is not None:
        check()
    for sheet in wb.worksheets:
        _bold_header(sheet)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render_csv(
    report: Report, *, samples: bool = False, check: Callable[[], None] | None = None
) -> str:
    """CSV text: the summary table, or with ``samples`` one row per trial."""
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
    writer.writerow(["scenario", *_summary_header(report)])
    title = safe_text(report.title)
    for name, unit, s in summary_rows(report):
        values = (repr(float(v)) for v in _summary_values(s))
        writer.writerow([title, safe_text(name), safe_text(unit), *values])
    return out.getvalue()
