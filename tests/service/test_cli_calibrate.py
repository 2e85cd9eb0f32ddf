"""``detainer-cost calibrate BOOKINGS.csv [--map ...] [--skip-bad-rows] [--out ...]``: a
county's own column names and date format, XLSX, the scenario written, bad rows named."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from models.scenario import parse_scenario
from service.cli import main
from tests.models.test_calibrate import jail

MAP = [
    "--map", "booking_id=BOOKING_NO", "--map", "booked_at=BOOKING_DT",
    "--map", "released_at=RELEASE_DT", "--map", "detainer=IMM_HOLD",
    "--map", "detainer_outcome=HOLD_OUTCOME", "--map", "charge_class=TOP_CHARGE",
]  # fmt: skip
HEADER = ["BOOKING_NO", "BOOKING_DT", "RELEASE_DT", "IMM_HOLD", "HOLD_OUTCOME", "TOP_CHARGE",
          "LAST_NAME"]  # fmt: skip


def _us(text: str) -> str:
    return dt.datetime.fromisoformat(text).strftime("%m/%d/%Y %H:%M:%S") if text else ""


def county_rows(seed: int = 3, per_year: float = 1500) -> list[list[str]]:
    rows, _ = jail(seed, per_year=per_year)
    return [
        [r["booking_id"], _us(r["booked_at"]), _us(r["released_at"]), r["detainer"],
         r["detainer_outcome"], r["charge_class"], "Doe"]
        for r in rows
    ]  # fmt: skip


def write_csv(path: Path, rows: list[list[str]]) -> str:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return str(path)


def test_calibrate_a_county_file_writes_a_scenario_the_engine_takes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bookings = write_csv(tmp_path / "county.csv", county_rows())
    out = tmp_path / "scenario.json"
    status = main(["calibrate", bookings, *MAP, "--resamples", "50", "--out", str(out)])
    assert status == 0
    text = capsys.readouterr().out
    assert "BOOKING_DT: MM/DD/YYYY HH:MM[:SS]" in text
    assert "within charge classes (used)" in text
    assert "Doe" not in text
    scenario = json.loads(out.read_text())
    assert "county.csv" in scenario["extra_days_per_detainer"]["note"]
    parse_scenario({**scenario, "daily_cost": 100})


def test_json_output_is_the_calibration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bookings = write_csv(tmp_path / "county.csv", county_rows())
    args = ["calibrate", bookings, *MAP, "--resamples", "50", "--seed", "7", "--format", "json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == first  # the seed makes it reproducible
    assert first["date_formats"] == {
        "BOOKING_DT": ["MM/DD/YYYY HH:MM[:SS]"],
        "RELEASE_DT": ["MM/DD/YYYY HH:MM[:SS]"],
    }


def test_an_xlsx_extract_gives_the_csvs_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import Workbook

    rows = county_rows(per_year=600)  # a smaller jail: writing the workbook is the slow part
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        # Dates as spreadsheet dates, as a county's export would hold them.
        cells: list[object] = list(row)
        cells[1] = dt.datetime.strptime(row[1], "%m/%d/%Y %H:%M:%S")
        cells[2] = dt.datetime.strptime(row[2], "%m/%d/%Y %H:%M:%S") if row[2] else None
        sheet.append(cells)
    book.save(tmp_path / "county.xlsx")
    args = ["--resamples", "50", "--format", "json"]
    assert main(["calibrate", str(tmp_path / "county.xlsx"), *MAP, *args]) == 0
    from_xlsx = json.loads(capsys.readouterr().out)
    assert main(["calibrate", write_csv(tmp_path / "county.csv", rows), *MAP, *args]) == 0
    from_csv = json.loads(capsys.readouterr().out)
    assert from_xlsx["date_formats"]["BOOKING_DT"] == ["ISO 8601"]
    assert from_xlsx["extra_stay"] == from_csv["extra_stay"]


def test_bad_rows_are_named_with_their_line_or_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = county_rows()
    rows[1][1] = "31/12/2024 10:00"
    rows[4][3] = "perhaps"
    bookings = write_csv(tmp_path / "county.csv", rows)
    assert main(["calibrate", bookings, *MAP]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: rows[1].BOOKING_DT (line 3): '31/12/2024 10:00' is not a date")
    assert err[1] == (
        "error: rows[4].IMM_HOLD (line 6): 'perhaps' is not a flag (true/false, yes/no, 1/0, Y/N)"
    )
    assert main(["calibrate", bookings, *MAP, "--skip-bad-rows", "--resamples", "50"]) == 0
    out = capsys.readouterr().out
    assert "skipped: row 1 (line 3), BOOKING_DT" in out
    assert "skipped: row 4 (line 6), IMM_HOLD" in out
    assert "2 rows skipped" in out


def test_a_missing_column_says_how_to_map_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bookings = write_csv(tmp_path / "county.csv", county_rows())
    assert main(["calibrate", bookings]) == 2
    err = capsys.readouterr().err
    assert "error: rows.booking_id: the column is missing (booking_id); name the county's" in err
    assert "--map booking_id=COLUMN" in err
