"""Calibration from a jail's booking records: a scenario whose every fitted input says
where it came from.

Two steps. :func:`read_bookings` reads rows already split into cells (a CSV's header and
rows, or JSON records through :func:`records_to_table`), maps the county's column names,
and checks every cell; it keeps only the columns the estimates need (never names, dates
of birth or any other column). :func:`calibrate` estimates the inputs with their
uncertainty as distribution specs the engine accepts, each with a ``note`` naming the
records, their date range, the method and n.

The extra stay a detainer causes is the quantity that matters most (85-92% of modelled
cost). It is estimated as the difference of mean length of stay between bookings with
and without a detainer **within** charge classes, weighted by the detainer bookings'
class mix (the effect on the detainer bookings, so a detainer population with more
serious charges is not mistaken for a detainer effect), with a bootstrap interval that
resamples bookings. Means are Kaplan-Meier restricted means, so bookings still in custody
at the extract date count as censored rather than being dropped. Beside it: the
unadjusted difference, and a log-linear regression of stay on the detainer flag and the
classes (least squares on completed stays), whose proportional effect is turned into
days at each class's mean stay without a detainer.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from .calendar import FORM_I247A_IN_FORCE
from .errors import CalibrationError, FieldError

__all__ = [
    "BOOLEAN_COLUMNS",
    "COLUMNS",
    "MIN_CLASS_BOOKINGS",
    "MIN_DETAINER_BOOKINGS",
    "OUTCOMES",
    "REQUIRED_COLUMNS",
    "STAY_BANDS_DAYS",
    "Bookings",
    "Calibration",
    "ClassRow",
    "Estimate",
    "ExtraStay",
    "SkippedRow",
    "StayHistogram",
    "calibrate",
    "parse_mapping",
    "read_bookings",
    "read_csv",
    "records_to_table",
]

#: Columns the calibration reads (after mapping); every other column is ignored unread.
REQUIRED_COLUMNS = ("booking_id", "booked_at", "released_at", "detainer")
COLUMNS = (*REQUIRED_COLUMNS, "detainer_outcome", "released_to_ice", "charge_class")
BOOLEAN_COLUMNS = ("detainer", "released_to_ice")
#: Detainer outcomes; ``honored`` and ``picked_up`` are holds the jail carried out.
OUTCOMES = ("honored", "declined", "cancelled", "picked_up")
FLAGS = {
    "true": True, "yes": True, "1": True, "y": True,
    "false": False, "no": False, "0": False, "n": False,
}  # fmt: skip

#: Fewer detainer bookings than this and the extra stay is refused: its interval would be
#: too wide to use, and the bootstrap too rough to state it.
MIN_DETAINER_BOOKINGS = 30
#: A charge class with fewer detainer bookings, or fewer bookings without a detainer,
#: than this is pooled with the other small classes.
MIN_CLASS_BOOKINGS = 10
#: The longest stay accepted (years in custody beyond this are a data error).
MAX_STAY_DAYS = 36_500.0
#: Bootstrap resamples by default.
RESAMPLES = 400
#: Left edges (days) of the bands of the stay histograms: 6 hours, a day, two days, four,
#: a week, two weeks, 30, 60, 90, 180 and 365 days (the last band is open-ended).
STAY_BANDS_DAYS = (0.0, 0.25, 1.0, 2.0, 4.0, 7.0, 14.0, 30.0, 60.0, 90.0, 180.0, 365.0)
#: Floor of a stay in the regression's logarithm: one hour.
LOG_FLOOR_DAYS = 1.0 / 24.0
#: Mean calendar days of a 48-hour hold: 2.0 under clock hours (form I-247A); about
#: 2.98 under business hours averaged over a year's release days (docs/model.md).
HOLD_DAYS = {"clock_hours": 2.0, "business_hours": 2.98}
DAY = 86_400.0
_EPOCH = dt.datetime(1970, 1, 1)

ISO = "ISO 8601"
US = "MM/DD/YYYY HH:MM[:SS]"
US_DATE = "MM/DD/YYYY"


@dataclass(frozen=True)
class SkippedRow:
    """A row left out under ``skip_bad_rows``: its index among the data rows (0-based),
    its line in a CSV file (header = line 1), the column and the reason."""

    row: int
    column: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"row": self.row, "line": self.row + 2, "column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class Bookings:
    """Booking records as arrays (one element per kept booking); no identifying column.

    Attributes
    ----------
    booked, released : ndarray of float64
        Seconds since 1970-01-01 (wall-clock time as written); ``released`` is NaN for a
        booking still in custody.
    release_weekday : ndarray of int8
        Monday = 0 .. Sunday = 6 of each release (-1 when still in custody).
    detainer : ndarray of bool
    outcome : ndarray of int8 or None
        Index into :data:`OUTCOMES`, -1 when blank; None without the column.
    released_to_ice : ndarray of int8 or None
        1, 0, or -1 when blank; None without the column.
    charge_class : ndarray of intp or None
        Each booking's class, an index into ``class_labels``; None without the column.
    class_labels : tuple of str
        The classes' labels ("" for a blank cell), in the order first seen.
    date_formats : dict
        For ``booked_at`` and ``released_at``: the formats found, in the county's column
        names' terms.
    columns : dict
        Each column read -> the county's column name.
    ignored_columns : int
        Columns of the file left unread.
    skipped : tuple of SkippedRow
    rows_read : int
    extract_end : float
        When the extract was taken (seconds since the epoch): censoring time of the
        bookings still in custody.
    extract_end_given : bool
        Whether it was given, rather than taken as the latest time in the records.
    """

    booked: NDArray[np.float64]
    released: NDArray[np.float64]
    release_weekday: NDArray[np.int8]
    detainer: NDArray[np.bool_]
    outcome: NDArray[np.int8] | None
    released_to_ice: NDArray[np.int8] | None
    charge_class: NDArray[np.intp] | None
    class_labels: tuple[str, ...]
    date_formats: Mapping[str, tuple[str, ...]]
    columns: Mapping[str, str]
    ignored_columns: int
    skipped: tuple[SkippedRow, ...]
    rows_read: int
    extract_end: float
    extract_end_given: bool


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """``["booked_at=BOOKING_DT", ...]`` -> ``{"booked_at": "BOOKING_DT"}``.

    Raises
    ------
    CalibrationError
        At ``map`` for an item without ``=`` or naming no column the calibration reads.
    """
    mapping: dict[str, str] = {}
    for item in items:
        name, sep, column = item.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not column:
            raise CalibrationError.single(("map",), f"{item!r}: write it as ours=THEIRS")
        if name not in COLUMNS:
            raise CalibrationError.single(
                ("map", name), f"is not a column the calibration reads ({', '.join(COLUMNS)})"
            )
        mapping[name] = column
    return mapping


def _mapping_errors(mapping: Mapping[str, str]) -> list[FieldError]:
    errors = [
        FieldError(("map", str(k)), f"is not a column the calibration reads ({', '.join(COLUMNS)})")
        for k in mapping
        if k not in COLUMNS
    ]
    errors += [
        FieldError(("map", str(k)), "must name a column (a non-empty string)")
        for k, v in mapping.items()
        if not isinstance(v, str) or not v.strip()
    ]
    return errors


def _parse_time(text: str) -> tuple[float, int, str] | None:
    """(seconds since the epoch of the wall-clock time, weekday, format) or None."""
    if "/" in text:
        date, _, clock = text.partition(" ")
        parts = date.split("/")
        if len(parts) != 3 or len(parts[2]) != 4:
            return None
        try:
            month, day, year = (int(p) for p in parts)
            if clock.strip():
                hms = clock.strip().split(":")
                if len(hms) not in (2, 3) or any(len(x) != 2 for x in hms):
                    return None
                hour, minute = int(hms[0]), int(hms[1])
                second = int(hms[2]) if len(hms) == 3 else 0
                moment = dt.datetime(year, month, day, hour, minute, second)
                fmt = US
            else:
                moment = dt.datetime(year, month, day)
                fmt = US_DATE
        except ValueError:
            return None
    else:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        fmt = ISO
        if moment.tzinfo is not None:
            offset = moment.utcoffset() or dt.timedelta(0)
            wall = moment.replace(tzinfo=None)
            # Seconds of the UTC instant; the weekday stays that of the local wall clock.
            return ((wall - offset - _EPOCH).total_seconds(), wall.weekday(), fmt)
    return ((moment - _EPOCH).total_seconds(), moment.weekday(), fmt)


def _cell(value: Any) -> str | None:
    """A JSON value as a CSV cell's text (None: not a cell value)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def records_to_table(records: Sequence[Any]) -> tuple[list[str], list[list[str]]]:
    """JSON rows (objects of column: value) as a header and rows of text cells.

    ``true``/``false`` become ``"true"``/``"false"``, numbers their decimal text, ``null``
    a blank. The header is every key, in the order first seen.

    Raises
    ------
    CalibrationError
        At ``rows/i`` for a row that is not an object, and ``rows/i/column`` for a value
        that is an object or a list.
    """
    errors = [
        FieldError(("rows", i), "must be an object of column: value")
        for i, record in enumerate(records)
        if not isinstance(record, Mapping)
    ]
    if errors:
        raise CalibrationError(errors)
    columns = list(dict.fromkeys(str(key) for record in records for key in record))
    table: list[list[str]] = []
    for i, record in enumerate(records):
        row = [_cell(record.get(column)) for column in columns]
        errors += [
            FieldError(("rows", i, column), "must be a string, number, flag or null")
            for column, cell in zip(columns, row, strict=True)
            if cell is None
        ]
        table.append([cell or "" for cell in row])
    if errors:
        raise CalibrationError(errors)
    return columns, table


def read_csv(
    lines: Iterable[str],
    *,
    mapping: Mapping[str, str] | None = None,
    skip_bad_rows: bool = False,
    extract_date: str | None = None,
    max_rows: int | None = None,
) -> Bookings:
    """Read a CSV bookings extract (lines of text, header first) with :func:`read_bookings`.

    Raises
    ------
    CalibrationError
        For CSV that cannot be read (naming the row), and as :func:`read_bookings`.
    """
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise CalibrationError.single(
            ("rows",), "the file is empty: give a header and rows"
        ) from None
    except csv.Error as exc:
        raise CalibrationError.single(("rows",), f"is not CSV: {exc}") from None

    def rows() -> Iterable[Sequence[str]]:
        read = 0  # rows yielded so far: the index of the row being read
        try:
            for row in reader:
                yield row
                read += 1
        except csv.Error as exc:
            raise CalibrationError.single(("rows", read), f"is not CSV: {exc}") from None

    return read_bookings(
        header,
        rows(),
        mapping=mapping,
        skip_bad_rows=skip_bad_rows,
        extract_date=extract_date,
        max_rows=max_rows,
    )


def read_bookings(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    mapping: Mapping[str, str] | None = None,
    skip_bad_rows: bool = False,
    extract_date: str | None = None,
    max_rows: int | None = None,
) -> Bookings:
    """Check and keep the booking records' needed cells.

    Parameters
    ----------
    header : sequence of str
        The file's column names.
    rows : iterable of sequences of str
        The data rows, one cell per header column.
    mapping : mapping, optional
        Our column name -> the county's (``{"booked_at": "BOOKING_DT"}``); unmapped
        columns are looked up by our name.
    skip_bad_rows : bool
        Leave out a row with a bad cell (and report it) instead of refusing the file.
    extract_date : str, optional
        When the extract was taken (bookings still in custody are censored then); by
        default the latest booking or release time in the records.
    max_rows : int, optional
        Refuse records of more rows than this (a service's bound on one request).

    Returns
    -------
    Bookings

    Raises
    ------
    CalibrationError
        Naming the row and column of every bad cell: a missing required column, a blank
        or unreadable date, a release before its booking, an unknown flag or outcome, a
        duplicate booking id (without ``skip_bad_rows``); or the mapping at fault.
    """
    mapping = dict(mapping or {})
    errors = _mapping_errors(mapping)
    if errors:
        raise CalibrationError(errors)
    names = {ours: mapping.get(ours, ours) for ours in COLUMNS}
    where = {h.strip(): j for j, h in enumerate(header)}
    missing = [
        FieldError(
            ("rows", names[c]),
            f"the column is missing ({c}); name the county's column for it with --map "
            f'{c}=COLUMN, or "map": {{"{c}": "COLUMN"}} in a request',
        )
        for c in REQUIRED_COLUMNS
        if names[c] not in where
    ]
    missing += [
        FieldError(("map", c), f"names {names[c]!r}, which is not a column of the file")
        for c in mapping
        if c not in REQUIRED_COLUMNS and names[c] not in where
    ]
    if missing:
        raise CalibrationError(missing)
    index = {c: where[names[c]] for c in COLUMNS if names[c] in where}
    reader = _RowReader(index, names, skip_bad_rows)
    for i, row in enumerate(rows):
        if max_rows is not None and i >= max_rows:
            raise CalibrationError.single(
                ("rows",), f"has more than {max_rows:,} rows, the most one request may hold"
            )
        if not reader.read(i, row):
            break
    if reader.problems:
        raise CalibrationError(reader.problems)
    return reader.bookings(len(header), extract_date)


_OUTCOME_INDEX = {
    **{name: k for k, name in enumerate(OUTCOMES)},
    **{name.replace("_", " "): k for k, name in enumerate(OUTCOMES)},
}
_DATE_HELP = f"is not a date in {ISO} or {US} (with or without seconds)"
_FLAG_HELP = "(true/false, yes/no, 1/0, Y/N)"


class _RowReader:
    """Checks rows one by one and keeps their needed cells in compact arrays."""

    def __init__(self, index: Mapping[str, int], names: Mapping[str, str], skip: bool) -> None:
        self.index = dict(index)
        self.names = names
        self.skip = skip
        self.width = max(index.values()) + 1
        self.booked = array("d")
        self.released = array("d")
        self.weekday = array("b")
        self.detainer = array("b")
        self.outcome = array("b")
        self.to_ice = array("b")
        self.classes = array("l")
        self.labels: dict[str, int] = {}
        self.seen: dict[str, int] = {}
        self.formats: dict[str, set[str]] = {"booked_at": set(), "released_at": set()}
        self.skipped: list[SkippedRow] = []
        self.problems: list[FieldError] = []
        self.rows = 0

    def _time(self, row: Sequence[str], column: str, bad: list[tuple[str, str]]) -> Any:
        text = row[self.index[column]].strip()
        if not text:
            if column == "booked_at":
                bad.append((column, "is blank"))
            return None
        parsed = _parse_time(text)
        if parsed is None:
            bad.append((column, f"{text[:40]!r} {_DATE_HELP}"))
        return parsed

    def _flag(self, row: Sequence[str], column: str, bad: list[tuple[str, str]]) -> int:
        if column not in self.index:
            return -1
        text = row[self.index[column]].strip().lower()
        value = FLAGS.get(text)
        if value is not None:
            return int(value)
        if text or column == "detainer":
            what = "is blank" if not text else f"{text[:20]!r} is not a flag"
            bad.append((column, f"{what} {_FLAG_HELP}"))
        return -1

    def _outcome(self, row: Sequence[str], bad: list[tuple[str, str]]) -> int:
        if "detainer_outcome" not in self.index:
            return -1
        text = row[self.index["detainer_outcome"]].strip().lower()
        if text and text not in _OUTCOME_INDEX:
            bad.append(("detainer_outcome", f"{text[:20]!r} is not one of {', '.join(OUTCOMES)}"))
        return _OUTCOME_INDEX.get(text, -1)

    def read(self, i: int, row: Sequence[str]) -> bool:
        """Check and keep row ``i``; False once too many problems were found."""
        self.rows = i + 1
        if len(row) < self.width:
            row = [*row, *([""] * (self.width - len(row)))]
        bad: list[tuple[str, str]] = []
        booking_id = row[self.index["booking_id"]].strip()
        if not booking_id:
            bad.append(("booking_id", "is blank"))
        b = self._time(row, "booked_at", bad)
        r = self._time(row, "released_at", bad)
        flag = self._flag(row, "detainer", bad)
        ice = self._flag(row, "released_to_ice", bad)
        out = self._outcome(row, bad)
        if b is not None and r is not None and r[0] < b[0]:
            bad.append(("released_at", "is before booked_at"))
        elif b is not None and r is not None and r[0] - b[0] > MAX_STAY_DAYS * DAY:
            bad.append(("released_at", f"is more than {MAX_STAY_DAYS:,.0f} days after booked_at"))
        if not bad and booking_id in self.seen:
            bad.append(("booking_id", f"duplicates the booking id of row {self.seen[booking_id]}"))
        if bad:
            return self._bad(i, bad)
        self.seen[booking_id] = i
        self.booked.append(b[0])
        self.formats["booked_at"].add(b[2])
        self.released.append(math.nan if r is None else r[0])
        self.weekday.append(-1 if r is None else r[1])
        if r is not None:
            self.formats["released_at"].add(r[2])
        self.detainer.append(flag)
        self.outcome.append(out)
        self.to_ice.append(ice)
        if "charge_class" in self.index:
            label = row[self.index["charge_class"]].strip()
            self.classes.append(self.labels.setdefault(label, len(self.labels)))
        return True

    def _bad(self, i: int, bad: list[tuple[str, str]]) -> bool:
        if self.skip:
            self.skipped += [SkippedRow(i, self.names[c], reason) for c, reason in bad]
            return True
        self.problems += [FieldError(("rows", i, self.names[c]), reason) for c, reason in bad]
        if len(self.problems) >= 100:
            self.problems.append(FieldError(("rows",), "stopped after 100 problems"))
            return False
        return True

    def _end(
        self, booked: NDArray[np.float64], released: NDArray[np.float64], text: str | None
    ) -> float:
        if text is None:
            return float(np.nanmax(np.concatenate([booked, released])))
        parsed = _parse_time(text.strip())
        if parsed is None:
            raise CalibrationError.single(("extract_date",), _DATE_HELP)
        end = float(parsed[0])
        for what, times in (("booking", booked), ("release", released)):
            late = int(np.sum(times > end))
            if late:
                raise CalibrationError.single(
                    ("extract_date",), f"is before {late} {what}(s) in the records"
                )
        return end

    def bookings(self, n_columns: int, extract_date: str | None) -> Bookings:
        """The kept rows."""
        if not len(self.booked):
            raise CalibrationError.single(("rows",), "has no usable booking")
        booked = np.frombuffer(self.booked, dtype=np.float64).copy()
        released = np.frombuffer(self.released, dtype=np.float64).copy()
        has = self.index.__contains__
        return Bookings(
            booked=booked,
            released=released,
            release_weekday=np.asarray(self.weekday, dtype=np.int8),
            detainer=np.asarray(self.detainer, dtype=bool),
            outcome=np.asarray(self.outcome, dtype=np.int8) if has("detainer_outcome") else None,
            released_to_ice=np.asarray(self.to_ice, dtype=np.int8)
            if has("released_to_ice")
            else None,
            charge_class=np.asarray(self.classes, dtype=np.intp) if has("charge_class") else None,
            class_labels=tuple(self.labels),
            date_formats={self.names[c]: tuple(sorted(f)) for c, f in self.formats.items()},
            columns={c: self.names[c] for c in self.index},
            ignored_columns=n_columns - len(set(self.index.values())),
            skipped=tuple(self.skipped),
            rows_read=self.rows,
            extract_end=self._end(booked, released, extract_date),
            extract_end_given=extract_date is not None,
        )


@dataclass(frozen=True)
class Estimate:
    """One fitted input.

    Attributes
    ----------
    field : str
        The scenario field (``detainer_rate``).
    value : float
        Point estimate.
    low, high : float
        95% interval.
    spec : object
        What goes in the scenario: a distribution spec with its ``note`` (or, for
        ``release_weekday_weights``, the list of weights).
    method : str
    n : int
        Bookings behind the estimate.
    """

    field: str
    value: float
    low: float
    high: float
    spec: Any
    method: str
    n: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "field": self.field,
            "value": self.value,
            "ci95": [self.low, self.high],
            "spec": self.spec,
            "method": self.method,
            "n": self.n,
        }


@dataclass(frozen=True)
class ClassRow:
    """One charge class of the within-class comparison (after pooling)."""

    label: str
    pooled_from: tuple[str, ...]
    bookings_detainer: int
    bookings_other: int
    censored_detainer: int
    censored_other: int
    mean_stay_detainer: float
    mean_stay_other: float
    difference: float
    weight: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "label": self.label,
            "pooled_from": list(self.pooled_from),
            "bookings_detainer": self.bookings_detainer,
            "bookings_other": self.bookings_other,
            "censored_detainer": self.censored_detainer,
            "censored_other": self.censored_other,
            "mean_stay_detainer": self.mean_stay_detainer,
            "mean_stay_other": self.mean_stay_other,
            "difference": self.difference,
            "weight": self.weight,
        }


@dataclass(frozen=True)
class ExtraStay:
    """The stay a detainer adds, three ways, in days per detainer booking.

    ``adjusted`` (within classes, weighted by the detainer bookings' classes, Kaplan-Meier
    means) is the one used; ``unadjusted`` compares all detainer bookings with all others;
    ``regression`` is the log-linear model's effect in days. Each has a 95% interval
    (bootstrap for the first two, the regression's standard error for the third).
    ``hold_days`` is subtracted from ``adjusted`` to give ``extra_days_per_detainer``:
    the mean hold of a lodged detainer (the share honored times the hold's length), which
    the model adds from the calendar itself.
    """

    adjusted: float
    adjusted_ci: tuple[float, float]
    unadjusted: float
    unadjusted_ci: tuple[float, float]
    regression: float
    regression_ci: tuple[float, float]
    regression_ratio: float
    completed_only: float
    disagreement: float
    hold_days: float
    extra_days: float
    extra_days_ci: tuple[float, float]
    used: str
    why: str
    classes: tuple[ClassRow, ...]
    resamples: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (a figure that cannot be computed, such as the regression's
        without completed detainer stays, is null)."""
        return {
            "adjusted": self.adjusted,
            "adjusted_ci95": list(self.adjusted_ci),
            "unadjusted": self.unadjusted,
            "unadjusted_ci95": list(self.unadjusted_ci),
            "regression": _finite(self.regression),
            "regression_ci95": [_finite(x) for x in self.regression_ci],
            "regression_ratio": _finite(self.regression_ratio),
            "completed_only": _finite(self.completed_only),
            "disagreement": _finite(self.disagreement),
            "hold_days": self.hold_days,
            "extra_days_per_detainer": self.extra_days,
            "extra_days_per_detainer_ci95": list(self.extra_days_ci),
            "used": self.used,
            "why": self.why,
            "classes": [c.to_dict() for c in self.classes],
            "resamples": self.resamples,
        }


@dataclass(frozen=True)
class StayHistogram:
    """Counts of bookings by length of stay, in the bands of :data:`STAY_BANDS_DAYS`, for
    each group (with a detainer or without) and each ending (released, or still in custody
    at the extract date, counted at the time in custody so far: a lower bound of its stay).

    Attributes
    ----------
    edges : tuple of float
        Left edges of the bands, in days; band ``i`` is ``[edges[i], edges[i + 1])``, the
        last ``[edges[-1], infinity)``.
    detainer_released, detainer_in_custody, other_released, other_in_custody : tuple of int
        Bookings in each band (one count per edge).
    """

    edges: tuple[float, ...]
    detainer_released: tuple[int, ...]
    detainer_in_custody: tuple[int, ...]
    other_released: tuple[int, ...]
    other_in_custody: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "edges_days": list(self.edges),
            "detainer": {
                "released": list(self.detainer_released),
                "in_custody": list(self.detainer_in_custody),
            },
            "other": {
                "released": list(self.other_released),
                "in_custody": list(self.other_in_custody),
            },
        }


def _stay_histogram(
    stay: NDArray[np.float64], censored: NDArray[np.bool_], detainer: NDArray[np.bool_]
) -> StayHistogram:
    """The bookings' stays (days) counted in the bands of :data:`STAY_BANDS_DAYS`."""
    edges = np.asarray(STAY_BANDS_DAYS)
    band = np.searchsorted(edges, stay, side="right") - 1
    code = (detainer.astype(np.intp) * 2 + censored) * edges.size + band
    counts = np.bincount(code, minlength=4 * edges.size).reshape(2, 2, edges.size)

    def ints(group: int, ending: int) -> tuple[int, ...]:
        return tuple(int(c) for c in counts[group, ending])

    return StayHistogram(STAY_BANDS_DAYS, ints(1, 0), ints(1, 1), ints(0, 0), ints(0, 1))


@dataclass(frozen=True)
class Calibration:
    """A calibration: the scenario, every estimate, the counts and every warning.

    Attributes
    ----------
    scenario : dict
        Fields of the scenario table (:data:`models.scenario.FIELDS`); fitted inputs
        carry a ``note`` naming the records, date range, method and n.
    estimates : tuple of Estimate
    extra_stay : ExtraStay
    counts : dict
        ``rows``, ``bookings``, ``detainer_bookings``, ``other_bookings`` (without a
        detainer), ``censored`` (still in custody, by group), ``skipped_rows``,
        ``ignored_columns``.
    date_range : tuple of str
        First booking and extract date (ISO 8601).
    date_formats : dict
        The formats found in each date column.
    censoring : str
        The method, in words.
    skipped : tuple of SkippedRow
    stays : StayHistogram
        The stays of each group, in bands (for the report's histograms).
    warnings : tuple of str
    """

    scenario: Mapping[str, Any]
    estimates: tuple[Estimate, ...]
    extra_stay: ExtraStay
    counts: Mapping[str, Any]
    date_range: tuple[str, str]
    date_formats: Mapping[str, tuple[str, ...]]
    columns: Mapping[str, str]
    censoring: str
    skipped: tuple[SkippedRow, ...]
    stays: StayHistogram
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "scenario": dict(self.scenario),
            "estimates": [e.to_dict() for e in self.estimates],
            "extra_stay": self.extra_stay.to_dict(),
            "counts": dict(self.counts),
            "date_range": list(self.date_range),
            "date_formats": {k: list(v) for k, v in self.date_formats.items()},
            "columns": dict(self.columns),
            "censoring": self.censoring,
            "skipped_rows": [s.to_dict() for s in self.skipped],
            "stays": self.stays.to_dict(),
            "warnings": list(self.warnings),
        }


CENSORING = (
    "Bookings still in custody at the extract date are censored there, not dropped: each "
    "group's mean stay is the Kaplan-Meier restricted mean up to its longest observed stay "
    "(the plain mean when that stay ended in a release)."
)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _iso(seconds: float) -> str:
    return (_EPOCH + dt.timedelta(seconds=float(seconds))).isoformat(timespec="seconds")


def _ci(draws: NDArray[np.float64]) -> tuple[float, float]:
    low, high = np.quantile(draws, [0.025, 0.975])
    return (float(low), float(high))


class _Groups:
    """Rows sorted within groups by (time, release before censoring), for weighted
    Kaplan-Meier restricted means of every group at once under any bootstrap weights
    (given in this sorted order), in a fixed number of whole-array operations."""

    def __init__(
        self,
        group: NDArray[np.intp],
        time: NDArray[np.float64],
        event: NDArray[np.bool_],
        n_groups: int,
    ) -> None:
        order = np.lexsort((~event, time, group))
        self.order = order
        self.time = time[order]
        self.event = event[order]
        self.counts = np.bincount(group, minlength=n_groups)
        self.bounds = np.concatenate([[0], np.cumsum(self.counts)])
        self.nonempty = self.counts > 0
        self.starts = self.bounds[:-1][self.nonempty]
        self.sizes = self.counts[self.nonempty]
        self.n_groups = n_groups

    def restricted(self) -> list[int]:
        """The groups whose longest stay is still in custody (their mean is restricted to
        it: a lower bound of the mean)."""
        return [
            g
            for g in range(self.n_groups)
            if self.bounds[g + 1] > self.bounds[g] and not self.event[self.bounds[g + 1] - 1]
        ]

    def means(self, w: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """Each group's restricted mean under weights ``w`` (in sorted order; NaN for a
        group without weight)."""
        if w is None:
            w = np.ones(self.time.size)
        starts, sizes = self.starts, self.sizes
        totals = np.add.reduceat(w, starts)
        before = np.cumsum(w) - w  # weight of the rows before, across groups
        at_risk = np.repeat(totals + before[starts], sizes) - before
        hazard = np.where(self.event, w / np.maximum(at_risk, 1e-300), 0.0)
        logs = np.log(np.maximum(1.0 - hazard, 1e-300))
        log_before = np.cumsum(logs) - logs
        surv_before = np.exp(log_before - np.repeat(log_before[starts], sizes))
        # Restricted to the group's longest stay with weight (its own end when censored).
        tau = np.maximum.reduceat(np.where(w > 0, self.time, -np.inf), starts)
        tau = np.where(np.isfinite(tau), tau, 0.0)
        clipped = np.minimum(self.time, np.repeat(tau, sizes))
        step = np.diff(clipped, prepend=0.0)
        step[starts] = clipped[starts]
        area = np.add.reduceat(surv_before * step, starts)
        out = np.full(self.n_groups, np.nan)
        out[self.nonempty] = np.where(totals > 0, area, np.nan)
        return out


#: Above this many bookings the bootstrap resamples cells of bookings (same class,
#: detainer flag and censoring, stay within the same hour) instead of single bookings:
#: the same resampling of bookings with stays rounded within the hour (each cell at its
#: members' mean stay), with far fewer units (21,304 for benchmarks/calibrate.py's million
#: bookings); the interval is then centred on the exact estimate.
EXACT_BOOTSTRAP_MAX = 200_000


class _Stays:
    """Units (bookings, or cells of bookings) ready for the within-class and the
    unadjusted estimates under any weights (in the within-class sorted order)."""

    def __init__(
        self,
        stay: NDArray[np.float64],
        event: NDArray[np.bool_],
        detainer: NDArray[np.bool_],
        cls: NDArray[np.intp],
        k: int,
        size: NDArray[np.float64] | None = None,
    ) -> None:
        d = detainer.astype(np.intp)
        self.k = k
        self.within = _Groups(cls * 2 + d, stay, event, 2 * k)
        self.overall = _Groups(d, stay, event, 2)
        # Unit j of the within-class order is unit ``within.order[j]``; the overall order
        # reads the same weights through ``to_overall``.
        self.to_overall = np.argsort(self.within.order)[self.overall.order]
        self.size = None if size is None else size[self.within.order]

    def estimate(self, w: NDArray[np.float64] | None) -> tuple[float, float]:
        """(within-class, unadjusted) differences of mean stays under weights ``w``."""
        k = self.k
        means = self.within.means(w).reshape(k, 2)
        weight = self.within.counts.astype(np.float64) if w is None else _group_sums(self.within, w)
        mix = weight.reshape(k, 2)[:, 1]
        diff = means[:, 1] - means[:, 0]
        ok = np.isfinite(diff) & (mix > 0)
        adjusted = float(np.dot(mix[ok], diff[ok]) / mix[ok].sum())
        m2 = self.overall.means(None if w is None else w[self.to_overall])
        return adjusted, float(m2[1] - m2[0])


def _cells(
    stay: NDArray[np.float64],
    event: NDArray[np.bool_],
    detainer: NDArray[np.bool_],
    cls: NDArray[np.intp],
    k: int,
) -> tuple[_Stays, NDArray[np.float64]]:
    """Bookings grouped into cells (class, detainer, censoring, hour of stay), each at
    its members' mean stay, weighted by its size; and the cells' shares of the bookings
    (in the within-class sorted order, for a multinomial resample)."""
    hour = np.floor(stay * 24.0).astype(np.int64)
    span = int(hour.max()) + 1
    key = ((cls.astype(np.int64) * 2 + detainer) * 2 + event) * span + hour
    unique, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    mean_stay = np.bincount(inverse, weights=stay) / counts
    code = unique // span
    units = _Stays(
        mean_stay,
        (code % 2).astype(bool),
        ((code // 2) % 2).astype(bool),
        (code // 4).astype(np.intp),
        k,
        size=counts.astype(np.float64),
    )
    assert units.size is not None
    return units, units.size / units.size.sum()


def _group_sums(groups: _Groups, w: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each group's total weight (``w`` in the groups' sorted order)."""
    out = np.zeros(groups.n_groups)
    out[groups.nonempty] = np.add.reduceat(w, groups.starts)
    return out


def _pool(
    codes: NDArray[np.intp], labels: Sequence[str], detainer: NDArray[np.bool_]
) -> tuple[NDArray[np.intp], list[tuple[str, tuple[str, ...]]], list[str]]:
    """Class index of each booking after pooling small classes, the classes' labels and
    what each pools, and the warnings."""
    names = np.asarray(labels, dtype=object)
    inverse = codes
    n_d = np.bincount(inverse, weights=detainer, minlength=names.size)
    n_o = np.bincount(inverse, weights=~detainer, minlength=names.size)
    small = (n_d < MIN_CLASS_BOOKINGS) | (n_o < MIN_CLASS_BOOKINGS)
    warnings: list[str] = []
    kept = [k for k in range(names.size) if not small[k]]
    classes: list[tuple[str, tuple[str, ...]]] = []
    new_index = {}
    for k in kept:
        new_index[k] = len(classes)
        classes.append((str(names[k]) or "(blank)", ()))
    pooled = [k for k in range(names.size) if small[k]]
    if pooled:
        members = tuple(str(names[k]) or "(blank)" for k in pooled)
        d = n_d[pooled].sum()
        o = n_o[pooled].sum()
        if (d >= MIN_CLASS_BOOKINGS and o >= MIN_CLASS_BOOKINGS) or not kept:
            for k in pooled:
                new_index[k] = len(classes)
            classes.append(("(pooled)", members))
            warnings.append(
                f"{len(pooled)} charge class(es) with fewer than {MIN_CLASS_BOOKINGS} bookings "
                f"with or without a detainer were pooled into one: {', '.join(members[:20])}"
            )
        else:
            largest = max(kept, key=lambda k: n_d[k])
            label, _ = classes[new_index[largest]]
            for k in pooled:
                new_index[k] = new_index[largest]
            classes[new_index[largest]] = (label, (label, *members))
            warnings.append(
                f"{len(pooled)} charge class(es) too small to compare even pooled together "
                f"({', '.join(members[:20])}) were pooled into the largest class, {label}"
            )
    target = np.asarray([new_index[k] for k in range(names.size)], dtype=np.intp)
    return target[inverse], classes, warnings


def _hold_days(released: NDArray[np.float64]) -> tuple[float, str]:
    """Mean calendar days of a 48-hour hold over the records' release dates."""
    cut = (dt.datetime.combine(FORM_I247A_IN_FORCE, dt.time()) - _EPOCH).total_seconds()
    done = released[np.isfinite(released)]
    share_clock = float(np.mean(done >= cut)) if done.size else 1.0
    days = share_clock * HOLD_DAYS["clock_hours"] + (1 - share_clock) * HOLD_DAYS["business_hours"]
    if share_clock == 1.0:
        rule = "clock hours (form I-247A): 2.0 days"
    elif share_clock == 0.0:
        rule = "business hours (form I-247): about 2.98 days"
    else:
        rule = f"{share_clock:.0%} of releases under clock hours, the rest business hours"
    return days, rule


def _record_warnings(bookings: Bookings, start: float, end: float) -> list[str]:
    """What the records themselves warn of: skipped rows, mixed date formats, a span of
    under a year."""
    warnings = []
    if bookings.skipped:
        warnings.append(
            f"{len({s.row for s in bookings.skipped})} bad row(s) were skipped "
            "(skip_bad_rows); each is listed"
        )
    for column, found in bookings.date_formats.items():
        if len(found) > 1:
            warnings.append(f"{column} mixes date formats ({', '.join(found)}); each was read")
    span_days = (end - start) / DAY
    if span_days < 365.25:
        warnings.append(
            f"the records span {span_days:.0f} days: bookings a year are annualized from "
            "them, so the seasons they miss are not seen, and no trend is estimated"
        )
    return warnings


def calibrate(
    bookings: Bookings,
    *,
    rng: np.random.Generator | int | None = None,
    resamples: int = RESAMPLES,
    source: str = "booking records",
) -> Calibration:
    """Estimate a scenario from booking records.

    Parameters
    ----------
    bookings : Bookings
        From :func:`read_bookings` or :func:`read_csv`.
    rng : numpy.random.Generator, int or None
        Randomness of the bootstrap (normalised with ``np.random.default_rng``).
    resamples : int
        Bootstrap resamples (at least 50).
    source : str
        How the notes name the records (a file name, say).

    Returns
    -------
    Calibration

    Raises
    ------
    CalibrationError
        Fewer than :data:`MIN_DETAINER_BOOKINGS` detainer bookings, or no bookings
        without a detainer, with the reason.
    """
    rng = np.random.default_rng(rng)
    if (
        not isinstance(resamples, int)
        or isinstance(resamples, bool)
        or not 50 <= resamples <= 10_000
    ):
        raise CalibrationError.single(("resamples",), "must be a whole number from 50 to 10000")
    n = bookings.booked.size
    detainer = bookings.detainer
    n_d = int(detainer.sum())
    if n_d < MIN_DETAINER_BOOKINGS:
        raise CalibrationError.single(
            ("rows",),
            f"has {n_d} booking(s) with a detainer; the extra stay needs at least "
            f"{MIN_DETAINER_BOOKINGS} to be estimated with an interval worth stating, so no "
            "estimate is given",
        )
    if n - n_d < MIN_DETAINER_BOOKINGS:
        raise CalibrationError.single(
            ("rows",),
            f"has {n - n_d} booking(s) without a detainer; comparing stays needs at least "
            f"{MIN_DETAINER_BOOKINGS}",
        )
    start, end = float(bookings.booked.min()), bookings.extract_end
    first, last = _iso(start)[:10], _iso(end)[:10]
    warnings = _record_warnings(bookings, start, end)
    where = f"{source}, bookings {first} to {last}"

    def note(method: str, count: int) -> str:
        return f"calibrated: {where}; {method}; n = {count:,}"

    censored = ~np.isfinite(bookings.released)
    stay = np.where(censored, end - bookings.booked, bookings.released - bookings.booked) / DAY
    stay = np.maximum(stay, 0.0)
    estimates: list[Estimate] = []
    scenario: dict[str, Any] = {}

    # Volume: a Poisson process with a log-linear trend when the data span over a year.
    estimates += _volume(bookings.booked, start, end, note)
    # Detainer rate: Jeffreys beta from the counts.
    beta = stats.beta(n_d + 0.5, n - n_d + 0.5)
    estimates.append(
        Estimate(
            "detainer_rate",
            n_d / n,
            float(beta.ppf(0.025)),
            float(beta.ppf(0.975)),
            {"dist": "beta", "successes": n_d, "trials": n,
             "note": note("detainer bookings / bookings, beta with a Jeffreys prior", n)},
            "Jeffreys beta from the counts",
            n,
        )
    )  # fmt: skip
    honor_share, outcome_estimates, outcome_warnings = _outcomes(bookings, note)
    estimates += outcome_estimates
    warnings += outcome_warnings
    estimates.append(_weekdays(bookings, note))

    codes = bookings.charge_class
    labels = bookings.class_labels
    if codes is None:
        codes, labels = np.zeros(n, dtype=np.intp), ("",)
        warnings.append(
            "no charge_class column: the comparison cannot hold charges alike, so the adjusted "
            "estimate equals the unadjusted one and may mistake more serious charges for a "
            "detainer effect"
        )
    cls, classes, pool_warnings = _pool(codes, labels, detainer)
    warnings += pool_warnings
    extra, stay_warnings = _extra_stay(
        stay, ~censored, detainer, cls, classes, honor_share, bookings.released, rng, resamples
    )
    warnings += stay_warnings
    sd = max((extra.extra_days_ci[1] - extra.extra_days_ci[0]) / (2 * 1.959963984540054), 1e-6)
    estimates.append(
        Estimate(
            "extra_days_per_detainer",
            extra.extra_days,
            *extra.extra_days_ci,
            _extra_spec(extra, sd, note(
                 "within-charge-class difference of Kaplan-Meier mean stays, weighted by the "
                 f"detainer bookings' classes, less the mean hold ({extra.hold_days:.2f} days); "
                 f"gamma with the sd of {extra.resamples} bootstrap resamples of bookings",
                 n)),
            "within-class difference of mean stays (Kaplan-Meier), bootstrap interval",
            n,
        )
    )  # fmt: skip
    total_d = _Groups(np.zeros(n_d, dtype=np.intp), stay[detainer], ~censored[detainer], 1).means(
        None
    )
    estimates.append(
        Estimate(
            "detainer_days_per_detainer",
            float(total_d[0]),
            float(total_d[0]),
            float(total_d[0]),
            {"dist": "fixed", "value": round(float(total_d[0]), 4),
             "note": note("Kaplan-Meier mean stay of the detainer bookings", n_d)},
            "Kaplan-Meier mean stay of the detainer bookings",
            n_d,
        )
    )  # fmt: skip
    for e in estimates:
        scenario[e.field] = e.spec
    scenario["extra_stay_applies_to"] = "lodged"
    scenario["name"] = f"Calibrated from {source}"[:200]
    scenario["description"] = (
        f"Calibrated from {source}: {n:,} bookings from {first} to {last} "
        f"({n_d:,} with a detainer, {int(censored.sum()):,} still in custody at the extract "
        f"date). The extra stay is {extra.used}: {extra.why} "
        "Every stay difference compares bookings with a lodged detainer against bookings "
        "without one, so it is stated for lodged detainers (extra_stay_applies_to: lodged). "
        f"Release weekdays are those of bookings without a detainer. {CENSORING} "
        "bookings_per_year is the rate of the records' last year, not projected to a later "
        "year; start_year is left to the user (by default this year, whose hold rule "
        "applies)."
    )[:4000]
    counts = {
        "rows": bookings.rows_read,
        "bookings": n,
        "detainer_bookings": n_d,
        "other_bookings": n - n_d,
        "censored": int(censored.sum()),
        "censored_detainer": int((censored & detainer).sum()),
        "censored_other": int((censored & ~detainer).sum()),
        "skipped_rows": len({s.row for s in bookings.skipped}),
        "ignored_columns": bookings.ignored_columns,
    }
    if counts["censored"]:
        warnings.append(
            f"{counts['censored']:,} booking(s) still in custody at the extract date "
            f"({last}{'' if bookings.extract_end_given else ', the latest time in the records'})"
            " were counted as censored, not dropped"
        )
    return Calibration(
        scenario=scenario,
        estimates=tuple(estimates),
        extra_stay=extra,
        counts=counts,
        date_range=(_iso(start), _iso(end)),
        date_formats=dict(bookings.date_formats),
        columns=dict(bookings.columns),
        censoring=CENSORING,
        skipped=bookings.skipped,
        stays=_stay_histogram(stay, censored, detainer),
        warnings=tuple(warnings),
    )


def _inside(mean: float, sd: float, low: float, high: float) -> dict[str, float]:
    """Truncation bounds of a normal: 6 sd either side, kept strictly inside the field's
    range [low, high] (a bound at the range's edge can compute a hair outside it)."""
    margin = 1e-6 * (high - low)
    return {
        "low": round(max(mean - 6 * sd, low + margin), 6),
        "high": round(min(mean + 6 * sd, high - margin), 6),
    }


def _extra_spec(extra: ExtraStay, sd: float, note: str) -> dict[str, Any]:
    """The extra stay as a gamma (positive, as stays are) with the bootstrap's sd; a
    fixed 0 when the difference is no larger than the hold (said in the warnings)."""
    if extra.extra_days <= 0:
        return {"dist": "fixed", "value": 0, "note": note}
    return {"dist": "gamma", "mean": round(extra.extra_days, 4), "sd": round(sd, 4), "note": note}


def _trend_moments(x: float) -> tuple[float, float]:
    """Mean and variance, in units of the span, of a time with density ``exp(x t)`` on
    [0, 1] (``x`` = growth rate times span)."""
    if abs(x) < 1e-4:
        return 0.5 + x / 12.0, 1.0 / 12.0 - x * x / 240.0
    mean = -1.0 / math.expm1(-x) - 1.0 / x
    var = 1.0 / (x * x) - 1.0 / (4.0 * math.sinh(x / 2.0) ** 2)
    return mean, var


def _volume(booked: NDArray[np.float64], start: float, end: float, note: Any) -> list[Estimate]:
    """Bookings a year (the last year of the records) and, over more than a year, the
    trend: a Poisson process whose rate grows log-linearly, fitted by maximum likelihood."""
    n = booked.size
    span = max((end - start) / DAY, 1.0) / 365.25  # years
    if span <= 1.0:
        rate = n / span
        sd = math.sqrt(n) / span
        method = f"bookings over the {span * 365.25:.0f} days of records, annualized"
        return [
            Estimate(
                "bookings_per_year", rate, rate - 1.96 * sd, rate + 1.96 * sd,
                {"dist": "gamma", "mean": round(rate, 4), "sd": round(sd, 4),
                 "note": note(f"{method}; gamma with the Poisson sd of the count", n)},
                method, n,
            )
        ]  # fmt: skip
    u = (booked - start) / DAY / 365.25 / span  # in [0, 1]
    target = float(np.mean(u))
    target = min(max(target, 1e-9), 1 - 1e-9)
    x = float(optimize.brentq(lambda x: _trend_moments(x)[0] - target, -700.0, 700.0))
    beta = x / span  # per year
    se_beta = 1.0 / math.sqrt(n * _trend_moments(x)[1]) / span
    growth = math.expm1(beta)
    se_growth = math.exp(beta) * se_beta
    # Expected bookings in the records' last year under the fitted rate.
    last = n / span if abs(x) < 1e-09 else n * (math.exp(x) - math.exp(x - beta)) / math.expm1(x)
    sd = math.sqrt(last)
    method = (
        f"Poisson process with a log-linear trend fitted by maximum likelihood to {span:.2f} "
        "years of bookings; the rate of the last year"
    )
    return [
        Estimate(
            "bookings_per_year", last, last - 1.96 * sd, last + 1.96 * sd,
            {"dist": "gamma", "mean": round(last, 4), "sd": round(sd, 4),
             "note": note(f"{method}; gamma with the Poisson sd of a year's count", n)},
            method, n,
        ),
        Estimate(
            "bookings_growth", growth, growth - 1.96 * se_growth, growth + 1.96 * se_growth,
            {"dist": "normal", "mean": round(growth, 6), "sd": round(max(se_growth, 1e-6), 6),
             **_inside(growth, se_growth, -0.9, 1.0),
             "note": note("annual growth of the fitted Poisson rate, normal from its standard "
                          "error (Poisson variation only), truncated at 6 sd and to "
                          "[-0.9, 1]", n)},
            "log-linear Poisson trend, maximum likelihood", n,
        ),
    ]  # fmt: skip


def _beta_estimate(field_: str, k: int, m: int, method: str, note: Any) -> Estimate:
    dist = stats.beta(k + 0.5, m - k + 0.5)
    return Estimate(
        field_, k / m, float(dist.ppf(0.025)), float(dist.ppf(0.975)),
        {"dist": "beta", "successes": k, "trials": m,
         "note": note(f"{method}, beta with a Jeffreys prior", m)},
        method, m,
    )  # fmt: skip


def _outcomes(bookings: Bookings, note: Any) -> tuple[float, list[Estimate], list[str]]:
    """The share honored (for the hold in the stay difference), honor and pickup rates."""
    d = bookings.detainer
    out, ice = bookings.outcome, bookings.released_to_ice
    estimates: list[Estimate] = []
    warnings: list[str] = []
    honored_mask: NDArray[np.bool_] | None = None
    honor_share = 1.0
    if out is not None:
        known = d & (out >= 0)
        m = int(known.sum())
        honored_mask = known & (
            (out == OUTCOMES.index("honored")) | (out == OUTCOMES.index("picked_up"))
        )
        k = int(honored_mask.sum())
        if m:
            honor_share = k / m
            estimates.append(
                _beta_estimate(
                    "honor_rate", k, m,
                    "detainers honored or picked up / detainers with an outcome "
                    "(declined and cancelled ones were not honored)", note,
                )
            )  # fmt: skip
        if int(d.sum()) - m:
            warnings.append(
                f"{int(d.sum()) - m:,} detainer booking(s) have no detainer_outcome and are "
                "left out of the honor rate"
            )
    else:
        warnings.append(
            "no detainer_outcome column: honor_rate is not estimated, and the hold taken off "
            "the stay difference assumes every detainer was honored"
        )
    base = honored_mask if honored_mask is not None else d
    if ice is not None or out is not None:
        picked = np.zeros(d.size, dtype=bool)
        known = np.zeros(d.size, dtype=bool)
        if out is not None:
            picked |= out == OUTCOMES.index("picked_up")
            known |= out >= 0
        if ice is not None:
            picked |= ice == 1
            known |= ice >= 0
        pool = base & known
        m = int(pool.sum())
        if m and (ice is not None or bool(np.any(picked[pool]))):
            who = "honored detainers" if honored_mask is not None else "detainer bookings"
            estimates.append(
                _beta_estimate(
                    "ice_pickup_rate", int((picked & pool).sum()), m,
                    f"{who} released to ICE / {who} with an outcome", note,
                )
            )  # fmt: skip
    return honor_share, estimates, warnings


def _weekdays(bookings: Bookings, note: Any) -> Estimate:
    """Release weekday weights from the releases of bookings without a detainer (whose
    release is not moved by a hold)."""
    wd = bookings.release_weekday
    pick = (wd >= 0) & ~bookings.detainer
    who = "releases of bookings without a detainer"
    if not pick.any():
        pick = wd >= 0
        who = "all releases"
    counts = np.bincount(wd[pick].astype(np.intp), minlength=7)[:7].astype(float)
    total = float(counts.sum())
    weights = [1.0] * 7 if total == 0 else [round(float(c), 6) for c in counts / counts.mean()]
    method = (
        f"weekday counts of {who} (Monday..Sunday), relative to their mean; low and high are "
        "the weights of the least and most common weekday"
    )
    return Estimate(
        "release_weekday_weights", 1.0, min(weights), max(weights), weights, method, int(total)
    )


def _effect_warnings(
    adjusted: float,
    regression: float,
    rel: float,
    extra: float,
    extra_ci: tuple[float, float],
    hold: float,
) -> list[str]:
    """What the reader of the extra stay must know: the two methods disagree, the
    interval reaches 0, the difference is smaller than the hold (the extra stay is 0)."""
    warnings = []
    if math.isfinite(rel) and rel > 0.25:
        warnings.append(
            f"the regression's extra stay ({regression:.1f} days) and the within-class "
            f"estimate ({adjusted:.1f}) differ by {rel:.0%}: the effect is probably not "
            "proportional to the stay, or differs between classes"
        )
    if extra_ci[0] <= 0:
        warnings.append(
            f"the 95% interval of the extra stay reaches {extra_ci[0]:.1f} days: the records "
            "cannot tell it from no extra stay"
        )
    if extra < 0:
        warnings.append(
            f"the stay difference ({adjusted:.1f} days) is smaller than the mean hold "
            f"({hold:.2f} days); the scenario's extra stay is set to 0, not {extra:.1f}"
        )
    return warnings


def _extra_stay(
    stay: NDArray[np.float64],
    event: NDArray[np.bool_],
    detainer: NDArray[np.bool_],
    cls: NDArray[np.intp],
    classes: Sequence[tuple[str, tuple[str, ...]]],
    honor_share: float,
    released: NDArray[np.float64],
    rng: np.random.Generator,
    resamples: int,
) -> tuple[ExtraStay, list[str]]:
    n = stay.size
    k = len(classes)
    exact = _Stays(stay, event, detainer, cls, k)
    within = exact.within
    adjusted, unadjusted = exact.estimate(None)
    if n <= EXACT_BOOTSTRAP_MAX:
        units, sizes = exact, None
    else:
        units, sizes = _cells(stay, event, detainer, cls, k)
    centre = np.asarray(units.estimate(units.size))
    draws = np.empty((resamples, 2))
    for b in range(resamples):
        if sizes is None:
            # Resampling n bookings with replacement: how often each is drawn. The counts
            # are exchangeable, so they are drawn straight in the sorted order.
            counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        else:
            counts = rng.multinomial(n, sizes).astype(np.float64)
        draws[b] = units.estimate(counts)
    # The interval of the exact estimate: the bootstrap's spread around its own centre
    # (the same estimate, or that of the cells when the bookings are many).
    draws += np.array([adjusted, unadjusted]) - centre
    adjusted_ci, unadjusted_ci = _ci(draws[:, 0]), _ci(draws[:, 1])

    means = within.means(None).reshape(k, 2)
    mix = np.bincount(cls, weights=detainer, minlength=k)
    mix_share = mix / mix.sum()
    rows = []
    for c, (label, members) in enumerate(classes):
        in_c = cls == c
        rows.append(
            ClassRow(
                label, members,
                int((in_c & detainer).sum()), int((in_c & ~detainer).sum()),
                int((in_c & detainer & ~event).sum()), int((in_c & ~detainer & ~event).sum()),
                float(means[c, 1]), float(means[c, 0]), float(means[c, 1] - means[c, 0]),
                float(mix_share[c]),
            )
        )  # fmt: skip

    # Completed stays only (what dropping the censored would give), within classes.
    def plain(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        s = np.bincount(cls[mask], weights=stay[mask], minlength=k)
        m = np.bincount(cls[mask], minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(s / m, dtype=np.float64)

    diff_done = plain(event & detainer) - plain(event & ~detainer)
    ok = np.isfinite(diff_done)
    done_mix = float(mix[ok].sum())
    completed_only = float(np.dot(mix[ok], diff_done[ok])) / done_mix if done_mix else math.nan

    # Log-linear regression on completed stays: log stay ~ detainer + class dummies, by
    # least squares on the within-class deviations (Frisch-Waugh: the same coefficient
    # as the dummies, without an n-by-classes matrix).
    y = np.log(np.maximum(stay[event], LOG_FLOOR_DAYS))
    x = detainer[event].astype(np.float64)
    c_done = cls[event]
    size = np.maximum(np.bincount(c_done, minlength=k), 1)
    y_dev = y - (np.bincount(c_done, weights=y, minlength=k) / size)[c_done]
    x_dev = x - (np.bincount(c_done, weights=x, minlength=k) / size)[c_done]
    coef, rss, _, _ = np.linalg.lstsq(x_dev[:, None], y_dev, rcond=None)
    slope = float(coef[0])
    dof = max(int(event.sum()) - k - 1, 1)
    resid = float(rss[0]) if rss.size else float(np.sum((y_dev - slope * x_dev) ** 2))
    sxx = float(np.dot(x_dev, x_dev))
    se = math.sqrt(resid / dof / sxx) if sxx > 0 else math.inf
    if sxx <= 0:
        slope = math.nan  # no class has completed stays both with and without a detainer
    base = np.where(np.isfinite(means[:, 0]), means[:, 0], 0.0)
    at_base = float(np.dot(mix_share, base))

    def in_days(b: float) -> float:
        return at_base * math.expm1(min(b, 700.0)) if math.isfinite(b) else math.nan

    regression = in_days(slope)
    regression_ci = (in_days(slope - 1.96 * se), in_days(slope + 1.96 * se))
    hold_one, rule = _hold_days(released)
    hold = honor_share * hold_one
    extra = adjusted - hold
    extra_ci = (adjusted_ci[0] - hold, adjusted_ci[1] - hold)
    disagreement = regression - adjusted
    rel = abs(disagreement) / abs(adjusted) if adjusted else math.inf
    n_cens = int((~event).sum())
    why = (
        "it compares like with like (within charge classes, weighted as the detainer "
        "bookings are spread over them), assumes no shape for the effect (it may differ "
        f"from class to class) and counts the {n_cens:,} bookings still in custody as "
        "censored; the log-linear regression assumes one proportional effect in every "
        "class and uses completed stays only. "
        + (
            f"The regression gives {regression:.1f} days ({disagreement:+.1f} days, {rel:.0%} "
            f"of the within-class estimate of {adjusted:.1f}); "
            if math.isfinite(regression)
            else "The regression could not be fitted (no class has completed stays both with "
            "and without a detainer); "
        )
        + f"the unadjusted difference is {unadjusted:.1f} days."
    )
    warnings = [
        f"the longest stay of class {classes[g // 2][0]} bookings "
        f"{'with' if g % 2 else 'without'} a detainer is still in custody: their mean "
        f"({means[g // 2, g % 2]:.1f} days) is restricted to it, a lower bound"
        for g in within.restricted()
    ]
    warnings += _effect_warnings(adjusted, regression, rel, extra, extra_ci, hold)
    extra = max(extra, 0.0)
    warnings.append(
        f"the mean hold taken off the stay difference is {hold:.2f} days: the share honored "
        f"({honor_share:.1%}) times the hold of the release dates ({rule}), the whole window "
        "assumed used"
    )
    return (
        ExtraStay(
            adjusted=adjusted,
            adjusted_ci=adjusted_ci,
            unadjusted=unadjusted,
            unadjusted_ci=unadjusted_ci,
            regression=regression,
            regression_ci=regression_ci,
            regression_ratio=math.exp(min(slope, 700.0)) if math.isfinite(slope) else math.nan,
            completed_only=completed_only,
            disagreement=disagreement,
            hold_days=hold,
            extra_days=extra,
            extra_days_ci=extra_ci,
            used="the within-class difference of mean stays",
            why=why,
            classes=tuple(rows),
            resamples=resamples,
        ),
        warnings,
    )
