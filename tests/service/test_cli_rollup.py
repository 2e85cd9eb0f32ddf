"""``detainer-cost rollup COUNTIES.csv --base SCENARIO.json``: the shipped example table,
its errors, and what it imports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.analyses.rollup import rollup
from service.cli import main

from .test_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
TABLE = str(ROOT / "examples" / "counties.csv")
BASE = str(ROOT / "examples" / "rollup-base.json")


def _small_base(tmp_path: Path) -> str:
    base = json.loads(Path(BASE).read_text())
    path = tmp_path / "base.json"
    path.write_text(json.dumps({**base, "trials": 200}))
    return str(path)


def test_rollup_of_the_example_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = _small_base(tmp_path)
    status = main(["rollup", TABLE, "--base", base, "--umra-year", "2019", "--format", "json"])
    assert status == 0
    result = json.loads(capsys.readouterr().out)
    expected = rollup(
        json.loads(Path(base).read_text()),
        Path(TABLE).read_text(),
        threshold={"umra_year": 2019},
    )
    assert result == json.loads(json.dumps(expected.to_dict()))
    assert len(result["jurisdictions"]) == 11
    # Every row says where its figures come from, and the invented ones say so.
    notes = [j["note"] for j in result["jurisdictions"]]
    assert all(n and ("published study" in n or "ILLUSTRATIVE" in n) for n in notes)


def test_rollup_table_lists_the_largest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["rollup", TABLE, "--base", _small_base(tmp_path), "--threshold", "5e7", "--shared",
         "extra_days_per_detainer"]
    )  # fmt: skip
    assert status == 0
    out = capsys.readouterr().out
    assert "Largest 11 of 11 jurisdictions" in out
    assert "P(total year-1 net cost > $50,000,000)" in out
    assert "Shared inputs (one draw per trial for every row): extra_days_per_detainer" in out


def test_rollup_errors_name_row_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "t.csv"
    table.write_text("name,detainers_per_year,daily_cost\nA,10,\nB,ten,\nC,5,-2\n")
    status = main(["rollup", str(table), "--base", _small_base(tmp_path)])
    assert status == 2
    err = capsys.readouterr().err
    assert "error: rows[1].detainers_per_year: must be a number" in err
    assert "error: rows[2].daily_cost: must lie between" in err
    assert main(["rollup", str(tmp_path / "missing.csv"), "--base", BASE]) == 2


def test_rollup_rows_on_another_cost_basis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "t.csv"
    table.write_text(
        "name,preset,detainers_per_year,daily_cost\n"
        "A,,10,\nB,new-york-city-2008,,\nC,,20,\nD,colorado-2011,,9\n"
    )
    assert main(["rollup", str(table), "--base", _small_base(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "error: rows[1].daily_cost: rows[0]'s costs are on the average basis" in err
    assert "rows[3].daily_cost" in err
    assert "rows[2]" not in err


@pytest.mark.slow  # a fresh interpreter: about 5 s
def test_rollup_imports_no_web_or_report_library(tmp_path: Path) -> None:
    result = run_cli(["rollup", TABLE, "--base", _small_base(tmp_path)])
    assert result["status"] == 0
    assert result["heavy"] == []
