"""Reading a bookings extract for calibration, shared by ``detainer-cost calibrate`` and
``POST /v1/calibrations``: CSV text (through :func:`models.calibrate.read_csv`) or an
XLSX workbook's first sheet (openpyxl, read-only), never Flask."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from models.calibrate import Bookings, read_bookings, read_csv
from models.errors import CalibrationError

__all__ = ["XLSX_MAGIC", "read_extract"]

#: The first bytes of a ZIP archive (an XLSX workbook is one).
XLSX_MAGIC = b"PK\x03\x04"


def _text(value: Any) -> str:
    """An XLSX cell as the text a CSV would hold (dates in ISO 8601)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes, max_unpacked: int | None) -> tuple[list[str], Iterator[list[str]]]:
    from openpyxl import load_workbook

    if max_unpacked is not None:
        # A small workbook can unpack to far more (a ZIP bomb): bound it before reading.
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise CalibrationError.single(
                ("rows",), f"is not a readable XLSX workbook: {exc}"
            ) from None
        if unpacked > max_unpacked:
            raise CalibrationError.single(
                ("rows",),
                f"the workbook unpacks to {unpacked:,} bytes, more than the {max_unpacked:,} "
                "one request may; send it as CSV or use detainer-cost calibrate",
            )
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise CalibrationError.single(
            ("rows",), f"is not a readable XLSX workbook: {exc}"
        ) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [_text(v) for v in next(rows)]
    except StopIteration:
        raise CalibrationError.single(
            ("rows",), "the sheet is empty: give a header and rows"
        ) from None

    def body() -> Iterator[list[str]]:
        for row in rows:
            yield [_text(v) for v in row]
        book.close()

    return header, body()


def read_extract(
    source: bytes | IO[str] | Iterable[str],
    *,
    mapping: Mapping[str, str] | None = None,
    skip_bad_rows: bool = False,
    extract_date: str | None = None,
    max_rows: int | None = None,
    max_unpacked: int | None = None,
) -> Bookings:
    """Read a bookings extract: XLSX bytes, CSV bytes (UTF-8, with or without a BOM), or
    lines of CSV text. ``max_rows`` bounds the rows and ``max_unpacked`` the bytes an
    XLSX workbook unpacks to (a service's bounds on one request; none by default).

    Raises
    ------
    CalibrationError
        Naming the row and column of every bad cell (see :func:`models.calibrate.read_bookings`).
    """
    options: dict[str, Any] = {
        "mapping": mapping,
        "skip_bad_rows": skip_bad_rows,
        "extract_date": extract_date,
        "max_rows": max_rows,
    }
    if isinstance(source, bytes):
        if source.startswith(XLSX_MAGIC):
            header, rows = _xlsx_rows(source, max_unpacked)
            return read_bookings(header, rows, **options)
        try:
            text = source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CalibrationError.single(
                ("rows",), f"is not UTF-8 text (byte {exc.start}) nor an XLSX workbook"
            ) from None
        return read_csv(io.StringIO(text, newline=""), **options)
    return read_csv(source, **options)
