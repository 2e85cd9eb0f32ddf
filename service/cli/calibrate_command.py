"""``detainer-cost calibrate BOOKINGS.csv [--map ours=THEIRS ...] [--skip-bad-rows]
[--out scenario.json] [--report calibration.pdf [--report-format html|pdf]]``: a scenario
calibrated from a jail's booking records (issue 15), and its report.

It imports the engine and the extract reader (openpyxl, for XLSX), nothing of the web
service; the report renderer (matplotlib, WeasyPrint) only when a report is asked for."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from models.calibrate import Calibration, calibrate, parse_mapping
from models.errors import CalibrationError, FieldError
from models.scenario import DEFAULT_SEED

from ..bookings_io import XLSX_MAGIC, read_extract
from .engine_commands import EXIT_USAGE

__all__ = ["add_calibrate", "format_calibration", "problem_line"]


def problem_line(error: FieldError) -> str:
    """``rows[17].BOOKING_DT (line 19): is before booked_at``."""
    where = error.field
    if len(error.path) >= 2 and error.path[0] == "rows" and isinstance(error.path[1], int):
        where += f" (line {error.path[1] + 2})"
    return f"error: {where}: {error.reason}"


def _interval(low: float, high: float, digits: int = 2) -> str:
    return f"[{low:,.{digits}f}, {high:,.{digits}f}]"


def format_calibration(result: Calibration) -> str:
    """The counts, every estimate with its interval, the extra stay three ways, the
    classes, the warnings and the skipped rows, as text."""
    c = result.counts
    stay = result.extra_stay
    lines = [
        f"Bookings {result.date_range[0]} to {result.date_range[1]}: {c['bookings']:,} "
        f"({c['detainer_bookings']:,} with a detainer; {c['censored']:,} still in custody, "
        f"censored; {c['skipped_rows']:,} rows skipped; {c['ignored_columns']} columns not read)",
        "Date formats: "
        + "; ".join(f"{col}: {', '.join(f) or '-'}" for col, f in result.date_formats.items()),
        "",
        f"{'input':<28}{'estimate':>14}  95% interval",
    ]
    for e in result.estimates:
        if e.field == "release_weekday_weights":
            lines.append(f"{e.field:<28}{'':>14}  " + " ".join(f"{w:.2f}" for w in e.spec))
        else:
            lines.append(f"{e.field:<28}{e.value:>14,.4g}  {_interval(e.low, e.high, 4)}")
    lines += [
        "",
        "Extra stay a detainer causes (days per detainer booking):",
        f"  within charge classes (used) {stay.adjusted:8.2f}  {_interval(*stay.adjusted_ci)}",
        f"  unadjusted                   {stay.unadjusted:8.2f}  {_interval(*stay.unadjusted_ci)}",
        f"  log-linear regression        {stay.regression:8.2f}  {_interval(*stay.regression_ci)}",
        f"  completed stays only         {stay.completed_only:8.2f}  (dropping the censored)",
        f"  less the mean hold           {stay.hold_days:8.2f}",
        f"  = extra_days_per_detainer    {stay.extra_days:8.2f}  {_interval(*stay.extra_days_ci)}",
        f"  Why: {stay.why}",
        "",
        f"{'class':<24}{'detainer':>10}{'other':>8}{'stay (d)':>10}{'stay (o)':>10}"
        f"{'diff':>9}{'weight':>8}",
    ]
    for row in stay.classes:
        label = row.label + (" *" if row.pooled_from else "")
        lines.append(
            f"{label[:23]:<24}{row.bookings_detainer:>10,}{row.bookings_other:>8,}"
            f"{row.mean_stay_detainer:>10.2f}{row.mean_stay_other:>10.2f}"
            f"{row.difference:>9.2f}{row.weight:>8.1%}"
        )
    lines += ["", f"Censoring: {result.censoring}"]
    lines += [f"warning: {w}" for w in result.warnings]
    lines += [
        f"skipped: row {s.row} (line {s.row + 2}), {s.column}: {s.reason}" for s in result.skipped
    ]
    return "\n".join(lines)


def _read(args: argparse.Namespace, mapping: dict[str, str]) -> Any:
    options: dict[str, Any] = {
        "mapping": mapping,
        "skip_bad_rows": args.skip_bad_rows,
        "extract_date": args.extract_date,
    }
    if args.bookings == "-":
        return read_extract(sys.stdin, **options)
    with open(args.bookings, "rb") as fh:
        head = fh.read(len(XLSX_MAGIC))
    if head == XLSX_MAGIC:
        with open(args.bookings, "rb") as fh:
            return read_extract(fh.read(), **options)
    with open(args.bookings, encoding="utf-8-sig", newline="") as fh:
        return read_extract(fh, **options)


#: A report file's extension -> its format.
REPORT_EXTENSIONS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


def report_format(path: str | None, given: str | None) -> str | None:
    """The report's format: ``--report-format``, else the extension of ``--report``'s
    file; None without a report.

    Raises
    ------
    ValueError
        With the message for the user: a format without a file, or a file whose
        extension names no format.
    """
    if path is None:
        if given is not None:
            raise ValueError("--report-format needs --report FILE")
        return None
    if given is not None:
        return given
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in REPORT_EXTENSIONS:
        raise ValueError(
            f"--report {path}: name a .html or .pdf file, or give --report-format html|pdf"
        )
    return REPORT_EXTENSIONS[suffix]


def _write_report(result: Calibration, path: str, fmt: str) -> None:
    from ..reports.calibration import render_calibration

    rendered = render_calibration(result, fmt)
    with open(path, "wb") as fh:
        fh.write(rendered.body)
    print(f"wrote {path}", file=sys.stderr)


def _calibrate(args: argparse.Namespace) -> int:
    try:
        fmt = report_format(args.report, args.report_format)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        mapping = parse_mapping(args.map or [])
        bookings = _read(args, mapping)
        name = "-" if args.bookings == "-" else args.bookings.replace("\\", "/").rsplit("/", 1)[-1]
        result = calibrate(
            bookings,
            rng=DEFAULT_SEED if args.seed is None else args.seed,
            resamples=args.resamples,
            source=f"booking records ({name})",
        )
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.bookings}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CalibrationError as exc:
        for error in exc.errors:
            print(problem_line(error), file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.out:
            with open(args.out, "w", encoding="utf-8") as fh:
                json.dump(result.scenario, fh, indent=2, allow_nan=False)
                fh.write("\n")
            print(f"wrote {args.out}", file=sys.stderr)
        if args.report is not None and fmt is not None:
            _write_report(result, args.report, fmt)
    except OSError as exc:
        print(f"error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        print(format_calibration(result))
    return 0


def add_calibrate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``calibrate`` to the command line."""
    cmd = sub.add_parser(
        "calibrate",
        help="fit a scenario to a jail's booking records (CSV or XLSX, one row per booking)",
    )
    cmd.add_argument(
        "bookings",
        help="CSV or XLSX: booking_id, booked_at, released_at (blank: still in custody), "
        "detainer; optional detainer_outcome, released_to_ice, charge_class; - for stdin (CSV)",
    )
    cmd.add_argument(
        "--map",
        action="append",
        metavar="OURS=THEIRS",
        help="the county's column name for one of ours, e.g. booked_at=BOOKING_DT (repeat)",
    )
    cmd.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="leave out rows with a bad cell, listing each, instead of refusing the file",
    )
    cmd.add_argument(
        "--extract-date",
        help="when the extract was taken (bookings still in custody are censored then); "
        "default: the latest time in the records",
    )
    cmd.add_argument("--out", help="write the calibrated scenario (JSON) to this file")
    cmd.add_argument(
        "--report",
        metavar="FILE",
        help="write the calibration report (counts, stay histograms, the per-class table, the "
        "extra stay's estimates, every warning) to FILE, HTML or PDF by its extension",
    )
    cmd.add_argument(
        "--report-format",
        choices=("html", "pdf"),
        help="the report's format, whatever FILE's extension (default: from it)",
    )
    cmd.add_argument("--seed", type=int, help=f"the bootstrap's seed (default {DEFAULT_SEED})")
    cmd.add_argument("--resamples", type=int, default=400, help="bootstrap resamples (50-10000)")
    cmd.add_argument("--format", choices=("json", "table"), default="table")
    cmd.set_defaults(func=_calibrate)
